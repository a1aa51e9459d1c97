//! The `archive-bot` command line: parses flags, loads settings, and hands
//! each command to the library. Exit codes: 0 ok, 1 failure, 2 usage.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use archive_bot::config::Config;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "archive-bot",
    version,
    about = "Answers questions about an archive of Chinese news articles, with citations."
)]
struct Cli {
    /// Configuration file (default: config/archive-bot.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the cleaned articles of the corpus.
    Articles {
        /// Corpus directory (default: config `corpus_dir`, `corpus/`).
        #[arg(long, value_name = "DIR")]
        corpus: Option<PathBuf>,
        /// Print one JSON array instead of one line per article.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()).context("loading the configuration")?;
    match cli.command {
        Command::Articles { corpus, json } => {
            let dir = corpus.unwrap_or(config.corpus_dir);
            let loaded = archive_bot::corpus::load(&dir).with_context(|| {
                format!(
                    "reading the corpus directory {} (set --corpus or corpus_dir)",
                    dir.display()
                )
            })?;
            for s in &loaded.skipped {
                tracing::warn!("skipped {}: {}", s.file, s.reason);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&loaded.articles)?);
            } else {
                for a in &loaded.articles {
                    println!(
                        "{}\t{}\t{}\t{}\t{} paragraphs",
                        a.file,
                        a.title,
                        a.source.as_deref().unwrap_or("-"),
                        a.date.as_deref().unwrap_or("-"),
                        a.paragraphs.len()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
