//! The `archive-bot` command line: parses flags, loads settings, and hands
//! each command to the library. Exit codes: 0 ok, 1 failure, 2 usage, 3 a
//! configuration error of `serve` (token missing or refused).

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use archive_bot::answer::AskOptions;
use archive_bot::config::Config;
use archive_bot::engine::Engine;
use archive_bot::index::store::{self, Location};
use archive_bot::query::{Filter, MAX_QUESTION_CHARS};
use archive_bot::render;
use archive_bot::script::Script;
use clap::{Args, Parser, Subcommand};

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

/// Where the corpus and the index are.
#[derive(Debug, Args)]
struct Paths {
    /// Corpus directory (default: config `corpus_dir`, `corpus/`).
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// Index directory (default: config `index_dir`, `data/index/`). Given
    /// alone, the index is used as built, checked against the corpus its
    /// manifest names when that still exists.
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
}

/// Which articles may answer (a period or source named in the question
/// applies too).
#[derive(Debug, Args)]
struct FilterArgs {
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
    fn filter(self) -> Filter {
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
enum ScriptArg {
    /// The question's script.
    Auto,
    /// The archive's own script, as published.
    Original,
    Simplified,
    Traditional,
}

impl ScriptArg {
    fn script(self) -> Option<Script> {
        match self {
            ScriptArg::Auto => None,
            ScriptArg::Original => Some(Script::Original),
            ScriptArg::Simplified => Some(Script::Simplified),
            ScriptArg::Traditional => Some(Script::Traditional),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if !matches!(cli.command, Command::Index { .. } | Command::Bench { .. }) {
        keep_large_allocations_mapped();
    }
    init_logging(is_long_running(&cli.command));
    match run(cli) {
        Ok(code) => code,
        // `archive-bot search … | head`: the reader has all it wanted.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            if e.downcast_ref::<Usage>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Pins glibc's mmap threshold at 1 MiB for the commands that answer.
///
/// glibc raises the threshold to the size of any mapped block that is freed
/// (up to 32 MiB), so after the corpus check frees its file list (tens of
/// MB for a large archive) every later large buffer comes from the heap and
/// stays there: measured at 200,000 articles, the answering process's peak
/// RSS then varied from 266 to 308 MB between identical runs; pinned, it is
/// 248 MB every time. The build keeps the default (pinned, it ran up to 10%
/// slower: its large buffers come and go).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_allocations_mapped() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists, and a refusal (return 0) changes nothing.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_allocations_mapped() {}

/// An error in what the user typed (exit code 2, like clap's).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

/// Whether the failure was writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `context: cause: cause`, leaving out a cause whose text the message
/// before it already ends with (the library's I/O errors show their OS
/// error and also report it as their source).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Whether a command runs long enough for log timestamps to matter.
fn is_long_running(command: &Command) -> bool {
    !matches!(
        command,
        Command::Articles { .. }
            | Command::Health { .. }
            | Command::Index { .. }
            | Command::Search { .. }
            | Command::Ask { .. }
            | Command::Eval { .. }
            | Command::Bench { .. }
    )
}

/// Logs go to stderr (`RUST_LOG` filters them), coloured only on a terminal.
fn init_logging(timestamps: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    if timestamps {
        builder.init();
    } else {
        builder.without_time().init();
    }
}

/// Opens the engine for `paths`, building the index first when needed.
fn open_engine(paths: Paths, config: &Config) -> anyhow::Result<Engine> {
    let loc = Location::resolve(paths.corpus, paths.index, &config.corpus_dir, &config.index_dir);
    let bar = Bar::on_terminal();
    let warn = |msg: &str| tracing::warn!("{msg}");
    let (engine, report) =
        Engine::open_or_build(&loc, &|done, total| bar.update(done, total), &warn).with_context(|| {
            match &loc.corpus_dir {
                Some(c) => format!(
                    "opening the index {} (built from {}; set --index/--corpus or index_dir/corpus_dir)",
                    loc.index_dir.display(),
                    c.display()
                ),
                None => format!(
                    "opening the index {} (no corpus known to rebuild it from: pass --corpus)",
                    loc.index_dir.display()
                ),
            }
        })?;
    bar.finish();
    if let Some(r) = report {
        report_build(&r, &loc.index_dir);
    }
    Ok(engine)
}

/// An indexing progress bar, shown only when stderr is a terminal.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn on_terminal() -> Bar {
        Bar(std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template("indexing {bar:40} {pos}/{len} files") {
                bar.set_style(style);
            }
            bar
        }))
    }

    fn update(&self, done: usize, total: usize) {
        if let Some(bar) = &self.0 {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }

    fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}

/// One warning per corpus file that could not be read as text.
fn warn_skipped(skipped: &[archive_bot::corpus::Skipped]) {
    for s in skipped {
        tracing::warn!("skipped {}: {}", s.file, s.reason);
    }
}

/// The build's summary on stderr, after a warning per skipped file.
fn report_build(r: &store::BuildReport, index_dir: &Path) {
    warn_skipped(&r.skipped);
    let how = if r.incremental {
        format!(
            "updated: {} files indexed, {} removed",
            r.files_indexed, r.files_removed
        )
    } else {
        format!("built: {} files indexed", r.files_indexed)
    };
    eprintln!(
        "{how}; {} articles, {} passages in {:.2} s into {}",
        r.articles,
        r.passages,
        r.seconds,
        index_dir.display()
    );
}

/// Longest line read from standard input, in bytes. Far above any
/// question (see [`MAX_QUESTION_CHARS`]); it only keeps a stray binary
/// file on stdin from being read into memory whole.
const MAX_STDIN_LINE_BYTES: usize = 64 * 1024;
/// Largest question file `eval` reads.
const MAX_QUESTION_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Runs `f` on the argument, or on each line of standard input for `-`.
/// A question longer than [`MAX_QUESTION_CHARS`] is refused, not cut.
fn each_input(arg: &str, f: impl FnMut(&str) -> anyhow::Result<()>) -> anyhow::Result<()> {
    each_input_from(arg, std::io::stdin().lock(), f)
}

fn each_input_from(
    arg: &str,
    mut input: impl BufRead,
    mut f: impl FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if arg != "-" {
        check_length(arg).map_err(|msg| Usage(format!("the question is {msg}")))?;
        return f(arg);
    }
    let mut buf = Vec::new();
    for n in 1.. {
        buf.clear();
        let read = (&mut input)
            .take(MAX_STDIN_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .context("reading standard input")?;
        if read == 0 {
            break;
        }
        if buf.len() > MAX_STDIN_LINE_BYTES {
            anyhow::bail!("standard input, line {n}: longer than {MAX_STDIN_LINE_BYTES} bytes");
        }
        let line = std::str::from_utf8(&buf)
            .map_err(|_| anyhow::anyhow!("standard input, line {n}: not UTF-8 text"))?
            .trim();
        check_length(line).map_err(|msg| anyhow::anyhow!("standard input, line {n}: the question is {msg}"))?;
        f(line)?;
    }
    Ok(())
}

/// `Err("N characters long; at most 300 are allowed")` for an over-long question.
fn check_length(question: &str) -> Result<(), String> {
    let n = question.chars().count();
    if n > MAX_QUESTION_CHARS {
        Err(format!("{n} characters long; at most {MAX_QUESTION_CHARS} are allowed"))
    } else {
        Ok(())
    }
}

/// A JSONL question file (`eval`, `bench`), at most [`MAX_QUESTION_FILE_BYTES`].
fn read_questions(path: &Path) -> anyhow::Result<Vec<archive_bot::eval::Question>> {
    let text = read_limited(path, MAX_QUESTION_FILE_BYTES)?;
    archive_bot::eval::read_questions(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads a whole text file of at most `max` bytes.
fn read_limited(path: &Path, max: u64) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > max {
        anyhow::bail!("{} is larger than {} MiB", path.display(), max / (1024 * 1024));
    }
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))
}

/// `serve`: settings first (a missing token fails before any indexing),
/// then the engine, then the bot on a multi-threaded runtime.
fn serve(paths: Paths, webhook: Option<String>, mut config: Config) -> anyhow::Result<ExitCode> {
    use archive_bot::telegram;
    if webhook.is_some() {
        config.webhook_url = webhook;
    }
    let config = &config;
    let mut settings = match telegram::Settings::from_env(config, |k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => return configuration_error(e),
    };
    let loc = Location::resolve(
        paths.corpus.clone(),
        paths.index.clone(),
        &config.corpus_dir,
        &config.index_dir,
    );
    // With live updates on, an index that opens is served at once and
    // checked against the corpus in the background (stat-ing every file of
    // a large archive takes longer than answering); otherwise it is
    // checked, and built if needed, first.
    let live = config.reload_seconds > 0 && loc.corpus_dir.as_deref().is_some_and(Path::is_dir);
    let engine = match live.then(|| Engine::open(&loc.index_dir)) {
        Some(Ok(engine)) => engine,
        _ => open_engine(paths, config)?,
    };
    let engine = std::sync::Arc::new(engine);
    settings.index_built = telegram::reload::built_at(&loc.index_dir);
    // Live updates need the corpus the index is built from; an index used
    // alone was already warned about by open_engine.
    settings.reload = loc.corpus_dir.map(|corpus_dir| telegram::ReloadSettings {
        corpus_dir,
        index_dir: loc.index_dir.clone(),
        every: std::time::Duration::from_secs(config.reload_seconds),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let graceful = match runtime.block_on(telegram::run_until_signalled(engine, settings)) {
        Ok(graceful) => graceful,
        Err(e) => return configuration_error(e),
    };
    // Replies in flight are finished by now; an index rebuild still running
    // on the blocking pool is abandoned (the next build clears its files)
    // rather than holding up the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    Ok(if graceful {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(130)
    })
}

/// `serve`'s exit code when the configuration is at fault (a missing or
/// refused token, a bad setting): restarting would meet the same error.
const EXIT_CONFIGURATION: u8 = 3;
/// How long `serve` waits before exiting on a configuration error when it
/// is not run from a terminal: a container's restart policy (podman's has
/// no backoff) would otherwise restart it many times a second.
const CONFIGURATION_EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Ends `serve` on a bot error: a configuration error is one line on
/// stderr and [`EXIT_CONFIGURATION`] (after [`CONFIGURATION_EXIT_WAIT`], cut
/// short by SIGTERM or Ctrl-C, unless at a terminal); anything else is an
/// ordinary failure.
fn configuration_error(e: archive_bot::telegram::BotError) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    if !e.is_configuration() {
        return Err(e.into());
    }
    // What to check when Telegram refused the token (the other errors say
    // which setting is wrong).
    let hint = match e {
        archive_bot::telegram::BotError::Call(_) => "; check TELOXIDE_TOKEN (or token_file) and TELOXIDE_API_URL",
        _ => "",
    };
    if std::io::stdin().is_terminal() {
        eprintln!("error: {e}{hint}");
    } else {
        let wait = CONFIGURATION_EXIT_WAIT.as_secs();
        eprintln!(
            "error: {e}{hint} (a configuration error: exiting with code {EXIT_CONFIGURATION} in {wait} s, so a restart policy does not loop)"
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        runtime.block_on(async {
            tokio::select! {
                () = tokio::time::sleep(CONFIGURATION_EXIT_WAIT) => {}
                () = archive_bot::telegram::shutdown_signal() => {}
            }
        });
    }
    Ok(ExitCode::from(EXIT_CONFIGURATION))
}

/// `health`: the index opens and the serving loop beat recently.
fn health(index_dir: &Path, data_dir: &Path) -> anyhow::Result<ExitCode> {
    use archive_bot::telegram::heartbeat;
    let manifest = store::check(index_dir).with_context(|| format!("unhealthy: the index {}", index_dir.display()))?;
    let age = heartbeat::age(data_dir, std::time::SystemTime::now()).map_err(|e| anyhow::anyhow!("unhealthy: {e}"))?;
    if age > heartbeat::MAX_AGE {
        anyhow::bail!(
            "unhealthy: the serving loop last beat {} s ago (more than {} s)",
            age.as_secs(),
            heartbeat::MAX_AGE.as_secs()
        );
    }
    writeln!(
        std::io::stdout(),
        "ok: index {} ({} articles), heartbeat {} s ago",
        index_dir.display(),
        manifest.articles,
        age.as_secs()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the settings and hands the command to its function.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(cli.config.as_deref())?;
    // Every command that reads the corpus reads exports with the configured field names.
    archive_bot::corpus::set_process_options(archive_bot::corpus::Options {
        fields: config.fields.clone(),
    });
    let done = |()| ExitCode::SUCCESS;
    match cli.command {
        Command::Serve { paths, webhook } => serve(paths, webhook, config),
        Command::Health { index } => health(index.as_deref().unwrap_or(&config.index_dir), &config.data_dir),
        Command::Index { paths, full } => index(paths, full, &config).map(done),
        Command::Search {
            paths,
            json,
            articles: true,
            page,
            filter,
            query,
            ..
        } => {
            let opts = AskOptions {
                filter: filter.filter(),
                page: page.saturating_sub(1),
                ..AskOptions::default()
            };
            list_articles(paths, json, &opts, &query, &config).map(done)
        }
        Command::Search {
            paths,
            json,
            top,
            filter,
            query,
            ..
        } => search(paths, json, top, filter.filter(), &query, &config).map(done),
        Command::Ask {
            paths,
            json,
            script,
            filter,
            question,
        } => {
            let opts = AskOptions {
                script: script.script(),
                filter: filter.filter(),
                ..AskOptions::default()
            };
            ask(paths, json, &opts, &question, &config).map(done)
        }
        Command::Eval {
            paths,
            no_answer,
            verbose,
            json,
            collection,
            features,
            file,
        } => eval(
            paths,
            features.as_deref(),
            file.as_deref(),
            collection.as_deref(),
            no_answer.as_deref(),
            verbose,
            json,
            &config,
        )
        .map(done),
        Command::Bench {
            corpus,
            questions,
            work_dir,
            json,
        } => bench(corpus, &questions, work_dir, json, config).map(done),
        Command::Articles { corpus, json, removed } => articles(corpus, json, removed, config).map(done),
    }
}

/// The configuration; a malformed `ARCHIVE_BOT_*` variable is a usage error.
fn load_config(file: Option<&Path>) -> anyhow::Result<Config> {
    match Config::load(file, |k| std::env::var(k).ok()) {
        Ok(c) => Ok(c),
        Err(e @ archive_bot::Error::Env { .. }) => Err(Usage(e.to_string()).into()),
        Err(e) => Err(anyhow::Error::new(e).context("loading the configuration")),
    }
}

/// `index`: bring the index up to date (or rebuild it with `full`).
fn index(paths: Paths, full: bool, config: &Config) -> anyhow::Result<()> {
    let loc = Location::resolve(paths.corpus, paths.index, &config.corpus_dir, &config.index_dir);
    let corpus = loc.corpus_dir.clone().context("no corpus to index: pass --corpus")?;
    let bar = Bar::on_terminal();
    let build = if full { store::build_full } else { store::build };
    let report = build(&corpus, &loc.index_dir, &|done, total| bar.update(done, total))
        .with_context(|| format!("indexing {} into {}", corpus.display(), loc.index_dir.display()))?;
    bar.finish();
    report_build(&report, &loc.index_dir);
    Ok(())
}

/// `search`: the best passages for each query, as TSV or JSON lines.
fn search(paths: Paths, json: bool, top: usize, filter: Filter, query: &str, config: &Config) -> anyhow::Result<()> {
    let engine = open_engine(paths, config)?;
    let mut out = std::io::stdout().lock();
    each_input(query, |q| {
        let rows = engine.search_filtered(q, top, &filter);
        if json {
            writeln!(out, "{}", serde_json::to_string(&rows)?)?;
        } else {
            write!(out, "{}", render::search_tsv(&rows))?;
        }
        Ok(())
    })
}

/// `search --articles`: the articles for each query, as text or JSON lines.
fn list_articles(paths: Paths, json: bool, opts: &AskOptions, query: &str, config: &Config) -> anyhow::Result<()> {
    let engine = open_engine(paths, config)?;
    let mut out = std::io::stdout().lock();
    each_input(query, |q| {
        let answer = engine.list_articles(q, archive_bot::collection::Want::List, opts);
        if json {
            writeln!(out, "{}", serde_json::to_string(&answer)?)?;
        } else {
            writeln!(out, "{}", render::answer_text(&answer))?;
        }
        Ok(())
    })
}

/// `ask`: an answer for each question, as text or JSON lines.
fn ask(paths: Paths, json: bool, opts: &AskOptions, question: &str, config: &Config) -> anyhow::Result<()> {
    let engine = open_engine(paths, config)?;
    let mut out = std::io::stdout().lock();
    each_input(question, |q| {
        let answer = engine.ask(q, opts);
        if json {
            writeln!(out, "{}", serde_json::to_string(&answer)?)?;
        } else {
            writeln!(out, "{}", render::answer_text(&answer))?;
        }
        Ok(())
    })
}

/// `eval`: quality figures on a question file (and one of no-answer questions).
fn eval(
    paths: Paths,
    features: Option<&Path>,
    file: Option<&Path>,
    collection: Option<&Path>,
    no_answer: Option<&Path>,
    verbose: bool,
    json: bool,
    config: &Config,
) -> anyhow::Result<()> {
    if file.is_none() && collection.is_none() {
        return Err(Usage("eval needs a question file, --collection FILE, or both".into()).into());
    }
    let questions = file.map(read_questions).transpose()?.unwrap_or_default();
    let refusals = no_answer.map(read_questions).transpose()?.unwrap_or_default();
    let about = match collection {
        Some(path) => archive_bot::eval::read_collection_questions(&read_limited(path, MAX_QUESTION_FILE_BYTES)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => Vec::new(),
    };
    let engine = open_engine(paths, config)?;
    if let Some(path) = features {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        let n = archive_bot::eval::write_features(&engine, &questions, &refusals, &mut out)
            .and_then(|n| out.flush().map(|()| n))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("{n} training rows written to {}", path.display());
        return Ok(());
    }
    let report = file.map(|_| archive_bot::eval::run_halves(&engine, &questions, &refusals));
    let about = collection.map(|_| archive_bot::eval::run_collection(&engine, &about));
    let mut out = std::io::stdout().lock();
    if json {
        // The fact report alone keeps its shape; with questions about the
        // collection, both side by side.
        let value = match (&report, &about) {
            (Some(r), None) => serde_json::to_value(r)?,
            _ => serde_json::json!({ "facts": report, "collection": about }),
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    if let Some(report) = &report {
        write!(out, "{}", report.summary())?;
        if verbose {
            write!(
                out,
                "{}",
                render::misses_text(&[&report.held_out.misses[..], &report.trained.misses[..]].concat())
            )?;
        }
    }
    if let Some(about) = &about {
        write!(out, "{}", about.summary())?;
        if verbose {
            write!(out, "{}", render::misses_text(&about.misses))?;
        }
    }
    Ok(())
}

/// `bench`: speed and memory figures, built from scratch in `work_dir`.
fn bench(
    corpus: Option<PathBuf>,
    questions: &Path,
    work_dir: Option<PathBuf>,
    json: bool,
    config: Config,
) -> anyhow::Result<()> {
    let opts = archive_bot::bench::BenchOptions {
        corpus_dir: corpus.unwrap_or(config.corpus_dir),
        questions: read_questions(questions)?,
        exe: std::env::current_exe().context("finding this program to restart it")?,
        work_dir: work_dir.unwrap_or_else(std::env::temp_dir),
    };
    let report =
        archive_bot::bench::run(&opts).with_context(|| format!("benchmarking on {}", opts.corpus_dir.display()))?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", report.summary())?;
    }
    Ok(())
}

/// `articles`: the cleaned articles, or what cleaning removed.
fn articles(corpus: Option<PathBuf>, json: bool, removed: bool, config: Config) -> anyhow::Result<()> {
    let dir = corpus.unwrap_or(config.corpus_dir);
    let loaded = archive_bot::load::load(&dir).with_context(|| {
        format!(
            "reading the corpus directory {} (set --corpus or corpus_dir)",
            dir.display()
        )
    })?;
    warn_skipped(&loaded.skipped);
    let mut out = std::io::stdout().lock();
    match (removed, json) {
        (true, true) => writeln!(out, "{}", serde_json::to_string_pretty(&loaded.removed)?)?,
        (true, false) => write!(out, "{}", render::removed_tsv(&loaded.removed))?,
        (false, true) => writeln!(out, "{}", serde_json::to_string_pretty(&loaded.articles)?)?,
        (false, false) => write!(out, "{}", render::articles_tsv(&loaded.articles))?,
    }
    Ok(())
}
