//! Every output path and URL of a build: the one place a page's file name is decided.
//!
//! Ids from the sources (controls, clauses, roles, risks) and document paths become file names
//! here and nowhere else, so traversal safety lives here and only here. Two layers:
//!
//! 1. **Validation at load.** [`check_segment`] is the rule for one path segment; `load` (and
//!    any other module reading ids that name pages) reports an id that breaks it as
//!    `error[unsafe-id]` (document and asset file names: `error[unsafe-path]`) at the file and
//!    line that defines it, and leaves the item out of the model.
//! 2. **Total, safe constructors.** [`control_url`], [`clause_url`], [`role_url`],
//!    [`risk_url`] and [`document_url`] never return a path that leaves the build dir, whatever
//!    they are given: a segment that breaks the rule is percent-encoded ([`segment`]) rather
//!    than trusted, so even an id that bypassed validation lands on one harmless file name.
//!
//! The rule for a segment (an id, or one folder/file name of a document path): not empty, at
//! most [`MAX_SEGMENT`] bytes, no `/` or `\`, no NUL or other control character, no leading
//! `.` (so never `.` or `..`, nor a hidden file), no trailing `.` or space, none of the
//! characters Windows forbids in file names (`< > : " | ? *`) nor the URL-significant `#` and
//! `%`, and not a Windows device name (`CON`, `NUL`, `COM1`, ...). Letters of any script,
//! digits, spaces and `- _ . + ( ) [ ] & ' , ; = @ ! ~ $` are fine.
//!
//! Every URL here is build-dir-relative (`controls/A.5.15.html`); pages prefix it with their
//! `root` (`../` per folder level) so the site works from file:// and under any sub-path.

use crate::diagnostics::{Diagnostic, Pos};
use crate::model::Handbook;
use std::path::Path;

/// The longest id or file-name segment accepted, in bytes (file systems allow 255; the
/// `.html` suffix and a margin stay below that).
pub const MAX_SEGMENT: usize = 200;

/// Folders whose every file the generator owns: a source file may not live there.
pub const GENERATED_DIRS: [&str; 6] = ["controls/", "clauses/", "roles/", "risks/", "search/", "oscal/"];

/// Pages and files the generator always writes (build-dir-relative), besides the per-id pages.
pub const FIXED_PAGES: [&str; 21] = [
    "index.html",
    "404.html",
    "controls/index.html",
    "clauses/index.html",
    "roles/index.html",
    "soa.html",
    "soa.csv",
    "register.html",
    "register.csv",
    "coverage.html",
    "print.html",
    "handbook.json",
    "handbook.schema.json",
    "soa.xlsx",
    "register.xlsx",
    "oscal/catalog.json",
    "oscal/profile.json",
    "oscal/ssp.json",
    "nav.js",
    "assets/style.css",
    "assets/ismsbook.js",
];

/// Why `s` is not a safe single path segment, or `None` when it is.
pub fn check_segment(s: &str) -> Option<&'static str> {
    const WINDOWS_FORBIDDEN: &[char] = &['<', '>', ':', '"', '|', '?', '*'];
    if s.is_empty() {
        return Some("it is empty");
    }
    if s.len() > MAX_SEGMENT {
        return Some("it is longer than 200 bytes");
    }
    if s.contains(['/', '\\']) {
        return Some("it contains `/` or `\\`, which would make it a path");
    }
    if s.chars().any(char::is_control) {
        return Some("it contains a control character");
    }
    if s.starts_with('.') {
        return Some("it starts with `.` (`..` climbs out of a folder, `.name` is hidden)");
    }
    if s.ends_with(['.', ' ']) {
        return Some("it ends with `.` or a space, which Windows drops from file names");
    }
    if s.contains(WINDOWS_FORBIDDEN) {
        return Some("it contains one of `< > : \" | ? *`, which file names on Windows cannot hold");
    }
    if s.contains(['#', '%']) {
        return Some("it contains `#` or `%`, which change the meaning of a URL");
    }
    if is_windows_device(s) {
        return Some("it is a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9)");
    }
    None
}

fn is_windows_device(s: &str) -> bool {
    let stem = s.split('.').next().unwrap_or(s).trim_end().to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0')
}

/// `error[unsafe-id]` for a `kind` id (`control`, `clause`, `role`, `risk`) that cannot name a
/// page, located where the id is defined; `None` when the id is safe.
pub fn check_id(kind: &str, id: &str, file: &Path, pos: Pos) -> Option<Diagnostic> {
    let why = check_segment(id)?;
    let shown: String = id.chars().take(60).flat_map(char::escape_debug).collect();
    Some(
        Diagnostic::error("unsafe-id", file, format!("{kind} id `{shown}` cannot name a page: {why}"))
            .at_pos(pos)
            .hint(format!(
                "ids become file names ({kind}s/<id>.html): use letters, digits, `.`, `-` and `_`, \
                 not starting with `.`; this {kind} is left out"
            )),
    )
}

/// Why a src-relative path (`/`-separated) is not safe as an output path, naming the segment.
pub fn check_path(rel: &str) -> Option<String> {
    rel.split('/').find_map(|seg| check_segment(seg).map(|why| format!("`{seg}`: {why}")))
}

/// `s` itself when it is a safe segment, else `s` with every byte outside `[A-Za-z0-9_-]`
/// percent-encoded (a leading `.` included): one harmless file name in every case.
pub fn segment(s: &str) -> String {
    if check_segment(s).is_none() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes().take(MAX_SEGMENT / 3) {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() || is_windows_device(&out) {
        out.insert_str(0, "%5F");
    }
    out
}

/// `controls/<id>.html`.
pub fn control_url(id: &str) -> String {
    format!("controls/{}.html", segment(id))
}

/// `clauses/<id>.html`.
pub fn clause_url(id: &str) -> String {
    format!("clauses/{}.html", segment(id))
}

/// `roles/<id>.html`.
pub fn role_url(id: &str) -> String {
    format!("roles/{}.html", segment(id))
}

/// `risks/<id>.html`.
pub fn risk_url(id: &str) -> String {
    format!("risks/{}.html", segment(id))
}

/// A document's page: its src-relative path with `.md` replaced by `.html`, each segment
/// made safe (`policies/access.md` -> `policies/access.html`).
pub fn document_url(rel: &str) -> String {
    let stem = rel.strip_suffix(".md").unwrap_or(rel);
    let segments: Vec<String> = stem.split('/').map(segment).collect();
    format!("{}.html", segments.join("/"))
}

/// A file of the search index or its script: `search/<rel>`.
pub fn search_file(rel: &str) -> String {
    format!("search/{rel}")
}

/// A copied source file (an attachment): its src-relative path, each segment made safe.
pub fn asset_url(rel: &str) -> String {
    rel.split('/').map(segment).collect::<Vec<_>>().join("/")
}

/// Files the generator writes in some builds (or will): no source may take their place either.
pub const SOMETIMES_GENERATED: [&str; 2] = ["sitemap.xml", "risks.csv"];

/// Whether a build-dir-relative output path is, or may be, one the generator writes itself (a
/// fixed page, a page under a generated folder, sitemap.xml, ...): a source file there would
/// collide with generated output (`error[reserved-path]`).
pub fn is_generated(path: &str) -> bool {
    FIXED_PAGES.contains(&path)
        || SOMETIMES_GENERATED.contains(&path)
        || GENERATED_DIRS.iter().any(|d| path.starts_with(d))
        || crate::theme::DEFAULT.iter().any(|(name, _)| name.starts_with("assets/") && *name == path)
}

/// Pages the generator writes besides the documents (build-dir-relative).
pub fn generated_pages(hb: &Handbook) -> Vec<String> {
    let mut pages: Vec<String> = FIXED_PAGES.iter().map(|s| s.to_string()).collect();
    pages.extend(hb.controls.iter().map(|c| control_url(&c.id)));
    pages.extend(hb.clauses.iter().map(|c| clause_url(&c.id)));
    pages.extend(hb.roles.iter().map(|r| role_url(&r.id)));
    if let Some(reg) = hb.risks.as_ref().filter(|r| r.published) {
        pages.extend(["risks/index.html".to_string(), "risks.csv".to_string()]);
        pages.extend(reg.risks.iter().map(|r| risk_url(&r.id)));
    }
    if hb.config.base_url.is_some() {
        pages.push("sitemap.xml".to_string());
    }
    pages
}

/// The bytes of `s` with every valid `%XX` escape decoded; a `%` not followed by two hex
/// digits is kept as written. The flag says whether any such malformed escape was seen.
fn percent_decode_bytes(s: &str) -> (Vec<u8>, bool) {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut malformed = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            match s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                Some(Ok(b)) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                _ => malformed = true,
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    (out, malformed)
}

/// Decodes `%XX` escapes in a link written by an author: malformed escapes stay as written,
/// bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode_lossy(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    String::from_utf8_lossy(&percent_decode_bytes(s).0).into_owned()
}

/// Decodes `%XX` escapes in a request path: `None` for a malformed escape or bytes that are
/// not UTF-8 (a request the server refuses).
pub fn percent_decode_strict(s: &str) -> Option<String> {
    let (bytes, malformed) = percent_decode_bytes(s);
    if malformed { None } else { String::from_utf8(bytes).ok() }
}

/// The prefix that leads from a page back to the build dir root: `../../` for `a/b/c.html`.
pub fn root_of(page: &str) -> String {
    "../".repeat(page.matches('/').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_segments_pass() {
        for id in ["A.5.15", "6.1.2", "it-manager", "R-002", "Données", "ID.AM-1", "CC6.1", "a b", "x_y"] {
            assert_eq!(check_segment(id), None, "{id}");
        }
    }

    #[test]
    fn unsafe_segments_fail() {
        let long = "x".repeat(201);
        for id in [
            "",
            "..",
            ".",
            "../x",
            "a/b",
            "a\\b",
            ".hidden",
            "a\0b",
            "a\nb",
            "x.",
            "x ",
            "a:b",
            "a?b",
            "a#b",
            "50%",
            "CON",
            "nul.txt",
            "com1",
            long.as_str(),
        ] {
            assert!(check_segment(id).is_some(), "{id:?} should be unsafe");
        }
        assert_eq!(check_segment("COM0"), None);
        assert_eq!(check_segment("console"), None);
    }

    #[test]
    fn urls_never_leave_their_folder() {
        for id in ["../../../escaped", "..", "a/../../b", "..\\..\\x", "", "/etc/passwd", "CON", "\0"] {
            for url in [control_url(id), clause_url(id), role_url(id), risk_url(id)] {
                assert_eq!(url.matches('/').count(), 1, "{url}");
                assert!(!url.contains('\\') && !url.contains("/.") && !url.contains('\0'), "{url}");
            }
        }
        assert_eq!(control_url("A.5.15"), "controls/A.5.15.html");
        assert_eq!(control_url("../x"), "controls/%2E%2E%2Fx.html");
        assert_eq!(document_url("policies/access.md"), "policies/access.html");
        assert_eq!(document_url("a/../../b.md"), "a/%2E%2E/%2E%2E/b.html");
        assert_eq!(asset_url("img/logo.png"), "img/logo.png");
    }

    #[test]
    fn generated_paths() {
        assert!(is_generated("handbook.json") && is_generated("controls/x.html") && is_generated("search/a.js"));
        assert!(!is_generated("policies/a.html") && !is_generated("assets/logo.png"));
        assert_eq!(check_path("policies/a b.md"), None);
        assert!(check_path("policies/.x/a.md").is_some());
        assert_eq!(root_of("policies/x/a.html"), "../../");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode_strict("/a%20b/%2e%2e"), Some("/a b/..".to_string()));
        assert_eq!(percent_decode_strict("/a%zz"), None);
        assert_eq!(percent_decode_strict("/a%ff"), None);
        assert_eq!(percent_decode_lossy("a%zz%20b.md"), "a%zz b.md");
        assert_eq!(percent_decode_lossy("plain.md"), "plain.md");
    }
}
