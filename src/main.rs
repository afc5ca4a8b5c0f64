//! The `fieldvoice` binary: parses the command line and hands over to `cli`. Nothing else lives here.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
