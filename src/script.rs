//! Script folding: Traditional ↔ Simplified (via `zhconv`'s OpenCC tables)
//! and full-width → half-width. Search always works on the Simplified,
//! half-width form; display keeps or converts the original script.

use serde::{Deserialize, Serialize};
use zhconv::{Variant, zhconv};

/// The script a reply is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Script {
    /// Keep the archive's text as published.
    #[default]
    Original,
    Simplified,
    Traditional,
}

/// Converts to Simplified Chinese.
pub fn to_simplified(text: &str) -> String {
    zhconv(text, Variant::ZhHans)
}

/// Converts to Traditional Chinese.
pub fn to_traditional(text: &str) -> String {
    zhconv(text, Variant::ZhHant)
}

/// Renders `text` in `script`.
pub fn render(text: &str, script: Script) -> String {
    match script {
        Script::Original => text.to_owned(),
        Script::Simplified => to_simplified(text),
        Script::Traditional => to_traditional(text),
    }
}

/// Whether a question is written in Traditional script: it has characters
/// that only Traditional uses and none that only Simplified uses.
pub fn is_traditional(text: &str) -> bool {
    let simplified = to_simplified(text);
    let traditional = to_traditional(text);
    let trad_only = text.chars().zip(simplified.chars()).filter(|(a, b)| a != b).count();
    let simp_only = text.chars().zip(traditional.chars()).filter(|(a, b)| a != b).count();
    trad_only > simp_only
}

/// Full-width ASCII forms (`！`, `３`, `Ａ`) and the ideographic space to
/// their half-width equivalents. Keeps byte offsets meaningful only on the
/// output.
pub fn to_halfwidth(text: &str) -> String {
    text.chars().map(halfwidth_char).collect()
}

/// One character's half-width form.
pub fn halfwidth_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// The search form of any text: Simplified, half-width, lower-case.
pub fn fold(text: &str) -> String {
    to_simplified(&to_halfwidth(text)).to_lowercase()
}

/// Whether a character is a CJK ideograph.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_traditional_and_fullwidth() {
        assert_eq!(fold("慈利縣黨員幹部"), "慈利县党员干部");
        assert_eq!(fold("ＬＥＤ屏３台！"), "led屏3台!");
    }

    #[test]
    fn detects_question_script() {
        assert!(is_traditional("慈利縣黨員幹部在隔離點化身為哪些角色?"));
        assert!(!is_traditional("陈达锋担任了哪个隔离点的组长?"));
        assert!(!is_traditional("2020年"));
    }

    #[test]
    fn renders_both_ways() {
        assert_eq!(render("陈达锋", Script::Traditional), "陳達鋒");
        assert_eq!(render("陳達鋒", Script::Simplified), "陈达锋");
        assert_eq!(render("陳達鋒", Script::Original), "陳達鋒");
    }
}
