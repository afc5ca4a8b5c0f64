//! Dates in Mandarin against a reference date: 今天, 明天, 后天, 大后天, 下周二, 下星期三, 下礼拜一, 周五,
//! 12月3日, 十二月三号, 3号, 两周后, 三天后, 下个月5号, 月底. Same calendar rules as the English grammar
//! (see `date`). Pure; depends on chrono, the tokeniser and the numeral parser only.

use chrono::{Datelike, NaiveDate};

use super::date::{
    add_days, add_months, day_only, end_of_month, first_of_month, month_day, next_weekday,
    week_day, ymd,
};
use super::token::{Kind, Tok};
use super::zh::{digit_seq, han_run, zh_number};

/// Index after the Han word `w` at token `i`, if it is there.
fn han(toks: &[Tok<'_>], i: usize, w: &str) -> Option<usize> {
    let mut j = i;
    for c in w.chars() {
        if toks.get(j)?.han()? != c {
            return None;
        }
        j += 1;
    }
    Some(j)
}

/// The first of several Han words at `i`: (which, index after).
fn han_any(toks: &[Tok<'_>], i: usize, words: &[&str]) -> Option<(usize, usize)> {
    words
        .iter()
        .enumerate()
        .find_map(|(k, w)| han(toks, i, w).map(|j| (k, j)))
}

/// An integer at `i`, Arabic or Mandarin: value and index after it.
fn int_at(toks: &[Tok<'_>], i: usize) -> Option<(i64, usize)> {
    let t = toks.get(i)?;
    if t.kind == Kind::Num {
        return t.norm.parse::<i64>().ok().map(|v| (v, i + 1));
    }
    let chars = han_run(toks, i);
    if let Some((s, n)) = digit_seq(&chars) {
        return s.parse().ok().map(|v| (v, i + n));
    }
    let (v, n) = zh_number(&chars)?;
    (v.fract() == 0.0 && chars[..n].iter().all(|&c| c != '半' && c != '点'))
        .then_some((v as i64, i + n))
}

fn weekday_char(c: char) -> Option<u32> {
    "一二三四五六日天"
        .chars()
        .position(|d| d == c)
        .map(|p| (p as u32).min(6))
}

/// 下周二, 下个星期三, 这周五, 周五, 星期天, 下周 (Monday of next week).
fn week_phrase(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    let prefixes = [
        "下下个",
        "下下",
        "下个",
        "下",
        "这个",
        "这",
        "本",
        "上个",
        "上",
    ];
    let weeks = [2, 2, 1, 1, 0, 0, 0, -1, -1];
    let (p, j) = han_any(toks, i, &prefixes).map_or((None, i), |(k, j)| (Some(weeks[k]), j));
    let (_, k) = han_any(toks, j, &["星期", "礼拜", "周"])?;
    match (p, toks.get(k).and_then(|t| t.han()).and_then(weekday_char)) {
        (Some(w), Some(wd)) => week_day(r, w, wd).map(|d| (d, k + 1)),
        (None, Some(wd)) => next_weekday(r, wd).map(|d| (d, k + 1)),
        (Some(w), None) if w > 0 && toks.get(k).and_then(|t| t.han()) != Some('末') => {
            week_day(r, w, 0).map(|d| (d, k))
        }
        _ => None,
    }
}

/// [N年]N月N号, 下个月5号, 3号, 月底, 下个月.
fn calendar(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    // A month relative to this one: 下个月 / 下月 / 这个月 / 本月 / 当月.
    if let Some((k, j)) = han_any(toks, i, &["下个月", "下月", "这个月", "本月", "当月"])
    {
        let months = if k < 2 { 1 } else { 0 };
        let first = first_of_month(r, months)?;
        if let Some((_, e)) = han_any(toks, j, &["底", "末"]) {
            return end_of_month(first).map(|d| (d, e));
        }
        if let Some((d, e)) = day_suffix(toks, j) {
            return first.with_day(d).map(|v| (v, e));
        }
        return (months == 1).then_some((first, j));
    }
    if let Some((_, e)) = han_any(toks, i, &["月底", "月末"]) {
        return end_of_month(r).map(|d| (d, e));
    }
    let (n, j) = int_at(toks, i)?;
    if let Some(j2) = han(toks, j, "年") {
        let (m, k) = int_at(toks, j2).filter(|_| (1900..=2200).contains(&n))?;
        let k = han(toks, k, "月")?;
        let (d, e) = day_suffix(toks, k)?;
        return ymd(n, m, i64::from(d)).map(|v| (v, e));
    }
    if let Some(k) = han(toks, j, "月") {
        let (d, e) = day_suffix(toks, k)?;
        return month_day(r, u32::try_from(n).ok()?, d).map(|v| (v, e));
    }
    let (d, e) = day_suffix(toks, i)?;
    day_only(r, d).map(|v| (v, e))
}

/// N号 / N日 at `i`: the day (1..=31) and the index after it.
fn day_suffix(toks: &[Tok<'_>], i: usize) -> Option<(u32, usize)> {
    let (d, j) = int_at(toks, i)?;
    let (_, e) = han_any(toks, j, &["号", "日"])?;
    u32::try_from(d)
        .ok()
        .filter(|d| (1..=31).contains(d))
        .map(|d| (d, e))
}

/// 两周后, 三天以后, 一个月之后, 过两天.
fn offset(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    let after = han(toks, i, "过");
    let (n, j) = int_at(toks, after.unwrap_or(i))?;
    let units = ["个星期", "个礼拜", "星期", "礼拜", "周", "天", "日", "个月"];
    let (u, k) = han_any(toks, j, &units)?;
    let later = han_any(toks, k, &["以后", "之后", "后"]).map(|(_, e)| e);
    let e = if after.is_some() {
        later.unwrap_or(k)
    } else {
        later?
    };
    let d = match u {
        0..=4 => add_days(r, 7 * n),
        5 | 6 => add_days(r, n),
        _ => add_months(r, u32::try_from(n).ok()?),
    }?;
    Some((d, e))
}

/// A Mandarin date at `i`: the date and the index after it.
pub(crate) fn zh_date(toks: &[Tok<'_>], i: usize, r: NaiveDate) -> Option<(NaiveDate, usize)> {
    // Cheap first-character test: most positions in a text cannot start a date.
    let t = toks.get(i)?;
    let can_start = t.kind == Kind::Num
        || t.han().is_some_and(|c| {
            "大今明后昨前下这本上星礼周过月当".contains(c) || !han_run(toks, i).is_empty()
        });
    if !can_start {
        return None;
    }
    let words = [
        "大后天",
        "大前天",
        "今天",
        "今日",
        "明天",
        "明日",
        "后天",
        "昨天",
        "昨日",
        "前天",
    ];
    let days = [3, -3, 0, 0, 1, 1, 2, -1, -1, -2];
    if let Some((k, j)) = han_any(toks, i, &words) {
        return add_days(r, days[k]).map(|d| (d, j));
    }
    week_phrase(toks, i, r)
        .or_else(|| offset(toks, i, r))
        .or_else(|| calendar(toks, i, r))
}
