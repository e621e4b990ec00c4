//! Hostile and careless input: no write outside the build dir, no leak, no hang.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every entry under `dir` (files, folders and links, with file sizes) except under `skip`.
fn snapshot(dir: &Path, skip: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let walker = walkdir::WalkDir::new(dir).follow_links(false).sort_by_file_name();
    for e in walker.into_iter().filter_entry(|e| !e.path().starts_with(skip)) {
        let e = e.expect("walk");
        let len = if e.file_type().is_file() { e.metadata().map(|m| m.len()).unwrap_or(0) } else { 0 };
        out.insert(e.path().strip_prefix(dir).expect("prefix").to_string_lossy().into_owned(), len);
    }
    out
}

/// A handbook at `<temp>/outer/h` made of the fixture common files plus `extra` files.
fn handbook(name: &str, extra: &[(&str, &str)]) -> (std::path::PathBuf, std::path::PathBuf) {
    let outer = temp_dir(name).join("outer");
    let h = outer.join("h");
    std::fs::create_dir_all(&h).expect("mkdir");
    copy_tree(&repo().join("tests/fixtures/_common"), &h);
    for (rel, text) in extra {
        let p = h.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    (outer, h)
}

fn append(path: &Path, text: &str) {
    let mut s = read(path);
    s.push_str(text);
    std::fs::write(path, s).expect("write");
}

/// Traversal through every kind of id and through file names: each is an error naming the
/// file and line, and neither `build` nor `check` writes or deletes anything outside the build
/// dir (the whole tree around the handbook is compared before and after).
#[test]
fn no_id_or_path_writes_outside_the_build_dir() {
    let (outer, h) = handbook(
        "traversal",
        &[
            (
                "catalogue/hostile.yaml",
                "framework: { id: hostile, title: H }\nclauses:\n  - id: \"../../../clause-escaped\"\n    title: C\n\
                 controls:\n  - id: \"../../../control-escaped\"\n    title: X\n  - id: \"..\"\n    title: Y\n",
            ),
            ("docs/ok.md", "---\nid: ../../../doc-id-escaped\ntitle: Odd id\n---\n# Odd id\n"),
        ],
    );
    append(&h.join("roles.yaml"), "- id: ../../../role-escaped\n  title: Escaper\n- id: \"..\\\\..\\\\win\"\n");
    // A backslash is an ordinary character in a Unix file name: `..\..\x.md` must not
    // become `../../x.html`.
    std::fs::write(h.join("docs/x\\..\\..\\..\\doc-path-escaped.md"), "# Escaped\n").expect("write");
    std::fs::write(h.join("docs/..\\..\\..\\hidden-escaped.md"), "# Escaped\n").expect("write");
    let before = snapshot(&outer, &h.join("book"));
    for args in [["build", "h"], ["check", "h"]] {
        let out = ismsbook(&outer, &args);
        let d = diagnostics(&out).join("\n");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        for needle in [
            "h/catalogue/hostile.yaml:3:5: error[unsafe-id]: clause id `../../../clause-escaped`",
            "h/catalogue/hostile.yaml:6:5: error[unsafe-id]: control id `../../../control-escaped`",
            "h/catalogue/hostile.yaml:8:5: error[unsafe-id]: control id `..`",
            "h/roles.yaml:8:3: error[unsafe-id]: role id `../../../role-escaped`",
            "h/roles.yaml:10:3: error[unsafe-id]: role id `..\\\\..\\\\win`",
            "error[unsafe-path]: this file name cannot become a URL: it contains `/` or `\\`",
        ] {
            assert!(d.contains(needle), "{args:?}: missing `{needle}` in\n{d}");
        }
        assert_eq!(snapshot(&outer, &h.join("book")), before, "{args:?} changed files outside the build dir");
        assert!(!h.join("book").exists(), "a failed first build leaves no build dir");
    }
}

/// Ids that look odd but are safe build, and every file lands inside the build dir.
#[test]
fn odd_but_safe_ids_stay_inside_the_build_dir() {
    let (outer, h) = handbook(
        "odd-ids",
        &[
            (
                "catalogue/odd.yaml",
                "framework: { id: odd, title: O }\nclauses:\n  - id: \"9..9\"\n    title: Dots\n\
                 controls:\n  - id: \"X..1\"\n    title: Dots\n",
            ),
            ("docs/ok.md", "---\nid: ../../../doc-id\ntitle: Odd id\n---\n# Odd id\n\nSee [[X..1]] and [[9..9]].\n"),
            ("soa-extra.txt", "not a page\n"),
        ],
    );
    append(&h.join("roles.yaml"), "- id: Sécurité équipe\n  title: Team\n");
    append(&h.join("soa.yaml"), "- control: X..1\n  applicable: false\n  justification: \"Odd\"\n");
    let before = snapshot(&outer, &h.join("book"));
    let out = ismsbook(&outer, &["build", "h"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(snapshot(&outer, &h.join("book")), before, "the build changed files outside its build dir");
    let built = files(&h.join("book"));
    for page in ["controls/X..1.html", "clauses/9..9.html", "roles/Sécurité équipe.html", "docs/ok.html"] {
        assert!(built.iter().any(|f| f == page), "{page} missing from {built:?}");
    }
}
