//! `archive-bot bench`: speed and memory of the whole pipeline on one
//! corpus, measured the way a user meets them.
//!
//! 1. **Build** from scratch into a temporary index: seconds, MB and
//!    articles per second, passages, size on disk, and this process's peak
//!    memory (nothing else ran in it before).
//! 2. **Cold start**: a fresh `archive-bot ask --index … -` process, from
//!    spawning it to its first answer (the page cache is warm from the
//!    build: this is a restart, not a reboot). The same process then
//!    answers every question; its peak memory is the serving figure.
//! 3. **Latency**: every question asked once to warm up, then once more,
//!    timed, on one thread (p50, p95, p99).
//! 4. **Throughput**: all questions on every core at once.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::answer::AskOptions;
use crate::error::{Error, Result};
use crate::index::store;

/// What `bench` measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub files: usize,
    pub articles: usize,
    pub passages: usize,
    pub corpus_mb: f64,
    pub build_seconds: f64,
    pub mb_per_second: f64,
    pub articles_per_second: f64,
    pub index_mb: f64,
    pub peak_rss_indexing_mb: f64,
    pub cold_start_ms: f64,
    pub peak_rss_serving_mb: f64,
    /// Of the serving process's resident memory at the end, what is its
    /// own (heap, not pages of the index files it maps, which the kernel
    /// shares with the page cache and can drop).
    pub rss_anon_serving_mb: f64,
    pub questions: usize,
    pub ask_p50_ms: f64,
    pub ask_p95_ms: f64,
    pub ask_p99_ms: f64,
    pub threads: usize,
    pub throughput_qps: f64,
    /// Document-level nDCG@10 when the questions name their gold file.
    pub ndcg10: Option<f64>,
}

/// Where and what to measure.
pub struct BenchOptions {
    pub corpus_dir: PathBuf,
    pub questions: Vec<crate::eval::Question>,
    /// The `archive-bot` binary that plays the restarted process.
    pub exe: PathBuf,
    /// Where the index is built (removed afterwards).
    pub work_dir: PathBuf,
}

/// Runs the benchmark (see the module comment).
pub fn run(opts: &BenchOptions) -> Result<BenchReport> {
    let index_dir = opts.work_dir.join(format!("bench-index-{}", std::process::id()));
    let result = measure(opts, &index_dir);
    remove_index(&index_dir);
    result
}

fn measure(opts: &BenchOptions, index_dir: &Path) -> Result<BenchReport> {
    let questions: Vec<String> = opts.questions.iter().map(|q| q.q.clone()).collect();
    if questions.is_empty() {
        return Err(Error::Index("bench needs at least one question".into()));
    }
    let (stats, _) = crate::corpus::scan(&opts.corpus_dir)?;
    let corpus_mb = stats.iter().map(|s| s.size).sum::<u64>() as f64 / 1e6;
    let build = store::build_full(&opts.corpus_dir, index_dir, &|_, _| {})?;
    let peak_rss_indexing_mb = own_peak_rss_mb();
    let index_mb = dir_bytes(&index_dir.canonicalize().map_err(|e| Error::io(index_dir, e))?) as f64 / 1e6;

    let (cold_start_ms, peak_rss_serving_mb, rss_anon_serving_mb) = restart(opts, &questions, index_dir)?;

    let engine = Arc::new(crate::engine::Engine::open(index_dir)?);
    let ask = AskOptions::default();
    for q in &questions {
        engine.ask(q, &ask);
    }
    let mut times: Vec<f64> = questions
        .iter()
        .map(|q| {
            let t = Instant::now();
            engine.ask(q, &ask);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let engine = engine.clone();
            let (ask, questions) = (&ask, &questions);
            s.spawn(move || {
                for q in questions.iter().skip(t).step_by(threads) {
                    engine.ask(q, ask);
                }
            });
        }
    });
    let throughput_qps = questions.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let with_gold: Vec<crate::eval::Question> = opts.questions.iter().filter(|q| q.file.is_some()).cloned().collect();
    let ndcg10 = (!with_gold.is_empty()).then(|| crate::eval::run(&engine, &with_gold, &[]).ndcg10);

    Ok(BenchReport {
        files: stats.len(),
        articles: build.articles,
        passages: build.passages,
        corpus_mb,
        build_seconds: build.seconds,
        mb_per_second: corpus_mb / build.seconds.max(1e-9),
        articles_per_second: build.articles as f64 / build.seconds.max(1e-9),
        index_mb,
        peak_rss_indexing_mb,
        cold_start_ms,
        peak_rss_serving_mb,
        rss_anon_serving_mb,
        questions: questions.len(),
        ask_p50_ms: percentile(&times, 0.50),
        ask_p95_ms: percentile(&times, 0.95),
        ask_p99_ms: percentile(&times, 0.99),
        threads,
        throughput_qps,
        ndcg10,
    })
}

/// A fresh process asked every question: milliseconds from spawning it to
/// its first answer, its peak memory and its own (anonymous) memory at the
/// end.
fn restart(opts: &BenchOptions, questions: &[String], index_dir: &Path) -> Result<(f64, f64, f64)> {
    let started = Instant::now();
    let mut child = Command::new(&opts.exe)
        .arg("ask")
        .arg("--index")
        .arg(index_dir)
        .args(["--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io(&opts.exe, e))?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(Error::Index("the asking process has no pipes".into()));
    };
    let n = questions.len();
    let questions = questions.to_vec();
    // Questions are written from a thread (the pipe may fill), and the
    // pipe stays open until every answer is read: the process is still
    // alive then, so its peak memory can be read.
    let writer = std::thread::spawn(move || {
        for q in questions {
            if writeln!(stdin, "{q}").is_err() {
                break;
            }
        }
        stdin
    });
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next();
    let cold = started.elapsed().as_secs_f64() * 1000.0;
    let answered = first.is_some() as usize + lines.by_ref().take(n.saturating_sub(1)).count();
    let peak = status_mb(child.id(), "VmHWM:");
    let anon = status_mb(child.id(), "RssAnon:");
    drop(writer.join());
    for _ in lines {}
    let status = child.wait().map_err(|e| Error::io(&opts.exe, e))?;
    if answered < n || !status.success() {
        return Err(Error::Index(format!(
            "{} ask answered {answered} of {n} questions ({status})",
            opts.exe.display()
        )));
    }
    Ok((cold, peak, anon))
}

/// The value below which `share` of the sorted `values` lie.
pub fn percentile(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Bytes of the files below `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Removes the index link and the generation it points at.
fn remove_index(index_dir: &Path) {
    if let Ok(target) = index_dir.canonicalize() {
        let _ = std::fs::remove_dir_all(target);
    }
    let _ = std::fs::remove_file(index_dir);
    let _ = std::fs::remove_dir_all(index_dir);
    if let (Some(parent), Some(name)) = (index_dir.parent(), index_dir.file_name()) {
        let _ = std::fs::remove_file(parent.join(format!(".{}.lock", name.to_string_lossy())));
    }
}

/// This process's peak resident memory in MB.
fn own_peak_rss_mb() -> f64 {
    status_mb(std::process::id(), "VmHWM:")
}

/// A memory figure of a running process in MB (`VmHWM:` peak resident,
/// `RssAnon:` own resident; Linux; 0 where /proc does not tell).
fn status_mb(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

impl BenchReport {
    /// One line per figure, for the terminal.
    pub fn summary(&self) -> String {
        format!(
            "indexed     {} files, {} articles, {} passages, {:.1} MB in {:.1} s: {:.2} MB/s, {:.0} articles/s\n\
             index       {:.1} MB on disk ({:.2}x the text)\n\
             memory      peak RSS {:.0} MB indexing, {:.0} MB serving ({:.0} MB its own, the rest mapped index pages)\n\
             cold start  {:.0} ms from process start to first answer\n\
             ask         p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  ({} questions, one thread, warm)\n\
             throughput  {:.0} questions/s on {} threads\n\
             quality     nDCG@10 {}\n",
            self.files,
            self.articles,
            self.passages,
            self.corpus_mb,
            self.build_seconds,
            self.mb_per_second,
            self.articles_per_second,
            self.index_mb,
            self.index_mb / self.corpus_mb.max(1e-9),
            self.peak_rss_indexing_mb,
            self.peak_rss_serving_mb,
            self.rss_anon_serving_mb,
            self.cold_start_ms,
            self.ask_p50_ms,
            self.ask_p95_ms,
            self.ask_p99_ms,
            self.questions,
            self.throughput_qps,
            self.threads,
            self.ndcg10
                .map_or("- (no gold files)".to_owned(), |v| format!("{v:.3}")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 51.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
    }
}
