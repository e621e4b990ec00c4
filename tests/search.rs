//! Search end to end: the sample is built, opened in a real headless Chromium from file:// and
//! over HTTP under a sub-path, and queries are typed into the header field. Also: an excluded
//! document leaves no trace under search/, the index is reproducible, and serve's rebuilds
//! update it file by file to exactly what a full build writes.

mod common;
use common::browser::Browser;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// Types `q` into the header field of the open page and returns the href of every result
/// shown, once the results for exactly `q` are on screen.
fn type_query(b: &Browser, q: &str) -> Vec<String> {
    b.js("const i = document.getElementById('search'); i.value = ''; i.focus(); return true");
    b.type_into("#search", q);
    let shown = format!(
        "document.getElementById('search-results').getAttribute('data-query') === {} && !document.getElementById('search-results').hidden",
        serde_json::to_string(q).unwrap()
    );
    assert!(b.wait_for(&shown, 5000), "no results shown for {q:?}");
    let hrefs =
        b.js("return [...document.querySelectorAll('#search-results .search-hit a')].map(a => a.getAttribute('href'))");
    hrefs.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()
}

/// The page (build-dir-relative, with #anchor) a result href points to.
fn page_of(href: &str, site: &str) -> String {
    href.strip_prefix(site).unwrap_or(href).to_string()
}

/// The queries every delivery must answer, and the page each must put first.
fn check_queries(b: &Browser, site: &str) {
    for (q, want) in [
        ("password", "guidelines/passwords-and-mfa.html"),
        ("passw", "guidelines/passwords-and-mfa.html"),
        ("pasword", "guidelines/passwords-and-mfa.html"),
        // A typo in the first letter.
        ("oassword", "guidelines/passwords-and-mfa.html"),
        ("A.5.15", "controls/A.5.15.html"),
        ("a.5.15", "controls/A.5.15.html"),
        ("5.15", "controls/A.5.15.html"),
        ("A.9.2.3", "controls/A.8.2.html"),
        ("POL-AC", "policies/access-control.html"),
        ("backup restore", "procedures/backup-restore-test.html"),
        // The rule an employee must follow comes before the control's generic text that also
        // says "USB" (page-type weighting in search.js).
        ("usb", "policies/asset-management.html#what-you-must-do"),
    ] {
        let hits = type_query(b, q);
        let first = hits.first().map(|h| page_of(h, site)).unwrap_or_default();
        assert_eq!(first, want, "first result for {q:?}; all: {hits:?}");
    }
    // Two real words, one a typo of the handbook's ("clean" for "clear"): no section has both
    // as typed, so the typo is corrected. (Two policies have this section.)
    let hits = type_query(b, "clean desk");
    let first = hits.first().map(|h| page_of(h, site)).unwrap_or_default();
    assert!(first.ends_with("#clear-desk-and-clear-screen"), "first result for \"clean desk\": {hits:?}");
}

fn sample_site(name: &str) -> (PathBuf, PathBuf) {
    let tmp = temp_dir(name);
    let out = tmp.join("sub").join("path");
    let o = build_sample(&out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    (tmp, out)
}

#[test]
fn search_from_disk_answers_words_prefixes_typos_and_ids() {
    let (_tmp, out) = sample_site("search-file");
    let Some(b) = Browser::try_new(1280, 900) else { return };
    let site = format!("file://{}/", out.display());
    b.goto(&format!("{site}policies/backup.html"));
    check_queries(&b, &site);

    // Results show a type badge, a breadcrumb, the classification and a highlighted snippet.
    type_query(&b, "password manager");
    let first = "#search-results .search-hit";
    assert_eq!(b.js(&format!("return document.querySelector('{first} .search-badge').textContent")), "guideline");
    assert!(b.text(&format!("{first} .search-crumb")).contains('›'), "breadcrumb document › section");
    assert_eq!(b.js("return document.querySelector('#search-results .search-hit .search-cls').textContent"), "public");
    let marks = b.js("return [...document.querySelectorAll('#search-results .search-hit:first-child mark')].map(m => m.textContent.toLowerCase())");
    assert!(marks.as_array().unwrap().iter().any(|m| m.as_str().unwrap_or_default().contains("password")), "{marks}");

    // Accents and case do not matter; every word must match.
    assert_eq!(page_of(&type_query(&b, "PÁSSWORDS")[0], &site), "guidelines/passwords-and-mfa.html");
    assert!(type_query(&b, "password zebracorn").is_empty(), "AND: an unknown word empties the list");

    // Filters by type and theme.
    type_query(&b, "access");
    b.js("const s = document.querySelector('[data-search-filter=kind]'); s.value = 'control'; s.dispatchEvent(new Event('change', {bubbles: true})); return 1");
    assert!(b.wait_for(
        "[...document.querySelectorAll('#search-results .search-badge')].every(e => e.textContent === 'control')",
        3000
    ));
    b.js("const s = document.querySelector('[data-search-filter=theme]'); s.value = 'people'; s.dispatchEvent(new Event('change', {bubbles: true})); return 1");
    assert!(b.wait_for("document.querySelectorAll('#search-results .search-hit').length > 0", 3000));
    let ids = b.js("return [...document.querySelectorAll('#search-results .search-hit a')].map(a => a.getAttribute('href').split('/').pop())");
    for id in ids.as_array().unwrap() {
        assert!(id.as_str().unwrap().starts_with("A.6."), "people controls are A.6.x: {ids}");
    }
}

#[test]
fn keyboard_and_linkable_results() {
    let (_tmp, out) = sample_site("search-keys");
    let Some(b) = Browser::try_new(1280, 900) else { return };
    let site = format!("file://{}/", out.display());
    // ?q= on any page opens the results.
    b.goto(&format!("{site}soa.html?q=incident+response"));
    assert!(
        b.wait_for("document.querySelectorAll('#search-results .search-hit').length > 0", 5000),
        "?q= shows results"
    );
    assert_eq!(b.js("return document.getElementById('search').value"), "incident response");
    assert!(!b.js("return document.getElementById('search-results').hidden").as_bool().unwrap());
    // Escape closes.
    b.key("#search", fantoccini::key::Key::Escape);
    assert!(b.wait_for("document.getElementById('search-results').hidden", 2000), "Escape closes the results");
    // `/` focuses the field from anywhere on the page.
    b.js("document.activeElement.blur(); return 1");
    b.type_into("body", "/");
    assert!(b.wait_for("document.activeElement === document.getElementById('search')", 2000), "/ focuses search");
    // Typing keeps the query in the address (linkable); arrows move, Enter opens.
    let hits = type_query(&b, "A.5.15");
    assert!(b.current_url().contains("q=A.5.15"), "{}", b.current_url());
    b.key("#search", fantoccini::key::Key::Down);
    b.key("#search", fantoccini::key::Key::Down);
    assert!(b.wait_for(
        "document.querySelector('#search-results .search-hit:nth-child(2)').classList.contains('active')",
        2000
    ));
    b.key("#search", fantoccini::key::Key::Enter);
    let second = hits[1].clone();
    assert!(
        b.wait_for(&format!("location.href === {}", serde_json::to_string(&second).unwrap()), 5000),
        "Enter opens {second}"
    );
}

/// Serves `dir` at http://127.0.0.1:PORT/ until the test ends (one thread, one request per
/// connection), so the site can be opened under a sub-path.
fn serve(dir: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                continue;
            }
            let path =
                line.split_whitespace().nth(1).unwrap_or("/").split(['?', '#']).next().unwrap_or("/").to_string();
            let file = dir.join(path.trim_start_matches('/'));
            let ok = !path.contains("..") && file.is_file();
            let body = if ok { std::fs::read(&file).unwrap_or_default() } else { b"not found".to_vec() };
            let kind = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
                Some("css") => "text/css",
                _ => "application/octet-stream",
            };
            let status = if ok { "200 OK" } else { "404 Not Found" };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
        }
    });
    port
}

#[test]
fn search_over_http_under_a_sub_path() {
    let (tmp, _out) = sample_site("search-http");
    let port = serve(tmp.clone());
    let Some(b) = Browser::try_new(1280, 900) else { return };
    let site = format!("http://127.0.0.1:{port}/sub/path/");
    b.goto(&format!("{site}controls/A.8.2.html"));
    check_queries(&b, &site);
    // Index files were loaded from under the sub-path.
    let srcs = b
        .js("return [...document.querySelectorAll('script[src]')].map(s => s.src).filter(s => s.includes('/search/'))");
    assert!(
        srcs.as_array().unwrap().iter().all(|s| s.as_str().unwrap().starts_with(&format!("{site}search/"))),
        "{srcs}"
    );
}

/// Every file under `dir/search/`, as text; section chunks (deflated) as the JSON they hold.
fn search_files(dir: &Path) -> Vec<(PathBuf, String)> {
    walkdir::WalkDir::new(dir.join("search"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned();
            let chunk = e.path().parent().is_some_and(|p| p.ends_with("search/c"));
            if !chunk {
                return (e.path().to_path_buf(), text);
            }
            let packed = text.split('"').nth(1).expect("a chunk holds one string");
            let json = ismsbook::search::shard::unpack(packed).expect("a chunk inflates");
            (e.path().to_path_buf(), String::from_utf8(json).expect("UTF-8 JSON"))
        })
        .collect()
}

#[test]
fn an_excluded_document_leaves_no_trace_in_the_index() {
    let tmp = temp_dir("search-canary");
    copy_tree(&repo().join("tests/fixtures/_common"), &tmp);
    std::fs::create_dir_all(tmp.join("secret")).unwrap();
    std::fs::write(
        tmp.join("secret/merger.md"),
        "---\nid: DOC-CANARY\ntitle: Project Quokkafalcon Plan\ntype: record\nclassification: confidential\n---\n\n\
         # Project Quokkafalcon Plan\n\n## Zanzibarite terms\n\nThe zanzibarite price is secret.\n",
    )
    .unwrap();
    let traces = ["quokkafalcon", "zanzibarit", "doc-canary", "secret/merger", "merger.html"];
    let found = |dir: &Path| -> Vec<String> {
        let mut hits = Vec::new();
        for (path, text) in search_files(dir) {
            let lower = text.to_lowercase();
            for t in traces.iter().filter(|t| lower.contains(*t)) {
                hits.push(format!("{t} in {}", path.display()));
            }
        }
        hits
    };
    // Built at confidential, the document is indexed (the check below can fail): every trace
    // is there, the URL in a chunk...
    let out = temp_dir("search-canary-out");
    let (all, internal) = (out.join("all"), out.join("internal"));
    let o = ismsbook(&tmp, &["build", "--classification", "confidential", "-d", all.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let seen = found(&all);
    for t in traces {
        assert!(seen.iter().any(|s| s.starts_with(&format!("{t} in "))), "{t} not indexed: {seen:?}");
    }
    assert!(seen.iter().any(|s| s.starts_with("merger.html in ") && s.contains("search/c/")), "{seen:?}");
    // ...built at internal, nothing of it is left under search/.
    let o = ismsbook(&tmp, &["build", "--classification", "internal", "-d", internal.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(internal.join("search/index.js").is_file());
    assert_eq!(found(&internal), Vec::<String>::new());
}

#[test]
fn the_index_is_reproducible() {
    let tmp = temp_dir("search-repro");
    let (a, b) = (tmp.join("a"), tmp.join("b"));
    assert!(build_sample(&a, &[]).status.success());
    assert!(build_sample(&b, &[]).status.success());
    let (fa, fb) = (search_files(&a), search_files(&b));
    assert!(fa.len() > 10);
    assert_eq!(fa.len(), fb.len());
    for ((pa, ta), (pb, tb)) in fa.iter().zip(&fb) {
        assert_eq!(pa.strip_prefix(&a).unwrap(), pb.strip_prefix(&b).unwrap());
        assert!(ta == tb, "{} differs between two builds", pa.display());
    }
}

/// serve's rebuilds keep the index in memory and rewrite only what an edit changed: a new
/// section in one document rewrites that document's chunk, the manifest and the shards of the
/// terms whose postings moved, no other chunk; and the result is, byte for byte, the index of
/// a full build of the edited sources (a one-shot build, whose index writes each chunk as soon
/// as its pages are indexed, and keeps none).
#[test]
fn a_rebuild_updates_the_index_file_by_file_to_what_a_full_build_writes() {
    use ismsbook::build::{Options, Session};
    let dir = common::serve::sample_copy("search-incremental");
    let opts = |out: &str| Options { dir: dir.clone(), build_dir: Some(dir.join(out)), ..Options::default() };
    let mut live = Session::watched(opts("live"));
    let first = live.rebuild(&[]).expect("first build");
    assert_eq!(first.report.errors, 0, "{:?}", first.report.diagnostics);
    let chunks = files(&dir.join("live/search/c")).len();
    assert!(chunks > 10, "{chunks} chunks");

    let doc = dir.join("sample-isms/policies/access-control.md");
    let text = read(&doc);
    let edited = text.replacen(
        "## Responsibilities",
        "## Zebracorn exceptions\n\nNo zebracorn is granted an exception.\n\n## Responsibilities",
        1,
    );
    assert_ne!(text, edited);
    std::fs::write(&doc, edited).unwrap();
    let r = live.rebuild(&[doc.canonicalize().unwrap()]).expect("rebuild");
    assert!(r.partial && r.report.errors == 0, "{:?}", r.report.diagnostics);
    let changed: Vec<String> =
        r.changed.expect("known changes").into_iter().filter(|f| f.starts_with("search/")).collect();
    let changed_chunks: Vec<&String> = changed.iter().filter(|f| f.starts_with("search/c/")).collect();
    assert_eq!(changed_chunks.len(), 1, "one chunk: {changed:?}");
    assert!(changed.contains(&"search/index.js".to_string()), "the section count changed: {changed:?}");
    let total = files(&dir.join("live/search")).len();
    assert!(changed.len() * 2 < total, "{} of {total} search files rewritten: {changed:?}", changed.len());

    let mut full = Session::new(opts("full"));
    let r = full.rebuild(&[]).expect("full build");
    assert_eq!(r.report.errors, 0);
    let (a, b) = (search_files(&dir.join("live")), search_files(&dir.join("full")));
    assert_eq!(a.len(), b.len());
    for ((pa, ta), (_, tb)) in a.iter().zip(&b) {
        assert!(ta == tb, "{} differs from a full build", pa.display());
    }
    assert!(a.iter().any(|(_, t)| t.contains("zebracorn")), "the new word is indexed");
}

/// A word of the sample found in one section only, 141 characters into its text (so that a
/// snippet around it leaves the section's first words out), and the page of that section.
const SNIPPET_QUERY: &str = "unmonitored";
const SNIPPET_PAGE: &str = "controls/A.8.20.html";

/// A result's snippet is the text around the matched words, not the start of the section.
#[test]
fn snippets_show_the_text_around_the_match() {
    let (_tmp, out) = sample_site("search-snippet");
    let Some(b) = Browser::try_new(1280, 900) else { return };
    b.goto(&format!("file://{}/index.html", out.display()));
    let hits = b.block_on(async {
        b.client()
            .execute_async(
                "const done = arguments[arguments.length - 1]; ISMSBOOK_SEARCH.query(arguments[0]).then(done);",
                vec![serde_json::json!(SNIPPET_QUERY)],
            )
            .await
            .expect("query")
    });
    let first = &hits[0];
    assert_eq!(first["url"], SNIPPET_PAGE, "{hits}");
    let snippet = first["snippet"].as_str().unwrap_or_default();
    assert!(snippet.starts_with('…') && snippet.to_lowercase().contains(SNIPPET_QUERY), "{snippet}");
    // On screen, the matched word is highlighted in the snippet.
    type_query(&b, SNIPPET_QUERY);
    let marked = b.js("return [...document.querySelectorAll('#search-results .search-hit:first-child .search-snippet mark')].map(m => m.textContent.toLowerCase())");
    assert!(marked.as_array().unwrap().iter().any(|m| m.as_str() == Some(SNIPPET_QUERY)), "{marked}");
}

#[test]
fn page_furniture_stays_out_of_the_index_and_neighbouring_words_stay_apart() {
    // The index holds what a page says, not its furniture: a document's classification banner
    // and the lists of links to other pages (what implements a control, what cites a page, what
    // applies to a role) would make every linked title match on pages that only list it, and
    // fill snippets with ids ("GDL-PASS GDL-PASS › ..."). Words of neighbouring elements (a
    // control's attribute tags) must not run together in the text that snippets show.
    let (_tmp, out) = sample_site("search-furniture");
    let chunks: Vec<String> = search_files(&out)
        .into_iter()
        .filter(|(p, _)| p.parent().is_some_and(|d| d.ends_with("search/c")))
        .map(|(_, text)| text)
        .collect();
    let all = chunks.concat();
    assert!(all.contains("\"controls/A.5.17.html\""), "the control page is indexed");
    assert!(all.contains("\"soa-decision\""), "a control's own sections are indexed");
    for furniture in ["POL-AC · version", "\"implemented-by\"", "\"cited-by\"", "\"what-applies\"", "\"implements\""] {
        assert!(!all.contains(furniture), "`{furniture}` is in the index");
    }
    assert!(all.contains("#confidentiality #integrity"), "attribute tags apart");
    assert!(!all.contains("#confidentiality#integrity"), "attribute tags glued");
}

/// The analysis of the handbook in `book`, and the HTML pages of its built `site` in the order
/// a build renders them: the pages that are not documents, then the documents in the print
/// edition's order.
fn in_build_order(book: &Path, site: &Path) -> (ismsbook::build::Analysis, Vec<String>) {
    use ismsbook::build::{Options, analyse, configure};
    let (config, _) = configure(&Options { dir: book.to_path_buf(), ..Options::default() }).expect("book.toml");
    let a = analyse(config, &mut ismsbook::diagnostics::Diagnostics::default()).expect("analysis");
    let documents: Vec<String> = a.hb.print_order().into_iter().map(|i| a.hb.documents[i].url.clone()).collect();
    let mut pages: Vec<String> =
        files(site).into_iter().filter(|f| f.ends_with(".html") && !documents.contains(f)).collect();
    pages.extend(documents);
    (a, pages)
}

/// A one-shot build's index writes each section chunk as soon as the last of its pages is
/// indexed, and keeps neither the chunk nor its pages' entries: fed the sample's pages in the
/// order a build renders them (the pages that are not documents, then the documents in the
/// print edition's order, which groups them by type), it ends holding no chunk and no entry,
/// and the files it writes are, byte for byte, those of the build.
#[test]
fn a_one_shot_index_writes_each_chunk_as_soon_as_it_is_complete() {
    use ismsbook::search::SearchIndex;
    let tmp = temp_dir("search-early-chunks");
    let built = tmp.join("built");
    assert!(build_sample(&built, &[]).status.success());
    let (a, pages) = in_build_order(&repo(), &built);
    let page = |url: &str| std::fs::read_to_string(built.join(url)).expect("page");
    let types: Vec<_> = a.hb.print_order().into_iter().map(|i| a.hb.documents[i].doc_type).collect();
    assert!(types.windows(2).any(|w| w[0] != w[1]), "the sample has documents of several types");

    let ix = SearchIndex::new(&a.hb);
    let out = ismsbook::output::Output::staged(&tmp.join("early"), None).expect("staging");
    out.writing(|| {
        ix.feeding(Some(&out), |feed| {
            for url in &pages {
                feed(url, &page(url));
            }
        })
    })
    .expect("fed");
    let held: Vec<(&str, usize)> =
        ix.heap().into_iter().filter(|(part, n)| matches!(*part, "entries" | "chunks") && *n > 0).collect();
    assert!(held.is_empty(), "the index still holds {held:?}");
    assert!(ix.written_early(), "chunks were written while the pages were fed");
    out.writing(|| ix.write(&out, true)).expect("writing").expect("index");
    out.finish().expect("swap");
    // (The build's search/ also holds the theme's script.)
    let script = |(p, _): &(PathBuf, String)| !p.ends_with("search/search.js");
    let a: Vec<_> = search_files(&built).into_iter().filter(script).collect();
    let b = search_files(&tmp.join("early"));
    assert_eq!(a.len(), b.len());
    for ((pa, ta), (_, tb)) in a.iter().zip(&b) {
        assert!(ta == tb, "{} differs from the build's", pa.display());
    }
}

/// Pages are numbered in the order a build renders them, so a chunk is complete (and packed)
/// soon after its first page is indexed: fed one by one in that order, pages of two types
/// interleaved in one folder (which a numbering by URL would put in the same chunks, each
/// waiting for the print edition to reach the second type), the index never holds the entries
/// of more than the last chunk's pages.
#[test]
fn page_entries_wait_for_one_chunk_at_most() {
    use ismsbook::search::SearchIndex;
    let dir = temp_dir("search-order");
    copy_tree(&repo().join("tests/fixtures/_common"), &dir);
    std::fs::create_dir_all(dir.join("procedures")).unwrap();
    for i in 0..64 {
        let kind = if i % 2 == 0 { "procedure" } else { "standard" };
        let text = format!(
            "---\nid: DOC-{i}\ntitle: Document {i}\ntype: {kind}\n---\n# Document {i}\n\n\
             ## Scope\n\nThe laptops and servers of team {i}.\n\n## Rules\n\nLock the screen; report a loss.\n"
        );
        std::fs::write(dir.join(format!("procedures/d{i:02}.md")), text).unwrap();
    }
    let run = ismsbook(&dir, &["build", "."]);
    assert!(run.status.success(), "{}", stderr(&run));
    let built = dir.join("book");
    let (a, pages) = in_build_order(&dir, &built);
    let ix = SearchIndex::new(&a.hb);
    let entries = || ix.heap().into_iter().find(|(part, _)| *part == "entries").map_or(0, |(_, n)| n);
    // The sizes of the entries added, most recent last (a page that completes its chunk adds
    // none: the chunk's entries are packed).
    let mut sizes: Vec<usize> = Vec::new();
    for url in &pages {
        let before = entries();
        ix.add(url, &std::fs::read_to_string(built.join(url)).unwrap());
        let held = entries();
        if held > before {
            sizes.push(held - before);
        }
        let recent: usize = sizes.iter().rev().take(ismsbook::search::PAGES_PER_CHUNK).sum();
        assert!(held <= recent, "after {url}: {held} bytes of entries held, the last chunk's pages have {recent}");
    }
    assert_eq!(entries(), 0, "every chunk is packed");
}
