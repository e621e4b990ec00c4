//! Scale as a user sees it: memory that does not grow with the body text of the documents.
//! (Linear output and a rebuild that rewrites nothing unchanged: `tests/output.rs`.)
//!
//! Two generated handbooks with the same documents, the same headings and the same links; in
//! the second every document carries 40 kB more prose. A build that keeps only what the
//! cross-references and the auditor pages need (ids, titles, headings, front matter) and
//! streams the rest (render, write, drop) peaks at about the same memory for both; one that
//! holds every body (in a whole-book page, an export or the search index) peaks higher by a
//! multiple of the extra text.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const DOCS: usize = 600;
/// Extra prose per document in the long handbook: 600 × 40 kB = 24 MB in all.
const EXTRA_BYTES: usize = 40_000;

/// Plain words, so that the prose is indexed and rendered like a real policy's.
const WORDS: [&str; 24] = [
    "access",
    "review",
    "supplier",
    "laptop",
    "encrypt",
    "backup",
    "incident",
    "report",
    "owner",
    "record",
    "retention",
    "password",
    "network",
    "physical",
    "visitor",
    "change",
    "release",
    "monitor",
    "training",
    "privacy",
    "contract",
    "asset",
    "risk",
    "approve",
];

fn handbook(name: &str, extra: usize) -> PathBuf {
    let dir = temp_dir(name);
    copy_tree(&repo().join("tests/fixtures/_common"), &dir);
    std::fs::create_dir_all(dir.join("procedures")).expect("mkdir");
    for i in 0..DOCS {
        let mut prose = String::with_capacity(extra + 200);
        let mut w = i;
        while prose.len() < extra {
            for _ in 0..60 {
                w = (w * 7 + 3) % WORDS.len();
                prose.push_str(WORDS[w]);
                prose.push(' ');
            }
            prose.push_str("\n\n");
        }
        let text = format!(
            "---\nid: PRC-{i}\ntitle: Procedure number {i}\ntype: procedure\ncontrols: [A.5.15]\n---\n\
             # Procedure {i}\n\n## Steps\n\nFollow [[POL-BASE]] and [[A.5.15]]; see also [[PRC-{j}]].\n\n{prose}\n",
            j = (i + 1) % DOCS,
        );
        std::fs::write(dir.join(format!("procedures/p{i:04}.md")), text).expect("write");
    }
    dir
}

/// The peak resident memory (MB) of a build of `dir`, from its `--timings` line.
fn peak_mb(dir: &Path) -> u64 {
    let run = ismsbook(dir, &["build", ".", "--timings"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let err = stderr(&run);
    let line = err.lines().find(|l| l.starts_with("timings:")).unwrap_or_else(|| panic!("no timings in {err}"));
    let mb = line.rsplit("peak memory ").next().and_then(|t| t.split_whitespace().next()).and_then(|n| n.parse().ok());
    mb.unwrap_or_else(|| panic!("no peak memory in: {line}"))
}

#[test]
fn peak_memory_does_not_grow_with_the_body_text() {
    let short = handbook("scale-short", 0);
    let long = handbook("scale-long", EXTRA_BYTES);
    let (a, b) = (peak_mb(&short), peak_mb(&long));
    eprintln!("peak memory: {a} MB short, {b} MB long");
    let extra_text_mb = (DOCS * EXTRA_BYTES / 1_000_000) as u64;
    // The long book's pages and index are larger, so some growth is expected (transient
    // buffers of the documents being rendered at once, a larger index): well under the text.
    assert!(
        b <= a + extra_text_mb / 2,
        "peak memory {a} MB with short documents, {b} MB with {extra_text_mb} MB more body text: \
         the build holds the bodies instead of streaming them"
    );
    for dir in [short, long] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
