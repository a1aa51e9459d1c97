//! HTML → text. For now the fragment reader used by exports whose body
//! field holds HTML (`<p>…</p>`): block elements become paragraph breaks,
//! tags go, character references are decoded.

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
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            out.push_str(&decode_entities(after));
            rest = "";
            break;
        };
        let tag = &after[1..gt];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &after[gt + 1..];
        if !tag.starts_with('/') && HIDDEN.contains(&name.as_str()) {
            // Skip to the matching end tag (or the end).
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                None => "",
            };
            continue;
        }
        if BLOCKS.contains(&name.as_str()) {
            out.push('\n');
        }
    }
    out.push_str(&decode_entities(rest));
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
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
        let end = after[..after.len().min(12)].find(';');
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
    }
}
