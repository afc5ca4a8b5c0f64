//! `fieldvoice crm import customers|assets FILE.csv`: loads CRM data into the store.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use fieldvoice::config::DEFAULT_DATABASE_URL;
use fieldvoice::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CrmCommand,
    /// Database to write to.
    #[arg(long, env = "FIELDVOICE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
}

#[derive(Debug, clap::Subcommand)]
enum CrmCommand {
    /// Import a CSV file: customers (`name,contact`) or assets (`tag,customer,description`).
    Import {
        #[arg(value_enum)]
        table: Table,
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Table {
    Customers,
    Assets,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let CrmCommand::Import { table, file } = args.command;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.display().to_string();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let summary = runtime.block_on(async {
        let store = Store::connect(&args.database_url).await?;
        let summary = match table {
            Table::Customers => store.import_customers(&name, bytes.as_slice()).await?,
            Table::Assets => store.import_assets(&name, bytes.as_slice()).await?,
        };
        store.close().await;
        anyhow::Ok(summary)
    })?;
    println!("{name}: {} inserted, {} updated", summary.inserted, summary.updated);
    Ok(ExitCode::SUCCESS)
}
