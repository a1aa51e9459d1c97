//! Metadata: title, source, author, date and url, read from what the page
//! states — a newspaper trailer, a dateline (`長樂新聞網訊`), a credit line
//! (`…供稿`), a byline (`记者 陈成成`), a footer (`欢迎您访问红星网`). A date
//! is only ever taken from a stated publication date, never guessed from
//! the body. Names (source, author) are given in Simplified script so the
//! same publisher reads the same whichever script its pages use.

use std::sync::LazyLock;

use regex::Regex;

use super::Line;
use super::split::CREDIT;
use crate::date::valid_date;
use crate::script::{fold, to_simplified};
use crate::text::static_regex as re;
use crate::text::{FULL_STOPS, clip, ends_sentence};

/// Lines longer than this (in characters) carry no metadata.
const MAX_META_CHARS: usize = 300;

/// Longest title taken from a heading before it is clipped, in characters.
const TITLE_CHARS: usize = 40;

/// `瑞安日报 印象锦湖 00003 锦湖街道筑牢疫情防控第一道防线 2021-12-23 2`
static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?P<source>\S{2,16})\s+\S{1,16}\s+\d{1,5}\s+(?P<title>.{2,80}?)\s+(?P<date>\d{4}-\d{1,2}-\d{1,2})(\s+\d{1,4})?$",
    )
});
/// `发布时间:2021-12-23`, `发布日期:2021年12月23日`
static STATED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(发布|发表|刊发|出版)(时间|日期)\s*[:：]?\s*(?P<y>\d{4})\s*[-年/.]\s*(?P<m>\d{1,2})\s*[-月/.]\s*(?P<d>\d{1,2})",
    )
});
/// `長樂新聞網訊 …` (matched folded: `长乐新闻网讯`)
static DATELINE: LazyLock<Regex> = LazyLock::new(|| re(r"^(?P<source>[^\s,，。:：]{2,12}?(网|报|台|社))讯"));
/// `(特约记者 余少林)`, `■记者 陈成成 通讯员 林双双`
static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[■●▲◆(（\[【]?\s*(特约|本报|见习|首席)?记者\s*(?P<a>[\p{Han}·]{2,4})(\s+(通讯员|实习生)\s*(?P<b>[\p{Han}·]{2,4}))?\s*[)）\]】]?$",
    )
});
/// A credit closing a paragraph: `…如期完成。(记者 陈松 刘文藻)`, `…。（记者陈聪、马卓言）`.
/// Names: 2–4 Han characters each, separated by `、`, `,` or spaces, an
/// optional second group after 通讯员/实习生, an optional closing 报道.
static TRAILING_BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?P<body>.*[。!?！？”」])\s*[(（]\s*(特约|本报|见习|首席)?记者\s*[:：]?\s*(?P<names>[\p{Han}·]{2,4}?(\s*[、,，\s]\s*[\p{Han}·]{2,4}?){0,4})(\s+(通讯员|实习生)\s*(?P<more>[\p{Han}·]{2,4}?(\s*[、,，\s]\s*[\p{Han}·]{2,4}?){0,4}))?\s*(报道)?\s*[)）]$",
    )
});
/// The same credit alone on its line: `(记者 陈松 刘文藻)`, `（记者陈聪、马卓言）`.
static BYLINE_LIST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[(（]\s*(特约|本报|见习|首席)?记者\s*[:：]?\s*(?P<names>[\p{Han}·]{2,4}?(\s*[、,，\s]\s*[\p{Han}·]{2,4}?){0,4})(\s+(通讯员|实习生)\s*(?P<more>[\p{Han}·]{2,4}?(\s*[、,，\s]\s*[\p{Han}·]{2,4}?){0,4}))?\s*(报道)?\s*[)）]$",
    )
});

/// `张三、李四 王五` → `张三、李四、王五`.
fn name_list(names: &str) -> String {
    names
        .split(|c: char| c == '、' || c == ',' || c == '，' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join("、")
}

/// `欢迎您访问红星网`, `主办单位:中共湖南省委组织部`
static SITE: LazyLock<Regex> = LazyLock::new(|| re(r"欢迎您?访问(?P<site>[^\s,，。!！]{2,20})"));
static URL: LazyLock<Regex> = LazyLock::new(|| re(r#"https?://[^\s()（）"'<>\]\[，。]+"#));
/// `钟佳韦 整理` after a credit.
static COMPILER: LazyLock<Regex> = LazyLock::new(|| re(r"^(?P<name>\p{Han}{2,4})\s*(整理|编辑)"));

/// What a whole file states about itself (shared by all its articles).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub trailer_title: Option<String>,
    pub trailer_source: Option<String>,
    pub date: Option<String>,
    pub url: Option<String>,
    pub site: Option<String>,
    /// Index of the trailer line, which is not article text.
    pub trailer_line: Option<usize>,
}

/// Reads file-level metadata from all lines, furniture included.
pub fn scan_file(lines: &[impl AsRef<str>]) -> FileMeta {
    let mut meta = FileMeta::default();
    for (i, line) in lines.iter().map(AsRef::as_ref).enumerate().rev() {
        if line.chars().count() > MAX_META_CHARS {
            continue; // metadata lines are short; long ones are body text
        }
        let folded = fold(line);
        if meta.trailer_line.is_none()
            && let Some(c) = TRAILER.captures(line.trim())
            && let Some(date) = valid_date(&c["date"])
        {
            meta.trailer_title = Some(c["title"].trim().to_owned());
            meta.trailer_source = Some(to_simplified(&c["source"]));
            meta.date = Some(date);
            meta.trailer_line = Some(i);
        }
        if meta.date.is_none()
            && let Some(c) = STATED_DATE.captures(&folded)
        {
            meta.date = valid_date(&format!("{}-{}-{}", &c["y"], &c["m"], &c["d"]));
        }
        if let Some(m) = URL.find(line) {
            meta.url = Some(m.as_str().to_owned());
        }
        if let Some(c) = SITE.captures(&folded) {
            meta.site = Some(c["site"].to_owned());
        }
    }
    meta
}

/// An article's metadata and the body lines left once title, byline and
/// credit lines are taken out.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ArticleMeta {
    pub title: String,
    pub source: Option<String>,
    pub author: Option<String>,
    /// The body's lines, each still knowing its source line.
    pub body: Vec<Line>,
    /// Lines taken out of the body (rule, line): bylines and credits
    /// (moved into the metadata), the headline repeated.
    pub removed: super::Log,
}

/// Reads one article's metadata from its lines.
pub fn read_article(lines: Vec<Line>, file: &FileMeta) -> ArticleMeta {
    let mut meta = ArticleMeta::default();
    let mut credit_source = None;
    let mut body = Vec::with_capacity(lines.len());
    for Line { at, text: line } in lines {
        let short = line.chars().count() <= 60;
        let folded = if short { fold(&line) } else { String::new() };
        if short && let Some(c) = BYLINE.captures(folded.trim()) {
            let names: Vec<&str> = [c.name("a"), c.name("b")]
                .into_iter()
                .flatten()
                .map(|m| m.as_str())
                .collect();
            meta.author.get_or_insert(names.join("、"));
            meta.removed.push(("byline (metadata)", line));
            continue;
        }
        if short && let Some(c) = BYLINE_LIST.captures(folded.trim()) {
            let names: Vec<String> = [c.name("names"), c.name("more")]
                .into_iter()
                .flatten()
                .map(|m| name_list(m.as_str()))
                .collect();
            meta.author.get_or_insert(names.join("、"));
            meta.removed.push(("byline (metadata)", line));
            continue;
        }
        // A credit closing a paragraph: the paragraph stays, the credit is metadata.
        // Matched on the folded line, cut on the original (folding keeps character counts).
        let tail_credit = (line.chars().count() <= MAX_META_CHARS * 10)
            .then(|| fold(&line))
            .and_then(|f| {
                let c = TRAILING_BYLINE.captures(f.trim_end())?;
                let body_chars = c["body"].chars().count();
                let names: Vec<String> = [c.name("names"), c.name("more")]
                    .into_iter()
                    .flatten()
                    .map(|m| name_list(m.as_str()))
                    .collect();
                Some((body_chars, names.join("、")))
            });
        if let Some((body_chars, author)) = tail_credit
            && fold(&line).chars().count() == line.chars().count()
        {
            let trimmed = line.trim_end();
            let cut = trimmed.char_indices().nth(body_chars).map_or(trimmed.len(), |(i, _)| i);
            let (body_part, credit) = trimmed.split_at(cut);
            meta.author.get_or_insert(author);
            meta.removed.push(("byline (metadata)", credit.trim().to_owned()));
            body.push(Line {
                at,
                text: body_part.to_owned(),
            });
            continue;
        }
        if short && let Some(c) = CREDIT.captures(folded.trim()) {
            let who = c["who"].trim();
            let (org, name) = split_org_name(who);
            let compiler = COMPILER.captures(c["rest"].trim()).map(|m| m["name"].to_owned());
            credit_source = Some(org);
            if let Some(name) = name.or(compiler) {
                meta.author.get_or_insert(name);
            }
            meta.removed.push(("credit (metadata)", line));
            continue;
        }
        if file.trailer_title.as_deref() == Some(line.trim()) {
            // The headline repeated in the body or the page footer.
            meta.removed.push(("repeated headline", line));
            continue;
        }
        body.push(Line { at, text: line });
    }
    let dateline = body
        .first()
        .map(|l| fold(&l.text))
        .and_then(|l| DATELINE.captures(&l).map(|c| c["source"].to_owned()));
    meta.source = file
        .trailer_source
        .clone()
        .or(dateline)
        .or(credit_source)
        .or_else(|| file.site.clone());
    // Title: the newspaper's own, else a leading heading line, else the
    // first heading in the body, else the opening words.
    meta.title = if let Some(t) = &file.trailer_title {
        t.clone()
    } else if body.len() > 1 && is_heading(&body[0].text) {
        body.remove(0).text
    } else if let Some(h) = body.iter().find(|l| is_heading(&l.text)) {
        clip(&h.text, TITLE_CHARS)
    } else {
        body.first()
            .map(|l| clip(first_sentence(&l.text), TITLE_CHARS))
            .unwrap_or_default()
    };
    meta.body = body;
    meta
}

/// Characters that end an organisation's name (局, 部, 党总支, 中心 …).
const ORG_ENDS: &[char] = &[
    '局', '部', '委', '办', '支', '心', '站', '院', '社', '报', '网', '台', '所', '处', '会', '队', '组', '室',
];

/// Splits `市委机要保密局机关党总支王昌建` into the organisation and the
/// person (2–4 characters after the organisation's last name-ending character).
fn split_org_name(who: &str) -> (String, Option<String>) {
    if let Some((i, c)) = who.char_indices().rfind(|&(_, c)| ORG_ENDS.contains(&c)) {
        let (org, name) = who.split_at(i + c.len_utf8());
        let n = name.chars().count();
        if (2..=4).contains(&n) && name.chars().all(crate::script::is_cjk) {
            return (org.to_owned(), Some(name.to_owned()));
        }
    }
    (who.to_owned(), None)
}

/// A short line that does not end a sentence and is not a dateline.
fn is_heading(line: &str) -> bool {
    let n = line.chars().count();
    (2..=TITLE_CHARS).contains(&n) && !ends_sentence(line) && !line.ends_with([',', '，', ':', '：'])
}

/// The line up to its first full stop. Only full stops, not semicolons or
/// ellipses: a title must say what the article is about, and the text
/// before a `；` or `…` is usually half a statement.
fn first_sentence(line: &str) -> &str {
    match line.find(FULL_STOPS) {
        Some(i) => &line[..i],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Body lines numbered 1, 2, 3 … as if each was its own source line.
    fn numbered(v: &[&str]) -> Vec<Line> {
        v.iter()
            .zip(1..)
            .map(|(s, at)| Line {
                at: Some(at),
                text: s.to_string(),
            })
            .collect()
    }

    fn texts(body: &[Line]) -> Vec<String> {
        body.iter().map(|l| l.text.clone()).collect()
    }

    #[test]
    fn newspaper_trailer() {
        let l = lines(&[
            "正文。",
            "锦湖街道筑牢疫情防控第一道防线",
            "瑞安日报 印象锦湖 00003 锦湖街道筑牢疫情防控第一道防线 2021-12-23 2",
        ]);
        let m = scan_file(&l);
        assert_eq!(m.trailer_title.as_deref(), Some("锦湖街道筑牢疫情防控第一道防线"));
        assert_eq!(m.trailer_source.as_deref(), Some("瑞安日报"));
        assert_eq!(m.date.as_deref(), Some("2021-12-23"));
        assert_eq!(m.trailer_line, Some(2));
    }

    #[test]
    fn no_date_is_guessed() {
        let l = lines(&["2020年2月11日晚,陈达锋忙完了一天的工作。", "12月21日深夜,风大雨寒。"]);
        assert_eq!(scan_file(&l).date, None);
        let stated = lines(&["发布时间:2021年3月5日"]);
        assert_eq!(scan_file(&stated).date.as_deref(), Some("2021-03-05"));
    }

    #[test]
    fn dateline_byline_and_credit() {
        let file = FileMeta::default();
        let m = read_article(
            numbered(&["長樂新聞網訊 大戰見本色,大考顯擔當。", "正文。", "(特约记者 余少林)"]),
            &file,
        );
        assert_eq!(m.source.as_deref(), Some("长乐新闻网"));
        assert_eq!(m.author.as_deref(), Some("余少林"));
        assert_eq!(m.body.len(), 2);

        let m = read_article(numbered(&["正文。", "城區委組織部 供稿 鐘佳韋 整理 |"]), &file);
        assert_eq!(
            (m.source.as_deref(), m.author.as_deref()),
            (Some("城区委组织部"), Some("钟佳韦"))
        );

        let m = read_article(
            numbered(&["基层防疫志愿服务手记", "正文。", "(市委机要保密局机关党总支王昌建供稿)"]),
            &file,
        );
        assert_eq!(m.title, "基层防疫志愿服务手记");
        assert_eq!(m.source.as_deref(), Some("市委机要保密局机关党总支"));
        assert_eq!(m.author.as_deref(), Some("王昌建"));

        let m = read_article(
            numbered(&["凝心聚力 抢抓时间", "■记者 陈成成 通讯员 林双双", "正文。"]),
            &file,
        );
        assert_eq!(m.author.as_deref(), Some("陈成成、林双双"));
        assert_eq!(
            m.body,
            vec![Line {
                at: Some(3),
                text: "正文。".into()
            }],
            "the body keeps its own line once heading and byline are out"
        );
    }

    #[test]
    fn credits_become_metadata_without_residue() {
        let file = FileMeta::default();
        let m = read_article(
            numbered(&[
                "正文第一段。",
                "为克服疫情影响,如期全面完成任务。(记者 潘文静)",
                "（记者陈聪、马卓言）",
            ]),
            &file,
        );
        assert_eq!(m.author.as_deref(), Some("潘文静"));
        assert_eq!(
            texts(&m.body),
            lines(&["正文第一段。", "为克服疫情影响,如期全面完成任务。"])
        );
        assert_eq!(m.removed.len(), 2, "{:?}", m.removed);
        let at: Vec<Option<u32>> = m.body.iter().map(|l| l.at).collect();
        assert_eq!(at, vec![Some(1), Some(2)], "a cut credit leaves its paragraph's line");
        let m = read_article(numbered(&["正文。", "（记者 陈松 刘文藻）"]), &file);
        assert_eq!(m.author.as_deref(), Some("陈松、刘文藻"));
        assert_eq!(texts(&m.body), lines(&["正文。"]));
        let m = read_article(numbered(&["正文。(记者刘昕 通讯员曹敏报道)"]), &file);
        assert_eq!(m.author.as_deref(), Some("刘昕、曹敏"));
        assert_eq!(texts(&m.body), lines(&["正文。"]));
        // A parenthesis that is not a credit stays text.
        let kept = numbered(&[
            "正文。",
            "他说:“我们会坚持到底。”(完)",
            "记者从省扶贫办获悉:任务如期完成。",
        ]);
        assert_eq!(read_article(kept.clone(), &file).body, kept);
    }

    #[test]
    fn title_falls_back_to_a_heading_or_the_opening_words() {
        let file = FileMeta::default();
        let m = read_article(
            numbered(&["很长的第一段正文。", "中樞指揮讓隔離管控“不盲目”", "正文。"]),
            &file,
        );
        assert_eq!(m.title, "中樞指揮讓隔離管控“不盲目”");
        assert_eq!(m.body.len(), 3, "a heading inside the body stays in the body");
        let m = read_article(
            numbered(&["只有一段正文,没有任何标题,而且这一句话相当长,超过了四十个字的限制,所以会被截断。"]),
            &file,
        );
        assert!(
            m.title.ends_with('…') && m.title.chars().count() == TITLE_CHARS,
            "{}",
            m.title
        );
    }
}
