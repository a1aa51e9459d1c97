//! Layers only look down: reads `src/**/*.rs`, collects the `crate::X`
//! references of each top-level module (`use crate::X…`, `crate::X::…`,
//! `use crate::{X, Y}`; comments left out) and fails on any reference to a
//! module of a higher layer that the allow-list below does not name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, bottom first; a module may use its own layer and those
/// below. `article` sits with `clean`: it is the type cleaning produces
/// and every layer above reads. `load` is a layer of its own above them:
/// it puts reading (`corpus`) and cleaning (`clean`) together.
const LAYERS: &[&[&str]] = &[
    &["error", "input", "script", "text", "date", "config"],
    &["corpus"],
    &["clean", "article"],
    &["load"],
    &["passage"],
    &["index"],
    &["query"],
    &["retrieval"],
    &["rank"],
    &["engine"],
    &["answer", "collection"],
    &["eval", "render", "bench"],
    &["telegram"],
];

/// Known upward edges (from, to). Delete an entry when its edge is gone;
/// the test fails on an entry no longer needed, so the list only shrinks.
const ALLOWED: &[(&str, &str, &str)] = &[];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| panic!("module `{module}` is in no layer: add it to LAYERS"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (line comments and doc
/// comments; `//` inside a string such as a URL is rare enough next to
/// `crate::` not to matter).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `code` refers to through `crate::`.
fn referenced(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first name of each item at depth one.
            let mut depth = 1;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if item_start && depth == 1 && !c.is_whitespace() => {
                        out.insert(ident(&group[j..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    // `crate::Result`, `crate::Error`: lib.rs's re-exports of `error`.
    if out.remove("Result") | out.remove("Error") {
        out.insert("error".to_owned());
    }
    out
}

/// (from, to) for every `crate::` reference between top-level modules.
fn edges() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = BTreeSet::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if matches!(module.as_str(), "lib" | "main" | "cli") {
            continue; // the crate root, and the binary with its own modules (which use `archive_bot::`)
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for to in referenced(&code(&text)) {
            if to != module {
                out.insert((module.clone(), to));
            }
        }
    }
    out
}

#[test]
fn layers_only_look_down() {
    let edges = edges();
    assert!(
        edges.contains(&("answer".to_owned(), "engine".to_owned())),
        "the scan finds edges at all: {edges:?}"
    );
    let upward: BTreeSet<(String, String)> = edges
        .iter()
        .filter(|(from, to)| layer_of(to) > layer_of(from))
        .cloned()
        .collect();
    let allowed: BTreeSet<(String, String)> = ALLOWED.iter().map(|(f, t, _)| (f.to_string(), t.to_string())).collect();
    let new: Vec<_> = upward.difference(&allowed).collect();
    assert!(new.is_empty(), "modules importing a higher layer: {new:?}");
    let gone: Vec<_> = allowed.difference(&upward).collect();
    assert!(
        gone.is_empty(),
        "allowed upward edges that are gone: delete them from ALLOWED: {gone:?}"
    );
}

#[test]
fn the_scanner_reads_grouped_and_inline_paths() {
    let code = code(
        "use crate::{engine::Engine, script::{self, Script}, text};\n\
         let x = crate::query::parse(q); // crate::telegram in a comment\n\
         /// [`crate::bench`] in a doc comment\n",
    );
    let found: Vec<String> = referenced(&code).into_iter().collect();
    assert_eq!(found, ["engine", "query", "script", "text"]);
}
