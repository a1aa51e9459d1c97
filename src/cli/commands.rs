//! One function per command: settings in, the library's answer out on
//! stdout, progress and warnings on stderr.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use archive_bot::answer::AskOptions;
use archive_bot::config::Config;
use archive_bot::engine::Engine;
use archive_bot::index::store;
use archive_bot::query::Filter;
use archive_bot::telegram;
use archive_bot::{eval, input, render};

use super::{Cli, Command, Location, Usage};

/// Loads the settings and hands the command to its function.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(cli.config.as_deref())?;
    // Every command that reads the corpus reads exports with the configured field names.
    archive_bot::corpus::set_process_options(archive_bot::corpus::Options {
        fields: config.fields.clone(),
    });
    let done = |()| ExitCode::SUCCESS;
    match cli.command {
        Command::Serve { paths, webhook } => serve(paths.locate(&config), webhook, config),
        Command::Health { index } => health(index.as_deref().unwrap_or(&config.index_dir), &config.data_dir),
        Command::Index { paths, full } => index(&paths.locate(&config), full).map(done),
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
                today: archive_bot::date::today(),
                ..AskOptions::default()
            };
            list_articles(&paths.locate(&config), json, &opts, &query).map(done)
        }
        Command::Search {
            paths,
            json,
            top,
            filter,
            query,
            ..
        } => search(&paths.locate(&config), json, top, filter.filter(), &query).map(done),
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
                today: archive_bot::date::today(),
                ..AskOptions::default()
            };
            ask(&paths.locate(&config), json, &opts, &question).map(done)
        }
        Command::Eval {
            paths,
            no_answer,
            verbose,
            json,
            collection,
            features,
            file,
        } => {
            let files = EvalFiles {
                facts: file.as_deref(),
                collection: collection.as_deref(),
                no_answer: no_answer.as_deref(),
                features: features.as_deref(),
            };
            run_eval(&paths.locate(&config), files, verbose, json).map(done)
        }
        Command::Bench {
            corpus,
            questions,
            work_dir,
            json,
        } => bench(corpus.unwrap_or(config.corpus_dir), &questions, work_dir, json).map(done),
        Command::Articles { corpus, json, removed } => {
            articles(&corpus.unwrap_or(config.corpus_dir), json, removed).map(done)
        }
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

/// Opens the engine at `loc`, building the index first when needed
/// ([`Engine::open_for_serving`]: with `live`, an index that opens is
/// checked later).
fn open_engine(loc: &Location, live: bool) -> anyhow::Result<Engine> {
    let bar = Bar::on_terminal();
    let warn = |msg: &str| tracing::warn!("{msg}");
    let progress = |done, total| bar.update(done, total);
    let (engine, report) = Engine::open_for_serving(loc.corpus_dir.as_deref(), &loc.index_dir, live, &progress, &warn)
        .with_context(|| match &loc.corpus_dir {
            Some(c) => format!(
                "opening the index {} (built from {}; set --index/--corpus or index_dir/corpus_dir)",
                loc.index_dir.display(),
                c.display()
            ),
            None => format!(
                "opening the index {} (no corpus known to rebuild it from: pass --corpus)",
                loc.index_dir.display()
            ),
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

/// Runs `f` on the argument, or on each line of standard input for `-`.
/// A question longer than the library allows is refused, not cut: as an
/// argument, a usage error.
fn each_input(arg: &str, mut f: impl FnMut(&str) -> anyhow::Result<()>) -> anyhow::Result<()> {
    if arg != "-" {
        archive_bot::query::check_length(arg).map_err(|e| Usage(format!("the question is {e}")))?;
        return f(arg);
    }
    input::each_line(std::io::stdin().lock(), |n, line| {
        archive_bot::query::check_length(line)
            .map_err(|e| anyhow::anyhow!("standard input, line {n}: the question is {e}"))?;
        f(line)
    })
    .map_err(|e| match e.downcast::<input::LineError>() {
        Ok(input::LineError::Read(e)) => anyhow::Error::new(e).context("reading standard input"),
        Ok(e) => anyhow::anyhow!("standard input, {e}"),
        Err(e) => e,
    })
}

/// A question file (`eval`, `bench`), at most
/// [`input::MAX_QUESTION_FILE_BYTES`].
fn read_question_file(path: &Path) -> anyhow::Result<String> {
    let max = input::MAX_QUESTION_FILE_BYTES;
    input::read_text(path, max).map_err(|e| match e.kind() {
        std::io::ErrorKind::FileTooLarge => {
            anyhow::anyhow!("{} is larger than {} MiB", path.display(), max / (1024 * 1024))
        }
        std::io::ErrorKind::InvalidData => anyhow::anyhow!("{} is not UTF-8 text", path.display()),
        _ => anyhow::Error::new(e).context(format!("reading {}", path.display())),
    })
}

/// A JSONL file of fact questions.
fn read_questions(path: &Path) -> anyhow::Result<Vec<eval::Question>> {
    eval::read_questions(&read_question_file(path)?).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `serve`: settings first (a missing token fails before any indexing),
/// then the engine, then the bot on a multi-threaded runtime.
fn serve(loc: Location, webhook: Option<String>, mut config: Config) -> anyhow::Result<ExitCode> {
    if webhook.is_some() {
        config.webhook_url = webhook;
    }
    let mut settings = match telegram::Settings::from_env(&config, |k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => return configuration_error(e),
    };
    let engine = std::sync::Arc::new(open_engine(&loc, config.reload_seconds > 0)?);
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
fn configuration_error(e: telegram::BotError) -> anyhow::Result<ExitCode> {
    if !e.is_configuration() {
        // Its text already holds its cause.
        return Err(anyhow::anyhow!("{e}"));
    }
    // What to check when Telegram refused the token (the other errors say
    // which setting is wrong).
    let hint = match e {
        telegram::BotError::Call(_) => "; check TELOXIDE_TOKEN (or token_file) and TELOXIDE_API_URL",
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
                () = telegram::shutdown_signal() => {}
            }
        });
    }
    Ok(ExitCode::from(EXIT_CONFIGURATION))
}

/// `health`: the index opens and the serving loop beat recently.
fn health(index_dir: &Path, data_dir: &Path) -> anyhow::Result<ExitCode> {
    use telegram::heartbeat;
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

/// `index`: bring the index up to date (or rebuild it with `full`).
fn index(loc: &Location, full: bool) -> anyhow::Result<()> {
    let corpus = loc.corpus_dir.as_deref().context("no corpus to index: pass --corpus")?;
    let bar = Bar::on_terminal();
    let build = if full { store::build_full } else { store::build };
    let report = build(corpus, &loc.index_dir, &|done, total| bar.update(done, total))
        .with_context(|| format!("indexing {} into {}", corpus.display(), loc.index_dir.display()))?;
    bar.finish();
    report_build(&report, &loc.index_dir);
    Ok(())
}

/// Prints one JSON line, or `text`'s rendering, for each input.
fn print_each<T: serde::Serialize>(
    arg: &str,
    json: bool,
    answer: impl Fn(&str) -> T,
    text: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    each_input(arg, |q| {
        let value = answer(q);
        if json {
            writeln!(out, "{}", serde_json::to_string(&value)?)?;
        } else {
            write!(out, "{}", text(&value))?;
        }
        Ok(())
    })
}

/// `search`: the best passages for each query, as TSV or JSON lines.
fn search(loc: &Location, json: bool, top: usize, filter: Filter, query: &str) -> anyhow::Result<()> {
    let engine = open_engine(loc, false)?;
    print_each(
        query,
        json,
        |q| engine.search_filtered(q, top, &filter),
        |rows| render::search_tsv(rows),
    )
}

/// `search --articles`: the articles for each query, as text or JSON lines.
fn list_articles(loc: &Location, json: bool, opts: &AskOptions, query: &str) -> anyhow::Result<()> {
    let engine = open_engine(loc, false)?;
    let want = archive_bot::collection::Want::List;
    print_each(query, json, |q| engine.list_articles(q, want, opts), answer_line)
}

/// `ask`: an answer for each question, as text or JSON lines.
fn ask(loc: &Location, json: bool, opts: &AskOptions, question: &str) -> anyhow::Result<()> {
    let engine = open_engine(loc, false)?;
    print_each(question, json, |q| engine.ask(q, opts), answer_line)
}

fn answer_line(answer: &archive_bot::answer::Answer) -> String {
    format!("{}\n", render::answer_text(answer))
}

/// The question files `eval` scores.
struct EvalFiles<'a> {
    facts: Option<&'a Path>,
    collection: Option<&'a Path>,
    no_answer: Option<&'a Path>,
    /// Training rows are written here instead of a report.
    features: Option<&'a Path>,
}

/// `eval`: quality figures on a question file (and one of no-answer questions).
fn run_eval(loc: &Location, files: EvalFiles, verbose: bool, json: bool) -> anyhow::Result<()> {
    if files.facts.is_none() && files.collection.is_none() {
        return Err(Usage("eval needs a question file, --collection FILE, or both".into()).into());
    }
    let questions = files.facts.map(read_questions).transpose()?.unwrap_or_default();
    let refusals = files.no_answer.map(read_questions).transpose()?.unwrap_or_default();
    let about = match files.collection {
        Some(path) => eval::read_collection_questions(&read_question_file(path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => Vec::new(),
    };
    let engine = open_engine(loc, false)?;
    if let Some(path) = files.features {
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        let n = eval::write_features(&engine, &questions, &refusals, &mut out)
            .and_then(|n| out.flush().map(|()| n))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("{n} training rows written to {}", path.display());
        return Ok(());
    }
    let report = files.facts.map(|_| eval::run_halves(&engine, &questions, &refusals));
    let about = files.collection.map(|_| eval::run_collection(&engine, &about));
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
            let misses = [&report.held_out.misses[..], &report.trained.misses[..]].concat();
            write!(out, "{}", render::misses_text(&misses))?;
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
fn bench(corpus_dir: PathBuf, questions: &Path, work_dir: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let opts = archive_bot::bench::BenchOptions {
        corpus_dir,
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
fn articles(dir: &Path, json: bool, removed: bool) -> anyhow::Result<()> {
    let loaded = archive_bot::load::load(dir).with_context(|| {
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
