//! Structure: paragraphs and article boundaries.
//!
//! Some pages run their paragraphs together on one line, separated by
//! spaces and short subheadings (`…陳達鋒。 發揮“領頭羊”作用 勇挑重擔指揮得當
//! 2020年…`); such lines are broken up again. Some files hold several
//! articles, each closing with a credit line `(…供稿)`; they are split there.

use std::sync::LazyLock;

use regex::Regex;

use crate::text::ends_sentence;

/// Lines longer than this (in characters) that contain spaces between
/// Chinese text are treated as several paragraphs run together.
const RUN_ON_CHARS: usize = 200;
/// A space-separated piece at most this long without a sentence end is a
/// heading fragment (merged with its neighbouring fragments).
const HEADING_CHARS: usize = 20;

/// A credit line closing an article: `(市医保局机关党委供稿)`, `城区委组织部 供稿 …`.
pub static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    crate::text::static_regex(r"^[（(]?\s*(?P<who>[^()（）]{2,40}?)\s*(供稿|供图)\s*(?P<rest>[^()（）]{0,20}?)[)）]?$")
});

/// One line as paragraphs: a run-on line broken up, any other line as it is.
pub fn break_run_on(line: String) -> Vec<String> {
    if line.chars().count() <= RUN_ON_CHARS || !line.contains(' ') {
        return vec![line];
    }
    let mut out = Vec::new();
    let mut heading: Vec<&str> = Vec::new();
    for piece in split_at_cjk_spaces(&line) {
        let short = piece.chars().count() <= HEADING_CHARS && !ends_sentence(piece);
        if short {
            heading.push(piece);
            continue;
        }
        if !heading.is_empty() {
            out.push(heading.join(" "));
            heading.clear();
        }
        out.push(piece.to_owned());
    }
    if !heading.is_empty() {
        out.push(heading.join(" "));
    }
    out
}

/// Splits at spaces that touch Chinese text on either side (spaces between
/// two Latin words or numbers stay).
fn split_at_cjk_spaces(line: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut iter = line.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == ' ' {
            let next = iter.peek().map(|&(_, n)| n);
            let touches_cjk = prev.is_some_and(|p| !p.is_ascii()) || next.is_some_and(|n| !n.is_ascii());
            if touches_cjk {
                let piece = line[start..i].trim();
                if !piece.is_empty() {
                    pieces.push(piece);
                }
                start = i + 1;
            }
        }
        prev = Some(c);
    }
    let piece = line[start..].trim();
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

/// Splits a file's lines into articles: a credit line closes an article when
/// at least two more lines follow it.
pub fn split_articles<L: AsRef<str>>(lines: Vec<L>) -> Vec<Vec<L>> {
    let mut articles = Vec::new();
    let mut current = Vec::new();
    let n = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        let text = line.as_ref();
        let closes = text.chars().count() <= 60 && CREDIT.is_match(&crate::script::fold(text));
        current.push(line);
        if closes && n - i > 2 {
            articles.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        articles.push(current);
    }
    articles
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of `000_*.txt`: paragraphs and a two-part subheading on one line.
    const RUN_ON: &str = "自新冠肺炎疫情發生以來,他充分發揮黨員的先鋒模范作用,以“舍小家、顧大家”的精神,堅守在疫情防控第一線,帶領臨時黨支部全體黨員,齊心協力、眾志成城,構筑起疫情防控一線陣地牢固的“防疫墻”,為堅決打贏疫情防控阻擊戰作出應有奉獻。他就是城區政務服務中心副主任陳達鋒。 發揮“領頭羊”作用 勇挑重擔指揮得當 2020年大年三十,陳達鋒積極響應城區委、區政府號召,主動請戰,毅然加入城區直機關防疫應急隊參與疫情防控工作。 城區委組織部 供稿 鐘佳韋 整理 |";

    #[test]
    fn breaks_a_run_on_line_into_paragraphs_and_headings() {
        let out = break_run_on(RUN_ON.to_string());
        assert_eq!(out.len(), 4, "{out:#?}");
        assert!(out[0].ends_with("陳達鋒。"));
        assert_eq!(out[1], "發揮“領頭羊”作用 勇挑重擔指揮得當");
        assert!(out[2].starts_with("2020年大年三十"));
        assert_eq!(out[3], "城區委組織部 供稿 鐘佳韋 整理 |");
    }

    #[test]
    fn short_lines_and_latin_spaces_stay() {
        for line in [
            "長樂新聞網訊 大戰見本色".to_string(),
            "use the LED screen ".repeat(20).trim_end().to_string(),
        ] {
            assert_eq!(break_run_on(line.clone()), vec![line]);
        }
    }

    #[test]
    fn splits_at_credit_lines() {
        let lines: Vec<String> = [
            "同心战“疫” 恪尽职守展情怀",
            "正文一。",
            "(市医保局机关党委供稿)",
            "同心抗疫 为民护航",
            "正文二。",
            "(市房产局机关党委供稿)",
            "基层防疫志愿服务手记",
            "正文三。",
            "(市委机要保密局机关党总支王昌建供稿)",
        ]
        .map(String::from)
        .to_vec();
        let parts = split_articles(lines);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1][0], "同心抗疫 为民护航");
        assert_eq!(
            parts[2].last().map(String::as_str),
            Some("(市委机要保密局机关党总支王昌建供稿)")
        );
    }

    #[test]
    fn one_article_without_credit_stays_whole() {
        let lines: Vec<String> = ["标题", "正文。", "更多正文。"].map(String::from).to_vec();
        assert_eq!(split_articles(lines.clone()), vec![lines]);
    }
}
