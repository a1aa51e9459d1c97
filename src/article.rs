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
}

impl Article {
    /// The article's cleaned text: paragraphs joined by `\n`. Passage byte
    /// spans and citations refer to this string.
    pub fn text(&self) -> String {
        self.paragraphs.join("\n")
    }
}
