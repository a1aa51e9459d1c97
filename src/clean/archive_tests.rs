//! The whole cleaning pipeline on the five shipped files, and properties
//! that must hold for any input.

use proptest::prelude::*;

use super::*;

const F000: &str = include_str!("../../corpus/000_101a5bdc808eb656.txt");
const F001: &str = include_str!("../../corpus/001_1b8dedc847e159a7.txt");
const F002: &str = include_str!("../../corpus/002_69cd91805946c599.txt");
const F003: &str = include_str!("../../corpus/003_9bc49391c6ced905.txt");
const F004: &str = include_str!("../../corpus/004_82fc2c655d591153.txt");

fn all() -> Vec<Article> {
    [
        ("000", F000),
        ("001", F001),
        ("002", F002),
        ("003", F003),
        ("004", F004),
    ]
    .iter()
    .flat_map(|(name, text)| clean_document(name, text))
    .collect()
}

fn body(a: &Article) -> String {
    a.text()
}

#[test]
fn seven_articles_with_their_metadata() {
    let articles = all();
    let summary: Vec<(&str, &str, Option<&str>, Option<&str>)> = articles
        .iter()
        .map(|a| {
            (
                a.file.as_str(),
                a.title.as_str(),
                a.source.as_deref(),
                a.date.as_deref(),
            )
        })
        .collect();
    assert_eq!(articles.len(), 7, "{summary:#?}");
    assert_eq!(summary[0].2, Some("城区委组织部"));
    assert_eq!(summary[1].2, Some("红星网"));
    assert_eq!(summary[2].2, Some("长乐新闻网"));
    assert_eq!(
        &summary[3..6],
        &[
            ("003", "同心战“疫” 恪尽职守展情怀", Some("市医保局机关党委"), None),
            ("003", "同心抗疫 为民护航", Some("市房产局机关党委"), None),
            ("003", "基层防疫志愿服务手记", Some("市委机要保密局机关党总支"), None),
        ]
    );
    assert_eq!(
        summary[6],
        (
            "004",
            "锦湖街道筑牢疫情防控第一道防线",
            Some("瑞安日报"),
            Some("2021-12-23")
        )
    );
    for a in &articles[..6] {
        assert_eq!(a.date, None, "{}: no date is stated", a.title);
        assert!(!a.title.is_empty());
    }
    assert_eq!(articles[2].author.as_deref(), Some("余少林"));
    assert_eq!(articles[5].author.as_deref(), Some("王昌建"));
    assert_eq!(articles[6].author.as_deref(), Some("陈成成、林双双"));
    assert_eq!(
        articles[3].url.as_deref(),
        Some("https://lzysp.cn/cskp/202509-2003.html")
    );
}

#[test]
fn no_damage_survives() {
    let pinyin = regex::Regex::new(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[)）]").unwrap();
    let doubled = regex::Regex::new(r"[,，、。;；:：!！?？]{2}").unwrap();
    for a in all() {
        for p in &a.paragraphs {
            assert!(!pinyin.is_match(p), "pinyin left in {p}");
            assert!(!doubled.is_match(p), "doubled punctuation left in {p}");
            assert!(!p.contains('\u{FFFD}'), "replacement character in {p}");
            assert!(!boilerplate::is_boilerplate(&fold(p)), "furniture left: {p}");
            for junk in [
                "主办单位",
                "主辦單位",
                "ICP",
                "评论列表",
                "上一篇",
                "放大 缩小",
                "第00003版",
                "?!",
            ] {
                assert!(!p.contains(junk), "{junk} left in {p}");
            }
        }
    }
}

#[test]
fn mojibake_quotes_are_restored() {
    let articles = all();
    assert!(
        body(&articles[1]).contains("齊心戰疫。”“作為去"),
        "{}",
        &body(&articles[1])[..300]
    );
    assert!(body(&articles[2]).contains("請您排好隊。”“大家保持一"));
    assert!(body(&articles[2]).contains("堅守一線。”文嶺鎮"));
}

#[test]
fn run_on_paragraphs_are_split() {
    let a = &all()[0];
    assert!(a.paragraphs.len() >= 8, "{:#?}", a.paragraphs);
    assert!(a.paragraphs.iter().any(|p| p.starts_with("2020年大年三十")));
    assert!(
        a.paragraphs.iter().all(|p| !p.contains("供稿")),
        "the credit is metadata"
    );
}

#[test]
fn cleaning_is_idempotent_on_the_archive() {
    for text in [F000, F001, F002, F003, F004] {
        let once = clean_text(text);
        assert_eq!(clean_text(&once), once);
    }
    // Already-clean text is left exactly as it is.
    let clean = clean_text(F004);
    for line in clean.lines() {
        assert_eq!(clean_line(line), line);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_read_and_clean_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(decoded) = crate::corpus::decode(&bytes) {
            for a in clean_document("x.txt", &decoded.text) {
                for p in &a.paragraphs {
                    prop_assert!(!p.is_empty());
                    prop_assert!(!p.contains(char::REPLACEMENT_CHARACTER));
                    prop_assert!(!p.chars().any(|c| c.is_control()));
                }
            }
        }
    }

    #[test]
    fn cleaning_any_text_is_idempotent(text in "[\\PC\\n]{0,200}") {
        let once = clean_text(&text);
        prop_assert_eq!(clean_text(&once), once);
    }

    #[test]
    fn cleaning_mixed_chinese_is_idempotent(text in "[疫情防控隔離點發生?!,,。、a-z()^x3€薄白鳛槿ミ诟綦 ]{0,80}") {
        let once = clean_text(&text);
        prop_assert_eq!(clean_text(&once), once);
    }
}
