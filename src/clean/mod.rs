//! Cleaning: what [`crate::corpus`] read (a text file's text, an export's
//! or a page's [`Record`]) → clean articles. Each rule lives in its own
//! module with its own tests; this module only orders them.
//!
//! Per line: character normalisation → [`mojibake`] repair (it needs the
//! `?` and ASCII bytes the later rules would remove) → [`pinyin`] removal →
//! [`punct`] collapsing. Per file: [`split`] run-on lines into paragraphs,
//! read file-level [`meta`] (trailer, url, site) while the furniture is
//! still there, drop [`boilerplate`], [`split`] into articles, then read
//! each article's title, source and author.

pub mod boilerplate;
pub mod meta;
pub mod mojibake;
pub mod pinyin;
pub mod punct;
pub mod repeated;
pub mod split;

#[cfg(test)]
mod archive_tests;

use crate::article::Article;
use crate::corpus::{Log, Record};
use crate::script::fold;

/// Lines longer than this are article text, never furniture (and are not
/// worth folding just to check).
const MAX_FURNITURE_CHARS: usize = 500;

/// A line on its way through cleaning, with the 1-based line of the source
/// file it begins on, so that every paragraph of an [`Article`] can say
/// where it is (`None` when the source has no lines: an HTML page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub at: Option<u32>,
    pub text: String,
}

impl AsRef<str> for Line {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// One source line, cleaned, as the paragraphs it holds (none when nothing
/// is left; several when it ran paragraphs together), each knowing `at`.
fn paragraphs_of(at: Option<u32>, line: &str, log: &mut Log) -> Vec<Line> {
    let cleaned = clean_line_logged(line, log);
    if cleaned.is_empty() {
        return Vec::new();
    }
    split::break_run_on(cleaned)
        .into_iter()
        .map(|text| Line { at, text })
        .collect()
}

/// The body's paragraphs and, when every one knows its source line, those
/// lines ([`Article::lines`]).
fn paragraphs_and_lines(body: Vec<Line>) -> (Vec<String>, Vec<u32>) {
    let lines = body.iter().map(|l| l.at).collect::<Option<Vec<u32>>>();
    (body.into_iter().map(|l| l.text).collect(), lines.unwrap_or_default())
}

/// Cleans one line of text. Idempotent; clean text comes back unchanged.
///
/// One rule's output can feed another (collapsing `?,` leaves a `?` right
/// before a mojibake run), so the rules are applied until nothing changes.
pub fn clean_line(line: &str) -> String {
    clean_line_logged(line, &mut Vec::new())
}

/// [`clean_line`], noting in `log` what each rule removed.
pub fn clean_line_logged(line: &str, log: &mut Log) -> String {
    let mut current = clean_line_once(line, log);
    for _ in 0..4 {
        let next = clean_line_once(&current, log);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn clean_line_once(line: &str, log: &mut Log) -> String {
    let normalised = normalise_chars(line);
    // The characters normalising dropped, looked up in a set: a `contains`
    // per character would be quadratic in the line (7% of a build's CPU).
    let changed = normalised != line;
    let kept: std::collections::HashSet<char> = if changed {
        normalised.chars().collect()
    } else {
        std::collections::HashSet::new()
    };
    let dropped = |c: char| changed && !kept.contains(&c);
    let invisible: String = line
        .chars()
        .filter(|&c| !c.is_whitespace() && (c.is_control() || dropped(c)))
        .map(|c| format!("U+{:04X} ", c as u32))
        .collect();
    if !invisible.is_empty() {
        log.push(("invisible characters", invisible.trim_end().to_owned()));
    }
    let repaired = mojibake::repair(&normalised);
    if repaired != normalised {
        log.push(("mojibake", changed_span(&normalised, &repaired)));
    }
    let unannotated = pinyin::strip_pinyin(&repaired);
    note_deletions(log, "pinyin", &repaired, &unannotated);
    let collapsed = punct::collapse(&unannotated);
    note_deletions(log, "doubled punctuation", &unannotated, &collapsed);
    // A Markdown heading marker (`# 标题`) is not text.
    let unmarked = match collapsed.trim_start().strip_prefix('#') {
        Some(rest) => rest.trim_start_matches('#').strip_prefix(' ').unwrap_or(&collapsed),
        None => &collapsed,
    };
    let mut out = String::with_capacity(collapsed.len());
    for word in unmarked.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.trim_end_matches([' ', '|']).to_owned()
}

/// `before → after` for the part of a line a repair changed (common
/// prefix and suffix left out).
fn changed_span(before: &str, after: &str) -> String {
    let prefix = before.chars().zip(after.chars()).take_while(|(a, b)| a == b).count();
    let b: Vec<char> = before.chars().skip(prefix).collect();
    let a: Vec<char> = after.chars().skip(prefix).collect();
    let suffix = b.iter().rev().zip(a.iter().rev()).take_while(|(x, y)| x == y).count();
    let b: String = b[..b.len() - suffix].iter().collect();
    let a: String = a[..a.len() - suffix].iter().collect();
    format!("{b} → {a}")
}

/// Notes the runs of characters a deleting rule took out of a line: the
/// characters of `before` not matched, in order, by `after`.
fn note_deletions(log: &mut Log, rule: &'static str, before: &str, after: &str) {
    if before == after {
        return;
    }
    let mut kept = after.chars().peekable();
    let mut run = String::new();
    let mut runs = Vec::new();
    for c in before.chars() {
        if kept.peek() == Some(&c) {
            kept.next();
            if !run.trim().is_empty() {
                runs.push(std::mem::take(&mut run));
            }
            run.clear();
        } else {
            run.push(c);
        }
    }
    if !run.trim().is_empty() {
        runs.push(run);
    }
    if kept.peek().is_some() {
        // Not a pure deletion (the rule also rewrote): show the change.
        log.push((rule, changed_span(before, after)));
    } else {
        log.extend(runs.into_iter().map(|r| (rule, r)));
    }
}

/// Cleans a whole text line by line, dropping empty lines.
pub fn clean_text(text: &str) -> String {
    text.lines()
        .map(clean_line)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Drops control, zero-width and bidirectional characters and the
/// replacement character; turns every kind of space into a plain space.
fn normalise_chars(line: &str) -> String {
    line.chars()
        .filter_map(|c| match c {
            '\t' | '\u{A0}' | '\u{3000}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => Some(' '),
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{FFFD}'
            | '\u{FFFE}'
            | '\u{FFFF}' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Strips furniture line by line (see [`boilerplate::strip`]), noting what
/// went. Where it stands matters too: right after a line that was all
/// furniture, a line that ends like a sentence but holds a furniture
/// phrase ("我是…号的签约作者“新闻资讯”!" under a repost notice) is part of
/// the same block, not the article.
#[derive(Default)]
struct Furniture {
    after_furniture: bool,
}

impl Furniture {
    fn strip(&mut self, Line { at, text: line }: Line, log: &mut Log) -> Option<Line> {
        if line.chars().count() > MAX_FURNITURE_CHARS {
            self.after_furniture = false;
            return Some(Line { at, text: line });
        }
        let stripped = boilerplate::strip(&line, fold);
        match &stripped {
            Some(kept) if *kept == line && self.after_furniture && boilerplate::has_signal(&fold(&line)) => {
                log.push(("furniture (beside furniture)", line));
                return None; // still after furniture
            }
            None => log.push(("furniture", line.clone())),
            Some(kept) if *kept != line => note_deletions(log, "furniture", &line, kept),
            Some(_) => {}
        }
        self.after_furniture = stripped.is_none();
        stripped.map(|text| Line { at, text })
    }
}

/// Cleans one decoded file into its articles. `file` is the path shown
/// to users (relative to the corpus directory).
pub fn clean_document(file: &str, text: &str) -> Vec<Article> {
    clean_document_logged(file, text, &mut Vec::new())
}

/// [`clean_document`], noting in `log` what each rule removed.
pub fn clean_document_logged(file: &str, text: &str, log: &mut Log) -> Vec<Article> {
    // `str::lines` splits at `\n` (and `\r\n`) as editors count lines.
    let lines: Vec<Line> = text
        .lines()
        .zip(1..)
        .flat_map(|(l, at)| paragraphs_of(Some(at), l, log))
        .collect();
    let file_meta = meta::scan_file(&lines);
    let mut kept = Vec::with_capacity(lines.len());
    let mut furniture = Furniture::default();
    for (i, line) in lines.into_iter().enumerate() {
        if Some(i) == file_meta.trailer_line {
            log.push(("newspaper trailer (metadata)", line.text));
        } else if let Some(line) = furniture.strip(line, log) {
            kept.push(line);
        }
    }
    split::split_articles(kept)
        .into_iter()
        .filter_map(|part| {
            let m = meta::read_article(part, &file_meta);
            log.extend(m.removed.iter().cloned());
            let (paragraphs, lines) = paragraphs_and_lines(m.body);
            (!paragraphs.is_empty()).then(|| Article {
                file: file.to_owned(),
                title: m.title,
                source: m.source,
                author: m.author,
                date: file_meta.date.clone(),
                url: file_meta.url.clone(),
                paragraphs,
                lines,
            })
        })
        .collect()
}

/// Cleans one structured record into an article: the body goes through the
/// same line rules, run-on breaking, furniture and byline/credit reading as
/// a text file (never split into several articles: the source says it is
/// one). Stated fields win over what the body says; `None` when no body
/// text is left.
pub fn clean_record(file: &str, record: &Record) -> Option<Article> {
    clean_record_logged(file, record, &mut Vec::new())
}

/// [`clean_record`], noting in `log` what each rule removed (including what
/// the record's reader already dropped, [`Record::removed`]).
pub fn clean_record_logged(file: &str, record: &Record, log: &mut Log) -> Option<Article> {
    log.extend(record.removed.iter().cloned());
    let field = |v: &Option<String>| v.as_deref().map(clean_line).filter(|s| !s.is_empty());
    let title = field(&record.title);
    // The body's own lines are not the file's: every paragraph points at the record.
    let lines: Vec<Line> = record
        .body
        .lines()
        .flat_map(|l| paragraphs_of(record.line, l, log))
        .collect();
    let scanned = meta::scan_file(&lines);
    let file_meta = meta::FileMeta {
        trailer_title: title.clone(),
        trailer_source: field(&record.source).map(|s| crate::script::to_simplified(&s)),
        date: record
            .date
            .as_deref()
            .and_then(crate::date::normalise_date)
            .or(scanned.date),
        url: field(&record.url).or(scanned.url),
        site: scanned.site,
        trailer_line: None,
    };
    let mut furniture = Furniture::default();
    let kept: Vec<Line> = lines
        .into_iter()
        .filter_map(|line| furniture.strip(line, log))
        .collect();
    let m = meta::read_article(kept, &file_meta);
    log.extend(m.removed.iter().cloned());
    let (paragraphs, lines) = paragraphs_and_lines(m.body);
    if paragraphs.is_empty() {
        return None;
    }
    Some(Article {
        file: file.to_owned(),
        title: m.title,
        source: m.source,
        author: field(&record.author)
            .map(|a| crate::script::to_simplified(&a))
            .or(m.author),
        date: file_meta.date,
        url: file_meta.url,
        paragraphs,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_with_a_furniture_phrase_goes_only_beside_furniture() {
        let text = "社区防疫工作有序推进\n\
            志愿者又将视频分享到自己的微信朋友圈。\n\
            居民们纷纷点赞,表示感谢。\n\
            本文来自作者[某某]投稿,不代表某某号立场,如若转载,请注明出处\n\
            我是某某号的签约作者“新闻资讯”!\n";
        let mut log = Vec::new();
        let articles = clean_document_logged("a.txt", text, &mut log);
        let body = articles[0].text();
        assert!(
            body.contains("分享到自己的微信朋友圈"),
            "a phrase inside the body stays: {body}"
        );
        assert!(!body.contains("签约作者"), "{body}");
        assert!(
            log.iter()
                .any(|(rule, t)| *rule == "furniture (beside furniture)" && t.contains("签约作者")),
            "{log:?}"
        );
    }

    #[test]
    fn a_record_keeps_its_fields_and_cleans_its_body() {
        let record = Record {
            title: Some("锦湖街道筑牢疫情防控第一道防线".into()),
            body: "锦湖街道筑牢疫情防控第一道防线\n疫情就是命令,防控就是责任。\n(记者 潘文静)\n责任编辑:李瑞".into(),
            date: Some("2021年12月23日 08:30".into()),
            source: Some("瑞安日報".into()),
            author: None,
            url: Some("https://example.com/a/1.html".into()),
            line: Some(4),
            removed: Vec::new(),
        };
        let a = clean_record("x.jsonl", &record).unwrap();
        assert_eq!(a.title, "锦湖街道筑牢疫情防控第一道防线");
        assert_eq!(a.paragraphs, vec!["疫情就是命令,防控就是责任。".to_string()]);
        assert_eq!(a.date.as_deref(), Some("2021-12-23"));
        assert_eq!(a.source.as_deref(), Some("瑞安日报"));
        assert_eq!(a.author.as_deref(), Some("潘文静"), "the credit line is metadata");
        assert_eq!(a.url.as_deref(), Some("https://example.com/a/1.html"));
        assert_eq!(a.lines, vec![4], "every paragraph points at the record's line");
        let empty = Record {
            body: "责任编辑:李瑞".into(),
            ..record
        };
        assert_eq!(clean_record("x.jsonl", &empty), None);
    }

    #[test]
    fn the_log_says_what_each_rule_removed() {
        let mut log = Vec::new();
        let text =
            "锦湖街道筑牢疫情防控第一道防线\n疫情就是命令,,防控就是责任。\n(记者 潘文静)\n责任编辑:李瑞\n按照部署。";
        let articles = clean_document_logged("a.txt", text, &mut log);
        assert_eq!(articles.len(), 1);
        assert!(log.contains(&("furniture", "责任编辑:李瑞".to_string())), "{log:?}");
        assert!(
            log.contains(&("byline (metadata)", "(记者 潘文静)".to_string())),
            "{log:?}"
        );
        assert!(
            log.iter().any(|(rule, t)| *rule == "doubled punctuation" && t == ","),
            "{log:?}"
        );
        let mut log = Vec::new();
        clean_document_logged("b.txt", "疫情就是命令,防控就是责任。", &mut log);
        assert!(log.is_empty(), "clean text loses nothing: {log:?}");
    }

    #[test]
    fn normalises_invisible_and_control_characters() {
        assert_eq!(
            clean_line("\u{FEFF}疫情\u{200B}防控\u{0}\u{7}第一线\u{202E}"),
            "疫情防控第一线"
        );
        assert_eq!(
            clean_line("\u{A0}\u{A0}  锦湖街道\u{3000}\u{3000}防线  "),
            "锦湖街道 防线"
        );
    }

    #[test]
    fn markdown_heading_markers_go() {
        assert_eq!(clean_line("## 志愿者"), "志愿者");
        assert_eq!(clean_line("#话题#讨论"), "#话题#讨论");
    }

    #[test]
    fn clean_simplified_text_is_unchanged() {
        let text =
            "疫情就是命令,防控就是责任。按照市疫情防控应急指挥部工作部署和要求,市医保局积极响应、迅速动员、精心组织。";
        assert_eq!(clean_line(text), text);
    }
}
