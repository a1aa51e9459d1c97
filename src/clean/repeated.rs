//! Furniture told by repetition: a line that opens or closes the articles
//! of one publisher again and again (a column's sign-off, a promotion, a
//! site's notice) is the page around the article, whatever its wording;
//! body text almost never repeats word for word at the edges of several
//! articles. This is the one cleaning rule that looks across articles, so
//! it runs after each article is cleaned on its own:
//!
//! 1. [`edge_keys`]: each article's edge lines (its first
//!    [`EDGE_HEAD`] and last [`EDGE_TAIL`] paragraphs, short ones only) as
//!    keys of (publisher, folded line);
//! 2. [`Repeated::from_files`]: the keys found in at least [`MIN_FILES`]
//!    corpus files;
//! 3. [`strip`]: an article loses the run of repeated lines at its start
//!    and at its end (never its last paragraph), logged under
//!    [`RULE`].
//!
//! The publisher is the article's source, else its site (the host of its
//! address); articles with neither are never judged by repetition (in a
//! pile of texts from nowhere, a shared first line is as likely a shared
//! topic). Copies of one article (a notice reposted three times) repeat
//! all their lines: a line counts once per distinct article body, so only a
//! line that opens or closes *different* articles is furniture. A line in
//! one file only is always kept.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::article::Article;
use crate::corpus::Log;
use crate::script::fold;

/// The rule name in `articles --removed`.
pub const RULE: &str = "furniture (repeated)";
/// Paragraphs at an article's start and end that are looked at.
pub const EDGE_HEAD: usize = 2;
pub const EDGE_TAIL: usize = 3;
/// Longer paragraphs are body text, never furniture by repetition.
pub const EDGE_CHARS: usize = 80;
/// A line is furniture when this many corpus files hold it at an edge of
/// an article of the same publisher: twice can be a coincidence (a
/// reprint), three times is a habit of the page.
pub const MIN_FILES: usize = 3;

/// The publisher an article's repetition is counted within, if known.
fn group(article: &Article) -> Option<String> {
    if let Some(s) = article.source.as_deref().filter(|s| !s.trim().is_empty()) {
        return Some(fold(s.trim()));
    }
    article
        .url
        .as_deref()
        .and_then(|u| u.split("://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .filter(|host| !host.is_empty())
        .map(str::to_owned)
}

/// 64 bits of SHA-256 of `parts`: stable across runs and builds (the
/// index keeps them).
fn hash(parts: &[&str]) -> u64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

/// The key of one line of one publisher.
fn key(group: &str, line: &str) -> u64 {
    hash(&[group, &fold(line.trim())])
}

/// Whether a paragraph can be furniture by repetition: short, and with a
/// word in it (a lone "。" is punctuation, not a line).
fn candidate(p: &str) -> bool {
    p.chars().count() <= EDGE_CHARS && p.chars().filter(|c| c.is_alphanumeric()).count() >= 2
}

/// The indexes of an article's edge paragraphs.
fn edges(article: &Article) -> impl Iterator<Item = usize> + '_ {
    let n = article.paragraphs.len();
    let head = 0..EDGE_HEAD.min(n);
    let tail = n.saturating_sub(EDGE_TAIL).max(EDGE_HEAD.min(n))..n;
    head.chain(tail).filter(move |&i| candidate(&article.paragraphs[i]))
}

/// The edge lines of a file's articles: `[line key, body key]` pairs (the
/// body key tells copies of one article apart from different articles).
pub fn edge_keys(articles: &[Article]) -> Vec<[u64; 2]> {
    let mut keys: Vec<[u64; 2]> = Vec::new();
    for a in articles {
        let Some(g) = group(a) else { continue };
        let body = hash(&[&fold(&a.text())]);
        for i in edges(a) {
            keys.push([key(&g, &a.paragraphs[i]), body]);
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The edge lines that are furniture by repetition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repeated(HashSet<u64>);

impl Repeated {
    /// From every corpus file's [`edge_keys`]: the lines at an edge of
    /// at least [`MIN_FILES`] files' distinct articles.
    pub fn from_files<'a>(files: impl IntoIterator<Item = &'a [[u64; 2]]>) -> Repeated {
        let mut bodies: HashMap<u64, HashSet<u64>> = HashMap::new();
        let mut files_of: HashMap<u64, usize> = HashMap::new();
        for keys in files {
            let mut last = None;
            for &[line, body] in keys {
                bodies.entry(line).or_default().insert(body);
                if last != Some(line) {
                    *files_of.entry(line).or_default() += 1;
                    last = Some(line);
                }
            }
        }
        Repeated(
            bodies
                .into_iter()
                .filter(|(line, b)| b.len() >= MIN_FILES && files_of.get(line).is_some_and(|&n| n >= MIN_FILES))
                .map(|(line, _)| line)
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Which of a file's edge lines are repeated (what [`strip`] removes
    /// from it), in order.
    pub fn of<'a>(&'a self, keys: &'a [[u64; 2]]) -> impl Iterator<Item = u64> + 'a {
        keys.iter().map(|k| k[0]).filter(|k| self.0.contains(k))
    }
}

/// Removes the runs of repeated lines at the start and the end of each
/// article (an article keeps at least one paragraph), noting them in `log`.
pub fn strip(articles: &mut [Article], repeated: &Repeated, log: &mut Log) {
    if repeated.is_empty() {
        return;
    }
    for a in articles {
        let Some(g) = group(a) else { continue };
        let is_repeated = |p: &str| candidate(p) && repeated.0.contains(&key(&g, p));
        let n = a.paragraphs.len();
        let mut start = 0;
        while start < EDGE_HEAD.min(n) && start + 1 < n && is_repeated(&a.paragraphs[start]) {
            start += 1;
        }
        let mut end = n;
        while end > start + 1 && n - end < EDGE_TAIL && is_repeated(&a.paragraphs[end - 1]) {
            end -= 1;
        }
        if start == 0 && end == n {
            continue;
        }
        for p in a.paragraphs[..start].iter().chain(&a.paragraphs[end..]) {
            log.push((RULE, p.clone()));
        }
        a.paragraphs = a.paragraphs[start..end].to_vec();
        if a.lines.len() == n {
            a.lines = a.lines[start..end].to_vec();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(file: &str, source: &str, paragraphs: &[&str]) -> Article {
        Article {
            file: file.into(),
            title: "标题".into(),
            source: Some(source.into()),
            author: None,
            date: None,
            url: None,
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            lines: (1..=paragraphs.len() as u32).collect(),
        }
    }

    #[test]
    fn a_line_at_the_edges_of_three_files_of_one_publisher_goes() {
        let promo = "关注江南日报公众号，获取更多本地资讯！";
        let mut files: Vec<Vec<Article>> = (0..3)
            .map(|i| {
                vec![article(
                    &format!("{i}.html"),
                    "江南日报",
                    &[
                        &format!("第{i}篇正文，讲述社区的新变化。"),
                        &format!("第{i}位居民表示满意。"),
                        promo,
                    ],
                )]
            })
            .collect();
        // The same words inside an article's body, and at the edge of
        // another publisher's article, stay.
        files.push(vec![article(
            "3.html",
            "江南日报",
            &["开头一段。", promo, "中间一段。", "再一段。", "又一段。", "结尾一段。"],
        )]);
        files.push(vec![article("4.html", "河北晚报", &["正文。", promo])]);
        let keys: Vec<Vec<[u64; 2]>> = files.iter().map(|f| edge_keys(f)).collect();
        let repeated = Repeated::from_files(keys.iter().map(Vec::as_slice));
        let mut log = Vec::new();
        for f in &mut files {
            strip(f, &repeated, &mut log);
        }
        for f in &files[..3] {
            assert_eq!(f[0].paragraphs.len(), 2, "{:?}", f[0].paragraphs);
            assert_eq!(f[0].lines, [1, 2]);
        }
        assert_eq!(files[3][0].paragraphs.len(), 6, "not at an edge: kept");
        assert_eq!(files[4][0].paragraphs.len(), 2, "another publisher: kept");
        assert_eq!(log.len(), 3);
        assert!(log.iter().all(|(rule, text)| *rule == RULE && text == promo));
    }

    #[test]
    fn a_line_in_two_files_or_an_article_of_one_line_is_kept() {
        let line = "本报讯";
        let mut files: Vec<Vec<Article>> = (0..2)
            .map(|i| {
                vec![article(
                    &format!("{i}.txt"),
                    "江南日报",
                    &[line, &format!("第{i}篇正文。")],
                )]
            })
            .collect();
        files.push(vec![article("2.txt", "江南日报", &[line])]);
        let keys: Vec<Vec<[u64; 2]>> = files.iter().map(|f| edge_keys(f)).collect();
        let repeated = Repeated::from_files(keys.iter().map(Vec::as_slice));
        assert!(!repeated.is_empty(), "three files hold it");
        let mut log = Vec::new();
        strip(&mut files[2], &repeated, &mut log);
        assert_eq!(files[2][0].paragraphs, [line], "an article keeps its last paragraph");
        let two = Repeated::from_files(keys[..2].iter().map(Vec::as_slice));
        assert!(two.is_empty(), "two files are not a habit");
    }

    #[test]
    fn copies_of_one_article_and_articles_of_no_publisher_are_left_alone() {
        let notice = [
            "各区人民政府,市政府各部门:",
            "现将有关通知印发给你们,请认真贯彻执行。",
            "正文第一条。",
        ];
        let copies: Vec<Vec<Article>> = (0..4)
            .map(|i| vec![article(&format!("{i}.txt"), "市政府", &notice)])
            .collect();
        let keys: Vec<Vec<[u64; 2]>> = copies.iter().map(|f| edge_keys(f)).collect();
        assert!(
            Repeated::from_files(keys.iter().map(Vec::as_slice)).is_empty(),
            "one article reposted"
        );
        let nowhere: Vec<Vec<Article>> = (0..4)
            .map(|i| {
                let mut a = article(&format!("{i}.txt"), "", &["《海贼王", &format!("第{i}部分。")]);
                a.source = None;
                vec![a]
            })
            .collect();
        let keys: Vec<Vec<[u64; 2]>> = nowhere.iter().map(|f| edge_keys(f)).collect();
        assert!(keys.iter().all(Vec::is_empty), "no publisher: not judged");
    }
}
