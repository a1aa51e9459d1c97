//! Passages: the units that are searched and quoted. Each is a few whole
//! sentences of one article, kept as a byte span of the article's cleaned
//! text ([`crate::article::Article::text`]), so every quote is verbatim.

use serde::{Deserialize, Serialize};

use crate::text;

/// A passage aims for this many characters…
const TARGET_CHARS: usize = 120;
/// …and never exceeds this many (a longer sentence is cut at a comma, or
/// hard at this length).
const MAX_CHARS: usize = 260;
/// A paragraph this short (a subheading) is joined to the passage after it.
const HEADING_CHARS: usize = 30;

/// One passage: `article` indexes the article list, `start..end` is a byte
/// span of that article's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    pub article: usize,
    pub start: usize,
    pub end: usize,
}

/// Byte spans of the sentences of `text`: each ends after a sentence end
/// ([`text::SENTENCE_ENDS`]) and what trails it (closing quotes, doubled
/// marks: [`text::trails_sentence_end`]), or at a line break.
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let mut end = i + c.len_utf8();
        let split = if c == '\n' {
            end = i; // the break itself belongs to no sentence
            true
        } else if text::is_sentence_end(c) {
            while let Some(&(j, q)) = iter.peek() {
                if text::trails_sentence_end(q) {
                    end = j + q.len_utf8();
                    iter.next();
                } else {
                    break;
                }
            }
            true
        } else {
            false
        };
        if split {
            push_trimmed(text, start, end, &mut out);
            start = if c == '\n' { i + 1 } else { end };
        }
    }
    push_trimmed(text, start, text.len(), &mut out);
    out
}

/// Byte spans of the clauses of a sentence: each ends after a comma,
/// semicolon or colon (`，,；;：:`) or at the sentence's end. Enumeration
/// commas (`、`) do not end a clause: they join the items of one list.
pub fn clauses(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '，' | ',' | '；' | ';' | '：' | ':') {
            push_trimmed(text, start, i + c.len_utf8(), &mut out);
            start = i + c.len_utf8();
        }
    }
    push_trimmed(text, start, text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    if start >= end {
        return;
    }
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead + trail < s.len() {
        out.push((start + lead, end - trail));
    }
}

/// Cuts one article's text into passages.
pub fn split(article: usize, text: &str) -> Vec<Passage> {
    let mut passages = Vec::new();
    let mut pending_heading: Option<usize> = None; // start of a heading to prepend
    let mut offset = 0;
    for para in text.split('\n') {
        let (p_start, p_end) = (offset, offset + para.len());
        offset = p_end + 1;
        if para.trim().is_empty() {
            continue;
        }
        if is_heading(para) {
            pending_heading.get_or_insert(p_start);
            continue;
        }
        // The passage being built: its start (a pending heading's, if any)
        // and the end of its last sentence (None until it has one).
        let mut start = pending_heading.take();
        let mut end: Option<usize> = None;
        for (s, e) in sentences(para).into_iter().flat_map(|(s, e)| cut_long(para, s, e)) {
            let (s, e) = (p_start + s, p_start + e);
            if let (Some(cs), Some(ce)) = (start, end)
                && chars(text, cs, e) > MAX_CHARS
            {
                passages.push(Passage {
                    article,
                    start: cs,
                    end: ce,
                });
                start = None;
            }
            let cs = *start.get_or_insert(s);
            end = Some(e);
            if chars(text, cs, e) >= TARGET_CHARS {
                passages.push(Passage {
                    article,
                    start: cs,
                    end: e,
                });
                (start, end) = (None, None);
            }
        }
        if let (Some(cs), Some(ce)) = (start, end) {
            passages.push(Passage {
                article,
                start: cs,
                end: ce,
            });
        }
    }
    if let Some(h) = pending_heading {
        // Trailing headings with nothing after them still form a passage.
        let end = text.trim_end().len();
        if end > h {
            passages.push(Passage { article, start: h, end });
        }
    }
    passages
}

/// Whether a paragraph is a heading (or a caption, a byline): short and
/// without a sentence end. It opens the passage after it, and an answer
/// running on through the sentences after its own does not end on one.
pub fn is_heading(para: &str) -> bool {
    para.chars().count() <= HEADING_CHARS && !text::ends_sentence(para)
}

fn chars(text: &str, start: usize, end: usize) -> usize {
    text[start..end].chars().count()
}

/// Splits a sentence longer than [`MAX_CHARS`] at commas, or hard.
fn cut_long(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    if chars(text, start, end) <= MAX_CHARS {
        return vec![(start, end)];
    }
    let mut out = Vec::new();
    let mut piece_start = start;
    let mut last_comma = None;
    let mut count = 0;
    for (i, c) in text[start..end].char_indices() {
        let at = start + i;
        count += 1;
        if matches!(c, ',' | '，' | '、' | ':' | '：') {
            last_comma = Some(at + c.len_utf8());
        }
        if count >= MAX_CHARS {
            let cut = last_comma.filter(|&p| p > piece_start).unwrap_or(at + c.len_utf8());
            out.push((piece_start, cut));
            count = chars(text, cut, at + c.len_utf8());
            piece_start = cut;
            last_comma = None;
        }
    }
    if piece_start < end {
        out.push((piece_start, end));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "凝心聚力 抢抓时间\n疫情就是命令,防控就是责任。在本轮新冠肺炎疫情防控大考中,锦湖街道迅速集结66名机关干部、110名基层站所工作人员、32名网格员及500多名社区党员、干部、志愿者,凝心聚力,抢抓时间。“很辛苦!但是在这个冬日,我们也感受到了居民浓浓的情意。”张立挺说。\n[张立挺]\n坚守防疫卡口,感受寒冬的温暖";

    #[test]
    fn sentences_keep_closing_quotes() {
        let s: Vec<&str> = sentences("他说:“很辛苦!”我们走了。好")
            .into_iter()
            .map(|(a, b)| &"他说:“很辛苦!”我们走了。好"[a..b])
            .collect();
        assert_eq!(s, ["他说:“很辛苦!”", "我们走了。", "好"]);
    }

    #[test]
    fn clauses_end_at_commas_and_colons_not_at_list_commas() {
        let text = "今年以来，全区启动347个采样点位、5个方舱；检测：12万人次";
        let got: Vec<&str> = clauses(text).into_iter().map(|(a, b)| &text[a..b]).collect();
        assert_eq!(
            got,
            ["今年以来，", "全区启动347个采样点位、5个方舱；", "检测：", "12万人次"]
        );
        assert!(clauses("").is_empty());
    }

    #[test]
    fn passages_are_verbatim_bounded_spans() {
        let passages = split(0, TEXT);
        assert!(passages.len() >= 2, "{passages:?}");
        for p in &passages {
            let quote = &TEXT[p.start..p.end];
            assert!(!quote.trim().is_empty());
            assert_eq!(quote, quote.trim());
            assert!(quote.chars().count() <= MAX_CHARS + HEADING_CHARS * 2, "{quote}");
        }
        assert!(
            TEXT[passages[0].start..passages[0].end].starts_with("凝心聚力 抢抓时间\n疫情就是命令"),
            "headings join the next passage"
        );
        let last = passages.last().unwrap();
        assert_eq!(&TEXT[last.start..last.end], "[张立挺]\n坚守防疫卡口,感受寒冬的温暖");
    }

    #[test]
    fn a_huge_sentence_is_cut() {
        let text = "字".repeat(5000);
        let passages = split(3, &text);
        assert!(passages.len() >= 5000 / MAX_CHARS);
        assert!(
            passages
                .iter()
                .all(|p| p.article == 3 && chars(&text, p.start, p.end) <= MAX_CHARS)
        );
        assert_eq!(passages.last().unwrap().end, text.len());
    }
}
