//! Bytes → text. Reads UTF-8 (with or without BOM) and UTF-16 with a BOM
//! directly; otherwise guesses: UTF-16 without a BOM by which byte order
//! reads as text, then a legacy encoding named by `chardetng` (GBK/GB18030,
//! Big5, …), checked against GB18030 and Big5. Every guess is verified: a
//! candidate whose text is not plausibly text (replacement characters,
//! controls, characters from scripts an archive of news does not mix) is
//! refused, and a file no candidate reads is refused with a reason.

/// The encoding a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// GBK and GB18030 (GB18030 is the superset and decodes both).
    Gb18030,
    Big5,
    /// Another legacy encoding `chardetng` named (by its WHATWG label).
    Other(&'static str),
}

/// A decoded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub encoding: Encoding,
    pub text: String,
}

/// Share of control bytes above which a file counts as binary.
const MAX_CONTROL_SHARE: f64 = 0.10;
/// Share of replacement characters above which a file counts as undecodable.
const MAX_REPLACEMENT_SHARE: f64 = 0.02;
/// A guessed decoding must have at least this share of plausible characters
/// (see [`plausible`]); real text scores above 0.99, a wrong CJK guess
/// (Big5 read as GBK) falls to rare characters and other scripts.
const MIN_PLAUSIBLE_SHARE: f64 = 0.95;
/// How much of a file the detector and the plausibility check look at.
const SAMPLE_BYTES: usize = 256 * 1024;

/// Decodes a file's bytes, or says why it is not text.
pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("empty".into());
    }
    let (encoding, text) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (Encoding::Utf8, String::from_utf8_lossy(rest).into_owned())
    } else if bytes.starts_with(b"\xFF\xFE") {
        (Encoding::Utf16Le, decode_with(encoding_rs::UTF_16LE, bytes))
    } else if bytes.starts_with(b"\xFE\xFF") {
        (Encoding::Utf16Be, decode_with(encoding_rs::UTF_16BE, bytes))
    } else if std::str::from_utf8(bytes).is_err()
        && let Some(found) = utf16_without_bom(bytes)
    {
        found
    } else {
        if control_share(bytes) > MAX_CONTROL_SHARE {
            return Err("binary data (too many control bytes)".into());
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => (Encoding::Utf8, text.to_owned()),
            Err(_) => legacy(bytes)?,
        }
    };
    check_text(encoding, text)
}

/// The checks every decoding passes, whatever found it.
fn check_text(encoding: Encoding, text: String) -> Result<Decoded, String> {
    let chars = text.chars().count().max(1);
    let bad = text.chars().filter(|&c| c == '\u{FFFD}').count();
    if bad as f64 / chars as f64 > MAX_REPLACEMENT_SHARE {
        return Err(format!(
            "undecodable: {bad} of {chars} characters are not valid in any supported encoding"
        ));
    }
    let controls = text.chars().filter(|&c| is_binary_control(c)).count();
    if controls as f64 / chars as f64 > MAX_CONTROL_SHARE {
        return Err("binary data (too many control characters)".into());
    }
    if text.chars().all(|c| c.is_whitespace() || c == '\u{FEFF}' || c == '\0') {
        return Err("empty".into());
    }
    Ok(Decoded { encoding, text })
}

/// A legacy (non-Unicode) encoding: `chardetng`'s guess first, then
/// GB18030 and Big5, the first whose text is plausible wins.
fn legacy(bytes: &[u8]) -> Result<(Encoding, String), String> {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    detector.feed(sample, sample.len() == bytes.len());
    let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
    // GBK is read as its superset GB18030 (same bytes, more characters).
    let guess = if guess == encoding_rs::GBK {
        encoding_rs::GB18030
    } else {
        guess
    };
    let mut candidates = vec![guess];
    for e in [encoding_rs::GB18030, encoding_rs::BIG5] {
        if !candidates.contains(&e) {
            candidates.push(e);
        }
    }
    let mut tried = Vec::new();
    for enc in candidates {
        let (text, _) = enc.decode_without_bom_handling(sample);
        // A character cut at the sample's end costs one replacement character, which the share absorbs.
        let share = plausible_share(&text);
        if share >= MIN_PLAUSIBLE_SHARE {
            let label = match enc.name() {
                "gb18030" => Encoding::Gb18030,
                "Big5" => Encoding::Big5,
                other => Encoding::Other(other),
            };
            return Ok((label, decode_with(enc, bytes)));
        }
        tried.push(format!("{} {:.0}%", enc.name(), share * 100.0));
    }
    Err(format!(
        "undecodable: garbage under every candidate encoding (plausible characters: {})",
        tried.join(", ")
    ))
}

/// UTF-16 without a byte-order mark: the byte order whose text is
/// plausible, when exactly one is. (Chinese text in the wrong byte order
/// lands in Yi, Hangul or private-use blocks; ASCII in the wrong order
/// lands on U+xx00 characters.)
fn utf16_without_bom(bytes: &[u8]) -> Option<(Encoding, String)> {
    if !bytes.len().is_multiple_of(2) || bytes.len() < 4 {
        return None;
    }
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES) & !1];
    let le = plausible_share(&encoding_rs::UTF_16LE.decode_without_bom_handling(sample).0);
    let be = plausible_share(&encoding_rs::UTF_16BE.decode_without_bom_handling(sample).0);
    match (le >= MIN_PLAUSIBLE_SHARE, be >= MIN_PLAUSIBLE_SHARE) {
        (true, false) => Some((
            Encoding::Utf16Le,
            encoding_rs::UTF_16LE.decode_without_bom_handling(bytes).0.into_owned(),
        )),
        (false, true) => Some((
            Encoding::Utf16Be,
            encoding_rs::UTF_16BE.decode_without_bom_handling(bytes).0.into_owned(),
        )),
        _ => None,
    }
}

/// Share of characters that news text in Chinese (or English) is made of:
/// ASCII printables and whitespace, common CJK ideographs, CJK and
/// full-width punctuation, general punctuation, Latin-1 letters. Wrong
/// guesses produce replacement characters, controls, rare-ideograph
/// extensions, Hangul, Yi, private use and other scripts.
fn plausible_share(text: &str) -> f64 {
    let mut total = 0usize;
    let mut good = 0usize;
    for c in text.chars() {
        total += 1;
        if plausible(c) {
            good += 1;
        }
    }
    if total == 0 {
        return 0.0;
    }
    good as f64 / total as f64
}

fn plausible(c: char) -> bool {
    matches!(c,
        '\n' | '\r' | '\t' | ' '..='~'
        | '\u{A0}'..='\u{FF}'       // Latin-1: ·, ×, é …
        | '\u{2000}'..='\u{206F}'   // general punctuation: “ ” — …
        | '\u{2100}'..='\u{27BF}'   // symbols, arrows, numbers ①, boxes ■
        | '\u{3000}'..='\u{303F}'   // CJK punctuation
        | '\u{3040}'..='\u{30FF}'   // kana (quoted Japanese names)
        | '\u{3100}'..='\u{312F}'   // bopomofo (Taiwanese text)
        | '\u{4E00}'..='\u{9FFF}'   // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'   // compatibility ideographs (Big5 has some)
        | '\u{FE30}'..='\u{FE4F}'   // vertical/compatibility punctuation
        | '\u{FF00}'..='\u{FFEF}'   // full-width forms
        | '\u{FEFF}')
}

fn decode_with(encoding: &'static encoding_rs::Encoding, bytes: &[u8]) -> String {
    // `decode` sniffs and strips a BOM itself.
    encoding.decode(bytes).0.into_owned()
}

fn is_binary_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{0C}')
}

/// Share of bytes in the first 64 KiB that are C0 controls other than whitespace.
fn control_share(bytes: &[u8]) -> f64 {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let n = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C))
        .count();
    n as f64 / head.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "锦湖街道迅速集结66名机关干部,筑牢疫情防控第一道防线。";

    #[test]
    fn utf8_with_and_without_bom() {
        let plain = decode(SAMPLE.as_bytes()).unwrap();
        assert_eq!((plain.encoding, plain.text.as_str()), (Encoding::Utf8, SAMPLE));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(SAMPLE.as_bytes());
        assert_eq!(decode(&bom).unwrap().text, SAMPLE);
    }

    #[test]
    fn gbk_is_detected() {
        let (bytes, _, _) = encoding_rs::GBK.encode(SAMPLE);
        assert!(std::str::from_utf8(&bytes).is_err());
        let d = decode(&bytes).unwrap();
        assert_eq!((d.encoding, d.text.as_str()), (Encoding::Gb18030, SAMPLE));
    }

    #[test]
    fn utf16_both_byte_orders() {
        let units: Vec<u16> = SAMPLE.encode_utf16().collect();
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in &units {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(
            decode(&le).unwrap(),
            Decoded {
                encoding: Encoding::Utf16Le,
                text: SAMPLE.into()
            }
        );
        assert_eq!(
            decode(&be).unwrap(),
            Decoded {
                encoding: Encoding::Utf16Be,
                text: SAMPLE.into()
            }
        );
    }

    /// A paragraph long enough for detection, as a real article would be.
    const PARAGRAPH: &str = "疫情就是命令,防控就是责任。按照市疫情防控应急指挥部工作部署和要求,\
        市医保局积极响应、迅速动员、精心组织,抽调机关干部下沉社区,协助开展核酸检测、人员排查和物资保障工作。\
        据统计,全市共设立集中隔离点十二个,累计服务隔离人员三千余人次。";
    const TRADITIONAL: &str = "疫情就是命令,防控就是責任。按照市疫情防控應急指揮部工作部署和要求,\
        市醫保局積極響應、迅速動員、精心組織,抽調機關幹部下沉社區,協助開展核酸檢測、人員排查和物資保障工作。\
        據統計,全市共設立集中隔離點十二個,累計服務隔離人員三千餘人次。";

    #[test]
    fn gbk_paragraph_is_detected_by_chardetng() {
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(PARAGRAPH);
        assert!(!unmappable);
        let d = decode(&bytes).unwrap();
        assert_eq!((d.encoding, d.text.as_str()), (Encoding::Gb18030, PARAGRAPH));
    }

    #[test]
    fn big5_comes_out_readable() {
        let (bytes, _, unmappable) = encoding_rs::BIG5.encode(TRADITIONAL);
        assert!(!unmappable, "the fixture is all Big5 characters");
        assert!(std::str::from_utf8(&bytes).is_err());
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, Encoding::Big5);
        assert_eq!(d.text, TRADITIONAL, "not GBK-shaped garbage");
        // Short Big5 text, one headline: still Big5.
        let (short, _, _) = encoding_rs::BIG5.encode("香港特區政府宣佈新一輪防疫措施");
        assert_eq!(decode(&short).unwrap().text, "香港特區政府宣佈新一輪防疫措施");
    }

    #[test]
    fn utf16_without_bom_both_byte_orders() {
        for text in [
            PARAGRAPH,
            "Title: 疫情防控\nplain ASCII mostly, with a line of 中文。\n",
        ] {
            let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
            let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
            let d = decode(&le).unwrap();
            assert_eq!((d.encoding, d.text.as_str()), (Encoding::Utf16Le, text));
            let d = decode(&be).unwrap();
            assert_eq!((d.encoding, d.text.as_str()), (Encoding::Utf16Be, text));
        }
    }

    #[test]
    fn garbage_under_every_candidate_is_refused_with_a_reason() {
        // High bytes with no control bytes: every legacy decoder reads
        // something, none of it text.
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| 0x80 | ((i.wrapping_mul(2654435761) >> 13) as u8))
            .collect();
        let err = decode(&noise).unwrap_err();
        assert!(err.starts_with("undecodable"), "{err}");
    }

    #[test]
    fn binary_and_empty_are_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa";
        assert!(decode(png).unwrap_err().contains("binary"));
        assert_eq!(decode(b"").unwrap_err(), "empty");
        assert_eq!(decode(b" \n\t ").unwrap_err(), "empty");
        let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        assert!(decode(&noise).is_err(), "pseudo-random bytes are not text");
    }

    #[test]
    fn a_few_nul_bytes_do_not_make_text_binary() {
        let mut bytes = SAMPLE.repeat(20).into_bytes();
        bytes.insert(24, 0); // between two characters
        let d = decode(&bytes).unwrap();
        assert!(d.text.contains("锦湖街道"));
    }
}
