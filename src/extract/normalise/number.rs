//! Spoken English numbers over tokens: cardinals ("one hundred and twenty"), fractions ("two and a half",
//! "three quarters"), decimals ("two point five", "2.5"), runs of single digits ("four four seven one") and
//! ordinals for dates. Pure; depends on the tokeniser only.

use super::token::{Kind, Tok};

/// Value of a unit word, zero..nineteen.
pub(crate) fn unit(w: &str) -> Option<u64> {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    UNITS
        .iter()
        .position(|&u| u == w)
        .map(|p| p as u64)
        .or(match w {
            "nought" | "naught" | "nil" => Some(0),
            _ => None,
        })
}

/// Value of a tens word, twenty..ninety.
pub(crate) fn tens(w: &str) -> Option<u64> {
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    TENS.iter()
        .position(|&t| t == w)
        .map(|p| (p as u64 + 2) * 10)
        .or((w == "fourty").then_some(40))
}

/// A single digit as spoken in a digit run: zero..nine, "oh", "o" (the latter two only where `oh` allows).
pub(crate) fn digit_word(w: &str, oh: bool) -> Option<u64> {
    match w {
        "oh" | "o" if oh => Some(0),
        _ => unit(w).filter(|&u| u < 10),
    }
}

fn scale(w: &str) -> Option<u64> {
    match w {
        "thousand" => Some(1_000),
        "million" => Some(1_000_000),
        "billion" => Some(1_000_000_000),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    Start,
    A,
    Unit,
    Teen,
    Tens,
    TensUnit,
    Hundred,
    Scale,
    And,
}

fn word_at<'t>(toks: &'t [Tok<'_>], i: usize) -> Option<&'t str> {
    toks.get(i).and_then(|t| t.word())
}

fn starts_cardinal(toks: &[Tok<'_>], i: usize) -> bool {
    word_at(toks, i).is_some_and(|w| unit(w).is_some() || tens(w).is_some())
}

/// The longest English cardinal integer in words at `i` ("one hundred and twenty", "forty-five", "a thousand").
/// Returns the value and the index after it.
pub(crate) fn cardinal(toks: &[Tok<'_>], i: usize) -> Option<(u64, usize)> {
    let (mut total, mut cur, mut last, mut j) = (0u64, 0u64, Last::Start, i);
    let mut last_scale = u64::MAX;
    let mut done: Option<(u64, usize)> = None;
    while let Some(t) = toks.get(j) {
        let next = j + 1;
        if t.kind == Kind::Punct && t.raw == "-" {
            // "forty-five": a hyphen only inside a tens-unit pair.
            let joins = last == Last::Tens
                && toks.get(next).is_some_and(|n| n.start == t.end)
                && word_at(toks, next)
                    .and_then(unit)
                    .is_some_and(|u| (1..10).contains(&u));
            if joins {
                j = next;
                continue;
            }
            break;
        }
        let Some(w) = t.word() else { break };
        if let Some(u) = unit(w) {
            let ok = match last {
                Last::Start | Last::Hundred | Last::Scale | Last::And => true,
                Last::Tens => (1..10).contains(&u),
                _ => false,
            };
            if !ok || (u == 0 && last != Last::Start) {
                break;
            }
            cur += u;
            last = match (last, u) {
                (Last::Tens, _) => Last::TensUnit,
                (_, 0..=9) => Last::Unit,
                _ => Last::Teen,
            };
        } else if let Some(v) = tens(w) {
            if !matches!(last, Last::Start | Last::Hundred | Last::Scale | Last::And) {
                break;
            }
            cur += v;
            last = Last::Tens;
        } else if w == "hundred" {
            if !matches!(
                last,
                Last::A | Last::Unit | Last::Teen | Last::Tens | Last::TensUnit
            ) || cur >= 100
            {
                break;
            }
            cur *= 100;
            last = Last::Hundred;
        } else if let Some(sc) = scale(w) {
            let ok = matches!(
                last,
                Last::A | Last::Unit | Last::Teen | Last::Tens | Last::TensUnit | Last::Hundred
            );
            if !ok || cur == 0 || sc >= last_scale {
                break;
            }
            total += cur * sc;
            cur = 0;
            last_scale = sc;
            last = Last::Scale;
        } else if matches!(w, "a" | "an") && last == Last::Start {
            let before_scale =
                word_at(toks, next).is_some_and(|n| n == "hundred" || scale(n).is_some());
            if !before_scale {
                break;
            }
            cur = 1;
            last = Last::A;
        } else if w == "and"
            && matches!(last, Last::Hundred | Last::Scale)
            && starts_cardinal(toks, next)
        {
            last = Last::And;
        } else {
            break;
        }
        j = next;
        if !matches!(last, Last::A | Last::And) {
            done = Some((total + cur, j));
        }
    }
    done
}

/// A fraction word phrase at `i`: "half", "a half", "one half", "a quarter", "quarter", "three quarters".
fn fraction(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    let w = word_at(toks, i)?;
    let (count, j) = match w {
        "a" | "an" => (1.0, i + 1),
        "half" | "quarter" | "quarters" => (1.0, i),
        _ => (unit(w).filter(|&u| (1..10).contains(&u))? as f64, i + 1),
    };
    match word_at(toks, j)? {
        "half" if count == 1.0 => Some((0.5, j + 1)),
        "quarter" if count == 1.0 => Some((0.25, j + 1)),
        "quarters" if count > 1.0 => Some((0.25 * count, j + 1)),
        _ => None,
    }
}

/// "point five", "point oh seven": decimal digits after "point". Returns the fraction and the index after it.
fn decimals(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    if word_at(toks, i)? != "point" {
        return None;
    }
    let mut j = i + 1;
    let mut digits = String::new();
    while let Some(d) = word_at(toks, j).and_then(|w| digit_word(w, true)) {
        digits.push(char::from(b'0' + d as u8));
        j += 1;
    }
    if digits.is_empty()
        && let Some(t) = toks
            .get(j)
            .filter(|t| t.kind == Kind::Num && t.norm.bytes().all(|b| b.is_ascii_digit()))
    {
        digits.push_str(&t.norm);
        j += 1;
    }
    let v: f64 = format!("0.{digits}").parse().ok()?;
    (!digits.is_empty()).then_some((v, j))
}

/// "and a half", "and a quarter", "and three quarters" after a whole number.
fn and_fraction(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    if word_at(toks, i)? != "and" {
        return None;
    }
    fraction(toks, i + 1)
}

/// Longest run of spelt digits read as one number.
const MAX_DIGITS: usize = 24;

/// A run of two or more single digit words ("four four seven one", "two oh four"), separated by spaces or
/// hyphens. The first must be zero..nine; "oh"/"o" count as zero after it. Returns the digits.
pub(crate) fn digit_run(toks: &[Tok<'_>], i: usize) -> Option<(String, usize)> {
    let first = digit_word(word_at(toks, i)?, false)?;
    let mut digits = String::from(char::from(b'0' + first as u8));
    let mut j = i + 1;
    loop {
        let k = if toks.get(j).is_some_and(|t| t.raw == "-") {
            j + 1
        } else {
            j
        };
        match word_at(toks, k).and_then(|w| digit_word(w, true)) {
            // Capped so that scanning every start position stays linear in the text length.
            Some(d) if digits.len() < MAX_DIGITS && !continues_as_cardinal(toks, k) => {
                digits.push(char::from(b'0' + d as u8));
                j = k + 1;
            }
            _ => break,
        }
    }
    (digits.len() >= 2).then_some((digits, j))
}

/// True when the digit word at `k` begins a larger spoken number ("one hundred"), so a digit run stops there.
fn continues_as_cardinal(toks: &[Tok<'_>], k: usize) -> bool {
    word_at(toks, k + 1).is_some_and(|w| w == "hundred" || scale(w).is_some())
}

/// Parses a numeric token: "2.5", "1,200", "4471".
pub(crate) fn num_token(t: &Tok<'_>) -> Option<f64> {
    if t.kind != Kind::Num {
        return None;
    }
    t.norm.replace(',', "").parse::<f64>().ok()
}

/// The longest English number at `i`: a digit run, a cardinal with an optional fraction or decimal part,
/// a bare fraction, or a numeric token (optionally with "and a half" or a scale word).
pub(crate) fn en_number(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    let t = toks.get(i)?;
    if let Some(v) = num_token(t) {
        let mut best = (v, i + 1);
        if let Some((f, j)) = and_fraction(toks, i + 1).filter(|_| v.fract() == 0.0) {
            best = (v + f, j);
        } else if let Some(sc) =
            word_at(toks, i + 1).and_then(|w| scale(w).or((w == "hundred").then_some(100)))
        {
            best = (v * sc as f64, i + 2);
        }
        return Some(best);
    }
    if let Some((digits, j)) = digit_run(toks, i) {
        return Some((digits.parse::<f64>().ok()?, j));
    }
    if let Some((n, j)) = cardinal(toks, i) {
        if let Some((f, k)) = decimals(toks, j).or_else(|| and_fraction(toks, j)) {
            return Some((n as f64 + f, k));
        }
        if let Some((f, k)) = fraction(toks, i).filter(|&(_, k)| k > j) {
            return Some((f, k));
        }
        if word_at(toks, j) == Some("dozen") {
            return Some((n as f64 * 12.0, j + 1));
        }
        return Some((n as f64, j));
    }
    decimals(toks, i)
        .or_else(|| collective(toks, i))
        .or_else(|| fraction(toks, i))
}

/// "a couple of", "a pair of", "a dozen": counts said as nouns.
fn collective(toks: &[Tok<'_>], i: usize) -> Option<(f64, usize)> {
    let j = i + usize::from(matches!(word_at(toks, i)?, "a" | "an"));
    let v = match word_at(toks, j)? {
        "couple" | "pair" if j > i => 2.0,
        "dozen" => 12.0,
        _ => return None,
    };
    let of = v == 2.0 && word_at(toks, j + 1) == Some("of");
    Some((v, j + 1 + usize::from(of)))
}

/// Day-of-month ordinal at `i`: "first".."thirty-first", "twenty first", "3rd", "22nd", "3". Returns 1..=31.
pub(crate) fn ordinal_day(toks: &[Tok<'_>], i: usize) -> Option<(u32, usize)> {
    let t = toks.get(i)?;
    if t.kind == Kind::Num {
        let d: u32 = t.norm.parse().ok().filter(|d| (1..=31).contains(d))?;
        let suffix = toks
            .get(i + 1)
            .filter(|s| s.start == t.end && s.is(&["st", "nd", "rd", "th"]));
        return Some((d, i + 1 + usize::from(suffix.is_some())));
    }
    let w = t.word()?;
    if let Some(d) = ordinal_word(w) {
        return Some((d, i + 1));
    }
    let base = match w {
        "twenty" => 20,
        "thirty" => 30,
        _ => return None,
    };
    let k = if toks.get(i + 1).is_some_and(|t| t.raw == "-") {
        i + 2
    } else {
        i + 1
    };
    let d = word_at(toks, k)
        .and_then(ordinal_word)
        .filter(|&d| d < 10)?;
    Some((base + d, k + 1)).filter(|&(d, _)| d <= 31)
}

fn ordinal_word(w: &str) -> Option<u32> {
    const ORD: [&str; 20] = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
    ];
    ORD.iter()
        .position(|&o| o == w)
        .map(|p| p as u32 + 1)
        .or((w == "thirtieth").then_some(30))
}
