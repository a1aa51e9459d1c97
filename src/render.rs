//! Answers as terminal text (JSON output is the `serde` form of the same
//! values). Quotes are shown in the answer's script.

use std::fmt::Write;

use crate::answer::Answer;
use crate::script::render;

/// An answer for a terminal: the answer, then one block per citation.
pub fn answer_text(a: &Answer) -> String {
    let mut out = format!("{}\n", a.answer);
    for c in &a.citations {
        let meta: Vec<String> = [Some(render(&c.title, a.script)), c.source.clone(), c.date.clone()]
            .into_iter()
            .flatten()
            .collect();
        let _ = write!(
            out,
            "\n[{}] {} ({})\n    {}\n",
            c.n,
            meta.join(" · "),
            c.file,
            render(&c.passage, a.script).replace('\n', "\n    ")
        );
    }
    out
}
