//! Evaluation on question sets: `{"id","q","file","answer":[...]}` per line
//! (our dev set and the public benches share this format), plus optional
//! questions the archive cannot answer (`{"id","q"}`).
//!
//! Document level (retrieval): hit@1, hit@5, MRR@10, nDCG@10 of the gold
//! file among the ranked articles, and queries per second. Answer level:
//! cited first (gold file cited first), in answer text (an acceptable
//! answer, folded, inside the answer text without its `[n]` markers, when
//! that text is at most [`ANSWER_TEXT_CHARS`] characters), answer@1 (inside
//! the answer or the first cited passage), answer@3 (inside the answer or
//! any of the first three), and refused (no-answer questions that got no
//! citations).
//!
//! Every question is asked once with the gate open, and the gate is applied
//! here: so the same run gives the figures at the engine's threshold and the
//! trade-off curve (answered correctly vs refused) at [`CURVE`]'s others.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::answer::{self, AskOptions};
use crate::engine::Engine;
use crate::script::fold;

/// One evaluation question.
#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    #[serde(default)]
    pub id: String,
    pub q: String,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub answer: Vec<String>,
}

/// Reads a JSONL question file; blank lines are skipped, a bad line is an
/// error naming its number.
pub fn read_questions(text: &str) -> Result<Vec<Question>, String> {
    read_jsonl(text)
}

/// One value a line of JSONL text: blank lines skipped, a bad line an
/// error naming its number.
fn read_jsonl<T: serde::de::DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// One question about the collection (`archive_questions`' format).
#[derive(Debug, Clone, Deserialize)]
pub struct CollectionQuestion {
    /// `list`, `count`, `top`, `topic` or `none`.
    pub kind: String,
    pub q: String,
    /// Gold article files (`list`, `top`, `topic`).
    #[serde(default)]
    pub files: Vec<String>,
    /// `list` only: nothing outside `files` may be listed.
    #[serde(default)]
    pub exact: bool,
    /// `count` only: the number the answer must state.
    #[serde(default)]
    pub count: Option<String>,
}

/// Reads a JSONL file of questions about the collection.
pub fn read_collection_questions(text: &str) -> Result<Vec<CollectionQuestion>, String> {
    read_jsonl(text)
}

/// Figures on questions about the collection, by kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CollectionReport {
    /// (kind, judged right, questions), in the order kinds first appear.
    pub by_kind: Vec<(String, usize, usize)>,
    pub misses: Vec<Miss>,
    pub p50_ms: f64,
    pub max_ms: f64,
}

impl CollectionReport {
    pub fn summary(&self) -> String {
        let right: usize = self.by_kind.iter().map(|k| k.1).sum();
        let all: usize = self.by_kind.iter().map(|k| k.2).sum();
        let kinds: Vec<String> = self.by_kind.iter().map(|(k, r, n)| format!("{k} {r}/{n}")).collect();
        format!(
            "collection  {right}/{all} right ({})
             collection time p50 {:.2} ms  max {:.2} ms
",
            kinds.join(", "),
            self.p50_ms,
            self.max_ms
        )
    }
}

/// Whether `text` states `number` as a whole number (not inside a longer one).
fn states_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + number.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// Asks every question and judges it as `archive_questions`' README says:
/// the listed articles are the answer's citations, in order, one per file.
pub fn run_collection(engine: &Engine, questions: &[CollectionQuestion]) -> CollectionReport {
    let mut report = CollectionReport::default();
    let mut times = Vec::with_capacity(questions.len());
    for q in questions {
        let started = Instant::now();
        let a = engine.ask(&q.q, &AskOptions::default());
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let mut listed: Vec<&str> = Vec::new();
        for c in &a.citations {
            if !listed.contains(&c.quote.file.as_str()) {
                listed.push(&c.quote.file);
            }
        }
        let has = |f: &String| listed.contains(&f.as_str());
        let right = match q.kind.as_str() {
            "list" => q.files.iter().all(has) && (!q.exact || listed.iter().all(|l| q.files.iter().any(|f| f == l))),
            "count" => q.count.as_deref().is_some_and(|n| states_number(&a.answer, n)),
            "top" => listed.first().is_some_and(|f| q.files.first().is_some_and(|g| g == f)),
            "topic" => {
                let first: Vec<&str> = listed.iter().take(q.files.len() + 2).copied().collect();
                q.files.iter().all(|f| first.contains(&f.as_str()))
            }
            _ => listed.is_empty(),
        };
        match report.by_kind.iter_mut().find(|k| k.0 == q.kind) {
            Some(k) => {
                k.1 += usize::from(right);
                k.2 += 1;
            }
            None => report.by_kind.push((q.kind.clone(), usize::from(right), 1)),
        }
        if !right {
            report.misses.push(Miss {
                id: q.kind.clone(),
                q: q.q.clone(),
                what: format!("{}{}", q.files.join(" "), q.count.as_deref().unwrap_or("")),
                got: format!("{} | {}", a.answer, listed.join(" ")),
            });
        }
    }
    times.sort_by(f64::total_cmp);
    report.p50_ms = times.get(times.len() / 2).copied().unwrap_or(0.0);
    report.max_ms = times.last().copied().unwrap_or(0.0);
    report
}

/// Longest answer text that counts for "gold inside the answer text".
pub const ANSWER_TEXT_CHARS: usize = 200;

/// Thresholds of the gate at which the trade-off curve is reported.
/// (The engine's own threshold is added to them.)
pub const CURVE: [f32; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// One point of the gate's trade-off curve.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CurvePoint {
    pub threshold: f32,
    /// Answerable questions answered (not refused).
    pub answered: usize,
    /// …whose gold file is cited first.
    pub cited_first: usize,
    /// …whose gold answer is inside the answer text.
    pub correct: usize,
    /// No-answer questions refused.
    pub refused: usize,
}

/// What one answerable question got, gate open.
struct Outcome {
    confidence: f32,
    cited_first: bool,
    /// The article cited first is the gold file or holds a gold answer.
    cited_holds: bool,
    in_text: bool,
    a1: bool,
    a3: bool,
}

/// A question that was not answered as hoped.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub id: String,
    pub q: String,
    pub what: String,
    pub got: String,
}

/// The figures of one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub questions: usize,
    pub hit1_doc: usize,
    pub hit5_doc: usize,
    pub mrr10: f64,
    pub ndcg10: f64,
    pub retrieval_qps: f64,
    pub cited_first: usize,
    /// Answers whose first cited article is the gold file or holds a gold
    /// answer verbatim (a collection of news repeats itself: another
    /// article may say the same; `cited_first` counts only the gold file).
    pub cited_holding: usize,
    /// Gold answer inside the answer text (at most [`ANSWER_TEXT_CHARS`]).
    pub in_answer_text: usize,
    /// Median length of the answer texts given, in characters.
    pub answer_chars_p50: usize,
    pub answer1: usize,
    pub answer3: usize,
    /// Gold answer inside the top retrieved passage (what whole-document
    /// retrieval cannot give).
    pub passage1: usize,
    pub answered: usize,
    /// Answers whose first citation is not the best-ranked article…
    pub left_best: usize,
    /// …and of those, how many cite the gold article first.
    pub left_best_right: usize,
    /// Answers with a key span marked, and the spans' summed CMRC-style F1
    /// and exact matches against the gold answers.
    pub spans: usize,
    pub span_f1: f64,
    pub span_exact: usize,
    pub ask_p50_ms: f64,
    pub ask_max_ms: f64,
    pub no_answer_questions: usize,
    pub refused: usize,
    /// The gate's threshold these figures are at.
    pub threshold: f32,
    pub curve: Vec<CurvePoint>,
    pub misses: Vec<Miss>,
}

/// Strips the directory part, so gold `x.txt` matches `sub/x.txt`... only
/// when the corpus has no subdirectories; gold files are compared whole.
fn same_file(a: &str, b: &str) -> bool {
    a == b || a.rsplit('/').next() == b.rsplit('/').next()
}

/// Runs every question through retrieval and answering.
pub fn run(engine: &Engine, questions: &[Question], no_answer: &[Question]) -> Report {
    let mut r = Report {
        questions: questions.len(),
        no_answer_questions: no_answer.len(),
        ..Report::default()
    };
    // Retrieval, timed on its own: document ranking as the peers do it.
    let started = Instant::now();
    let rankings: Vec<Vec<(usize, f32)>> = questions.iter().map(|q| engine.rank_articles(&q.q, 10)).collect();
    let secs = started.elapsed().as_secs_f64();
    r.retrieval_qps = if secs > 0.0 { questions.len() as f64 / secs } else { 0.0 };
    let mut times = Vec::with_capacity(questions.len());
    let threshold = answer::min_confidence();
    r.threshold = threshold;
    let open_gate = AskOptions {
        min_confidence: Some(0.0),
        ..AskOptions::default()
    };
    let mut outcomes = Vec::with_capacity(questions.len());
    let mut lengths = Vec::new();
    for (q, ranking) in questions.iter().zip(&rankings) {
        let gold = q.file.as_deref().unwrap_or("");
        let rank = ranking
            .iter()
            .position(|&(a, _)| engine.doc(a).is_some_and(|d| same_file(&d.article.file, gold)))
            .map(|p| p + 1);
        if let Some(rank) = rank {
            r.hit1_doc += usize::from(rank == 1);
            r.hit5_doc += usize::from(rank <= 5);
            r.mrr10 += 1.0 / rank as f64;
            r.ndcg10 += 1.0 / (1.0 + rank as f64).log2();
        }
        let answer = engine.ask(&q.q, &open_gate);
        times.push(answer.took_ms);
        let accepted: Vec<String> = q.answer.iter().map(|a| fold(a)).filter(|a| !a.is_empty()).collect();
        let found_in = |texts: &[&str]| {
            texts
                .iter()
                .any(|t| accepted.iter().any(|a| fold(t).contains(a.as_str())))
        };
        let top_passage = engine.retrieve(&crate::query::parse(&q.q), 1);
        r.passage1 += usize::from(
            top_passage
                .first()
                .is_some_and(|h| found_in(&[&engine.passage_text(h)])),
        );
        let text = answer::without_markers(&answer.answer);
        let chars = text.chars().count();
        let passages: Vec<&str> = answer.citations.iter().map(|c| c.quote.passage.as_str()).collect();
        let answered = !answer.no_answer;
        let outcome = Outcome {
            confidence: answer.confidence,
            cited_first: answer.citations.first().is_some_and(|c| same_file(&c.quote.file, gold)),
            cited_holds: answer.citations.first().is_some_and(|c| {
                same_file(&c.quote.file, gold)
                    || engine
                        .doc_by_key(&c.article)
                        .is_some_and(|d| found_in(&[d.text.as_str()]))
            }),
            in_text: answered && chars <= ANSWER_TEXT_CHARS && found_in(&[text.as_str()]),
            a1: answered && (found_in(&[answer.answer.as_str()]) || found_in(&passages[..passages.len().min(1)])),
            a3: answered && (found_in(&[answer.answer.as_str()]) || found_in(&passages[..passages.len().min(3)])),
        };
        let passes = answered && outcome.confidence >= threshold;
        if passes {
            let best = ranking.first().map(|&(a, _)| a);
            let first = answer
                .citations
                .first()
                .and_then(|c| engine.doc_by_key(&c.article))
                .map(|d| d.id);
            if first.is_some() && first != best {
                r.left_best += 1;
                r.left_best_right += usize::from(outcome.cited_first);
            }
            if let Some((s, e)) = answer.span
                && let Some(marked) = answer.answer.get(s..e)
            {
                let f1 = q.answer.iter().map(|g| span_f1(marked, g)).fold(0.0, f64::max);
                r.spans += 1;
                r.span_f1 += f1;
                r.span_exact += usize::from(f1 >= 1.0);
            }
            lengths.push(chars);
            r.answered += 1;
            r.cited_first += usize::from(outcome.cited_first);
            r.cited_holding += usize::from(outcome.cited_holds);
            r.in_answer_text += usize::from(outcome.in_text);
            r.answer1 += usize::from(outcome.a1);
            r.answer3 += usize::from(outcome.a3);
        }
        if !passes || !outcome.in_text || !outcome.cited_first {
            r.misses.push(Miss {
                id: q.id.clone(),
                q: q.q.clone(),
                what: format!(
                    "want {:?} in {gold} (doc rank {})",
                    q.answer,
                    rank.map_or("-".into(), |x| x.to_string())
                ),
                got: format!(
                    "{}{} ← {} (confidence {:.2})",
                    if passes { "" } else { "REFUSED; would say " },
                    answer.answer,
                    answer.citations.first().map_or("", |c| c.quote.file.as_str()),
                    answer.confidence
                ),
            });
        }
        outcomes.push(outcome);
    }
    let n = questions.len().max(1) as f64;
    r.mrr10 /= n;
    r.ndcg10 /= n;
    times.sort_by(f64::total_cmp);
    r.ask_p50_ms = times.get(times.len() / 2).copied().unwrap_or(0.0);
    r.ask_max_ms = times.last().copied().unwrap_or(0.0);
    lengths.sort_unstable();
    r.answer_chars_p50 = lengths.get(lengths.len() / 2).copied().unwrap_or(0);
    let refusal_confidence = ask_refusals(engine, no_answer, threshold, &mut r);
    r.curve = curve(&outcomes, &refusal_confidence, threshold);
    r
}

/// Asks the questions the archive cannot answer with the gate open,
/// counts those refused at `threshold` (and the others as misses), and
/// returns each one's confidence (-1 for an answer the engine refused
/// outright) for the curve.
fn ask_refusals(engine: &Engine, no_answer: &[Question], threshold: f32, r: &mut Report) -> Vec<f32> {
    let open_gate = AskOptions {
        min_confidence: Some(0.0),
        ..AskOptions::default()
    };
    let mut confidences = Vec::with_capacity(no_answer.len());
    for q in no_answer {
        let answer = engine.ask(&q.q, &open_gate);
        let confidence = if answer.no_answer { -1.0 } else { answer.confidence };
        confidences.push(confidence);
        if confidence < threshold {
            r.refused += 1;
        } else {
            r.misses.push(Miss {
                id: q.id.clone(),
                q: q.q.clone(),
                what: "want no answer".into(),
                got: format!("{} (confidence {:.2})", answer.answer, answer.confidence),
            });
        }
    }
    confidences
}

/// The gate's trade-off at [`CURVE`]'s thresholds and the engine's own.
fn curve(outcomes: &[Outcome], refusal_confidence: &[f32], threshold: f32) -> Vec<CurvePoint> {
    let mut points = CURVE.to_vec();
    if !points.iter().any(|&t| (t - threshold).abs() < 1e-6) {
        points.push(threshold);
        points.sort_by(f32::total_cmp);
    }
    points
        .iter()
        .map(|&t| {
            let passing: Vec<&Outcome> = outcomes.iter().filter(|o| o.confidence >= t).collect();
            CurvePoint {
                threshold: t,
                answered: passing.len(),
                cited_first: passing.iter().filter(|o| o.cited_first).count(),
                correct: passing.iter().filter(|o| o.in_text).count(),
                refused: refusal_confidence.iter().filter(|&&c| c < t).count(),
            }
        })
        .collect()
}

impl Report {
    /// The human-readable summary.
    pub fn summary(&self) -> String {
        let n = self.questions.max(1) as f64;
        let pct = |x: usize| 100.0 * x as f64 / n;
        let mut s = format!(
            "questions {}\n\
             doc-level   hit@1 {:.3}  hit@5 {:.3}  MRR@10 {:.3}  nDCG@10 {:.3}  ({:.0} queries/s)\n\
             passages    answer@1 {}/{} ({:.1}%)  (gold answer inside the top passage)\n\
             answers     cited first {}/{} ({:.1}%)  in answer text {}/{} ({:.1}%)  answer@1 {}/{} ({:.1}%)  answer@3 {}/{} ({:.1}%)  answered {}/{}\n\
             first cite  gold file or holds the answer {}/{} ({:.1}%)  left the best-ranked article {} times, {} of them for the gold article\n\
             key span    marked {}/{}  F1 {:.3}  exact {}\n\
             answer text p50 {} characters (gold counts when the text is at most {} characters)\n\
             ask time    p50 {:.2} ms  max {:.2} ms\n",
            self.questions,
            self.hit1_doc as f64 / n,
            self.hit5_doc as f64 / n,
            self.mrr10,
            self.ndcg10,
            self.retrieval_qps,
            self.passage1,
            self.questions,
            pct(self.passage1),
            self.cited_first,
            self.questions,
            pct(self.cited_first),
            self.in_answer_text,
            self.questions,
            pct(self.in_answer_text),
            self.answer1,
            self.questions,
            pct(self.answer1),
            self.answer3,
            self.questions,
            pct(self.answer3),
            self.answered,
            self.questions,
            self.cited_holding,
            self.questions,
            pct(self.cited_holding),
            self.left_best,
            self.left_best_right,
            self.spans,
            self.answered,
            self.span_f1 / self.spans.max(1) as f64,
            self.span_exact,
            self.answer_chars_p50,
            ANSWER_TEXT_CHARS,
            self.ask_p50_ms,
            self.ask_max_ms,
        );
        if self.no_answer_questions > 0 {
            s.push_str(&format!("refused     {}/{}\n", self.refused, self.no_answer_questions));
        }
        s.push_str(&format!(
            "gate        threshold {:.3} (confidence below it is refused); trade-off:\n\
             \x20 threshold  answered  cited first  in answer text  refused\n",
            self.threshold
        ));
        for p in &self.curve {
            let mark = if (p.threshold - self.threshold).abs() < 1e-6 {
                "*"
            } else {
                " "
            };
            s.push_str(&format!(
                "{mark} {:>9.3}  {:>8}  {:>11}  {:>14}  {:>7}\n",
                p.threshold,
                format!("{}/{}", p.answered, self.questions),
                p.cited_first,
                p.correct,
                format!("{}/{}", p.refused, self.no_answer_questions),
            ));
        }
        s
    }
}

/// CMRC 2018's F1 of a predicted answer against a gold one: characters
/// (Chinese is scored by character), punctuation and spaces left out,
/// script and width folded; the longest common substring counts as the
/// overlap, as the official script does.
pub fn span_f1(predicted: &str, gold: &str) -> f64 {
    let clean = |t: &str| -> Vec<char> { fold(t).chars().filter(|c| c.is_alphanumeric()).collect() };
    let (p, g) = (clean(predicted), clean(gold));
    if p.is_empty() || g.is_empty() {
        return 0.0;
    }
    // Longest common substring, by dynamic programming over one row.
    let mut row = vec![0usize; g.len() + 1];
    let mut longest = 0;
    for &a in &p {
        let mut diagonal = 0;
        for (j, &b) in g.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if a == b { diagonal + 1 } else { 0 };
            longest = longest.max(row[j + 1]);
            diagonal = above;
        }
    }
    if longest == 0 {
        return 0.0;
    }
    let precision = longest as f64 / p.len() as f64;
    let recall = longest as f64 / g.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

/// Whether a question belongs to the held-out half of its set: the first
/// byte of the SHA-256 of its id is odd. The learned models are trained on
/// the other half only (`bench/train/`), so figures on this half are
/// figures on questions they never saw.
pub fn held_out(id: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(id.as_bytes())[0] & 1 == 1
}

/// The figures of a question set on each half (see [`held_out`]).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Halves {
    pub held_out: Report,
    pub trained: Report,
}

impl Halves {
    pub fn summary(&self) -> String {
        format!(
            "== held-out half (questions the models never saw)\n{}== trained half\n{}",
            self.held_out.summary(),
            self.trained.summary()
        )
    }
}

/// [`run`] on each half of the questions and of the no-answer questions.
pub fn run_halves(engine: &Engine, questions: &[Question], no_answer: &[Question]) -> Halves {
    let half = |qs: &[Question], out: bool| -> Vec<Question> {
        qs.iter().filter(|q| held_out(&q.id) == out).cloned().collect()
    };
    Halves {
        held_out: run(engine, &half(questions, true), &half(no_answer, true)),
        trained: run(engine, &half(questions, false), &half(no_answer, false)),
    }
}

/// Writes the learned models' training rows, one JSON line a question:
/// its candidates' features and labels (see `bench/train/README.md`).
/// Each answerable question is written twice: as asked, and as if its gold
/// article were not in the archive (a question the archive cannot answer,
/// for the gate). Questions without a gold file are written once, as
/// unanswerable. Returns the lines written.
pub fn write_features(
    engine: &Engine,
    questions: &[Question],
    no_answer: &[Question],
    out: &mut dyn std::io::Write,
) -> std::io::Result<usize> {
    let mut lines = 0;
    let opts = AskOptions::default();
    for (q, answerable) in questions
        .iter()
        .map(|q| (q, true))
        .chain(no_answer.iter().map(|q| (q, false)))
    {
        let (own, parsed) = engine.understand(&q.q, &opts);
        if own.is_empty() || parsed.meta.is_some() {
            continue;
        }
        let gold = q.file.as_deref().unwrap_or("");
        let accepted: Vec<String> = q.answer.iter().map(|a| fold(a)).filter(|a| !a.is_empty()).collect();
        let gold_article = engine
            .rank_articles(&q.q, 50)
            .into_iter()
            .map(|(a, _)| a)
            .find(|&a| answerable && engine.doc(a).is_some_and(|d| same_file(&d.article.file, gold)));
        let mut variants = vec![(answerable, None)];
        if let Some(a) = gold_article {
            variants.push((false, Some(a)));
        }
        for (positive, without) in variants {
            let scene = engine.scene(&parsed, without);
            if scene.sentences.is_empty() {
                continue;
            }
            let sentences: Vec<serde_json::Value> = scene
                .sentences
                .iter()
                .map(|s| {
                    let folded = fold(scene.docs[s.hit].span(s.start, s.end));
                    let chars = folded.chars().count();
                    let label = positive
                        && accepted
                            .iter()
                            .any(|a| folded.contains(a.as_str()) || (chars >= 6 && a.contains(folded.trim())));
                    serde_json::json!([s.candidate, u8::from(label), s.features])
                })
                .collect();
            let articles: Vec<serde_json::Value> = scene
                .articles
                .iter()
                .map(|c| {
                    let label = positive && engine.doc(c.article).is_some_and(|d| same_file(&d.article.file, gold));
                    serde_json::json!([u8::from(label), c.features])
                })
                .collect();
            // Key-span candidates of the sentences that hold an answer,
            // labelled by their CMRC-style F1 against the gold answers.
            let mut spans: Vec<serde_json::Value> = Vec::new();
            for s in scene.sentences.iter().filter(|_| positive) {
                let text = scene.docs[s.hit].span(s.start, s.end);
                let folded = fold(text);
                if !accepted.iter().any(|a| folded.contains(a.as_str())) {
                    continue;
                }
                let found = crate::answer::span::candidates(&parsed, text);
                if found.is_empty() {
                    continue;
                }
                let features = crate::answer::span::features(&parsed, text, &found);
                let group: Vec<serde_json::Value> = found
                    .iter()
                    .zip(features)
                    .map(|(c, f)| {
                        let f1 = q
                            .answer
                            .iter()
                            .map(|g| span_f1(&text[c.start..c.end], g))
                            .fold(0.0, f64::max);
                        serde_json::json!([u8::from(f1 >= 0.5), f])
                    })
                    .collect();
                spans.push(serde_json::Value::Array(group));
            }
            let line = serde_json::json!({
                "spans": spans,
                "id": q.id,
                "held_out": held_out(&q.id),
                "positive": positive,
                "removed": without.is_some(),
                "sentences": sentences,
                "articles": articles,
                "question": scene.question,
            });
            writeln!(out, "{line}")?;
            lines += 1;
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_formats_and_names_bad_lines() {
        let qs = read_questions(
            "{\"id\":\"d01\",\"q\":\"问\",\"file\":\"a.txt\",\"answer\":[\"答\"]}\n\n{\"id\":\"dn1\",\"q\":\"问\"}\n",
        )
        .unwrap();
        assert_eq!(qs.len(), 2);
        assert_eq!(qs[1].file, None);
        assert!(read_questions("{}\nnot json").unwrap_err().starts_with("line 1"));
    }

    #[test]
    fn markers_are_stripped_from_answer_text() {
        assert_eq!(
            answer::without_markers("66名机关干部。[1] 又见[2]"),
            "66名机关干部。 又见"
        );
        assert_eq!(answer::without_markers("[注] 数组[i] [12"), "[注] 数组[i] [12");
    }

    #[test]
    fn the_curve_trades_answers_for_refusals() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
        let loaded = crate::load::load(std::path::Path::new(dir)).unwrap();
        let engine = Engine::in_ram(loaded.articles).unwrap();
        let q = |q: &str, file: Option<&str>, answer: &[&str]| Question {
            id: String::new(),
            q: q.into(),
            file: file.map(str::to_owned),
            answer: answer.iter().map(|a| a.to_string()).collect(),
        };
        let questions = [
            q(
                "锦湖街道集结了多少名机关干部?",
                Some("004_82fc2c655d591153.txt"),
                &["66名"],
            ),
            q(
                "陈达锋担任了哪个隔离点的组长?",
                Some("000_101a5bdc808eb656.txt"),
                &["隔离点组长"],
            ),
        ];
        let none = [
            q("今天北京的天气怎么样?", None, &[]),
            q("锦湖街道的人口是多少?", None, &[]),
        ];
        let r = run(&engine, &questions, &none);
        assert_eq!((r.cited_first, r.in_answer_text), (2, 2), "{}", r.summary());
        assert!(r.curve.len() >= CURVE.len());
        for w in r.curve.windows(2) {
            assert!(
                w[1].answered <= w[0].answered && w[1].refused >= w[0].refused,
                "{:?}",
                r.curve
            );
            assert!(w[1].correct <= w[0].correct);
        }
        let at = r
            .curve
            .iter()
            .find(|p| (p.threshold - r.threshold).abs() < 1e-6)
            .unwrap();
        assert_eq!(
            (at.answered, at.refused, at.correct),
            (r.answered, r.refused, r.in_answer_text)
        );
        assert!(r.summary().contains("trade-off"));
    }
}
