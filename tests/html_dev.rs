//! Extraction quality on real saved news pages, read at run time from
//! `../shared/bench/html_dev` (never copied into the repository):
//! `cargo test --test html_dev -- --ignored --nocapture`. Fails when a
//! figure falls below the one the extraction reaches now.

use std::path::Path;

use archive_bot::article::Article;

/// One saved page read and cleaned on its own, as the index reads it.
fn read_page(file: &str, bytes: Vec<u8>) -> (Vec<Article>, Vec<String>) {
    let page = archive_bot::corpus::CorpusFile::new(file.to_owned(), bytes);
    let loaded = archive_bot::load::load_file(&page, archive_bot::corpus::process_options());
    (loaded.articles, loaded.skipped.into_iter().map(|s| s.reason).collect())
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !"\"'“”‘’「」『』".contains(*c))
        .collect()
}

#[test]
#[ignore = "needs ../shared/bench/html_dev"]
fn html_dev_figures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/html_dev");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("truth.json")).unwrap()).unwrap();
    let (mut title, mut date, mut body, mut furniture, mut answer, mut pages) = (0, 0, 0, 0, 0, 0);
    let mut source = 0;
    let (mut body_n, mut furn_n) = (0, 0);
    let mut articles_read = Vec::new();
    for t in truth.as_array().unwrap() {
        pages += 1;
        let file = t["file"].as_str().unwrap();
        let bytes = std::fs::read(root.join(file)).unwrap();
        let (articles, warnings) = read_page(file, bytes);
        let Some(a) = articles.first() else {
            println!("{file}: NOTHING {warnings:?}");
            body_n += 3;
            furn_n += 3;
            continue;
        };
        let text = norm(&a.text());
        let ok_title = norm(&a.title) == norm(t["title"].as_str().unwrap());
        let ok_date = a.date.as_deref() == t["date"].as_str();
        let ok_source = a.source.as_deref() == t["source"].as_str();
        title += ok_title as usize;
        date += ok_date as usize;
        source += ok_source as usize;
        let mut line = format!(
            "{file}: title {ok_title} date {ok_date} ({:?} vs {}) source {ok_source} ({:?} vs {})",
            a.date, t["date"], a.source, t["source"]
        );
        if !ok_title {
            line += &format!(" [got title {:?}]", a.title);
        }
        for s in t["must_have"].as_array().unwrap() {
            body_n += 1;
            if text.contains(&norm(s.as_str().unwrap())) {
                body += 1;
            } else {
                line += &format!("\n   missing body: {}", s.as_str().unwrap());
            }
        }
        for s in t["must_not_have"].as_array().unwrap() {
            furn_n += 1;
            if !text.contains(&norm(s.as_str().unwrap())) {
                furniture += 1;
            } else {
                line += &format!("\n   furniture kept: {}", s.as_str().unwrap());
            }
        }
        if t["answer"].as_str().is_some_and(|ans| text.contains(&norm(ans))) {
            answer += 1;
        }
        println!("{line}");
        articles_read.extend(articles);
    }
    println!(
        "html_dev: title {title}/{pages}, date {date}/{pages}, source {source}/{pages}, body {body}/{body_n}, furniture removed {furniture}/{furn_n}, answer span in text {answer}/{pages}"
    );
    // The figures the extraction reaches on these 20 pages.
    assert_eq!((pages, title, source, body, body_n, answer), (20, 20, 20, 60, 60, 20));
    assert!(
        date >= 18 && furniture >= 55,
        "date {date}, furniture removed {furniture}"
    );
    let (top_page, in_answer, in_passage) = questions_answered(&truth, articles_read);
    assert!(
        top_page >= 18 && in_answer >= 18 && in_passage >= 17,
        "{top_page} {in_answer} {in_passage}"
    );
}

/// The pages indexed together, each page's question asked: is the top
/// citation that page, does the answer quote the expected span, does the
/// cited passage hold it (three counts).
fn questions_answered(truth: &serde_json::Value, articles: Vec<Article>) -> (usize, usize, usize) {
    let engine = archive_bot::engine::Engine::in_ram(articles).unwrap();
    let same = |s: &str| norm(&archive_bot::script::fold(s));
    let (mut asked, mut top_page, mut in_answer, mut in_passage) = (0, 0, 0, 0);
    for t in truth.as_array().unwrap() {
        let (Some(q), Some(want)) = (t["question"].as_str(), t["answer"].as_str()) else {
            continue;
        };
        asked += 1;
        let file = t["file"].as_str().unwrap();
        let a = engine.ask(q, &archive_bot::answer::AskOptions::default());
        let top = a.citations.first();
        let ok_page = top.is_some_and(|c| c.quote.file == file);
        let ok_answer = !a.no_answer && same(&archive_bot::answer::without_markers(&a.answer)).contains(&same(want));
        let ok_passage = ok_page && top.is_some_and(|c| same(&c.quote.passage).contains(&same(want)));
        top_page += ok_page as usize;
        in_answer += ok_answer as usize;
        in_passage += ok_passage as usize;
        if !(ok_page && ok_answer) {
            println!(
                "{file}: {q} want {want:?}: top page {ok_page} ({:?}), answer {:?}",
                top.map(|c| &c.quote.file),
                a.answer
            );
        }
    }
    println!(
        "html_dev questions: top citation is the page {top_page}/{asked}, expected answer in the answer {in_answer}/{asked}, in the top cited passage {in_passage}/{asked}"
    );
    (top_page, in_answer, in_passage)
}
