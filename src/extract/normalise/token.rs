//! Tokeniser shared by the normalisers: words, digit groups, single Han characters and punctuation, each with
//! its byte range. Pure; depends on std only.

use std::borrow::Cow;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Letters (ASCII or other non-Han alphabetic), with inner apostrophes; `norm` is lower case.
    Word,
    /// Arabic digits with inner `.` (before a digit) or thousands `,`; `norm` has full-width digits mapped to ASCII.
    Num,
    /// One Han character (Chinese text has no spaces, so every character is its own token).
    Han,
    /// Any other single non-space character.
    Punct,
}

/// One token with its byte range in the input.
#[derive(Debug, Clone)]
pub(crate) struct Tok<'a> {
    pub kind: Kind,
    /// The original text.
    pub raw: &'a str,
    /// Normalised text (see [`Kind`]).
    pub norm: Cow<'a, str>,
    pub start: usize,
    pub end: usize,
}

impl Tok<'_> {
    /// The word, if this is a word token.
    pub fn word(&self) -> Option<&str> {
        (self.kind == Kind::Word).then_some(self.norm.as_ref())
    }

    /// True for a word token equal to one of `words`.
    pub fn is(&self, words: &[&str]) -> bool {
        self.kind == Kind::Word && words.contains(&self.norm.as_ref())
    }

    /// The Han character, if this is one.
    pub fn han(&self) -> Option<char> {
        if self.kind == Kind::Han {
            self.norm.chars().next()
        } else {
            None
        }
    }
}

/// True for characters written as Han ideographs, including 〇.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{3007}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Whisper writes Traditional characters unless prompted (MODELS.md): the ones our grammars use are mapped to
/// Simplified here, in one place.
pub(crate) fn simplified(c: char) -> char {
    const PAIRS: [(char, char); 24] = [
        ('兩', '两'),
        ('倆', '俩'),
        ('個', '个'),
        ('時', '时'),
        ('鐘', '钟'),
        ('頭', '头'),
        ('號', '号'),
        ('後', '后'),
        ('週', '周'),
        ('禮', '礼'),
        ('萬', '万'),
        ('億', '亿'),
        ('點', '点'),
        ('這', '这'),
        ('過', '过'),
        ('當', '当'),
        ('幾', '几'),
        ('對', '对'),
        ('沒', '没'),
        ('錯', '错'),
        ('確', '确'),
        ('認', '认'),
        ('問', '问'),
        ('題', '题'),
    ];
    PAIRS.iter().find(|&&(t, _)| t == c).map_or(c, |&(_, s)| s)
}

fn ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + '0' as u32),
        _ => None,
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphabetic() && !is_han(c)
}

/// Splits `s` into tokens; whitespace separates tokens and is dropped.
pub(crate) fn tokenize(s: &str) -> Vec<Tok<'_>> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let end_of = |k: usize| chars.get(k).map_or(s.len(), |&(b, _)| b);
    let mut out = Vec::with_capacity(chars.len() / 3 + 1);
    let mut k = 0;
    while k < chars.len() {
        let (start, c) = chars[k];
        if c.is_whitespace() {
            k += 1;
            continue;
        }
        if ascii_digit(c).is_some() {
            let mut norm = String::new();
            let mut j = k;
            while j < chars.len() {
                let ch = chars[j].1;
                if let Some(d) = ascii_digit(ch) {
                    norm.push(d);
                    j += 1;
                } else if ch == '.'
                    && chars
                        .get(j + 1)
                        .is_some_and(|&(_, n)| ascii_digit(n).is_some())
                {
                    norm.push('.');
                    j += 1;
                } else if ch == ',' && thousands_group(&chars[j + 1..]) && !norm.contains('.') {
                    norm.push(',');
                    j += 1;
                } else {
                    break;
                }
            }
            let raw = &s[start..end_of(j)];
            let norm = if raw.is_ascii() {
                Cow::Borrowed(raw)
            } else {
                Cow::Owned(norm)
            };
            out.push(Tok {
                kind: Kind::Num,
                raw,
                norm,
                start,
                end: end_of(j),
            });
            k = j;
        } else if is_word_char(c) {
            let mut j = k + 1;
            while j < chars.len() {
                let ch = chars[j].1;
                let apostrophe = matches!(ch, '\'' | '\u{2019}')
                    && chars.get(j + 1).is_some_and(|&(_, n)| is_word_char(n));
                if is_word_char(ch) || apostrophe {
                    j += 1;
                } else {
                    break;
                }
            }
            let raw = &s[start..end_of(j)];
            let plain = raw.bytes().all(|b| b.is_ascii_lowercase() || b == b'\'');
            let norm = if plain {
                Cow::Borrowed(raw)
            } else {
                Cow::Owned(raw.to_lowercase().replace('\u{2019}', "'"))
            };
            out.push(Tok {
                kind: Kind::Word,
                raw,
                norm,
                start,
                end: end_of(j),
            });
            k = j;
        } else {
            let kind = if is_han(c) { Kind::Han } else { Kind::Punct };
            let end = end_of(k + 1);
            let simple = simplified(c);
            let raw = &s[start..end];
            out.push(Tok {
                kind,
                raw,
                norm: if simple == c {
                    Cow::Borrowed(raw)
                } else {
                    Cow::Owned(simple.to_string())
                },
                start,
                end,
            });
            k += 1;
        }
    }
    out
}

/// True when `rest` starts with exactly three digits not followed by another digit (a thousands group).
fn thousands_group(rest: &[(usize, char)]) -> bool {
    rest.len() >= 3
        && rest[..3].iter().all(|&(_, c)| ascii_digit(c).is_some())
        && rest.get(3).is_none_or(|&(_, c)| ascii_digit(c).is_none())
}

/// Tokens with leading and trailing punctuation removed, for the whole-input `parse_*` functions.
pub(crate) fn trimmed<'t, 'a>(toks: &'t [Tok<'a>]) -> &'t [Tok<'a>] {
    let first = toks
        .iter()
        .position(|t| t.kind != Kind::Punct || t.raw == "#");
    let Some(first) = first else {
        return &toks[..0];
    };
    let last = toks
        .iter()
        .rposition(|t| t.kind != Kind::Punct)
        .unwrap_or(first);
    &toks[first..=last.max(first)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(Kind, String)> {
        tokenize(s)
            .into_iter()
            .map(|t| (t.kind, t.norm.into_owned()))
            .collect()
    }

    #[test]
    fn splits_words_numbers_han_and_punctuation() {
        use Kind::*;
        let w = |s: &str| (Word, s.to_string());
        let n = |s: &str| (Num, s.to_string());
        let p = |s: &str| (Punct, s.to_string());
        let h = |s: &str| (Han, s.to_string());
        assert_eq!(
            kinds("Forty-five, 2.5 h."),
            vec![
                w("forty"),
                p("-"),
                w("five"),
                p(","),
                n("2.5"),
                w("h"),
                p(".")
            ]
        );
        assert_eq!(
            kinds("1,200 4,5 1,2345"),
            vec![
                n("1,200"),
                n("4"),
                p(","),
                n("5"),
                n("1"),
                p(","),
                n("2345")
            ]
        );
        assert_eq!(
            kinds("设备6601号"),
            vec![h("设"), h("备"), n("6601"), h("号")]
        );
        assert_eq!(kinds("That’s HX204"), vec![w("that's"), w("hx"), n("204")]);
        assert_eq!(kinds("４４７１"), vec![n("4471")]);
        assert_eq!(kinds("12/3"), vec![n("12"), p("/"), n("3")]);
        assert_eq!(kinds("4.71."), vec![n("4.71"), p(".")]);
    }

    #[test]
    fn byte_ranges_cover_the_raw_text() {
        let s = "é 设 x1,000.5 ,";
        for t in tokenize(s) {
            assert_eq!(&s[t.start..t.end], t.raw);
        }
    }

    #[test]
    fn trimmed_drops_edge_punctuation() {
        let toks = tokenize("  (two) ");
        assert_eq!(trimmed(&toks).len(), 1);
        assert!(trimmed(&tokenize("?!")).is_empty());
    }
}
