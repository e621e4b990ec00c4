//! The default theme as a reader meets it: the `<main>` of each page kind of the sample
//! handbook (order of what a page shows, labels, links an auditor follows), the shared
//! navigation, print.html, 404.html, the customisation options and `init --theme`.
//! Browser behaviour (scrolling, phone layout, dark mode, axe-core) is in theme_browser.rs.

mod common;
use common::*;
use std::collections::HashSet;
use std::path::Path;

/// The sample, built once for every test of this file.
fn book() -> &'static Path {
    shared_sample_book("theme")
}

fn page(rel: &str) -> String {
    read(&book().join(rel))
}

/// The `<main>` element of a page.
fn main_of(rel: &str) -> String {
    let html = page(rel);
    let start = html.find("<main").unwrap_or_else(|| panic!("{rel} has no <main>"));
    let end = html.rfind("</main>").unwrap_or_else(|| panic!("{rel} has no </main>"));
    html[start..end].to_string()
}

/// A new handbook `h` (from `init`) in a temp folder, whose book.toml takes its theme from the
/// folder `t` beside it (made empty). Returns the temp folder.
fn book_with_theme(name: &str) -> std::path::PathBuf {
    let tmp = temp_dir(name);
    assert!(ismsbook(&tmp, &["init", "h"]).status.success());
    let toml = read(&tmp.join("h/book.toml"));
    std::fs::write(tmp.join("h/book.toml"), format!("{toml}\n[output.html]\ntheme = \"../t\"\n")).expect("toml");
    std::fs::create_dir_all(tmp.join("t")).expect("theme dir");
    tmp
}

/// Asserts that `needles` occur in `text` in this order.
fn in_order(text: &str, needles: &[&str]) {
    let mut at = 0;
    for n in needles {
        match text[at..].find(n) {
            Some(i) => at += i + n.len(),
            None => panic!("`{n}` missing or out of order (after byte {at}) in\n{text}"),
        }
    }
}

#[test]
fn document_page_shows_title_then_metadata_then_body_then_controls_references_and_history() {
    let main = main_of("policies/access-control.html");
    assert_eq!(main.matches("<h1").count(), 1, "one h1");
    in_order(
        &main,
        &[
            "<nav class=\"crumbs\" aria-label=\"Breadcrumb\">",
            "<a href=\"../index.html\">Home</a>",
            "policies",
            "<span aria-current=\"page\">Access Control Policy</span>",
            "class=\"cls-banner cls-rank-1\" data-nosearch><span>internal</span>",
            "<h1 id=\"access-control-policy\">Access Control Policy</h1>",
            "aria-label=\"Document control\"",
            "<dt>Owner</dt><dd><a href=\"../roles/it-manager.html\">IT Manager</a>",
            "<dt>Approver</dt><dd><a href=\"../roles/ceo.html\">Chief Executive Officer</a>",
            "<span class=\"badge review-current\">current</span>",
            "On this page",
            "<h2 id=\"purpose-and-scope\">",
            "<h2 id=\"implements\">Controls and clauses this policy implements</h2>",
            "<a class=\"chip\" href=\"../controls/A.5.15.html\"><code>A.5.15</code> Access control</a>",
            "<h2 id=\"cited-by\">Referenced by</h2>",
            "<h2 id=\"document-history\">Change history</h2>",
            "<th scope=\"col\">Version</th>",
            "<nav class=\"pager\" aria-label=\"Previous and next\">",
        ],
    );
    // Heading anchors are out of the Tab order and hidden from screen readers.
    assert!(main.contains("aria-hidden=\"true\" tabindex=\"-1\">#</a>"));
    // Markdown tables scroll in their own box.
    assert!(main.contains("<div class=\"table-wrap\"><table>"));
    // An overdue document says so at the top, under its title.
    let phys = main_of("policies/physical-security.html");
    in_order(
        &phys,
        &["<h1", "Physical Security Policy</h1>", "class=\"banner overdue\"", "Review overdue", "<dl class=\"meta\""],
    );
    assert!(!main.contains("banner overdue"));
}

#[test]
fn control_page_labels_requirement_guidance_and_links_its_soa_row_and_filtered_index() {
    let main = main_of("controls/A.5.15.html");
    in_order(
        &main,
        &[
            "<a href=\"../controls/index.html\">Controls</a>",
            "<a href=\"../controls/index.html?theme=organizational\">Organizational</a>",
            "<h1>A.5.15 Access control</h1>",
            "<dt>ISO/IEC 27001:2013 ids</dt><dd><code>A.9.1.1</code>, <code>A.9.1.2</code>",
            "<h2 id=\"requirement\">ISO/IEC 27001 Annex A requirement (in our words)</h2>",
            "<h2 id=\"soa-decision\">Our decision in the Statement of Applicability</h2>",
            "<dt>Justification for inclusion</dt><dd>Customer data",
            "<a href=\"../soa.html#A.5.15\">A.5.15 in the Statement of Applicability</a>",
            "<h2 id=\"implemented-by\">How we implement it</h2>",
            "../policies/access-control.html\">Access Control Policy</a>",
            "POL-AC › Access rules</a>",
            "<h2 id=\"guidance\">Guidance, in the manner of ISO/IEC 27002 (in our words)</h2>",
            "<a class=\"tag\" href=\"../controls/index.html?control-type=preventive\"",
        ],
    );
    // An excluded control labels its justification as one for exclusion.
    assert!(main_of("controls/A.7.6.html").contains("<dt>Justification for exclusion</dt>"));
    // Clause 6.1.3 leads to the SoA; every clause page states its requirement with a label.
    let c613 = main_of("clauses/6.1.3.html");
    in_order(&c613, &["<h1>Clause 6.1.3", "ISO/IEC 27001 requirement (in our words)", "<a href=\"../soa.html\">"]);
    assert!(!main_of("clauses/6.1.2.html").contains("../soa.html\">Statement"));
}

#[test]
fn soa_is_audit_grade() {
    let main = main_of("soa.html");
    in_order(
        &main,
        &[
            "<h1>Statement of Applicability</h1>",
            "aria-label=\"Document control of the Statement of Applicability\"",
            "<dt>Version</dt><dd>4.0</dd>",
            "<dt>Approved by</dt><dd><a href=\"roles/ceo.html\">Chief Executive Officer</a>",
            "<dt>Approved</dt><dd class=\"nowrap\">2026-11-16</dd>",
            "data-filter-table=\"soa-table\"",
            "aria-live=\"polite\"",
            "data-count-for=\"soa-table\" data-where=\"applicable=yes\">",
            "<th scope=\"col\">Control</th>",
        ],
    );
    // The live count starts at the applicable total shown above the table.
    let number_after = |needle: &str| -> String {
        let at = main.find(needle).unwrap_or_else(|| panic!("{needle}")) + needle.len();
        main[at..].chars().take_while(char::is_ascii_digit).collect()
    };
    let applicable = number_after("<li class=\"stat ok\"><strong>");
    assert!(!applicable.is_empty());
    assert_eq!(number_after("data-where=\"applicable=yes\">"), applicable);
    // Row ids that control pages link to, readable section links, status badges.
    assert!(main.contains("<tr id=\"A.5.15\" data-theme=\"organizational\""));
    assert!(main.contains(">POL-AC › Access rules</a>"));
    assert!(!main.contains(">§<"), "a link whose only text is §");
    assert!(main.contains("<span class=\"badge status-implemented\">implemented</span>"));
    assert!(main.contains("<span class=\"badge excluded\">no</span>"));
}

#[test]
fn register_names_roles_sorts_overdue_first_and_filters() {
    let main = main_of("register.html");
    let body = &main[main.find("<tbody>").expect("tbody")..];
    let first_row = &body[..body.find("</tr>").expect("a row")];
    assert!(first_row.contains(">POL-PHYS</a>") && first_row.contains("review-overdue"), "{first_row}");
    assert!(body.contains("<a href=\"roles/it-manager.html\">IT Manager</a>"));
    assert!(!body.contains("<td>it-manager</td>"), "role ids instead of names");
    assert!(body.contains("<td class=\"date\">20"), "approval dates kept on one line");
    for needle in ["data-filter=\"type\"", "data-filter=\"review\"", "aria-live=\"polite\"", "class=\"data sortable\""]
    {
        assert!(main.contains(needle), "{needle}");
    }
    let coverage = main_of("coverage.html");
    in_order(
        &coverage,
        &["<h1>Coverage</h1>", "<ul class=\"stats\"", " / ", "</strong> applicable controls", "</strong> gap"],
    );
}

#[test]
fn home_opens_with_what_applies_to_me_and_a_way_in_for_employees() {
    let main = main_of("index.html");
    in_order(
        &main,
        &[
            "<h1 id=\"kestrel-analytics-isms-handbook\">Kestrel Analytics ISMS Handbook</h1>",
            "<h2 id=\"what-applies-to-me\">What applies to me</h2>",
            "<a href=\"roles/all-staff.html\">All staff</a>",
            "<a href=\"roles/people-managers.html\">People managers</a>",
            "Auditors and the security team",
            "<div class=\"content\">",
            "<h2 id=\"policies\">Policies and documents</h2>",
            "<h3 id=\"type-policies\">Policies</h3>",
            "<h2 id=\"coverage-at-a-glance\">",
        ],
    );
    // One card per role of roles.yaml that a published document names as its audience.
    let mut audiences = HashSet::new();
    for f in files(&repo().join("sample-isms")).iter().filter(|f| f.ends_with(".md")) {
        let text = read(&repo().join("sample-isms").join(f));
        if text.contains("\nclassification: confidential") {
            continue;
        }
        if let Some(line) = text.lines().find_map(|l| l.strip_prefix("audience: [")) {
            audiences.extend(line.trim_end_matches(']').split(',').map(|a| a.trim().to_string()));
        }
    }
    let roles = read(&repo().join("sample-isms/roles.yaml"));
    for id in roles.lines().filter_map(|l| l.strip_prefix("- id: ")) {
        let card = format!("<h3><a href=\"roles/{id}.html\">");
        assert_eq!(main.contains(&card), audiences.contains(id), "card for {id}");
    }
    // The top bar leads employees to the policies.
    let html = page("controls/A.5.15.html");
    assert!(html.contains("<a href=\"../index.html#policies\">Policies</a>"));
    assert!(html.contains("<a href=\"../controls/index.html\" aria-current=\"true\">Controls</a>"));
}

#[test]
fn role_page_groups_documents_by_type_with_the_sections_that_name_the_role() {
    let main = main_of("roles/people-managers.html");
    in_order(
        &main,
        &[
            "<h1>People managers</h1>",
            "<h2 id=\"responsibilities\">Responsibilities</h2>",
            "<h2 id=\"what-applies\">What applies to you</h2>",
            "<h3 id=\"applies-policies\">Policies</h3>",
            "<a href=\"../policies/access-control.html\">Access Control Policy</a>",
            "<a href=\"../policies/access-control.html#responsibilities\">POL-AC › Responsibilities</a>",
            "<h3 id=\"applies-procedures\">Procedures</h3>",
        ],
    );
    let it = main_of("roles/it-manager.html");
    assert!(it.contains("<h2 id=\"owned\">Documents this role owns</h2>"));
    // The CEO belongs to the executive team (roles.yaml `member-of`): what is addressed to the
    // team (the management review procedure) applies to the CEO, and each page links the other.
    let ceo = main_of("roles/ceo.html");
    in_order(
        &ceo,
        &[
            "<dt>Member of</dt><dd><a href=\"../roles/executive-team.html\">Executive team</a></dd>",
            "<h2 id=\"what-applies\">What applies to you</h2>",
            "<a href=\"../isms/management-review.html\">",
        ],
    );
    let team = main_of("roles/executive-team.html");
    assert!(team.contains("<dt>Members</dt><dd><a href=\"../roles/ceo.html\">Chief Executive Officer</a>, "), "{team}");
    assert!(
        !main_of("roles/it-manager.html").contains("isms/management-review.html\">"),
        "the IT Manager is not on the team"
    );
}

#[test]
fn sidebar_comes_from_one_nav_js_with_folder_names_as_written_and_a_server_side_list() {
    let nav = page("nav.js");
    assert!(nav.starts_with("window.ISMSBOOK_NAV = "));
    for folder in ["\"t\":\"isms\"", "\"t\":\"guides\"", "\"t\":\"guidelines\""] {
        assert!(nav.contains(folder), "{folder} in {nav}");
    }
    assert!(!nav.contains("\"Isms\""));
    // Without JavaScript a small book's pages carry the list, current page marked.
    let html = page("policies/backup.html");
    let side = &html[html.find("<nav id=\"sidebar\"").expect("sidebar")..html.find("<main").expect("main")];
    assert!(side.contains("<a href=\"../policies/backup.html\" aria-current=\"page\">Backup Policy</a>"), "{side}");
    assert!(side.contains("<span class=\"nav-group-title\">isms</span>"));
    // Skip link first, landmarks, the shared scripts.
    let body = &html[html.find("<body").expect("body")..];
    in_order(
        body,
        &[
            "<a class=\"skip-link\" href=\"#content\">",
            "<header class=\"topbar\">",
            "id=\"menu-toggle\"",
            "<nav class=\"top\" aria-label=\"Main\">",
            "id=\"theme-toggle\"",
            "<main id=\"content\"",
            "<footer",
            "<script src=\"../nav.js\"></script>",
        ],
    );
}

#[test]
fn print_html_is_the_whole_handbook_in_reading_order_with_in_page_links_and_unique_ids() {
    let html = page("print.html");
    assert!(!html.contains("id=\"sidebar\"") && !html.contains("class=\"topbar\""), "navigation chrome in print.html");
    in_order(
        &html,
        &[
            "<h1 id=\"introduction\">Introduction</h1>",
            "<h1 class=\"part-title\" id=\"part-policies\">Policies</h1>",
            "<article id=\"p-policies:access-control\">",
            "<h1 class=\"part-title\" id=\"part-standards\">",
            "<h1 class=\"part-title\" id=\"part-clauses\">",
            "<h1 class=\"part-title\" id=\"part-controls\">",
            "<section id=\"p-controls:A.5.15\"",
            "<h1 class=\"part-title\" id=\"soa-title\">Statement of Applicability</h1>",
        ],
    );
    // Every document of the build is in it, each with its running head.
    for d in ["POL-AC", "POL-PHYS", "STD-CLOUD", "SOA"] {
        assert!(html.contains(&format!("<span class=\"cls-id\">{d} · version")), "{d}");
    }
    // Ids are unique and every in-page link lands on one; no link leads to a printed page.
    let ids = site::attr_values(&html, "id");
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "duplicate ids in print.html");
    for href in site::attr_values(&html, "href") {
        if let Some(anchor) = href.strip_prefix('#') {
            assert!(unique.contains(anchor), "#{anchor} has no target");
        } else {
            assert!(!href.starts_with("policies/") && !href.starts_with("controls/A."), "{href} not rewritten");
        }
    }
    // Classification fails closed: the confidential plan is only in the confidential edition.
    assert!(!html.contains("REC-RTP"));
    let tmp = temp_dir("theme-confidential");
    assert!(build_sample(&tmp.join("book"), &["--classification", "confidential"]).status.success());
    assert!(read(&tmp.join("book/print.html")).contains("REC-RTP"));
}

#[test]
fn not_found_page_finds_the_site_root_from_any_depth() {
    let html = page("404.html");
    in_order(
        &html,
        &["<head>", "var root = null;", "nav.js", "document.createElement(\"base\")", "<link rel=\"stylesheet\""],
    );
}

#[test]
fn css_and_js_per_page_stay_under_100_kb_and_come_from_this_site() {
    for rel in ["index.html", "policies/access-control.html", "controls/A.5.15.html", "soa.html", "print.html"] {
        let html = page(rel);
        let mut total = 0;
        for attr in ["href", "src"] {
            for v in site::attr_values(&html, attr) {
                assert!(!v.starts_with("http") && !v.starts_with("//"), "{rel} loads {v} from another host");
                if v.ends_with(".css") || v.ends_with(".js") {
                    let dir = Path::new(rel).parent().unwrap_or(Path::new(""));
                    total += std::fs::metadata(book().join(dir).join(v)).map(|m| m.len()).unwrap_or(0);
                }
            }
        }
        let inline: usize = html.split("<script>").skip(1).map(|s| s.find("</script>").unwrap_or(0)).sum();
        let total = total as usize + inline;
        assert!(total > 10_000 && total < 100_000, "{rel}: {total} bytes of CSS and JS");
    }
}

#[test]
fn output_html_options_add_a_logo_stylesheets_and_footer_text() {
    let tmp = temp_dir("theme-options");
    assert!(ismsbook(&tmp, &["init", "h"]).status.success());
    let dir = tmp.join("h");
    std::fs::write(dir.join("logo.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").expect("logo");
    std::fs::write(dir.join("brand.css"), ":root { --accent: #5a2d82; }").expect("css");
    let toml = read(&dir.join("book.toml"));
    std::fs::write(
        dir.join("book.toml"),
        format!("{toml}\n[output.html]\nlogo = \"logo.svg\"\nextra-css = [\"brand.css\"]\nfooter = \"Questions? security@example.com\"\n"),
    )
    .expect("toml");
    let run = ismsbook(&dir, &["build"]);
    assert!(run.status.success() && diagnostics(&run).is_empty(), "{}", stderr(&run));
    let html = read(&dir.join("book/policies/information-security-policy.html"));
    assert!(html.contains("<img class=\"logo\" src=\"../logo.svg\" alt=\"\">"));
    assert!(html.contains("<link rel=\"stylesheet\" href=\"../brand.css\">"));
    assert!(html.contains("Questions? security@example.com"));
    assert_eq!(site::broken_links(&dir.join("book")), Vec::<String>::new());
}

#[test]
fn init_theme_writes_the_default_theme_out_for_editing() {
    let tmp = temp_dir("theme-init");
    let run = ismsbook(&tmp, &["init", "--theme", "my-theme"]);
    assert!(run.status.success(), "{}", stderr(&run));
    for f in ["base.html", "document.html", "print.html", "assets/style.css", "assets/ismsbook.js"] {
        assert!(tmp.join("my-theme").join(f).is_file(), "{f}");
    }
    assert!(!tmp.join("book.toml").exists(), "--theme writes only the theme");
    // An edited file is kept on a second run, and a handbook using the folder picks it up.
    std::fs::write(
        tmp.join("my-theme/404.html"),
        "{% extends \"base.html\" %}{% block content %}Lost? Ask IT.{% endblock content %}",
    )
    .expect("edit");
    assert!(ismsbook(&tmp, &["init", "--theme", "my-theme"]).status.success());
    assert!(ismsbook(&tmp, &["init", "h"]).status.success());
    let toml = read(&tmp.join("h/book.toml"));
    std::fs::write(tmp.join("h/book.toml"), format!("{toml}\n[output.html]\ntheme = \"../my-theme\"\n")).expect("toml");
    assert!(ismsbook(&tmp.join("h"), &["build"]).status.success());
    assert!(read(&tmp.join("h/book/404.html")).contains("Lost? Ask IT."));
}

#[test]
fn print_html_is_a_frame_and_print_document_html_each_document_both_overridable() {
    let tmp = book_with_theme("theme-print-parts");
    // Only the per-document partial is overridden: the built-in frame places it in each part.
    std::fs::write(
        tmp.join("t/print-document.html"),
        "<article class=\"mine\" id=\"{{ d.anchor }}\">{{ d.doc.id }}: {{ d.html | safe }}</article>\n",
    )
    .expect("partial");
    let run = ismsbook(&tmp.join("h"), &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let html = read(&tmp.join("h/book/print.html"));
    in_order(
        &html,
        &[
            "<h2 id=\"contents\">Contents</h2>",
            "id=\"part-policies\"",
            "<article class=\"mine\" id=\"p-",
            "</article>\n</section>",
            "id=\"part-controls\"",
        ],
    );
    assert!(!html.contains("<article id=\"p-"), "the built-in print-document.html was used");
    // The controls of the SoA table are one template each, overridable alone.
    std::fs::write(tmp.join("t/print-soa-row.html"), "<tr class=\"mine\"><td>{{ c.control.id }}</td></tr>\n")
        .expect("soa row");
    let run = ismsbook(&tmp.join("h"), &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let with_rows = read(&tmp.join("h/book/print.html"));
    in_order(&with_rows, &["id=\"part-controls\"", "<tbody>\n<tr class=\"mine\"><td>A.", "</td></tr>\n</tbody>"]);
    assert!(!with_rows.contains("<tr><td><a href=\"#p-controls:"), "the built-in print-soa-row.html was used");
    std::fs::remove_file(tmp.join("t/print-soa-row.html")).expect("back to the built-in row");
    // So is each line of the contents.
    std::fs::write(tmp.join("t/print-contents-entry.html"), "<li class=\"mine\">{{ d.id }}</li>").expect("entry");
    let run = ismsbook(&tmp.join("h"), &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let with_entries = read(&tmp.join("h/book/print.html"));
    in_order(
        &with_entries,
        &["<h2 id=\"contents\">Contents</h2>", "<ol><li class=\"mine\">", "</li></ol>", "id=\"part-policies\""],
    );
    assert!(!with_entries.contains("<span class=\"muted\">"), "the built-in print-contents-entry.html was used");
    std::fs::remove_file(tmp.join("t/print-contents-entry.html")).expect("back to the built-in entry");
    let run = ismsbook(&tmp.join("h"), &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(read(&tmp.join("h/book/print.html")), html);
    // A frame that leaves out a part the build places is a template error naming it, not a
    // print edition without it; the last good output stays.
    let rejected = |frame: &str, expected: &[&str]| {
        std::fs::write(tmp.join("t/print.html"), frame).expect("frame");
        let run = ismsbook(&tmp.join("h"), &["build"]);
        assert!(!run.status.success());
        let err = stderr(&run);
        for e in expected {
            assert!(err.contains(e), "{err}");
        }
        assert_eq!(read(&tmp.join("h/book/print.html")), html);
    };
    // The documents of each part...
    rejected(
        "<html><body>{% for p in parts %}<h1>{{ p.title }}</h1>{% endfor %}</body></html>",
        &["error[template-error]: print.html does not place the documents of each part", "{{ p.documents | safe }}"],
    );
    // ...their contents entries (one template each, so that no context holds every
    // document's entry)...
    rejected(
        "<html><body>{% for p in parts %}{{ p.documents | safe }}{% endfor %}{{ clauses_html | safe }}{{ controls_html | safe }}{{ soa_rows_html | safe }}</body></html>",
        &["error[template-error]: print.html does not place `p.contents` once", "print-contents-entry.html"],
    );
    // ...and the controls.
    rejected(
        "<html><body>{% for p in parts %}<ol>{{ p.contents | safe }}</ol>{{ p.documents | safe }}{% endfor %}{{ clauses_html | safe }}{{ soa_rows_html | safe }}</body></html>",
        &["error[template-error]: print.html does not place `controls_html` once", "print-control.html"],
    );
}

#[test]
fn head_partial_reaches_every_page_and_print_and_a_theme_may_add_its_own_partials() {
    let tmp = book_with_theme("theme-partials");
    // One override of head.html reaches the pages (through base.html) and the print edition.
    std::fs::write(tmp.join("t/head.html"), "<meta charset=\"utf-8\">\n<meta name=\"x-brand\" content=\"acme\">\n")
        .expect("head");
    // A partial of the theme's own, whose name sorts after base.html, included by its base.html.
    let base =
        String::from_utf8(ismsbook::theme::DEFAULT.iter().find(|(n, _)| *n == "base.html").expect("base").1.to_vec())
            .expect("utf8");
    std::fs::write(tmp.join("t/base.html"), base.replace("<body ", "{% include \"zz-banner.html\" %}<body "))
        .expect("base");
    std::fs::write(tmp.join("t/zz-banner.html"), "<meta name=\"x-banner\" content=\"{{ book_title }}\">\n")
        .expect("banner");
    let run = ismsbook(&tmp.join("h"), &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    for page in ["index.html", "policies/information-security-policy.html", "controls/index.html", "print.html"] {
        let html = read(&tmp.join("h/book").join(page));
        assert!(html.contains("<meta name=\"x-brand\" content=\"acme\">"), "{page} lacks the theme's head.html");
        assert!(!html.contains("localStorage.getItem(\"ismsbook-theme\")"), "{page} still has the built-in head.html");
    }
    assert!(read(&tmp.join("h/book/index.html")).contains("<meta name=\"x-banner\" content=\""));
    // An include of a partial that exists nowhere is a template error at the including file.
    std::fs::remove_file(tmp.join("t/zz-banner.html")).expect("rm");
    let run = ismsbook(&tmp.join("h"), &["build"]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(
        err.contains("base.html") && err.contains("error[template-error]") && err.contains("zz-banner.html"),
        "{err}"
    );
}

#[test]
fn soa_and_register_rows_are_their_own_templates_both_overridable() {
    let tmp = book_with_theme("theme-row-templates");
    // Only a row is overridden: the built-in frame places one per control / document.
    std::fs::write(
        tmp.join("t/soa-row.html"),
        "<tr class=\"mine\"><td>{{ r.control }} {{ r.documents | length }}</td></tr>\n",
    )
    .expect("row");
    std::fs::write(
        tmp.join("t/register-row.html"),
        "<tr class=\"mine\"><td><a href=\"{{ root }}{{ r.url }}\">{{ r.id }}</a></td></tr>\n",
    )
    .expect("row");
    let run = ismsbook(&tmp.join("h"), &["build"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let soa = read(&tmp.join("h/book/soa.html"));
    let controls = soa.matches("<tr class=\"mine\"><td>A.").count();
    assert!(controls >= 2, "{soa}");
    assert!(soa.contains(&format!("<strong>{controls}</strong> controls")), "the frame shows the count");
    in_order(&soa, &["<tbody>\n<tr class=\"mine\"><td>A.", "</td></tr>\n</tbody>"]);
    let register = read(&tmp.join("h/book/register.html"));
    let rows = register.matches("<tr class=\"mine\"><td><a href=\"").count();
    assert!(rows >= 1, "{register}");
    assert!(register.contains(&format!("<strong>{rows}</strong> documents")));
    // A frame that does not place the rows is a template error, not a table without rows;
    // the last good output stays.
    std::fs::write(
        tmp.join("t/soa.html"),
        "<html><body><table>{% for r in rows %}{{ r }}{% endfor %}</table></body></html>",
    )
    .expect("frame");
    std::fs::write(tmp.join("t/register.html"), "<html><body><p>{{ count }} documents</p></body></html>")
        .expect("frame");
    let run = ismsbook(&tmp.join("h"), &["build"]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(err.contains("error[template-error]"), "{err}");
    assert!(err.contains("register.html does not place `rows_html` once"), "{err}");
    assert!(err.contains("{{ rows_html | safe }}"), "{err}");
    assert_eq!(read(&tmp.join("h/book/soa.html")), soa);
}
