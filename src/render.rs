//! The command line's text formats: answers as terminal text, and the
//! tab-separated lines of `search`, `articles` and `eval --verbose` (JSON
//! output is the `serde` form of the same values). Quotes are shown in the
//! answer's script.

use std::fmt::Write;

use crate::answer::Answer;
use crate::article::Article;
use crate::engine::SearchRow;
use crate::eval::Miss;
use crate::load::Removal;
use crate::script::render;

/// `search`: one line per passage, `rank⇥score⇥file⇥title⇥passage`
/// (the passage on one line).
pub fn search_tsv(rows: &[SearchRow]) -> String {
    let mut out = String::new();
    for r in rows {
        let _ = writeln!(
            out,
            "{}\t{:.3}\t{}\t{}\t{}",
            r.rank,
            r.score,
            r.quote.file,
            r.quote.title,
            r.quote.passage.replace('\n', " ")
        );
    }
    out
}

/// `articles`: one line per article, `file:line⇥title⇥source⇥date⇥N paragraphs`
/// (`-` for what the article does not state).
pub fn articles_tsv(articles: &[Article]) -> String {
    let mut out = String::new();
    for a in articles {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{} paragraphs",
            a.location(),
            a.title,
            a.source.as_deref().unwrap_or("-"),
            a.date.as_deref().unwrap_or("-"),
            a.paragraphs.len()
        );
    }
    out
}

/// `articles --removed`: one line per removal, `file⇥rule⇥text` (the text on one line).
pub fn removed_tsv(removed: &[Removal]) -> String {
    let mut out = String::new();
    for r in removed {
        let _ = writeln!(out, "{}\t{}\t{}", r.file, r.rule, r.text.replace(['\t', '\n'], " "));
    }
    out
}

/// `eval --verbose`: every miss, the question and what was expected and got.
pub fn misses_text(misses: &[Miss]) -> String {
    let mut out = String::new();
    for m in misses {
        let _ = writeln!(out, "MISS {} {}\n     {}\n     got: {}", m.id, m.q, m.what, m.got);
    }
    out
}

/// An answer for a terminal: the answer, its key span on a line of its
/// own (`→ 66名`), then one block per citation.
pub fn answer_text(a: &Answer) -> String {
    let mut out = format!("{}\n", a.answer);
    if let Some(key) = a.key() {
        let _ = writeln!(out, "→ {key}");
    }
    for c in &a.citations {
        let meta: Vec<String> = [
            Some(render(&c.quote.title, a.script)),
            c.quote.source.clone(),
            c.quote.date.clone(),
        ]
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
            render(&c.quote.passage, a.script).replace('\n', "\n    ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::Citation;
    use crate::engine::Quote;
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
            kind: Default::default(),
            span: None,
            count: None,
            pages: 0,
        }
    }

    fn citation(n: usize, file: &str, line: Option<u32>, url: Option<&str>) -> Citation {
        Citation {
            n,
            article: "k".into(),
            quote: Quote {
                file: file.into(),
                title: "标题".into(),
                source: Some("瑞安日报".into()),
                date: None,
                passage: "答。".into(),
            },
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

    #[test]
    fn tsv_rows_stay_one_line_each() {
        let row = SearchRow {
            rank: 1,
            quote: Quote {
                file: "a.txt".into(),
                title: "标题".into(),
                source: None,
                date: None,
                passage: "第一段。\n第二段。".into(),
            },
            score: 1.23456,
        };
        assert_eq!(search_tsv(&[row]), "1\t1.235\ta.txt\t标题\t第一段。 第二段。\n");
        let removal = Removal {
            file: "b.txt".into(),
            rule: "furniture",
            text: "打印\t本页\n关闭".into(),
        };
        assert_eq!(removed_tsv(&[removal]), "b.txt\tfurniture\t打印 本页 关闭\n");
    }

    /// `--json` output: a row's and a citation's shared part (`Quote`) is
    /// flattened in place, so scripts reading the JSON see one flat object
    /// per row and per citation, with the keys in the order docs/usage.md
    /// gives.
    #[test]
    fn json_rows_and_citations_are_flat() {
        let row = SearchRow {
            rank: 2,
            quote: citation(1, "a.txt", None, None).quote,
            score: 0.5,
        };
        assert_eq!(
            serde_json::to_string(&row).unwrap(),
            r#"{"rank":2,"file":"a.txt","title":"标题","source":"瑞安日报","date":null,"passage":"答。","score":0.5}"#
        );
        assert_eq!(
            serde_json::to_string(&citation(1, "a.txt", Some(3), Some("https://example.com/a"))).unwrap(),
            r#"{"n":1,"article":"k","file":"a.txt","title":"标题","source":"瑞安日报","date":null,"passage":"答。","line":3,"url":"https://example.com/a","score":1.0}"#
        );
    }
}
