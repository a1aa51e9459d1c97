//! Passages ranked at question time, from the text of the articles the
//! index ranked best.
//!
//! There is no index of passages: a question's passages always come from
//! the best articles the index found (see [`crate::engine`]),
//! and their text is at hand in the stored articles. Each article is cut
//! into passages ([`crate::passage::split`]) and folded as the index folds
//! text, the question's terms are found in one pass over each passage
//! (Aho-Corasick), and each passage gets BM25 over the fields the index
//! would have given it: its bigrams, its words, and its article's headline
//! as context. A term's rarity is estimated from how many articles hold it
//! (see [`crate::engine`]).
//!
//! Words are found as substrings rather than re-cut with jieba (which would
//! cost milliseconds per question), and a passage's length is counted in
//! characters; what this costs against an index of passages is in
//! `docs/scaling.md`.

use std::collections::HashMap;
use std::sync::Arc;

use aho_corasick::AhoCorasick;

use crate::index::tokenize::is_word_char;
use crate::passage;
use crate::query::Parsed;
use crate::retrieval::{Doc, TermField};
use crate::script::{fold, is_cjk};

/// A retrieved passage: the byte span `start..end` of article `article`'s
/// text, and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub article: usize,
    pub start: usize,
    pub end: usize,
    pub score: f32,
    /// The article's own score relative to the best article's (0–1; set
    /// by [`crate::engine::Engine::retrieve`], 0 before fusing).
    pub article_score: f32,
}

impl Hit {
    /// What identifies the passage, whatever its score.
    pub fn place(&self) -> (usize, usize) {
        (self.article, self.start)
    }
}

/// BM25's saturation and length normalisation, tantivy's (and Lucene's)
/// defaults.
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// The headline's weight beside the passage's own bigrams (recall) and
/// words (precision), which count alike: the headline is context, the same
/// for every passage of an article. Chosen on half of ncp_dev (its even
/// documents' questions): 0.2 → nDCG@10 0.939, 0.3 → 0.941, 0.4 → 0.943,
/// 0.5 and 0.6 → 0.947.
const BOOST_TITLE: f32 = 0.5;

/// One search term: where it counts and how it must stand in the text.
struct Term {
    /// idf as a bigram term (`None`: not one of the question's bigrams).
    bigram: Option<f32>,
    /// idf as a word term.
    word: Option<f32>,
    /// What may not stand beside the term for it to count as a bigram
    /// token: a CJK character beside a lone CJK character (they would make
    /// a pair), a word character beside a Latin word or number (it would
    /// be part of a longer one).
    bigram_edge: Option<fn(char) -> bool>,
    /// The same for a word: a Latin word or number counts only whole.
    word_edge: Option<fn(char) -> bool>,
}

/// The question's terms and an automaton finding them all in one pass.
pub struct Matcher {
    terms: Vec<Term>,
    automaton: AhoCorasick,
}

/// A term must stand whole in `text` at `start..end`: no character of
/// the given kind on either side.
fn stands_whole(text: &str, start: usize, end: usize, kind: fn(char) -> bool) -> bool {
    let before = text[..start].chars().next_back().is_some_and(kind);
    let after = text[end..].chars().next().is_some_and(kind);
    !before && !after
}

impl Matcher {
    /// The matcher of a parsed question; `idf` gives a term's rarity in a
    /// field. `None` when the question has no terms.
    pub fn new(parsed: &Parsed, idf: &dyn Fn(TermField, &str) -> f32) -> Option<Matcher> {
        let mut place: HashMap<&str, usize> = HashMap::new();
        let mut patterns: Vec<&str> = Vec::new();
        let mut terms: Vec<Term> = Vec::new();
        let all = parsed.bigrams.iter().map(|b| (b, TermField::Bigram));
        for (text, field) in all.chain(parsed.words.iter().map(|w| (w, TermField::Word))) {
            let i = *place.entry(text.as_str()).or_insert_with(|| {
                patterns.push(text);
                let latin = !text.chars().any(is_cjk);
                let latin_edge: Option<fn(char) -> bool> = latin.then_some(is_word_char);
                let lone: Option<fn(char) -> bool> = (text.chars().count() == 1).then_some(is_cjk);
                terms.push(Term {
                    bigram: None,
                    word: None,
                    bigram_edge: latin_edge.or(lone),
                    word_edge: latin_edge,
                });
                terms.len() - 1
            });
            let rarity = Some(idf(field, text));
            match field {
                TermField::Bigram => terms[i].bigram = rarity,
                TermField::Word => terms[i].word = rarity,
            }
        }
        if patterns.is_empty() {
            return None;
        }
        match AhoCorasick::new(&patterns) {
            Ok(automaton) => Some(Matcher { terms, automaton }),
            Err(e) => {
                tracing::warn!(error = %e, "the question's terms cannot be searched for");
                None
            }
        }
    }

    /// How often each term occurs in folded `text`: (as bigram, as word).
    fn counts(&self, text: &str) -> Vec<(u32, u32)> {
        let mut counts = vec![(0, 0); self.terms.len()];
        for m in self.automaton.find_overlapping_iter(text) {
            let i = m.pattern().as_usize();
            let (Some(term), Some(count)) = (self.terms.get(i), counts.get_mut(i)) else {
                continue;
            };
            let (s, e) = (m.start(), m.end());
            let counts = |edge: Option<fn(char) -> bool>| edge.is_none_or(|edge| stands_whole(text, s, e, edge));
            if term.bigram.is_some() && counts(term.bigram_edge) {
                count.0 += 1;
            }
            if term.word.is_some() && counts(term.word_edge) {
                count.1 += 1;
            }
        }
        counts
    }
}

/// BM25's weight of `tf` occurrences in a field of length `len` (average
/// `avg`).
fn bm25(idf: f32, tf: u32, len: f32, avg: f32) -> f32 {
    if tf == 0 {
        return 0.0;
    }
    let tf = tf as f32;
    idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg.max(1.0)))
}

/// One passage being scored.
struct Scored {
    hit: Hit,
    /// Its article's place in `docs` (for the headline's counts).
    doc: usize,
    counts: Vec<(u32, u32)>,
    len: f32,
}

/// The best `limit` passages of `docs` for the question, best first, with
/// their BM25 scores.
pub fn passages(matcher: &Matcher, docs: &[Arc<Doc>], limit: usize) -> Vec<Hit> {
    let mut scored: Vec<Scored> = Vec::new();
    let mut titles: Vec<(Vec<(u32, u32)>, f32)> = Vec::with_capacity(docs.len());
    for (d, doc) in docs.iter().enumerate() {
        let title = fold(&doc.article.title);
        titles.push((matcher.counts(&title), title.chars().count() as f32));
        for p in passage::split(doc.id, &doc.text) {
            let folded = fold(doc.span(p.start, p.end));
            scored.push(Scored {
                hit: Hit {
                    article: doc.id,
                    start: p.start,
                    end: p.end,
                    score: 0.0,
                    article_score: 0.0,
                },
                doc: d,
                counts: matcher.counts(&folded),
                len: folded.chars().count() as f32,
            });
        }
    }
    if scored.is_empty() {
        return Vec::new();
    }
    let avg_len = scored.iter().map(|s| s.len).sum::<f32>() / scored.len() as f32;
    let avg_title = titles.iter().map(|t| t.1).sum::<f32>() / titles.len().max(1) as f32;
    for s in &mut scored {
        let (title_counts, title_len) = &titles[s.doc];
        let mut score = 0.0;
        for (i, term) in matcher.terms.iter().enumerate() {
            let (bigrams, words) = s.counts[i];
            if let Some(idf) = term.bigram {
                score += bm25(idf, bigrams, s.len, avg_len);
                score += BOOST_TITLE * bm25(idf, title_counts[i].0, *title_len, avg_title);
            }
            if let Some(idf) = term.word {
                score += bm25(idf, words, s.len, avg_len);
            }
        }
        s.hit.score = score;
    }
    let mut hits: Vec<Hit> = scored.into_iter().map(|s| s.hit).filter(|h| h.score > 0.0).collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.place().cmp(&b.place())));
    hits.truncate(limit);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::Article;

    fn doc(id: usize, title: &str, paragraphs: &[&str]) -> Arc<Doc> {
        let article = Article {
            file: format!("{id}.txt"),
            title: title.into(),
            source: None,
            author: None,
            date: None,
            url: None,
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            lines: Vec::new(),
        };
        let text = article.text();
        Arc::new(Doc {
            id,
            key: format!("k{id}"),
            article,
            text,
        })
    }

    fn matcher(question: &str) -> Matcher {
        Matcher::new(&crate::query::parse(question), &|_, _| 1.0).unwrap()
    }

    /// Counts as the index's tokenizers cut: a bigram anywhere, a lone
    /// character only where no CJK character stands beside it, a Latin word
    /// only whole; a word (jieba's) wherever its characters stand.
    #[test]
    fn counts_terms_as_the_tokenizers_cut_them() {
        let mut parsed = crate::query::parse("隔离");
        parsed.bigrams = vec!["隔离".into(), "点".into(), "5g".into()];
        parsed.words = vec!["隔离点".into(), "5g".into()];
        let m = Matcher::new(&parsed, &|_, _| 1.0).unwrap();
        // Terms in order: 隔离, 点, 5g (bigram and word), 隔离点.
        let counts = m.counts("隔离点与隔离点,点 5g网络,不是15g");
        assert_eq!(counts, vec![(2, 0), (1, 0), (1, 1), (0, 2)]);
    }

    /// The passage holding the question's terms comes first, with the
    /// article's span: the quote is verbatim text of the article, in its
    /// own script.
    #[test]
    fn the_passage_with_the_terms_wins_and_quotes_verbatim() {
        let long = "今天天气晴朗,市民出门散步,公园里人很多,大家都在锻炼身体。".repeat(3);
        let docs = vec![
            doc(0, "天气", &[&long]),
            doc(1, "防疫", &[&long, "陳達鋒擔任第三隔離點的組長,負責日常管理。", &long]),
        ];
        let hits = passages(&matcher("陈达锋担任了哪个隔离点的组长?"), &docs, 10);
        let best = hits.first().unwrap();
        assert_eq!(best.article, 1);
        assert_eq!(
            docs[1].span(best.start, best.end),
            "陳達鋒擔任第三隔離點的組長,負責日常管理。"
        );
        assert!(hits.iter().all(|h| h.score > 0.0));
        assert!(
            hits.iter().all(|h| h.article == 1),
            "nothing of the weather matches: {hits:?}"
        );
    }

    #[test]
    fn a_question_without_terms_has_no_matcher() {
        assert!(Matcher::new(&crate::query::parse("?? !!"), &|_, _| 1.0).is_none());
    }
}
