//! Mandarin numerals: positional (二十三, 一百零五, 两百, 一千二, 十五), digit-by-digit (四四七一, 幺二零九),
//! decimals (三点五), halves (两个半, 半). Works on Han tokens, one character each. Pure; depends on the
//! tokeniser only.

use super::token::Tok;

/// Longest Han numeral we look at; keeps scanning linear in the input length.
const MAX_RUN: usize = 40;

/// A digit character: 零〇一幺二两俩三四五六七八九.
pub(crate) fn zh_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '幺' | '壹' => 1,
        '二' | '两' | '俩' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn small_unit(c: char) -> Option<u64> {
    match c {
        '十' | '拾' => Some(10),
        '百' | '佰' => Some(100),
        '千' | '仟' => Some(1000),
        _ => None,
    }
}

fn big_unit(c: char) -> Option<u64> {
    match c {
        '万' => Some(10_000),
        '亿' => Some(100_000_000),
        _ => None,
    }
}

/// The Han characters of consecutive Han tokens from `i` (at most [`MAX_RUN`]); empty unless the first one can
/// start a numeral, so callers at every position of a text stay cheap.
pub(crate) fn han_run(toks: &[Tok<'_>], i: usize) -> Vec<char> {
    let starts = toks.get(i).and_then(|t| t.han()).is_some_and(|c| {
        zh_digit(c).is_some() || small_unit(c).is_some() || big_unit(c).is_some() || c == '半'
    });
    if !starts {
        return Vec::new();
    }
    toks[i..]
        .iter()
        .map_while(|t| t.han())
        .take(MAX_RUN)
        .collect()
}

/// Two or more digit characters and nothing else ("四四七一", "二零二六"): the digit string and its length.
pub(crate) fn digit_seq(chars: &[char]) -> Option<(String, usize)> {
    let n = chars.iter().take_while(|&&c| zh_digit(c).is_some()).count();
    let followed_by_unit = chars
        .get(n)
        .is_some_and(|&c| small_unit(c).is_some() || big_unit(c).is_some());
    if n < 2 || followed_by_unit {
        return None;
    }
    Some((
        chars[..n]
            .iter()
            .filter_map(|&c| zh_digit(c))
            .map(|d| char::from(b'0' + d as u8))
            .collect(),
        n,
    ))
}

/// The longest positional integer at the start of `chars` (一百零五, 两万三千, 十五, 两百五): value and length.
pub(crate) fn positional(chars: &[char]) -> Option<(u64, usize)> {
    let (mut total, mut section) = (0u64, 0u64);
    let mut digit: Option<u64> = None;
    let (mut last_small, mut last_big) = (u64::MAX, u64::MAX);
    let mut zero = false;
    let mut best = None;
    for (i, &c) in chars.iter().enumerate() {
        if let Some(d) = zh_digit(c) {
            if digit.is_some() {
                break;
            }
            if d == 0 && i > 0 {
                zero = true;
                continue;
            }
            digit = Some(d);
        } else if let Some(u) = small_unit(c) {
            if u >= last_small {
                break;
            }
            let n = match digit.take() {
                Some(d) => d,
                None if u == 10 && section == 0 && total == 0 => 1,
                None => break,
            };
            if n == 0 {
                break;
            }
            section = section.saturating_add(n * u);
            last_small = u;
            zero = false;
        } else if let Some(b) = big_unit(c) {
            let n = section + digit.take().unwrap_or(0);
            if n == 0 || b >= last_big {
                break;
            }
            total = total.saturating_add(n.saturating_mul(b));
            section = 0;
            last_small = u64::MAX;
            last_big = b;
            zero = false;
        } else {
            break;
        }
        let tail = match digit {
            // 一千二 = 1200, 两百五 = 250, 一万二 = 12000: a final digit right after a unit of 100 or more.
            Some(d) if !zero && i > 0 => match chars[i - 1] {
                p if small_unit(p).is_some_and(|u| u >= 100) || big_unit(p).is_some() => {
                    d * small_unit(p).or(big_unit(p)).unwrap_or(10) / 10
                }
                _ => d,
            },
            Some(d) => d,
            None => 0,
        };
        best = Some((total.saturating_add(section).saturating_add(tail), i + 1));
    }
    best
}

/// The longest Mandarin number at the start of `chars`: digit sequence or positional integer, then an
/// optional decimal part (点五) or 个半; or 半 / 一半 alone (0.5). Value and number of characters.
pub(crate) fn zh_number(chars: &[char]) -> Option<(f64, usize)> {
    if chars.starts_with(&['半']) {
        return Some((0.5, 1));
    }
    if chars.starts_with(&['一', '半']) {
        return Some((0.5, 2));
    }
    let (int, mut n) = match digit_seq(chars) {
        Some((s, n)) => (s.parse::<f64>().ok()?, n),
        None => positional(chars).map(|(v, n)| (v as f64, n))?,
    };
    let mut value = int;
    if chars.get(n) == Some(&'点') {
        let k = chars[n + 1..]
            .iter()
            .take_while(|&&c| zh_digit(c).is_some())
            .count();
        if k > 0 {
            let frac: String = chars[n + 1..n + 1 + k]
                .iter()
                .filter_map(|&c| zh_digit(c))
                .map(|d| char::from(b'0' + d as u8))
                .collect();
            value += format!("0.{frac}").parse::<f64>().unwrap_or(0.0);
            n += 1 + k;
        }
    } else if chars[n..].starts_with(&['个', '半']) {
        value += 0.5;
        n += 2;
    }
    Some((value, n))
}

/// A Mandarin number starting at token `i`: value and the token index after it.
pub(crate) fn zh_number_at(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    let chars = han_run(toks, i);
    zh_number(&chars).map(|(v, n)| (v, i + n))
}

/// A lone 一 or 零 that is part of a common word (一下, 一些, 零件), not a number.
pub(crate) fn is_word_not_number(chars: &[char]) -> bool {
    match chars {
        ['一', next, ..] => "下些起样直般定切旦共致同边".contains(*next),
        ['零', next, ..] => "件部售钱星碎".contains(*next),
        ['万', '一', ..] => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Option<(f64, usize)> {
        zh_number(&s.chars().collect::<Vec<_>>())
    }

    #[test]
    fn positional_numerals() {
        let cases: &[(&str, f64, usize)] = &[
            ("二十三", 23.0, 3),
            ("一百零五", 105.0, 4),
            ("两百", 200.0, 2),
            ("一千二百", 1200.0, 4),
            ("一千二", 1200.0, 3),
            ("两百五", 250.0, 3),
            ("十五", 15.0, 2),
            ("十", 10.0, 1),
            ("一万二", 12000.0, 3),
            ("三万零五十", 30050.0, 5),
            ("九万九千九百九十九", 99999.0, 9),
            ("一千零一", 1001.0, 4),
            ("两", 2.0, 1),
            ("零", 0.0, 1),
            ("三点五", 3.5, 3),
            ("零点二五", 0.25, 4),
            ("两个半", 2.5, 3),
            ("半", 0.5, 1),
            ("一半", 0.5, 2),
            ("四四七一", 4471.0, 4),
            ("幺二零九", 1209.0, 4),
            ("二零二六年", 2026.0, 4),
            ("一百零", 100.0, 2),
            ("五个", 5.0, 1),
            ("三点", 3.0, 1),
        ];
        for &(s, v, n) in cases {
            assert_eq!(num(s), Some((v, n)), "{s}");
        }
    }

    #[test]
    fn non_numerals_are_none() {
        for s in ["", "个", "点五", "百", "千万"] {
            assert_eq!(num(s), None, "{s}");
        }
    }

    #[test]
    fn digit_sequences_keep_leading_zeros() {
        assert_eq!(
            digit_seq(&"零四七".chars().collect::<Vec<_>>()),
            Some(("047".into(), 3))
        );
        assert_eq!(digit_seq(&"四十".chars().collect::<Vec<_>>()), None);
        assert_eq!(digit_seq(&"二三十".chars().collect::<Vec<_>>()), None);
    }
}
