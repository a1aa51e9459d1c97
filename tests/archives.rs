//! Real archives in: exports, legacy encodings and HTML pages, read from a
//! small corpus of our own (`tests/fixtures/archive`, plus GBK and Big5
//! files encoded here with encoding_rs).

use std::path::{Path, PathBuf};

use archive_bot::article::Article;
use archive_bot::corpus::Options;
use archive_bot::load;

fn fixture_corpus() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/archive"),
        &root,
    );
    let gbk = "社区防疫物资发放到户\n发布时间:2022年4月2日\n本周起,社区工作人员将防疫物资逐户发放到居民手中,共发放口罩两万只、消毒液三千瓶。\n居民如有特殊需要,可拨打社区服务电话登记。\n";
    let (bytes, _, bad) = encoding_rs::GBK.encode(gbk);
    assert!(!bad);
    std::fs::write(root.join("gbk.txt"), &bytes).unwrap();
    let big5 = "臺北市推出長者疫苗接種專車\n發布時間:2022年5月6日\n臺北市政府宣布,自下週起為七十歲以上長者提供疫苗接種專車,由里長協助登記。\n專車每日往返各區接種站,長者可攜一名家屬陪同。\n";
    let (bytes, _, bad) = encoding_rs::BIG5.encode(big5);
    assert!(!bad);
    std::fs::write(root.join("big5.txt"), &bytes).unwrap();
    (dir, root)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn find<'a>(articles: &'a [Article], file: &str) -> &'a Article {
    articles.iter().find(|a| a.file == file).unwrap_or_else(|| {
        panic!(
            "no article from {file}: {:#?}",
            articles.iter().map(|a| &a.file).collect::<Vec<_>>()
        )
    })
}

#[test]
fn legacy_encodings_are_read() {
    let (_keep, root) = fixture_corpus();
    let loaded = load::load_with(&root, &Options::default()).unwrap();
    let gbk = find(&loaded.articles, "gbk.txt");
    assert_eq!(gbk.title, "社区防疫物资发放到户");
    assert_eq!(gbk.date.as_deref(), Some("2022-04-02"));
    assert!(gbk.text().contains("共发放口罩两万只"));
    let big5 = find(&loaded.articles, "big5.txt");
    assert_eq!(big5.title, "臺北市推出長者疫苗接種專車", "Big5 is readable");
    assert_eq!(big5.date.as_deref(), Some("2022-05-06"));
    assert!(big5.text().contains("專車每日往返各區接種站"));
}

#[test]
fn a_jsonl_export_loads_with_one_warning_per_bad_line() {
    let (_keep, root) = fixture_corpus();
    let loaded = load::load_with(&root, &Options::default()).unwrap();
    let a1 = find(&loaded.articles, "cms.jsonl#a1");
    assert_eq!(a1.title, "滨江区启用新建方舱实验室");
    assert_eq!(a1.date.as_deref(), Some("2022-12-03"));
    assert_eq!(a1.source.as_deref(), Some("滨江日报"));
    assert_eq!(a1.author.as_deref(), Some("潘文静"), "the credit line is metadata");
    assert_eq!(a1.paragraphs.len(), 2, "{:#?}", a1.paragraphs);
    let text = a1.text();
    assert!(text.contains("日检测能力达到5万管"));
    assert!(!text.contains("潘文静") && !text.contains("责任编辑"), "{text}");
    let a3 = find(&loaded.articles, "cms.jsonl#a3");
    assert_eq!(
        (
            a3.title.as_str(),
            a3.date.as_deref(),
            a3.source.as_deref(),
            a3.author.as_deref()
        ),
        (
            "社区志愿者服务队成立",
            Some("2022-11-28"),
            Some("西湖时报"),
            Some("王小明")
        )
    );
    assert_eq!(
        a3.url.as_deref(),
        Some("https://news.example.org/2022/11/28/volunteers.html")
    );
    let warnings: Vec<_> = loaded.skipped.iter().filter(|s| s.file == "cms.jsonl").collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].reason.starts_with("line 2: not JSON"), "{warnings:?}");
}

/// Our own pages in the shape of real news sites: navigation, share bar,
/// related links, comments, footer; one with JSON-LD, one in GBK with only
/// a visible byline.
fn page_corpus() -> (tempfile::TempDir, PathBuf) {
    let (dir, root) = fixture_corpus();
    let template = std::fs::read_to_string(root.join("pages/gbk_byline.html.in")).unwrap();
    let (bytes, _, bad) = encoding_rs::GBK.encode(&template);
    assert!(!bad);
    std::fs::write(root.join("pages/gbk_byline.htm"), &bytes).unwrap();
    (dir, root)
}

#[test]
fn html_pages_give_article_text_and_metadata() {
    let (_keep, root) = page_corpus();
    let loaded = load::load_with(&root, &Options::default()).unwrap();

    let a = find(&loaded.articles, "pages/jsonld.html");
    assert_eq!(
        a.title, "江北区开通夜间公交专线",
        "JSON-LD headline, not the <title> with the site name"
    );
    assert_eq!(a.date.as_deref(), Some("2023-03-18"));
    assert_eq!(a.source.as_deref(), Some("江北融媒"));
    assert_eq!(a.author.as_deref(), Some("赵晓雯"));
    assert!(a.paragraphs.len() >= 4, "paragraphs kept: {:#?}", a.paragraphs);
    let text = a.text();
    for s in [
        "末班车延长至次日凌晨一点",
        "发车间隔为二十分钟",
        "坐公交回家方便多了",
        "试点移动支付乘车",
    ] {
        assert!(text.contains(s), "missing {s}: {text}");
    }
    for s in [
        "首页",
        "分享到",
        "相关阅读",
        "社区微循环公交",
        "网友评论",
        "终于等到了",
        "版权所有",
        "网站地图",
    ] {
        assert!(!text.contains(s), "furniture {s}: {text}");
    }

    let b = find(&loaded.articles, "pages/gbk_byline.htm");
    assert_eq!(b.title, "老旧小区加装电梯进度过半", "the page's charset is honoured");
    assert_eq!(b.date.as_deref(), Some("2022-09-14"), "visible byline date");
    let text = b.text();
    for s in [
        "整体进度过半",
        "每台电梯最高补助二十万元",
        "按一下按钮就到了",
        "年底前全部完成",
    ] {
        assert!(text.contains(s), "missing {s}: {text}");
    }
    for s in ["首页", "热点排行", "重点民生项目", "责任编辑", "未经授权"] {
        assert!(!text.contains(s), "furniture {s}: {text}");
    }
    assert!(
        !loaded.skipped.iter().any(|s| s.file.starts_with("pages/")),
        "{:?}",
        loaded.skipped
    );
}
