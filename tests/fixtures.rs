//! The fixture-per-feature suite: each `tests/fixtures/<case>/` is a handbook (laid over
//! `tests/fixtures/_common/`) and an `expected.txt`:
//!
//! ```text
//! args: check .          (optional, default `check .`)
//! exit: 1
//! delete: soa.yaml       (optional: a _common file this case removes)
//! fifo: docs/pipe.md     (optional: a named pipe made before the run; git cannot hold one)
//! policies/x.md:3:5: error[unknown-control]: no control A.5.99 (did you mean A.5.9?)
//! ```
//!
//! The run must print exactly the listed diagnostic lines, in order, and exit as stated.
//! A new case is a folder and one line in the `fixtures!` list below. `ISMSBOOK_BLESS=1`
//! rewrites `expected.txt` from the actual output (review the diff before committing).

mod common;
use common::*;
use std::path::Path;

fn run_fixture(name: &str) {
    let fixture = repo().join("tests/fixtures").join(name);
    let expected_file = fixture.join("expected.txt");
    let expected_text = read(&expected_file);
    let mut args = vec!["check".to_string(), ".".to_string()];
    let mut exit = 0;
    let mut deletes = Vec::new();
    let mut fifos = Vec::new();
    let mut expected = Vec::new();
    for line in expected_text.lines() {
        if let Some(a) = line.strip_prefix("args:") {
            args = a.split_whitespace().map(str::to_string).collect();
        } else if let Some(e) = line.strip_prefix("exit:") {
            exit = e.trim().parse().expect("exit code");
        } else if let Some(d) = line.strip_prefix("delete:") {
            deletes.push(d.trim().to_string());
        } else if let Some(f) = line.strip_prefix("fifo:") {
            fifos.push(f.trim().to_string());
        } else if !line.trim().is_empty() {
            expected.push(line.to_string());
        }
    }
    let dir = temp_dir(name);
    copy_tree(&repo().join("tests/fixtures/_common"), &dir);
    copy_tree(&fixture, &dir);
    std::fs::remove_file(dir.join("expected.txt")).expect("remove expected.txt");
    for d in &deletes {
        let p = dir.join(d);
        if p.is_dir() { std::fs::remove_dir_all(p) } else { std::fs::remove_file(p) }.expect("delete");
    }
    for f in &fifos {
        if let Some(parent) = dir.join(f).parent() {
            std::fs::create_dir_all(parent).expect("mkdir for the fifo");
        }
        let made = std::process::Command::new("mkfifo").arg(dir.join(f)).status().expect("run mkfifo");
        assert!(made.success(), "mkfifo {f}");
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ismsbook(&dir, &argv);
    let actual = diagnostics(&out);
    let code = out.status.code().unwrap_or(-1);
    if std::env::var_os("ISMSBOOK_BLESS").is_some() {
        let mut text: String = expected_text
            .lines()
            .filter(|l| l.starts_with("args:") || l.starts_with("delete:") || l.starts_with("fifo:"))
            .map(|l| format!("{l}\n"))
            .collect();
        text.push_str(&format!("exit: {code}\n"));
        for l in &actual {
            text.push_str(l);
            text.push('\n');
        }
        std::fs::write(&expected_file, text).expect("bless");
    } else {
        assert_eq!(actual, expected, "diagnostics of fixture {name}; full stderr:\n{}", stderr(&out));
        assert_eq!(code, exit, "exit status of fixture {name}; stderr:\n{}", stderr(&out));
        // `check` runs every stage `build` runs (theme and templates too), so the twin command
        // must agree on every case; only the build dir's own errors are build's alone.
        let twin = match argv.as_slice() {
            ["check", "."] => Some("build"),
            ["build", "."] => Some("check"),
            _ => None,
        };
        if let Some(twin) = twin
            && !actual.iter().any(|l| l.contains("error[unsafe-build-dir]"))
        {
            let other = ismsbook(&dir, &[twin, "."]);
            assert_eq!(diagnostics(&other), actual, "`{twin} .` disagrees on fixture {name}:\n{}", stderr(&other));
            assert_eq!(other.status.code(), Some(code), "exit status of `{twin} .` on fixture {name}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(Path::new(&fixture).exists());
}

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { run_fixture(stringify!($name)); } )*
    };
}

fixtures!(
    clean_handbook,
    unknown_control,
    unknown_clause,
    unknown_document,
    legacy_reference,
    legacy_id,
    references_in_code_are_ignored,
    broken_link,
    broken_anchor,
    excluded_reference,
    yaml_syntax,
    front_matter_not_mapping,
    front_matter_unclosed,
    unknown_field,
    no_title,
    invalid_id,
    unknown_type,
    unknown_classification,
    invalid_date,
    review_before_approval,
    duplicate_id,
    id_collision,
    reserved_path,
    empty_file,
    not_utf8,
    symlink_loop,
    io_error,
    catalogue_missing_field,
    catalogue_duplicate_control,
    soa_unknown_control,
    duplicate_decision,
    invalid_status,
    soa_invalid,
    role_invalid,
    unknown_role,
    unknown_member_role,
    config_missing,
    config_invalid,
    unknown_key,
    src_missing,
    unsafe_build_dir,
    theme_missing,
    template_error,
    soa_missing,
    control_not_implemented,
    exclusion_unjustified,
    excluded_control_cited,
    documented_information_missing,
    document_control,
    review_overdue,
    deny_warnings,
    plain_pages_without_front_matter,
    guidance_reference,
    catalogue_yaml_syntax,
    unsafe_id,
    unsafe_path,
    byte_order_mark,
    classification_unclear,
    not_a_file,
    outside_src,
    source_too_large,
    unknown_risk,
    risk_invalid,
    risk_control_not_applicable,
    soa_risk_control_mismatch,
    risk_action_overdue,
    risk_action_late,
    risk_not_accepted,
    risk_owner_not_role,
    control_unexplained,
    documented_information_not_retained,
    risk_register_excluded,
    empty_link_text,
    root_absolute_link,
    email_autolink,
    heading_underscore,
    wrong_type,
    catalogue_is_a_list,
    template_syntax,
    build_dir_is_a_file,
    staging_folder_not_ours,
    spare_folder_not_ours,
    raw_html,
    raw_html_deny,
    unsafe_url,
    raw_html_links,
);
