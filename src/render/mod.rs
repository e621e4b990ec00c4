//! Rendering: the model, the rendered Markdown and the audit into the pages of the site.
//!
//! Each page is a Tera template of the theme filled with a small, precomputed context. All
//! URLs in the context are build-dir-relative; templates prefix them with `root` (`../` per
//! folder level), so the site works from file:// and under any sub-path. The navigation lives
//! once in `nav.js`, not in every page, so output grows linearly with the page count.
//!
//! This module holds the jobs (one per output file) and what every page shares; the pages
//! themselves are in one module per family: [`documents`], [`catalogue`] (controls, clauses),
//! [`auditor`] (SoA, register, coverage), [`roles`], [`risks`], [`nav`] (nav.js, sitemap) and
//! [`print`] (print.html).

mod auditor;
mod catalogue;
mod documents;
mod lists;
mod nav;
pub mod print;
mod risks;
mod roles;

use crate::audit::{Backlinks, Coverage, ReviewStatus, SoaRow};
use crate::diagnostics::Diagnostic;
use crate::markdown::Rendered;
use crate::model::{DocType, Document, Handbook};
use crate::output::Output;
use crate::theme::Theme;
use crate::urls::{clause_url, control_url, role_url, root_of};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use tera::{Context, Tera};

/// A link to something in the handbook, as templates see it.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
}

/// The id of the document whose front matter gives the Statement of Applicability its
/// version, owner, approver and dates (its body is the SoA's introduction).
pub const SOA_DOCUMENT: &str = "SOA";

/// Everything the pages are made from.
pub struct Site<'a> {
    pub hb: &'a Handbook,
    /// Every link target, to render each document's Markdown again as its page is written.
    pub targets: &'a crate::links::Targets<'a>,
    /// `rendered[i]` is what the analysis found in `hb.documents[i]` (headings, references);
    /// its HTML is made when the page is written.
    pub rendered: &'a [Rendered],
    /// Guidance HTML per control, in `hb.controls` order.
    pub guidance: &'a [String],
    pub backlinks: &'a Backlinks,
    pub coverage: &'a Coverage,
    pub soa: &'a [SoaRow],
    /// How print.html is made (spliced into the previous one, see [`print::PrintPlan`]), and
    /// where its layout is recorded; `None`: from scratch, not recorded.
    pub print: Option<&'a print::PrintPlan>,
    /// Previous and next page of every page, made when the first page needs them.
    pub pagers: std::sync::OnceLock<nav::Pagers<'a>>,
}

/// A page to write: its build-dir-relative path and bytes.
type Page = (String, Vec<u8>);

/// Called with every HTML page as it is written: its build-dir-relative URL and its HTML. The
/// hook through which an index (search) sees each page's text in the same streaming pass.
pub type OnPage<'a> = &'a (dyn Fn(&str, &str) + Sync);

/// One file of the site, rendered on whichever thread picks it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    Register,
    Soa,
    Coverage,
    Print,
    Nav,
    Sitemap,
    Home,
    NotFound,
    ControlsIndex,
    ClausesIndex,
    RolesIndex,
    Role(usize),
    Control(usize),
    Clause(usize),
    Document(usize),
    RisksIndex,
    Risk(usize),
    ThemeAsset(usize),
    SrcAsset(usize),
}

fn plain(id: &str) -> Link {
    Link { id: id.to_string(), title: id.to_string(), url: None }
}

fn review_class(st: ReviewStatus) -> &'static str {
    match st {
        ReviewStatus::Current => "current",
        ReviewStatus::DueSoon => "due-soon",
        ReviewStatus::Overdue => "overdue",
        ReviewStatus::NoReviewDate => "none",
    }
}

fn type_heading(t: DocType) -> (&'static str, &'static str) {
    match t {
        DocType::Policy => ("Policies", "policies"),
        DocType::Standard => ("Standards", "standards"),
        DocType::Procedure => ("Procedures", "procedures"),
        DocType::Guideline => ("Guidelines", "guidelines"),
        DocType::Record => ("Records", "records"),
        DocType::Page => ("Guides and other pages", "pages"),
    }
}

/// A folder's title in the navigation: the title of its `index.md`, else its name as written
/// (never re-cased: "isms" stays "isms", not "Isms").
fn folder_title(hb: &Handbook, folder: &str) -> String {
    if folder.is_empty() {
        return "Documents".to_string();
    }
    hb.index
        .document_by_path
        .get(&format!("{folder}/index.md"))
        .map_or_else(|| folder.to_string(), |&i| hb.documents[i].title.clone())
}

/// `A.5.15 Access control` as one title.
fn titled(l: Link) -> Link {
    Link { title: format!("{} {}", l.id, l.title), ..l }
}

/// The top-bar entry a page belongs to.
fn section_of(kind: &str) -> &'static str {
    match kind {
        "control" | "controls" => "controls",
        "role" | "roles" => "roles",
        "soa" => "soa",
        "register" => "register",
        "coverage" => "coverage",
        "risk" | "risks" => "risks",
        _ => "",
    }
}

/// A breadcrumb trail: home, the given steps, then the current page (no link).
fn crumbs(steps: Vec<Link>, current: &str) -> Vec<Link> {
    let mut out = vec![Link { id: String::new(), title: "Home".into(), url: Some("index.html".into()) }];
    out.extend(steps);
    out.push(Link { id: String::new(), title: current.to_string(), url: None });
    out
}

fn step(title: &str, url: &str) -> Link {
    Link { id: String::new(), title: title.to_string(), url: Some(url.to_string()) }
}

/// Markdown tables scroll inside their own box on narrow screens: every `<table>` gets a
/// `<div class="table-wrap">` around it (one pass over the HTML).
fn wrap_tables(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() + 256);
    let mut at = 0;
    for i in memchr::memmem::find_iter(bytes, b"table>") {
        if i >= 1 && bytes[i - 1] == b'<' {
            out.push_str(&html[at..i - 1]);
            out.push_str("<div class=\"table-wrap\"><table>");
        } else if i >= 2 && bytes[i - 2] == b'<' && bytes[i - 1] == b'/' {
            out.push_str(&html[at..i - 2]);
            out.push_str("</table></div>");
        } else {
            continue;
        }
        at = i + "table>".len();
    }
    out.push_str(&html[at..]);
    out
}

/// A document's Markdown as its page and print.html show it (see [`Site::document_body`]).
pub struct Body {
    /// The id of the leading `# title`, when the document starts with one.
    title_id: Option<String>,
    /// The HTML after the title, tables wrapped.
    html: String,
}

/// Splits a leading `<h1 id="x">...</h1>` off rendered Markdown: (its id, the rest).
fn split_title(html: &str) -> (Option<String>, &str) {
    let trimmed = html.trim_start();
    if let Some(rest) = trimmed.strip_prefix("<h1 id=\"")
        && let Some((id, _)) = rest.split_once('"')
        && let Some(end) = trimmed.find("</h1>")
    {
        return (Some(id.to_string()), trimmed[end + 5..].trim_start_matches('\n'));
    }
    (None, html)
}

/// `security_properties` -> `Security properties`.
pub fn humanise(key: &str) -> String {
    let s = key.replace(['_', '-'], " ");
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().collect::<String>() + c.as_str())
}

/// HTML-escapes text for attributes and XML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Renders the theme's `template` with `ctx`.
fn render_template(tera: &Tera, template: &str, ctx: &Context) -> Result<String, Diagnostic> {
    tera.render(template, ctx).map_err(|e| template_error(Path::new(&format!("<theme>/{template}")), &e))
}

/// Renders `template` once per row, each with `ctx` plus the row as `var`, into `w` as it
/// goes: the memory of one row, however many rows. `written` says what a write error means.
fn render_rows<T: Serialize>(
    tera: &Tera,
    (template, var): (&str, &'static str),
    ctx: &mut Context,
    rows: &[T],
    w: &mut dyn std::io::Write,
    written: &dyn Fn(std::io::Error) -> Diagnostic,
) -> Result<(), Diagnostic> {
    for row in rows {
        ctx.insert(var, row);
        w.write_all(render_template(tera, template, ctx)?.as_bytes()).map_err(written)?;
    }
    Ok(())
}

/// Where `marker` stands in the rendered `frame` of the theme's `template`, when it stands
/// there exactly once: the place of the items that `item_template` renders one at a time, which
/// the frame shows with `{{ var | safe }}`. Otherwise the theme error that says so.
fn placed_once(frame: &str, marker: &str, template: &str, var: &str, item_template: &str) -> Result<usize, Diagnostic> {
    frame.find(marker).filter(|&at| !frame[at + marker.len()..].contains(marker)).ok_or_else(|| {
        Diagnostic::error(
            "template-error",
            Path::new(&format!("<theme>/{template}")),
            format!("{template} does not place `{var}` once"),
        )
        .hint(format!(
            "put `{{{{ {var} | safe }}}}` where they go; each is {item_template} (see the built-in {template})"
        ))
    })
}

fn template_error(origin: &Path, e: &tera::Error) -> Diagnostic {
    let (message, line, column) = match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
            (r.message().to_string(), r.span().start_line, r.span().start_col + 1)
        }
        _ => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            (msg, 1, 1)
        }
    };
    let message = message.lines().next().unwrap_or_default().trim().to_string();
    Diagnostic::error("template-error", origin, message)
        .at(line, column)
        .hint("fix the template in your theme folder, or delete it to use the built-in one")
}

impl Site<'_> {
    /// Renders every page and hands it to `out` as soon as it is rendered (nothing is kept:
    /// render, write, drop), on all cores. Returns the number of files.
    pub fn write(&self, theme: &Theme, out: &Output, on_page: Option<OnPage>) -> Result<usize, Diagnostic> {
        self.write_jobs(theme, out, &self.jobs(theme), on_page)
    }

    /// Renders only `jobs` (a subset of [`Site::jobs`], for serve's partial rebuilds) into `out`.
    pub fn write_jobs(
        &self,
        theme: &Theme,
        out: &Output,
        jobs: &[Job],
        on_page: Option<OnPage>,
    ) -> Result<usize, Diagnostic> {
        let tera = self.tera(theme)?;
        // print.html renders every document's Markdown: the document pages due in this build
        // are made from that same rendering (see `write_print`), not as jobs of their own.
        let printing = jobs.contains(&Job::Print);
        let mut pages_with_print = vec![false; self.hb.documents.len()];
        if printing {
            for job in jobs {
                if let Job::Document(i) = job {
                    pages_with_print[*i] = true;
                }
            }
        }
        let job_done = |job: Job| {
            if job == Job::Print {
                // One page as large as the book: written as it is rendered, never held.
                return self.write_print(&tera, out, &pages_with_print, on_page).map(drop);
            }
            let (rel, bytes) = self.render_job(&tera, theme, job)?;
            self.put_page(out, &rel, bytes, on_page)
        };
        // One job per piece of work that a core can take (`with_max_len(1)`): otherwise rayon
        // hands each thread a run of neighbouring jobs, and the aggregates queued behind
        // print.html wait for it on one thread while the other core, done, stands idle. The
        // jobs run in any order, but the error reported is always the first failing job's in
        // the list: a job after a failed one is skipped, one before it still runs.
        let first_failed = std::sync::atomic::AtomicUsize::new(usize::MAX);
        let failure = jobs
            .par_iter()
            .enumerate()
            .with_max_len(1)
            .filter(|(i, job)| {
                !(printing && matches!(job, Job::Document(_)))
                    && *i < first_failed.load(std::sync::atomic::Ordering::Relaxed)
            })
            .filter_map(|(i, &job)| {
                let e = job_done(job).err()?;
                first_failed.fetch_min(i, std::sync::atomic::Ordering::Relaxed);
                Some((i, e))
            })
            .min_by_key(|(i, _)| *i);
        match failure {
            Some((_, e)) => Err(e),
            None => Ok(jobs.len()),
        }
    }

    /// Shows one rendered file to `on_page` when it is a page, and writes it.
    fn put_page(&self, out: &Output, rel: &str, bytes: Vec<u8>, on_page: Option<OnPage>) -> Result<(), Diagnostic> {
        if let Some(f) = on_page
            && rel.ends_with(".html")
        {
            f(rel, std::str::from_utf8(&bytes).unwrap_or_default());
        }
        out.put_owned(rel, bytes).map(drop)
    }

    /// Every file of the site; the costly aggregates first, so that no core waits for them
    /// at the end.
    pub fn jobs(&self, theme: &Theme) -> Vec<Job> {
        let hb = self.hb;
        let mut jobs = vec![Job::Print, Job::Register, Job::Soa, Job::Coverage];
        jobs.push(Job::Nav);
        if hb.config.base_url.is_some() {
            jobs.push(Job::Sitemap);
        }
        if let Some(reg) = self.published_risks() {
            jobs.push(Job::RisksIndex);
            jobs.extend((0..reg.risks.len()).map(Job::Risk));
        }
        jobs.extend((0..hb.roles.len()).map(Job::Role));
        jobs.extend([Job::Home, Job::NotFound, Job::ControlsIndex, Job::ClausesIndex, Job::RolesIndex]);
        jobs.extend((0..hb.controls.len()).map(Job::Control));
        jobs.extend((0..hb.clauses.len()).map(Job::Clause));
        jobs.extend((0..hb.documents.len()).filter(|&i| hb.documents[i].url != "index.html").map(Job::Document));
        jobs.extend((0..theme.assets.len()).map(Job::ThemeAsset));
        jobs.extend((0..hb.assets.len()).map(Job::SrcAsset));
        jobs
    }

    fn render_job(&self, tera: &Tera, theme: &Theme, job: Job) -> Result<Page, Diagnostic> {
        Ok(match job {
            Job::Register => self.register_page(tera)?,
            Job::Soa => self.soa_page(tera)?,
            Job::Coverage => self.coverage_page(tera)?,
            Job::Print => unreachable!("print.html is streamed by write_print"),
            Job::Nav => ("nav.js".into(), self.nav_js()),
            Job::Sitemap => {
                ("sitemap.xml".into(), self.sitemap(self.hb.config.base_url.as_deref().unwrap_or_default()))
            }
            Job::Home => self.home(tera)?,
            Job::NotFound => self.not_found(tera)?,
            Job::ControlsIndex => self.controls_index(tera)?,
            Job::ClausesIndex => self.clauses_index(tera)?,
            Job::RolesIndex => self.roles_index(tera)?,
            Job::Role(i) => self.role_page(tera, i)?,
            Job::Control(i) => self.control_page(tera, i)?,
            Job::Clause(i) => self.clause_page(tera, i)?,
            Job::Document(i) => self.document_page(tera, i)?,
            Job::RisksIndex | Job::Risk(_) => {
                let Some(reg) = self.published_risks() else { unreachable!("risk jobs only with a register") };
                match job {
                    Job::Risk(i) => self.risk_page(tera, reg, i)?,
                    _ => self.risks_index(tera, reg)?,
                }
            }
            Job::ThemeAsset(i) => (theme.assets[i].name.clone(), theme.assets[i].bytes.clone()),
            Job::SrcAsset(i) => {
                let rel = &self.hb.assets[i];
                let path = self.hb.config.src.join(rel);
                (crate::urls::asset_url(rel), crate::sources::read_bytes(&path, u64::MAX)?)
            }
        })
    }

    fn tera(&self, theme: &Theme) -> Result<Tera, Diagnostic> {
        let mut tera = Tera::new();
        let mut pending = Vec::new();
        for t in theme.templates.iter().filter(|t| t.name.ends_with(".html")) {
            let text = std::str::from_utf8(&t.bytes)
                .map_err(|_| Diagnostic::error("not-utf8", &t.origin, "the template is not valid UTF-8"))?;
            pending.push((t, text));
        }
        // Tera checks on each addition that what a template extends or includes is already
        // there, so templates are added in rounds until none is left: a partial or parent that
        // comes later by name (a theme's own partial, say) is then found. What still fails when
        // a round adds nothing is a real error, reported at its file.
        while !pending.is_empty() {
            let before = pending.len();
            let mut first_error = None;
            pending.retain(|(t, text)| match tera.add_raw_template(&t.name, text) {
                Ok(()) => false,
                Err(e) => {
                    first_error.get_or_insert_with(|| template_error(&t.origin, &e));
                    true
                }
            });
            if pending.len() == before
                && let Some(e) = first_error
            {
                return Err(e);
            }
        }
        let cfg = &self.hb.config;
        let g = tera.global_context();
        g.insert("book_title", &cfg.title);
        g.insert("organisation", &cfg.organisation);
        g.insert("description", &cfg.description);
        g.insert("lang", &cfg.language);
        g.insert("build_date", &self.hb.build_date.to_string());
        g.insert("has_risks", &self.published_risks().is_some());
        g.insert("logo", &cfg.logo);
        g.insert("extra_css", &cfg.extra_css);
        g.insert("footer_text", &cfg.footer_text);
        g.insert("has_print", &true);
        let nav = self.nav_tree();
        g.insert("nav_static", &self.nav_static(&nav));
        Ok(tera)
    }

    /// Renders `template` as the page `url` with `ctx` plus what every page gets.
    fn page(&self, tera: &Tera, template: &str, url: &str, title: &str, ctx: Context) -> Result<Page, Diagnostic> {
        let html = render_template(tera, template, &self.page_context(template, url, title, ctx))?;
        Ok((url.to_string(), html.into_bytes()))
    }

    /// Renders `template` as the page `url` like [`Site::page`], but for its one long list:
    /// the frame gets `count` and `rows_html` (to place with `{{ rows_html | safe }}`), and
    /// each row is rendered alone by `row_template` with `r` (plus `root` and `page_url`), so
    /// that no template context ever holds every row: memory stays that of one row (and the
    /// page's HTML) however long the list.
    fn page_with_rows<T: Serialize>(
        &self,
        tera: &Tera,
        (template, row_template): (&str, &str),
        (url, title): (&str, &str),
        mut ctx: Context,
        rows: &[T],
    ) -> Result<Page, Diagnostic> {
        const ROWS: &str = "<!-- ismsbook: the rows go here -->";
        ctx.insert("rows_html", ROWS);
        ctx.insert("count", &rows.len());
        let frame = render_template(tera, template, &self.page_context(template, url, title, ctx))?;
        let at = placed_once(&frame, ROWS, template, "rows_html", row_template)?;
        let (before, after) = (&frame[..at], &frame[at + ROWS.len()..]);
        let mut html = Vec::with_capacity(frame.len() + rows.len() * 256);
        html.extend_from_slice(before.as_bytes());
        let mut row_ctx = Context::new();
        row_ctx.insert("root", &root_of(url));
        row_ctx.insert("page_url", url);
        let written = |e: std::io::Error| Diagnostic::error("io-error", Path::new(url), e.to_string());
        render_rows(tera, (row_template, "r"), &mut row_ctx, rows, &mut html, &written)?;
        html.extend_from_slice(after.as_bytes());
        Ok((url.to_string(), html))
    }

    /// `ctx` plus what every page gets: its root, URL, title, canonical URL, kind and section.
    fn page_context(&self, template: &str, url: &str, title: &str, mut ctx: Context) -> Context {
        ctx.insert("root", &root_of(url));
        ctx.insert("page_url", url);
        ctx.insert("page_title", title);
        ctx.insert("canonical", &self.hb.config.base_url.as_ref().map(|b| format!("{b}{url}")));
        let kind = template.trim_end_matches(".html");
        ctx.insert("page_kind", kind);
        ctx.insert("section", section_of(kind));
        ctx.insert("pager", &self.pager_of(url));
        ctx
    }

    /// The risk register, when there is one and this build publishes it.
    fn published_risks(&self) -> Option<&crate::risk::Register> {
        self.hb.risks.as_ref().filter(|r| r.published)
    }

    /// A role id as a link to its page, or as plain text when it names no role.
    fn who(&self, id: &str) -> Link {
        self.role_link(id).unwrap_or_else(|| plain(id))
    }

    fn role_link(&self, id: &str) -> Option<Link> {
        self.hb.role(id).map(|r| Link { id: r.id.clone(), title: r.title.clone(), url: Some(role_url(&r.id)) })
    }

    fn control_link(&self, id: &str) -> Link {
        let title = self.hb.control(id).map(|c| c.title.clone()).unwrap_or_default();
        Link { id: id.to_string(), title, url: Some(control_url(id)) }
    }

    fn clause_link(&self, id: &str) -> Link {
        let title = self.hb.clause(id).map(|c| c.title.clone()).unwrap_or_default();
        Link { id: id.to_string(), title, url: Some(clause_url(id)) }
    }

    fn doc_link(d: &Document) -> Link {
        Link { id: d.id.clone(), title: d.title.clone(), url: Some(d.url.clone()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_wrapped_once_and_nothing_else_changes() {
        let wrapped =
            |s: &str| s.replace("<table>", "<div class=\"table-wrap\"><table>").replace("</table>", "</table></div>");
        for html in [
            "",
            "<p>no table</p>",
            "<table><tr><td>1</td></tr></table>",
            "<p>a</p>\n<table>x</table><table>y</table>\n<p>é table> </table </p>",
            "table></table><table>",
            "<div class=\"t\"><table class=\"data\">raw</table></div>",
        ] {
            assert_eq!(wrap_tables(html), wrapped(html), "{html:?}");
        }
    }
}
