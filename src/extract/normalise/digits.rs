//! Asset tags and digit strings as Whisper writes them: "4471", "4.71", "4 4 7 1", "four, four, seven, one",
//! "44 71", "forty four seventy one", "H X two zero four", "h.x. 204", "hotel x-ray 204", "四四七一", "幺二零九",
//! "HX二零四". Output is upper case letters and digits, never a decimal. Pure; depends on the tokeniser only.

use super::Found;
use super::number::{cardinal, digit_word};
use super::token::{Kind, Tok, tokenize, trimmed};
use super::zh::{digit_seq, han_run, positional, zh_digit};

/// Whole-input parsing accepts more than searching running text does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Whole,
    Find,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Elem {
    /// One digit (a spelt digit or a one-digit group): commas may join these in running text.
    Digit,
    /// Several digits.
    Digits,
    Letters,
    /// A NATO word: in running text only next to another letter ("hotel x-ray 204", not "hotel 4").
    Nato,
}

fn is_letters(kind: Elem) -> bool {
    matches!(kind, Elem::Letters | Elem::Nato)
}

const NATO: [&str; 26] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
];

/// Letter names, accepted only when the whole input is a tag ("aitch ex two zero four").
fn letter_name(w: &str) -> Option<char> {
    Some(match w {
        "aitch" | "haitch" => 'H',
        "ex" => 'X',
        "bee" => 'B',
        "cee" | "see" => 'C',
        "dee" => 'D',
        "ef" | "eff" => 'F',
        "gee" => 'G',
        "jay" => 'J',
        "kay" => 'K',
        "el" | "ell" => 'L',
        "em" => 'M',
        "en" => 'N',
        "pee" => 'P',
        "cue" | "queue" => 'Q',
        "ar" => 'R',
        "ess" => 'S',
        "tee" => 'T',
        "vee" => 'V',
        "why" => 'Y',
        "zed" | "zee" => 'Z',
        _ => return None,
    })
}

/// Words after which a number is a quantity, not a tag ("two hours"): such an element never joins a tag.
fn unit_word(t: &Tok<'_>) -> bool {
    t.is(&[
        "hour", "hours", "hr", "hrs", "minute", "minutes", "min", "mins", "day", "days", "week",
        "weeks", "month", "months", "year", "years", "percent", "am", "pm", "o'clock", "times",
    ]) || t
        .han()
        .is_some_and(|c| "个天周月年小分号点次台件岁".contains(c))
}

fn nato(toks: &[Tok<'_>], i: usize) -> Option<(char, usize)> {
    let w = toks.get(i)?.word()?;
    if w == "x"
        && toks.get(i + 1).is_some_and(|t| t.raw == "-")
        && toks.get(i + 2).is_some_and(|t| t.is(&["ray"]))
    {
        return Some(('X', i + 3));
    }
    let w = if w == "juliett" {
        "juliet"
    } else if w == "whisky" {
        "whiskey"
    } else {
        w
    };
    NATO.contains(&w)
        .then(|| (w.chars().next().unwrap_or('X').to_ascii_uppercase(), i + 1))
}

/// One tag element at `i`: its text, kind and the index after it.
fn element(toks: &[Tok<'_>], i: usize, mode: Mode) -> Option<(String, Elem, usize)> {
    let t = toks.get(i)?;
    match t.kind {
        Kind::Num if mode == Mode::Find && super::is_ordinal_suffix(toks, i) => None,
        Kind::Num => {
            let mut s: String = t.norm.chars().filter(char::is_ascii_digit).collect();
            // Whisper renders "four four seven one" as "4.71": a point after a single leading digit in a tag
            // stands for that digit said twice (seen with espeak-ng speech; see MODELS.md). A tag is never decimal.
            if let [d, b'.', rest @ ..] = t.norm.as_bytes()
                && !rest.is_empty()
                && rest.iter().all(u8::is_ascii_digit)
            {
                s.insert(0, char::from(*d));
            }
            let kind = if s.len() == 1 {
                Elem::Digit
            } else {
                Elem::Digits
            };
            Some((s, kind, i + 1))
        }
        Kind::Han => {
            let chars = han_run(toks, i);
            if let Some((s, n)) = digit_seq(&chars) {
                return Some((s, Elem::Digits, i + n));
            }
            let (v, n) = positional(&chars)?;
            if n == 1 {
                let d = zh_digit(chars[0])?;
                return Some((d.to_string(), Elem::Digit, i + 1));
            }
            Some((v.to_string(), Elem::Digits, i + n))
        }
        Kind::Punct => None,
        Kind::Word => word_element(toks, i, mode),
    }
}

fn word_element(toks: &[Tok<'_>], i: usize, mode: Mode) -> Option<(String, Elem, usize)> {
    let t = &toks[i];
    let w = t.norm.as_ref();
    if matches!(w, "double" | "triple") {
        if toks.get(i + 1).is_some_and(|n| n.is(&["double", "triple"])) {
            return None;
        }
        let (d, kind, j) = element(toks, i + 1, mode)?;
        if kind != Elem::Digit {
            return None;
        }
        return Some((d.repeat(if w == "double" { 2 } else { 3 }), Elem::Digits, j));
    }
    if let Some(d) = digit_word(w, true) {
        let continues = toks
            .get(i + 1)
            .and_then(|n| n.word())
            .is_some_and(|n| n == "hundred" || n == "thousand");
        if !continues {
            return Some((d.to_string(), Elem::Digit, i + 1));
        }
    }
    if let Some((v, j)) = cardinal(toks, i) {
        let kind = if v < 10 { Elem::Digit } else { Elem::Digits };
        return Some((v.to_string(), kind, j));
    }
    if let Some((c, j)) = nato(toks, i) {
        return Some((c.to_string(), Elem::Nato, j));
    }
    let after_num = i > 0 && toks[i - 1].end == t.start && toks[i - 1].kind == Kind::Num;
    if after_num && t.is(&["st", "nd", "rd", "th", "am", "pm"]) {
        return None;
    }
    let upper = t.raw.chars().all(|c| c.is_ascii_uppercase());
    // Letters glued before digits ("hx204"); after digits only in capitals ("204B", not "5kg").
    let glued = toks
        .get(i + 1)
        .is_some_and(|n| n.start == t.end && matches!(n.kind, Kind::Num | Kind::Han))
        || (after_num && upper);
    let dotted = toks
        .get(i + 1)
        .is_some_and(|n| n.raw == "." && n.start == t.end);
    let letters = t.raw.chars().all(|c| c.is_ascii_alphabetic());
    // "A" and "I" are words in running text unless another single capital follows ("A C twelve").
    let capital_next = toks.get(i + 1).is_some_and(|n| {
        n.kind == Kind::Word && n.raw.len() == 1 && n.raw.chars().all(|c| c.is_ascii_uppercase())
    });
    let ok = match mode {
        Mode::Whole => letters && t.raw.len() <= 4,
        Mode::Find => {
            letters
                && t.raw.len() <= 4
                && (glued
                    || (upper && (!matches!(t.raw, "A" | "I") || capital_next))
                    || (dotted && t.raw.len() == 1))
        }
    };
    if mode == Mode::Whole
        && let Some(c) = letter_name(w)
    {
        return Some((c.to_string(), Elem::Letters, i + 1));
    }
    ok.then(|| (t.raw.to_ascii_uppercase(), Elem::Letters, i + 1))
}

/// Skips separators that join elements; returns the index where the next element may start.
fn separator(toks: &[Tok<'_>], mut i: usize, prev: Elem, mode: Mode) -> usize {
    while let Some(j) = one_separator(toks, i, prev, mode).filter(|&j| j > i) {
        i = j;
    }
    i
}

fn one_separator(toks: &[Tok<'_>], i: usize, prev: Elem, mode: Mode) -> Option<usize> {
    let t = toks.get(i)?;
    let joins = match t.kind {
        Kind::Punct => match t.raw {
            "-" | "–" | "_" => true,
            "/" => mode == Mode::Whole,
            "," | "，" | "、" => mode == Mode::Whole || prev == Elem::Digit,
            "." | "·" => {
                let tight = i > 0
                    && toks[i - 1].end == t.start
                    && toks.get(i + 1).is_some_and(|n| n.start == t.end);
                mode == Mode::Whole || is_letters(prev) || tight
            }
            _ => false,
        },
        Kind::Word => {
            t.is(&["dash", "hyphen"]) || (mode == Mode::Whole && t.is(&["point", "dot", "space"]))
        }
        _ => return None,
    };
    joins.then_some(i + 1)
}

/// A run of tag elements from `i`: the tag, the index after it and whether it holds any letter.
fn run(toks: &[Tok<'_>], i: usize, mode: Mode) -> Option<(String, usize, bool)> {
    let (mut tag, mut end, mut letters) = (String::new(), i, false);
    let mut j = i;
    let mut digits_seen = false;
    let mut letter_count = 0;
    let mut prev_single_letter = false;
    if mode == Mode::Find && after_weekday_word(toks, i) {
        return None;
    }
    while let Some((s, kind, next)) = element(toks, j, mode) {
        if mode == Mode::Find {
            if toks.get(next).is_some_and(unit_word) {
                break;
            }
            // In running text letters only lead the tag (at most four), or are glued to its digits.
            let glued = toks[j].start == toks[j.saturating_sub(1)].end && j > i;
            if is_letters(kind) && ((digits_seen && !glued) || letter_count + s.len() > 4) {
                break;
            }
            // A NATO word needs a single letter next to it ("hotel x-ray 204", not "Hotel AC12").
            let letter_next = || {
                element(toks, separator(toks, next, kind, mode), mode)
                    .is_some_and(|(l, k, _)| is_letters(k) && l.len() == 1)
            };
            if kind == Elem::Nato && !prev_single_letter && !letter_next() {
                break;
            }
        }
        prev_single_letter = is_letters(kind) && s.len() == 1;
        digits_seen |= !is_letters(kind);
        letters |= is_letters(kind);
        if is_letters(kind) {
            letter_count += s.len();
        }
        tag.push_str(&s);
        end = next;
        j = separator(toks, next, kind, mode);
    }
    (digits_seen && end > i).then_some((tag.to_ascii_uppercase(), end, letters))
}

/// True when token `i` is the day numeral of 周二 / 星期三 / 礼拜一, not a number.
pub(crate) fn after_weekday_word(toks: &[Tok<'_>], i: usize) -> bool {
    i > 0 && toks[i].kind == Kind::Han && toks[i - 1].han().is_some_and(|c| "周期拜".contains(c))
}

fn skip_prefix(toks: &[Tok<'_>]) -> usize {
    let mut i = 0;
    while toks
        .get(i)
        .is_some_and(|t| t.raw == "#" || t.is(&["number", "no", "num", "nr", "tag"]))
    {
        i += 1;
        if toks.get(i).is_some_and(|t| t.raw == "." || t.raw == ":") {
            i += 1;
        }
    }
    i
}

/// Parses input that is wholly an asset tag: "four four seven one", "4.71", "44 71", "H X two zero four",
/// "h.x. 204", "#4471", "number 4471", "四四七一", "幺二零九", "HX二零四". Upper case letters and digits, no
/// separators; None if anything else is in the input or there is no digit.
pub fn parse_tag(s: &str) -> Option<String> {
    let toks = tokenize(s);
    let toks = trimmed(&toks);
    let start = skip_prefix(toks);
    let (tag, end, _) = run(toks, start, Mode::Whole)?;
    (end == toks.len()).then_some(tag)
}

/// Parses input that is wholly a digit string (PIN, ticket number): like [`parse_tag`] without letters.
pub fn parse_digits(s: &str) -> Option<String> {
    let toks = tokenize(s);
    let toks = trimmed(&toks);
    let start = skip_prefix(toks);
    let (tag, end, letters) = run(toks, start, Mode::Whole)?;
    (end == toks.len() && !letters).then_some(tag)
}

/// Every tag-shaped run in running text, left to right, non-overlapping, longest match. A run holds at least
/// one digit; letters lead it (at most four: single capitals, "h.x.", NATO words, short capitalised words) or
/// are glued to its digits ("HX204"); a number followed by a unit ("two hours", "3个") is not part of a tag.
pub fn find_tags(s: &str) -> Vec<Found<String>> {
    let toks = tokenize(s);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match run(&toks, i, Mode::Find) {
            Some((tag, end, _)) => {
                out.push(Found {
                    value: tag,
                    start: toks[i].start,
                    end: toks[end - 1].end,
                });
                i = end;
            }
            None => i += 1,
        }
    }
    out
}
