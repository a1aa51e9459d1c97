//! Splitting an HTML reply into Telegram-sized messages.
//!
//! Telegram rejects a message longer than 4096 UTF-16 code units. We count
//! the raw HTML (tags and entities included), which is stricter than
//! Telegram's count of the parsed text, so a chunk that passes here always
//! passes there. Chunks break at paragraph or sentence ends when they can,
//! never inside a tag or an entity; a tag open at a break is closed at the
//! end of one chunk and reopened at the start of the next, so every chunk
//! is well-formed HTML on its own.

use crate::text;

/// Telegram's limit on one message's text, in UTF-16 code units.
pub const MAX_MESSAGE_UTF16: usize = 4096;

/// One indivisible piece of HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// `<b>`, `<a href="…">`: the tag name and the raw tag.
    Open(&'a str, &'a str),
    /// `</b>`.
    Close(&'a str),
    /// `&amp;` and friends.
    Entity(&'a str),
    /// Any other character.
    Char(char),
}

impl Tok<'_> {
    fn utf16_len(&self) -> usize {
        match self {
            Tok::Open(_, raw) | Tok::Close(raw) | Tok::Entity(raw) => utf16_len(raw),
            Tok::Char(c) => c.len_utf16(),
        }
    }

    fn push_to(&self, out: &mut String) {
        match self {
            Tok::Open(_, raw) | Tok::Close(raw) | Tok::Entity(raw) => out.push_str(raw),
            Tok::Char(c) => out.push(*c),
        }
    }

    fn is_space(&self) -> bool {
        matches!(self, Tok::Char(c) if c.is_whitespace())
    }
}

/// Length of a string as Telegram counts it.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn tokenize(html: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let tok_len = match c {
            '<' => rest.find('>').map(|end| end + 1),
            '&' => rest
                .char_indices()
                .skip(1)
                .take(10)
                .take_while(|&(_, x)| x.is_ascii_alphanumeric() || x == '#' || x == ';')
                .find(|&(_, x)| x == ';')
                .map(|(end, _)| end + 1)
                .filter(|&end| end > 2),
            _ => None,
        };
        match tok_len {
            Some(len) if c == '<' => {
                let raw = &rest[..len];
                if raw.starts_with("</") {
                    toks.push(Tok::Close(raw));
                } else {
                    let name_end = raw[1..]
                        .find(|x: char| x.is_whitespace() || x == '>' || x == '/')
                        .map_or(raw.len(), |i| i + 1);
                    toks.push(Tok::Open(&raw[1..name_end], raw));
                }
                rest = &rest[len..];
            }
            Some(len) => {
                toks.push(Tok::Entity(&rest[..len]));
                rest = &rest[len..];
            }
            None => {
                toks.push(Tok::Char(c));
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    toks
}

/// How good a place to break right after a token is (`prev` and `next`
/// are its neighbours): a sentence ends after its closing quotes.
fn break_rank(prev: Option<&Tok<'_>>, tok: &Tok<'_>, next: Option<&Tok<'_>>) -> u8 {
    let ends = |t: Option<&Tok<'_>>| matches!(t, Some(Tok::Char(x)) if is_sentence_end(*x));
    let closes = |t: Option<&Tok<'_>>| matches!(t, Some(Tok::Char(x)) if is_closing(*x));
    match tok {
        Tok::Char('\n') => 3,
        Tok::Close("</blockquote>") | Tok::Close("</pre>") => 3,
        _ if closes(next) && (ends(Some(tok)) || closes(Some(tok))) => 0,
        Tok::Char(c) if is_sentence_end(*c) => 2,
        Tok::Char(c) if is_closing(*c) && ends(prev) => 2,
        Tok::Char(c) if c.is_whitespace() || matches!(c, '，' | ',' | '、' | '：' | ':') => 1,
        _ => 0,
    }
}

/// A break point also takes an ASCII `.`, unlike [`text::SENTENCE_ENDS`]:
/// a reply may carry Latin text, and a `.` in a number or address costs
/// only an untidier break here, where a passage would lose half a sentence.
fn is_sentence_end(c: char) -> bool {
    text::is_sentence_end(c) || c == '.'
}

/// Closing quotes and brackets ([`text::CLOSERS`]; a `"` never reaches
/// here as a character, our HTML escapes it).
fn is_closing(c: char) -> bool {
    text::is_closer(c)
}

/// The tags still open, innermost last: (name, raw opening tag).
type Stack<'a> = Vec<(&'a str, &'a str)>;

fn closers_len(stack: &Stack<'_>) -> usize {
    stack.iter().map(|(name, _)| utf16_len(name) + 3).sum()
}

fn push_closers(stack: &Stack<'_>, out: &mut String) {
    for (name, _) in stack.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
}

fn apply<'a>(stack: &mut Stack<'a>, tok: &Tok<'a>) {
    match tok {
        Tok::Open(name, raw) => stack.push((name, raw)),
        Tok::Close(raw) => {
            let name = raw.trim_start_matches("</").trim_end_matches('>').trim();
            if let Some(pos) = stack.iter().rposition(|(n, _)| *n == name) {
                stack.truncate(pos);
            }
        }
        _ => {}
    }
}

/// Splits `html` into chunks of at most `limit` UTF-16 units each.
/// Hand-written: no crate splits Telegram HTML closing and reopening tags
/// at a break (teloxide sends a message as given).
///
/// Prefers, in order: a line break in the second half of the chunk, a
/// sentence end, any line break, a comma or space, and only then a break
/// between any two characters. Whitespace at a break is dropped. The
/// result is empty only when `html` holds nothing but whitespace.
pub fn split_html(html: &str, limit: usize) -> Vec<String> {
    let toks = tokenize(html);
    let mut chunks = Vec::new();
    let mut stack: Stack<'_> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        while toks.get(i).is_some_and(Tok::is_space) {
            i += 1;
        }
        if i >= toks.len() {
            break;
        }
        let prefix_len: usize = stack.iter().map(|(_, raw)| utf16_len(raw)).sum();
        let mut len = prefix_len;
        let mut cur = stack.clone();
        // best[r] = (end index, stack there, length there) of the latest break of rank r
        let mut best: [Option<(usize, Stack<'_>, usize)>; 4] = [None, None, None, None];
        let mut j = i;
        while j < toks.len() {
            let tok = &toks[j];
            let mut next = cur.clone();
            apply(&mut next, tok);
            let needed = len + tok.utf16_len() + closers_len(&next);
            if needed > limit && j > i {
                break;
            }
            len += tok.utf16_len();
            cur = next;
            j += 1;
            if !matches!(tok, Tok::Open(..)) {
                let rank = break_rank(j.checked_sub(2).map(|p| &toks[p]), tok, toks.get(j)) as usize;
                best[rank] = Some((j, cur.clone(), len));
            }
        }
        let (end, end_stack) = if j >= toks.len() {
            (j, cur)
        } else {
            let half = limit / 2;
            let pick = best[3]
                .clone()
                .filter(|(_, _, l)| *l >= half)
                .or_else(|| best[2].clone())
                .or_else(|| best[3].clone())
                .or_else(|| best[1].clone())
                .or_else(|| best[0].clone().filter(|(e, _, _)| *e > i));
            match pick {
                Some((e, s, _)) => (e, s),
                None => (j, cur),
            }
        };
        let mut content_end = end;
        while content_end > i && toks[content_end - 1].is_space() {
            content_end -= 1;
        }
        let mut chunk = String::new();
        for (_, raw) in &stack {
            chunk.push_str(raw);
        }
        for tok in &toks[i..content_end] {
            tok.push_to(&mut chunk);
        }
        push_closers(&end_stack, &mut chunk);
        if !strip_tags(&chunk).trim().is_empty() {
            chunks.push(chunk);
        }
        stack = end_stack;
        i = end;
    }
    chunks
}

/// The visible text of our HTML: tags dropped, entities decoded. Used as
/// the plain-text fallback when Telegram refuses a reply's markup.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    for tok in tokenize(html) {
        match tok {
            Tok::Open(..) | Tok::Close(..) => {}
            Tok::Entity(e) => out.push_str(match e {
                "&lt;" => "<",
                "&gt;" => ">",
                "&amp;" => "&",
                "&quot;" => "\"",
                "&#39;" => "'",
                other => other,
            }),
            Tok::Char(c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Tags are balanced and properly nested.
    fn balanced(html: &str) -> bool {
        let mut stack: Vec<String> = Vec::new();
        for tok in tokenize(html) {
            match tok {
                Tok::Open(name, _) => stack.push(name.to_string()),
                Tok::Close(raw) => {
                    let name = raw.trim_start_matches("</").trim_end_matches('>');
                    if stack.pop().as_deref() != Some(name) {
                        return false;
                    }
                }
                _ => {}
            }
        }
        stack.is_empty()
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn short_text_is_one_chunk() {
        assert_eq!(split_html("<b>标题</b>\n正文。", 4096), vec!["<b>标题</b>\n正文。"]);
        assert!(split_html(" \n ", 4096).is_empty());
    }

    #[test]
    fn breaks_at_sentence_ends() {
        let text = "第一句话很长很长。第二句话也很长。第三句。";
        let chunks = split_html(text, 12);
        assert_eq!(chunks, vec!["第一句话很长很长。", "第二句话也很长。第三句。"]);
    }

    #[test]
    fn prefers_paragraphs_in_the_second_half() {
        let text = format!("{}。{}\n{}", "甲".repeat(10), "乙".repeat(10), "丙".repeat(10));
        let chunks = split_html(&text, 30);
        assert_eq!(chunks[0], format!("{}。{}", "甲".repeat(10), "乙".repeat(10)));
    }

    #[test]
    fn reopens_tags_across_a_break() {
        let html = "<blockquote>一二三四五。六七八九十。</blockquote>";
        let chunks = split_html(html, 35);
        assert_eq!(
            chunks,
            vec![
                "<blockquote>一二三四五。</blockquote>",
                "<blockquote>六七八九十。</blockquote>"
            ]
        );
    }

    #[test]
    fn never_cuts_an_entity_or_a_tag() {
        let html = format!("<a href=\"https://example.com/x\">{}</a>", "&lt;&amp;&gt;".repeat(30));
        for limit in 50..90 {
            for chunk in split_html(&html, limit) {
                assert!(utf16_len(&chunk) <= limit, "{chunk}");
                assert!(balanced(&chunk), "{chunk}");
                assert!(!chunk.contains("&l<") && !chunk.ends_with('&'), "{chunk}");
                let without = chunk.replace("&lt;", "").replace("&amp;", "").replace("&gt;", "");
                assert!(!without.contains('&'), "cut entity in {chunk}");
            }
        }
    }

    #[test]
    fn counts_utf16_units_not_chars() {
        let text = "😀".repeat(10); // 2 units each
        let chunks = split_html(&text, 7);
        assert!(chunks.iter().all(|c| utf16_len(c) <= 7));
        assert_eq!(chunks.concat(), text);
    }

    #[test]
    fn strips_tags_and_entities() {
        assert_eq!(strip_tags("<b>a &lt;b&gt; &amp; c</b>"), "a <b> & c");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn chunks_fit_are_balanced_and_keep_the_text(
            parts in prop::collection::vec(
                (0usize..4, "[a-z 。，！\n陈达锋<>&😀]{0,40}"), 1..30),
            limit in 60usize..200,
        ) {
            let mut html = String::new();
            for (kind, text) in &parts {
                let esc = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
                match kind {
                    0 => html.push_str(&esc),
                    1 => html.push_str(&format!("<b>{esc}</b>")),
                    2 => html.push_str(&format!("<blockquote><i>{esc}</i></blockquote>")),
                    _ => html.push_str(&format!("<a href=\"https://t.me/x?start=a\">{esc}</a>\n")),
                }
            }
            let chunks = split_html(&html, limit);
            for c in &chunks {
                prop_assert!(utf16_len(c) <= limit, "too long: {}", c);
                prop_assert!(balanced(c), "unbalanced: {}", c);
            }
            let joined: String = chunks.iter().map(|c| strip_tags(c)).collect();
            prop_assert_eq!(squash(&joined), squash(&strip_tags(&html)));
        }
    }
}
