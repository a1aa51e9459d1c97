//! The command line's definitions (clap): commands, flags and their help
//! text, and where the corpus and the index are. What each command does is
//! in [`commands`].

use std::path::PathBuf;

use archive_bot::config::Config;
use archive_bot::index::store;
use archive_bot::query::Filter;
use archive_bot::script::Script;
use clap::{Args, Parser, Subcommand};

pub mod commands;

#[derive(Debug, Parser)]
#[command(
    name = "archive-bot",
    version,
    about = "Answers questions about an archive of Chinese news articles, with citations."
)]
pub struct Cli {
    /// Configuration file (default: config/archive-bot.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the corpus and the index are.
#[derive(Debug, Args)]
pub struct Paths {
    /// Corpus directory (default: config `corpus_dir`, `corpus/`).
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// Index directory (default: config `index_dir`, `data/index/`). Given
    /// alone, the index is used as built, checked against the corpus its
    /// manifest names when that still exists.
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
}

/// Where the corpus and the index are, resolved against the configuration.
#[derive(Debug, Clone)]
pub struct Location {
    /// The corpus to check against and build from, if any is known.
    pub corpus_dir: Option<PathBuf>,
    pub index_dir: PathBuf,
}

impl Paths {
    /// Resolves the flags against the configured defaults: `--index` alone
    /// means "that index, checked against the corpus its manifest names".
    pub fn locate(self, config: &Config) -> Location {
        match (self.corpus, self.index) {
            (None, Some(index_dir)) => Location {
                corpus_dir: store::built_from(&index_dir),
                index_dir,
            },
            (corpus, index) => Location {
                corpus_dir: Some(corpus.unwrap_or_else(|| config.corpus_dir.clone())),
                index_dir: index.unwrap_or_else(|| config.index_dir.clone()),
            },
        }
    }
}

/// Which articles may answer (a period or source named in the question
/// applies too).
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only articles dated on or after this day (YYYY-MM-DD). Undated
    /// articles are kept unless --dated-only.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    since: Option<String>,
    /// Only articles dated on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    until: Option<String>,
    /// Only articles from this source, as `articles` lists it.
    #[arg(long, value_name = "NAME")]
    source: Option<String>,
    /// With --since/--until, also drop articles that state no date.
    #[arg(long)]
    dated_only: bool,
}

impl FilterArgs {
    pub fn filter(self) -> Filter {
        Filter {
            since: self.since,
            until: self.until,
            source: self.source,
            dated_only: self.dated_only,
        }
    }
}

/// A day as `YYYY-MM-DD`.
fn parse_date(s: &str) -> Result<String, String> {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = s.split('-').collect();
    let written = parts.len() == 3 && parts[0].len() == 4 && parts.iter().all(|p| digits(p));
    match written.then(|| archive_bot::date::valid_date(s)).flatten() {
        Some(day) => Ok(day),
        None => Err(format!(
            "expected a calendar day between 1900 and 2100 as YYYY-MM-DD, got {s:?}"
        )),
    }
}

/// `--script`: the library's [`Script`], or `auto` for the question's.
/// Only the command line names the choice; the library takes `Option<Script>`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScriptArg {
    /// The question's script.
    Auto,
    /// The archive's own script, as published.
    Original,
    Simplified,
    Traditional,
}

impl ScriptArg {
    pub fn script(self) -> Option<Script> {
        match self {
            ScriptArg::Auto => None,
            ScriptArg::Original => Some(Script::Original),
            ScriptArg::Simplified => Some(Script::Simplified),
            ScriptArg::Traditional => Some(Script::Traditional),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring the search index up to date: only added, changed and removed
    /// files are processed (in a new generation, then swapped in).
    Index {
        #[command(flatten)]
        paths: Paths,
        /// Rebuild everything from scratch instead.
        #[arg(long)]
        full: bool,
    },
    /// Print the best passages for a query.
    Search {
        #[command(flatten)]
        paths: Paths,
        /// Print JSON: an array of {rank,file,title,source,date,passage,score}.
        #[arg(long)]
        json: bool,
        /// How many passages (at most 1000).
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// List whole articles instead of passages, 10 a page, as the bot's
        /// /search does: by relevance for words, newest first for filters
        /// alone; periods, sources and authors may be written in the query
        /// (`search --articles "新京报 2019年9月"`). An empty query lists all.
        #[arg(long)]
        articles: bool,
        /// With --articles: the page to print (from 1).
        #[arg(long, default_value_t = 1, value_name = "N")]
        page: usize,
        #[command(flatten)]
        filter: FilterArgs,
        /// The query; `-` reads one query per line from standard input.
        query: String,
    },
    /// Answer a question from the archive, with citations.
    Ask {
        #[command(flatten)]
        paths: Paths,
        /// Print one JSON object per question.
        #[arg(long)]
        json: bool,
        /// Script of the reply: the question's (auto), the archive's, or a fixed one.
        #[arg(long, value_enum, default_value_t = ScriptArg::Auto)]
        script: ScriptArg,
        #[command(flatten)]
        filter: FilterArgs,
        /// The question; `-` reads one question per line from standard
        /// input. A question starting with `-` goes after `--`.
        question: String,
    },
    /// Measure speed and memory: build from scratch, restart, ask.
    Bench {
        /// Corpus directory (default: config `corpus_dir`, `corpus/`).
        #[arg(long, value_name = "DIR")]
        corpus: Option<PathBuf>,
        /// Questions: JSONL with a "q" field per line (as for `eval`).
        #[arg(long, value_name = "FILE")]
        questions: PathBuf,
        /// Where the temporary index is built (default: the system's temporary directory).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measure answer and retrieval quality on a JSONL question set.
    Eval {
        #[command(flatten)]
        paths: Paths,
        /// Questions the archive cannot answer (counted as refused when uncited).
        #[arg(long, value_name = "FILE")]
        no_answer: Option<PathBuf>,
        /// List every miss.
        #[arg(long)]
        verbose: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Questions about the collection: {"kind","q","files","exact","count"}
        /// per line (kinds list, count, top, topic, none), scored beside the
        /// fact questions.
        #[arg(long, value_name = "FILE")]
        collection: Option<PathBuf>,
        /// Write the learned models' training rows to FILE instead of
        /// reporting (see bench/train/README.md).
        #[arg(long, value_name = "FILE")]
        features: Option<PathBuf>,
        /// Questions: {"id","q","file","answer":[...]} per line.
        file: Option<PathBuf>,
    },
    /// Run the Telegram bot (long polling) until SIGTERM or Ctrl-C. Token
    /// from TELOXIDE_TOKEN or the configured token_file; API server from
    /// TELOXIDE_API_URL when set.
    Serve {
        #[command(flatten)]
        paths: Paths,
        /// Webhook mode: the public HTTPS URL Telegram posts updates to
        /// (default: config `webhook_url`; none: long polling). The server
        /// listens on `webhook_listen`.
        #[arg(long, value_name = "URL")]
        webhook: Option<String>,
    },
    /// Exit 0 when the index opens and a running `serve` beat its heartbeat
    /// (data_dir/heartbeat) within the last minute; else print why, exit 1.
    /// For container health checks.
    Health {
        /// Index directory (default: config `index_dir`).
        #[arg(long, value_name = "DIR")]
        index: Option<PathBuf>,
    },
    /// List the cleaned articles of the corpus.
    Articles {
        /// Corpus directory (default: config `corpus_dir`, `corpus/`).
        #[arg(long, value_name = "DIR")]
        corpus: Option<PathBuf>,
        /// Print one JSON array instead of one line per article.
        #[arg(long)]
        json: bool,
        /// List what each cleaning rule removed instead (file, rule, text;
        /// with --json an array of {file,rule,text}), to audit the cleaning.
        #[arg(long)]
        removed: bool,
    },
}

impl Command {
    /// Whether it runs long enough for log timestamps to matter.
    pub fn is_long_running(&self) -> bool {
        matches!(self, Command::Serve { .. })
    }

    /// Whether it builds an index from scratch (and keeps glibc's default
    /// allocator settings: see `keep_large_allocations_mapped`).
    pub fn builds(&self) -> bool {
        matches!(self, Command::Index { .. } | Command::Bench { .. })
    }
}

/// An error in what the user typed (exit code 2, like clap's).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn an_index_alone_is_checked_against_the_corpus_it_names_while_that_exists() {
        let corpus = tempfile::tempdir().unwrap();
        std::fs::write(corpus.path().join("a.txt"), "标题\n正文内容在这里。\n").unwrap();
        let data = tempfile::tempdir().unwrap();
        let index_dir = data.path().join("index");
        store::build(corpus.path(), &index_dir, &|_, _| {}).unwrap();
        let alone = || Paths {
            corpus: None,
            index: Some(index_dir.clone()),
        };
        let loc = alone().locate(&Config::default());
        assert_eq!(loc.corpus_dir, Some(corpus.path().canonicalize().unwrap()));
        drop(corpus);
        assert_eq!(alone().locate(&Config::default()).corpus_dir, None);
        let both = Paths {
            corpus: None,
            index: None,
        };
        let loc = both.locate(&Config::default());
        assert_eq!(loc.corpus_dir.as_deref(), Some(Path::new("corpus")));
        assert_eq!(loc.index_dir, Path::new("data/index"));
    }

    #[test]
    fn dates_are_calendar_days() {
        assert_eq!(parse_date("2020-02-29").as_deref(), Ok("2020-02-29"));
        assert!(parse_date("2020-13-01").is_err());
        assert!(parse_date("2020-1-1x").is_err());
    }
}
