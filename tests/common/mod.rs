//! Shared test helpers: temporary handbooks, running the real binary, reading output.

#![allow(dead_code)]

pub mod browser;
pub mod serve;
pub mod site;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fixed build date (2025-11-28), so review dates and output are reproducible.
pub const EPOCH: &str = "1764288000";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh, empty temporary folder, unique per test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ismsbook-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Copies a folder tree, keeping symbolic links as links.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let ft = entry.file_type().expect("file type");
        if ft.is_symlink() {
            let target = std::fs::read_link(&src).expect("read link");
            let _ = std::fs::remove_file(&dst);
            std::os::unix::fs::symlink(target, &dst).expect("symlink");
        } else if ft.is_dir() {
            std::fs::create_dir_all(&dst).expect("mkdir");
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// Runs `ismsbook ARGS` in `cwd` with the fixed build date.
pub fn ismsbook(cwd: &Path, args: &[&str]) -> Output {
    ismsbook_at(cwd, args, EPOCH)
}

/// The sample's build date: 2026-11-28, when POL-PHYS is deliberately overdue.
pub const SAMPLE_EPOCH: &str = "1795824000";

/// Runs `ismsbook ARGS` on the repository's sample handbook, on the sample's build date.
pub fn sample(args: &[&str]) -> Output {
    ismsbook_at(&repo(), args, SAMPLE_EPOCH)
}

/// Builds the sample handbook into `out` (extra args appended).
pub fn build_sample(out: &Path, extra: &[&str]) -> Output {
    let dest = out.to_string_lossy().into_owned();
    let mut args = vec!["build", ".", "-d", &dest];
    args.extend_from_slice(extra);
    sample(&args)
}

/// The sample built once for every test of the calling test file (default classification),
/// into a temporary folder named after `name`.
pub fn shared_sample_book(name: &str) -> &'static Path {
    static OUT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    OUT.get_or_init(|| {
        let out = temp_dir(name).join("book");
        let run = build_sample(&out, &[]);
        assert!(run.status.success(), "{}", stderr(&run));
        out
    })
}

/// Runs `ismsbook ARGS` in `cwd` on the build date `epoch` (SOURCE_DATE_EPOCH).
pub fn ismsbook_at(cwd: &Path, args: &[&str], epoch: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ismsbook"))
        .args(args)
        .current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", epoch)
        .output()
        .expect("run ismsbook")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The diagnostic lines (`file:line:col: severity[code]: message`) of a run's stderr.
pub fn diagnostics(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.contains(": error[") || l.contains(": warning[") || l.contains(": info["))
        .map(str::to_string)
        .collect()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Every file under `dir`, relative, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.expect("walk");
        // The rebuild cache describes the files of its own build dir (inode numbers): it is
        // bookkeeping, not output, and differs between two build dirs of the same sources.
        if e.file_type().is_file() && e.file_name() != ismsbook::output::CACHE {
            out.push(e.path().strip_prefix(dir).expect("prefix").to_string_lossy().into_owned());
        }
    }
    out
}
