//! The index on disk: built on first use, updated incrementally, rebuilt
//! when corrupt, swapped atomically while readers open it.

use std::cell::RefCell;
use std::path::PathBuf;

use archive_bot::engine::Engine;
use archive_bot::index::store::{BuildReport, Staleness, build, built_from, check, read_files, staleness};

/// A corpus (if any) and the index built from it.
struct Location {
    corpus_dir: Option<PathBuf>,
    index_dir: PathBuf,
}
const ARTICLE_A: &str =
    "锦湖街道筑牢疫情防控第一道防线\n锦湖街道迅速集结66名机关干部、110名基层站所工作人员,凝心聚力,抢抓时间。\n";
const ARTICLE_B: &str =
    "同心抗疫 为民护航\n自3月17日开展下沉支援以来,市房产局先后派出3批11人次党员志愿者参加全市防疫党员突击队。\n";

fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), ARTICLE_A).unwrap();
    std::fs::write(dir.path().join("b.txt"), ARTICLE_B).unwrap();
    dir
}

/// A corpus of two articles and where its index goes (both temporary).
fn fresh() -> (tempfile::TempDir, tempfile::TempDir, Location) {
    let corpus = corpus();
    let data = tempfile::tempdir().unwrap();
    let loc = Location {
        corpus_dir: Some(corpus.path().to_path_buf()),
        index_dir: data.path().join("index"),
    };
    (corpus, data, loc)
}

fn open_logged(loc: &Location) -> (Engine, Option<BuildReport>, Vec<String>) {
    let warnings = RefCell::new(Vec::new());
    let (engine, report) = Engine::open_or_build(loc.corpus_dir.as_deref(), &loc.index_dir, &|_, _| {}, &|w| {
        warnings.borrow_mut().push(w.to_string())
    })
    .unwrap();
    (engine, report, warnings.into_inner())
}

#[test]
fn builds_on_first_use_then_reuses() {
    let (_corpus, _data, loc) = fresh();
    let (engine, report, warnings) = open_logged(&loc);
    assert_eq!(report.map(|r| r.articles), Some(2));
    assert!(warnings.is_empty(), "a first build is not a warning: {warnings:?}");
    assert_eq!(
        engine.search_filtered("机关干部", 1, &Default::default())[0].quote.file,
        "a.txt"
    );
    let (_, report, _) = open_logged(&loc);
    assert!(report.is_none(), "an up-to-date index is reused");
    assert_eq!(read_files(&loc.index_dir).unwrap().len(), 2);
}

#[test]
fn a_changed_corpus_is_reindexed() {
    let (corpus, _data, loc) = fresh();
    open_logged(&loc);
    std::fs::write(
        corpus.path().join("c.txt"),
        "新文章\n陈达锋担任城区医学观察者集中隔离点组长。\n",
    )
    .unwrap();
    let (engine, report, warnings) = open_logged(&loc);
    assert_eq!(report.map(|r| r.articles), Some(3));
    assert!(warnings[0].contains("changed"), "{warnings:?}");
    assert_eq!(
        engine.search_filtered("隔离点组长", 1, &Default::default())[0]
            .quote
            .file,
        "c.txt"
    );
}

/// An update reads only what changed: an edited file's old text is
/// gone and its new text found, a removed file's articles are gone,
/// an untouched file keeps its article (same key) without being read.
#[test]
fn updates_reprocess_only_changed_added_and_removed_files() {
    let (corpus, _data, loc) = fresh();
    let first = build(corpus.path(), &loc.index_dir, &|_, _| {}).unwrap();
    assert!(!first.incremental);
    let engine = Engine::open(&loc.index_dir).unwrap();
    let key_a = engine
        .doc_by_key(&archive_bot::index::article_key("a.txt", 0))
        .unwrap()
        .key
        .clone();

    std::fs::write(
        corpus.path().join("b.txt"),
        "同心抗疫 为民护航\n市房产局派出突击队员前往城区医学观察者集中隔离点。\n",
    )
    .unwrap();
    std::fs::write(corpus.path().join("c.txt"), "新文章\n陈达锋担任隔离点组长。\n").unwrap();
    assert!(
        staleness(&loc.index_dir, corpus.path()).is_some_and(|r| r.to_string().contains("1 files added, 1 changed"))
    );
    let update = build(corpus.path(), &loc.index_dir, &|_, _| {}).unwrap();
    assert!(update.incremental);
    assert_eq!((update.files_indexed, update.files_removed, update.articles), (2, 0, 3));
    let engine = Engine::open(&loc.index_dir).unwrap();
    assert_eq!(
        engine.search_filtered("集中隔离点", 1, &Default::default())[0]
            .quote
            .file,
        "b.txt"
    );
    assert!(
        engine
            .search_filtered("志愿者", 5, &Default::default())
            .iter()
            .all(|r| r.quote.file != "b.txt"),
        "old text gone"
    );
    assert_eq!(
        engine.search_filtered("组长", 1, &Default::default())[0].quote.file,
        "c.txt"
    );
    assert_eq!(engine.doc_by_key(&key_a).unwrap().article.file, "a.txt");

    std::fs::remove_file(corpus.path().join("a.txt")).unwrap();
    let update = build(corpus.path(), &loc.index_dir, &|_, _| {}).unwrap();
    assert_eq!((update.files_indexed, update.files_removed, update.articles), (0, 1, 2));
    let engine = Engine::open(&loc.index_dir).unwrap();
    assert!(
        engine
            .search_filtered("机关干部", 5, &Default::default())
            .iter()
            .all(|r| r.quote.file != "a.txt")
    );
    assert!(engine.doc_by_key(&key_a).is_none());
    assert_eq!(staleness(&loc.index_dir, corpus.path()), None);

    // Files added before, between and after the indexed ones (one in a
    // subdirectory), one removed and one changed: each counted once.
    let p = corpus.path();
    std::fs::write(p.join("0.txt"), "更早的文章\n正文。\n").unwrap();
    std::fs::create_dir(p.join("sub")).unwrap();
    std::fs::write(p.join("sub").join("d.txt"), "子目录文章\n正文。\n").unwrap();
    std::fs::write(p.join("z.txt"), "最后的文章\n正文。\n").unwrap();
    std::fs::remove_file(p.join("b.txt")).unwrap();
    std::fs::write(p.join("c.txt"), "新文章\n陈达锋担任隔离点组长,负责全面工作。\n").unwrap();
    let why = staleness(&loc.index_dir, p).unwrap();
    assert!(
        matches!(
            why,
            Staleness::Changed {
                added: 3,
                changed: 1,
                removed: 1,
                ..
            }
        ),
        "{why}"
    );
    assert!(
        why.to_string().contains("(3 files added, 1 changed, 1 removed)"),
        "{why}"
    );
    build(p, &loc.index_dir, &|_, _| {}).unwrap();
    assert_eq!(staleness(&loc.index_dir, p), None);
}

#[test]
fn a_touched_but_unchanged_file_is_not_a_change() {
    let (corpus, _data, loc) = fresh();
    build(corpus.path(), &loc.index_dir, &|_, _| {}).unwrap();
    // Same bytes written again: a new modification time, same content.
    std::fs::write(corpus.path().join("a.txt"), ARTICLE_A).unwrap();
    let file = std::fs::File::options()
        .write(true)
        .open(corpus.path().join("a.txt"))
        .unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    assert_eq!(staleness(&loc.index_dir, corpus.path()), None);
    let update = build(corpus.path(), &loc.index_dir, &|_, _| {}).unwrap();
    assert_eq!((update.files_indexed, update.articles), (0, 2));
}

#[test]
fn a_corrupt_index_is_rebuilt_with_a_warning() {
    let (_corpus, _data, loc) = fresh();
    open_logged(&loc);
    // Damage every tantivy file, keeping the manifest intact. (Replaced,
    // not truncated in place: this process may still map the old ones.)
    for entry in std::fs::read_dir(loc.index_dir.join("tantivy")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"garbage").unwrap();
    }
    assert!(Engine::open(&loc.index_dir).is_err(), "the damage is detected");
    let (engine, report, warnings) = open_logged(&loc);
    assert!(report.is_some());
    assert!(warnings[0].contains("corrupt"), "{warnings:?}");
    assert_eq!(
        engine.search_filtered("房产局", 1, &Default::default())[0].quote.file,
        "b.txt"
    );
}

#[test]
fn an_index_alone_needs_no_corpus() {
    let corpus = corpus();
    let data = tempfile::tempdir().unwrap();
    let index_dir = data.path().join("index");
    build(corpus.path(), &index_dir, &|_, _| {}).unwrap();
    drop(corpus); // the corpus is gone
    let loc = Location {
        corpus_dir: built_from(&index_dir),
        index_dir,
    };
    assert!(loc.corpus_dir.is_none(), "the corpus its manifest names is gone");
    let (engine, report, _) = open_logged(&loc);
    assert!(report.is_none());
    assert_eq!(engine.stats().articles, 2);
}

#[test]
fn a_named_corpus_that_is_missing_or_empty_is_an_error_naming_it() {
    let (_corpus, data, loc) = fresh();
    open_logged(&loc); // an index exists…
    let missing = Location {
        corpus_dir: Some(data.path().join("no-such-corpus")),
        index_dir: loc.index_dir.clone(),
    };
    // …but it is not used behind the user's back.
    let err = Engine::open_or_build(missing.corpus_dir.as_deref(), &missing.index_dir, &|_, _| {}, &|_| {})
        .err()
        .unwrap();
    assert!(matches!(err, archive_bot::Error::NoCorpus { .. }), "{err}");
    assert!(err.to_string().contains("no-such-corpus"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("notes.pdf"), "not an article").unwrap();
    std::fs::write(empty.path().join("blank.txt"), "").unwrap();
    let err = build(empty.path(), &data.path().join("other"), &|_, _| {}).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            archive_bot::Error::EmptyCorpus {
                files: 1,
                skipped: 1,
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.contains(&empty.path().display().to_string()), "{msg}");
    assert!(!data.path().join("other").exists(), "nothing swapped in");
}

#[test]
fn an_index_used_alone_says_so() {
    let (_corpus, _data, loc) = fresh();
    open_logged(&loc);
    let alone = Location {
        corpus_dir: None,
        index_dir: loc.index_dir.clone(),
    };
    let (_, _, warnings) = open_logged(&alone);
    assert!(warnings.iter().any(|w| w.contains("as built")), "{warnings:?}");
}

/// Builders of one index in parallel: each waits for the lock, every
/// build ends with a whole index in place, and only the current
/// generation (plus the lock file) is left beside it. A reader opening
/// the index all the while always finds one.
#[cfg(unix)]
#[test]
fn concurrent_builds_take_turns_and_readers_always_find_an_index() {
    let (corpus, data, loc) = fresh();
    build(corpus.path(), &loc.index_dir, &|_, _| {}).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let opened = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let engine = Engine::open(&loc.index_dir).expect("an index is always there");
                assert_eq!(engine.stats().articles, 2);
                opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        let builders: Vec<_> = (0..3)
            .map(|_| s.spawn(|| build(corpus.path(), &loc.index_dir, &|_, _| {}).map(|r| r.articles)))
            .collect();
        for b in builders {
            assert_eq!(b.join().unwrap().unwrap(), 2);
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        reader.join().unwrap();
    });
    assert!(opened.load(std::sync::atomic::Ordering::SeqCst) > 0);
    // A generation replaced while the reader was opening it may have
    // resisted removal (files created in it meanwhile); the next build
    // clears such leftovers, and then only the current one remains.
    build(corpus.path(), &loc.index_dir, &|_, _| {}).unwrap();
    assert_is_symlink(&loc.index_dir);
    let mut left: Vec<String> = std::fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let target = std::fs::read_link(&loc.index_dir).unwrap();
    let expected = [
        ".index.lock".to_owned(),
        target.to_string_lossy().into_owned(),
        "index".to_owned(),
    ];
    let mut expected = expected.to_vec();
    expected.sort();
    assert_eq!(left, expected);
}

#[cfg(unix)]
#[test]
fn an_index_directory_of_the_older_layout_is_replaced() {
    let (corpus, data, loc) = fresh();
    std::fs::create_dir_all(loc.index_dir.join("tantivy")).unwrap();
    std::fs::write(loc.index_dir.join("manifest.json"), "{}").unwrap();
    build(corpus.path(), &loc.index_dir, &|_, _| {}).unwrap();
    assert_is_symlink(&loc.index_dir);
    assert_eq!(Engine::open(&loc.index_dir).unwrap().stats().articles, 2);
    let entries = std::fs::read_dir(data.path()).unwrap().count();
    assert_eq!(entries, 3, "index, its generation, the lock file");
}

#[test]
fn check_finds_a_good_index_and_a_broken_one() {
    let (_corpus, _data, loc) = fresh();
    assert!(check(&loc.index_dir).is_err(), "no index yet");
    open_logged(&loc);
    assert_eq!(check(&loc.index_dir).unwrap().articles, 2);
    std::fs::remove_dir_all(loc.index_dir.join("tantivy")).unwrap();
    assert!(check(&loc.index_dir).is_err());
}

#[test]
fn a_missing_index_without_corpus_is_an_error() {
    let data = tempfile::tempdir().unwrap();
    let loc = Location {
        corpus_dir: None,
        index_dir: data.path().join("nothing"),
    };
    assert!(Engine::open_or_build(loc.corpus_dir.as_deref(), &loc.index_dir, &|_, _| {}, &|_| {}).is_err());
}

/// The index path is the symlink to the current generation.
fn assert_is_symlink(path: &std::path::Path) {
    let meta = std::fs::symlink_metadata(path).unwrap();
    assert!(meta.file_type().is_symlink(), "{} is not a symlink", path.display());
}

/// A build from scratch leaves the index in one segment (a question looks
/// its terms up in every segment), and every article is still there.
#[test]
fn a_full_build_merges_the_index_into_one_segment() {
    let corpus = tempfile::tempdir().unwrap();
    for i in 0..400 {
        let text = format!("第{i}号通知\n街道第{i}批志愿者{i}人参加防疫突击队,编号{i}。\n");
        std::fs::write(corpus.path().join(format!("n{i:03}.txt")), text).unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    let index_dir = data.path().join("index");
    let report = build(corpus.path(), &index_dir, &|_, _| {}).unwrap();
    assert_eq!(report.articles, 400);
    let index = archive_bot::index::store::open_index(&index_dir).unwrap();
    assert_eq!(index.searchable_segment_ids().unwrap().len(), 1);
    let engine = Engine::open(&index_dir).unwrap();
    assert_eq!(engine.stats().articles, 400);
    assert_eq!(
        engine.search_filtered("编号217", 1, &Default::default())[0].quote.file,
        "n217.txt"
    );
}

/// A missing or damaged file list makes the index stale (and names the
/// file); the corpus is listed meanwhile, on another thread.
#[test]
fn a_missing_or_damaged_file_list_is_stale() {
    let (corpus, _data, loc) = fresh();
    build(corpus.path(), &loc.index_dir, &|_, _| {}).unwrap();
    assert_eq!(staleness(&loc.index_dir, corpus.path()), None);
    let files = loc.index_dir.join("files.json");
    let damage: [&dyn Fn(); 2] = [&|| std::fs::write(&files, "[{\"file\": 3}]").unwrap(), &|| {
        std::fs::remove_file(&files).unwrap()
    }];
    for damage in damage {
        damage();
        let why = staleness(&loc.index_dir, corpus.path()).unwrap().to_string();
        assert!(
            why.contains("unreadable file list") && why.contains("files.json"),
            "{why}"
        );
    }
}

/// Furniture by repetition stays right as the corpus changes: a line at
/// the end of articles of one source goes once three files hold it —
/// from the files already indexed too — and comes back when a removal
/// leaves it in two.
#[test]
fn furniture_by_repetition_follows_updates() {
    let corpus = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let loc = Location {
        corpus_dir: Some(corpus.path().to_path_buf()),
        index_dir: data.path().join("index"),
    };
    let promo = "关注江南日报客户端,获取更多本地资讯!";
    let write = |name: &str, topic: &str| {
        let text = format!(
            "{topic}工作有序推进\nhttps://news.jiangnan.example/{name}\n记者从{topic}获悉,相关工作已于本周全面铺开,居民反映良好。\n{promo}\n"
        );
        std::fs::write(corpus.path().join(name), text).unwrap();
    };
    let holding = |engine: &Engine| -> usize {
        engine
            .search_filtered(promo, 10, &Default::default())
            .iter()
            .filter(|row| row.quote.passage.contains(promo))
            .count()
    };
    write("a.txt", "社区防疫");
    write("b.txt", "垃圾分类");
    let (engine, _, _) = open_logged(&loc);
    assert_eq!(holding(&engine), 2, "two files: a coincidence, kept");
    write("c.txt", "老旧小区改造");
    let (engine, report, _) = open_logged(&loc);
    assert!(report.is_some_and(|r| r.incremental), "an update, not a rebuild");
    assert_eq!(engine.stats().articles, 3);
    assert_eq!(
        holding(&engine),
        0,
        "three files: furniture, in the unchanged two as well"
    );
    std::fs::remove_file(corpus.path().join("c.txt")).unwrap();
    let (engine, _, _) = open_logged(&loc);
    assert_eq!(holding(&engine), 2, "back to two: kept again");
    assert!(
        engine.search_filtered("居民反映良好", 5, &Default::default()).len() == 2,
        "the body is never touched"
    );
}
