//! `ismsbook serve`, end to end: the real binary on a free loopback port over a copy of the
//! sample. Pages and their types, traversal attempts, the reload socket through edits, breaks,
//! fixes and deletions, a page reloading in headless Chromium, and a bounded load test.

mod common;
use common::browser::Browser;
use common::serve::*;
use common::*;
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

const ACCESS: &str = "sample-isms/policies/access-control.md";

/// The next message of `kind` on `ws`, or a failure showing the server's log.
fn expect(s: &Served, ws: &mut Socket, kind: &str) -> serde_json::Value {
    ws.wait(kind, Duration::from_secs(30))
        .unwrap_or_else(|| panic!("no {kind} message within 30 s; server log:\n{}", s.log()))
}

fn edit(dir: &Path, rel: &str, f: impl FnOnce(String) -> String) {
    let path = dir.join(rel);
    let text = read(&path);
    std::fs::write(&path, f(text)).expect("write source");
}

#[test]
fn serves_the_build_dir_with_types_head_404_and_no_listing() {
    let dir = sample_copy("serve-pages");
    let s = Served::start(&dir);
    let home = s.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(home.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(home.text().contains("Kestrel Analytics"), "{}", home.text());
    // The reload script is in the response, never in the file.
    assert!(home.text().contains("ISMSBOOK_SERVE"));
    let on_disk = read(&dir.join("book/index.html"));
    assert!(!on_disk.contains("ISMSBOOK_SERVE") && !on_disk.contains("__ismsbook"));
    assert_eq!(s.get("/index.html").status, 200);
    let csv = s.get("/soa.csv");
    assert_eq!((csv.status, csv.header("content-type")), (200, Some("text/csv; charset=utf-8")));
    assert_eq!(csv.body, std::fs::read(dir.join("book/soa.csv")).unwrap());
    assert_eq!(s.get("/assets/style.css").header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(s.get("/nav.js").header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(s.get("/handbook.json").header("content-type"), Some("application/json"));
    // HEAD: the headers of GET, no body.
    let head = s.raw("HEAD", "/soa.html");
    assert_eq!(head.status, 200);
    assert!(head.header("content-length").is_some_and(|l| l != "0"));
    assert!(head.body.is_empty());
    // A miss is the site's 404 page, with status 404.
    let miss = s.get("/policies/nope.html");
    assert_eq!(miss.status, 404);
    assert!(miss.text().contains(&read(&dir.join("book/404.html"))[..200]));
    // A folder: its index.html (after a redirect adding the slash), never a listing.
    let redirect = s.get("/controls?x=1");
    assert_eq!((redirect.status, redirect.header("location")), (301, Some("/controls/?x=1")));
    assert_eq!(s.get("/controls/").status, 200);
    let assets = s.get("/assets/");
    assert_eq!(assets.status, 404);
    assert!(assets.text().contains("Page not found") && !assets.text().contains(">style.css<"), "a listing?");
    assert_eq!(s.raw("POST", "/index.html").status, 405);
}

#[test]
fn nothing_outside_the_build_dir_is_ever_served() {
    let dir = sample_copy("serve-traversal");
    std::fs::write(dir.join("secret.txt"), "TOPSECRET outside the build dir").unwrap();
    let s = Served::start(&dir);
    // Links planted inside the build dir, pointing out of it.
    std::os::unix::fs::symlink(dir.join("secret.txt"), dir.join("book/leak.txt")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("book/up")).unwrap();
    std::os::unix::fs::symlink("/etc", dir.join("book/etc")).unwrap();
    let attempts = [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/policies/../../secret.txt",
        "/policies/%2e%2e/%2e%2e/secret.txt",
        "/..%5csecret.txt",
        "/.%2e/secret.txt",
        "/leak.txt",
        "/up/secret.txt",
        "/up/book.toml",
        "/etc/passwd",
        "//etc/passwd",
        "/%2fetc/passwd",
        "/../../../../../../etc/passwd",
        "http://127.0.0.1/../secret.txt",
        "/book/../secret.txt",
        "/%00/../secret.txt",
        "../secret.txt",
    ];
    for target in attempts {
        let r = s.raw("GET", target);
        let body = r.text();
        assert!(r.status != 200, "{target} answered 200: {body}");
        assert!(!body.contains("TOPSECRET") && !body.contains("root:x:0"), "{target} leaked: {body}");
    }
    // The same files by their proper names are fine, and the server still answers.
    assert_eq!(s.get("/soa.html").status, 200);
}

#[test]
fn edits_reload_errors_overlay_fixes_recover_deletions_go_home() {
    let dir = sample_copy("serve-reload");
    let s = Served::start(&dir);
    let mut ws = s.socket();

    // An edit: one reload message, sent when the new page is already there.
    edit(&dir, ACCESS, |t| t.replace("## Purpose", "## Purpose\n\nEdited live in serve 4711."));
    let m = expect(&s, &mut ws, "reload");
    let changed = &m["changed"];
    assert!(
        changed.is_null() || changed.as_array().unwrap().iter().any(|f| f == "policies/access-control.html"),
        "{m}"
    );
    assert!(s.get("/policies/access-control.html").text().contains("Edited live in serve 4711."));

    // A broken file: an error message with the diagnostic; the last good page stays, and any
    // page fetched now carries the diagnostics for its overlay.
    edit(&dir, ACCESS, |t| t.replace("Edited live in serve 4711.", "Cites [[A.5.999]] now."));
    let m = expect(&s, &mut ws, "error");
    let diags = m["diagnostics"].as_array().unwrap();
    let d = diags.iter().find(|d| d["code"] == "unknown-control").unwrap_or_else(|| panic!("{m}"));
    assert!(d["file"].as_str().unwrap().ends_with(ACCESS), "{d}");
    assert!(d["line"].as_u64().unwrap() > 1 && d["column"].as_u64().unwrap() >= 1);
    assert!(d["message"].as_str().unwrap().contains("A.5.999"));
    let page = s.get("/policies/access-control.html").text();
    assert!(page.contains("Edited live in serve 4711."), "the last good page is served");
    assert!(page.contains("unknown-control") && page.contains("A.5.999"), "the overlay payload is in the page");
    // A second page opened now hears the error at once.
    let (_late, first) = s.socket_with_first();
    assert_eq!(first["type"], "error", "{first}");

    // Fixed: reload, and the error is gone from every page.
    edit(&dir, ACCESS, |t| t.replace("Cites [[A.5.999]] now.", "Fixed again 4712."));
    let m = expect(&s, &mut ws, "reload");
    assert!(m["removed"].as_array().unwrap().is_empty());
    let page = s.get("/policies/access-control.html").text();
    assert!(page.contains("Fixed again 4712.") && !page.contains("unknown-control"));

    // A new source: its page appears; deleted again: listed as removed (an open copy of the
    // page goes home) and answers 404.
    let scratch = dir.join("sample-isms/policies/scratch.md");
    std::fs::write(&scratch, "---\nid: SCRATCH\ntitle: Scratch page\ntype: page\n---\n\nA new page 5150.\n").unwrap();
    let m = expect(&s, &mut ws, "reload");
    let changed = &m["changed"];
    assert!(changed.is_null() || changed.as_array().unwrap().iter().any(|f| f == "policies/scratch.html"), "{m}");
    assert!(s.get("/policies/scratch.html").text().contains("A new page 5150."));
    std::fs::remove_file(&scratch).unwrap();
    let m = expect(&s, &mut ws, "reload");
    assert!(m["removed"].as_array().unwrap().iter().any(|f| f == "policies/scratch.html"), "{m}");
    assert_eq!(s.get("/policies/scratch.html").status, 404);

    // Twenty saves in a row make far fewer rebuilds.
    let before = s.log().matches("changed: ").count();
    for i in 0..20 {
        edit(&dir, ACCESS, |t| t.replace("Fixed again", &format!("Fixed again{i}")));
    }
    expect(&s, &mut ws, "reload");
    std::thread::sleep(Duration::from_millis(1500));
    let rebuilds = s.log().matches("changed: ").count() - before;
    assert!((1..=4).contains(&rebuilds), "{rebuilds} rebuilds for 20 saves:\n{}", s.log());
    // Still consistent after the burst.
    assert!(s.get("/policies/access-control.html").text().contains("Fixed again19"));
}

#[test]
fn a_busy_port_is_a_clear_error_suggesting_p() {
    let dir = sample_copy("serve-port");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = ismsbook_at(&dir, &["serve", ".", "-p", &port], SAMPLE_EPOCH);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("already in use") && err.contains("-p"), "{err}");
}

#[test]
fn two_thousand_requests_over_fifty_connections_all_answered() {
    let dir = sample_copy("serve-load");
    let s = Served::start(&dir);
    let pages = ["/soa.csv", "/nav.js", "/assets/style.css", "/handbook.json", "/register.csv"];
    let expected: Vec<Vec<u8>> =
        pages.iter().map(|p| std::fs::read(dir.join("book").join(&p[1..])).expect("built file")).collect();
    let started = Instant::now();
    let port = s.port;
    let threads: Vec<_> = (0..50)
        .map(|t| {
            let expected = expected.clone();
            std::thread::spawn(move || {
                let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                let mut w = stream.try_clone().unwrap();
                let mut r = BufReader::new(stream);
                let mut ok = 0;
                for i in 0..40 {
                    let k = (t + i) % pages.len();
                    write!(w, "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", pages[k]).unwrap();
                    let resp = read_response(&mut r, false).expect("a response on the kept-alive connection");
                    assert_eq!(resp.status, 200, "{}", pages[k]);
                    assert!(resp.body == expected[k], "{} differs", pages[k]);
                    ok += 1;
                }
                ok
            })
        })
        .collect();
    let answered: usize = threads.into_iter().map(|t| t.join().expect("client thread")).sum();
    assert_eq!(answered, 2000);
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn an_open_page_reloads_with_the_edit_and_shows_the_overlay_in_chromium() {
    let dir = sample_copy("serve-browser");
    let s = Served::start(&dir);
    let Some(b) = Browser::try_new(1200, 800) else { return };
    b.goto(&s.url("/policies/access-control.html"));
    assert!(b.wait_for("document.title.length > 0", 10_000));
    // Mark this page load: a reload clears the mark.
    b.js("window.__before_edit = true; return 1");
    // Wait until the page's socket is connected (the server logs nothing for it: poll a second
    // socket-independent signal, the script's global).
    assert!(b.wait_for("window.ISMSBOOK_SERVE && window.ISMSBOOK_SERVE.socket", 5_000));
    std::thread::sleep(Duration::from_millis(500));
    edit(&dir, ACCESS, |t| t.replace("## Purpose", "## Purpose\n\nSeen in the browser 9090."));
    assert!(
        b.wait_for("!window.__before_edit && document.body.innerText.includes('Seen in the browser 9090.')", 30_000),
        "the page did not reload with the edit"
    );
    // Broken: the overlay appears over the page, with the diagnostic.
    edit(&dir, ACCESS, |t| t.replace("Seen in the browser 9090.", "Cites [[A.5.999]]."));
    assert!(b.wait_for("document.getElementById('ismsbook-overlay')", 30_000), "no overlay");
    let overlay = b.text("#ismsbook-overlay");
    assert!(overlay.contains("error[unknown-control]") && overlay.contains("access-control.md:"), "{overlay}");
    // Fixed: the overlay goes and the page shows the fix.
    edit(&dir, ACCESS, |t| t.replace("Cites [[A.5.999]].", "Fixed in the browser 9191."));
    assert!(
        b.wait_for(
            "!document.getElementById('ismsbook-overlay') && document.body.innerText.includes('Fixed in the browser 9191.')",
            30_000
        ),
        "the page did not recover"
    );
    // Its source deleted: the page goes to the home page, not a 404.
    let scratch = dir.join("sample-isms/policies/scratch.md");
    std::fs::write(&scratch, "---\nid: SCRATCH\ntitle: Scratch page\ntype: page\n---\n\nA new page 5150.\n").unwrap();
    assert!(b.wait_for("document.body.innerText.includes('Fixed in the browser 9191.')", 30_000));
    std::thread::sleep(Duration::from_millis(1000));
    b.goto(&s.url("/policies/scratch.html"));
    assert!(b.wait_for("document.body.innerText.includes('A new page 5150.')", 10_000), "the new page is served");
    std::thread::sleep(Duration::from_millis(500));
    std::fs::remove_file(&scratch).unwrap();
    assert!(b.wait_for("location.pathname === '/' && document.title.length > 0", 30_000), "did not go home");
    assert!(!b.text("body").contains("Page not found"));
}

#[test]
#[cfg(unix)]
fn open_starts_the_browser_named_by_the_browser_variable_with_the_url() {
    use std::os::unix::fs::PermissionsExt;
    let dir = sample_copy("serve-open");
    let opened = dir.join("opened.txt");
    let script = dir.join("browser.sh");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$1\" > '{}'\n", opened.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let s = Served::start_env(&dir, &["--open"], &[("BROWSER", &script.to_string_lossy())]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !opened.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = std::fs::read_to_string(&opened).unwrap_or_else(|_| panic!("the browser was not started:\n{}", s.log()));
    assert_eq!(url.trim(), format!("http://127.0.0.1:{}/", s.port));
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn a_new_build_dir_or_theme_in_book_toml_is_followed_without_a_restart() {
    let dir = sample_copy("serve-follow");
    let s = Served::start(&dir);
    let mut ws = s.socket();
    std::fs::create_dir_all(dir.join("theme")).unwrap();
    // Another build dir: built, served and announced; the old one stays as it was.
    edit(&dir, "book.toml", |t| {
        t.replace("build-dir = \"book\"", "build-dir = \"site\"") + "\n[output.html]\ntheme = \"theme\"\n"
    });
    expect(&s, &mut ws, "reload");
    assert!(s.wait_log("(book.toml changed)", Duration::from_secs(5)), "{}", s.log());
    assert!(!s.log().contains("warning[unknown-key]"), "{}", s.log());
    assert!(dir.join("site/index.html").is_file());
    std::fs::remove_file(dir.join("book/index.html")).unwrap();
    assert_eq!(s.get("/").status, 200, "served from the new build dir");
    // The theme folder named by book.toml is watched from now on: a template placed there
    // changes the pages.
    let page = ismsbook::theme::DEFAULT.iter().find(|(n, _)| *n == "404.html").unwrap().1;
    let page = String::from_utf8(page.to_vec()).unwrap();
    std::fs::write(
        dir.join("theme/404.html"),
        page.replacen("{% block content %}", "{% block content %}<p>Lost 6060?</p>", 1),
    )
    .unwrap();
    expect(&s, &mut ws, "reload");
    assert!(s.get("/no/such/page.html").text().contains("Lost 6060?"));
}
