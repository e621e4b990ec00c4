//! The risk register as a user sees it: pages, heat maps, CSV, JSON, the links between risks,
//! controls, roles and documents, classification, and (in real headless Chromium) heat-map
//! cells that open the register filtered to their cell.

mod common;
use common::browser::Browser;
use common::*;
use std::path::{Path, PathBuf};

/// Three risks over the common fixture handbook (build date 2025-11-28).
const RISKS: &str = r#"assessed: 2025-10-01
method: { likelihood: 5, impact: 5, levels: { high: 15, medium: 8 }, accept-at-most: 6, treat-within-days: { high: 90, medium: 180 } }
risks:
  - id: R-001
    title: Leavers keep their accounts
    owner: ciso
    likelihood: 4
    impact: 4
    treatment: modify
    controls: [A.5.15, A.8.2]
    actions:
      - { what: "Automate leaver removal", owner: ciso, due: 2025-12-15, status: in-progress }
    residual: { likelihood: 1, impact: 4 }
    review: 2026-10-01
  - id: R-002
    title: Unpatched servers exploited
    owner: ceo
    likelihood: 3
    impact: 4
    treatment: modify
    controls: [A.8.8]
    residual: { likelihood: 2, impact: 4 }
    accepted: { by: ceo, date: 2025-10-02 }
  - id: R-003
    title: Assets nobody knows about
    owner: ciso
    likelihood: 4
    impact: 1
    treatment: retain
    controls: [A.5.9]
"#;

/// The common fixture handbook with `risks` as risks.yaml, a document citing [[R-002]] and
/// an SoA justification citing R-001 in plain text.
fn risk_handbook(name: &str, risks: &str) -> PathBuf {
    let dir = temp_dir(name);
    copy_tree(&repo().join("tests/fixtures/_common"), &dir);
    std::fs::write(dir.join("risks.yaml"), risks).expect("write risks.yaml");
    let soa = read(&dir.join("soa.yaml"));
    let soa = soa.replacen(
        "- control: A.8.2\n  applicable: true\n  justification: \"Needed\"",
        "- control: A.8.2\n  applicable: true\n  justification: \"Required by risk R-001\"",
        1,
    );
    std::fs::write(dir.join("soa.yaml"), soa).expect("write soa.yaml");
    std::fs::create_dir_all(dir.join("docs")).expect("mkdir");
    std::fs::write(
        dir.join("docs/patching.md"),
        "---\nid: GDL-PATCH\ntitle: Patching guide\ntype: guideline\n---\n# Patching guide\n\n## Why\n\nSee [[R-002]].\n",
    )
    .expect("write doc");
    dir
}

fn build(dir: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec!["build", "."];
    args.extend_from_slice(extra);
    let out = ismsbook(dir, &args);
    assert!(out.status.success(), "build failed:\n{}", stderr(&out));
    assert_eq!(diagnostics(&out), Vec::<String>::new(), "the risk handbook builds clean");
    dir.join("book")
}

#[test]
fn register_pages_heat_maps_csv_and_json() {
    let dir = risk_handbook("risk-pages", RISKS);
    let book = build(&dir, &[]);
    assert_eq!(site::broken_links(&book), Vec::<String>::new());

    let index = read(&book.join("risks/index.html"));
    for id in ["R-001", "R-002", "R-003"] {
        assert!(index.contains(&format!("<a href=\"../risks/{id}.html\">{id}</a>")), "register lists {id}");
    }
    // Two heat maps; R-001 (4x4) and R-003 (4x1) before treatment, R-001 at 1x4 after.
    assert!(index.contains("id=\"heatmap-inherent\"") && index.contains("id=\"heatmap-residual\""));
    assert!(index.contains("<a href=\"index.html?likelihood=4&amp;impact=4\""));
    assert!(index.contains("<a href=\"index.html?likelihood=4&amp;impact=1\""));
    assert!(index.contains("<a href=\"index.html?residual-likelihood=1&amp;residual-impact=4\""));
    assert!(!index.contains("index.html?likelihood=1&amp;impact=4\""), "no link from an empty cell");

    let r1 = read(&book.join("risks/R-001.html"));
    assert!(r1.contains("<a href=\"../controls/A.5.15.html\">A.5.15 Access control</a>"));
    assert!(r1.contains("Automate leaver removal") && r1.contains("2025-12-15"));
    // Each label and its value are one cell of the summary grid (as on document pages): bare
    // <dt>/<dd> items would each take a cell, and an odd count would set values under labels.
    let summary = r1.split("<dl class=\"meta\">").nth(1).and_then(|s| s.split("</dl>").next()).unwrap_or_default();
    let labels = summary.matches("<dt>").count();
    assert!(labels >= 5, "{summary}");
    assert_eq!(summary.matches("<div><dt>").count(), labels, "{summary}");
    assert!(r1.contains("Statement of Applicability</a>: <a href=\"../controls/A.8.2.html\">"), "SoA citation");
    let r2 = read(&book.join("risks/R-002.html"));
    assert!(r2.contains("accepted by <a href=\"../roles/ceo.html\">Chief Executive</a> on 2025-10-02"));
    assert!(r2.contains("<a href=\"../docs/patching.html\">Patching guide</a>"), "document citing R-002");
    let r3 = read(&book.join("risks/R-003.html"));
    assert!(r3.contains("within the acceptance threshold"));
    // The register and each risk carry the breadcrumb every other page has.
    assert!(
        index.contains("<a href=\"../index.html\">Home</a></li><li><span aria-current=\"page\">Risk register</span>")
    );
    assert!(r3.contains(
        "<a href=\"../index.html\">Home</a></li><li><a href=\"../risks/index.html\">Risk register</a></li>\
         <li><span aria-current=\"page\">R-003 "
    ));

    // SoA justifications link the risks they cite, on soa.html and on the control page.
    assert!(read(&book.join("soa.html")).contains("<td>Required by risk <a href=\"risks/R-001.html\">R-001</a></td>"));
    assert!(
        read(&book.join("controls/A.8.2.html")).contains("Required by risk <a href=\"../risks/R-001.html\">R-001</a>")
    );
    // The document's [[R-002]] links to the risk with its id and title.
    let doc = read(&book.join("docs/patching.html"));
    assert!(doc.contains("<a href=\"../risks/R-002.html\">R-002 Unpatched servers exploited</a>"));
    // Control pages list the risks they treat; role pages the risks a role owns.
    let control = read(&book.join("controls/A.8.8.html"));
    assert!(control.contains("Risks treated") && control.contains("../risks/R-002.html"));
    let ciso = read(&book.join("roles/ciso.html"));
    assert!(
        ciso.contains("Risks owned") && ciso.contains("../risks/R-001.html") && ciso.contains("../risks/R-003.html")
    );
    assert!(!ciso.contains("../risks/R-002.html"));

    let csv = read(&book.join("risks.csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,title,owner,likelihood,impact,score,level,treatment,controls,residual_likelihood,residual_impact,\
         residual_score,residual_level,accepted_by,accepted_date,open_actions,assessed,review"
    );
    assert_eq!(
        lines[1],
        "R-001,Leavers keep their accounts,ciso,4,4,16,high,modify,A.5.15;A.8.2,1,4,4,low,,,1,2025-10-01,2026-10-01"
    );
    assert_eq!(
        lines[2],
        "R-002,Unpatched servers exploited,ceo,3,4,12,medium,modify,A.8.8,2,4,8,medium,ceo,2025-10-02,0,2025-10-01,"
    );
    assert_eq!(lines.len(), 4);

    let json: serde_json::Value = serde_json::from_str(&read(&book.join("handbook.json"))).expect("json");
    let risks = &json["risks"];
    assert_eq!(risks["method"]["accept_at_most"], 6);
    assert_eq!(risks["method"]["levels"][0]["level"], "high");
    assert_eq!(risks["risks"].as_array().map(Vec::len), Some(3));
    assert_eq!(risks["risks"][0]["score"], 16);
    assert_eq!(risks["risks"][0]["level"], "high");
    assert_eq!(risks["risks"][0]["cited_by_soa"][0], "A.8.2");
    assert_eq!(risks["risks"][1]["cited_by"][0], "GDL-PATCH");
    // The shared navigation and the top bar reach the register.
    assert!(read(&book.join("nav.js")).contains("risks/index.html"));
    assert!(read(&book.join("index.html")).contains("href=\"risks/index.html\""));
}

#[test]
fn a_register_above_the_build_classification_leaves_no_trace() {
    // R-002 is not accepted: a finding that must not reach coverage.html.
    let risks = RISKS.replace("    accepted: { by: ceo, date: 2025-10-02 }\n", "");
    let dir = risk_handbook("risk-classified", &format!("classification: confidential\n{risks}"));
    let out = ismsbook(&dir, &["build", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The document's link to R-002 becomes plain text; the finding is reported, not published.
    assert_eq!(
        diagnostics(&out),
        [
            "docs/patching.md:10:5: warning[excluded-reference]: [[R-002]] is a risk of a register this build does not publish: shown as plain text",
            "risks.yaml:23:5: warning[risk-not-accepted]: the residual score of R-002 is 8, above the acceptance threshold 6, and no one has accepted it"
        ]
    );
    assert!(!read(&dir.join("book/coverage.html")).contains("R-002"));
    let book = dir.join("book");
    assert!(!book.join("risks").exists() && !book.join("risks.csv").exists());
    for f in files(&book) {
        let text = String::from_utf8_lossy(&std::fs::read(book.join(&f)).unwrap_or_default()).into_owned();
        for leak in ["Leavers keep", "Unpatched servers", "risks/", "risks.csv"] {
            assert!(!text.contains(leak), "{f} mentions {leak}");
        }
    }
    let json: serde_json::Value = serde_json::from_str(&read(&book.join("handbook.json"))).expect("json");
    assert!(json.get("risks").is_none());
    assert!(read(&book.join("soa.html")).contains("<td>Required by risk R-001</td>"), "plain text, no link");
    // Asked for, the register is published.
    let out = ismsbook(&dir, &["build", ".", "--classification", "confidential"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(book.join("risks/R-002.html").is_file() && book.join("risks.csv").is_file());
}

#[test]
fn heat_map_cells_open_the_register_filtered_to_their_cell() {
    let dir = risk_handbook("risk-browser", RISKS);
    let book = build(&dir, &[]);
    let Some(b) = Browser::try_new(1280, 900) else { return };
    let index = format!("file://{}", book.join("risks/index.html").display());
    let shown = "return [...document.querySelectorAll('#risk-table tbody tr')].filter(r => r.offsetParent !== null).map(r => r.id).join(' ')";
    b.goto(&index);
    // Both maps are drawn: 5 x 5 cells each, with the counts in the right cells.
    assert_eq!(b.js("return document.querySelectorAll('#heatmap-inherent td').length"), 25);
    assert_eq!(b.js("return document.querySelectorAll('#heatmap-residual td').length"), 25);
    assert_eq!(b.js("return document.querySelectorAll('#heatmap-inherent td a').length"), 3);
    let cell = b.js("const r = document.querySelector('#heatmap-inherent td a[data-likelihood=\"4\"][data-impact=\"4\"]').getBoundingClientRect(); return r.width > 10 && r.height > 10");
    assert_eq!(cell, true, "the 4x4 cell is drawn with a size");
    assert_eq!(b.js(shown), "R-001 R-002 R-003");
    // Clicking a cell opens the register filtered to the risks in that cell.
    b.click("#heatmap-inherent td a[data-likelihood=\"4\"][data-impact=\"1\"]");
    assert!(b.wait_for("location.search.includes('impact=1')", 3000), "the click navigates");
    assert!(b.wait_for("document.querySelector('select[data-filter=impact]').value === '1'", 3000));
    assert_eq!(b.js(shown), "R-003");
    // After treatment: R-002 sits at 2 x 4.
    b.goto(&index);
    b.click("#heatmap-residual td a[data-likelihood=\"2\"][data-impact=\"4\"]");
    assert!(b.wait_for("location.search.includes('residual-likelihood=2')", 3000));
    assert!(b.wait_for("document.querySelector('select[data-filter=residual-likelihood]').value === '2'", 3000));
    assert_eq!(b.js(shown), "R-002");
}

#[test]
fn search_finds_a_risk_by_its_id_first() {
    let dir = risk_handbook("risk-search", RISKS);
    let book = build(&dir, &[]);
    assert!(book.join("search").is_dir(), "the build has a search index");
    let Some(b) = Browser::try_new(1280, 900) else { return };
    let site = format!("file://{}/", book.display());
    // The document citing R-002 also matches; the risk's own page comes first.
    for (q, want) in [("R-002", "risks/R-002.html"), ("r-002", "risks/R-002.html"), ("R-003", "risks/R-003.html")] {
        b.goto(&format!("{site}index.html?q={q}"));
        let shown = format!(
            "document.getElementById('search-results').getAttribute('data-query') === '{q}' && document.querySelectorAll('#search-results .search-hit a').length > 0"
        );
        assert!(b.wait_for(&shown, 5000), "no results for {q}");
        let first = b.js("return document.querySelector('#search-results .search-hit a').getAttribute('href')");
        let first = first.as_str().unwrap_or_default();
        assert!(first.trim_start_matches(&site).starts_with(want), "first result for {q}: {first}");
    }
    // In the sample, where policies cite R-002 too.
    let sample_out = dir.join("sample-book");
    assert!(build_sample(&sample_out, &[]).status.success());
    let sample_site = format!("file://{}/", sample_out.display());
    b.goto(&format!("{sample_site}index.html?q=R-002"));
    assert!(b.wait_for("document.querySelectorAll('#search-results .search-hit a').length > 0", 5000));
    let first = b.js("return document.querySelector('#search-results .search-hit a').getAttribute('href')");
    assert_eq!(first.as_str().unwrap_or_default().trim_start_matches(&sample_site), "risks/R-002.html");
    // The risk's words are indexed too: its title finds it.
    b.goto(&format!("{site}index.html?q=unpatched+servers"));
    assert!(b.wait_for("document.querySelectorAll('#search-results .search-hit a').length > 0", 5000));
    let hrefs = b.js("return [...document.querySelectorAll('#search-results .search-hit a')].map(a => a.getAttribute('href')).join(' ')");
    assert!(hrefs.as_str().unwrap_or_default().contains("risks/R-002.html"), "{hrefs}");
}
