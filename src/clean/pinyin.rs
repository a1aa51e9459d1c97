//! Pinyin annotations injected after characters by some sites' Traditional
//! converters: `發(fā)生` → `發生`. Only a real pinyin syllable (tone-marked
//! or toneless, lower-case) right after a CJK character counts, so ordinary
//! parentheses such as `(特约记者 余少林)` or `(Covid)` stay.
//!
//! A `?` standing in for a character the crawl lost, followed by the rest of
//! its annotation (`?fù)`), is dropped too: the character cannot be
//! recovered, and the annotation alone is noise.

use crate::script::is_cjk;

const INITIALS: &[&str] = &[
    "zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c", "s", "y",
    "w",
];
const FINALS: &[&str] = &[
    "a", "o", "e", "i", "u", "v", "ai", "ei", "ui", "ao", "ou", "iu", "ie", "ve", "ue", "er", "an", "en", "in", "un",
    "vn", "ang", "eng", "ing", "ong", "ia", "iao", "ian", "iang", "iong", "ua", "uo", "uai", "uan", "uang", "van",
    "ng", "m", "n", "io", "ueng",
];

/// Strips tone marks: `fā` → `fa`, `lǜ` → `lv`. `None` for anything that is
/// not a lower-case Latin letter.
fn base_letter(c: char) -> Option<char> {
    Some(match c {
        'a'..='z' => c,
        'ā' | 'á' | 'ǎ' | 'à' => 'a',
        'ē' | 'é' | 'ě' | 'è' => 'e',
        'ī' | 'í' | 'ǐ' | 'ì' => 'i',
        'ō' | 'ó' | 'ǒ' | 'ò' => 'o',
        'ū' | 'ú' | 'ǔ' | 'ù' => 'u',
        'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'v',
        'ń' | 'ň' | 'ǹ' => 'n',
        'ḿ' => 'm',
        _ => return None,
    })
}

/// Whether `s` is one pinyin syllable (with or without tone marks).
pub fn is_syllable(s: &str) -> bool {
    let Some(base) = s.chars().map(base_letter).collect::<Option<String>>() else {
        return false;
    };
    if base.is_empty() || base.len() > 6 {
        return false;
    }
    let rest = INITIALS
        .iter()
        .find_map(|i| base.strip_prefix(i).filter(|r| !r.is_empty()))
        .unwrap_or(&base);
    FINALS.contains(&rest) || FINALS.contains(&base.as_str())
}

/// Removes pinyin annotations (and lost-character `?syllable)` stubs).
pub fn strip_pinyin(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        let annotated = matches!(c, '(' | '（') && prev.is_some_and(is_cjk);
        // `?fù)`: the character and its opening parenthesis are lost.
        let lost = c == '?';
        if (annotated || lost)
            && let Some(len) = annotation_len(after)
        {
            rest = &after[len..];
            continue;
        }
        out.push(c);
        prev = Some(c);
        rest = after;
    }
    out
}

/// If `s` starts with `syllable)`, the byte length of that.
fn annotation_len(s: &str) -> Option<usize> {
    let end = s.char_indices().take(8).find(|&(_, c)| matches!(c, ')' | '）'))?.0;
    let close = s[end..].chars().next()?.len_utf8();
    is_syllable(&s[..end]).then_some(end + close)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_annotations_from_the_archive() {
        assert_eq!(strip_pinyin("自新冠肺炎疫情發(fā)生以來"), "自新冠肺炎疫情發生以來");
        assert_eq!(strip_pinyin("隔離點(diǎn)組建初期"), "隔離點組建初期");
        assert_eq!(strip_pinyin("帶領(lǐng)臨時黨支部"), "帶領臨時黨支部");
        assert_eq!(strip_pinyin("作為去過(guò)武漢"), "作為去過武漢");
        assert_eq!(strip_pinyin("他們(men)"), "他們");
        assert_eq!(strip_pinyin("綠(lǜ)色"), "綠色");
    }

    #[test]
    fn drops_lost_character_stubs() {
        assert_eq!(strip_pinyin("勇挑重?fù)?dān)指揮得當(dāng)"), "勇挑重指揮得當");
    }

    #[test]
    fn keeps_real_parentheses() {
        for s in [
            "(特约记者 余少林)",
            "(市医保局机关党委供稿)",
            "各鄉鎮(zhèn)(街道)村居",
            "“2+6”(白天2小时、夜间6小时)",
            "使用APP(Covid)登记",
            "第(3)条",
            "是吗?好的",
            "问题?(答案)",
        ] {
            let expected = s.replace("(zhèn)", "");
            assert_eq!(strip_pinyin(s), expected, "{s}");
        }
    }

    #[test]
    fn syllables() {
        for s in ["fā", "zhàn", "lǐng", "guò", "men", "er", "xiàng", "lǜ", "ng"] {
            assert!(is_syllable(s), "{s}");
        }
        for s in ["特约", "Covid", "APP", "3", "", "街道", "abc", "hello"] {
            assert!(!is_syllable(s), "{s}");
        }
    }
}
