//! Command-line front end (binary crate only): raw arguments with clap, then each command's `run`.
//! anyhow is used here and nowhere in the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod extract;
mod model;
mod transcribe;

#[derive(Debug, Parser)]
#[command(name = "fieldvoice", version, about = "Voice data entry and IVR for field-service reports")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Transcribe audio files with Whisper.
    Transcribe(transcribe::Args),
    /// Extract report fields from transcript text on stdin.
    Extract(extract::Args),
    /// Fetch, convert and list Whisper models.
    Model(model::Args),
    /// Measure transcription speed and memory.
    Bench(bench::Args),
}

/// Parses the command line and runs the command; errors are printed as one line on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Transcribe(args) => transcribe::run(args),
        Command::Extract(args) => extract::run(args),
        Command::Model(args) => model::run(args),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("fieldvoice: {err:#}");
            ExitCode::FAILURE
        }
    }
}
