//! Bytes → text. Detects UTF-8 (with or without BOM), UTF-16 with a BOM and
//! GB18030/GBK, and refuses binary or undecodable data with a reason.

/// The encoding a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Gb18030,
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
    } else {
        if control_share(bytes) > MAX_CONTROL_SHARE {
            return Err("binary data (too many control bytes)".into());
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => (Encoding::Utf8, text.to_owned()),
            Err(_) => (Encoding::Gb18030, decode_with(encoding_rs::GB18030, bytes)),
        }
    };
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
