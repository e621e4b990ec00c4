//! Property tests over front matter, references and catalogue YAML: generated handbooks (and
//! raw bytes) are built through `ismsbook::fuzzing::run`, which checks that nothing panics,
//! every diagnostic is well formed, nothing is written outside the build dir and a confidential
//! canary never reaches an internal build. The committed corpus in `fuzz/corpus/handbook/` (the
//! seeds of the cargo-fuzz target in `fuzz/`) runs first as regression cases. A few hundred
//! generated cases keep this test to seconds; `PROPTEST_CASES=5000 cargo test --test fuzz`
//! runs more.

mod common;
use proptest::prelude::*;

fn dir(name: &str) -> std::path::PathBuf {
    common::temp_dir(&format!("fuzz-{name}-{:?}", std::thread::current().id()))
}

/// A short piece of text from characters that matter to YAML, Markdown and paths.
fn text() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "A.5.1",
        "A.5.15",
        "5.2",
        "6.1.2",
        "A.9.2.3",
        "POL-X",
        "../",
        "..",
        "/",
        "\\",
        ":",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "|",
        "#",
        "%",
        "\"",
        "'",
        "\n",
        "  ",
        "\t",
        "\u{feff}",
        "é",
        "🙂",
        "---",
        "<script>",
        "javascript:",
        "null",
        "true",
        "1.10",
        "2026-03-01",
        "2026-13-45",
        "confidential",
        "public",
        "ciso",
        "&",
        "*a",
        "&a ",
        "!!str ",
    ]);
    prop::collection::vec(atoms, 0..6).prop_map(|v| v.concat())
}

fn front_matter() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "id",
        "title",
        "type",
        "owner",
        "approver",
        "version",
        "approved",
        "review",
        "classification",
        "audience",
        "controls",
        "clauses",
        "history",
        "unknown",
    ]);
    let value = prop_oneof![
        text(),
        text().prop_map(|t| format!("[{t}]")),
        (text(), text()).prop_map(|(a, b)| format!("[{a}, {b}]")),
        text().prop_map(|t| format!("\n  - {t}")),
        text().prop_map(|t| format!("{{ a: {t} }}")),
        Just(String::new()),
    ];
    prop::collection::vec((keys, value), 0..8)
        .prop_map(|kv| kv.into_iter().map(|(k, v)| format!("{k}: {v}\n")).collect())
}

fn body() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        text().prop_map(|t| format!("[[{t}]]")),
        (text(), text()).prop_map(|(a, b)| format!("[[{a}|{b}]]")),
        (text(), text()).prop_map(|(a, b)| format!("[[{a}#{b}]]")),
        (text(), text()).prop_map(|(a, b)| format!("[{a}]({b})")),
        text().prop_map(|t| format!("<a href=\"{t}\">x</a>")),
        text().prop_map(|t| format!("\n## {t}\n")),
        text().prop_map(|t| format!("`[[{t}]]`")),
        text(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.join(" "))
}

fn document() -> impl Strategy<Value = String> {
    (prop::bool::ANY, prop::bool::ANY, front_matter(), body()).prop_map(|(bom, fm, yaml, body)| {
        let mut s = if bom { "\u{feff}".to_string() } else { String::new() };
        if fm {
            s.push_str(&format!("---\n{yaml}---\n"));
        }
        s.push_str("# Title\n\n");
        s.push_str(&body);
        s
    })
}

fn catalogue() -> impl Strategy<Value = String> {
    fn item() -> impl Strategy<Value = String> {
        (text(), text(), body()).prop_map(|(id, title, guidance)| {
            format!("  - id: {id}\n    title: {title}\n    guidance: {guidance:?}\n    replaces: [{id}]\n")
        })
    }
    (text(), prop::collection::vec(item(), 0..4), prop::collection::vec(item(), 0..4)).prop_map(
        |(framework, clauses, controls)| {
            format!("framework: {{ id: {framework} }}\nclauses:\n{}controls:\n{}", clauses.concat(), controls.concat())
        },
    )
}

fn roles() -> impl Strategy<Value = String> {
    prop::collection::vec((text(), text()), 0..4)
        .prop_map(|v| v.into_iter().map(|(id, title)| format!("- id: {id}\n  title: {title}\n")).collect())
}

fn check(name: &str, input: &[u8]) -> Result<(), TestCaseError> {
    let d = dir(name);
    let result = ismsbook::fuzzing::run(&d, input);
    let _ = std::fs::remove_dir_all(&d);
    result.map_err(|e| TestCaseError::fail(format!("{e}\ninput: {:?}", String::from_utf8_lossy(input))))
}

#[test]
fn corpus_regressions() {
    let corpus = common::repo().join("fuzz/corpus/handbook");
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).expect("fuzz/corpus/handbook") {
        let path = entry.expect("entry").path();
        let input = std::fs::read(&path).expect("read");
        if let Err(e) = check("corpus", &input) {
            panic!("{}: {e}", path.display());
        }
        n += 1;
    }
    assert!(n >= 5, "the committed corpus has {n} inputs");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_handbooks_keep_the_invariants(doc in document(), cat in catalogue(), roles in roles()) {
        let input = format!("{doc}\n%%%%\n{cat}\n%%%%\n{roles}");
        check("generated", input.as_bytes())?;
    }

    #[test]
    fn arbitrary_bytes_keep_the_invariants(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check("bytes", &bytes)?;
    }
}
