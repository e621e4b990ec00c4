//! The fuzzing harness shared by the cargo-fuzz target (`fuzz/`) and the property tests
//! (`tests/fuzz.rs`): one arbitrary input becomes a small handbook, which is built, and the
//! invariants every build must keep are checked.
//!
//! An input is split on the line `%%%%` into up to three parts: a Markdown document (front
//! matter and references), a catalogue YAML file and a `roles.yaml`. Beside them the handbook
//! always holds a fixed confidential document with a canary. Invariants: no panic; no fatal
//! error (book.toml is fixed and valid); every diagnostic has a code, a message, a file and a
//! line and column of at least 1; the canary is in no output file of the (internal) build; and
//! nothing is written outside the build dir.

use crate::build::{self, Mode, Options};
use std::path::Path;

/// The line that separates the parts of an input.
pub const SEPARATOR: &[u8] = b"\n%%%%\n";

/// Text of the confidential document that must never reach an internal build.
pub const CANARY: &str = "CANARY-7f3a9c";

/// Splits an input into (document, catalogue, roles).
pub fn split(input: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let mut parts = Vec::with_capacity(3);
    let mut rest = input;
    while parts.len() < 2 {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    let get = |i: usize| parts.get(i).copied().unwrap_or(b"");
    (get(0), get(1), get(2))
}

/// Builds `input` as a handbook in `dir` (created, emptied first) and checks the invariants.
pub fn run(dir: &Path, input: &[u8]) -> Result<(), String> {
    let (document, catalogue, roles) = split(input);
    let _ = std::fs::remove_dir_all(dir);
    let src = dir.join("src");
    let write = |rel: &str, bytes: &[u8]| -> Result<(), String> {
        let path = src.join(rel);
        std::fs::create_dir_all(path.parent().unwrap_or(&src)).map_err(|e| format!("setup: {e}"))?;
        std::fs::write(&path, bytes).map_err(|e| format!("setup: {e}"))
    };
    std::fs::create_dir_all(&src).map_err(|e| format!("setup: {e}"))?;
    std::fs::write(dir.join("book.toml"), "[book]\nsrc = \"src\"\n").map_err(|e| format!("setup: {e}"))?;
    write("docs/fuzzed.md", document)?;
    write("catalogue/fuzzed.yaml", catalogue)?;
    if !roles.is_empty() {
        write("roles.yaml", roles)?;
    }
    write(
        "secret/plan.md",
        format!("---\nid: SECRET\ntitle: {CANARY}\nclassification: confidential\n---\n# {CANARY}\n\n{CANARY}\n")
            .as_bytes(),
    )?;
    let book = dir.join("book");
    let before = tree(dir, &book);
    let opts = Options { dir: dir.to_path_buf(), ..Options::default() };
    let report = build::run(&opts, Mode::Build).map_err(|f| format!("fatal error: {}", f.0.human()))?;
    for d in &report.diagnostics {
        if d.code.is_empty() || d.message.is_empty() || d.file.is_empty() || d.line == 0 || d.column == 0 {
            return Err(format!("malformed diagnostic: {d:?}"));
        }
    }
    if tree(dir, &book) != before {
        return Err("the build wrote or deleted something outside its build dir".into());
    }
    for entry in walkdir::WalkDir::new(&book).into_iter().flatten().filter(|e| e.file_type().is_file()) {
        let bytes = std::fs::read(entry.path()).map_err(|e| format!("read output: {e}"))?;
        if String::from_utf8_lossy(&bytes).contains(CANARY) {
            return Err(format!("the confidential canary leaked into {}", entry.path().display()));
        }
    }
    Ok(())
}

/// Every path under `dir` except the build dir `book` and its staging folder and spare, sorted.
fn tree(dir: &Path, book: &Path) -> Vec<String> {
    let (staging, spare) = crate::output::companions(book);
    let mut paths: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| ![book, &staging, &spare].iter().any(|p| e.path().starts_with(p)))
        .flatten()
        .map(|e| e.path().to_string_lossy().into_owned())
        .collect();
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_parts() {
        assert_eq!(split(b"a\n%%%%\nb\n%%%%\nc"), (&b"a"[..], &b"b"[..], &b"c"[..]));
        assert_eq!(split(b"only"), (&b"only"[..], &b""[..], &b""[..]));
        assert_eq!(split(b"a\n%%%%\nb\n%%%%\nc\n%%%%\nd"), (&b"a"[..], &b"b"[..], &b"c\n%%%%\nd"[..]));
    }
}
