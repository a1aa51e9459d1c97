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
//! 5. **Questions about the collection** ([`crate::collection`]): a fixed
//!    set of question shapes filled in from the index itself (its dates,
//!    its largest source, words of the benchmark's own questions; see
//!    [`collection_questions`]), each asked once to warm up before the
//!    latency pass and once more, timed, after it (so the articles a list
//!    cites are no longer in the engine's cache of decoded articles:
//!    the fact questions have gone through it). p50 and p99 over all of
//!    them and per shape, and how many were answered as questions about
//!    the collection at all. The restarted process of step 2 is asked them
//!    too, after the fact questions, so its peak memory covers them.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::answer::{AskOptions, Kind};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::index::store;

/// What `bench` measured.
#[derive(Debug, Clone, Default, Serialize)]
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
    /// Questions about the collection asked (step 5 of the module comment).
    pub collection_questions: usize,
    /// Of those, how many were answered as such (kind list, count or top,
    /// not fact): fewer means a shape was not recognised.
    pub collection_answered: usize,
    pub collection_p50_ms: f64,
    pub collection_p99_ms: f64,
    /// The same figures per shape.
    pub collection_shapes: Vec<ShapeLatency>,
    /// Every question about the collection, as answered and timed.
    pub collection_asked: Vec<CollectionTiming>,
}

/// A shape of question about the collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// How many: all articles, a source's, a year's.
    Count,
    /// Which articles, by period or source (newest first).
    List,
    /// The newest or the oldest (of all, or of a source).
    Top,
    /// Is there anything on a word (by relevance).
    Topic,
    /// Which sources, of all articles or of a year's (most articles first);
    /// how many articles each year.
    Tally,
}

impl Shape {
    pub const ALL: [Shape; 5] = [Shape::Count, Shape::List, Shape::Top, Shape::Topic, Shape::Tally];

    fn name(self) -> &'static str {
        match self {
            Shape::Count => "count",
            Shape::List => "list",
            Shape::Top => "top",
            Shape::Topic => "topic",
            Shape::Tally => "tally",
        }
    }
}

/// A question about the collection to time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionQuestion {
    pub shape: Shape,
    pub q: String,
}

/// Latency of one shape of question about the collection.
#[derive(Debug, Clone, Serialize)]
pub struct ShapeLatency {
    pub shape: Shape,
    pub questions: usize,
    /// Answered as a question about the collection (not as a fact).
    pub answered: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// One question about the collection, timed.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionTiming {
    pub shape: Shape,
    pub q: String,
    /// The kind of answer it got (`fact`: not recognised).
    pub kind: Kind,
    /// Articles matched, as the answer says.
    pub count: Option<usize>,
    pub ms: f64,
}

/// Topic questions made from the benchmark's own questions.
const TOPIC_QUESTIONS: usize = 8;

/// The questions about the collection `bench` times: general shapes filled
/// in from what the index holds (`engine.stats()`: the first and last
/// dates, the source with the most articles) and, for topics, the first
/// two-character word of each of the first benchmark `questions` (up to
/// [`TOPIC_QUESTIONS`] distinct words). Shapes whose material the archive
/// lacks (no dates, no sources) are left out.
pub fn collection_questions(engine: &Engine, questions: &[String]) -> Vec<CollectionQuestion> {
    let stats = engine.stats();
    let mut out = Vec::new();
    let mut add = |shape: Shape, q: String| {
        if !out.iter().any(|c: &CollectionQuestion| c.q == q) {
            out.push(CollectionQuestion { shape, q });
        }
    };
    // "2019-09-07" → (2019, 9)
    let year_month = |d: &Option<String>| {
        let d = d.as_deref()?;
        let y: u32 = d.get(..4)?.parse().ok()?;
        let m: u32 = d.get(5..7)?.parse().ok()?;
        Some((y, m))
    };
    let last = year_month(&stats.last_date);
    let first = year_month(&stats.first_date);
    let source = stats.sources.first();

    add(Shape::Count, "档案中共有多少篇文章?".into());
    if let Some(s) = source {
        add(Shape::Count, format!("{s}发表了多少篇文章?"));
    }
    if let Some((y, _)) = last {
        add(Shape::Count, format!("{y}年共有多少篇报道?"));
    }

    for (y, m) in [last, first].into_iter().flatten() {
        add(Shape::List, format!("{y}年{m}月有哪些文章?"));
    }
    if let Some((y, _)) = last {
        add(Shape::List, format!("{y}年的报道有哪些?"));
    }
    if let Some(s) = source {
        add(Shape::List, format!("{s}发表了哪些文章?"));
    }

    add(Shape::Top, "最新的一篇文章是什么?".into());
    add(Shape::Top, "最早的报道是哪篇?".into());
    if let Some(s) = source {
        add(Shape::Top, format!("{s}最新的一篇文章是什么?"));
    }

    let mut words: Vec<String> = Vec::new();
    for q in questions {
        if words.len() == TOPIC_QUESTIONS {
            break;
        }
        let parsed = crate::query::parse(q);
        let two = parsed
            .words
            .into_iter()
            .find(|w| w.chars().count() == 2 && w.chars().all(crate::script::is_cjk));
        if let Some(w) = two
            && !words.contains(&w)
        {
            words.push(w);
        }
    }
    for w in words {
        add(Shape::Topic, format!("有没有关于{w}的报道?"));
    }

    if source.is_some() {
        add(Shape::Tally, "哪家媒体的文章最多?".into());
        if let Some((y, _)) = last {
            add(Shape::Tally, format!("{y}年的报道都来自哪些媒体?"));
        }
    }
    if last.is_some() {
        add(Shape::Tally, "每年有多少篇文章?".into());
    }
    out
}

/// What timing the questions about the collection gave.
struct CollectionFigures {
    p50_ms: f64,
    p99_ms: f64,
    shapes: Vec<ShapeLatency>,
    asked: Vec<CollectionTiming>,
}

/// Asks each question once, timed (the caller warmed them up).
fn time_collection(engine: &Engine, questions: &[CollectionQuestion], ask: &AskOptions) -> CollectionFigures {
    let asked: Vec<CollectionTiming> = questions
        .iter()
        .map(|c| {
            let t = Instant::now();
            let answer = engine.ask(&c.q, ask);
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            CollectionTiming {
                shape: c.shape,
                q: c.q.clone(),
                kind: answer.kind,
                count: answer.count,
                ms,
            }
        })
        .collect();
    let sorted = |it: &mut dyn Iterator<Item = f64>| {
        let mut v: Vec<f64> = it.collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let all = sorted(&mut asked.iter().map(|a| a.ms));
    let shapes = Shape::ALL
        .iter()
        .filter_map(|&shape| {
            let of: Vec<&CollectionTiming> = asked.iter().filter(|a| a.shape == shape).collect();
            if of.is_empty() {
                return None;
            }
            let times = sorted(&mut of.iter().map(|a| a.ms));
            Some(ShapeLatency {
                shape,
                questions: of.len(),
                answered: of.iter().filter(|a| a.kind != Kind::Fact).count(),
                p50_ms: percentile(&times, 0.50),
                p99_ms: percentile(&times, 0.99),
            })
        })
        .collect();
    CollectionFigures {
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
        shapes,
        asked,
    }
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

    let engine = Arc::new(Engine::open(index_dir)?);
    let collection = collection_questions(&engine, &questions);
    let served: Vec<String> = questions
        .iter()
        .cloned()
        .chain(collection.iter().map(|c| c.q.clone()))
        .collect();
    let (cold_start_ms, peak_rss_serving_mb, rss_anon_serving_mb) = restart(opts, &served, index_dir)?;

    let ask = AskOptions::default();
    for c in &collection {
        engine.ask(&c.q, &ask);
    }
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
    let coll = time_collection(&engine, &collection, &ask);

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
        collection_questions: coll.asked.len(),
        collection_answered: coll.asked.iter().filter(|a| a.kind != Kind::Fact).count(),
        collection_p50_ms: coll.p50_ms,
        collection_p99_ms: coll.p99_ms,
        collection_shapes: coll.shapes,
        collection_asked: coll.asked,
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
        let mut text = format!(
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
        );
        if self.collection_questions == 0 {
            return text;
        }
        text.push_str(&format!(
            "collection  p50 {:.2} ms  p99 {:.2} ms  ({} questions about the collection, {} answered as such, one thread, warm)\n",
            self.collection_p50_ms, self.collection_p99_ms, self.collection_questions, self.collection_answered,
        ));
        for shape in Shape::ALL {
            let line = match self.collection_shapes.iter().find(|s| s.shape == shape) {
                Some(s) => format!(
                    "p50 {:.2} ms  p99 {:.2} ms  ({} questions, {} answered as such)",
                    s.p50_ms, s.p99_ms, s.questions, s.answered,
                ),
                None if shape == Shape::Topic => "- (none asked: no word to ask about)".to_owned(),
                None => "- (none asked: the index holds no dates or sources to ask by)".to_owned(),
            };
            text.push_str(&format!("  {:<9} {line}\n", shape.name()));
        }
        for a in self.collection_asked.iter().filter(|a| a.kind == Kind::Fact) {
            text.push_str(&format!("  not recognised: {} ({} shape)\n", a.q, a.shape.name()));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    /// The shipped archive in an in-RAM index, built once for all tests.
    static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
        let loaded = crate::load::load(Path::new(dir)).expect("the shipped corpus loads");
        Engine::in_ram(loaded.articles).expect("the in-RAM index builds")
    });

    /// Fact questions about the shipped archive, as a bench file holds them.
    fn facts() -> Vec<String> {
        [
            "锦湖街道集结了多少名机关干部?",
            "陈达锋在哪个单位任副主任?",
            "长乐全区启动了多少个采样点位",
            "沪宁高速查验点日均通过多少车辆?",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn collection_questions_come_from_the_archive_and_are_recognised() {
        let stats = ENGINE.stats();
        let (source, last) = (&stats.sources[0], stats.last_date.as_deref().unwrap());
        let qs = collection_questions(&ENGINE, &facts());
        for shape in Shape::ALL {
            assert!(qs.iter().any(|c| c.shape == shape), "no {shape:?} question in {qs:?}");
        }
        let month = format!("{}年{}月", &last[..4], last[5..7].trim_start_matches('0'));
        assert!(
            qs.iter().any(|c| c.shape == Shape::List && c.q.starts_with(&month)),
            "{qs:?}"
        );
        assert!(
            qs.iter()
                .any(|c| c.shape == Shape::List && c.q.starts_with(source.as_str())),
            "{qs:?}"
        );
        let topics: Vec<&str> = qs
            .iter()
            .filter(|c| c.shape == Shape::Topic)
            .map(|c| c.q.as_str())
            .collect();
        assert_eq!(topics.len(), facts().len(), "one topic per question: {topics:?}");

        let ask = AskOptions::default();
        for c in &qs {
            let a = ENGINE.ask(&c.q, &ask);
            let kind = match c.shape {
                Shape::Count => Kind::Count,
                Shape::List | Shape::Topic => Kind::List,
                Shape::Top => Kind::Top,
                Shape::Tally => Kind::Tally,
            };
            assert_eq!(a.kind, kind, "{}: {}", c.q, a.answer);
            // Every shape is filled in from what the archive holds, so
            // each finds something.
            assert!(
                a.count.unwrap_or(0) > 0 && !a.citations.is_empty(),
                "{}: {}",
                c.q,
                a.answer
            );
        }
        let all = ENGINE.ask("档案中共有多少篇文章?", &ask);
        assert_eq!(all.count, Some(stats.articles));
        let newest = ENGINE.ask("最新的一篇文章是什么?", &ask);
        assert_eq!(newest.citations[0].quote.date.as_deref(), Some(last));
    }

    #[test]
    fn an_archive_without_dates_or_sources_asks_no_list_and_says_so() {
        let articles: Vec<crate::article::Article> = (0..3)
            .map(|i| crate::article::Article {
                file: format!("n{i}.txt"),
                title: format!("第{i}号通知"),
                source: None,
                author: None,
                date: None,
                url: None,
                paragraphs: vec![format!("志愿者突击队第{i}批出发。")],
                lines: Vec::new(),
            })
            .collect();
        let engine = Engine::in_ram(articles).unwrap();
        let qs = collection_questions(&engine, &["志愿者突击队何时出发?".to_owned()]);
        let shapes: Vec<Shape> = qs.iter().map(|c| c.shape).collect();
        assert_eq!(shapes, [Shape::Count, Shape::Top, Shape::Top, Shape::Topic], "{qs:?}");
        let figures = time_collection(&engine, &qs, &AskOptions::default());
        assert_eq!(figures.asked[0].count, Some(3), "{:?}", figures.asked[0]);
        let report = BenchReport {
            collection_questions: figures.asked.len(),
            collection_shapes: figures.shapes,
            ..BenchReport::default()
        };
        assert!(
            report
                .summary()
                .contains("\n  list      - (none asked: the index holds no dates or sources to ask by)\n"),
            "{}",
            report.summary()
        );
    }

    #[test]
    fn collection_figures_count_what_was_not_recognised() {
        let mut qs = collection_questions(&ENGINE, &facts());
        // A fact question under a collection shape: answered as a fact.
        qs.push(CollectionQuestion {
            shape: Shape::Topic,
            q: facts()[0].clone(),
        });
        let figures = time_collection(&ENGINE, &qs, &AskOptions::default());
        assert_eq!(figures.asked.len(), qs.len());
        let shapes: Vec<Shape> = figures.shapes.iter().map(|s| s.shape).collect();
        assert_eq!(shapes, Shape::ALL);
        assert_eq!(figures.shapes.iter().map(|s| s.questions).sum::<usize>(), qs.len());
        let topic = figures.shapes.iter().find(|s| s.shape == Shape::Topic).unwrap();
        assert_eq!(topic.answered + 1, topic.questions);
        for s in &figures.shapes {
            assert!(s.p50_ms <= s.p99_ms && s.p99_ms <= figures.p99_ms, "{s:?}");
        }

        let report = BenchReport {
            collection_questions: figures.asked.len(),
            collection_answered: figures.asked.iter().filter(|a| a.kind != Kind::Fact).count(),
            collection_p50_ms: figures.p50_ms,
            collection_p99_ms: figures.p99_ms,
            collection_shapes: figures.shapes,
            collection_asked: figures.asked,
            ..BenchReport::default()
        };
        assert_eq!(report.collection_answered + 1, report.collection_questions);
        let text = report.summary();
        assert!(text.contains("\n  topic     p50 "), "{text}");
        assert!(
            text.contains(&format!("not recognised: {} (topic shape)", facts()[0])),
            "{text}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["collection_shapes"][0]["shape"], "count");
        assert_eq!(json["collection_asked"].as_array().unwrap().len(), qs.len());
    }

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 51.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
    }
}
