//! The static file server of `serve`: answers GET and HEAD with files of the build dir and
//! nothing else.
//!
//! A request path is percent-decoded, then split into segments; a `..` or `.` segment, a
//! backslash or a NUL byte (encoded or not) is refused with 400 before the file system is
//! touched, and the file found is canonicalised and must still lie inside the canonical build
//! dir (so a symbolic link cannot lead out of it). A folder answers with its `index.html`
//! (redirecting `/dir` to `/dir/` first so relative links work), never with a listing. A miss
//! answers 404 with the site's `404.html`. HTML responses get the reload script of
//! [`super::reload`]; the files on disk never do.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use tiny_http::{Header, Method, Request, Response, StatusCode};

/// What a request path resolves to.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A file inside the build dir.
    File(PathBuf),
    /// A folder asked for without its trailing slash: redirect here.
    Redirect(String),
    /// Nothing there.
    Missing,
    /// A path that tries to leave the build dir, or is malformed.
    Refused,
}

/// Maps the path of a request URL (query and fragment allowed) to a file of `root`.
pub fn resolve(root: &Path, url: &str) -> Resolved {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return Resolved::Refused;
    }
    let Some(decoded) = crate::urls::percent_decode_strict(path) else { return Resolved::Refused };
    if decoded.contains('\\') || decoded.contains('\0') {
        return Resolved::Refused;
    }
    let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == ".." || *s == ".") {
        return Resolved::Refused;
    }
    // ismsbook's own bookkeeping in the build dir is not part of the site.
    if segments.iter().any(|s| *s == crate::output::MARKER || *s == crate::output::CACHE) {
        return Resolved::Missing;
    }
    let Ok(canonical_root) = root.canonicalize() else { return Resolved::Missing };
    let mut file = canonical_root.clone();
    file.extend(&segments);
    if file.is_dir() {
        if !decoded.ends_with('/') {
            let query = url.find('?').map_or("", |i| &url[i..]);
            return Resolved::Redirect(format!("{}/{query}", path));
        }
        file.push("index.html");
    }
    // The file as the file system sees it, links followed: must still be inside the root.
    match file.canonicalize() {
        Ok(real) if real.starts_with(&canonical_root) && real.is_file() => Resolved::File(real),
        Ok(real) if !real.starts_with(&canonical_root) => Resolved::Refused,
        _ => Resolved::Missing,
    }
}

/// The Content-Type of a file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

fn header(name: &str, value: &str) -> Header {
    // Both come from this module (fixed names, ASCII values): a failure is a bug.
    Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap_or_else(|()| panic!("bad header {name}"))
}

type Reply = Response<Cursor<Vec<u8>>>;

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    Response::from_data(body)
        .with_chunked_threshold(usize::MAX)
        .with_status_code(StatusCode(status))
        .with_header(header("Content-Type", content_type))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("X-Content-Type-Options", "nosniff"))
}

/// Answers one request for a file of `root`. `inject` turns an HTML page into the page served
/// (adding the reload script); `missing` says whether the page is a 404.
pub fn respond(request: Request, root: &Path, inject: &dyn Fn(&str, bool) -> String) {
    let response = answer(request.method(), request.url(), root, inject);
    // The client may have gone away: nothing to do about it.
    let _ = request.respond(response);
}

fn answer(method: &Method, url: &str, root: &Path, inject: &dyn Fn(&str, bool) -> String) -> Reply {
    if !matches!(method, Method::Get | Method::Head) {
        return reply(405, "text/plain; charset=utf-8", b"405 method not allowed\n".to_vec())
            .with_header(header("Allow", "GET, HEAD"));
    }
    match resolve(root, url) {
        Resolved::File(path) => match std::fs::read(&path) {
            Ok(bytes) => file_reply(200, &path, bytes, inject, false),
            // Deleted between resolving and reading (a rebuild): a miss.
            Err(_) => not_found(root, inject),
        },
        Resolved::Redirect(to) => {
            reply(301, "text/plain; charset=utf-8", Vec::new()).with_header(header("Location", &to))
        }
        Resolved::Missing => not_found(root, inject),
        Resolved::Refused => {
            reply(400, "text/plain; charset=utf-8", b"400 bad request: path outside the site\n".to_vec())
        }
    }
}

fn not_found(root: &Path, inject: &dyn Fn(&str, bool) -> String) -> Reply {
    let page = root.join("404.html");
    match std::fs::read(&page) {
        Ok(bytes) => file_reply(404, &page, bytes, inject, true),
        Err(_) => {
            let html = inject("<!doctype html><title>Not found</title><h1>404: not found</h1>", true);
            reply(404, "text/html; charset=utf-8", html.into_bytes())
        }
    }
}

fn file_reply(status: u16, path: &Path, bytes: Vec<u8>, inject: &dyn Fn(&str, bool) -> String, missing: bool) -> Reply {
    let ct = content_type(path);
    if ct.starts_with("text/html")
        && let Ok(text) = String::from_utf8(bytes.clone())
    {
        return reply(status, ct, inject(&text, missing).into_bytes());
    }
    reply(status, ct, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused_before_the_file_system() {
        let root = std::env::temp_dir().join(format!("ismsbook-http-{}", std::process::id()));
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::write(root.join("a.html"), "a").unwrap();
        std::fs::write(root.join("dir/index.html"), "d").unwrap();
        for bad in
            ["/../etc/passwd", "/%2e%2e/etc/passwd", "/..%2fetc/passwd", "/a/%2E%2E/%2E%2E/x", "/..\\x", "/%00", "x"]
        {
            assert_eq!(resolve(&root, bad), Resolved::Refused, "{bad}");
        }
        assert!(matches!(resolve(&root, "/a.html?x=1"), Resolved::File(_)));
        assert!(matches!(resolve(&root, "/dir/"), Resolved::File(p) if p.ends_with("dir/index.html")));
        assert_eq!(resolve(&root, "/dir?q=1"), Resolved::Redirect("/dir/?q=1".into()));
        assert_eq!(resolve(&root, "//etc/passwd"), Resolved::Missing);
        assert_eq!(resolve(&root, "/%zz"), Resolved::Refused);
        std::fs::write(root.join(crate::output::CACHE), "{}").unwrap();
        assert_eq!(resolve(&root, "/.ismsbook-cache"), Resolved::Missing);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
