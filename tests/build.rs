//! End-to-end tests of `ismsbook build`, `clean` and `init` on the sample and on fixtures:
//! what a user finds in the build dir.

mod common;
use common::*;

#[test]
fn sample_builds_with_only_the_deliberate_warnings_and_no_broken_link() {
    let tmp = temp_dir("sample");
    let out = tmp.join("book");
    let run = build_sample(&out, &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(
        diagnostics(&run),
        [
            "sample-isms/policies/physical-security.md:9:1: warning[review-overdue]: POL-PHYS was due for review on 2026-09-30 (59 days ago)",
            "sample-isms/risks.yaml:88:152: warning[risk-action-overdue]: an open action of R-006 was due on 2026-11-15 (13 days ago)",
            "sample-isms/soa.yaml:23:1: warning[control-not-implemented]: A.5.6 Contact with special interest groups is applicable but no document implements it",
        ]
    );
    let summary = stderr(&run);
    assert!(summary.contains("documents, 93 controls, 41 clauses)"), "{summary}");
    for page in [
        "index.html",
        "404.html",
        "nav.js",
        "policies/access-control.html",
        "guides/first-day.html",
        "controls/index.html",
        "controls/A.5.15.html",
        "clauses/index.html",
        "clauses/6.1.2.html",
        "roles/security-officer.html",
        "risks/index.html",
        "risks/R-001.html",
        "risks.csv",
        "soa.html",
        "soa.csv",
        "register.html",
        "register.csv",
        "coverage.html",
        "handbook.json",
    ] {
        assert!(out.join(page).is_file(), "missing {page}");
    }
    assert_eq!(site::broken_links(&out), Vec::<String>::new());
    // A control page lists the documents, and the sections, that implement it.
    let soa = read(&out.join("soa.html"));
    assert!(soa.contains("<a class=\"section\" href=\"policies/access-control.html#"), "SoA links no section");
    let ac = read(&out.join("controls/A.5.15.html"));
    assert!(ac.contains("../policies/access-control.html\">Access Control Policy</a>"), "{ac}");
    assert!(ac.contains("../policies/access-control.html#"), "no section backlink");
}

#[test]
fn confidential_documents_leave_no_trace_unless_asked_for() {
    let tmp = temp_dir("classification");
    let internal = tmp.join("internal");
    assert!(build_sample(&internal, &[]).status.success());
    assert!(!internal.join("isms/risk-treatment-plan.html").exists());
    for f in files(&internal) {
        let text = String::from_utf8_lossy(&std::fs::read(internal.join(&f)).unwrap_or_default()).into_owned();
        assert!(!text.contains("REC-RTP") && !text.contains("Risk Treatment Plan 20"), "{f} mentions REC-RTP");
    }
    let conf = tmp.join("confidential");
    let run = build_sample(&conf, &["--classification", "confidential"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(conf.join("isms/risk-treatment-plan.html").is_file());
    assert!(read(&conf.join("register.csv")).contains("REC-RTP,"));
    let bad = build_sample(&tmp.join("x"), &["--classification", "top-secret"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("error[unknown-classification]"));
}

#[test]
fn same_sources_give_byte_identical_output() {
    let tmp = temp_dir("repro");
    let (a, b) = (tmp.join("a"), tmp.join("b"));
    assert!(build_sample(&a, &[]).status.success());
    assert!(build_sample(&b, &[]).status.success());
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa, fb);
    for f in fa {
        assert!(std::fs::read(a.join(&f)).ok() == std::fs::read(b.join(&f)).ok(), "{f} differs between builds");
    }
}

/// A copy of the common fixture handbook in a temp dir.
fn fixture_handbook(name: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    copy_tree(&repo().join("tests/fixtures/_common"), &dir);
    dir
}

#[test]
fn a_failed_build_leaves_the_last_good_build() {
    let dir = fixture_handbook("atomic");
    assert!(ismsbook(&dir, &["build"]).status.success());
    let before = files(&dir.join("book"));
    assert!(before.contains(&"policies/base.html".to_string()));
    std::fs::write(dir.join("policies/broken.md"), "---\nid: X-1\n---\n# Broken\n\n[[NOPE-1]]\n").expect("write");
    let run = ismsbook(&dir, &["build"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("build failed: the previous output in book is left as it was"));
    assert_eq!(files(&dir.join("book")), before);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("read")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "staging folder left behind");
}

#[test]
fn clean_removes_only_a_build_dir_it_wrote() {
    let dir = fixture_handbook("clean");
    assert!(ismsbook(&dir, &["build"]).status.success());
    assert!(dir.join("book/index.html").exists());
    assert!(ismsbook(&dir, &["clean"]).status.success());
    assert!(!dir.join("book").exists());
    // A folder someone else made is neither replaced nor cleaned.
    std::fs::create_dir_all(dir.join("book")).expect("mkdir");
    std::fs::write(dir.join("book/notes.txt"), "mine").expect("write");
    for cmd in ["clean", "build"] {
        let run = ismsbook(&dir, &[cmd]);
        assert_eq!(run.status.code(), Some(2), "{cmd}");
        assert!(stderr(&run).contains("error[unsafe-build-dir]"), "{}", stderr(&run));
    }
    assert_eq!(read(&dir.join("book/notes.txt")), "mine");
    // Nor the folder of book.toml.
    std::fs::write(dir.join("book.toml"), "[build]\nbuild-dir = \".\"\n").expect("write");
    assert_eq!(ismsbook(&dir, &["clean"]).status.code(), Some(2));
    assert!(dir.join("soa.yaml").exists());
}

#[test]
fn init_writes_a_handbook_that_builds_without_a_warning() {
    let tmp = temp_dir("init");
    let run = ismsbook(&tmp, &["init", "my-isms"]);
    assert!(run.status.success(), "{}", stderr(&run));
    for f in
        ["book.toml", "policies/information-security-policy.md", "catalogue/starter.yaml", "soa.yaml", "roles.yaml"]
    {
        assert!(tmp.join("my-isms").join(f).is_file(), "init did not write {f}");
    }
    let build = ismsbook(&tmp, &["build", "my-isms"]);
    assert!(build.status.success(), "{}", stderr(&build));
    assert_eq!(diagnostics(&build), Vec::<String>::new());
    assert!(tmp.join("my-isms/book/policies/information-security-policy.html").is_file());
    // A second init never overwrites.
    let again = ismsbook(&tmp, &["init", "my-isms"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("error[init-exists]"));
    // --full: the whole catalogue; no errors, and the warnings are the to-do list.
    assert!(ismsbook(&tmp, &["init", "--full", "full"]).status.success());
    let full = ismsbook(&tmp, &["check", "full"]);
    assert_eq!(full.status.code(), Some(0), "{}", stderr(&full));
    assert!(stderr(&full).contains("checked 2 documents, 93 controls, 41 clauses"), "{}", stderr(&full));
}

#[test]
fn soa_and_register_csv_have_the_contract_columns() {
    let dir = fixture_handbook("csv");
    std::fs::write(
        dir.join("policies/second.md"),
        "---\nid: STD-2\ntitle: \"Second, \\\"quoted\\\" standard\"\ntype: standard\nowner: ciso\nversion: 2\napproved: 2025-01-01\nreview: 2025-12-10\n---\n# S\n\nCites [[A.5.9]].\n",
    )
    .expect("write");
    let run = ismsbook(&dir, &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(
        read(&dir.join("book/soa.csv")),
        "control,title,theme,applicable,justification,status,implemented_by\r\n\
         A.5.1,Policies for information security,organizational,yes,Needed,implemented,POL-BASE\r\n\
         A.5.9,Inventory of information and other associated assets,organizational,yes,Needed,implemented,POL-BASE;STD-2\r\n\
         A.5.15,Access control,organizational,yes,Needed,partial,POL-BASE\r\n\
         A.5.36,\"Compliance with policies, rules and standards for information security\",organizational,yes,Needed,planned,POL-BASE\r\n\
         A.8.2,Privileged access rights,technological,yes,Needed,implemented,POL-BASE\r\n\
         A.8.8,Management of technical vulnerabilities,technological,yes,Needed,implemented,POL-BASE\r\n"
    );
    assert_eq!(
        read(&dir.join("book/register.csv")),
        "id,title,type,version,owner,approver,approved,review,classification,review_status,path\r\n\
         POL-BASE,Base Policy,policy,1.0,ciso,ceo,2025-01-10,2026-12-31,internal,current,policies/base.md\r\n\
         STD-2,\"Second, \"\"quoted\"\" standard\",standard,2,ciso,,2025-01-01,2025-12-10,internal,due within 30 days,policies/second.md\r\n"
    );
    let json = read(&dir.join("book/handbook.json"));
    assert!(json.contains("\"schema_version\": 1"));
    assert!(json.contains("\"sha256\": \""));
    assert!(json.contains("\"implemented_by\": [\n        \"POL-BASE\",\n        \"STD-2\"\n      ]"), "{json}");
}

#[test]
fn markdown_features_and_heading_anchors() {
    let dir = fixture_handbook("markdown");
    std::fs::write(
        dir.join("policies/features.md"),
        "# Features\n\n## Scope\n\nText[^1] with ~~old~~ words.\n\n## Scope\n\n| A | B |\n|---|---|\n| [[A.5.15\\|access]] | 2 |\n\n\
         - [x] done\n- [ ] open\n\n### Custom {#my-id}\n\n[[POL-BASE#scope]] and [[A.9.2.3]].\n\n[^1]: A footnote.\n",
    )
    .expect("write");
    let run = ismsbook(&dir, &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let html = read(&dir.join("book/policies/features.html"));
    for needle in [
        "<h2 id=\"scope\">",
        "<h2 id=\"scope-1\">",
        "<h3 id=\"my-id\">",
        "href=\"#scope\" aria-hidden=\"true\" tabindex=\"-1\">#</a>",
        "<del>old</del>",
        "<table>",
        "type=\"checkbox\"",
        "footnote-definition",
        "<a href=\"../controls/A.5.15.html\">access</a>",
        "<a href=\"../policies/base.html#scope\">Base Policy</a>",
        "<a href=\"../controls/A.8.2.html\">A.8.2 Privileged access rights</a>",
    ] {
        assert!(html.contains(needle), "missing {needle} in\n{html}");
    }
    assert_eq!(site::broken_links(&dir.join("book")), Vec::<String>::new());
}

#[test]
fn output_grows_linearly_with_the_page_count() {
    let size_per_page = |n: usize| {
        let dir = fixture_handbook(&format!("size{n}"));
        for i in 0..n {
            std::fs::write(
                dir.join(format!("policies/p{i:04}.md")),
                format!("---\nid: GDL-{i}\ntitle: A rather long document title number {i}\n---\n# T\n\nBody.\n"),
            )
            .expect("write");
        }
        assert!(ismsbook(&dir, &["build"]).status.success());
        let page = std::fs::metadata(dir.join("book/policies/p0000.html")).map(|m| m.len()).unwrap_or(0);
        let nav = std::fs::metadata(dir.join("book/nav.js")).map(|m| m.len()).unwrap_or(0);
        (page, nav)
    };
    let (small_page, small_nav) = size_per_page(20);
    let (big_page, big_nav) = size_per_page(400);
    // A page does not carry the navigation: its size does not depend on the page count ...
    assert!(big_page < small_page + 200, "page grew from {small_page} to {big_page} bytes");
    // ... while the one shared nav file grows with it.
    assert!(big_nav > small_nav * 10, "nav.js {small_nav} -> {big_nav}");
}

#[test]
fn a_theme_folder_overrides_files_by_name() {
    let dir = fixture_handbook("theme");
    std::fs::write(dir.join("book.toml"), "[book]\ntitle = \"T\"\n\n[output.html]\ntheme = \"my-theme\"\n")
        .expect("write");
    std::fs::create_dir_all(dir.join("my-theme/assets")).expect("mkdir");
    std::fs::write(
        dir.join("my-theme/404.html"),
        "{% extends \"base.html\" %}{% block content %}Lost? Ask IT.{% endblock content %}",
    )
    .expect("write");
    std::fs::write(dir.join("my-theme/assets/style.css"), "body { color: rebeccapurple; }").expect("write");
    std::fs::write(dir.join("my-theme/assets/logo.svg"), "<svg/>").expect("write");
    let run = ismsbook(&dir, &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(read(&dir.join("book/404.html")).contains("Lost? Ask IT."));
    assert_eq!(read(&dir.join("book/assets/style.css")), "body { color: rebeccapurple; }");
    assert!(dir.join("book/assets/logo.svg").is_file());
    // Files the theme does not override come from the built-in theme.
    assert!(read(&dir.join("book/assets/ismsbook.js")).contains("ISMSBOOK_NAV"));
    assert!(!dir.join("book/my-theme").exists(), "the theme folder is not content");
}

#[test]
fn help_and_bad_command_lines() {
    let tmp = temp_dir("cli");
    let help = ismsbook(&tmp, &["--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    for cmd in ["build", "check", "init", "clean"] {
        assert!(text.contains(cmd), "{text}");
    }
    assert_eq!(ismsbook(&tmp, &["frobnicate"]).status.code(), Some(2));
    assert_eq!(ismsbook(&tmp, &["check", "--format", "xml"]).status.code(), Some(2));
}

#[test]
fn check_json_lists_diagnostics() {
    let dir = fixture_handbook("json");
    std::fs::write(dir.join("policies/bad.md"), "---\nid: GDL-BAD\n---\n# Bad\n\nSee [[A.5.99]].\n").expect("write");
    let run = ismsbook(&dir, &["check", "--format", "json"]);
    assert_eq!(run.status.code(), Some(1));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.trim_start().starts_with('['), "{out}");
    for needle in [
        "\"severity\": \"error\"",
        "\"code\": \"unknown-control\"",
        "\"file\": \"policies/bad.md\"",
        "\"line\": 6",
        "\"column\": 5",
        "\"message\": \"no control A.5.99 (did you mean A.5.9, A.5.1, A.5.15?)\"",
    ] {
        assert!(out.contains(needle), "missing {needle} in {out}");
    }
    assert!(!dir.join("book").exists(), "check must not write");
}
