//! Tokens for search. Text is folded first (Traditional → Simplified,
//! full-width → half-width, lower case; see [`crate::script::fold`]), then
//! cut two ways, each into its own index field:
//!
//! - **bigrams**: overlapping CJK character pairs (a lone character stays a
//!   unigram), the recall workhorse: no dictionary can miss a name;
//! - **words**: jieba's dictionary words, for precision.
//!
//! Latin words and numbers are kept whole in both. Documents and queries go
//! through the same functions, so they always agree.

use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::script::is_cjk;

/// Name under which the bigram tokenizer is registered with tantivy.
pub const BIGRAM: &str = "archive_bigram";
/// Name under which the word tokenizer is registered with tantivy.
pub const WORDS: &str = "archive_words";

/// jieba's dictionary costs ~150 ms and 33 MB to load: once per process.
pub static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Longest Latin/number token kept, in bytes (a 5 MB line of `a` is one
/// token otherwise).
const MAX_TOKEN_BYTES: usize = 40;

/// A token and its byte span in the (folded) input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (c.is_alphanumeric() && !is_cjk(c) && !c.is_ascii())
}

/// CJK bigrams plus whole Latin words and numbers, on already-folded text.
pub fn bigrams(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if is_cjk(c) {
            let mut j = i;
            while j < chars.len() && is_cjk(chars[j].1) {
                j += 1;
            }
            let end_of = |k: usize| chars.get(k).map_or(text.len(), |&(b, _)| b);
            if j - i == 1 {
                out.push(term(text, start, end_of(i + 1)));
            } else {
                for (k, &(from, _)) in chars.iter().enumerate().take(j - 1).skip(i) {
                    out.push(term(text, from, end_of(k + 2)));
                }
            }
            i = j;
        } else if is_word_char(c) {
            let mut j = i;
            while j < chars.len() && is_word_char(chars[j].1) {
                j += 1;
            }
            let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
            if end - start <= MAX_TOKEN_BYTES {
                out.push(term(text, start, end));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// jieba words (HMM on, so unknown names still come out whole), without
/// punctuation and spaces, on already-folded text.
pub fn words(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    for tok in JIEBA.cut(text, true) {
        let w = tok.word;
        if w.chars().any(|c| is_cjk(c) || is_word_char(c)) && w.len() <= MAX_TOKEN_BYTES {
            out.push(Term {
                text: w.to_owned(),
                from: tok.byte_start,
                to: tok.byte_end,
            });
        }
    }
    out
}

fn term(text: &str, from: usize, to: usize) -> Term {
    Term {
        text: text[from..to].to_owned(),
        from,
        to,
    }
}

/// A tantivy tokenizer over one of the functions above.
#[derive(Clone, Copy)]
pub struct FnTokenizer(pub fn(&str) -> Vec<Term>);

/// The tokens of one text, handed to tantivy one at a time.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for FnTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let tokens = (self.0)(text)
            .into_iter()
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.from,
                offset_to: t.to,
                position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        VecTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1).min(self.tokens.len().saturating_sub(1))]
    }

    fn token_mut(&mut self) -> &mut Token {
        let i = self.next.saturating_sub(1).min(self.tokens.len().saturating_sub(1));
        &mut self.tokens[i]
    }
}

/// Registers both tokenizers; call every time an index is opened or created.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(BIGRAM, FnTokenizer(bigrams));
    index.tokenizers().register(WORDS, FnTokenizer(words));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::fold;

    fn texts(terms: Vec<Term>) -> Vec<String> {
        terms.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn bigrams_fold_traditional_first() {
        assert_eq!(texts(bigrams(&fold("陳達鋒"))), ["陈达", "达锋"]);
        assert_eq!(texts(bigrams(&fold("陈达锋"))), ["陈达", "达锋"]);
    }

    #[test]
    fn bigrams_keep_latin_words_and_numbers_whole() {
        assert_eq!(
            texts(bigrams(&fold("集结66名机关干部,LED屏"))),
            ["集结", "66", "名机", "机关", "关干", "干部", "led", "屏"]
        );
        assert_eq!(texts(bigrams("a")), ["a"]);
        assert!(bigrams("!!! ,。").is_empty());
    }

    #[test]
    fn offsets_are_byte_spans() {
        let text = "66名干部";
        for t in bigrams(text).into_iter().chain(words(text)) {
            assert_eq!(&text[t.from..t.to], t.text);
        }
    }

    #[test]
    fn words_are_dictionary_words_without_punctuation() {
        let w = texts(words(&fold("锦湖街道迅速集结66名机关干部。")));
        assert!(
            w.contains(&"机关".to_string()) || w.contains(&"机关干部".to_string()),
            "{w:?}"
        );
        assert!(w.contains(&"66".to_string()), "{w:?}");
        assert!(!w.iter().any(|t| t == "。"));
    }

    #[test]
    fn tantivy_stream_yields_every_token_once() {
        let mut tok = FnTokenizer(bigrams);
        let mut stream = tok.token_stream("机关干部");
        let mut seen = Vec::new();
        while stream.advance() {
            seen.push(stream.token().text.clone());
        }
        assert_eq!(seen, ["机关", "关干", "干部"]);
    }
}
