//! Shifted-GBK mojibake repair.
//!
//! Some crawled pages went through GBK, lost one byte, and were decoded one
//! byte out of step; later their full-width forms were folded to ASCII. The
//! result is a run of odd characters ending in a stray ASCII byte:
//! `?!薄白鳛槿ミ^` is the GBK bytes of `。”“作為去過` with the leading
//! `0xA1` lost. The decoder only falls back into step at a byte below 0x80,
//! so every such run ends with an ASCII character (or `€`, which is byte
//! 0x80 in GBK) glued to Chinese text: that is where repair starts.
//!
//! For each such terminator we walk back over GBK-encodable characters,
//! re-encode them (interior ASCII back to full-width), put a lead byte back
//! in front and decode in step. The lost lead byte is only ever restored to
//! a common punctuation mark (the `0xA1`/`0xA3` rows: `。”“，！？`); when
//! none fits, the first character is dropped rather than guessed. A repair
//! is kept only when every repaired character is common Chinese (GB2312
//! level 1 after folding to Simplified, or punctuation) and it removes at
//! least one uncommon character: clean text has none to remove, so it is
//! left alone. A run without the `?` marker must be made of ideographs only
//! and remove at least two uncommon ones (measured on the cmrc2018 and drcd
//! corpora, 7,819 clean lines: no false repair).

use std::collections::HashMap;

use crate::script::{is_cjk, to_simplified};

/// How far back from a terminator a run may start, in characters.
const MAX_RUN: usize = 24;

/// Punctuation a lost lead byte may be restored to, and that counts as common.
const COMMON_PUNCT: &str = "。，、；：？！“”‘’（）《》…—·「」『』【】";

/// Per-call caches, so a long text classifies each distinct character once.
#[derive(Default)]
struct Cache {
    gbk: HashMap<char, Option<[u8; 2]>>,
    common: HashMap<char, bool>,
}

impl Cache {
    /// The two GBK bytes of a non-ASCII character, if it has exactly two.
    fn gbk2(&mut self, c: char) -> Option<[u8; 2]> {
        if c.is_ascii() {
            return None;
        }
        *self.gbk.entry(c).or_insert_with(|| {
            let mut buf = [0u8; 4];
            let (bytes, _, had_errors) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
            match (&*bytes, had_errors) {
                ([a, b], false) => Some([*a, *b]),
                _ => None,
            }
        })
    }

    /// Bytes of a run character: GBK, or an ASCII byte folded from full-width.
    fn run_bytes(&mut self, c: char) -> Option<[u8; 2]> {
        match c {
            '!'..='~' => Some([0xA3, c as u8 + 0x80]),
            _ => self.gbk2(c),
        }
    }

    /// Whether a character is everyday Chinese: GB2312 level 1 (itself or
    /// its Simplified form) or common punctuation. Narrower than
    /// `corpus::decode`'s "common" (which also counts symbols and full-width
    /// forms): a repair may only produce everyday text.
    fn is_common(&mut self, c: char) -> bool {
        if let Some(&known) = self.common.get(&c) {
            return known;
        }
        let common = COMMON_PUNCT.contains(c) || self.is_level1(c) || {
            let simplified = to_simplified(c.encode_utf8(&mut [0u8; 4]));
            let mut s = simplified.chars();
            match (s.next(), s.next()) {
                (Some(simple), None) if simple != c => self.is_level1(simple),
                _ => false,
            }
        };
        self.common.insert(c, common);
        common
    }

    fn is_level1(&mut self, c: char) -> bool {
        matches!(self.gbk2(c), Some([0xB0..=0xD7, 0xA1..=0xFE]))
    }
}

/// Decodes one GBK double-byte pair strictly (no user-defined area).
fn decode_pair(lead: u8, trail: u8) -> Option<char> {
    if !(0x81..=0xFE).contains(&lead) || !matches!(trail, 0x40..=0x7E | 0x80..=0xFE) {
        return None;
    }
    let bytes = [lead, trail];
    let text = encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(&bytes)?;
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !('\u{E000}'..='\u{F8FF}').contains(&c) => Some(c),
        _ => None,
    }
}

/// The byte a terminator character stands for.
fn terminator_byte(c: char) -> Option<u8> {
    match c {
        '@'..='~' => Some(c as u8),
        '€' => Some(0x80),
        _ => None,
    }
}

/// A repair found for one terminator.
struct Repair {
    /// First character index replaced (the `?` marker when there is one).
    start: usize,
    text: String,
}

/// Repairs every shifted-GBK run in `line`; anything else is left as it is.
pub fn repair(line: &str) -> String {
    // Fast path: a run needs a non-ASCII character right before an ASCII one.
    let mut prev_non_ascii = false;
    let mut candidate = false;
    for c in line.chars() {
        if prev_non_ascii && terminator_byte(c).is_some() {
            candidate = true;
            break;
        }
        prev_non_ascii = !c.is_ascii();
    }
    if !candidate {
        return line.to_owned();
    }
    let chars: Vec<char> = line.chars().collect();
    let mut cache = Cache::default();
    let mut out = String::with_capacity(line.len());
    let mut emitted = 0;
    for t in 1..chars.len() {
        if t <= emitted || chars[t - 1].is_ascii() {
            continue;
        }
        let Some(term) = terminator_byte(chars[t]) else {
            continue;
        };
        if let Some(repair) = best_repair(&chars, emitted, t, term, &mut cache) {
            out.extend(&chars[emitted..repair.start]);
            out.push_str(&repair.text);
            emitted = t + 1;
        }
    }
    out.extend(&chars[emitted..]);
    out
}

/// Tries every run start before terminator `t` and keeps the best repair:
/// one right after a `?` marker first, then the one removing the most
/// uncommon characters, then the shortest.
fn best_repair(chars: &[char], floor: usize, t: usize, term: u8, cache: &mut Cache) -> Option<Repair> {
    // `tail` is the in-step decoding of every pair after the first; it only
    // grows (at its front) as the run start moves back.
    let mut tail = String::new();
    let mut next_lead = term; // first byte of the bytes after the current start, seen from the left
    let mut uncommon_in = 0usize;
    let mut all_cjk = true;
    let mut best: Option<((bool, usize, isize), Repair)> = None;
    let lowest = t.saturating_sub(MAX_RUN).max(floor);
    let mut s = t;
    while s > lowest {
        s -= 1;
        let Some([c0, c1]) = cache.run_bytes(chars[s]) else {
            break;
        };
        // The pair (c1, next_lead) joins the tail: it must be common text.
        let Some(ch) = decode_pair(c1, next_lead) else { break };
        if !cache.is_common(ch) {
            break;
        }
        tail.insert(0, ch);
        next_lead = c0;
        if !chars[s].is_ascii() && !cache.is_common(chars[s]) {
            uncommon_in += 1;
        }
        all_cjk &= is_cjk(chars[s]);
        let marker = s > floor && chars[s - 1] == '?';
        // Without a `?` marker, demand more evidence: only ideographs (no
        // punctuation, Greek or ASCII in the run), two or more uncommon ones,
        // and at least two characters coming back.
        let enough = if marker {
            uncommon_in >= 1
        } else {
            all_cjk && uncommon_in >= 2 && tail.chars().count() >= 2
        };
        if !enough {
            continue;
        }
        // The lost lead byte: restore it only to common punctuation.
        let restored = [0xA1, 0xA3]
            .into_iter()
            .filter_map(|lead| decode_pair(lead, c0))
            .find(|c| COMMON_PUNCT.contains(*c));
        let mut text = String::new();
        text.extend(restored);
        text.push_str(&tail);
        let key = (marker, uncommon_in, -((t - s) as isize));
        let repair = Repair {
            start: if marker { s - 1 } else { s },
            text,
        };
        if best.as_ref().is_none_or(|(k, _)| key > *k) {
            best = Some((key, repair));
        }
    }
    best.map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_runs_from_the_archive() {
        // 001: the opening quotes.
        assert_eq!(
            repair("齊心戰(zhàn)疫?!薄白鳛槿ミ^(guò)武漢前線"),
            "齊心戰(zhàn)疫。”“作為去過(guò)武漢前線"
        );
        // 002: `€` is byte 0x80, the end of 線.
        assert_eq!(
            repair("請您排好隊?!薄按蠹冶3忠幻拙€距離"),
            "請您排好隊。”“大家保持一米線距離"
        );
        assert_eq!(repair("堅守一線?!蔽膸X鎮(zhèn)"), "堅守一線。”文嶺鎮(zhèn)");
        assert_eq!(repair("問(wèn)題?!备綦x組以"), "問(wèn)題。”隔離組以");
    }

    #[test]
    fn drops_a_lost_character_rather_than_guessing_it() {
        // 在 lost its lead byte 0xD4: 隔離 comes back, 在 is not invented.
        assert_eq!(repair("他們诟綦x點"), "他們隔離點");
    }

    #[test]
    fn leaves_clean_text_alone() {
        for s in [
            "指導政務服務中心通過LED屏、廣告機及移動電視",
            "推廣使用“粵商通”APP“企業防疫服務專區”",
            "锦湖街道迅速集结66名机关干部、110名基层站所工作人员",
            "我怎么好意思回去休息?”12月9日深夜",
            "陈翀的手指划伤了,由于无法及时包扎",
            "鬱鬱蔥蔥的ABC",
            // Clean lines a run without the `?` marker could repair wrongly
            // but for the ideographs-only rule (cmrc2018, drcd).
            "的一种结构花样被称为αβ桶或TIM桶",
            "为辐鳍鱼纲|鲈形目|鲈亚目|笛鲷科的其中一个种",
            "學院的英文名稱中,位於「College」一字後的逗號亦被去掉",
            "",
            "a",
        ] {
            assert_eq!(repair(s), s);
        }
    }
}
