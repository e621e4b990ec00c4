//! The incremental rebuild behind `serve` (build::Session) gives exactly the output of a full
//! `ismsbook build`, byte for byte, after every kind of document edit: body text, title,
//! headings, a new citation, a new document, a deleted one, a break and its fix. And it is
//! incremental: a body edit rewrites that page and the files that list every source, not the
//! other pages.

mod common;
use common::serve::sample_copy;
use common::*;
use ismsbook::build::{Options, Session};
use std::path::{Path, PathBuf};

const ACCESS: &str = "sample-isms/policies/access-control.md";
const SCRATCH: &str = "sample-isms/policies/scratch.md";

fn edit(dir: &Path, rel: &str, from: &str, to: &str) -> PathBuf {
    let path = dir.join(rel);
    let text = read(&path);
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path.canonicalize().unwrap()
}

/// Asserts that `a` and `b` hold the same files with the same bytes.
fn same_tree(a: &Path, b: &Path, step: &str) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(fa, fb, "{step}: the file lists differ");
    for f in &fa {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(x == y, "{step}: {f} differs from a full build");
    }
}

#[test]
fn incremental_rebuilds_equal_full_builds_byte_for_byte() {
    // This test file holds one test: nothing else reads the environment concurrently.
    unsafe { std::env::set_var("SOURCE_DATE_EPOCH", SAMPLE_EPOCH) };
    let dir = sample_copy("incremental");
    let full = dir.join("full");
    let mut session = Session::watched(Options { dir: dir.clone(), ..Options::default() });
    let first = session.rebuild(&[]).expect("first build");
    assert_eq!(first.report.errors, 0, "{:?}", first.report.diagnostics);
    assert!(!first.partial);

    let scratch =
        "---\nid: SCRATCH\ntitle: Scratch page\ntype: page\n---\n\n# Scratch\n\nSee [[POL-AC]] and [[A.5.6]].\n";
    type Step = Box<dyn Fn(&Path) -> PathBuf>;
    let steps: Vec<(&str, Step)> = vec![
        ("body edit", Box::new(|d| edit(d, ACCESS, "## Purpose and scope", "## Purpose and scope\n\nA new sentence."))),
        ("title edit", Box::new(|d| edit(d, ACCESS, "title: Access Control Policy", "title: Access Control Rules"))),
        (
            "new heading",
            Box::new(|d| edit(d, ACCESS, "## Responsibilities", "## Exceptions\n\nNone.\n\n## Responsibilities")),
        ),
        ("second body edit", Box::new(|d| edit(d, ACCESS, "A new sentence.", "A new sentence, longer now."))),
        (
            // Role pages list the sections of a document's body that name the role.
            "body edit naming a role",
            Box::new(|d| {
                edit(
                    d,
                    ACCESS,
                    "A new sentence, longer now.",
                    "A new sentence, longer now. The Engineering Lead signs.",
                )
            }),
        ),
        (
            "new citation",
            Box::new(|d| {
                edit(
                    d,
                    ACCESS,
                    "A new sentence, longer now. The Engineering Lead signs.",
                    "A new sentence citing [[A.5.6]].",
                )
            }),
        ),
        (
            "new document",
            Box::new(move |d| {
                std::fs::write(d.join(SCRATCH), scratch).unwrap();
                d.join(SCRATCH).canonicalize().unwrap()
            }),
        ),
        ("edit of the new document", Box::new(|d| edit(d, SCRATCH, "# Scratch", "# Scratch pad"))),
        (
            "deleted document",
            Box::new(|d| {
                let p = d.join(SCRATCH).canonicalize().unwrap();
                std::fs::remove_file(&p).unwrap();
                p
            }),
        ),
    ];
    for (step, apply) in &steps {
        let path = apply(&dir);
        let r = session.rebuild(&[path]).expect("rebuild");
        assert_eq!(r.report.errors, 0, "{step}: {:?}", r.report.diagnostics);
        // A change to what links show (a title, a new or deleted document) renders every page.
        let targets_changed = ["title edit", "new document", "deleted document"].contains(step);
        assert_eq!(r.partial, !targets_changed, "{step}: rendered only what depends on the edit");
        let out = build_sample_at(&dir, &full);
        assert!(out.status.success(), "{}", stderr(&out));
        same_tree(&dir.join("book"), &full, step);
        if *step == "body edit" {
            // Only its page and the files that show bodies or source hashes (home, the exports,
            // attachments, role pages, print.html, the search index, rebuilt whole): not the
            // register, SoA, coverage, control or clause pages.
            let search = files(&dir.join("book/search")).len();
            let roles = files(&dir.join("book/roles")).len();
            let pages = r.rendered - (search + roles).min(r.rendered);
            assert!(pages < 20 && pages * 10 < first.rendered, "{pages} of {} files rendered", first.rendered);
            let changed = r.changed.expect("known changes");
            assert!(changed.contains(&"policies/access-control.html".to_string()), "{changed:?}");
            assert!(!changed.iter().any(|f| f == "policies/backup.html" || f.starts_with("controls/")), "{changed:?}");
        }
        if *step == "deleted document" {
            assert_eq!(r.removed, vec!["policies/scratch.html".to_string()]);
        }
    }

    // A break leaves the output alone; the fix after it is still exact.
    let path = edit(&dir, ACCESS, "A new sentence citing", "A broken [[A.5.999]] sentence citing");
    let r = session.rebuild(&[path]).unwrap();
    assert!(r.report.errors > 0);
    same_tree(&dir.join("book"), &full, "after a failed build");
    let path = edit(&dir, ACCESS, "A broken [[A.5.999]] sentence citing", "A mended sentence citing");
    let r = session.rebuild(&[path]).unwrap();
    assert!(r.partial && r.report.errors == 0);
    let out = build_sample_at(&dir, &full);
    assert!(out.status.success());
    same_tree(&dir.join("book"), &full, "fix after a break");

    // Saving soa.yaml unchanged renders nothing; a change to it renders everything, exactly.
    let path = edit(&dir, "sample-isms/soa.yaml", "A.5.6", "A.5.6");
    let r = session.rebuild(&[path]).unwrap();
    assert!(r.partial && r.rendered == 0 && r.changed.as_deref() == Some(&[][..]), "{:?}", r.report.summary);
    let path = edit(&dir, "sample-isms/soa.yaml", "give ~200 staff", "give about 200 staff");
    let r = session.rebuild(&[path]).unwrap();
    assert!(!r.partial && r.report.errors == 0);
    let out = build_sample_at(&dir, &full);
    assert!(out.status.success());
    same_tree(&dir.join("book"), &full, "soa.yaml change");
}

/// `ismsbook build DIR -d OUT` on the sample's build date, DIR spelled as the session has it
/// (the coverage page names files as the command line does).
fn build_sample_at(dir: &Path, out: &Path) -> std::process::Output {
    ismsbook_at(dir, &["build", &dir.to_string_lossy(), "-d", &out.to_string_lossy()], SAMPLE_EPOCH)
}
