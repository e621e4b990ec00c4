//! The build dir as a user sees it across builds: a rebuild rewrites only what changed and is
//! byte-identical to a clean build, output grows linearly, a killed build leaves the last good
//! output complete, and nothing that is not ismsbook's own is ever renamed or deleted.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// A generated handbook of `n` documents over the fixture catalogue, cross-referencing each
/// other, the controls and the clauses.
fn generated(name: &str, n: usize) -> std::path::PathBuf {
    let dir = temp_dir(name);
    copy_tree(&repo().join("tests/fixtures/_common"), &dir);
    std::fs::create_dir_all(dir.join("procedures")).expect("mkdir");
    for i in 0..n {
        write_doc(&dir, i, "");
    }
    dir
}

fn write_doc(dir: &Path, i: usize, extra: &str) {
    let controls = ["A.5.1", "A.5.9", "A.5.15", "A.8.2", "A.8.8"];
    let text = format!(
        "---\nid: PRC-{i}\ntitle: Procedure number {i}\ntype: guideline\ncontrols: [{c}]\n---\n# Procedure {i}\n\n\
         ## Steps\n\nFollow [[POL-BASE]], [[{c}]] and [[6.1.2]]; see also [[PRC-{j}]].\n\n\
         | step | who |\n|---|---|\n| one | **owner** |\n{extra}\n",
        c = controls[i % controls.len()],
        j = (i + 1) % 7,
    );
    std::fs::write(dir.join(format!("procedures/p{i:05}.md")), text).expect("write");
}

/// Every file under `dir` (relative path -> bytes).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files(dir).into_iter().map(|rel| (rel.clone(), std::fs::read(dir.join(&rel)).expect("read"))).collect()
}

/// The paths where two snapshots differ (empty when identical).
fn differences(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).take(20).cloned().collect()
}

fn mtimes(dir: &Path) -> BTreeMap<String, SystemTime> {
    let modified = |rel: &String| std::fs::metadata(dir.join(rel)).expect("metadata").modified().expect("mtime");
    files(dir).into_iter().map(|rel| (rel.clone(), modified(&rel))).collect()
}

fn build(dir: &Path, args: &[&str]) -> String {
    let mut argv = vec!["build", "."];
    argv.extend_from_slice(args);
    let run = ismsbook(dir, &argv);
    assert!(run.status.success(), "{}", stderr(&run));
    stderr(&run)
}

/// A build of `dir`'s sources into a fresh folder outside it; returns that folder.
fn clean_build(dir: &Path) -> std::path::PathBuf {
    let out = dir.with_file_name(format!("{}-clean", dir.file_name().expect("name").to_string_lossy()));
    let _ = std::fs::remove_dir_all(&out);
    build(dir, &["-d", &out.to_string_lossy()]);
    out
}

/// `(N written, M removed)` from a build's summary line.
fn written_removed(summary: &str) -> (usize, usize) {
    let tail = summary.rsplit_once('(').map(|(_, t)| t).unwrap_or_default();
    let nums: Vec<usize> = tail.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).collect();
    assert_eq!(nums.len(), 2, "no written/removed counts in: {summary}");
    (nums[0], nums[1])
}

#[test]
fn a_2000_document_rebuild_rewrites_nothing_unchanged_and_equals_a_clean_build() {
    let dir = generated("scale", 2000);
    let first = build(&dir, &[]);
    let book = dir.join("book");
    let files_first = snapshot(&book);
    let times_first = mtimes(&book);
    assert!(files_first.len() > 2000, "{} files", files_first.len());
    assert_eq!(written_removed(&first).1, 0);

    // Linear output: the average page does not grow with the page count (no per-page nav).
    let docs: Vec<usize> =
        files_first.iter().filter(|(k, _)| k.starts_with("procedures/")).map(|(_, v)| v.len()).collect();
    let small = generated("scale-small", 200);
    build(&small, &[]);
    let small_docs: Vec<usize> = snapshot(&small.join("book"))
        .iter()
        .filter(|(k, _)| k.starts_with("procedures/"))
        .map(|(_, v)| v.len())
        .collect();
    let avg = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len() as f64;
    assert!(avg(&docs) < avg(&small_docs) * 1.1, "pages grew: {} -> {} bytes", avg(&small_docs), avg(&docs));
    let total: usize = files_first.values().map(Vec::len).sum();
    let small_total: usize = snapshot(&small.join("book")).values().map(Vec::len).sum();
    assert!((total as f64) < small_total as f64 * 10.0 * 1.25, "output {small_total} -> {total} bytes");

    // The second build writes nothing: every file keeps its bytes and its mtime.
    let second = build(&dir, &[]);
    assert_eq!(written_removed(&second), (0, 0), "{second}");
    // Nor does it render anything: the rebuild cache says what each file was made from.
    assert!(second.contains(", 0 rendered -> "), "{second}");
    assert_eq!(differences(&snapshot(&book), &files_first), Vec::<String>::new());
    assert_eq!(mtimes(&book), times_first, "an unchanged file was rewritten");

    // One edit, one deletion, one new document: a handful of files change, the output is
    // byte-identical to a clean build of the same sources, and no stale page remains.
    write_doc(&dir, 5, "An added line.");
    std::fs::remove_file(dir.join("procedures/p00010.md")).expect("rm");
    write_doc(&dir, 2000, "");
    for pass in 0..2 {
        let third = build(&dir, &[]);
        let (written, removed) = written_removed(&third);
        // Besides a handful of pages, an edit rewrites part of the search index: one aggregate
        // over every page (like handbook.json, but sharded), whose term shards and section
        // chunks the edit touches.
        let search_files = snapshot(&book).keys().filter(|k| k.starts_with("search/")).count();
        assert!(written > 0 && written < 40 + search_files, "{third}");
        // Removed: what the live output had and no longer has (the deleted page, once).
        assert_eq!(removed, usize::from(pass == 0), "{third}");
        let diff = differences(&snapshot(&book), &snapshot(&clean_build(&dir)));
        assert_eq!(diff, Vec::<String>::new(), "rebuild differs from a clean build");
        // Once more from the spare (two builds old): still identical.
        write_doc(&dir, 6, "Another line.");
    }
    assert!(!book.join("procedures/p00010.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&small);
}

#[test]
fn a_clean_build_leaves_only_the_folders_of_its_pages() {
    let dir = generated("folders", 20);
    build(&dir, &[]);
    // Each folder of the staging folder is created under a temporary name and renamed
    // (see output.rs, `spread_folders`): none of those names may be left, nor an empty folder.
    let mut folders = Vec::new();
    for e in walkdir::WalkDir::new(dir.join("book")).min_depth(1) {
        let e = e.expect("walk");
        if e.file_type().is_dir() {
            let rel = e.path().strip_prefix(dir.join("book")).expect("prefix").to_string_lossy().into_owned();
            assert!(std::fs::read_dir(e.path()).expect("read").next().is_some(), "empty folder {rel}");
            folders.push(rel);
        }
    }
    folders.retain(|f| !f.contains('/'));
    folders.sort();
    assert_eq!(folders, ["assets", "clauses", "controls", "oscal", "policies", "procedures", "roles", "search"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_build_leaves_the_last_good_output_complete() {
    let dir = generated("kill", 3000);
    build(&dir, &[]);
    let book = dir.join("book");
    let good = snapshot(&book);
    // Every page changes in the next build (the build date is on every page).
    let mut killed_mid_build = 0;
    for (round, delay_ms) in [40u64, 120, 250, 400, 700, 1000].into_iter().enumerate() {
        write_doc(&dir, round, &format!("Round {round}."));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ismsbook"))
            .args(["build", "."])
            .current_dir(&dir)
            .env("SOURCE_DATE_EPOCH", format!("{}", 1764288000 + 86400 * (round + 1)))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        if child.try_wait().expect("wait").is_none() {
            killed_mid_build += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().expect("reap");
        let now = snapshot(&book);
        let finished = now != good;
        if finished {
            // The build won the race: its output must be a complete new build.
            assert_eq!(now.keys().collect::<Vec<_>>(), good.keys().collect::<Vec<_>>(), "round {round}: incomplete");
            break;
        }
        assert_eq!(differences(&now, &good), Vec::<String>::new(), "round {round}: the last good output changed");
    }
    assert!(killed_mid_build >= 2, "only {killed_mid_build} build(s) killed mid-way: make the book larger");
    // A build after the kills completes and equals a clean build.
    build(&dir, &[]);
    assert_eq!(differences(&snapshot(&book), &snapshot(&clean_build(&dir))), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nothing_that_is_not_ismsbooks_own_is_renamed_or_deleted() {
    let dir = generated("owned", 7);
    std::fs::write(dir.join("notes.txt"), "my notes").expect("write");
    let run = ismsbook(&dir, &["build", ".", "-d", "notes.txt"]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert_eq!(read(&dir.join("notes.txt")), "my notes");
    assert!(!dir.join(".notes.txt.old").exists() && !dir.join(".notes.txt.staging").exists());
    for folder in [".book.staging", ".book.old"] {
        std::fs::create_dir_all(dir.join(folder)).expect("mkdir");
        std::fs::write(dir.join(folder).join("mine.txt"), "mine").expect("write");
        for cmd in ["build", "clean"] {
            let run = ismsbook(&dir, &[cmd]);
            assert_eq!(run.status.code(), Some(2), "{cmd} with {folder}: {}", stderr(&run));
            assert!(stderr(&run).contains("error[unsafe-build-dir]"), "{}", stderr(&run));
            assert_eq!(read(&dir.join(folder).join("mine.txt")), "mine");
        }
        std::fs::remove_dir_all(dir.join(folder)).expect("rm");
    }
    // Its own companions are reused and cleaned.
    build(&dir, &[]);
    build(&dir, &[]);
    assert!(dir.join(".book.old/.ismsbook-build").exists());
    assert!(ismsbook(&dir, &["clean"]).status.success());
    assert!(!dir.join("book").exists() && !dir.join(".book.old").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `(files, rendered)` from a build's summary: `built N files (...) in T ms, R rendered -> ...`.
fn rendered(summary: &str) -> (usize, usize) {
    let line = summary.lines().find(|l| l.starts_with("built ")).unwrap_or_else(|| panic!("no summary: {summary}"));
    let files = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("file count");
    let before = line.split(" rendered -> ").next().expect("rendered count");
    let count = before.rsplit(' ').next().and_then(|n| n.parse().ok()).expect("rendered count");
    (files, count)
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = read(path);
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn each_kind_of_edit_rebuilds_from_the_cache_to_exactly_a_clean_build() {
    let dir = generated("kinds", 40);
    std::fs::create_dir_all(dir.join("theme")).expect("mkdir");
    std::fs::write(dir.join("book.toml"), read(&dir.join("book.toml")) + "\n[output.html]\ntheme = \"theme\"\n")
        .expect("write");
    let (files, all) = rendered(&build(&dir, &[]));
    assert!(all > 40 && all <= files, "{all} of {files}");
    type Edit = Box<dyn Fn(&Path)>;
    // (edit, whether it renders only a part of the site)
    let edits: Vec<(&str, Edit, bool)> = vec![
        ("body", Box::new(|d| write_doc(d, 3, "A new line of body text.")), true),
        ("title", Box::new(|d| replace_in(&d.join("procedures/p00004.md"), "Procedure number 4", "Renamed 4")), false),
        ("front matter", Box::new(|d| replace_in(&d.join("procedures/p00005.md"), "[A.5.1]", "[A.5.9]")), true),
        (
            "catalogue",
            Box::new(|d| replace_in(&d.join("catalogue/mini.yaml"), "Have policies.", "Keep policies.")),
            false,
        ),
        (
            "theme",
            Box::new(|d| {
                let page = ismsbook::theme::DEFAULT.iter().find(|(n, _)| *n == "404.html").unwrap().1;
                let page = String::from_utf8(page.to_vec()).unwrap();
                let lost = page.replacen("{% block content %}", "{% block content %}<p>Lost?</p>", 1);
                std::fs::write(d.join("theme/404.html"), lost).unwrap();
            }),
            false,
        ),
        ("delete", Box::new(|d| std::fs::remove_file(d.join("procedures/p00007.md")).unwrap()), false),
        (
            "rename",
            Box::new(|d| std::fs::rename(d.join("procedures/p00008.md"), d.join("procedures/renamed.md")).unwrap()),
            false,
        ),
        ("nothing", Box::new(|_| {}), true),
    ];
    let book = dir.join("book");
    for (kind, edit, partial) in &edits {
        edit(&dir);
        let summary = build(&dir, &[]);
        let (files, count) = rendered(&summary);
        if *partial {
            // Under a third of the files (a front-matter edit renders 26 of 92: the document,
            // its controls, the auditor pages, the exports; the search index now has half as
            // many files as when this was "a quarter").
            assert!(count * 3 < files, "{kind}: {summary}");
        } else {
            assert!(count * 4 > files, "{kind}: {summary}");
        }
        if *kind == "nothing" {
            assert_eq!((count, written_removed(&summary)), (0, (0, 0)), "{summary}");
        }
        assert_eq!(differences(&snapshot(&book), &snapshot(&clean_build(&dir))), Vec::<String>::new(), "{kind}");
    }
    assert!(read(&book.join("404.html")).contains("Lost?"));
    assert!(book.join("procedures/renamed.html").exists() && !book.join("procedures/p00008.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tampered_output_is_repaired_and_a_corrupt_cache_ignored() {
    let dir = generated("tamper", 20);
    let (_, all) = rendered(&build(&dir, &[]));
    let book = dir.join("book");
    let good = snapshot(&book);
    // Someone edits a page, deletes another, and replaces a third with the same size.
    std::fs::write(book.join("procedures/p00001.html"), "defaced").expect("write");
    std::fs::remove_file(book.join("procedures/p00002.html")).expect("rm");
    let p3 = book.join("procedures/p00003.html");
    let same_size = "x".repeat(std::fs::metadata(&p3).expect("stat").len() as usize);
    std::fs::remove_file(&p3).expect("rm");
    std::fs::write(&p3, same_size).expect("write");
    let summary = build(&dir, &[]);
    assert_eq!(differences(&snapshot(&book), &good), Vec::<String>::new(), "{summary}");
    // A corrupt cache is no cache: everything is rendered, and the output is still exact.
    let cache = book.join(ismsbook::output::CACHE);
    assert!(cache.is_file());
    std::fs::write(&cache, b"{\"format\": garbage").expect("write");
    assert_eq!(rendered(&build(&dir, &[])).1, all);
    assert_eq!(differences(&snapshot(&book), &good), Vec::<String>::new());
    // And the cache written then serves the next build.
    assert_eq!(rendered(&build(&dir, &[])).1, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
