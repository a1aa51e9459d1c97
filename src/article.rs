//! The plain data that flows out of cleaning: one news article with its
//! metadata and its paragraphs in the article's own script.

use serde::{Deserialize, Serialize};

/// One cleaned article. Text is kept in the script it was published in;
/// folding to Simplified happens only for search (see [`crate::script`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Path of the source file, relative to the corpus directory, with `/`.
    pub file: String,
    /// The headline, or a clipped first heading when the page has none.
    pub title: String,
    /// Publisher or credited organisation, in Simplified script.
    pub source: Option<String>,
    /// Reporter or author when the text states one, in Simplified script.
    pub author: Option<String>,
    /// Publication date as `YYYY-MM-DD`, only when the text states it.
    pub date: Option<String>,
    /// The page's address, when the text gives one.
    pub url: Option<String>,
    /// The body, one paragraph per entry, without title and boilerplate.
    pub paragraphs: Vec<String>,
    /// Where each paragraph begins in the source file: its 1-based line,
    /// parallel to `paragraphs` (every paragraph of a `.jsonl` record names
    /// the record's line). Empty when the source has no lines to point at
    /// (an HTML page: its `url` says where it is).
    #[serde(default)]
    pub lines: Vec<u32>,
}

impl Article {
    /// The article's cleaned text: paragraphs joined by `\n`. Passage byte
    /// spans and citations refer to this string.
    pub fn text(&self) -> String {
        self.paragraphs.join("\n")
    }

    /// The source line of the paragraph holding byte `offset` of
    /// [`Article::text`] (a passage's start), when the source has lines.
    pub fn line_at(&self, offset: usize) -> Option<u32> {
        let mut start = 0;
        for (i, p) in self.paragraphs.iter().enumerate() {
            // The `\n` after a paragraph counts as part of it.
            let end = start + p.len();
            if offset <= end {
                return self.lines.get(i).copied();
            }
            start = end + 1;
        }
        None
    }

    /// Where the article begins in its source: `file:line`, or the file
    /// alone when the line is unknown.
    pub fn location(&self) -> String {
        location(&self.file, self.lines.first().copied())
    }
}

/// `file:line` (what editors and `grep -n` print), or `file` alone when the
/// line is unknown. An export record named by its line (`cms.jsonl:12`)
/// already says it and is not repeated.
pub fn location(file: &str, line: Option<u32>) -> String {
    match line {
        Some(n) if !file.ends_with(&format!(":{n}")) => format!("{file}:{n}"),
        _ => file.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(paragraphs: &[&str], lines: Vec<u32>) -> Article {
        Article {
            file: "a.txt".into(),
            title: "标题".into(),
            source: None,
            author: None,
            date: None,
            url: None,
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            lines,
        }
    }

    #[test]
    fn line_at_finds_the_paragraph_of_a_byte_offset() {
        let a = article(&["第一段。", "第二段,较长。", "三"], vec![3, 7, 12]);
        let text = a.text();
        let at = |needle: &str| a.line_at(text.find(needle).unwrap());
        assert_eq!(at("第一段"), Some(3));
        assert_eq!(at("段。"), Some(3));
        assert_eq!(at("第二段"), Some(7));
        assert_eq!(at("较长"), Some(7));
        assert_eq!(at("三"), Some(12));
        assert_eq!(a.line_at(text.len()), Some(12), "the end belongs to the last paragraph");
        assert_eq!(a.line_at(text.len() + 1), None);
        let unknown = article(&["第一段。", "第二段。"], Vec::new());
        assert_eq!(unknown.line_at(0), None);
    }

    #[test]
    fn locations_read_like_an_editors() {
        assert_eq!(location("corpus/a.txt", Some(12)), "corpus/a.txt:12");
        assert_eq!(location("pages/a.html", None), "pages/a.html");
        assert_eq!(location("cms.jsonl#a17", Some(3)), "cms.jsonl#a17:3");
        assert_eq!(location("cms.jsonl:3", Some(3)), "cms.jsonl:3");
        assert_eq!(article(&["一。"], vec![5]).location(), "a.txt:5");
    }
}
