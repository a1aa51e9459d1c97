//! Evaluation on question sets: `{"id","q","file","answer":[...]}` per line
//! (our dev set and the public benches share this format), plus optional
//! questions the archive cannot answer (`{"id","q"}`).
//!
//! Document level (retrieval): hit@1, hit@5, MRR@10, nDCG@10 of the gold
//! file among the ranked articles, and queries per second. Answer level:
//! hit@1 (gold file cited first), answer@1 (an acceptable answer, folded,
//! inside the answer or the first cited passage), answer@3 (inside the
//! answer or any of the first three), and refused (no-answer questions that
//! got no citations).

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::answer::AskOptions;
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
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
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
    pub answer1: usize,
    pub answer3: usize,
    /// Gold answer inside the top retrieved passage (what whole-document
    /// retrieval cannot give).
    pub passage1: usize,
    pub answered: usize,
    pub ask_p50_ms: f64,
    pub ask_max_ms: f64,
    pub no_answer_questions: usize,
    pub refused: usize,
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
    let opts = AskOptions::default();
    for (q, ranking) in questions.iter().zip(&rankings) {
        let gold = q.file.as_deref().unwrap_or("");
        let rank = ranking
            .iter()
            .position(|&(a, _)| same_file(&engine.articles()[a].file, gold))
            .map(|p| p + 1);
        if let Some(rank) = rank {
            r.hit1_doc += usize::from(rank == 1);
            r.hit5_doc += usize::from(rank <= 5);
            r.mrr10 += 1.0 / rank as f64;
            r.ndcg10 += 1.0 / (1.0 + rank as f64).log2();
        }
        let answer = engine.ask(&q.q, &opts);
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
                .is_some_and(|h| found_in(&[engine.passage_text(h.passage)])),
        );
        let passages: Vec<&str> = answer.citations.iter().map(|c| c.passage.as_str()).collect();
        let cited_first = answer.citations.first().is_some_and(|c| same_file(&c.file, gold));
        let a1 = found_in(&[answer.answer.as_str()]) || found_in(&passages[..passages.len().min(1)]);
        let a3 = a1 || found_in(&passages[..passages.len().min(3)]);
        r.answered += usize::from(!answer.no_answer);
        r.cited_first += usize::from(cited_first);
        r.answer1 += usize::from(a1);
        r.answer3 += usize::from(a3);
        if !a1 || !cited_first {
            r.misses.push(Miss {
                id: q.id.clone(),
                q: q.q.clone(),
                what: format!(
                    "want {:?} in {gold} (doc rank {})",
                    q.answer,
                    rank.map_or("-".into(), |x| x.to_string())
                ),
                got: if answer.no_answer {
                    "no answer".into()
                } else {
                    format!(
                        "{} ← {}",
                        answer.answer,
                        answer.citations.first().map_or("", |c| c.file.as_str())
                    )
                },
            });
        }
    }
    let n = questions.len().max(1) as f64;
    r.mrr10 /= n;
    r.ndcg10 /= n;
    times.sort_by(f64::total_cmp);
    r.ask_p50_ms = times.get(times.len() / 2).copied().unwrap_or(0.0);
    r.ask_max_ms = times.last().copied().unwrap_or(0.0);
    for q in no_answer {
        let answer = engine.ask(&q.q, &opts);
        if answer.citations.is_empty() {
            r.refused += 1;
        } else {
            r.misses.push(Miss {
                id: q.id.clone(),
                q: q.q.clone(),
                what: "want no answer".into(),
                got: answer.answer,
            });
        }
    }
    r
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
             answers     hit@1 {}/{} ({:.1}%)  answer@1 {}/{} ({:.1}%)  answer@3 {}/{} ({:.1}%)  answered {}/{}\n\
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
            self.answer1,
            self.questions,
            pct(self.answer1),
            self.answer3,
            self.questions,
            pct(self.answer3),
            self.answered,
            self.questions,
            self.ask_p50_ms,
            self.ask_max_ms,
        );
        if self.no_answer_questions > 0 {
            s.push_str(&format!("refused     {}/{}\n", self.refused, self.no_answer_questions));
        }
        s
    }
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
}
