//! Text helpers for the matcher: byte-length-preserving lower case, sentence and clause splitting, filler
//! and linking-word stripping, English singulars. Pure string code; must not depend on forms or the CRM.

use super::directory::is_cjk;

/// Lower case, char by char, only where the lower-case form has the same UTF-8 length, so byte offsets
/// into the result are byte offsets into the original.
pub fn lower_same_len(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
                _ => c,
            }
        })
        .collect()
}

/// Characters that make up a word (not CJK: each CJK character stands alone).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// The lookup key of the token at `at`: a lower-case word, or one CJK character.
pub fn token_key(lower: &str, at: usize) -> Option<&str> {
    let rest = lower.get(at..)?;
    let first = rest.chars().next()?;
    if is_cjk(first) {
        return Some(&rest[..first.len_utf8()]);
    }
    if !is_word_char(first) {
        return None;
    }
    let end = rest.char_indices().find(|&(_, c)| !is_word_char(c)).map_or(rest.len(), |(i, _)| i);
    Some(&rest[..end])
}

/// Byte offsets where a token starts: a word after a non-word character, or any CJK ideograph.
pub fn token_starts(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev_word = false;
    for (i, c) in text.char_indices() {
        if is_cjk(c) && c.is_alphanumeric() {
            out.push(i);
            prev_word = false;
        } else if is_word_char(c) {
            if !prev_word {
                out.push(i);
            }
            prev_word = true;
        } else {
            prev_word = c == '\'' || c == '’' || (c == '-' && prev_word);
            if prev_word {
                // An apostrophe or hyphen inside a word does not start a new token ("won't", "walk-in").
                continue;
            }
        }
    }
    out
}

/// True when a cue ending at `end` ends on a word boundary.
pub fn ends_on_boundary(lower: &str, end: usize) -> bool {
    match lower.get(end..).and_then(|r| r.chars().next()) {
        None => true,
        Some(c) => !is_word_char(c),
    }
}

/// Sentence ranges (byte offsets, end exclusive). '.' ends a sentence only before a space or the end and
/// not after a dotted letter ("h.x. 204").
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let split = match c {
            '!' | '?' | ';' | '。' | '！' | '？' | '；' | '\n' => true,
            '.' => {
                let next_space = chars.get(k + 1).is_none_or(|&(_, n)| n.is_whitespace());
                let dotted_letter = k >= 2 && chars[k - 1].1.is_alphabetic() && chars[k - 2].1 == '.';
                next_space && !dotted_letter
            }
            _ => false,
        };
        if split {
            let end = i + c.len_utf8();
            if end > start {
                out.push((start, end));
            }
            start = end;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out.into_iter().flat_map(|s| bounded(text, s)).collect()
}

/// Longest sentence the matcher takes in one piece (about 250 words); longer runs are cut at a clause or word
/// boundary, which keeps the work per sentence bounded and the whole linear in the text.
pub const MAX_SENTENCE: usize = 1500;

fn bounded(text: &str, (mut start, end): (usize, usize)) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    while end - start > MAX_SENTENCE {
        let mut cut = start + MAX_SENTENCE;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let piece = &text[start..cut];
        let at = piece
            .rfind([',', '，', ':', '：', '、'])
            .or_else(|| piece.rfind(char::is_whitespace))
            .map(|i| start + i + piece[i..].chars().next().map_or(1, char::len_utf8))
            .filter(|&i| i > start)
            .unwrap_or(cut);
        out.push((start, at));
        start = at;
    }
    out.push((start, end));
    out
}

/// Clause ranges inside a sentence, split at commas and colons (not at a comma between digits).
pub fn clauses(text: &str, (start, end): (usize, usize)) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut cur = start;
    let s = &text[start..end];
    for (i, c) in s.char_indices() {
        if matches!(c, ',' | '，' | ':' | '：') {
            let at = start + i;
            let next = at + c.len_utf8();
            if next > cur {
                out.push((cur, next));
            }
            cur = next;
        }
    }
    if cur < end {
        out.push((cur, end));
    }
    out
}

/// Fillers dropped anywhere in a value.
pub const FILLERS: &[&str] = &["um", "uh", "er", "erm", "uhm", "hmm", "mm", "嗯", "呃", "那个", "啊", "额"];

/// Words that link clauses or fill pauses at the start of a value.
const LEADING: &[&str] = &[
    "so", "okay", "ok", "and", "then", "also", "i", "we", "well", "right", "alright", "now", "just", "plus",
    "um", "uh", "er", "erm", "uhm", "hmm", "mm", "like", "basically", "yeah", "anyway", "after that", "next",
    "嗯", "呃", "那个", "啊", "额", "然后", "就是", "还", "又", "我们", "我", "就", "也", "另外", "还有", "并且", "并", "再",
];

/// Corrections: what follows replaces the value said just before.
pub const CORRECTIONS: &[&str] = &[
    "no wait", "no, wait", "wait", "sorry", "make that", "make it", "actually", "actually make it",
    "actually make that", "i mean", "correction", "scratch that", "no sorry", "or rather", "no",
    "不对", "哦不", "说错了", "更正", "应该是", "改成",
];

/// Closing phrases that carry no field.
const CLOSINGS: &[&str] = &[
    "thanks", "thank you", "that's it", "that's all", "that is all", "over", "end of report", "no follow up needed",
    "no follow up", "no follow-up needed", "no follow-up", "no return visit", "no parts used", "no parts", "nothing else",
    "谢谢", "就这样", "完毕", "不用回访", "无需回访", "没有用配件", "不需要回访",
];

fn is_sep(c: char) -> bool {
    c.is_whitespace() || (c.is_ascii_punctuation() && c != '\'' && c != '-') || "，。：；、！？“”‘’（）".contains(c) || c == '—'
}

/// If `lower[at..]` starts with `word` on a word boundary, the byte length of the match.
pub fn starts_with_word(lower: &str, at: usize, word: &str) -> Option<usize> {
    let rest = lower.get(at..)?;
    // First byte first: most words differ there, and this runs for every word list at every position.
    if rest.as_bytes().first() != word.as_bytes().first() || !rest.starts_with(word) {
        return None;
    }
    let cjk = word.chars().last().is_some_and(is_cjk);
    (cjk || ends_on_boundary(lower, at + word.len())).then_some(word.len())
}

/// Skips separators (spaces, punctuation) from `at`.
pub fn skip_seps(lower: &str, at: usize, end: usize) -> usize {
    let mut i = at;
    while i < end {
        match lower[i..].chars().next() {
            Some(c) if is_sep(c) => i += c.len_utf8(),
            _ => break,
        }
    }
    i
}

/// Skips separators and any of `words` (longest first) from `at`, repeatedly.
pub fn skip_words(lower: &str, mut at: usize, end: usize, words: &[&str]) -> usize {
    loop {
        at = skip_seps(lower, at, end);
        let hit = words.iter().filter_map(|w| starts_with_word(lower, at, w)).max();
        match hit {
            Some(n) if at + n <= end => at += n,
            _ => return at,
        }
    }
}

/// Skips linking words and fillers at the start of a value.
pub fn skip_leading(lower: &str, at: usize, end: usize) -> usize {
    skip_words(lower, at, end, LEADING)
}

/// Skips a correction marker at `at`; `None` when there is none.
pub fn skip_correction(lower: &str, at: usize, end: usize) -> Option<usize> {
    let from = skip_words(lower, at, end, FILLERS);
    let after = skip_words(lower, from, end, CORRECTIONS);
    (after > from).then_some(after)
}

/// Linking words and fillers that end a value only because the next clause starts after them.
const TRAILING_EN: &[&str] = &["and", "then", "but", "so", "um", "uh", "er", "erm", "also", "i", "we", "plus"];
const TRAILING_ZH: &[&str] = &["然后", "我们", "我", "就", "还", "又", "也", "并", "和", "再", "还有", "另外", "嗯", "呃", "那个"];

/// Trims separators and trailing linking words off the end of a range.
pub fn trim_end(lower: &str, start: usize, mut end: usize) -> usize {
    loop {
        while end > start {
            match lower[..end].chars().next_back() {
                Some(c) if is_sep(c) => end -= c.len_utf8(),
                _ => break,
            }
        }
        let word_start = lower[start..end]
            .rfind(|c: char| !is_word_char(c))
            .map_or(start, |i| start + i + lower[start + i..].chars().next().map_or(1, char::len_utf8));
        let last = &lower[word_start..end];
        let zh_tail = TRAILING_ZH.iter().find(|w| lower[start..end].ends_with(**w) && end - w.len() > start);
        if word_start > start && TRAILING_EN.contains(&last) {
            end = word_start;
        } else if let Some(w) = zh_tail {
            end -= w.len();
        } else {
            return end;
        }
    }
}

/// The words of a range without fillers, joined with the original spacing and punctuation between them.
pub fn clean_value(text: &str, lower: &str, start: usize, end: usize) -> String {
    let mut out = String::new();
    let mut i = start;
    while i < end {
        if (i == start || !lower[..i].chars().next_back().is_some_and(is_word_char))
            && let Some(n) = FILLERS.iter().filter_map(|w| starts_with_word(lower, i, w)).max()
            && i + n <= end
        {
            i = skip_seps(lower, i + n, end);
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    let out = out.trim_matches(|c: char| is_sep(c)).to_string();
    // Collapse ", ," left behind by removed fillers.
    let mut collapsed = String::with_capacity(out.len());
    for part in out.split_whitespace() {
        if !collapsed.is_empty() {
            if part == "," || collapsed.ends_with(',') && part.starts_with(',') {
                continue;
            }
            collapsed.push(' ');
        }
        collapsed.push_str(part);
    }
    collapsed
}

/// True when a range holds nothing but separators, fillers, linking words and closings.
pub fn is_empty_talk(lower: &str, start: usize, end: usize) -> bool {
    let mut at = start;
    loop {
        let next = skip_words(lower, skip_leading(lower, at, end), end, CLOSINGS);
        let next = skip_words(lower, next, end, CORRECTIONS);
        if next == at {
            return trim_end(lower, at, end) <= at;
        }
        at = next;
    }
}

/// An English plural made singular ("filter driers" -> "filter drier", "batteries" -> "battery").
pub fn singular(word: &str) -> String {
    let w = word;
    let keep = ["ss", "us", "is", "as", "ics", "series"];
    if w.chars().count() <= 3 || keep.iter().any(|k| w.ends_with(k)) {
        return w.to_string();
    }
    if let Some(stem) = w.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["ches", "shes", "xes", "zes", "sses"] {
        if w.ends_with(suffix) {
            return w[..w.len() - 2].to_string();
        }
    }
    w.strip_suffix('s').unwrap_or(w).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_keep_dotted_letters_and_decimals() {
        let t = "Unit h.x. 204. Labor 1.5 hours! Done";
        let s: Vec<&str> = sentences(t).iter().map(|&(a, b)| &t[a..b]).collect();
        assert_eq!(s, ["Unit h.x. 204.", " Labor 1.5 hours!", " Done"]);
        let t = "在设备6601。换了皮带；完成";
        assert_eq!(sentences(t).len(), 3);
    }

    #[test]
    fn long_runs_are_cut_at_clause_or_word_boundaries() {
        let t = "word, ".repeat(1000);
        let s = sentences(&t);
        assert!(s.len() > 1 && s.iter().all(|&(a, b)| b - a <= MAX_SENTENCE && t[..b].trim_end().ends_with(',')));
        assert_eq!(s.first().map(|p| p.0), Some(0));
        assert_eq!(s.last().map(|p| p.1), Some(t.len()));
        let t = "字".repeat(2000);
        let s = sentences(&t);
        assert!(s.len() > 1 && s.windows(2).all(|w| w[0].1 == w[1].0));
    }

    #[test]
    fn clauses_split_at_commas_and_colons() {
        let t = "Parts used: two, and one. 好，的";
        let c: Vec<&str> = clauses(t, (0, t.len())).iter().map(|&(a, b)| &t[a..b]).collect();
        assert_eq!(c, ["Parts used:", " two,", " and one. 好，", "的"]);
    }

    #[test]
    fn values_lose_fillers_and_leading_links() {
        let t = "Um, so the, uh, the agitator wouldn't start and";
        let l = lower_same_len(t);
        let s = skip_leading(&l, 0, t.len());
        let e = trim_end(&l, s, t.len());
        assert_eq!(clean_value(t, &l, s, e), "the, the agitator wouldn't start");
        assert!(is_empty_talk("okay so, um, thanks.", 0, 20));
        assert!(!is_empty_talk("compressor tripping", 0, 19));
    }

    #[test]
    fn singulars() {
        for (p, s) in [("driers", "drier"), ("fuses", "fuse"), ("batteries", "battery"), ("brushes", "brush"),
            ("glass", "glass"), ("boxes", "box"), ("gas", "gas"), ("bearings", "bearing"), ("switches", "switch")] {
            assert_eq!(singular(p), s);
        }
    }

    #[test]
    fn tokens_and_keys() {
        let t = "won't walk-in 设备 x";
        let starts = token_starts(t);
        let keys: Vec<&str> = starts.iter().filter_map(|&i| token_key(t, i)).collect();
        assert_eq!(keys, ["won", "walk", "设", "备", "x"]);
    }
}
