//! The example questions of /start, /help, the `/ask` menu entry and the
//! `ex<n>` deep links: the operator's (configuration key `examples`), or
//! else made from the archive itself, so that no archive's text is written
//! into the program.
//!
//! A generated example is a question about one article's headline
//! (`《headline》讲了什么?`), one per source (the sources with the most
//! articles first), kept only when the engine really answers it from that
//! article with more than the headline itself.

use std::sync::Arc;

use crate::answer::AskOptions;
use crate::engine::{Doc, Engine};
use crate::script::fold;

/// How many examples /start shows.
pub const COUNT: usize = 3;
/// Articles tried at most (each costs one question to the engine).
const MAX_TRIED: usize = 40;
/// Headlines longer than this make unwieldy examples.
const MAX_HEADLINE_CHARS: usize = 30;

/// The examples: `configured` when it has any, else generated from the
/// archive (possibly fewer than [`COUNT`], or none for an archive that
/// answers nothing).
pub fn choose(configured: &[String], engine: &Engine) -> Vec<String> {
    let given: Vec<String> = configured
        .iter()
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty())
        .collect();
    if given.is_empty() {
        generate(engine, COUNT)
    } else {
        given
    }
}

/// Up to `n` headline questions the engine answers from their own article.
pub fn generate(engine: &Engine, n: usize) -> Vec<String> {
    // One article per source first (sources with more articles before
    // others, then articles without a source; the archive's order within
    // a source), then each source's second article, and so on: at most
    // MAX_TRIED articles, read from the index, never the whole archive.
    let mut sources: Vec<&str> = engine
        .stats()
        .sources
        .iter()
        .map(String::as_str)
        .take(MAX_TRIED)
        .collect();
    sources.push("");
    let per_source = (MAX_TRIED / sources.len()).max(1);
    let lists: Vec<Vec<Arc<Doc>>> = sources.iter().map(|s| engine.docs_of_source(s, per_source)).collect();
    let order = (0..per_source).flat_map(|round| lists.iter().filter_map(move |l| l.get(round)));
    let opts = AskOptions::default();
    let mut out: Vec<String> = Vec::new();
    for doc in order.take(MAX_TRIED) {
        if out.len() >= n {
            break;
        }
        let title = doc.article.title.trim();
        if title.is_empty() || title.chars().count() > MAX_HEADLINE_CHARS {
            continue;
        }
        let question = format!("《{title}》讲了什么?");
        if out.contains(&question) {
            continue;
        }
        let answer = engine.ask(&question, &opts);
        let from_it = answer.citations.first().is_some_and(|c| c.article == doc.key);
        if answer.no_answer || !from_it {
            continue;
        }
        // An answer that only repeats the headline shows nothing.
        let said = fold(&crate::answer::without_markers(&answer.answer));
        let said = said.trim_end_matches(['。', '.', '!', '！']);
        if said.chars().count() < 8 || fold(title).contains(said) {
            continue;
        }
        out.push(question);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::Article;

    fn article(file: &str, title: &str, source: &str, paragraphs: &[&str]) -> Article {
        Article {
            file: file.into(),
            title: title.into(),
            source: Some(source.into()),
            author: None,
            date: None,
            url: None,
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            lines: Vec::new(),
        }
    }

    fn engine() -> Engine {
        Engine::in_ram(vec![
            article(
                "a.txt",
                "锦湖街道筑牢防线",
                "瑞安日报",
                &[
                    "锦湖街道筑牢防线",
                    "锦湖街道迅速集结66名机关干部,连夜筑牢疫情防控防线,守护群众平安。",
                ],
            ),
            article(
                "b.txt",
                "房产局下沉支援",
                "市房产局",
                &[
                    "房产局下沉支援",
                    "自3月17日开展下沉支援以来,市房产局先后派出3批11人次党员志愿者参加突击队。",
                ],
            ),
        ])
        .unwrap()
    }

    #[test]
    fn generated_examples_are_answered_from_their_own_article() {
        let engine = engine();
        let examples = generate(&engine, 3);
        assert!(!examples.is_empty(), "an archive with answers has examples");
        for q in &examples {
            let answer = engine.ask(q, &AskOptions::default());
            assert!(!answer.no_answer, "{q}");
            assert!(q.starts_with('《') && q.ends_with("讲了什么?"), "{q}");
        }
        let titles = ["锦湖街道筑牢防线", "房产局下沉支援"];
        assert!(
            examples.iter().all(|q| titles.iter().any(|t| q.contains(t))),
            "{examples:?}"
        );
    }

    #[test]
    fn configured_examples_win_and_blank_ones_do_not_count() {
        let engine = engine();
        let given = vec!["  ".to_owned(), "房产局派出了几批志愿者?".to_owned()];
        assert_eq!(choose(&given, &engine), ["房产局派出了几批志愿者?"]);
        assert_eq!(choose(&["".to_owned()], &engine), generate(&engine, COUNT));
    }

    #[test]
    fn markers_are_stripped() {
        assert_eq!(crate::answer::without_markers("甲乙[1][2]。[x]"), "甲乙。[x]");
    }
}
