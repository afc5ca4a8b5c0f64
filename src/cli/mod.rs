//! Command-line front end (binary crate only): raw arguments with clap, then each command's `run`.
//! anyhow is used here and nowhere in the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod bench_calls;
mod crm;
mod dictate;
mod extract;
mod model;
mod serve;
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
    /// Import CRM data (customers, assets) into the store.
    Crm(crm::Args),
    /// Serve the HTTP API and run job workers.
    Serve(serve::Args),
    /// Dictate a report into the device's microphone; submit it, or queue it until the service is back.
    Dictate(dictate::Args),
    /// Run job workers only (several machines can share one PostgreSQL database).
    Worker(serve::WorkerArgs),
}

/// Parses the command line and runs the command; errors are printed as one line on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Transcribe(args) => transcribe::run(args),
        Command::Extract(args) => extract::run(args),
        Command::Model(args) => model::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Crm(args) => crm::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Worker(args) => serve::run_worker(args),
        Command::Dictate(args) => dictate::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("fieldvoice: {err:#}");
            ExitCode::FAILURE
        }
    }
}
