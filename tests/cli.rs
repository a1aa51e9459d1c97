//! The command line end to end: the real binary on the shipped corpus and
//! on a hostile one (garbage, encodings, huge lines, links that loop).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_archive-bot"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env("RUST_LOG", "warn");
    for key in ["ARCHIVE_BOT_CONFIG", "ARCHIVE_BOT_CORPUS_DIR", "ARCHIVE_BOT_INDEX_DIR"] {
        cmd.env_remove(key);
    }
    cmd
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn run_with_stdin(args: &[&str], input: &str) -> Output {
    let (child, feeder) = spawn_fed(args, input);
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

/// The binary with all three pipes, its stdin fed `input` from a thread (a
/// write error ignored: the binary may stop reading early, a refused line
/// or a closed output, which must not fail the harness).
fn spawn_fed(args: &[&str], input: &str) -> (std::process::Child, std::thread::JoinHandle<()>) {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    (child, feeder)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A corpus of everything that goes wrong in real crawls.
fn hostile_corpus(dir: &Path) {
    let fs = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    let gbk = encoding_rs::GBK
        .encode("隔离点\n沪宁高速主线查验点日均通过车辆2万余辆,党员突击队员坚守岗位。\n")
        .0;
    fs("gbk.txt", &gbk);
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "卡口值班\n瑞安高速出口防疫卡口24小时值班,张立挺每天都会出现在这个卡口。\n".encode_utf16()
    {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    fs("utf16.txt", &utf16);
    fs("empty.txt", b"");
    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    fs("garbage.txt", &garbage);
    fs(
        "image.png.txt",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa\0\0\0\0IEND",
    );
    fs("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    fs(
        "nul.txt",
        "核酸检测\0点位\n三牌楼社区共参与核酸检测8轮近10万人。\0\n".as_bytes(),
    );
    fs(
        "nested/deeper/inner.md",
        "# 志愿者\n志愿者杨佳连夜用纸箱做“扫码神器”,解决了扫码反光的问题。\n".as_bytes(),
    );
    fs("huge.txt", "锦湖街道迅速集结66名机关干部".repeat(200_000).as_bytes());
    std::os::unix::fs::symlink(dir, dir.join("nested/loop")).unwrap();
}

#[test]
fn articles_lists_the_shipped_archive() {
    let out = run(&["articles", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let articles: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let articles = articles.as_array().unwrap();
    assert_eq!(articles.len(), 7);
    for a in articles {
        for key in ["file", "title", "source", "author", "date", "url", "paragraphs"] {
            assert!(a.get(key).is_some(), "{key} missing in {a}");
        }
    }
    let lines = stdout(&run(&["articles"]));
    assert_eq!(lines.lines().count(), 7);
    assert!(lines.contains("瑞安日报\t2021-12-23"));
}

#[test]
fn a_hostile_corpus_loads_what_it_can() {
    let dir = tempfile::tempdir().unwrap();
    hostile_corpus(dir.path());
    let corpus = dir.path().to_str().unwrap();
    let out = run(&["articles", "--corpus", corpus, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for skipped in ["empty.txt", "garbage.txt", "image.png.txt"] {
        assert_eq!(
            err.lines().filter(|l| l.contains(skipped)).count(),
            1,
            "one warning for {skipped}:\n{err}"
        );
    }
    assert!(!err.contains("photo.png"), "other extensions are ignored quietly");
    let articles: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let files: Vec<&str> = articles.iter().map(|a| a["file"].as_str().unwrap()).collect();
    for readable in ["gbk.txt", "utf16.txt", "nul.txt", "nested/deeper/inner.md", "huge.txt"] {
        assert!(files.contains(&readable), "{readable} missing from {files:?}");
    }
    assert_eq!(
        files.iter().filter(|f| f.contains("inner.md")).count(),
        1,
        "the symlink loop is entered once"
    );

    // The same corpus indexes and answers from its readable files.
    // The index outside the corpus, in a directory of this test's own.
    let index_dir = tempfile::tempdir().unwrap();
    let index = index_dir.path().join("index");
    let index = index.to_str().unwrap();
    let out = run(&["index", "--corpus", corpus, "--index", index]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("indexed"), "a summary line: {}", stderr(&out));
    let out = run(&["ask", "--json", "--index", index, "沪宁高速查验点日均通过多少车辆?"]);
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(answer["no_answer"], false, "{answer}");
    assert_eq!(answer["citations"][0]["file"], "gbk.txt");
    // The key span: byte offsets into the answer text, on the number asked for.
    let text = answer["answer"].as_str().unwrap();
    let (s, e) = (
        answer["span"][0].as_u64().unwrap() as usize,
        answer["span"][1].as_u64().unwrap() as usize,
    );
    assert_eq!(text.get(s..e), Some("2万余辆"), "{answer}");
    let out = run(&["ask", "--index", index, "沪宁高速查验点日均通过多少车辆?"]);
    assert!(stdout(&out).contains("\n→ 2万余辆\n"), "{}", stdout(&out));
    let out = run(&["ask", "--json", "--index", index, "卡口几小时值班?"]);
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(answer["citations"][0]["file"], "utf16.txt", "{answer}");
}

#[test]
fn hostile_questions_each_get_one_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let index = index.to_str().unwrap();
    let questions = [
        "",
        "   ",
        "\"陈达锋\"",
        "title:陈达锋",
        "AND OR NOT (",
        "*",
        "?",
        "???!!!",
        "😀🔥💯",
        "\u{202E}隔离点\u{202C}",
        "隔\u{200B}离\u{200D}点",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "../../etc/passwd",
        "\\\\server\\share",
        "%s%s%s%n",
        "陈达锋担任了哪个隔离点的组长?",
        "陳達鋒擔任了哪個隔離點的組長?",
        "陈 达 锋 组 长",
        "ＬＥＤ屏",
        "12345678901234567890",
        "a",
        "{\"q\": 1}",
        "\t\t",
        "null",
    ];
    let mut input = questions.join("\n");
    input.push('\n');
    input.push_str(&"疫情".repeat(150)); // 300 characters: the limit, still asked
    input.push('\n');
    let out = run_with_stdin(&["ask", "--json", "--corpus", "corpus", "--index", index, "-"], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), questions.len() + 1, "exactly one object per input line");
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["answer"].is_string() && v["took_ms"].is_number(), "{v}");
        if v["no_answer"] == true {
            assert_eq!(v["citations"].as_array().map(Vec::len), Some(0), "{v}");
        }
    }
}

#[test]
fn search_reads_queries_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let index = index.to_str().unwrap();
    let out = run_with_stdin(
        &[
            "search", "--json", "--top", "3", "--corpus", "corpus", "--index", index, "-",
        ],
        "机关干部\n隔离点组长\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Vec<serde_json::Value>> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].len(), 3);
    assert_eq!(rows[0][0]["rank"], 1);
}

#[test]
fn usage_errors_exit_2_and_failures_exit_1() {
    assert_eq!(run(&["no-such-command"]).status.code(), Some(2));
    assert_eq!(run(&["ask"]).status.code(), Some(2));
    let out = bin()
        .env("ARCHIVE_BOT_ADMINS", "12,abc")
        .args(["articles"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a malformed variable is a usage error");
    assert!(
        stderr(&out).contains("ARCHIVE_BOT_ADMINS=\"12,abc\""),
        "{}",
        stderr(&out)
    );
    let out = run(&["articles", "--corpus", "/nonexistent/corpus"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/corpus"), "{}", stderr(&out));

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "corpus_dri = \"x\"\n").unwrap();
    let out = run(&["--config", config.to_str().unwrap(), "articles"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("corpus_dri"),
        "the unknown key is named: {}",
        stderr(&out)
    );
}

#[test]
fn environment_overrides_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("one.txt"), "标题\n一篇只有一句话的文章。\n").unwrap();
    let out = bin()
        .args(["articles"])
        .env("ARCHIVE_BOT_CORPUS_DIR", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn filters_and_metadata_questions_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let index = index.to_str().unwrap();
    let base = ["--corpus", "corpus", "--index", index];
    let ask = |extra: &[&str], q: &str| -> serde_json::Value {
        let mut args = vec!["ask", "--json"];
        args.extend(base);
        args.extend(extra);
        args.push(q);
        let out = run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    // A metadata question: the date comes from the article's metadata.
    let a = ask(&[], "瑞安日报锦湖街道那篇报道是哪天的?");
    assert!(a["answer"].as_str().unwrap().contains("2021-12-23"), "{a}");
    assert_eq!(a["filter"]["source"], "瑞安日报", "{a}");
    // Flags restrict the search, and the JSON says which filter applied.
    let q = "锦湖街道集结了多少名机关干部?";
    let a = ask(&["--since", "2021-12-01", "--until", "2021-12-31"], q);
    assert_eq!(a["no_answer"], false, "{a}");
    assert_eq!(a["filter"]["since"], "2021-12-01");
    let a = ask(&["--since", "2022-01-01"], q);
    assert_eq!(a["no_answer"], true, "{a}");
    assert!(a["citations"].as_array().unwrap().is_empty());
    // The same filter on search: only that source's passages.
    let mut args = vec!["search", "--json", "--source", "瑞安日报"];
    args.extend(base);
    args.push("疫情");
    let out = run(&args);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["source"] == "瑞安日报"), "{rows:?}");
    // A bad date is a usage error; a huge --top is capped, not a panic.
    for bad in ["2021-13-01", "2021-02-30", "2021-2-x1"] {
        let mut args = vec!["search", "--since", bad];
        args.extend(base);
        args.push("疫情");
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains("calendar day"), "{bad}: {}", stderr(&out));
    }
    let mut args = vec!["search", "--top", "99999999999"];
    args.extend(base);
    args.push("疫情");
    let out = run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// `search --source X` keeps a period the query names (the flag completes
/// the question's filter, as `ask` does, rather than replacing it).
#[test]
fn search_with_a_source_flag_keeps_the_period_the_query_names() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    let article = |title: &str, city: &str, date: &str, source: &str| {
        serde_json::json!({
            "title": title,
            "text": format!("{city}政府宣布新的垃圾分类规定,居民反映良好。"),
            "date": date,
            "source": source,
        })
        .to_string()
    };
    let lines = [
        article("北京垃圾分类新规", "北京市", "2019-09-01", "新京报"),
        article("上海垃圾分类新规", "上海市", "2020-03-01", "新京报"),
        article("广州垃圾分类新规", "广州市", "2019-09-05", "南方日报"),
    ];
    std::fs::write(corpus.join("news.jsonl"), lines.join("\n")).unwrap();
    let index = dir.path().join("index");
    let search = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["search", "--json", "--corpus", corpus.to_str().unwrap()];
        args.extend(["--index", index.to_str().unwrap()]);
        args.extend(extra);
        args.push("2019年9月 垃圾分类");
        let out = run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let mut titles: Vec<String> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        titles.dedup();
        titles
    };
    assert_eq!(
        search(&[]),
        ["北京垃圾分类新规", "广州垃圾分类新规"],
        "the query's period"
    );
    assert_eq!(
        search(&["--source", "新京报"]),
        ["北京垃圾分类新规"],
        "the period and the source"
    );
    assert_eq!(
        search(&["--since", "2019-09-03"]),
        ["广州垃圾分类新规"],
        "the flag's bound, and the query's for the bound the flags leave open"
    );
}

/// One question length limit (the query parser's): longer is refused with
/// the numbers, never silently cut; from stdin the error names the line.
#[test]
fn over_long_questions_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let index = index.to_str().unwrap();
    let limit = archive_bot::query::MAX_QUESTION_CHARS;
    let long = "疫".repeat(limit + 1);
    let out = run(&["ask", "--corpus", "corpus", "--index", index, &long]);
    assert_eq!(out.status.code(), Some(2), "a usage error: {}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{} characters long; at most {limit}", limit + 1)),
        "{}",
        stderr(&out)
    );
    let input = format!("机关干部\n{long}\n隔离点组长\n");
    let out = run_with_stdin(
        &["search", "--json", "--corpus", "corpus", "--index", index, "-"],
        &input,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "the line before was answered");
    // A line of binary garbage is not read whole.
    let huge = "x".repeat(200_000);
    let out = run_with_stdin(&["search", "--corpus", "corpus", "--index", index, "-"], &huge);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("longer than 65536 bytes"), "{}", stderr(&out));
}

/// `… | head -1` ends quietly with exit 0.
#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let index = index.to_str().unwrap();
    assert!(run(&["index", "--corpus", "corpus", "--index", index]).status.success());
    // Ten result lines per query: far more than a pipe buffer holds.
    let input = "疫情\n".repeat(2000);
    let args = ["search", "--index", index, "-"];
    let (mut child, feeder) = spawn_fed(&args, &input);
    // Read one line, then close the pipe like `head -1`.
    let mut first = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    feeder.join().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!first.is_empty());
    assert_eq!(status.code(), Some(0), "{args:?}: {err}");
    assert!(
        !err.contains("Broken pipe") && !err.contains("panicked"),
        "{args:?}: {err}"
    );
}

/// A wrong or empty corpus is an error that names the path, once.
#[test]
fn missing_and_empty_corpora_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let index = index.to_str().unwrap();
    let out = run(&["index", "--corpus", "/nonexistent/corpus", "--index", index]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("/nonexistent/corpus"), "{err}");
    assert!(err.matches("does not exist").count() == 1, "said once: {err}");

    // An index exists, but the configured corpus is gone: no silent answer.
    assert!(run(&["index", "--corpus", "corpus", "--index", index]).status.success());
    let out = bin()
        .args(["ask", "--index", index, "--corpus", "/nonexistent/corpus", "机关干部"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/corpus"), "{}", stderr(&out));
    let out = bin()
        .args(["ask", "机关干部"])
        .env("ARCHIVE_BOT_CORPUS_DIR", "/nonexistent/corpus")
        .env("ARCHIVE_BOT_INDEX_DIR", index)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/corpus"), "{}", stderr(&out));

    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("readme.pdf"), "x").unwrap();
    let out = run(&["index", "--corpus", empty.to_str().unwrap(), "--index", index]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no articles") && stderr(&out).contains(empty.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
    // The index built before is still there and answers.
    let out = run(&["ask", "--index", index, "机关干部"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A corpus whose positions are easy to get wrong: two articles in one file
/// behind blank and furniture lines, a run-on line, an export record on
/// line 3 and a saved page with its address.
fn positions_corpus(dir: &Path) {
    let run_on = format!(
        "{} 设立临时党支部 {} {}",
        "城西街道把疫情防控作为当前最重要的工作,组织机关干部下沉社区,分片包干,挨家挨户排查登记返乡人员,确保不漏一户、不漏一人,同时做好生活物资保障。",
        "城西街道在高速路口设立临时党支部,由街道党工委副书记林海涛担任支部书记,带领十二名党员轮班值守,查验过往车辆和人员的健康码和行程卡,累计查验车辆一万余辆。",
        "每天清晨六点,林海涛都会第一个来到卡口,和队员们一起搭帐篷、测体温、做登记,夜里十一点交班后再巡查一遍才回家休息,一个多月没有休过一天假。",
    );
    let text = [
        "",
        "城西街道筑牢疫情防控防线",
        "",
        "责任编辑:李瑞",
        &run_on,
        "(城西街道党工委供稿)",
        "",
        "东湖社区志愿者服务队成立",
        "东湖社区志愿者服务队昨日正式成立,首批队员三十二人,由退休教师王秀兰担任队长。",
        "",
        "队员将协助社区开展防疫宣传、物资配送和独居老人走访等工作,每周六集中开展一次服务活动。",
        "分享到微信",
    ]
    .join("\n");
    std::fs::write(dir.join("multi.txt"), text).unwrap();
    let jsonl = [
        r#"{"id": "r1", "title": "南山公园完成改造", "text": "南山公园改造工程近日完工,新增步道三公里和健身广场两处。"}"#,
        "",
        r#"{"id": "r2", "title": "北站新开两条公交线路", "text": "北站公交枢纽新开通两条公交线路,分别通往高新区和滨江新城,首班车六点发车。"}"#,
    ]
    .join("\n");
    std::fs::write(dir.join("cms.jsonl"), jsonl).unwrap();
    let page = r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>江北区开通夜间公交专线</title>
<meta property="og:url" content="https://news.example.com/2023/0318/night-bus.html"></head>
<body><nav><a href="/">首页</a> <a href="/city">城市</a></nav><article><h1>江北区开通夜间公交专线</h1>
<p>3月18日起,江北区开通三条夜间公交专线,覆盖火车站、中心医院和大学城等客流集中的区域,末班车延长至次日凌晨一点。</p>
<p>区交通运输局相关负责人介绍,夜间专线按照乘客出行数据设计线路,沿途设置站点四十二个,发车间隔为二十分钟。</p>
<p>“以前下夜班只能打车,现在坐公交回家方便多了。”在中心医院工作的护士刘敏说,夜间专线开通后她每月能省下几百元车费。</p>
</article><footer>版权所有 江北融媒</footer></body></html>"#;
    std::fs::write(dir.join("night-bus.html"), page).unwrap();
}

#[test]
fn citations_say_where_their_text_is_in_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    positions_corpus(&corpus);
    let index = dir.path().join("index");
    let base = ["--corpus", corpus.to_str().unwrap(), "--index", index.to_str().unwrap()];
    let ask = |json: bool, q: &str| -> String {
        let mut args = vec!["ask"];
        if json {
            args.push("--json");
        }
        args.extend(base);
        args.push(q);
        let out = run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    // The cited line of the original file holds the passage's first paragraph.
    for (q, file, line) in [
        ("临时党支部由谁担任支部书记?", "multi.txt", Some(5u32)),
        ("东湖社区志愿者服务队的队长是谁?", "multi.txt", Some(9)),
        ("北站新开通的公交线路通往哪里?", "cms.jsonl#r2", Some(3)),
        ("夜间公交专线的发车间隔是多少?", "night-bus.html", None),
    ] {
        let a: serde_json::Value = serde_json::from_str(&ask(true, q)).unwrap();
        let c = &a["citations"][0];
        assert_eq!(c["file"], file, "{q}: {a}");
        assert_eq!(c["line"].as_u64(), line.map(u64::from), "{q}: {a}");
        let passage = c["passage"].as_str().unwrap();
        let original = std::fs::read_to_string(corpus.join(file.split('#').next().unwrap())).unwrap();
        match line {
            Some(n) => {
                let source_line = original.lines().nth(n as usize - 1).unwrap();
                let first = passage.lines().next().unwrap();
                assert!(
                    source_line.contains(first),
                    "{q}: line {n} of {file} is {source_line:?}, the passage starts {first:?}"
                );
                assert_eq!(c["url"], serde_json::Value::Null);
            }
            None => assert_eq!(c["url"], "https://news.example.com/2023/0318/night-bus.html", "{a}"),
        }
    }
    // The terminal shows the same position, as `file:line` or the address.
    let text = ask(false, "临时党支部由谁担任支部书记?");
    assert!(text.contains("(multi.txt:5)"), "{text}");
    let text = ask(false, "夜间公交专线的发车间隔是多少?");
    assert!(
        text.contains("(night-bus.html · https://news.example.com/2023/0318/night-bus.html)"),
        "{text}"
    );
    // `articles` lists each article's first line; the article view in the bot uses the same.
    let mut args = vec!["articles", "--corpus", corpus.to_str().unwrap()];
    let listed = stdout(&run(&args));
    assert!(listed.contains("multi.txt:5\t"), "{listed}");
    assert!(
        listed.contains("multi.txt:9\t"),
        "the heading on line 8 is the title: {listed}"
    );
    args.push("--json");
    let articles: serde_json::Value = serde_json::from_str(&stdout(&run(&args))).unwrap();
    for a in articles.as_array().unwrap() {
        let paragraphs = a["paragraphs"].as_array().unwrap().len();
        let lines = a["lines"].as_array().unwrap().len();
        assert!(
            lines == paragraphs || (lines == 0 && a["file"] == "night-bus.html"),
            "{a}"
        );
    }
}

/// `bench` builds, restarts, asks and cleans up after itself; its figures
/// are the run's own (two articles, each question's gold file found).
#[test]
fn bench_measures_a_corpus_and_leaves_nothing_behind() {
    let corpus = tempfile::tempdir().unwrap();
    std::fs::write(
        corpus.path().join("a.txt"),
        "锦湖街道筑牢防线\n锦湖街道迅速集结66名机关干部、110名基层站所工作人员,连夜筑牢疫情防控防线。\n",
    )
    .unwrap();
    std::fs::write(
        corpus.path().join("b.txt"),
        "房产局下沉支援\n自3月17日开展下沉支援以来,市房产局先后派出3批11人次党员志愿者参加突击队。\n",
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let questions = work.path().join("q.jsonl");
    std::fs::write(
        &questions,
        "{\"q\":\"锦湖街道集结了多少名机关干部?\",\"file\":\"a.txt\"}\n{\"q\":\"房产局派出了几批志愿者?\",\"file\":\"b.txt\"}\n",
    )
    .unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let o = run(&[
        "bench",
        "--corpus",
        corpus.path().to_str().unwrap(),
        "--questions",
        questions.to_str().unwrap(),
        "--work-dir",
        out_dir.path().to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["articles"], 2);
    assert_eq!(report["questions"], 2);
    assert_eq!(report["ndcg10"], 1.0, "both gold files ranked first: {report}");
    for key in [
        "build_seconds",
        "cold_start_ms",
        "ask_p50_ms",
        "index_mb",
        "peak_rss_serving_mb",
    ] {
        assert!(report[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {report}");
    }
    assert_eq!(
        std::fs::read_dir(out_dir.path()).unwrap().count(),
        0,
        "the bench index is removed"
    );
}
