//! The CRM directory seen by extraction: resolve asset tags and customer names, tolerant of recognition
//! errors, and yield vocabulary for the transcriber's initial prompt. The in-memory implementation reads
//! CSV from readers handed in; must not depend on the store, the matcher or any I/O of its own.

use std::io::Read;

/// A customer as the CRM knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// Canonical name ("Acme Foods").
    pub name: String,
    pub contact: Option<String>,
}

/// An asset (piece of equipment) and the customer that owns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    /// Canonical tag: upper case, no spaces ("4471", "HX204").
    pub tag: String,
    /// Canonical customer name.
    pub customer: String,
    pub description: String,
}

/// The answer to an asset lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum AssetLookup {
    Found(Asset),
    /// No exact match, but tags one digit off or with two neighbours swapped: candidates, never a match.
    Candidates(Vec<(Asset, f32)>),
    NotFound,
}

/// Words the transcriber should expect: fed to Whisper as its initial prompt.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vocabulary {
    pub customers: Vec<String>,
    pub tags: Vec<String>,
    pub parts: Vec<String>,
}

impl Vocabulary {
    /// Whisper's initial prompt for a recording in `language` ("en", "zh"; None or "auto" when unknown): a
    /// sentence like the transcript it should produce ("Service report for Acme Foods, ...; asset 4471, ...;
    /// parts: ..."), which biases Whisper towards these spellings without the Title Case a bare list causes.
    /// Names in Chinese script are left out of a prompt for an English recording, where they pull an English
    /// model into Chinese characters. At most `max_chars` characters, cut at an item boundary; empty when no
    /// item fits.
    pub fn prompt(&self, max_chars: usize, language: Option<&str>) -> String {
        let zh = language == Some("zh");
        let latin_only = language.is_some_and(|l| l != "zh" && l != "auto");
        // Each group's label when it opens the list, and when it follows another group.
        let (open, labels, sep, close) = if zh {
            ("维修报告，", [("客户：", "客户："), ("设备：", "；设备："), ("配件：", "；配件：")], "、", "。")
        } else {
            ("Service report for ", [("", ""), ("asset ", "; asset "), ("parts: ", "; parts: ")], ", ", ".")
        };
        let count = |s: &str| s.chars().count();
        let mut body = String::new();
        let mut used = count(open) + count(close);
        for (group, (opening, following)) in [&self.customers, &self.tags, &self.parts].into_iter().zip(labels) {
            let items = group.iter().filter(|i| !(latin_only && i.chars().any(is_cjk)));
            for (i, item) in items.enumerate() {
                let lead = match (i, body.is_empty()) {
                    (0, true) => opening,
                    (0, false) => following,
                    _ => sep,
                };
                let n = count(lead) + count(item);
                if used + n > max_chars {
                    break;
                }
                body.push_str(lead);
                body.push_str(item);
                used += n;
            }
        }
        if body.is_empty() { body } else { format!("{open}{body}{close}") }
    }
}

/// CRM lookups used by extraction. The store implements it over its tables; [`InMemoryDirectory`] for
/// tests and offline use.
pub trait Directory: Send + Sync {
    /// Resolves a spoken tag (any case, spaces allowed).
    fn asset(&self, tag: &str) -> AssetLookup;
    /// Customers whose name matches `name` at or above [`NAME_THRESHOLD`], best first, with their score.
    fn customers(&self, name: &str) -> Vec<(Customer, f32)>;
    /// Names, tags and part names for the transcriber's prompt.
    fn vocabulary(&self) -> Vocabulary;
    /// Every canonical customer name: the matcher scans transcripts for them when no customer cue is said.
    fn customer_names(&self) -> Vec<String> {
        self.vocabulary().customers
    }
}

/// The least score [`name_score`] must give for a spoken name to resolve to a CRM customer.
pub const NAME_THRESHOLD: f32 = 0.84;

/// Lower case, punctuation removed, spaces collapsed; CJK characters kept as they are.
pub fn normalise_name(s: &str) -> String {
    let cleaned: String =
        s.chars().map(|c| if c.is_alphanumeric() { c.to_lowercase().next().unwrap_or(c) } else { ' ' }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How well a spoken name matches a canonical one, 0..1: the mean of Jaro-Winkler and normalised Levenshtein
/// over normalised text (characters, so Chinese names compare by character), or 0.86 when the spoken words
/// are a leading part of the name ("acme" for "Acme Foods", "华联" for "华联超市").
pub fn name_score(spoken: &str, canonical: &str) -> f32 {
    let a = normalise_name(spoken);
    let b = normalise_name(canonical);
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let full = (strsim::jaro_winkler(&a, &b) + strsim::normalized_levenshtein(&a, &b)) / 2.0;
    let a_chars = a.chars().count();
    let cjk = a.chars().any(is_cjk);
    let prefix = b.starts_with(&a)
        && (b[a.len()..].starts_with(' ') || cjk)
        && if cjk { a_chars >= 2 } else { a_chars >= 4 };
    // A Mandarin name of four or more characters with one character misheard ("华联超时", "名德医院").
    let one_char_off = cjk && a_chars >= 4 && a_chars == b.chars().count() && a.chars().zip(b.chars()).filter(|(x, y)| x != y).count() == 1;
    let score = if prefix || one_char_off { full.max(0.86) } else { full };
    score as f32
}

/// True for CJK ideographs (and the CJK punctuation block).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// Upper case with spaces, dots and dashes removed: the form tags are compared in.
pub fn canonical_tag(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect()
}

/// True when `a` and `b` differ in exactly one character, or by one swap of neighbours.
fn one_off(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() != b.len() {
        return false;
    }
    let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    match diffs.as_slice() {
        [_] => true,
        [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
        _ => false,
    }
}

/// Why CSV data was refused: names the table, the row (1-based, header is row 1) and the column.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("{table} CSV: {message}")]
    Csv { table: &'static str, message: String },
    #[error("{table} CSV: missing column `{column}`")]
    MissingColumn { table: &'static str, column: &'static str },
    #[error("{table} CSV row {row}, column `{column}`: {message}")]
    Value { table: &'static str, row: usize, column: &'static str, message: String },
}

/// A directory held in memory, loaded from CSV.
#[derive(Debug, Clone, Default)]
pub struct InMemoryDirectory {
    pub customers: Vec<Customer>,
    pub assets: Vec<Asset>,
    /// Part names for the vocabulary.
    pub parts: Vec<String>,
}

type Rows = Vec<(usize, csv::StringRecord)>;

fn read_table(
    table: &'static str,
    reader: impl Read,
) -> Result<(csv::StringRecord, Rows), DirectoryError> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(reader);
    let csv_err = |e: csv::Error| DirectoryError::Csv { table, message: e.to_string() };
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        rows.push((i + 2, rec.map_err(csv_err)?));
    }
    Ok((headers, rows))
}

fn column(table: &'static str, headers: &csv::StringRecord, name: &'static str) -> Result<usize, DirectoryError> {
    headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case(name))
        .ok_or(DirectoryError::MissingColumn { table, column: name })
}

fn required<'r>(
    table: &'static str,
    row: usize,
    rec: &'r csv::StringRecord,
    idx: usize,
    name: &'static str,
) -> Result<&'r str, DirectoryError> {
    match rec.get(idx) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(DirectoryError::Value { table, row, column: name, message: "empty".into() }),
    }
}

impl InMemoryDirectory {
    /// Loads customers (`name[,contact]`) and assets (`tag,customer,description`). Every asset's customer
    /// must be in the customer table; tags must be unique.
    pub fn from_csv(customers: impl Read, assets: impl Read) -> Result<Self, DirectoryError> {
        let (headers, rows) = read_table("customers", customers)?;
        let name_col = column("customers", &headers, "name")?;
        let contact_col = headers.iter().position(|h| h.eq_ignore_ascii_case("contact"));
        let mut dir = InMemoryDirectory::default();
        for (row, rec) in &rows {
            let name = required("customers", *row, rec, name_col, "name")?.to_string();
            let contact = contact_col.and_then(|c| rec.get(c)).filter(|c| !c.is_empty()).map(str::to_string);
            dir.customers.push(Customer { name, contact });
        }
        let (headers, rows) = read_table("assets", assets)?;
        let tag_col = column("assets", &headers, "tag")?;
        let cust_col = column("assets", &headers, "customer")?;
        let desc_col = column("assets", &headers, "description")?;
        for (row, rec) in &rows {
            let raw_tag = required("assets", *row, rec, tag_col, "tag")?;
            let tag = canonical_tag(raw_tag);
            if tag.is_empty() {
                let message = format!("`{raw_tag}` is not a tag");
                return Err(DirectoryError::Value { table: "assets", row: *row, column: "tag", message });
            }
            if dir.assets.iter().any(|a| a.tag == tag) {
                let message = format!("duplicate tag `{tag}`");
                return Err(DirectoryError::Value { table: "assets", row: *row, column: "tag", message });
            }
            let customer = required("assets", *row, rec, cust_col, "customer")?;
            if !dir.customers.iter().any(|c| c.name == customer) {
                let message = format!("unknown customer `{customer}` (not in the customers CSV)");
                return Err(DirectoryError::Value { table: "assets", row: *row, column: "customer", message });
            }
            let description = rec.get(desc_col).unwrap_or("").to_string();
            dir.assets.push(Asset { tag, customer: customer.to_string(), description });
        }
        Ok(dir)
    }
}

impl InMemoryDirectory {
    /// Adds part names for the vocabulary (the CRM CSVs carry none).
    pub fn with_parts(mut self, parts: impl IntoIterator<Item = String>) -> Self {
        self.parts.extend(parts);
        self
    }
}

impl Directory for InMemoryDirectory {
    fn asset(&self, tag: &str) -> AssetLookup {
        let tag = canonical_tag(tag);
        if let Some(a) = self.assets.iter().find(|a| a.tag == tag) {
            return AssetLookup::Found(a.clone());
        }
        let candidates: Vec<(Asset, f32)> =
            self.assets.iter().filter(|a| one_off(&a.tag, &tag)).map(|a| (a.clone(), 0.5)).collect();
        if candidates.is_empty() { AssetLookup::NotFound } else { AssetLookup::Candidates(candidates) }
    }

    fn customers(&self, name: &str) -> Vec<(Customer, f32)> {
        let mut out: Vec<(Customer, f32)> = self
            .customers
            .iter()
            .map(|c| (c.clone(), name_score(name, &c.name)))
            .filter(|(_, s)| *s >= NAME_THRESHOLD)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }

    fn customer_names(&self) -> Vec<String> {
        self.customers.iter().map(|c| c.name.clone()).collect()
    }

    fn vocabulary(&self) -> Vocabulary {
        Vocabulary {
            customers: self.customers.iter().map(|c| c.name.clone()).collect(),
            tags: self.assets.iter().map(|a| a.tag.clone()).collect(),
            parts: self.parts.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMERS: &str = "name,contact\nAcme Foods,ops@acme.example\nBellview Hospital,\n华联超市,x@y.example\n";
    const ASSETS: &str = "tag,customer,description\n4471,Acme Foods,condenser\nHX204,Bellview Hospital,heat exchanger\n6601,华联超市,冷柜\n";

    fn dir() -> InMemoryDirectory {
        InMemoryDirectory::from_csv(CUSTOMERS.as_bytes(), ASSETS.as_bytes()).unwrap()
    }

    #[test]
    fn exact_tag_is_found_in_any_spelling() {
        let d = dir();
        assert!(matches!(d.asset("hx 204"), AssetLookup::Found(a) if a.customer == "Bellview Hospital"));
        assert!(matches!(d.asset("4471"), AssetLookup::Found(a) if a.tag == "4471"));
    }

    #[test]
    fn one_digit_off_or_swapped_is_a_candidate_not_a_match() {
        let d = dir();
        for spoken in ["4481", "4417", "HX214"] {
            match d.asset(spoken) {
                AssetLookup::Candidates(c) => assert_eq!(c.len(), 1, "{spoken}"),
                other => panic!("{spoken}: {other:?}"),
            }
        }
        assert_eq!(d.asset("9999"), AssetLookup::NotFound);
        assert_eq!(d.asset("4147"), AssetLookup::NotFound);
    }

    #[test]
    fn customer_names_match_fuzzily() {
        let d = dir();
        assert_eq!(d.customers("acne foods")[0].0.name, "Acme Foods");
        assert_eq!(d.customers("Acme Foods.")[0].1, 1.0);
        assert_eq!(d.customers("belleview hospital")[0].0.name, "Bellview Hospital");
        assert_eq!(d.customers("acme")[0].0.name, "Acme Foods");
        assert_eq!(d.customers("华联")[0].0.name, "华联超市");
        assert_eq!(d.customers("华联超时")[0].0.name, "华联超市");
        assert!(d.customers("华联饭店").is_empty());
        assert!(d.customers("northgate mall").is_empty());
        assert!(d.customers("the").is_empty());
    }

    #[test]
    fn csv_errors_name_row_and_column() {
        let err = InMemoryDirectory::from_csv("name\nAcme\n,\n".as_bytes(), "tag,customer,description\n".as_bytes());
        assert_eq!(err.unwrap_err().to_string(), "customers CSV row 3, column `name`: empty");
        let err = InMemoryDirectory::from_csv("nom\nAcme\n".as_bytes(), ASSETS.as_bytes());
        assert_eq!(err.unwrap_err().to_string(), "customers CSV: missing column `name`");
        let err = InMemoryDirectory::from_csv(CUSTOMERS.as_bytes(), "tag,customer,description\n1,Nobody,x\n".as_bytes());
        assert!(err.unwrap_err().to_string().starts_with("assets CSV row 2, column `customer`: unknown customer"));
        let err = InMemoryDirectory::from_csv(CUSTOMERS.as_bytes(), "tag,customer,description\n1,Acme Foods,x\n1,Acme Foods,y\n".as_bytes());
        assert!(err.unwrap_err().to_string().contains("row 3, column `tag`: duplicate tag"));
        let err = InMemoryDirectory::from_csv(CUSTOMERS.as_bytes(), "tag,customer\n1,Acme Foods\n".as_bytes());
        assert_eq!(err.unwrap_err().to_string(), "assets CSV: missing column `description`");
        let err = InMemoryDirectory::from_csv(CUSTOMERS.as_bytes(), "tag,customer,description\n1\n".as_bytes());
        assert_eq!(err.unwrap_err().to_string(), "assets CSV row 2, column `customer`: empty");
        let err = InMemoryDirectory::from_csv(CUSTOMERS.as_bytes(), "tag,customer,description\n\"a\n".as_bytes());
        assert!(err.unwrap_err().to_string().starts_with("assets CSV"));
    }

    #[test]
    fn vocabulary_prompt_is_cut_at_an_item_boundary() {
        let d = dir().with_parts(["filter drier".to_string()]);
        assert_eq!(d.customer_names(), ["Acme Foods", "Bellview Hospital", "华联超市"]);
        let v = d.vocabulary();
        assert_eq!(
            v.prompt(1000, None),
            "Service report for Acme Foods, Bellview Hospital, 华联超市; asset 4471, HX204, 6601; parts: filter drier."
        );
        assert_eq!(v.prompt(1000, Some("en")), "Service report for Acme Foods, Bellview Hospital; asset 4471, HX204, 6601; parts: filter drier.");
        assert_eq!(v.prompt(1000, Some("zh")), "维修报告，客户：Acme Foods、Bellview Hospital、华联超市；设备：4471、HX204、6601；配件：filter drier。");
        assert_eq!(v.prompt(50, Some("en")), "Service report for Acme Foods, Bellview Hospital.");
        assert!(v.prompt(50, Some("en")).chars().count() <= 50);
        assert_eq!(v.prompt(20, Some("en")), "");
        let tags_only = Vocabulary { tags: vec!["4471".into()], ..Vocabulary::default() };
        assert_eq!(tags_only.prompt(100, Some("en")), "Service report for asset 4471.");
        assert_eq!(Vocabulary::default().prompt(100, None), "");
    }
}
