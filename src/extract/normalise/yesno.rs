//! Yes or no answers, English and Mandarin: "yes", "yeah", "that's right", "correct", "对", "是的", "没错";
//! "no", "nope", "wrong", "不对", "不是". Pure; depends on std only.

use super::token::{is_han, simplified};

const YES: [&str; 22] = [
    "yes",
    "yeah",
    "yep",
    "yup",
    "ya",
    "yea",
    "correct",
    "confirm",
    "confirmed",
    "right",
    "that's right",
    "that is right",
    "that's correct",
    "that is correct",
    "sure",
    "ok",
    "okay",
    "affirmative",
    "absolutely",
    "exactly",
    "yes please",
    "of course",
];
const NO: [&str; 12] = [
    "no",
    "nope",
    "nah",
    "wrong",
    "incorrect",
    "negative",
    "that's wrong",
    "that is wrong",
    "not right",
    "that's not right",
    "not correct",
    "no thanks",
];
const ZH_YES: [&str; 15] = [
    "对",
    "对的",
    "是",
    "是的",
    "没错",
    "好",
    "好的",
    "嗯",
    "对啊",
    "是啊",
    "正确",
    "可以",
    "行",
    "确认",
    "没问题",
];
const ZH_NO: [&str; 12] = [
    "不",
    "不对",
    "不是",
    "不是的",
    "错",
    "错了",
    "不行",
    "不要",
    "不用",
    "没有",
    "否",
    "不正确",
];

/// Lower-cased words joined by single spaces, Han characters kept, punctuation dropped.
fn normal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split(|c: char| {
        c.is_whitespace() || (c.is_ascii_punctuation() && c != '\'') || "，。！？、".contains(c)
    }) {
        if !w.is_empty() {
            let han_after_han = w.chars().all(is_han) && out.chars().last().is_some_and(is_han);
            if !out.is_empty() && !han_after_han {
                out.push(' ');
            }
            out.push_str(
                &w.to_lowercase()
                    .replace('\u{2019}', "'")
                    .chars()
                    .map(simplified)
                    .collect::<String>(),
            );
        }
    }
    out
}

/// Parses an answer that is wholly yes or no (a leading "yes"/"no" word followed by more, like "yes that's
/// right" or "no wait", counts as its first word). None for anything else.
pub fn parse_yes_no(s: &str) -> Option<bool> {
    let n = normal(s);
    let mut n = n.trim_end_matches(['啊', '呀', '吧', '的']).trim();
    // Fillers before the answer: "嗯，不对" is no, "um yes" is yes; "嗯" alone is yes.
    while let Some(rest) = ["嗯", "呃", "um ", "uh ", "er ", "well ", "oh "]
        .iter()
        .find_map(|f| n.strip_prefix(f).map(str::trim).filter(|r| !r.is_empty()))
    {
        n = rest;
    }
    if YES.contains(&n) || ZH_YES.contains(&n) {
        return Some(true);
    }
    if NO.contains(&n) || ZH_NO.contains(&n) {
        return Some(false);
    }
    let first = n.split(' ').next()?;
    match first {
        "yes" | "yeah" | "yep" | "yup" | "correct" => Some(true),
        "no" | "nope" | "nah" | "wrong" => Some(false),
        _ if ["没错", "没问题", "不错", "对", "是的", "是啊", "好的"]
            .iter()
            .any(|y| n.starts_with(y)) =>
        {
            Some(true)
        }
        _ if n.starts_with("不") => Some(false),
        _ => None,
    }
}
