//! `fieldvoice extract`: transcript text on stdin -> report fields (plain lines or DESIGN.md's JSON).
//! The form, CRM and date flags are shared with `transcribe --extract` through [`ExtractFlags`]. Binary
//! edge only (anyhow here); the library's `extract` must not depend on it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use fieldvoice::extract::{self, ExtractOptions, Extraction, Form, InMemoryDirectory};

/// Flags shared by every command that extracts fields.
#[derive(Debug, Clone, clap::Args)]
pub struct ExtractFlags {
    /// The form to fill (a file in the forms directory, or built in).
    #[arg(long, default_value = "service_report")]
    pub form: String,
    /// "Today" for relative dates, YYYY-MM-DD (default: the local date).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub reference_date: Option<NaiveDate>,
    /// CRM customers CSV (columns name[,contact]); needs --assets.
    #[arg(long, value_name = "CSV", requires = "assets")]
    pub customers: Option<PathBuf>,
    /// CRM assets CSV (columns tag,customer,description); needs --customers.
    #[arg(long, value_name = "CSV", requires = "customers")]
    pub assets: Option<PathBuf>,
    /// Directory of form files overriding the built-in ones.
    #[arg(long, value_name = "DIR", env = "FIELDVOICE_PROMPTS_DIR")]
    pub forms_dir: Option<PathBuf>,
}

/// `fieldvoice extract` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub flags: ExtractFlags,
    /// Transcript language: en or zh (default: detected from the text).
    #[arg(long, value_parser = ["en", "zh"])]
    pub lang: Option<String>,
    /// Print one JSON object (fields, problems, details) instead of lines.
    #[arg(long)]
    pub json: bool,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("`{s}` is not a YYYY-MM-DD date: {e}"))
}

/// The form, directory and reference date the flags name, loaded and checked.
pub struct Extractor {
    pub form: Form,
    pub directory: Option<InMemoryDirectory>,
    pub reference_date: NaiveDate,
    pub lang: Option<String>,
}

impl ExtractFlags {
    /// Loads the form and the CRM files; `lang` is the transcript's language when known (en or zh).
    pub fn load(&self, lang: Option<String>) -> anyhow::Result<Extractor> {
        let form = extract::form::find_form(&self.form, self.forms_dir.as_deref())?;
        let directory = match (&self.customers, &self.assets) {
            (Some(c), Some(a)) => Some(load_directory(c, a)?),
            _ => None,
        };
        let reference_date = self.reference_date.unwrap_or_else(|| chrono::Local::now().date_naive());
        Ok(Extractor { form, directory, reference_date, lang })
    }
}

fn load_directory(customers: &Path, assets: &Path) -> anyhow::Result<InMemoryDirectory> {
    let open = |p: &Path| std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()));
    let (c, a) = (open(customers)?, open(assets)?);
    InMemoryDirectory::from_csv(c, a)
        .with_context(|| format!("bad CRM files {} / {}", customers.display(), assets.display()))
}

impl Extractor {
    /// Runs the form over one transcript.
    pub fn run(&self, text: &str) -> Extraction {
        self.run_with_words(text, &[], None)
    }

    /// Runs the form over a transcript with the transcriber's word confidences (for `transcribe --extract`);
    /// `lang` (the transcriber's language) overrides the one given at load.
    pub fn run_with_words(&self, text: &str, words: &[extract::WordConfidence], lang: Option<&str>) -> Extraction {
        let opts = ExtractOptions {
            language: lang.or(self.lang.as_deref()),
            reference_date: self.reference_date,
            directory: self.directory.as_ref().map(|d| d as &dyn extract::Directory),
            words,
        };
        extract::extract(&self.form, text, &opts)
    }
}

/// Plain output: one `field: value` line per field in form order, then one line per problem.
pub fn plain(form: &Form, e: &Extraction) -> String {
    let mut out = String::new();
    for field in &form.fields {
        if let Some(r) = e.fields.get(&field.name) {
            out.push_str(&format!("{}: {}\n", field.name, r.value));
        }
    }
    for p in &e.problems {
        out.push_str(&format!("problem: {}\n", p.message));
    }
    out
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let extractor = args.flags.load(args.lang)?;
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).context("cannot read stdin")?;
    let Ok(text) = String::from_utf8(bytes) else { bail!("stdin is not UTF-8 text") };
    let extraction = extractor.run(&text);
    if args.json {
        println!("{}", extraction.to_json());
    } else {
        print!("{}", plain(&extractor.form, &extraction));
    }
    Ok(ExitCode::SUCCESS)
}
