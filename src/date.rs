//! Calendar days, defined once: a stated date in its written forms →
//! `YYYY-MM-DD`, and the length of a month. Read by the page reader (which
//! of a page's dates is a real one), by cleaning (stated publication
//! dates) and by the question parser (a period's last day). A date is only
//! ever read, never guessed.

use std::sync::LazyLock;

use regex::Regex;

use crate::script::fold;
use crate::text::static_regex;

/// Days in month `m` of year `y` (Gregorian), 0 for a number that is no month.
pub fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => 0,
    }
}

/// `YYYY-M-D` → `YYYY-MM-DD` when it is a real calendar date (years 1900–2100).
pub fn valid_date(s: &str) -> Option<String> {
    let mut parts = s.split('-').map(|p| p.parse::<u32>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    ((1900..=2100).contains(&y) && (1..=days_in_month(y, m)).contains(&d)).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// `2021-12-23T08:30:00+08:00`, `2021/12/23`, `2021年12月23日`, `20211223`,
/// or Unix seconds / milliseconds (as UTC) → `YYYY-MM-DD`, when it names a
/// real calendar day. Anything else (a month alone, words) → `None`: a date
/// is never guessed.
pub fn normalise_date(s: &str) -> Option<String> {
    static WRITTEN: LazyLock<Regex> =
        LazyLock::new(|| static_regex(r"^\s*(?P<y>\d{4})\s*[-年/.]\s*(?P<m>\d{1,2})\s*[-月/.]\s*(?P<d>\d{1,2})(\D|$)"));
    let s = fold(s.trim());
    if let Some(c) = WRITTEN.captures(&s) {
        return valid_date(&format!("{}-{}-{}", &c["y"], &c["m"], &c["d"]));
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return valid_date(&format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..]));
    }
    if (9..=13).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().ok()?;
        // Thirteen digits are milliseconds (seconds reach 13 digits only after the year 33658).
        let secs = if s.len() == 13 { n / 1000 } else { n };
        return date_from_unix(secs);
    }
    None
}

/// The UTC calendar day of a Unix time (Howard Hinnant's civil-from-days).
pub fn date_from_unix(secs: i64) -> Option<String> {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    valid_date(&format!("{y}-{m}-{d}"))
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` day (Howard Hinnant's
/// days-from-civil), `None` for anything else.
pub fn day_number(date: &str) -> Option<i64> {
    let valid = valid_date(date)?;
    let y: i64 = valid.get(..4)?.parse().ok()?;
    let m: i64 = valid.get(5..7)?.parse().ok()?;
    let d: i64 = valid.get(8..10)?.parse().ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` of a day number ([`day_number`]'s inverse).
pub fn day_string(day: i64) -> Option<String> {
    date_from_unix(day.checked_mul(86_400)?)
}

/// Today's date where the archive's news is dated: China Standard Time
/// (UTC+8 all year, no daylight saving), from the system clock. Read at
/// the program's edges (the command line, the bot) and passed in.
pub fn today() -> Option<String> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    date_from_unix(i64::try_from(secs).ok()?.checked_add(8 * 3600)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_count_days_and_come_back() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        for d in ["1999-12-31", "2024-02-29", "2026-12-05", "2100-02-28"] {
            let n = day_number(d).unwrap();
            assert_eq!(day_string(n).as_deref(), Some(d));
            assert_eq!(day_string(n + 1), date_from_unix((n + 1) * 86_400));
        }
        assert_eq!(day_number("2021-02-30"), None);
    }

    #[test]
    fn only_real_days_are_valid() {
        assert_eq!(valid_date("2021-02-30"), None);
        assert_eq!(valid_date("2020-2-29").as_deref(), Some("2020-02-29"));
        assert_eq!(valid_date("1900-02-29"), None, "1900 is no leap year");
        assert_eq!(valid_date("2000-02-29").as_deref(), Some("2000-02-29"));
        assert_eq!(valid_date("2021-13-01"), None);
        assert_eq!(valid_date("2021-00-01"), None);
        assert_eq!(days_in_month(2021, 4), 30);
        assert_eq!(days_in_month(2021, 13), 0);
    }

    #[test]
    fn dates_in_common_forms_are_normalised() {
        for (raw, want) in [
            ("2021-12-23T08:30:00+08:00", Some("2021-12-23")),
            ("2021/1/5", Some("2021-01-05")),
            ("2021年12月23日 08:30", Some("2021-12-23")),
            ("２０２１年３月５日", Some("2021-03-05")),
            ("20211223", Some("2021-12-23")),
            ("1640217600", Some("2021-12-23")),
            ("1640217600000", Some("2021-12-23")),
            ("2021-02-30", None),
            ("2021年12月", None),
            ("昨天", None),
        ] {
            assert_eq!(normalise_date(raw).as_deref(), want, "{raw}");
        }
    }
}
