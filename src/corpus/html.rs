//! HTML → text. Saved news pages (`.html`, `.htm`): the article's text by
//! `dom_smoothie` (a maintained port of Mozilla's Readability: it scores
//! blocks by text and link density, so navigation, related links, comments,
//! share bars and footers fall away), its metadata from what the page
//! states about itself (JSON-LD `NewsArticle`, Open Graph and
//! `article:published_time`, `<meta name=…>`, `<time datetime>`), falling
//! back to the visible byline under the headline. Also the fragment reader
//! for export fields that hold HTML (`<p>…</p>`).

use dom_query::Document;

use super::{Log, Record};

/// Elements beyond this many are not parsed (dom_smoothie's own cap),
/// a bound on the work one hostile page can cause.
const MAX_ELEMENTS: usize = 200_000;
/// How far into a page its `<meta charset>` is looked for (the HTML
/// standard's prescan reads 1024 bytes; saved pages put more before it).
const CHARSET_PRESCAN: usize = 4096;

/// Reads a saved page into one record, honouring its declared charset.
pub fn read_page(bytes: &[u8]) -> Result<Record, String> {
    let html = decode_page(bytes)?;
    let doc = Document::from(html.as_str());
    let meta = page_meta(&doc);
    let cfg = dom_smoothie::Config {
        max_elements_to_parse: MAX_ELEMENTS,
        text_mode: dom_smoothie::TextMode::Formatted,
        ..Default::default()
    };
    let mut reader = dom_smoothie::Readability::with_document(doc, None, Some(cfg))
        .map_err(|e| format!("not an article page ({e})"))?;
    let article = reader.parse().map_err(|e| format!("no article text found ({e})"))?;
    let mut removed = Vec::new();
    let body = trim_trailing_furniture(fragment_text_logged(&article.content, &mut removed), &mut removed);
    let title = meta
        .title
        .or_else(|| Some(article.title.to_string()).filter(|t| !t.trim().is_empty()));
    let source = meta
        .source
        .or_else(|| article.site_name.as_deref().and_then(normalise_source));
    let author = meta
        .author
        .or(article.byline)
        .and_then(|a| normalise_author(&a, source.as_deref()));
    Ok(Record {
        title,
        body,
        date: meta.date.or(article.published_time),
        source,
        author,
        url: meta.url.or(article.url),
        // The DOM has no lines to point at; the url says where the page is.
        line: None,
        removed,
    })
}

/// Longest line taken for trailing furniture (a related headline, a tag,
/// a column name); longer lines are always kept.
const TRAILING_FURNITURE_CHARS: usize = 40;

/// Drops the run of short lines that are not sentences after a page's last
/// sentence: what an extractor keeps past the article's end is related
/// headlines, tags and widget labels ("知道了"). Position and shape only; a
/// credit or byline (记者, 供稿, 来源, 作者, 通讯员, 摄) is kept for the
/// metadata rules, and a page without any sentence is left as it is.
fn trim_trailing_furniture(body: String, log: &mut Log) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let Some(last) = lines.iter().rposition(|l| crate::text::ends_sentence(l)) else {
        return body;
    };
    let credit = [
        "记者",
        "記者",
        "供稿",
        "来源",
        "來源",
        "作者",
        "通讯员",
        "通訊員",
        "摄",
        "攝",
    ];
    let mut kept: Vec<&str> = lines[..=last].to_vec();
    for l in &lines[last + 1..] {
        if l.chars().count() > TRAILING_FURNITURE_CHARS || credit.iter().any(|c| l.contains(c)) {
            kept.push(l);
        } else {
            log.push(("trailing furniture (html)", (*l).to_owned()));
        }
    }
    kept.join("\n")
}

/// The page's text: by its BOM, else its declared charset when it names one
/// encoding_rs knows, else detection, all through [`super::decode`]'s
/// checks: valid UTF-8 with non-ASCII text is UTF-8 whatever the page
/// declares, a wrong decoding is undone or the page refused with the
/// reason, never read as garbage.
fn decode_page(bytes: &[u8]) -> Result<String, String> {
    match declared_charset(&bytes[..bytes.len().min(CHARSET_PRESCAN)]) {
        Some(declared) => super::decode::decode_declared(bytes, declared),
        None => super::decode(bytes),
    }
    .map(|d| d.text)
}

/// `<meta charset="gbk">` or `<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`.
fn declared_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = head.as_str();
    while let Some(i) = rest.find("<meta") {
        let tag_end = rest[i..].find('>').map_or(rest.len(), |j| i + j);
        let tag = &rest[i..tag_end];
        if let Some(k) = tag.find("charset") {
            let value = tag[k + 7..]
                .trim_start_matches([' ', '='])
                .trim_start_matches(['"', '\'', ' '])
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .next()
                .unwrap_or("");
            if let Some(enc) = encoding_rs::Encoding::for_label(value.as_bytes()) {
                return Some(enc);
            }
        }
        rest = &rest[tag_end..];
    }
    None
}

/// What a page says about itself, strongest statement first.
#[derive(Debug, Default, PartialEq, Eq)]
struct PageMeta {
    title: Option<String>,
    date: Option<String>,
    source: Option<String>,
    author: Option<String>,
    url: Option<String>,
}

fn page_meta(doc: &Document) -> PageMeta {
    let ld = json_ld(doc);
    let meta = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| {
            let sel = format!("meta[property='{k}'], meta[name='{k}'], meta[itemprop='{k}']");
            doc.select(&sel)
                .iter()
                .find_map(|m| m.attr("content").map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()))
        })
    };
    let h1 = doc
        .select("h1")
        .iter()
        .map(|h| collapse_ws(&h.text()))
        .find(|t| !t.is_empty());
    let stated = ld.title.clone().or_else(|| meta(&["og:title", "twitter:title"]));
    let visible = headline_from(h1.as_deref(), &collapse_ws(&doc.select("title").text()));
    let title = choose_headline(stated, visible);
    let time = doc
        .select("time[datetime]")
        .iter()
        .find_map(|t| t.attr("datetime").map(|d| d.to_string()))
        .filter(|d| crate::date::normalise_date(d).is_some());
    let date = ld
        .date
        .clone()
        .or_else(|| {
            meta(&[
                "article:published_time",
                "datePublished",
                "pubdate",
                "publishdate",
                "PubDate",
                "publish_date",
                "og:release_date",
                "dateUpdate",
                "dateModified",
                "article:modified_time",
            ])
            .filter(|d| crate::date::normalise_date(d).is_some())
        })
        .or(time)
        .or_else(|| visible_date(doc, title.as_deref().or(h1.as_deref())));
    let source = page_source(doc, title.as_deref().or(h1.as_deref()));
    PageMeta {
        title,
        date,
        source: source.or_else(|| {
            [
                ld.source,
                meta(&["source", "og:site_name", "article:publisher", "mediaid"]),
            ]
            .into_iter()
            .flatten()
            .find_map(|s| normalise_source(&s))
        }),
        author: ld.author.or_else(|| meta(&["article:author", "author"])),
        url: meta(&["og:url"]).or_else(|| doc.select("link[rel='canonical']").attr("href").map(|h| h.to_string())),
    }
}

/// Platforms that host other publishers' posts (a page's site name there
/// says where it was posted, not who published it): the self-media
/// platforms of the big Chinese portals and WeChat's.
const PLATFORMS: &[&str] = &[
    "微信公众平台",
    "微信公众号",
    "百家号",
    "头条号",
    "企鹅号",
    "搜狐号",
    "网易号",
    "大鱼号",
    "一点号",
    "澎湃号",
    "新浪看点",
    "新浪网",
    "网易",
    "搜狐",
    "腾讯网",
    "今日头条",
];

/// Class or id names with which pages mark who published an article: the
/// source of a news CMS (`source`, `media_name`), the account of a
/// self-media post (`author-name`, `account-name`, a nickname), and a name
/// inside an author block.
const SOURCE_SELECTOR: &str = "[class~='source'], [id='source'], [class~='article-source'], [class~='source-name'],      [id='media_name'], [class~='media_name'], [class~='media-name'], [class~='author-name'], [class~='account-name'],      [class*='nickname'], [id*='nickname'], [class*='author'] [class~='name']";

/// Endings of Chinese publishers' names (news agency, paper, site, station,
/// magazine, a government's release account): a short header line ending
/// so is a source.
const PUBLISHER_ENDINGS: &[&str] = &[
    "社", "报", "网", "台", "刊", "新闻", "杂志", "发布", "频道", "在线", "传媒", "晚报", "日报",
];

/// A stated source made plain: no `来源` label, no date or time, no
/// editor's name after it, at most 30 characters; `None` when nothing is
/// left or it names a platform rather than a publisher.
pub fn normalise_source(raw: &str) -> Option<String> {
    let mut s = collapse_ws(raw);
    for label in [
        "本文来源",
        "文章来源",
        "新闻来源",
        "来源",
        "來源",
        "稿源",
        "出处",
        "出處",
    ] {
        if let Some(rest) = s.trim_start().strip_prefix(label) {
            s = rest.trim_start_matches([':', '：', ' ', '|', '丨']).to_owned();
        }
    }
    // Cut at what follows a source on a byline: an editor, an author, a
    // date or time, a separator.
    let cut = [
        "责任编辑",
        "编辑",
        "作者",
        "记者",
        "原标题",
        " ",
        "|",
        "丨",
        "　",
        "（",
        "(",
    ];
    let s = before_any(&s, &cut)
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned();
    let n = s.chars().count();
    if !(2..=30).contains(&n) || !s.chars().any(crate::script::is_cjk) && n < 3 {
        return None;
    }
    if PLATFORMS.iter().any(|p| s.contains(p)) {
        return None;
    }
    Some(s)
}

/// `s` up to the first of `labels` or the first digit (a byline runs on
/// into an editor, a date or a time).
fn before_any<'a>(s: &'a str, labels: &[&str]) -> &'a str {
    let end = labels
        .iter()
        .filter_map(|l| s.find(l))
        .chain(s.find(|c: char| c.is_ascii_digit()))
        .min()
        .unwrap_or(s.len());
    &s[..end]
}

/// Labels that open a byline's names (作者：张三, 文/李四, 记者 王五).
const AUTHOR_LABELS: &[&str] = &["作者", "記者", "记者", "撰文", "文/", "文／"];
/// What follows the names on a byline: a time, a source, an editor, a
/// separator (a digit, for a date or time, is cut at too).
const AFTER_AUTHOR: &[&str] = &[
    "发布时间",
    "發佈時間",
    "发布于",
    "时间",
    "時間",
    "日期",
    "来源",
    "來源",
    "责任编辑",
    "責任編輯",
    "编辑",
    "編輯",
    "|",
    "丨",
];
/// What page templates leave in an author field when nobody filled it in
/// (templates are in English).
const AUTHOR_PLACEHOLDERS: &[&str] = &[
    "name",
    "author",
    "admin",
    "administrator",
    "editor",
    "unknown",
    "anonymous",
    "user",
    "null",
    "none",
    "undefined",
];

/// The names of a page's author field or byline, joined with 、; `None`
/// when it names nobody: an editor credit, a template's placeholder or
/// e-mail address, or only the publisher (`source`) again. Pages glue
/// what follows the names on (`加拿大必读 发布时间：10-08…`), so the field
/// is cut at the first time, source or editor label.
fn normalise_author(raw: &str, source: Option<&str>) -> Option<String> {
    let mut s = raw.trim();
    if ["责任编辑", "責任編輯", "编辑", "編輯"]
        .iter()
        .any(|l| s.starts_with(l))
    {
        return None; // an editor is not the author
    }
    for label in AUTHOR_LABELS {
        if let Some(rest) = s.strip_prefix(label) {
            s = rest.trim_start_matches([':', '：', ' ', '/', '／']);
            break;
        }
    }
    let names = before_any(s, AFTER_AUTHOR);
    // Chinese bylines separate names with spaces (记者 张三 李四); Latin
    // names hold spaces of their own.
    let cjk = names.chars().any(crate::script::is_cjk);
    let kept: Vec<&str> = names
        .split(|c: char| (cjk && c.is_whitespace()) || matches!(c, '、' | ',' | '，' | ';' | '；' | '/' | '／'))
        .map(|p| p.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|p| !p.is_empty() && !p.contains('@'))
        .filter(|p| !AUTHOR_PLACEHOLDERS.contains(&p.to_ascii_lowercase().as_str()))
        .filter(|p| Some(*p) != source)
        .collect();
    (!kept.is_empty()).then(|| kept.join("、"))
}

/// Who published the page, from what the page states, strongest first: an
/// element marked as the source or account, a `来源：X` label near the
/// headline, a byline under the headline naming a publisher
/// (`石佳/中国青年报`, `新华社`).
fn page_source(doc: &Document, headline: Option<&str>) -> Option<String> {
    let marked = doc
        .select(SOURCE_SELECTOR)
        .iter()
        .map(|e| e.text().to_string())
        .filter(|t| t.trim().chars().count() <= 40)
        .find_map(|t| normalise_source(&t));
    if marked.is_some() {
        return marked;
    }
    let text = collapse_ws(&doc.select("body").text());
    let start = headline.and_then(|h| text.find(h)).unwrap_or(0);
    // A label within the header: the first stretch after the headline.
    let header: String = text[start..].chars().take(HEADER_CHARS).collect();
    static LABEL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        crate::text::static_regex(r"(?:本文来源|文章来源|来源|來源|稿源)\s*[:：]\s*([^\s|丨]{2,40})")
    });
    if let Some(source) = LABEL.captures_iter(&header).find_map(|c| normalise_source(&c[1])) {
        return Some(source);
    }
    // A byline: a short element right after the headline.
    doc.select("h1 ~ * p, h1 ~ p, h1 ~ * span, h1 ~ span, h1 ~ div")
        .iter()
        .take(8)
        .map(|e| collapse_ws(&e.text()))
        .filter(|t| (2..=24).contains(&t.chars().count()))
        .find_map(|t| {
            let last = t.rsplit(['/', '／']).next().unwrap_or(&t).trim().to_owned();
            let publisher = PUBLISHER_ENDINGS.iter().any(|e| last.ends_with(e));
            (publisher && !last.contains(char::is_numeric))
                .then(|| normalise_source(&last))
                .flatten()
        })
}

/// How much of a page's text after its headline is its header (byline,
/// source, date) for the labels looked for there.
const HEADER_CHARS: usize = 300;

/// The headline: the page's `<h1>` when the `<title>` contains it (the
/// title adds the site's name), else the longest part of the `<title>`
/// split at the separators sites put between headline and site name.
fn headline_from(h1: Option<&str>, title: &str) -> Option<String> {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    if let Some(h) = h1
        && h.chars().count() >= 4
        && (title.is_empty() || squeeze(title).contains(&squeeze(h)))
    {
        return Some(h.to_owned());
    }
    title
        .split(['_', '|', '｜'])
        .flat_map(|p| p.split(" - "))
        .flat_map(|p| p.split(" — "))
        .map(str::trim)
        .max_by_key(|p| p.chars().count())
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .or_else(|| h1.map(str::to_owned))
}

/// A visible date, where bylines sit first: the date nearest the headline
/// within the page's header (a few hundred characters around it), then
/// the first after the headline, then any (a date in the body is what the
/// text talks about, the last resort for when the page was published).
fn visible_date(doc: &Document, headline: Option<&str>) -> Option<String> {
    static DATE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| crate::text::static_regex(r"(19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}"));
    doc.select("script, style, noscript").remove();
    let text = collapse_ws(&doc.select("body").text());
    let valid = |m: &regex::Match<'_>| crate::date::normalise_date(m.as_str()).is_some();
    if let Some((at, len)) = headline.and_then(|h| text.find(h).map(|i| (i, h.len()))) {
        let header_end = at + len;
        let nearest = DATE
            .find_iter(&text)
            .filter(valid)
            .map(|m| {
                let distance = if m.start() >= header_end {
                    m.start() - header_end
                } else {
                    at.saturating_sub(m.end())
                };
                (distance, m)
            })
            .filter(|(d, _)| *d <= HEADER_CHARS)
            .min_by_key(|(d, _)| *d);
        if let Some((_, m)) = nearest {
            return Some(m.as_str().to_owned());
        }
        if let Some(m) = DATE.find_iter(&text[header_end..]).find(valid) {
            return Some(m.as_str().to_owned());
        }
    }
    DATE.find_iter(&text).find(valid).map(|m| m.as_str().to_owned())
}

/// The headline from what the page states (JSON-LD, `og:title`) and what it
/// shows (`<h1>`, `<title>` without the site's name). The visible one wins
/// when the stated one is a cut-off beginning of it (markup that carries a
/// `"` unescaped in an attribute ends the value there) or holds it plus a
/// site suffix; a visible one much shorter than the stated (a logo's
/// `<h1>`) never does.
fn choose_headline(stated: Option<String>, visible: Option<String>) -> Option<String> {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    match (stated, visible) {
        (Some(s), Some(v)) => {
            let (sq, vq) = (squeeze(&s), squeeze(&v));
            let (sn, vn) = (sq.chars().count(), vq.chars().count());
            let cut = vn > sn && vq.starts_with(&sq);
            let suffixed = sn > vn && sq.contains(&vq) && vn * 2 >= sn && vn >= 4;
            if cut || suffixed { Some(v) } else { Some(s) }
        }
        (s, v) => s.or(v),
    }
}

/// The first JSON-LD object of a news or article type.
#[derive(Debug, Default)]
struct LdMeta {
    title: Option<String>,
    date: Option<String>,
    source: Option<String>,
    author: Option<String>,
}

fn json_ld(doc: &Document) -> LdMeta {
    for script in doc.select("script[type='application/ld+json']").iter() {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(script.text().trim()) else {
            continue;
        };
        let mut stack = vec![&value];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Array(items) => stack.extend(items.iter()),
                serde_json::Value::Object(o) => {
                    if let Some(graph) = o.get("@graph") {
                        stack.push(graph);
                    }
                    let kind = o.get("@type").map(|t| t.to_string()).unwrap_or_default();
                    if kind.contains("Article") || kind.contains("Posting") {
                        let name = |v: Option<&serde_json::Value>| -> Option<String> {
                            let v = v?;
                            let v = match v {
                                serde_json::Value::Array(a) => a.first()?,
                                v => v,
                            };
                            v.as_str()
                                .or_else(|| v.get("name").and_then(|n| n.as_str()))
                                .map(|s| s.trim().to_owned())
                                .filter(|s| !s.is_empty())
                        };
                        return LdMeta {
                            title: name(o.get("headline")).or_else(|| name(o.get("name"))),
                            date: name(o.get("datePublished")).or_else(|| name(o.get("dateCreated"))),
                            source: name(o.get("publisher")),
                            author: name(o.get("author")),
                        };
                    }
                }
                _ => {}
            }
        }
    }
    LdMeta::default()
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An export body as plain paragraphs: unchanged when it holds no tag,
/// else the text of its HTML with one line per block element.
pub fn body_text(body: &str) -> String {
    if !looks_like_html(body) {
        return body.to_owned();
    }
    fragment_text(body)
}

/// Whether a field holds markup rather than text that merely has a `<`.
fn looks_like_html(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    ["<p", "<br", "<div", "</", "<img", "<span", "<li"]
        .iter()
        .any(|t| lower.contains(t))
}

/// Block-level elements: their start and end are paragraph breaks.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "blockquote",
    "figure",
    "figcaption",
    "header",
    "footer",
    "pre",
];

/// Elements whose content is never text.
const HIDDEN: &[&str] = &["script", "style", "noscript", "template", "iframe"];

fn fragment_text(html: &str) -> String {
    fragment_text_logged(html, &mut Vec::new())
}

/// The text of a fragment, one line per block, without link lists (noted in `log`).
fn fragment_text_logged(html: &str, log: &mut Log) -> String {
    let mut lines = Vec::new();
    for b in blocks(html) {
        if b.is_link_list() {
            log.push(("link list (html)", b.text));
        } else {
            lines.push(b.text);
        }
    }
    lines.join("\n")
}

/// One block of a fragment: its text and how much of it is link text.
struct Block {
    text: String,
    link_chars: usize,
}

impl Block {
    /// A block that is mostly link text and not a sentence: a related
    /// headline, a tag list, a "more" link. Link-like by shape, the way
    /// readability judges whole containers, here per line.
    fn is_link_list(&self) -> bool {
        let n = self.text.chars().filter(|c| !c.is_whitespace()).count();
        n > 0 && self.link_chars * 2 > n && !crate::text::ends_sentence(&self.text)
    }
}

/// Splits a fragment into blocks at block-level elements, counting the
/// characters inside `<a>`.
fn blocks(html: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut link_chars = 0usize;
    let mut in_link = 0usize;
    let mut flush = |text: &mut String, link_chars: &mut usize| {
        let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !line.is_empty() {
            out.push(Block {
                text: line,
                link_chars: *link_chars,
            });
        }
        text.clear();
        *link_chars = 0;
    };
    let push_text = |raw: &str, text: &mut String, link_chars: &mut usize, in_link: usize| {
        let t = decode_entities(raw);
        if in_link > 0 {
            *link_chars += t.chars().filter(|c| !c.is_whitespace()).count();
        }
        text.push_str(&t);
    };
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&rest[..lt], &mut text, &mut link_chars, in_link);
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            push_text(after, &mut text, &mut link_chars, in_link);
            rest = "";
            break;
        };
        let tag = &after[1..gt];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &after[gt + 1..];
        if !closing && HIDDEN.contains(&name.as_str()) {
            // Skip to the matching end tag (or the end).
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                None => "",
            };
            continue;
        }
        if name == "a" {
            in_link = if closing {
                in_link.saturating_sub(1)
            } else {
                in_link + 1
            };
        }
        if BLOCKS.contains(&name.as_str()) {
            flush(&mut text, &mut link_chars);
        }
    }
    push_text(rest, &mut text, &mut link_chars, in_link);
    flush(&mut text, &mut link_chars);
    out
}

/// Decodes the character references text uses: the five XML ones, `&nbsp;`
/// and numeric ones. Unknown names are left as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        // A reference is short: look for its `;` among the next few characters (by char, never inside one).
        let end = after.char_indices().take(12).find(|&(_, c)| c == ';').map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let name = &after[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                "ldquo" => Some('“'),
                "rdquo" => Some('”'),
                "mdash" => Some('—'),
                "hellip" => Some('…'),
                n if n.starts_with("#x") || n.starts_with("#X") => {
                    u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32)
                }
                n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page: `head` inside `<head>`, `header` between the headline and
    /// the body, `before` above the headline; a body long enough to be
    /// the article.
    fn page(head: &str, before: &str, h1: &str, header: &str) -> Record {
        let para = "市防汛指挥部组织各区开展防汛应急演练，检验预案、队伍和物资。演练模拟强降雨导致城区积水，\
            各部门按预案分工处置，排涝车辆半小时内到达现场。指挥部表示，汛期将持续加强值守，确保群众安全。";
        let body: String = (0..4).map(|_| format!("<p>{para}</p>")).collect();
        let html = format!(
            "<html><head><meta charset=\"utf-8\">{head}</head><body><div class=\"nav\">{before}</div>\
             <h1>{h1}</h1><div class=\"info\">{header}</div><div class=\"content\">{body}</div></body></html>"
        );
        read_page(html.as_bytes()).unwrap()
    }

    #[test]
    fn the_source_is_what_the_page_states_not_its_platform() {
        let h = "全市开展防汛应急演练";
        let marked = page(
            "",
            "",
            h,
            "<span class=\"source\">江南日报</span><span>2021-06-01</span>",
        );
        assert_eq!(marked.source.as_deref(), Some("江南日报"));
        let label = page(
            "",
            "",
            h,
            "<span>2021-06-01 10:00</span><span>来源：江南日报 编辑：王某</span>",
        );
        assert_eq!(label.source.as_deref(), Some("江南日报"));
        let byline = page("", "", h, "<p>李明/江南日报</p><p>2021-06-01 10:00</p>");
        assert_eq!(byline.source.as_deref(), Some("江南日报"));
        let account = page(
            "<meta property=\"og:site_name\" content=\"微信公众平台\">",
            "",
            h,
            "<a class=\"profile_nickname\">江南发布</a>",
        );
        assert_eq!(account.source.as_deref(), Some("江南发布"));
        let platform_only = page("<meta property=\"og:site_name\" content=\"微信公众平台\">", "", h, "");
        assert_eq!(platform_only.source, None, "a platform is not a source");
        let platform_label = page("", "", h, "<span>来源：澎湃新闻·澎湃号·政务</span>");
        assert_eq!(platform_label.source, None);
        assert_eq!(
            normalise_source("来源: 江南日报 2021-06-01 责任编辑：王某").as_deref(),
            Some("江南日报")
        );
    }

    #[test]
    fn an_author_field_keeps_the_names_and_nothing_glued_to_them() {
        let h = "全市开展防汛应急演练";
        // A template's placeholder and e-mail name nobody.
        let template = page("<meta name=\"author\" content=\"name, email@gmail.com\">", "", h, "");
        assert_eq!(template.author, None);
        let labelled = page("<meta name=\"author\" content=\"记者 张三 李四\">", "", h, "");
        assert_eq!(labelled.author.as_deref(), Some("张三、李四"));
        for (raw, source, want) in [
            // A self-media account glued to its publishing time: the
            // account is the source, not an author.
            ("江南发布 发布时间：10-0812:00优质原创作者", Some("江南发布"), None),
            ("王某发布时间：09-3022:46", None, Some("王某")),
            ("责任编辑：王某", None, None),
            ("文/李明 2021-06-01", None, Some("李明")),
            ("John Smith", None, Some("John Smith")),
            ("admin", None, None),
        ] {
            assert_eq!(normalise_author(raw, source).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn a_headline_cut_at_an_unescaped_quote_is_read_whole() {
        let h = "60万\"12306账号\"外泄? 官方辟谣称消息不实";
        let r = page(&format!("<meta property=\"og:title\" content=\"{h}\">"), "", h, "");
        assert_eq!(r.title.as_deref(), Some(h));
        // A site suffix on the stated title goes; a logo's short <h1> never wins.
        let r = page(
            "<meta property=\"og:title\" content=\"全市开展防汛应急演练_江南网\">",
            "",
            "全市开展防汛应急演练",
            "",
        );
        assert_eq!(r.title.as_deref(), Some("全市开展防汛应急演练"));
    }

    #[test]
    fn the_date_comes_from_the_byline_not_from_the_text() {
        let h = "全市开展防汛应急演练";
        // The byline above the headline, an older date in the text below.
        let html = format!(
            "<html><head><meta charset=\"utf-8\"></head><body><div>2019-09-07 15:10 江南日报</div><h1>{h}</h1>\
             <div class=\"content\">{}</div></body></html>",
            (0..4)
                .map(|_| "<p>演练按预案分工处置，排涝车辆半小时内到达现场，各部门协同配合。\
                    这套预案自2009年3月1日起施行，此后每年汛前都会修订一次，确保群众安全。</p>")
                .collect::<String>()
        );
        let r = read_page(html.as_bytes()).unwrap();
        assert_eq!(r.date.as_deref(), Some("2019-09-07"));
    }

    #[test]
    fn trailing_short_non_sentences_go_but_credits_stay() {
        let body = "第一段正文。\n小标题\n第二段正文。\n(记者 潘文静)\n相关阅读\n另一篇报道的标题\n知道了".to_string();
        let mut log = Vec::new();
        assert_eq!(
            trim_trailing_furniture(body, &mut log),
            "第一段正文。\n小标题\n第二段正文。\n(记者 潘文静)"
        );
        assert_eq!(log.len(), 3, "each dropped line is noted: {log:?}");
        assert_eq!(
            trim_trailing_furniture("只有标题\n没有句子".into(), &mut log),
            "只有标题\n没有句子"
        );
    }

    #[test]
    fn fragments_become_paragraphs() {
        assert_eq!(
            body_text(
                "<p>第一段&nbsp;文字。</p>\n<p>第二段<b>加粗</b>&#x3002;<br>换行&amp;</p><script>var x=1;</script>"
            ),
            "第一段 文字。\n第二段加粗。\n换行&"
        );
        assert_eq!(
            body_text("a < b 且 c > d"),
            "a < b 且 c > d",
            "text with a < is not markup"
        );
        assert_eq!(decode_entities("&unknown; &#20013;"), "&unknown; 中");
        assert_eq!(
            decode_entities("&5G一体化芯片;"),
            "&5G一体化芯片;",
            "no reference, multi-byte text after &"
        );
    }
}
