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

/// A character of a Latin word or number (kept whole, not cut in pairs).
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (c.is_alphanumeric() && !is_cjk(c) && !c.is_ascii())
}

/// A token's byte span in the (folded) text it was cut from.
pub type Span = (usize, usize);

/// CJK bigrams plus whole Latin words and numbers, on already-folded text.
pub fn bigrams(text: &str) -> Vec<Term> {
    terms(text, bigram_spans(text))
}

/// jieba words (HMM on, so unknown names still come out whole), without
/// punctuation and spaces, on already-folded text.
pub fn words(text: &str) -> Vec<Term> {
    terms(text, word_spans(text))
}

/// The spans of [`bigrams`].
pub fn bigram_spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |k: usize| chars.get(k).map_or(text.len(), |&(b, _)| b);
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if is_cjk(c) {
            let mut j = i;
            while j < chars.len() && is_cjk(chars[j].1) {
                j += 1;
            }
            if j - i == 1 {
                out.push((start, end_of(i + 1)));
            } else {
                out.extend((i..j - 1).map(|k| (chars[k].0, end_of(k + 2))));
            }
            i = j;
        } else if is_word_char(c) {
            let mut j = i;
            while j < chars.len() && is_word_char(chars[j].1) {
                j += 1;
            }
            let end = end_of(j);
            if end - start <= MAX_TOKEN_BYTES {
                out.push((start, end));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// The spans of [`words`].
pub fn word_spans(text: &str) -> Vec<Span> {
    JIEBA
        .cut(text, true)
        .into_iter()
        .filter(|tok| {
            let w = tok.word;
            w.len() <= MAX_TOKEN_BYTES && w.chars().any(|c| is_cjk(c) || is_word_char(c))
        })
        .map(|tok| (tok.byte_start, tok.byte_end))
        .collect()
}

fn terms(text: &str, spans: Vec<Span>) -> Vec<Term> {
    spans
        .into_iter()
        .map(|(from, to)| Term {
            text: text[from..to].to_owned(),
            from,
            to,
        })
        .collect()
}

/// A tantivy tokenizer over one of the span functions above.
#[derive(Clone, Copy)]
pub struct SpanTokenizer(pub fn(&str) -> Vec<Span>);

/// The tokens of one text, handed to tantivy one at a time. One [`Token`]
/// is rewritten in place for each span: indexing allocates nothing per
/// token (at 200,000 articles that is a billion tokens).
pub struct SpanTokenStream<'a> {
    text: &'a str,
    spans: Vec<Span>,
    next: usize,
    token: Token,
}

impl Tokenizer for SpanTokenizer {
    type TokenStream<'a> = SpanTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanTokenStream<'a> {
        SpanTokenStream {
            text,
            spans: (self.0)(text),
            next: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for SpanTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(&(from, to)) = self.spans.get(self.next) else {
            return false;
        };
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.next;
        self.token.position_length = 1;
        self.token.text.clear();
        self.token.text.push_str(self.text.get(from..to).unwrap_or(""));
        self.next += 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Registers both tokenizers; call every time an index is opened or created.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(BIGRAM, SpanTokenizer(bigram_spans));
    index.tokenizers().register(WORDS, SpanTokenizer(word_spans));
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
        let text = "机关干部 led";
        for (f, g) in [
            (bigram_spans as fn(&str) -> Vec<Span>, bigrams as fn(&str) -> Vec<Term>),
            (word_spans, words),
        ] {
            let mut tok = SpanTokenizer(f);
            let mut stream = tok.token_stream(text);
            let mut seen = Vec::new();
            while stream.advance() {
                let t = stream.token();
                seen.push(Term {
                    text: t.text.clone(),
                    from: t.offset_from,
                    to: t.offset_to,
                });
                assert_eq!(t.position, seen.len() - 1);
            }
            assert_eq!(seen, g(text));
        }
        assert_eq!(texts(bigrams(text)), ["机关", "关干", "干部", "led"]);
    }
}
