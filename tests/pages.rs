//! Pages and text files whose bytes and declared charset disagree, read
//! through the public API as an archive would be: a corpus of our own
//! (`tests/fixtures/pages`, written by its `make.py`). Each file reads
//! back to the text it was written from, or is skipped with a reason
//! naming it; garbage is never indexed.

use std::path::{Path, PathBuf};

use archive_bot::article::Article;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages")
}

/// What each readable fixture holds: file, headline, date, paragraphs.
const EXPECTED: &[(&str, &str, &str, &[&str])] = &[
    (
        "a_utf8_meta_gb2312.html",
        "社区食堂开门迎客",
        "2023-05-20",
        &[
            "5月20日至31日，新开业的社区食堂为七十岁以上老人提供半价午餐，每天供应三荤四素。",
            "食堂由街道和物业共同运营，菜价比周边餐馆低三成左右，居民可以刷卡或扫码付款。",
            "街道负责人表示，下一步将根据居民意见增加早餐和晚餐供应。",
        ],
    ),
    (
        "b_utf8_http_equiv_gbk.html",
        "城东公园新建健身步道",
        "2023-06-03",
        &[
            "城东公园健身步道本周正式开放，全长三点二公里，沿湖设置了六处休息点和饮水点。",
            "步道采用透水材料铺设，雨后不积水，夜间有路灯照明，开放时间延长到晚上十点。",
            "附近居民说，以前只能在马路边跑步，现在有了专门的步道，安全多了。",
        ],
    ),
    (
        "c_gbk_undeclared.html",
        "图书馆延长夏季开放时间",
        "2023-07-01",
        &[
            "市图书馆自七月起延长夏季开放时间，每天开放到晚上九点，周末照常开放。",
            "图书馆还在少儿阅览区增加了两百个座位，并新购图书一万余册供读者借阅。",
            "馆方提醒读者，暑期人多，请提前在网上预约座位。",
        ],
    ),
    (
        "d_gbk_meta_gb2312.html",
        "老城区雨污分流工程完工",
        "2023-08-15",
        &[
            "历时十个月，老城区雨污分流改造工程日前完工，共铺设管网四十二公里。",
            "改造后，雨水和生活污水分开排放，暴雨时路面积水的情况明显减少。",
            "施工单位表示，将继续做好管网的日常养护和巡查工作。",
        ],
    ),
    (
        "e_gbk_http_equiv_iso8859.html",
        "农贸市场完成升级改造",
        "2023-09-09",
        &[
            "南门农贸市场升级改造完成后重新开业，摊位统一规划，地面和排水全部翻新。",
            "市场新装了电子显示屏，每天公布蔬菜、肉类和水产的价格，方便居民比较。",
            "摊主们说，市场环境变好了，来买菜的人也比以前多了。",
        ],
    ),
    (
        "e_gbk_meta_windows1252.htm",
        "公交线路优化调整",
        "2023-10-08",
        &[
            "为方便居民出行，本市对十二条公交线路进行优化调整，新增站点二十个。",
            "调整后，新建小区到地铁站的换乘时间平均缩短了十分钟。",
            "市交通部门表示，将根据客流变化继续调整线路和班次。",
        ],
    ),
    (
        "f_utf8.txt",
        "居民议事会解决停车难题",
        "2023-04-12",
        &[
            "发布时间:2023年4月12日",
            "针对小区停车难的问题，居民议事会经过三次讨论，决定在小区东侧增设停车位八十个。",
            "新车位将在下月底前完工，优先分配给没有固定车位的居民。",
        ],
    ),
    (
        "f_gbk.txt",
        "社区开展垃圾分类宣传",
        "2023-03-18",
        &[
            "发布时间:2023年3月18日",
            "本周末，社区志愿者在小区广场开展垃圾分类宣传活动，向居民发放宣传手册五百份。",
            "志愿者还现场演示了厨余垃圾和其他垃圾的分类方法，吸引了不少居民参与。",
        ],
    ),
    (
        "g_utf8_cut_byte_meta_gbk.html",
        "学校食堂推行明厨亮灶",
        "2023-11-02",
        &[
            "全区中小学食堂本学期全部推行明厨亮灶，家长可以通过手机实时查看后厨情况。",
            "教育部门还组织营养师制定每周食谱，保证学生午餐荤素搭配、营养均衡。",
            "不少家长表示，看得见后厨，对孩子在学校吃饭更放心了。",
        ],
    ),
    (
        "h_gbk_read_as_latin1_saved.txt",
        "志愿服务队结对帮扶独居老人",
        "2023-02-06",
        &[
            "发布时间:2023年2月6日",
            "街道志愿服务队与辖区独居老人结对帮扶，每周上门探望两次，帮助打扫卫生和购买生活用品。",
            "截至目前，志愿服务队已结对帮扶独居老人一百二十名。",
        ],
    ),
];

/// The one fixture nothing can read: a UTF-8 article read as GBK with
/// bytes dropped, then saved as UTF-8.
const GARBLED: &str = "i_utf8_read_as_gbk_lossy.txt";

fn find<'a>(articles: &'a [Article], file: &str) -> &'a Article {
    articles.iter().find(|a| a.file == file).unwrap_or_else(|| {
        panic!(
            "no article from {file}: {:#?}",
            articles.iter().map(|a| &a.file).collect::<Vec<_>>()
        )
    })
}

/// The fixtures are what their names say: the bytes on disk are in the
/// encoding named, with the declaration named.
#[test]
fn fixtures_hold_the_mismatches_they_are_named_for() {
    let read = |f: &str| std::fs::read(fixtures().join(f)).unwrap();
    let is_utf8 = |b: &[u8]| std::str::from_utf8(b).is_ok();
    let contains = |b: &[u8], s: &str| b.windows(s.len()).any(|w| w == s.as_bytes());
    let a = read("a_utf8_meta_gb2312.html");
    assert!(is_utf8(&a) && !a.is_ascii() && contains(&a, r#"<meta charset="gb2312">"#));
    let b = read("b_utf8_http_equiv_gbk.html");
    assert!(is_utf8(&b) && !b.is_ascii() && contains(&b, "charset=gbk"));
    for (file, declares) in [
        ("c_gbk_undeclared.html", None),
        ("d_gbk_meta_gb2312.html", Some("charset=\"gb2312\"")),
        ("e_gbk_http_equiv_iso8859.html", Some("charset=iso-8859-1")),
        ("e_gbk_meta_windows1252.htm", Some("charset=\"windows-1252\"")),
        ("f_gbk.txt", None),
    ] {
        let bytes = read(file);
        assert!(!is_utf8(&bytes), "{file} is GBK");
        let (_, had_errors) = encoding_rs::GBK.decode_without_bom_handling(&bytes);
        assert!(!had_errors, "{file} is GBK");
        assert_eq!(contains(&bytes, "charset"), declares.is_some(), "{file}");
        if let Some(d) = declares {
            assert!(contains(&bytes, d), "{file} declares {d}");
        }
    }
    let g = read("g_utf8_cut_byte_meta_gbk.html");
    assert!(!is_utf8(&g) && contains(&g, r#"<meta charset="gbk">"#));
    assert!(is_utf8(&read("f_utf8.txt")));
    for stored in ["h_gbk_read_as_latin1_saved.txt", GARBLED] {
        let bytes = read(stored);
        assert!(is_utf8(&bytes), "{stored}: garbage stored as UTF-8");
        assert!(!contains(&bytes, EXPECTED[0].1), "{stored}");
    }
    assert!(read("j_ascii_meta_gb2312.html").is_ascii());
}

#[test]
fn every_page_and_text_reads_as_written_or_is_skipped_with_a_reason() {
    let loaded = archive_bot::load::load(&fixtures()).unwrap();
    for &(file, title, date, paragraphs) in EXPECTED {
        let a = find(&loaded.articles, file);
        assert_eq!(a.title, title, "{file}");
        assert_eq!(a.date.as_deref(), Some(date), "{file}");
        assert_eq!(a.paragraphs, paragraphs, "{file}: the whole body, as written");
    }
    let ascii = find(&loaded.articles, "j_ascii_meta_gb2312.html");
    assert_eq!(ascii.title, "City library opens a new reading room");
    assert_eq!(ascii.paragraphs.len(), 3, "{:?}", ascii.paragraphs);
    assert!(ascii.text().is_ascii(), "ASCII stays ASCII: {}", ascii.text());

    // Nothing else was read: the garbled file is not among the articles,
    // it is skipped, with the reason, under its name.
    assert_eq!(loaded.articles.len(), EXPECTED.len() + 1, "{:#?}", loaded.articles);
    assert!(!loaded.articles.iter().any(|a| a.file == GARBLED));
    assert_eq!(loaded.skipped.len(), 1, "{:#?}", loaded.skipped);
    assert_eq!(loaded.skipped[0].file, GARBLED);
    assert!(
        loaded.skipped[0].reason.starts_with("garbled"),
        "{}",
        loaded.skipped[0].reason
    );
}

/// No article of the corpus carries a wrong decoding: every character is
/// one the fixtures were written with (the texts above, the English page)
/// or the punctuation of their dates and markup.
#[test]
fn no_article_holds_characters_it_was_not_written_with() {
    let written: String = EXPECTED
        .iter()
        .flat_map(|&(_, title, _, paragraphs)| std::iter::once(title).chain(paragraphs.iter().copied()))
        .collect();
    let loaded = archive_bot::load::load(&fixtures()).unwrap();
    for a in &loaded.articles {
        let text = format!("{}\n{}", a.title, a.text());
        let foreign: String = text
            .chars()
            .filter(|c| !c.is_ascii() && !written.contains(*c))
            .collect();
        assert!(foreign.is_empty(), "{}: {foreign:?} in {text}", a.file);
    }
}

/// A page read on its own (`load::load_file`, as an index build and
/// `html_dev` read it) gets the same decoding.
#[test]
fn a_page_read_alone_is_decoded_the_same() {
    for &(file, title, _, paragraphs) in EXPECTED.iter().filter(|e| e.0.contains(".htm")) {
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        let page = archive_bot::corpus::CorpusFile::new(file.to_owned(), bytes);
        let loaded = archive_bot::load::load_file(&page, archive_bot::corpus::process_options());
        let (articles, warnings) = (loaded.articles, loaded.skipped);
        assert!(warnings.is_empty(), "{file}: {warnings:?}");
        assert_eq!(articles[0].title, title, "{file}");
        assert_eq!(articles[0].paragraphs, paragraphs, "{file}");
    }
}

/// Four pages of one site of our own (`tests/fixtures/site`, its
/// `make.py`): the source from the element that marks it, whole headlines
/// (one with quotes its og:title leaves unescaped), the byline's date
/// rather than an older one in the text, and the promotion line all four
/// end with removed as furniture by repetition.
#[test]
fn a_sites_pages_are_read_right_and_its_repeated_furniture_goes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/site");
    let loaded = archive_bot::load::load(&dir).unwrap();
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    let by_file = |f: &str| loaded.articles.iter().find(|a| a.file == f).unwrap();
    assert_eq!(loaded.articles.len(), 4);
    for a in &loaded.articles {
        assert_eq!(a.source.as_deref(), Some("江南日报"), "{}", a.file);
        assert!(
            !a.text().contains("下载江南日报客户端"),
            "{}: the repeated promotion goes: {:?}",
            a.file,
            a.paragraphs
        );
        assert_eq!(a.paragraphs.len(), 3, "{}: the body stays whole", a.file);
    }
    assert_eq!(by_file("p2.html").title, "老旧小区加装电梯\"一键报修\"上线");
    assert_eq!(by_file("p3.html").date.as_deref(), Some("2023-06-09"));
    assert!(by_file("p3.html").text().contains("2009年3月1日"));
    let repeated = loaded
        .removed
        .iter()
        .filter(|r| r.rule == "furniture (repeated)")
        .count();
    assert_eq!(repeated, 4, "{:?}", loaded.removed);
}
