//! The key span: inside a quoted sentence, the words that answer a
//! number, date, person, place or organisation question ("锦湖街道集结了
//! **66名**机关干部"), found from jieba's part-of-speech tags, so that the
//! reader sees the answer at a glance and keeps its context.
//!
//! A candidate is a run of words of the kind asked for (numerals and
//! measure words; time words; person names; place, organisation and other
//! proper names) that the question does not already say. Of several, a
//! learned model ([`super::learned`]) chooses, mostly by how near the
//! question's own words stand: reading comprehension's oldest observation,
//! that an answer stands next to the words of its question.

use crate::index::tokenize::JIEBA;
use crate::query::{AnswerKind, Parsed};
use crate::script::fold;

/// Whether a jieba tag fits the kind of answer asked for; `None` for the
/// kinds a span cannot answer (a role, a list, an open question).
fn fits(kind: AnswerKind, tag: &str, word: &str) -> Option<bool> {
    let numeral = tag == "m" || word.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '%');
    Some(match kind {
        AnswerKind::Number | AnswerKind::Price => numeral || tag == "q",
        AnswerKind::Date => tag == "t" || numeral,
        AnswerKind::Person => tag.starts_with("nr"),
        AnswerKind::Entity => matches!(tag, "ns" | "nt" | "nz") || tag.starts_with("nr"),
        AnswerKind::Role | AnswerKind::List | AnswerKind::Any => return None,
    })
}

/// Whether a run of words is an answer of its kind on its own: a number
/// holds a digit, a date a digit or a time word.
fn complete(kind: AnswerKind, run: &str, tags: &[&str]) -> bool {
    let digit = run
        .chars()
        .any(|c| c.is_ascii_digit() || "零一二两三四五六七八九十百千万亿".contains(c));
    // A numeral right before 月, 日 or 号 names a day, not a quantity.
    let day = run
        .char_indices()
        .any(|(i, c)| c.is_ascii_digit() && run[i + 1..].starts_with(['月', '日', '号']));
    match kind {
        AnswerKind::Number | AnswerKind::Price => digit && !day,
        AnswerKind::Date => tags.contains(&"t") || digit && run.contains(['年', '月', '日', '号', '时']),
        _ => true,
    }
}

/// A candidate key span: a byte range and the jieba tags of its words.
pub struct Candidate {
    pub start: usize,
    pub end: usize,
    tags: Vec<String>,
}

/// The candidate spans of `text` for the question's kind.
pub fn candidates(parsed: &Parsed, text: &str) -> Vec<Candidate> {
    let kind = parsed.kind;
    if matches!(kind, AnswerKind::Role | AnswerKind::List | AnswerKind::Any) {
        // Nothing a run of tagged words can answer.
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut run: Option<(usize, usize, Vec<&str>)> = None;
    let mut close = |run: &mut Option<(usize, usize, Vec<&str>)>| {
        if let Some((s, e, tags)) = run.take() {
            let piece = &text[s..e];
            let folded = fold(piece);
            if complete(kind, piece, &tags) && !parsed.folded.contains(folded.trim()) {
                out.push(Candidate {
                    start: s,
                    end: e,
                    tags: tags.iter().map(|t| t.to_string()).collect(),
                });
            }
        }
    };
    // jieba's dictionary is Simplified: tag the folded text (Traditional
    // text is tagged worse: 個 as zg, 點位 as a numeral). Folding keeps one
    // character for each, so a folded byte offset maps back through its
    // character's index.
    let folded = fold(text);
    let ends = |s: &str| s.char_indices().map(|(i, _)| i).chain([s.len()]).collect::<Vec<_>>();
    let (original, in_folded) = (ends(text), ends(&folded));
    let back = |byte: usize| {
        in_folded
            .binary_search(&byte)
            .ok()
            .and_then(|i| original.get(i).copied())
    };
    for tok in JIEBA.tag(&folded, true) {
        let (Some(start), Some(end)) = (back(tok.byte_start), back(tok.byte_end)) else {
            close(&mut run);
            continue;
        };
        // A numeral takes the measure word after it (8名, 4盒): jieba
        // often tags a one-character classifier as a noun. (A character,
        // not punctuation: 、 and ， sit in the CJK blocks too.)
        let classifier = matches!(kind, AnswerKind::Number | AnswerKind::Price)
            && tok.word.chars().count() == 1
            && tok.word.chars().all(|c| c > '\u{2e80}' && c.is_alphabetic())
            && run
                .as_ref()
                .is_some_and(|(_, e, tags)| *e == start && tags.last() == Some(&"m"));
        if classifier || fits(kind, tok.tag, tok.word) == Some(true) {
            match &mut run {
                Some((_, e, tags)) if *e == start => {
                    *e = end;
                    tags.push(tok.tag);
                }
                _ => {
                    close(&mut run);
                    run = Some((start, end, vec![tok.tag]));
                }
            }
        } else {
            close(&mut run);
        }
    }
    close(&mut run);
    out
}

/// 1 when `text` holds a word of the kind the question asks for that the
/// question itself does not say (a feature of the sentence model).
pub fn typed_word(parsed: &Parsed, text: &str) -> f32 {
    f32::from(u8::from(!candidates(parsed, text).is_empty()))
}

/// Where the question's key words stand in `text`: the character
/// positions of their bigrams, and which key word each is (folding keeps
/// a character's place closely enough for distances).
fn marks(parsed: &Parsed, text: &str) -> Vec<(usize, usize)> {
    let folded = fold(text);
    let mut marks = Vec::new();
    for (k, w) in parsed.key_words.iter().enumerate() {
        for b in &w.bigrams {
            marks.extend(
                folded
                    .match_indices(b.as_str())
                    .map(|(i, _)| (folded[..i].chars().count(), k)),
            );
        }
    }
    marks
}

/// Characters either side of a candidate in which question words count
/// as its neighbours.
const WINDOW_CHARS: usize = 15;

/// The features of each candidate (in the order of
/// [`super::learned::SPAN_FEATURES`]): how far the question's words stand
/// and on which side, how many of them are near, its length, its words'
/// tags, and its place among the sentence's candidates.
pub fn features(parsed: &Parsed, text: &str, found: &[Candidate]) -> Vec<Vec<f32>> {
    let marks = marks(parsed, text);
    let chars = text.chars().count().max(1) as f32;
    let words = parsed.key_words.len().max(1) as f32;
    let char_at = |byte: usize| text[..byte].chars().count();
    found
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (s, e) = (char_at(c.start), char_at(c.end));
            let nearest = marks
                .iter()
                .map(|&(m, _)| {
                    if m < s {
                        (s - m, false)
                    } else {
                        (m.saturating_sub(e), true)
                    }
                })
                .min();
            let (distance, after) = nearest.map_or((50, false), |(d, after)| (d.min(50), after));
            let mut near: Vec<usize> = marks
                .iter()
                .filter(|&&(m, _)| m + WINDOW_CHARS >= s && m <= e + WINDOW_CHARS)
                .map(|&(_, k)| k)
                .collect();
            near.sort_unstable();
            near.dedup();
            let tag = |t: &str| f32::from(u8::from(c.tags.iter().any(|x| x.starts_with(t))));
            vec![
                (distance as f32 / 10.0).min(5.0),
                f32::from(u8::from(after)),
                near.len() as f32 / words,
                ((e - s) as f32 / 5.0).min(4.0),
                tag("m"),
                tag("t"),
                tag("nr"),
                tag("ns"),
                tag("nt"),
                tag("nz"),
                s as f32 / chars,
                f32::from(u8::from(i == 0)),
                1.0 / found.len() as f32,
            ]
        })
        .collect()
}

/// The key span of `quote` for the question: a byte range, or `None` when
/// the question's kind has none or the quote holds no candidate. Of
/// several candidates, the span model's best.
pub fn key_span(parsed: &Parsed, quote: &str) -> Option<(usize, usize)> {
    let found = candidates(parsed, quote);
    let model = &super::learned::MODELS.span;
    let scores = features(parsed, quote, &found);
    let best = (0..found.len()).max_by(|&a, &b| {
        model
            .logit(&scores[a])
            .total_cmp(&model.logit(&scores[b]))
            .then(b.cmp(&a))
    })?;
    Some((found[best].start, found[best].end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    fn marked(q: &str, quote: &str) -> Option<String> {
        key_span(&parse(q), quote).map(|(s, e)| quote[s..e].to_owned())
    }

    #[test]
    fn marks_the_number_asked_for() {
        assert_eq!(
            marked(
                "锦湖街道集结了多少名机关干部?",
                "2月3日,锦湖街道集结了66名机关干部奔赴一线。"
            )
            .as_deref(),
            Some("66名")
        );
    }

    #[test]
    fn marks_a_date_and_a_person() {
        let date = marked(
            "方舱医院什么时候启用?",
            "武汉首批方舱医院于2020年2月5日启用,共有床位4000张。",
        );
        assert!(date.as_deref().is_some_and(|d| d.contains("2月5日")), "{date:?}");
        let who = marked("谁担任隔离点组长?", "陈达锋担任了隔离点组长,负责日常管理。");
        assert_eq!(who.as_deref(), Some("陈达锋"));
    }

    #[test]
    fn a_measure_word_is_a_character_not_punctuation() {
        // jieba tags 點位 a numeral in Traditional text; the 、 after it
        // must not join it to the next number.
        let q = parse("长乐全区启动了多少个采样点位");
        let text = "全區347個采樣點位、665個采樣通道啟動";
        let found: Vec<&str> = candidates(&q, text).iter().map(|c| &text[c.start..c.end]).collect();
        assert!(found.contains(&"347個"), "{found:?}");
        assert!(found.iter().all(|c| !c.contains('、')), "{found:?}");
        assert_eq!(marked("长乐全区启动了多少个采样点位", text).as_deref(), Some("347個"));
    }

    #[test]
    fn traditional_text_is_tagged_as_its_simplified_form() {
        // jieba's dictionary is Simplified: read as written, 貝爾根作 is cut
        // as one word and 以漢諾瓦作 taken for a place. The span is a range
        // of the text as written.
        let place = marked(
            "歐洲最大的部隊演練場地位在哪邊？",
            "位於呂訥堡石楠草原南部的貝爾根作為部隊演練場地佔地面積達284平方公里，是歐洲最大的部隊演練場地。",
        );
        assert_eq!(place.as_deref(), Some("貝爾根"));
        let who = marked(
            "下薩克森邦在1946年時由哪一國建立？",
            "當時的英國占領當局在1946年11月8日建立了以漢諾瓦作為邦首府的下薩克森邦。",
        );
        assert_eq!(who.as_deref(), Some("英國"));
    }

    #[test]
    fn nothing_is_marked_for_open_questions_or_what_the_question_says() {
        assert_eq!(marked("如何加强疫情防控?", "各地加强了66个卡口的管理。"), None);
        // The only number is the question's own.
        assert_eq!(marked("66名干部去了哪里?", "66名干部奔赴一线。"), None);
    }
}
