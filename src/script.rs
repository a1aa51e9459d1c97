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

/// One character's half-width form: full-width ASCII forms (`！`, `３`,
/// `Ａ`) and the ideographic space to their half-width equivalents.
pub fn halfwidth_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// The search form of any text: Simplified, half-width, lower-case, one
/// character for each character.
///
/// Character by character, not phrase by phrase as [`to_simplified`]
/// converts for display: search only needs documents and questions folded
/// alike, and a table lookup per character is what lets a question fold
/// the passages it ranks (see [`crate::rank`]) in microseconds; with
/// zhconv's phrase automaton and `str::to_lowercase` instead, those two are
/// two thirds of the time of folding them (docs/scaling.md).
pub fn fold(text: &str) -> String {
    let table = &*SIMPLIFIED_CHARS;
    text.chars().map(|c| fold_char(table, c)).collect()
}

fn fold_char(table: &CharTable, c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let c = halfwidth_char(c);
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if let Some(&s) = (c as usize).checked_sub(DENSE_FROM).and_then(|i| table.dense.get(i)) {
        return s;
    }
    if let Some(&s) = table.sparse.get(&c) {
        return s;
    }
    // Lower case, one character for one (the few characters whose lower
    // case is longer keep their first).
    c.to_lowercase().next().unwrap_or(c)
}

/// The first character of the dense table: CJK Extension A, then the
/// unified ideographs and the compatibility ideographs up to U+FAFF.
const DENSE_FROM: usize = 0x3400;
const DENSE_TO: usize = 0xFB00;

/// Traditional → Simplified for single characters: OpenCC's character
/// table as zhconv ships it. Every character of `DENSE_FROM..DENSE_TO`
/// (most Chinese text) is one array lookup; the rest, in a map.
struct CharTable {
    dense: Vec<char>,
    sparse: std::collections::HashMap<char, char>,
}

static SIMPLIFIED_CHARS: std::sync::LazyLock<CharTable> = std::sync::LazyLock::new(|| {
    let mut dense: Vec<char> = (DENSE_FROM..DENSE_TO)
        .map(|u| char::from_u32(u as u32).unwrap_or(' '))
        .collect();
    let mut sparse = std::collections::HashMap::new();
    for table in zhconv::get_builtin_tables(Variant::ZhHans) {
        for (from, to) in zhconv::tables::expand_table(*table) {
            let (mut f, mut t) = (from.chars(), to.chars());
            let (Some(a), None, Some(b), None) = (f.next(), f.next(), t.next(), t.next()) else {
                continue;
            };
            match (a as usize).checked_sub(DENSE_FROM).and_then(|i| dense.get_mut(i)) {
                Some(slot) => *slot = b,
                None => {
                    sparse.insert(a, b);
                }
            }
        }
    }
    CharTable { dense, sparse }
});

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
        assert_eq!(fold("Ä Ω ΣΑΣ"), "ä ω σασ");
    }

    #[test]
    fn folds_one_character_for_each() {
        for text in ["乾隆皇帝與乾燥的後院", "ＡＢＣ１２３　隔離點", "𠀀𪚥 İstanbul ﬁ"] {
            assert_eq!(fold(text).chars().count(), text.chars().count(), "{text}");
        }
        assert_eq!(fold("乾燥的後院"), "乾燥的后院");
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
