//! The review pages' one strings table: every interface text in English and Simplified Chinese, chosen by
//! the user's saved language. A key missing from the table shows as itself (and a unit test keeps every
//! key the templates use in the table).

use crate::store::Language;

/// Looks up interface text in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Language);

/// (key, English, Simplified Chinese).
const STRINGS: &[(&str, &str, &str)] = &[
    ("action", "Action taken", "处理措施"),
    ("actions", "Actions", "操作"),
    ("active", "active", "启用"),
    ("admin", "Admin", "管理"),
    ("any", "any", "全部"),
    ("apply", "Apply filters", "筛选"),
    ("approve", "Approve", "批准"),
    ("approved", "Approved; ticket", "已批准；工单"),
    ("asset", "Asset", "设备"),
    ("audio", "Audio", "录音"),
    ("closed", "closed", "已关闭"),
    ("confidence", "Confidence", "置信度"),
    ("create", "Create", "创建"),
    ("csrf_refused", "This form is out of date or was not sent by this site (CSRF check failed); reload the page and try again.", "表单已过期或并非来自本站（CSRF 校验失败）；请刷新页面后重试。"),
    ("customer", "Customer", "客户"),
    ("dashboard", "Dashboard", "统计"),
    ("disable", "Disable", "停用"),
    ("disabled", "disabled", "已停用"),
    ("draft", "awaiting verification", "待审核"),
    ("edit", "edit", "修改"),
    ("edit_hint", "Type a value and press Enter to save it; Esc restores the saved value.", "输入内容后按 Enter 保存；按 Esc 恢复已保存的值。"),
    ("enable", "Enable", "启用"),
    ("failed", "failed", "失败"),
    ("fault", "Fault", "故障"),
    ("field", "Field", "字段"),
    ("fields", "Fields", "字段"),
    ("filters", "Filters", "筛选条件"),
    ("first_field", "First field", "第一个字段"),
    ("follow_up", "Follow-up", "后续跟进"),
    ("forbidden_admin", "This page is for admins only.", "此页面仅限管理员访问。"),
    ("from", "From", "开始日期"),
    ("heard", "heard", "听到"),
    ("high", "high", "高"),
    ("history", "History", "审计记录"),
    ("hours", "hours", "小时"),
    ("labor_hours", "Labour hours", "工时"),
    ("language", "Language", "语言"),
    ("log_in", "Log in", "登录"),
    ("log_out", "Log out", "退出"),
    ("login_failed", "Wrong login or password, or not a reviewer or admin account.", "登录名或密码错误，或该账号不是审核员或管理员。"),
    ("login_hint", "For reviewers and admins. Technicians report by phone or the app.", "供审核员和管理员使用。技术员请通过电话或应用提交报告。"),
    ("login_id", "Login", "登录名"),
    ("login_throttled", "Too many failed logins; try again later.", "登录失败次数过多，请稍后再试。"),
    ("low", "low", "低"),
    ("low_confidence", "low confidence", "置信度低"),
    ("main_navigation", "Main", "主导航"),
    ("median_verify", "Median time from recording to verification", "从录音到审核完成的中位时间"),
    ("medium", "medium", "中"),
    ("name", "Name", "姓名"),
    ("new_technician", "New technician", "新建技术员"),
    ("new_user", "New reviewer or admin", "新建审核员或管理员"),
    ("new_value", "New value", "新值"),
    ("next", "Next", "下一份"),
    ("no_data", "No data yet.", "暂无数据。"),
    ("no_history", "No changes yet.", "暂无修改记录。"),
    ("none", "none", "无"),
    ("not_extracted", "Not extracted", "未识别"),
    ("ok", "ok", "正常"),
    ("old_value", "Old value", "旧值"),
    ("open", "open", "未完成"),
    ("parts", "Parts", "配件"),
    ("password", "Password", "密码"),
    ("per_day", "Reports per day", "每日报告数"),
    ("per_technician", "Reports per technician", "各技术员报告数"),
    ("pin", "PIN", "PIN 码"),
    ("play_from", "Play from", "从此处播放"),
    ("play_pause", "Play or pause", "播放或暂停"),
    ("posted", "posted", "已提交"),
    ("problems", "Problems", "问题"),
    ("processing", "processing", "处理中"),
    ("queue", "Queue", "审核队列"),
    ("queue_empty", "Nothing to review.", "没有待审核的报告。"),
    ("queue_title", "Reports awaiting verification, oldest first", "待审核报告（最早的在前）"),
    ("reason", "Reason", "原因"),
    ("reason_needed", "A rejection needs a reason.", "驳回需要填写原因。"),
    ("recorded", "Recorded", "录音时间"),
    ("recording", "Recording", "录音"),
    ("reject", "Reject", "驳回"),
    ("reject_reason", "Reason for rejecting", "驳回原因"),
    ("rejected", "rejected", "已驳回"),
    ("rejected_msg", "Rejected.", "已驳回。"),
    ("report", "Report", "报告"),
    ("reports", "reports", "份报告"),
    ("request_failed", "Request failed", "请求失败"),
    ("required", "required", "必填"),
    ("review", "Review", "审核"),
    ("reviewer", "Reviewer", "审核员"),
    ("role", "Role", "角色"),
    ("save", "Save", "保存"),
    ("save_field", "Save the field", "保存字段"),
    ("saved", "Saved", "已保存"),
    ("shortcuts", "Keyboard shortcuts", "键盘快捷键"),
    ("skip_to_content", "Skip to content", "跳到正文"),
    ("spoken_language", "Spoken language", "录音语言"),
    ("state", "State", "状态"),
    ("state_counts", "Reports by state", "各状态报告数"),
    ("status", "Status", "状态"),
    ("technician", "Technician", "技术员"),
    ("technicians", "Technicians", "技术员"),
    ("ticket", "Ticket", "工单"),
    ("to", "To", "结束日期"),
    ("top_faults", "Top faults", "常见故障"),
    ("transcript", "Transcript", "转写文本"),
    ("undo_field", "Restore the saved value", "恢复已保存的值"),
    ("users", "Reviewers and admins", "审核员和管理员"),
    ("verified", "verified", "已审核"),
    ("verify", "verify", "审核通过"),
    ("when", "When", "时间"),
    ("who", "Who", "操作人"),
];

impl Tr {
    /// The text for `key` in the reader's language (the key itself when the table lacks it).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match STRINGS.binary_search_by(|(k, _, _)| (*k).cmp(key)) {
            Ok(i) => match self.0 {
                Language::En => STRINGS[i].1,
                Language::Zh => STRINGS[i].2,
            },
            Err(_) => key,
        }
    }

    /// The `lang` attribute of the pages.
    pub fn html_lang(&self) -> &'static str {
        match self.0 {
            Language::En => "en",
            Language::Zh => "zh-Hans",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_complete() {
        for w in STRINGS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} must come before {}", w[0].0, w[1].0);
        }
        for (k, en, zh) in STRINGS {
            assert!(!en.is_empty() && !zh.is_empty(), "{k}");
        }
    }

    #[test]
    fn every_key_the_templates_use_is_translated() {
        let sources = [
            include_str!("../../../templates/base.html"),
            include_str!("../../../templates/login.html"),
            include_str!("../../../templates/queue.html"),
            include_str!("../../../templates/report.html"),
            include_str!("../../../templates/dashboard.html"),
            include_str!("../../../templates/admin.html"),
            include_str!("mod.rs"),
            include_str!("login.rs"),
        ];
        for src in sources {
            for part in src.split(".t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or("");
                assert!(STRINGS.iter().any(|(k, _, _)| *k == key), "`{key}` is not in the strings table");
            }
        }
    }

    #[test]
    fn lookup_in_both_languages() {
        assert_eq!(Tr(Language::En).t("approve"), "Approve");
        assert_eq!(Tr(Language::Zh).t("approve"), "批准");
        assert_eq!(Tr(Language::Zh).t("no_such_key"), "no_such_key");
    }
}
