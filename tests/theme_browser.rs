//! The default theme in a real headless Chromium (tests/common/browser.rs): every page kind
//! opens with its title in view on a desktop and a phone, nothing scrolls the page sideways on
//! a phone, the menu button opens the navigation, dark mode applies and is remembered, sorting
//! works from the keyboard, axe-core finds no serious or critical problem, 404.html works from
//! a nested URL on a web server, and `chromium --headless --print-to-pdf` makes a PDF of
//! print.html. Screenshots of the main pages (light and dark, desktop and phone) are written to
//! target/screenshots/ for people to look at.

mod common;
use common::browser::Browser;
use common::*;
use fantoccini::key::Key;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

const DESKTOP: (u32, u32) = (1366, 900);
const PHONE: (u32, u32) = (390, 844);

/// Every kind of page the theme renders.
const PAGE_KINDS: [&str; 15] = [
    "index.html",
    "policies/access-control.html",
    "guides/first-day.html",
    "controls/index.html",
    "controls/A.5.15.html",
    "clauses/index.html",
    "clauses/6.1.3.html",
    "roles/index.html",
    "roles/people-managers.html",
    "soa.html",
    "register.html",
    "coverage.html",
    "risks/index.html",
    "risks/R-001.html",
    "print.html",
];

fn book() -> &'static Path {
    shared_sample_book("theme-browser")
}

fn url(rel: &str) -> String {
    format!("file://{}", book().join(rel).display())
}

/// Opens a page and waits until the theme's script has run (the sidebar is built).
fn open(b: &Browser, target: &str) {
    b.goto(target);
    assert!(
        b.wait_for("document.readyState === 'complete' && (!document.getElementById('sidebar') || document.querySelector('#sidebar .nav-group-toggle'))", 5000),
        "{target}: the page did not finish loading"
    );
}

/// Where the h1 is, relative to the viewport, and how far the window is scrolled.
fn h1_in_view(b: &Browser) -> Result<(), String> {
    let v = b.js(
        "const h = document.querySelector('h1'); if (!h) return 'no h1'; \
         const r = h.getBoundingClientRect(); \
         const header = document.querySelector('.topbar'); const below = header ? header.getBoundingClientRect().bottom : 0; \
         return (window.scrollY === 0 && r.top >= below - 1 && r.bottom <= window.innerHeight) ? 'ok' : \
           ('h1 at ' + Math.round(r.top) + '..' + Math.round(r.bottom) + ', window scrolled ' + window.scrollY + ', header ends at ' + below);",
    );
    if v == "ok" { Ok(()) } else { Err(v.to_string()) }
}

#[test]
fn every_page_kind_opens_at_its_title_on_desktop_and_phone_without_sideways_scroll() {
    let Some(b) = Browser::try_new(DESKTOP.0, DESKTOP.1) else { return };
    let mut problems = Vec::new();
    for (w, h) in [DESKTOP, PHONE] {
        b.set_size(w, h);
        for rel in PAGE_KINDS {
            open(&b, &url(rel));
            if let Err(e) = h1_in_view(&b) {
                problems.push(format!("{rel} at {w}x{h}: {e}"));
            }
            let wide = b.js("return document.documentElement.scrollWidth - window.innerWidth");
            if wide.as_i64().unwrap_or(0) > 0 {
                problems.push(format!("{rel} at {w}x{h}: the page scrolls sideways by {wide} px"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn phone_menu_opens_the_navigation_and_desktop_sidebar_marks_the_current_page() {
    let Some(b) = Browser::try_new(PHONE.0, PHONE.1) else { return };
    open(&b, &url("policies/backup.html"));
    let side_shown = "(() => { const r = document.getElementById('sidebar').getBoundingClientRect(); return r.width > 0 && r.height > 0; })()";
    assert!(!b.wait_for(side_shown, 100), "the sidebar covers the page on a phone before the menu is opened");
    assert_eq!(b.js("return document.getElementById('menu-toggle').getAttribute('aria-expanded')"), "false");
    b.click("#menu-toggle");
    assert!(b.wait_for(side_shown, 2000), "the menu button did not open the navigation");
    assert_eq!(b.js("return document.getElementById('menu-toggle').getAttribute('aria-expanded')"), "true");
    assert_eq!(b.js("return document.activeElement.textContent"), "Backup Policy", "focus moves to the current page");
    b.key("#sidebar [aria-current=page]", Key::Escape);
    assert!(b.wait_for(&format!("!{side_shown}"), 2000), "Escape did not close the menu");

    // Desktop: the current page is marked, its group open, and a closed group stays closed.
    b.set_size(DESKTOP.0, DESKTOP.1);
    open(&b, &url("policies/backup.html"));
    assert_eq!(b.js("return document.querySelector('#sidebar [aria-current=page]').textContent"), "Backup Policy");
    let group = "[...document.querySelectorAll('.nav-group-toggle')].find(b => b.textContent === 'isms')";
    assert_eq!(b.js(&format!("return {group}.getAttribute('aria-expanded')")), "true");
    b.js(&format!("{group}.click(); return 1"));
    open(&b, &url("policies/access-control.html"));
    assert_eq!(
        b.js(&format!("return {group}.getAttribute('aria-expanded')")),
        "false",
        "the closed group was not remembered"
    );
    // The sidebar scrolled itself to the current page; the window did not move.
    open(&b, &url("procedures/joiners-movers-leavers.html"));
    assert_eq!(b.js("return window.scrollY"), 0);
    assert!(b.js("return document.getElementById('sidebar').scrollTop").as_f64().unwrap_or(0.0) > 0.0);
}

#[test]
fn dark_mode_applies_and_is_remembered_and_register_sorts_from_the_keyboard() {
    let Some(b) = Browser::try_new(DESKTOP.0, DESKTOP.1) else { return };
    open(&b, &url("register.html"));
    let bg = "return getComputedStyle(document.body).backgroundColor";
    let light = b.js(bg);
    b.click("#theme-toggle");
    assert_eq!(b.js("return document.documentElement.getAttribute('data-theme')"), "dark");
    assert_eq!(b.js("return document.getElementById('theme-toggle').getAttribute('aria-pressed')"), "true");
    let dark = b.js(bg);
    assert_ne!(light, dark);
    assert_eq!(dark, "rgb(20, 23, 28)");
    open(&b, &url("controls/A.5.15.html"));
    assert_eq!(b.js(bg), dark, "dark mode not remembered on the next page");
    b.click("#theme-toggle");
    assert_eq!(b.js(bg), light);

    // Sorting: a button per column header, Enter sorts, aria-sort tells the direction.
    open(&b, &url("register.html"));
    let first = "return document.querySelector('#register-table tbody tr td').textContent";
    assert_eq!(b.js(first), "POL-PHYS", "overdue first");
    let id_sort = "#register-table thead th:first-child button";
    b.key(id_sort, Key::Enter);
    assert_eq!(
        b.js("return document.querySelector('#register-table thead th').getAttribute('aria-sort')"),
        "ascending"
    );
    let a = b.js(first);
    b.key(id_sort, Key::Enter);
    assert_eq!(
        b.js("return document.querySelector('#register-table thead th').getAttribute('aria-sort')"),
        "descending"
    );
    assert_ne!(b.js(first), a);
    // Filters update a live count.
    open(&b, &format!("{}?review=overdue", url("register.html")));
    assert_eq!(b.js("return document.querySelector('[data-count-for=register-table]').textContent"), "1");
    open(&b, &format!("{}?applicable=no", url("soa.html")));
    let excluded = b.js("return String(document.querySelectorAll('#soa-table tr[data-applicable=no]').length)");
    assert_ne!(excluded, "0");
    assert_eq!(b.js("return document.querySelector('[data-count-for=soa-table]').textContent"), excluded);
    assert_eq!(
        b.js("return document.querySelector('[data-count-for=soa-table]').closest('[aria-live]') !== null"),
        true
    );
}

/// axe-core, installed from npm by .ci/run (`npm ci --prefix tests/axe`).
fn axe_source() -> String {
    let path = repo().join("tests/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run `npm ci --prefix tests/axe` (.ci/run does)", path.display()))
}

/// The serious and critical axe-core violations of the open page.
fn axe(b: &Browser, source: &str) -> Vec<String> {
    let timeouts = fantoccini::wd::TimeoutConfiguration::new(Some(Duration::from_secs(300)), None, None);
    b.block_on(b.client().update_timeouts(timeouts)).expect("script timeout");
    b.js(&format!("{source}\n; return 1;"));
    let started = Instant::now();
    let v = b.js(
        "return axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations \
           .filter(v => v.impact === 'serious' || v.impact === 'critical') \
           .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | ')));",
    );
    eprintln!("axe-core: {} in {} ms", b.current_url(), started.elapsed().as_millis());
    v.as_array().map(|a| a.iter().map(|x| x.as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default()
}

#[test]
fn axe_core_finds_no_serious_problem_and_screenshots_are_written() {
    let Some(b) = Browser::try_new(DESKTOP.0, DESKTOP.1) else { return };
    let source = axe_source();
    let shots = repo().join("target/screenshots");
    let pages = [
        ("home", "index.html"),
        ("document", "policies/access-control.html"),
        ("control", "controls/A.5.15.html"),
        ("soa", "soa.html"),
        ("register", "register.html"),
        ("risks", "risks/index.html"),
        ("print", "print.html"),
        ("search", "index.html?q=passwrd"),
    ];
    let mut problems = Vec::new();
    for (size, (w, h)) in [("desktop", DESKTOP), ("phone", PHONE)] {
        b.set_size(w, h);
        for theme in ["light", "dark"] {
            for (name, rel) in pages {
                open(&b, &url(rel));
                b.js(&format!("localStorage.setItem('ismsbook-theme', '{theme}'); document.documentElement.setAttribute('data-theme', '{theme}'); return 1"));
                if rel.contains("?q=") {
                    // The results panel over the page, as a reader sees it after typing.
                    assert!(
                        b.wait_for("document.querySelector('#search-results .search-hit mark') !== null", 10000),
                        "no results for {rel}"
                    );
                }
                b.screenshot(&shots.join(format!("{name}-{theme}-{size}.png")));
                // axe on every page in both themes at desktop width and in light on a phone;
                // print.html (the whole handbook: ~35 s of axe) once, on a phone.
                let once = rel != "print.html" || (size == "phone" && theme == "light");
                if (size == "desktop" || theme == "light") && once {
                    problems.extend(axe(&b, &source).into_iter().map(|p| format!("{rel} {theme} {size}: {p}")));
                }
            }
        }
    }
    b.js("localStorage.removeItem('ismsbook-theme'); return 1");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(shots.join("home-dark-phone.png").is_file());
}

/// A web server for `root` under the sub-path `/handbook/`, answering 404.html (status 404)
/// for anything missing, as a real server configured with an error page does. Serves
/// `requests` requests, then stops.
fn serve(root: &Path, requests: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
            let file = path.strip_prefix("/handbook/").filter(|p| !p.contains("..")).map(|p| root.join(p));
            let (status, body, file) = match file.filter(|f| f.is_file()) {
                Some(f) => ("200 OK", std::fs::read(&f).unwrap_or_default(), f),
                None => {
                    ("404 Not Found", std::fs::read(root.join("404.html")).unwrap_or_default(), root.join("404.html"))
                }
            };
            let kind = match file.extension().and_then(|e| e.to_str()) {
                Some("css") => "text/css",
                Some("js") => "text/javascript",
                _ => "text/html; charset=utf-8",
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    port
}

#[test]
fn not_found_page_keeps_its_styles_and_home_link_at_a_nested_url_over_http() {
    let Some(b) = Browser::try_new(DESKTOP.0, DESKTOP.1) else { return };
    let port = serve(book(), 200);
    b.goto(&format!("http://127.0.0.1:{port}/handbook/policies/old/removed-policy.html"));
    assert!(b.wait_for("document.readyState === 'complete'", 5000));
    assert_eq!(b.js("return document.querySelector('h1').textContent"), "Page not found");
    assert_eq!(
        b.js("return getComputedStyle(document.querySelector('.topbar')).position"),
        "sticky",
        "styles not loaded"
    );
    assert_eq!(
        b.js("return document.querySelector('main a').href"),
        format!("http://127.0.0.1:{port}/handbook/index.html"),
        "the home link does not lead home"
    );
    assert!(b.wait_for("document.querySelector('#sidebar .nav-group-toggle')", 3000), "nav.js not loaded");
}

#[test]
fn chromium_prints_print_html_to_a_pdf() {
    if std::env::var_os("ISMSBOOK_SKIP_BROWSER").is_some() && !Path::new("/usr/bin/chromium").exists() {
        return;
    }
    let pdf = temp_dir("theme-pdf").join("handbook.pdf");
    // Exactly the README's command.
    let run = std::process::Command::new(std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into()))
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(book().join("print.html"))
        .output()
        .expect("run chromium");
    assert!(pdf.is_file(), "no PDF: {}", String::from_utf8_lossy(&run.stderr));
    let bytes = std::fs::read(&pdf).expect("read pdf");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages > 100, "{pages} pages: the whole handbook should take well over 100");
}
