//! CMS exports: `.jsonl` (one JSON object per line) and `.json` (an array
//! of objects, or one object). Each object is one article; its fields are
//! found under our names or the names the configuration maps them to. A bad
//! line or element is one warning naming the file and line; the rest loads.

use serde_json::Value;
use serde_json::value::RawValue;

use super::Record;

/// Longest field value taken, in bytes: a body longer than this is cut at a
/// character boundary (the file itself is capped by the walk).
const MAX_FIELD_BYTES: usize = 4 * 1024 * 1024;

// The configured field names are a setting: defined with the settings.
pub use crate::config::FieldNames;

/// Built-in names for each field, tried in order.
const TITLE: &[&str] = &["title", "headline"];
const TEXT: &[&str] = &["text", "content", "body"];
const DATE: &[&str] = &["date", "published", "published_at", "pub_date", "publish_time"];
const SOURCE: &[&str] = &["source", "publisher", "site"];
const AUTHOR: &[&str] = &["author", "byline"];
const URL: &[&str] = &["url", "link"];
const ID: &[&str] = &["id"];

/// One record of an export, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRecord {
    /// 1-based line (`.jsonl`) or element number (`.json`).
    pub position: usize,
    pub id: Option<String>,
    pub record: Record,
}

/// What reading an export produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Export {
    pub records: Vec<ExportRecord>,
    /// One line per bad record: `line 7: not JSON (…)`.
    pub warnings: Vec<String>,
}

/// Reads a `.jsonl` export: one object per non-blank line.
pub fn read_jsonl(text: &str, names: &FieldNames) -> Export {
    let mut out = Export::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{FEFF}');
        if line.is_empty() {
            continue;
        }
        let position = i + 1;
        match serde_json::from_str::<Value>(line) {
            Ok(value) => push(&mut out, position, "line", &value, names, u32::try_from(position).ok()),
            Err(e) => out.warnings.push(format!("line {position}: not JSON ({e})")),
        }
    }
    out
}

/// Reads a `.json` export: an array of objects, or a single object.
/// Fails (the whole file is skipped) only when it is not JSON at all.
pub fn read_json(text: &str, names: &FieldNames) -> Result<Export, String> {
    let text = text.trim_start_matches('\u{FEFF}');
    let mut out = Export::default();
    // An array's elements are first taken raw (slices of `text`), so each
    // one's line in the file is known.
    if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(text) {
        for (i, item) in items.iter().enumerate() {
            // Already parsed once as part of the array: this cannot fail.
            let value: Value = serde_json::from_str(item.get()).unwrap_or(Value::Null);
            push(&mut out, i + 1, "element", &value, names, line_of(text, item.get()));
        }
        return Ok(out);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    if !value.is_object() {
        return Err("neither an array of articles nor one article".into());
    }
    push(&mut out, 1, "element", &value, names, line_of(text, text.trim_start()));
    Ok(out)
}

/// The 1-based line of `text` on which `part`, a slice of it, begins.
fn line_of(text: &str, part: &str) -> Option<u32> {
    let offset = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let before = text.get(..offset)?;
    u32::try_from(before.bytes().filter(|&b| b == b'\n').count() + 1).ok()
}

fn push(out: &mut Export, position: usize, what: &str, value: &Value, names: &FieldNames, line: Option<u32>) {
    match record(value, names) {
        Ok((id, mut record)) => {
            record.line = line;
            out.records.push(ExportRecord { position, id, record })
        }
        Err(reason) => out.warnings.push(format!("{what} {position}: {reason}")),
    }
}

fn record(value: &Value, names: &FieldNames) -> Result<(Option<String>, Record), String> {
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    let get = |ours: &Option<String>, builtin: &[&str]| -> Option<String> {
        ours.iter()
            .map(String::as_str)
            .chain(builtin.iter().copied())
            .find_map(|name| lookup(value, name).and_then(as_text))
    };
    let body = get(&names.text, TEXT).ok_or_else(|| {
        let name = names.text.as_deref().unwrap_or("text");
        format!("no article text (field `{name}`, `content` or `body`)")
    })?;
    Ok((
        get(&names.id, ID),
        Record {
            title: get(&names.title, TITLE),
            body: super::html::body_text(&body),
            date: get(&names.date, DATE),
            source: get(&names.source, SOURCE),
            author: get(&names.author, AUTHOR),
            url: get(&names.url, URL),
            line: None,
            removed: Vec::new(),
        },
    ))
}

/// A field by name; `a.b` reaches into nested objects.
fn lookup<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    value.get(name).or_else(|| {
        name.split('.')
            .try_fold(value, |v, part| v.get(part))
            .filter(|_| name.contains('.'))
    })
}

/// A field's value as text: strings as they are, numbers (ids, Unix
/// times) in decimal, arrays of strings (paragraphs, authors) joined by
/// newlines; empty values count as missing.
fn as_text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join("\n"),
        _ => return None,
    };
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Some(s[..s.floor_char_boundary(MAX_FIELD_BYTES)].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_reads_good_lines_and_names_bad_ones() {
        let text = [
            r#"{"id": 1, "title": "锦湖街道筑牢疫情防控第一道防线", "content": "疫情就是命令。\n防控就是责任。", "date": "2021-12-23", "source": "瑞安日报", "author": "陈成成", "url": "https://example.com/1"}"#,
            r#"{"title": "broken", "text": "#,
            "",
            r#"["not", "an", "object"]"#,
            r#"{"title": "没有正文"}"#,
            r#"{"headline": "第二篇", "body": ["第一段。", "第二段。"], "published": 1640217600}"#,
        ]
        .join("\n");
        let e = read_jsonl(&text, &FieldNames::default());
        assert_eq!(e.records.len(), 2);
        let first = &e.records[0];
        assert_eq!((first.position, first.id.as_deref()), (1, Some("1")));
        assert_eq!(first.record.body, "疫情就是命令。\n防控就是责任。");
        assert_eq!(first.record.author.as_deref(), Some("陈成成"));
        let second = &e.records[1];
        assert_eq!(second.position, 6);
        assert_eq!((first.record.line, second.record.line), (Some(1), Some(6)));
        assert_eq!(second.record.title.as_deref(), Some("第二篇"));
        assert_eq!(second.record.body, "第一段。\n第二段。");
        assert_eq!(second.record.date.as_deref(), Some("1640217600"));
        assert_eq!(e.warnings.len(), 3, "{:?}", e.warnings);
        assert!(e.warnings[0].starts_with("line 2: not JSON"));
        assert!(e.warnings[1].starts_with("line 4: not a JSON object"));
        assert!(e.warnings[2].starts_with("line 5: no article text"));
    }

    #[test]
    fn configured_names_and_nested_fields() {
        let names = FieldNames {
            text: Some("article_body".into()),
            author: Some("meta.byline".into()),
            ..FieldNames::default()
        };
        let text = r#"[{"title": "标题", "article_body": "正文。", "meta": {"byline": "潘文静"}}, 3]"#;
        let e = read_json(text, &names).unwrap();
        assert_eq!(e.records.len(), 1);
        assert_eq!(e.records[0].record.body, "正文。");
        assert_eq!(e.records[0].record.author.as_deref(), Some("潘文静"));
        assert_eq!(e.warnings, vec!["element 2: not a JSON object".to_string()]);
        assert!(read_json("{oops", &names).is_err());
        assert!(read_json("\"a string\"", &names).is_err());
    }

    #[test]
    fn each_json_element_knows_its_line() {
        let text = "\u{FEFF}[\n  {\n    \"title\": \"一\",\n    \"text\": \"第一篇。\\n第二段。\"\n  },\n  {\"title\": \"二\", \"text\": \"第二篇。\"}, {\"text\": \"第三篇。\"}\n]";
        let e = read_json(text, &FieldNames::default()).unwrap();
        let lines: Vec<Option<u32>> = e.records.iter().map(|r| r.record.line).collect();
        assert_eq!(lines, vec![Some(2), Some(6), Some(6)]);
        let one = read_json("\n\n  {\"text\": \"正文。\"}", &FieldNames::default()).unwrap();
        assert_eq!(one.records[0].record.line, Some(3));
    }

    #[test]
    fn an_html_body_becomes_paragraphs() {
        let text = r#"{"title": "标题", "content": "<p>第一段。</p><p>第二段<b>加粗</b>。</p>"}"#;
        let e = read_jsonl(text, &FieldNames::default());
        assert_eq!(e.records[0].record.body, "第一段。\n第二段加粗。");
    }
}
