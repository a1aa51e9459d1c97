//! Plain-text notions every layer shares, defined once: where a sentence
//! ends, clipping for display, `@mentions`, and compiling the crate's
//! constant patterns. The bottom layer: it imports nothing from the crate.
//! (Script folding lives in [`crate::script`], dates in [`crate::date`],
//! also at the bottom.)

/// Marks that end a full sentence: full stops, question and exclamation marks.
pub const FULL_STOPS: [char; 5] = ['。', '！', '？', '!', '?'];

/// Marks a sentence ends after: the full stops, and the semicolon and
/// ellipsis, which in Chinese news prose close a statement of their own.
/// The one definition used to split sentences, passages and runs of text.
pub const SENTENCE_ENDS: [char; 8] = ['。', '！', '？', '!', '?', '；', ';', '…'];

/// Closing quotes and brackets: after a sentence end they still belong to
/// the sentence (`…组长。”`).
pub const CLOSERS: [char; 7] = ['”', '’', '"', '」', '』', ')', '）'];

/// Compiles one of the crate's constant patterns (cleaning rules, dates,
/// question periods). They are fixed at compile time and exercised by the
/// tests, so no input can reach the failure.
pub(crate) fn static_regex(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("a constant pattern compiles")
}

/// Whether `c` ends a sentence ([`SENTENCE_ENDS`]).
pub fn is_sentence_end(c: char) -> bool {
    SENTENCE_ENDS.contains(&c)
}

/// Whether `c` is a closing quote or bracket ([`CLOSERS`]).
pub fn is_closer(c: char) -> bool {
    CLOSERS.contains(&c)
}

/// Whether `c` may follow a sentence end and still belong to that
/// sentence: closing quotes (`。”`) and doubled full stops or ellipses
/// (`？！`, `……`). A semicolon after an end starts the next sentence.
pub fn trails_sentence_end(c: char) -> bool {
    is_closer(c) || FULL_STOPS.contains(&c) || c == '…'
}

/// Whether `text` ends a sentence: its last mark, past any closing
/// quotes and trailing whitespace, is a sentence end. A line that does not
/// is a heading or a fragment.
pub fn ends_sentence(text: &str) -> bool {
    text.trim_end().trim_end_matches(CLOSERS).ends_with(SENTENCE_ENDS)
}

/// `text` trimmed and cut to at most `max` characters, a cut marked with `…`
/// (which counts towards `max`).
pub fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Whether `c` can be part of a Telegram username.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A `@name` mention in a text: an `@`, not inside a word, followed by a
/// username's characters (ASCII letters, digits, `_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention<'a> {
    /// Byte offset of the `@`.
    pub start: usize,
    /// Byte offset just past the name.
    pub end: usize,
    /// The name without the `@`.
    pub name: &'a str,
}

/// Every mention in `text`, in order.
pub fn mentions(text: &str) -> Vec<Mention<'_>> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '@' && !prev.is_some_and(is_name_char) {
            let mut end = i + 1;
            while let Some(&(j, n)) = iter.peek() {
                if !is_name_char(n) {
                    break;
                }
                end = j + n.len_utf8();
                iter.next();
            }
            if end > i + 1 {
                out.push(Mention {
                    start: i,
                    end,
                    name: &text[i + 1..end],
                });
                prev = text[..end].chars().next_back();
                continue;
            }
        }
        prev = Some(c);
    }
    out
}

/// `text` without the mentions `strip` selects, each with the `,` or `:`
/// that addresses it (`@bot：…`), whitespace runs of spaces tidied to one.
pub fn strip_mentions(text: &str, strip: impl Fn(&Mention<'_>) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in mentions(text).iter().filter(|m| strip(m)) {
        out.push_str(&text[last..m.start]);
        out.push(' ');
        let punct = text[m.end..]
            .chars()
            .take_while(|c| matches!(c, ',' | '，' | ':' | '：'))
            .map(char::len_utf8)
            .sum::<usize>();
        last = m.end + punct;
    }
    out.push_str(&text[last..]);
    out.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_ends_past_closing_quotes() {
        assert!(ends_sentence("他说：“好。”"));
        assert!(ends_sentence("是吗？ "));
        assert!(ends_sentence("等等……"));
        assert!(!ends_sentence("发挥“领头羊”作用"));
        assert!(!ends_sentence("城区委组织部 供稿"));
        assert!(is_sentence_end('；') && !is_sentence_end('，'));
        assert!(trails_sentence_end('”') && trails_sentence_end('！') && !trails_sentence_end('；'));
    }

    #[test]
    fn clips_marking_the_cut() {
        assert_eq!(clip("  短标题 ", 10), "短标题");
        assert_eq!(clip("一二三四五六", 4), "一二三…");
        assert_eq!(clip("一二三四", 4), "一二三四");
        assert_eq!(clip("一二", 0), "…");
    }

    #[test]
    fn finds_mentions_not_inside_words() {
        let names: Vec<&str> = mentions("@bot 问 a@b.cn @_x：好 @ 完").iter().map(|m| m.name).collect();
        assert_eq!(names, ["bot", "_x"]);
        let m = mentions("问@Bot_1,")[0];
        assert_eq!((m.start, m.end, m.name), (3, 9, "Bot_1"));
    }

    #[test]
    fn strips_selected_mentions_with_their_punctuation() {
        let bot = |m: &Mention<'_>| m.name.eq_ignore_ascii_case("bot");
        assert_eq!(strip_mentions("@BOT：陈达锋  是谁", bot), "陈达锋 是谁");
        assert_eq!(strip_mentions("@other 陈达锋 @bot", bot), "@other 陈达锋");
        assert_eq!(strip_mentions("@other, @bot 陈达锋", |_| true), "陈达锋");
        assert_eq!(strip_mentions("@botty 好", bot), "@botty 好");
    }
}
