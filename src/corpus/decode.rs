//! Bytes → text. Reads UTF-8 (with or without BOM) and UTF-16 with a BOM
//! directly; otherwise guesses: UTF-16 without a BOM by which byte order
//! reads as text, then a legacy encoding named by `chardetng` (GBK/GB18030,
//! Big5, …), checked against GB18030 and Big5. Every guess is verified: a
//! candidate whose text is not plausibly text (replacement characters,
//! controls, characters from scripts an archive of news does not mix) is
//! refused, and a file no candidate reads is refused with a reason.
//!
//! A page's declared charset is taken the same way ([`decode_declared`]),
//! except that bytes which are valid UTF-8 with non-ASCII text are UTF-8
//! whatever the markup says (pages re-saved as UTF-8 keep their old
//! `<meta charset=gb2312>`).
//!
//! Whatever found the encoding, the text is then checked for the signature
//! of a wrong decoding ([`misread`]): UTF-8 read as GBK or Big5, GBK, Big5 or
//! UTF-8 read as Latin-1/windows-1252. Its bytes (or, for text that was
//! already stored wrongly, the text re-encoded with the encoding it was
//! wrongly read as) are read as the other candidates; a reading with
//! (almost) no decoding errors whose characters are far more often common
//! Chinese ([`Tally::common_share`]) replaces it. Text that still reads as
//! a wrong decoding is refused with a reason ([`garbled`]), never indexed
//! as garbage.

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

impl Encoding {
    /// The label of an `encoding_rs` encoding (GBK counts as GB18030).
    fn of(enc: &'static Enc) -> Encoding {
        if enc == encoding_rs::UTF_8 {
            Encoding::Utf8
        } else if enc == encoding_rs::UTF_16LE {
            Encoding::Utf16Le
        } else if enc == encoding_rs::UTF_16BE {
            Encoding::Utf16Be
        } else if enc == encoding_rs::GB18030 || enc == encoding_rs::GBK {
            Encoding::Gb18030
        } else if enc == encoding_rs::BIG5 {
            Encoding::Big5
        } else {
            Encoding::Other(enc.name())
        }
    }
}

type Enc = encoding_rs::Encoding;

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
/// A reading that undoes a wrong decoding must have at least this share of
/// common characters (see [`Tally::common_share`]) … Real text: 0.89 and
/// above on every file of the public benches (cmrc2018 0.89, drcd 0.96,
/// ncp_dev 0.99 at their lowest); the same files misread score at most
/// 0.43 (UTF-8 read as GBK) and 0.18 (GBK read as Latin-1).
const MIN_COMMON_SHARE: f64 = 0.8;
/// … and that much more than the reading it replaces.
const COMMON_SHARE_MARGIN: f64 = 0.2;
/// … and at most one decoding error per this many non-ASCII characters
/// (a byte lost or cut in a file that is otherwise all one encoding).
const CHARS_PER_ERROR: usize = 50;
/// Fewest non-ASCII characters a re-read text must have to replace a reading
/// (shorter runs can decode cleanly by chance).
const MIN_REREAD_CHARS: usize = 4;
/// A text with at least this many ideographs (or Latin-1 letters in runs) is
/// judged for the signature of a wrong decoding ([`garbled`]).
const MIN_GARBLED_EVIDENCE: usize = 20;
/// Below this share of common ideographs, a text is a wrong decoding (real
/// text: 0.89 and above on the public benches, UTF-8 read as GBK about 0.4
/// at most; see [`MIN_COMMON_SHARE`]).
const MAX_GARBLED_COMMON_SHARE: f64 = 0.5;

/// Decodes a file's bytes, or says why it is not text.
pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("empty".into());
    }
    let (encoding, text, read_from) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (encoding_rs::UTF_8, String::from_utf8_lossy(rest).into_owned(), None)
    } else if bytes.starts_with(b"\xFF\xFE") {
        (encoding_rs::UTF_16LE, decode_with(encoding_rs::UTF_16LE, bytes), None)
    } else if bytes.starts_with(b"\xFE\xFF") {
        (encoding_rs::UTF_16BE, decode_with(encoding_rs::UTF_16BE, bytes), None)
    } else if std::str::from_utf8(bytes).is_err()
        && let Some((encoding, text)) = utf16_without_bom(bytes)
    {
        (encoding, text, None)
    } else {
        if control_share(bytes) > MAX_CONTROL_SHARE {
            return Err("binary data (too many control bytes)".into());
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => (encoding_rs::UTF_8, text.to_owned(), None),
            // A byte lost or cut in a UTF-8 file: still UTF-8.
            Err(_) if almost_utf8(bytes) => (encoding_rs::UTF_8, String::from_utf8_lossy(bytes).into_owned(), None),
            Err(_) => {
                let (encoding, text) = legacy(bytes)?;
                (encoding, text, Some(bytes))
            }
        }
    };
    finish(encoding, text, read_from)
}

/// Decodes a page's bytes by the charset its markup declares. A BOM
/// outranks the declaration; bytes that are valid UTF-8 with non-ASCII text
/// are UTF-8 whatever the markup says (a page re-saved as UTF-8 that kept
/// its `<meta charset=gb2312>`), unless that reading is implausible or
/// reads worse than the declared one (legacy text that happens to be valid
/// UTF-8). Then the checks of [`decode`].
pub fn decode_declared(bytes: &[u8], declared: &'static Enc) -> Result<Decoded, String> {
    // The `replacement` encoding (labels of encodings unsafe on the web)
    // would read the whole page as one U+FFFD: no declaration then.
    if encoding_rs::Encoding::for_bom(bytes).is_some() || declared == encoding_rs::REPLACEMENT {
        return decode(bytes);
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("empty".into());
    }
    // GBK pages are GB18030 in practice (the superset decodes both); a page
    // declared as UTF-16 but read byte-wise here is ASCII-compatible.
    let declared = if declared == encoding_rs::GBK {
        encoding_rs::GB18030
    } else if declared == encoding_rs::UTF_16LE || declared == encoding_rs::UTF_16BE {
        encoding_rs::UTF_8
    } else {
        declared
    };
    let (encoding, text, read_from) = match std::str::from_utf8(bytes) {
        Ok(utf8) if declared == encoding_rs::UTF_8 => (declared, utf8.to_owned(), None),
        Ok(utf8) if !utf8.is_ascii() && plausible_share(sample(utf8)) >= MIN_PLAUSIBLE_SHARE => {
            let as_declared = declared.decode_without_bom_handling(bytes).0;
            if Tally::of(utf8).common_share() >= Tally::of(&as_declared).common_share() {
                (encoding_rs::UTF_8, utf8.to_owned(), None)
            } else {
                (declared, as_declared.into_owned(), Some(bytes))
            }
        }
        _ => (
            declared,
            declared.decode_without_bom_handling(bytes).0.into_owned(),
            Some(bytes),
        ),
    };
    finish(encoding, text, read_from)
}

/// The end of every decoding: a wrong decoding undone ([`misread`]), then
/// the checks every text passes ([`check_text`], [`garbled`]). `read_from`
/// is the file's bytes when `text` is their decoding by `encoding`.
fn finish(encoding: &'static Enc, text: String, read_from: Option<&[u8]>) -> Result<Decoded, String> {
    let (mut encoding, mut text) = (encoding, text);
    let mut tally = Tally::of(&text);
    if let Some(bytes) = read_from
        && let Some((right, reread)) = misread(&text, &tally, Some((encoding, bytes)))
    {
        (encoding, text) = (right, reread);
        tally = Tally::of(&text);
    }
    // Text stored after a wrong decoding (a file saved as UTF-8 from
    // garbage): undone from the text itself, at most twice (a wrong
    // decoding of a wrong decoding). The file's own encoding stays.
    for _ in 0..2 {
        let Some((_, reread)) = misread(&text, &tally, None) else {
            break;
        };
        text = reread;
        tally = Tally::of(&text);
    }
    let decoded = check_text(Encoding::of(encoding), text)?;
    if let Some(why) = garbled(&tally) {
        return Err(why);
    }
    Ok(decoded)
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

/// Whether bytes that are not valid UTF-8 are UTF-8 all the same: a
/// byte lost or cut here and there (at most one error per
/// [`CHARS_PER_ERROR`] non-ASCII characters) in text that reads as
/// common Chinese. Legacy CJK bytes read as UTF-8 fail on most characters.
fn almost_utf8(bytes: &[u8]) -> bool {
    reread_share(&bytes[..bytes.len().min(SAMPLE_BYTES)], encoding_rs::UTF_8)
        .is_some_and(|share| share >= MIN_COMMON_SHARE)
}

/// The usual wrong decodings, as (the encoding bytes were wrongly read as,
/// the encoding they are in). GBK and Big5 are not tried for each other
/// here: [`legacy`] tells them apart by plausibility, and one read as the
/// other scores up to 0.55 common characters, too close to call by share.
fn misreadings() -> [(&'static Enc, &'static Enc); 7] {
    use encoding_rs::{BIG5, GB18030, GBK, UTF_8, WINDOWS_1252};
    [
        (GBK, UTF_8),
        (BIG5, UTF_8),
        (UTF_8, GB18030),
        (UTF_8, BIG5),
        (WINDOWS_1252, UTF_8),
        (WINDOWS_1252, GB18030),
        (WINDOWS_1252, BIG5),
    ]
}

/// The signature of a wrong decoding, undone: `text` (whose [`Tally`] is
/// `tally`) re-read as each encoding it may really be in, and the best
/// reading returned when it clearly beats `text` (see [`MIN_COMMON_SHARE`]
/// and the constants after it). The bytes re-read are `read_from`'s when `text` is their decoding
/// by that encoding (a page declared wrongly, a wrong guess), else `text`
/// re-encoded with the encoding it was wrongly read as (text stored after
/// a wrong decoding): valid Chinese text does not survive that, since GBK,
/// Big5 and Latin-1 bytes of real text are not UTF-8 and Latin-1 cannot
/// encode Chinese.
fn misread(text: &str, tally: &Tally, read_from: Option<(&'static Enc, &[u8])>) -> Option<(&'static Enc, String)> {
    let before = tally.common_share();
    if before > 1.0 - COMMON_SHARE_MARGIN {
        return None; // nothing can beat it by the margin
    }
    let mut best: Option<(f64, &'static Enc, Vec<u8>)> = None;
    let mut consider = |right: &'static Enc, sample_bytes: &[u8], whole: &dyn Fn() -> Vec<u8>| {
        let share = reread_share(sample_bytes, right)?;
        if share >= MIN_COMMON_SHARE
            && share >= before + COMMON_SHARE_MARGIN
            && best.as_ref().is_none_or(|(b, _, _)| share > *b)
        {
            best = Some((share, right, whole()));
        }
        Some(())
    };
    match read_from {
        Some((used, bytes)) => {
            // GBK and GB18030 are one family here.
            let used = if used == encoding_rs::GB18030 {
                encoding_rs::GBK
            } else {
                used
            };
            let known = misreadings().iter().any(|&(wrong, _)| wrong == used);
            for right in [encoding_rs::UTF_8, encoding_rs::GB18030, encoding_rs::BIG5] {
                let listed = misreadings().contains(&(used, right));
                if right != used && (listed || !known) {
                    consider(right, &bytes[..bytes.len().min(SAMPLE_BYTES)], &|| bytes.to_vec());
                }
            }
        }
        None => {
            for (wrong, right) in misreadings() {
                if wrong == encoding_rs::UTF_8 {
                    continue; // UTF-8 text re-encoded as UTF-8 is itself
                }
                let Some(head) = encode_strict(sample(text), wrong) else {
                    continue;
                };
                consider(right, &head, &|| encode_strict(text, wrong).unwrap_or_default());
            }
        }
    }
    let (_, right, bytes) = best?;
    Some((right, right.decode_without_bom_handling(&bytes).0.into_owned()))
}

/// The common share of `bytes` read as `right`, when that reading is a
/// candidate: plausible, with enough non-ASCII characters and (almost) no
/// decoding errors.
fn reread_share(bytes: &[u8], right: &'static Enc) -> Option<f64> {
    let (text, _) = right.decode_without_bom_handling(bytes);
    let tally = Tally::of(&text);
    let errors = text.chars().filter(|&c| c == '\u{FFFD}').count();
    (tally.non_ascii >= MIN_REREAD_CHARS
        && errors * CHARS_PER_ERROR <= tally.non_ascii
        && plausible_share(&text) >= MIN_PLAUSIBLE_SHARE)
        .then(|| tally.common_share())
}

/// Why a text is refused as a wrong decoding nothing could undo, if it is:
/// most of its ideographs rare (UTF-8 read as GBK or Big5), or its
/// non-ASCII text runs of Latin-1 letters and symbols (a CJK encoding read
/// as Latin-1). Real text in Chinese has neither; text in a European
/// language has its accented letters alone between ASCII ones.
fn garbled(t: &Tally) -> Option<String> {
    if t.ideographs >= MIN_GARBLED_EVIDENCE
        && (t.common_ideographs as f64) < MAX_GARBLED_COMMON_SHARE * t.ideographs as f64
    {
        return Some(format!(
            "garbled: only {} of its {} ideographs are common characters, the signature of a wrong \
             decoding (UTF-8 read as GBK or Big5?) that no other encoding undoes",
            t.common_ideographs, t.ideographs
        ));
    }
    if t.latin_runs >= MIN_GARBLED_EVIDENCE && t.latin_runs * 2 >= t.non_ascii {
        return Some(format!(
            "garbled: {} of its {} non-ASCII characters are runs of Latin-1 letters and symbols, the \
             signature of a CJK encoding or UTF-8 read as Latin-1 that no other encoding undoes",
            t.latin_runs, t.non_ascii
        ));
    }
    None
}

/// What a text's non-ASCII characters are, over its first [`SAMPLE_BYTES`].
#[derive(Debug, Default)]
struct Tally {
    /// Non-ASCII characters other than whitespace.
    non_ascii: usize,
    /// Of those, common ones (see [`is_common`]).
    common: usize,
    ideographs: usize,
    common_ideographs: usize,
    /// Characters in runs that look like a CJK encoding read as Latin-1
    /// (see [`latin_run`]).
    latin_runs: usize,
}

impl Tally {
    fn of(text: &str) -> Tally {
        let mut t = Tally::default();
        let mut run = String::new();
        for c in sample(text).chars().chain(['\n']) {
            if !c.is_ascii() && !c.is_whitespace() && is_latin1_like(c) {
                run.push(c);
                t.non_ascii += 1;
                t.common += is_common(c) as usize;
                continue;
            }
            if !run.is_empty() {
                if latin_run(&run) {
                    t.latin_runs += run.chars().count();
                }
                run.clear();
            }
            if c.is_ascii() || c.is_whitespace() {
                continue;
            }
            t.non_ascii += 1;
            let common = is_common(c);
            t.common += common as usize;
            if crate::script::is_cjk(c) {
                t.ideographs += 1;
                t.common_ideographs += common as usize;
            }
        }
        t
    }

    /// Share of the non-ASCII characters that are common (1 with none:
    /// nothing to undo).
    fn common_share(&self) -> f64 {
        if self.non_ascii == 0 {
            return 1.0;
        }
        self.common as f64 / self.non_ascii as f64
    }
}

/// A character windows-1252 writes as one byte of 0x80 and above: what a
/// CJK encoding's or UTF-8's bytes become when read as Latin-1.
fn is_latin1_like(c: char) -> bool {
    match c {
        '\u{80}'..='\u{FF}' => true,
        '\u{152}'..='\u{2122}' => "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ".contains(c),
        _ => false,
    }
}

/// A run of Latin-1 characters as a CJK encoding read as Latin-1 leaves
/// them: four or more in a row, at least one a letter (À–ÿ), not one
/// character repeated (a rule of dashes). Words of European languages have
/// their accented letters one or two at a time between ASCII letters.
fn latin_run(run: &str) -> bool {
    let mut chars = run.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    run.chars().count() >= 4
        && run
            .chars()
            .any(|c| matches!(c, '\u{C0}'..='\u{FF}') && c != '×' && c != '÷')
        && chars.any(|c| c != first)
}

/// Whether a character is common in Chinese text: a GB2312 level-1
/// ideograph, a Big5 frequent one (the 5,401 of A440–C67E), or a symbol of
/// GB2312's first rows (CJK punctuation, numbers, full-width forms). Wrong
/// decodings land mostly on rarer ideographs, Latin-1 and other scripts.
/// (`clean::mojibake` asks a narrower question, whether a repaired
/// character is everyday text, and keeps its own narrower set: full-width
/// forms and symbols count here, not there.)
fn is_common(c: char) -> bool {
    static COMMON: std::sync::LazyLock<Vec<u64>> = std::sync::LazyLock::new(|| {
        let mut bits = vec![0u64; 0x10000 / 64];
        let mut set = |enc: &'static Enc, lead: u8, trail: u8| {
            let pair = [lead, trail];
            let Some(text) = enc.decode_without_bom_handling_and_without_replacement(&pair) else {
                return;
            };
            let mut chars = text.chars();
            if let (Some(c), None) = (chars.next(), chars.next())
                && (c as u32) < 0x10000
                && !('\u{E000}'..='\u{F8FF}').contains(&c)
            {
                bits[c as usize / 64] |= 1 << (c as u32 % 64);
            }
        };
        for lead in (0xA1..=0xA3).chain(0xB0..=0xD7) {
            for trail in 0xA1..=0xFE {
                set(encoding_rs::GBK, lead, trail);
            }
        }
        for lead in 0xA4..=0xC6u8 {
            for trail in (0x40..=0x7Eu8).chain(0xA1..=0xFE) {
                if lead < 0xC6 || trail <= 0x7E {
                    set(encoding_rs::BIG5, lead, trail);
                }
            }
        }
        bits
    });
    let i = c as usize;
    i < 0x10000 && COMMON[i / 64] & (1 << (i % 64)) != 0
}

/// `text` in `enc`, or `None` when `enc` cannot write one of its
/// characters. A replacement character (a byte the wrong decoding already
/// lost) becomes 0xFF, a byte no candidate encoding reads, so that the
/// re-read loses it again rather than inventing text for it.
fn encode_strict(text: &str, enc: &'static Enc) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for (i, piece) in text.split('\u{FFFD}').enumerate() {
        if i > 0 {
            out.push(0xFF);
        }
        let mut encoder = enc.new_encoder();
        out.reserve(encoder.max_buffer_length_from_utf8_without_replacement(piece.len())?);
        let (result, _) = encoder.encode_from_utf8_to_vec_without_replacement(piece, &mut out, true);
        if !matches!(result, encoding_rs::EncoderResult::InputEmpty) {
            return None;
        }
    }
    Some(out)
}

/// The first [`SAMPLE_BYTES`] of a text, cut at a character boundary.
fn sample(text: &str) -> &str {
    &text[..text.floor_char_boundary(SAMPLE_BYTES)]
}

/// A legacy (non-Unicode) encoding: `chardetng`'s guess first, then
/// GB18030 and Big5, the first whose text is plausible wins.
fn legacy(bytes: &[u8]) -> Result<(&'static Enc, String), String> {
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
            return Ok((enc, decode_with(enc, bytes)));
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
fn utf16_without_bom(bytes: &[u8]) -> Option<(&'static Enc, String)> {
    if !bytes.len().is_multiple_of(2) || bytes.len() < 4 {
        return None;
    }
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES) & !1];
    let le = plausible_share(&encoding_rs::UTF_16LE.decode_without_bom_handling(sample).0);
    let be = plausible_share(&encoding_rs::UTF_16BE.decode_without_bom_handling(sample).0);
    match (le >= MIN_PLAUSIBLE_SHARE, be >= MIN_PLAUSIBLE_SHARE) {
        (true, false) => Some((
            encoding_rs::UTF_16LE,
            encoding_rs::UTF_16LE.decode_without_bom_handling(bytes).0.into_owned(),
        )),
        (false, true) => Some((
            encoding_rs::UTF_16BE,
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

fn decode_with(encoding: &'static Enc, bytes: &[u8]) -> String {
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

    /// `text`'s bytes in `bytes_in`, read as `read_as` (lossy: what a
    /// wrong decoding stores).
    fn misdecoded(text: &str, bytes_in: &'static Enc, read_as: &'static Enc) -> String {
        let (bytes, _, unmappable) = bytes_in.encode(text);
        assert!(!unmappable);
        read_as.decode_without_bom_handling(&bytes).0.into_owned()
    }

    #[test]
    fn common_share_tells_text_from_wrong_decodings() {
        for text in [SAMPLE, PARAGRAPH, TRADITIONAL] {
            assert!(Tally::of(text).common_share() > 0.95, "{text}");
        }
        let share = |t: &str| Tally::of(t).common_share();
        assert!(share(&misdecoded(PARAGRAPH, encoding_rs::UTF_8, encoding_rs::GB18030)) < 0.5);
        assert!(share(&misdecoded(TRADITIONAL, encoding_rs::UTF_8, encoding_rs::GB18030)) < 0.5);
        assert!(share(&misdecoded(PARAGRAPH, encoding_rs::GBK, encoding_rs::WINDOWS_1252)) < 0.2);
        assert_eq!(share("plain ASCII"), 1.0, "nothing to undo");
    }

    #[test]
    fn utf8_read_as_gbk_and_stored_is_undone_or_refused() {
        // Every byte kept (no ASCII right after an odd byte, no 0x80 lead): undone exactly.
        let text = "疫情就是命令防控就是责任按照市疫情防控指挥部工作部署和要求市医保部门积极响应广泛动员精心组织工作";
        let stored = misdecoded(text, encoding_rs::UTF_8, encoding_rs::GB18030);
        assert!(!stored.contains('\u{FFFD}'), "{stored}");
        let d = decode(stored.as_bytes()).unwrap();
        assert_eq!((d.encoding, d.text.as_str()), (Encoding::Utf8, text));
        // Bytes lost by the wrong decoding (more than one character in a
        // hundred): refused with the reason, not indexed as garbage.
        for text in [PARAGRAPH, TRADITIONAL] {
            let stored = misdecoded(text, encoding_rs::UTF_8, encoding_rs::GB18030);
            match decode(stored.as_bytes()) {
                Ok(d) => assert_eq!(d.text, text, "undone, or refused"),
                Err(e) => assert!(e.starts_with("garbled") || e.starts_with("undecodable"), "{e}"),
            }
        }
    }

    #[test]
    fn latin1_readings_stored_are_undone() {
        for (text, bytes_in) in [
            (PARAGRAPH, encoding_rs::GBK),
            (TRADITIONAL, encoding_rs::BIG5),
            (PARAGRAPH, encoding_rs::UTF_8),
        ] {
            let stored = misdecoded(text, bytes_in, encoding_rs::WINDOWS_1252);
            let d = decode(stored.as_bytes()).unwrap();
            assert_eq!(
                (d.encoding, d.text.as_str()),
                (Encoding::Utf8, text),
                "{}",
                bytes_in.name()
            );
        }
    }

    #[test]
    fn a_utf8_file_with_a_broken_byte_is_utf8() {
        let mut bytes = PARAGRAPH.as_bytes().to_vec();
        bytes.insert(PARAGRAPH.find(',').unwrap() + 1, 0xE6); // a stray lead byte
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, Encoding::Utf8);
        assert_eq!(d.text.replace('\u{FFFD}', ""), PARAGRAPH);
        let d = decode_declared(&bytes, encoding_rs::GBK).unwrap();
        assert_eq!(
            (d.encoding, d.text.replace('\u{FFFD}', "")),
            (Encoding::Utf8, PARAGRAPH.into())
        );
    }

    #[test]
    fn declared_charsets_are_checked() {
        let gbk = |t: &str| encoding_rs::GBK.encode(t).0.into_owned();
        let read = |bytes: &[u8], declared| {
            let d = decode_declared(bytes, declared).unwrap();
            (d.encoding, d.text)
        };
        let utf8 = (Encoding::Utf8, PARAGRAPH.to_owned());
        let gb = (Encoding::Gb18030, PARAGRAPH.to_owned());
        // UTF-8 whatever the markup says.
        assert_eq!(read(PARAGRAPH.as_bytes(), encoding_rs::GBK), utf8);
        assert_eq!(read(SAMPLE.as_bytes(), encoding_rs::GBK).1, SAMPLE, "short text too");
        assert_eq!(read("5月20日至31日".as_bytes(), encoding_rs::GBK).1, "5月20日至31日");
        assert_eq!(read(PARAGRAPH.as_bytes(), encoding_rs::WINDOWS_1252), utf8);
        // GBK declared rightly, wrongly, as UTF-8.
        assert_eq!(read(&gbk(PARAGRAPH), encoding_rs::GBK), gb);
        assert_eq!(read(&gbk(SAMPLE), encoding_rs::GBK).1, SAMPLE);
        assert_eq!(read(&gbk(PARAGRAPH), encoding_rs::WINDOWS_1252), gb);
        assert_eq!(read(&gbk(PARAGRAPH), encoding_rs::UTF_8), gb);
        // Big5 declared as Latin-1.
        let big5 = encoding_rs::BIG5.encode(TRADITIONAL).0.into_owned();
        assert_eq!(
            read(&big5, encoding_rs::WINDOWS_1252),
            (Encoding::Big5, TRADITIONAL.into())
        );
        // ASCII, and a European language in Latin-1, stay as declared.
        assert_eq!(read(b"<p>plain ASCII</p>", encoding_rs::GBK).1, "<p>plain ASCII</p>");
        let french = "Le caf\u{e9} cr\u{e8}me, na\u{ef}ve fa\u{e7}ade, \u{c5}ngstr\u{f6}m \u{fc}ber Stra\u{df}e: d\u{e9}j\u{e0} vu, \u{e9}t\u{e9}.";
        let latin1 = encoding_rs::WINDOWS_1252.encode(french).0.into_owned();
        assert_eq!(
            read(&latin1, encoding_rs::WINDOWS_1252),
            (Encoding::Other("windows-1252"), french.into())
        );
    }

    #[test]
    fn real_text_is_left_alone() {
        // Shifted-GBK runs (cleaning repairs those), mixed scripts, symbols.
        for text in [
            "齊心戰(zhàn)疫?!薄白鳛槿ミ^(guò)武漢前線。".repeat(5),
            "推廣使用“粵商通”APP“企業防疫服務專區”——詳見①②③……".repeat(5),
            "Price: 5 € — “quoted” • bullet © 2021 ——————————————".repeat(5),
            TRADITIONAL.repeat(3),
        ] {
            let d = decode(text.as_bytes()).unwrap();
            assert_eq!(d.text, text);
            let d = decode_declared(text.as_bytes(), encoding_rs::GBK).unwrap();
            assert_eq!(d.text, text);
        }
    }

    #[test]
    fn garbage_nothing_undoes_is_refused() {
        // UTF-8 read as GBK, two characters of it lost, then re-saved: the
        // UTF-8 re-read has too many errors to take, and rare ideographs
        // remain.
        let mut stored = misdecoded(&PARAGRAPH.replace(',', "，"), encoding_rs::UTF_8, encoding_rs::GB18030);
        for third in [1, 2] {
            let at = stored.floor_char_boundary(stored.len() * third / 3);
            stored.replace_range(at..at + stored[at..].chars().next().unwrap().len_utf8(), "\u{FFFD}");
        }
        let err = decode(stored.as_bytes()).unwrap_err();
        assert!(err.starts_with("garbled"), "{err}");
        // GBK read as Latin-1, mixed with a character Latin-1 never yields.
        let stored = misdecoded(PARAGRAPH, encoding_rs::GBK, encoding_rs::WINDOWS_1252) + "\u{FFFD}中";
        let err = decode(stored.as_bytes()).map(|d| d.text);
        assert!(err.as_ref().is_err_and(|e| e.starts_with("garbled")), "{err:?}");
    }
}
