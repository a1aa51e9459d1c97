//! Answers as terminal text (JSON output is the `serde` form of the same
//! values). Quotes are shown in the answer's script.

use std::fmt::Write;

use crate::answer::Answer;
use crate::script::render;

/// An answer for a terminal: the answer, then one block per citation.
pub fn answer_text(a: &Answer) -> String {
    let mut out = format!("{}\n", a.answer);
    for c in &a.citations {
        let meta: Vec<String> = [Some(render(&c.title, a.script)), c.source.clone(), c.date.clone()]
            .into_iter()
            .flatten()
            .collect();
        // Where to check the quote: `file:line`, and the page's address.
        let place: Vec<String> = [Some(c.location()), c.url.clone()].into_iter().flatten().collect();
        let _ = write!(
            out,
            "\n[{}] {} ({})\n    {}\n",
            c.n,
            meta.join(" · "),
            place.join(" · "),
            render(&c.passage, a.script).replace('\n', "\n    ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::Citation;
    use crate::script::Script;

    fn answer(citations: Vec<Citation>) -> Answer {
        Answer {
            question: "问?".into(),
            answer: "答。[1]".into(),
            no_answer: false,
            citations,
            confidence: 1.0,
            filter: Default::default(),
            took_ms: 1.0,
            script: Script::Original,
        }
    }

    fn citation(n: usize, file: &str, line: Option<u32>, url: Option<&str>) -> Citation {
        Citation {
            n,
            article: "k".into(),
            file: file.into(),
            title: "标题".into(),
            source: Some("瑞安日报".into()),
            date: None,
            passage: "答。".into(),
            line,
            url: url.map(str::to_owned),
            score: 1.0,
        }
    }

    #[test]
    fn each_citation_says_where_its_text_is() {
        let text = answer_text(&answer(vec![
            citation(1, "corpus/a.txt", Some(12), None),
            citation(2, "pages/b.html", None, Some("https://example.com/b")),
            citation(3, "cms.jsonl#a7", Some(3), Some("https://example.com/c")),
        ]));
        assert!(
            text.contains("\n[1] 标题 · 瑞安日报 (corpus/a.txt:12)\n    答。\n"),
            "{text}"
        );
        assert!(
            text.contains("\n[2] 标题 · 瑞安日报 (pages/b.html · https://example.com/b)\n"),
            "{text}"
        );
        assert!(
            text.contains("\n[3] 标题 · 瑞安日报 (cms.jsonl#a7:3 · https://example.com/c)\n"),
            "{text}"
        );
    }
}
