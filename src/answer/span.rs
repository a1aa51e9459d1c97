//! The key span: inside a quoted sentence, the words that answer a
//! number, date, person, place or organisation question ("锦湖街道集结了
//! **66名**机关干部"), found from jieba's part-of-speech tags, so that the
//! reader sees the answer at a glance and keeps its context.
//!
//! A candidate is a run of words of the kind asked for (numerals and
//! measure words; time words; person names; place, organisation and other
//! proper names) that the question does not already say. Of several, the
//! one nearest the question's own words in the sentence is the answer:
//! reading comprehension's oldest observation, that an answer stands next
//! to the words of its question.

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
    match kind {
        AnswerKind::Number | AnswerKind::Price => digit,
        AnswerKind::Date => tags.contains(&"t") || digit && run.contains(['年', '月', '日', '号', '时']),
        _ => true,
    }
}

/// The candidate spans of `text` (byte ranges) for the question's kind.
fn candidates(parsed: &Parsed, text: &str) -> Vec<(usize, usize)> {
    let kind = parsed.kind;
    if fits(kind, "", "").is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut run: Option<(usize, usize, Vec<&str>)> = None;
    let mut close = |run: &mut Option<(usize, usize, Vec<&str>)>| {
        if let Some((s, e, tags)) = run.take() {
            let piece = &text[s..e];
            let folded = fold(piece);
            if complete(kind, piece, &tags) && !parsed.folded.contains(folded.trim()) {
                out.push((s, e));
            }
        }
    };
    for tok in JIEBA.tag(text, true) {
        // A numeral takes the measure word after it (8名, 4盒): jieba
        // often tags a one-character classifier as a noun.
        let classifier = matches!(kind, AnswerKind::Number | AnswerKind::Price)
            && tok.word.chars().count() == 1
            && tok.word.chars().all(|c| c > '\u{2e80}')
            && run
                .as_ref()
                .is_some_and(|(_, e, tags)| *e == tok.byte_start && tags.last() == Some(&"m"));
        if classifier || fits(kind, tok.tag, tok.word) == Some(true) {
            match &mut run {
                Some((_, e, tags)) if *e == tok.byte_start => {
                    *e = tok.byte_end;
                    tags.push(tok.tag);
                }
                _ => {
                    close(&mut run);
                    run = Some((tok.byte_start, tok.byte_end, vec![tok.tag]));
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

/// The key span of `quote` for the question: a byte range, or `None` when
/// the question's kind has none or the quote holds no candidate.
pub fn key_span(parsed: &Parsed, quote: &str) -> Option<(usize, usize)> {
    let found = candidates(parsed, quote);
    if found.len() <= 1 {
        return found.first().copied();
    }
    // Where the question's words stand in the quote (folding keeps each
    // character's place: it maps characters one to one).
    let folded: Vec<char> = fold(quote).chars().collect();
    let folded: String = folded.into_iter().collect();
    let mut marks: Vec<usize> = Vec::new();
    for w in &parsed.key_words {
        for b in &w.bigrams {
            marks.extend(
                folded
                    .match_indices(b.as_str())
                    .map(|(i, _)| folded[..i].chars().count()),
            );
        }
    }
    let char_at = |byte: usize| quote[..byte].chars().count();
    found.into_iter().min_by_key(|&(s, e)| {
        let (s, e) = (char_at(s), char_at(e));
        marks
            .iter()
            .map(|&m| if m < s { s - m } else { m.saturating_sub(e) })
            .min()
            .unwrap_or(usize::MAX)
    })
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
    fn nothing_is_marked_for_open_questions_or_what_the_question_says() {
        assert_eq!(marked("如何加强疫情防控?", "各地加强了66个卡口的管理。"), None);
        // The only number is the question's own.
        assert_eq!(marked("66名干部去了哪里?", "66名干部奔赴一线。"), None);
    }
}
