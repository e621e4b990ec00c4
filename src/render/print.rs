//! The print edition (`print.html`): every page of the handbook that a reader prints is laid
//! on one page, so its links must point inside it and its ids must not collide.
//!
//! Each printed page gets an anchor derived from its URL ([`anchor_of`]); [`rewrite`] prefixes
//! every `id` of a page's HTML with that anchor and turns each link to a printed page (and
//! heading) into an in-page `#anchor`. Links to pages that are not printed (the register,
//! role pages, files) stay links, made relative to the site root where print.html lives.
//! `Site::print_page` lays the pages out in reading order (home, documents by type, clauses,
//! controls, the SoA).
//!
//! An incremental build splices: the [`Layout`] of the last print.html (where each document's
//! section lies, and a hash of the rest of the page) lets it copy the section of every
//! document whose section cannot have changed from the previous file, and render only the
//! others ([`PrintPlan`]).

use super::lists::marker;
use super::*;
use crate::audit::{Citation, ReviewStatus};
use crate::links::join_relative;
use crate::model::Document;
use crate::urls::{clause_url, control_url};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use tera::{Context, Tera};

/// The id a printed page's section carries: `p-policies:access-control` for
/// `policies/access-control.html`. Unique because URLs are.
pub fn anchor_of(url: &str) -> String {
    format!("p-{}", url.strip_suffix(".html").unwrap_or(url).replace('/', ":"))
}

/// An id inside a printed page: the page's anchor, `--`, the original id.
pub fn inner_anchor(url: &str, id: &str) -> String {
    let mut out = String::new();
    push_inner(&mut out, &anchor_of(url), id);
    out
}

/// Appends the id `id` inside the printed page whose anchor is `anchor` (see [`inner_anchor`]).
fn push_inner(out: &mut String, anchor: &str, id: &str) {
    out.push_str(anchor);
    out.push_str("--");
    out.push_str(id);
}

/// Rewrites the HTML of the page `page` (build-dir-relative) for print.html: ids prefixed,
/// links to `printed` pages turned into in-page anchors, other relative links re-rooted.
pub fn rewrite(html: &str, page: &str, printed: &HashSet<&str>) -> String {
    let own = anchor_of(page);
    let unprinted = HashSet::new();
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut at = 0;
    // One pass over the page: every `="` that ends ` id`, ` href` or ` src`.
    for eq in memchr::memmem::find_iter(html.as_bytes(), b"=\"") {
        if eq < at {
            continue;
        }
        let name = &html[..eq];
        let which = if name.ends_with(" id") {
            0
        } else if name.ends_with(" href") {
            1
        } else if name.ends_with(" src") {
            2
        } else {
            continue;
        };
        let start = eq + 2;
        let Some(len) = html[start..].find('"') else { break };
        out.push_str(&html[at..start]);
        let value = &html[start..start + len];
        match which {
            0 => push_inner(&mut out, &own, value),
            1 => push_print_href(&mut out, value, page, &own, printed),
            _ => push_print_href(&mut out, value, page, &own, &unprinted),
        }
        at = start + len;
    }
    out.push_str(&html[at..]);
    out
}

/// Appends where a link of `page` (whose anchor is `own`) points in print.html.
fn push_print_href(out: &mut String, href: &str, page: &str, own: &str, printed: &HashSet<&str>) {
    if href.contains("://") || href.starts_with("mailto:") || href.starts_with("tel:") || href.starts_with('/') {
        out.push_str(href);
        return;
    }
    let (path, fragment) = href.split_once('#').map_or((href, None), |(p, f)| (p, Some(f)));
    let joined;
    let target = if path.is_empty() {
        page
    } else {
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        match join_relative(page, path) {
            Some(t) => {
                joined = t;
                joined.as_str()
            }
            None => {
                out.push_str(href);
                return;
            }
        }
    };
    if printed.contains(target) {
        let anchor = if target == page { std::borrow::Cow::Borrowed(own) } else { anchor_of(target).into() };
        out.push('#');
        match fragment.filter(|f| !f.is_empty()) {
            Some(f) => push_inner(out, &anchor, f),
            None => out.push_str(&anchor),
        }
        return;
    }
    // Not printed: a link from the site root, where print.html lives (query kept).
    out.push_str(target);
    if let Some((_, query)) = path.split_once('?') {
        out.push('?');
        out.push_str(query);
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
}

/// How many documents of print.html are rendered at once (in parallel) before they are
/// written, in order, while the next batch is rendered: what bounds the memory of print.html
/// (two batches), whatever the size of the book.
const PRINT_BATCH: usize = 16;

/// Where each document's section lies in a print.html (by src path: byte offset and length),
/// and a hash of the rest of the page (the frame: cover, contents, clauses, controls, SoA).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    frame: u64,
    docs: HashMap<String, (u64, u64)>,
}

/// A previous print.html and which documents' sections must be made again: the others are
/// copied from that file when its frame is the same as the new one's.
pub struct Splice {
    /// The previous print.html, as this build's output holds it.
    pub file: std::path::PathBuf,
    pub layout: Layout,
    /// `changed[i]`: document `i`'s section may differ from the one in `file`.
    pub changed: Vec<bool>,
}

/// How print.html is made in a build: from scratch, or spliced into the previous file; and the
/// [`Layout`] of the file made.
#[derive(Default)]
pub struct PrintPlan {
    pub splice: Option<Splice>,
    pub made: std::sync::Mutex<Option<Layout>>,
}

/// The hash of a frame.
fn frame_hash(frame: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    frame.hash(&mut h);
    h.finish()
}

/// Where the documents of part `k` go in the rendered frame (see [`marker`]).
fn part_marker(k: usize) -> String {
    marker("print-part", k)
}

/// The lists of print.html that are rendered an item at a time, each by its own template
/// with `c` (so that no template context holds every control and all its citations): the
/// frame places each with `{{ <var> | safe }}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    Clauses,
    Controls,
    SoaRows,
}

impl List {
    /// The frame's variable.
    fn var(self) -> &'static str {
        match self {
            List::Clauses => "clauses_html",
            List::Controls => "controls_html",
            List::SoaRows => "soa_rows_html",
        }
    }

    /// The template of one item.
    fn template(self) -> &'static str {
        match self {
            List::Clauses => "print-clause.html",
            List::Controls => "print-control.html",
            List::SoaRows => "print-soa-row.html",
        }
    }

    /// What the frame gets for it, to be split at.
    fn marker(self) -> &'static str {
        match self {
            List::Clauses => "\u{0}ismsbook-print-clauses\u{0}",
            List::Controls => "\u{0}ismsbook-print-controls\u{0}",
            List::SoaRows => "\u{0}ismsbook-print-soa-rows\u{0}",
        }
    }
}

/// Where the contents entries of part `k` go in the rendered frame (see [`marker`]).
fn contents_marker(k: usize) -> String {
    marker("print-contents", k)
}

/// A place in the print.html frame that is filled while the file is written.
enum Slot {
    /// The contents entries of a part, each rendered alone (the contents list every document).
    Contents(usize),
    Part(usize),
    List(List),
}

/// A document of print.html, as `print-document.html` sees it (`d`).
#[derive(Serialize)]
struct PrintDoc<'a> {
    anchor: String,
    title_anchor: Option<String>,
    doc: &'a Document,
    owner: Option<Link>,
    approver: Option<Link>,
    review_status: &'static str,
    cls_rank: usize,
    html: String,
}

impl Site<'_> {
    /// print.html: the whole handbook in reading order (home, documents by type, clauses,
    /// controls, the SoA) on one page, its links turned into in-page anchors. The theme's
    /// `print.html` is the frame (cover, contents, clauses, controls, SoA) and places each
    /// part's documents with `{{ p.documents | safe }}`; each document is `print-document.html`.
    /// The documents are rendered in parallel batches and streamed into the file in order, so
    /// neither the page nor the documents' HTML is ever held whole. The page of each document
    /// `i` with `pages[i]` is made and written from the same Markdown rendering (and shown to
    /// `on_page`). Returns whether print.html changed.
    pub(super) fn write_print(
        &self,
        tera: &Tera,
        out: &Output,
        pages: &[bool],
        on_page: Option<OnPage>,
    ) -> Result<bool, Diagnostic> {
        /// A line of the contents.
        #[derive(Serialize)]
        struct Entry<'a> {
            anchor: String,
            id: &'a str,
            title: &'a str,
        }
        #[derive(Serialize)]
        struct Part {
            title: &'static str,
            id: &'static str,
            /// Where the part's contents entries go (each `print-contents-entry.html`).
            contents: String,
            /// Where the part's documents go (a marker the frame is split at).
            documents: String,
        }
        #[derive(Serialize)]
        struct PrintClause<'a> {
            anchor: String,
            clause: &'a crate::model::Clause,
            providers: Vec<Link>,
        }
        #[derive(Serialize)]
        struct PrintControl<'a> {
            anchor: String,
            control: &'a crate::model::Control,
            decision: Option<&'a crate::model::SoaDecision>,
            implemented_by: Vec<Link>,
            guidance: String,
        }
        let hb = self.hb;
        let mut printed: HashSet<&str> = hb.documents.iter().map(|d| d.url.as_str()).collect();
        let control_urls: Vec<String> = hb.controls.iter().map(|c| control_url(&c.id)).collect();
        let clause_urls: Vec<String> = hb.clauses.iter().map(|c| clause_url(&c.id)).collect();
        printed.extend(control_urls.iter().map(String::as_str));
        printed.extend(clause_urls.iter().map(String::as_str));
        printed.insert("soa.html");
        let in_print =
            |url: &str| Link { id: String::new(), title: String::new(), url: Some(format!("#{}", anchor_of(url))) };
        let cite = |c: &Citation| Link { id: c.id.to_string(), title: c.title.to_string(), ..in_print(&c.url) };
        let home = hb.documents.iter().position(|d| d.url == "index.html");
        let home_html = match home {
            Some(i) => Some(rewrite(split_title(&self.document_html(i)?).1, "index.html", &printed)),
            None => None,
        };
        // One part per type.
        let order = hb.print_order();
        let groups: Vec<&[usize]> =
            order.chunk_by(|&a, &b| hb.documents[a].doc_type == hb.documents[b].doc_type).collect();
        let parts: Vec<Part> = groups
            .iter()
            .enumerate()
            .map(|(k, docs)| {
                let (title, id) = type_heading(hb.documents[docs[0]].doc_type);
                Part { title, id, contents: contents_marker(k), documents: part_marker(k) }
            })
            .collect();
        let clauses: Vec<PrintClause> = hb
            .clauses
            .iter()
            .zip(&clause_urls)
            .map(|(c, url)| PrintClause {
                anchor: anchor_of(url),
                clause: c,
                providers: self.backlinks.clause_providers(&c.id).into_iter().map(cite).collect(),
            })
            .collect();
        let controls: Vec<PrintControl> = hb
            .controls
            .iter()
            .zip(&control_urls)
            .enumerate()
            .map(|(i, (c, url))| PrintControl {
                anchor: anchor_of(url),
                control: c,
                decision: hb.decision(&c.id),
                implemented_by: self.backlinks.control(&c.id).iter().map(cite).collect(),
                guidance: rewrite(&self.guidance[i], url, &printed),
            })
            .collect();
        let edition = &hb.config.classification;
        let edition_rank = hb.config.level_rank(edition).unwrap_or(0);
        let mut ctx = Context::new();
        ctx.insert("home_html", &home_html);
        ctx.insert("home_anchor", &anchor_of("index.html"));
        ctx.insert("parts", &parts);
        for list in [List::Clauses, List::Controls, List::SoaRows] {
            ctx.insert(list.var(), list.marker());
        }
        ctx.insert("soa_anchor", &anchor_of("soa.html"));
        ctx.insert("soa_control", &self.document_control(SOA_DOCUMENT));
        ctx.insert("edition", edition);
        ctx.insert("edition_rank", &edition_rank);
        let frame =
            render_template(tera, "print.html", &self.page_context("print.html", "print.html", "Print edition", ctx))?;
        drop((parts, home_html));
        let mut doc_ctx = Context::new();
        doc_ctx.insert("edition", edition);
        doc_ctx.insert("edition_rank", &edition_rank);
        let written = |e: std::io::Error| {
            Diagnostic::error("io-error", Path::new("print.html"), format!("cannot write print.html: {e}"))
        };
        let frame_hash = frame_hash(&frame);
        // The previous file, when its frame is this one: sections are copied from it.
        let splice = self.print.and_then(|p| p.splice.as_ref()).filter(|s| s.layout.frame == frame_hash);
        let mut file = splice.and_then(|s| std::fs::File::open(&s.file).ok());
        let splice = splice.filter(|_| file.is_some());
        let mut layout = Layout { frame: frame_hash, docs: HashMap::with_capacity(hb.documents.len()) };
        // The section of a document whose section is unchanged (and whose page is not
        // due) is copied from the previous file.
        let copied = |i: usize| {
            let s = splice?;
            (!s.changed[i] && !pages[i]).then(|| s.layout.docs.get(&hb.documents[i].path)).flatten().copied()
        };
        let render = |batch: &[usize]| -> Result<Vec<Option<String>>, Diagnostic> {
            batch
                .par_iter()
                .map(|&i| {
                    if copied(i).is_some() {
                        return Ok(None);
                    }
                    let body = self.document_body(i)?;
                    if pages[i] {
                        let (rel, bytes) = self.document_page_of(tera, i, &body)?;
                        self.put_page(out, &rel, bytes, on_page)?;
                    }
                    self.print_document(tera, &doc_ctx, i, &body, &printed).map(Some)
                })
                .collect()
        };
        let changed = out.put_stream("print.html", |w| {
            let mut w = Counting { w, at: 0 };
            // Where each part's documents and each list go, in the order the frame has them.
            let mut slots: Vec<(usize, usize, Slot)> = Vec::new();
            for k in 0..groups.len() {
                let marker = part_marker(k);
                let Some(at) = frame.find(&marker) else {
                    return Err(Diagnostic::error(
                        "template-error",
                        Path::new("<theme>/print.html"),
                        "print.html does not place the documents of each part",
                    )
                    .hint(
                        "put `{{ p.documents | safe }}` inside `{% for p in parts %}` (see the built-in print.html)",
                    ));
                };
                slots.push((at, marker.len(), Slot::Part(k)));
                let marker = contents_marker(k);
                let at = placed_once(&frame, &marker, "print.html", "p.contents", "print-contents-entry.html")?;
                slots.push((at, marker.len(), Slot::Contents(k)));
            }
            for list in [List::Clauses, List::Controls, List::SoaRows] {
                let at = placed_once(&frame, list.marker(), "print.html", list.var(), list.template())?;
                slots.push((at, list.marker().len(), Slot::List(list)));
            }
            slots.sort_by_key(|s| s.0);
            let mut done = 0;
            for (at, len, slot) in slots {
                w.write_all(&frame.as_bytes()[done..at]).map_err(written)?;
                done = at + len;
                let k = match slot {
                    Slot::Part(k) => k,
                    Slot::Contents(k) => {
                        let entries: Vec<Entry> = groups[k]
                            .iter()
                            .map(|&i| {
                                let d = &hb.documents[i];
                                Entry { anchor: anchor_of(&d.url), id: &d.id, title: &d.title }
                            })
                            .collect();
                        let template = ("print-contents-entry.html", "d");
                        render_rows(tera, template, &mut doc_ctx.clone(), &entries, &mut w, &written)?;
                        continue;
                    }
                    Slot::List(list) => {
                        let mut ctx = doc_ctx.clone();
                        let template = (list.template(), "c");
                        match list {
                            List::Clauses => render_rows(tera, template, &mut ctx, &clauses, &mut w, &written)?,
                            _ => render_rows(tera, template, &mut ctx, &controls, &mut w, &written)?,
                        }
                        continue;
                    }
                };
                let docs = &groups[k];
                let batches: Vec<&[usize]> = docs.chunks(PRINT_BATCH).collect();
                let mut ready = batches.first().map(|b| render(b));
                for (n, batch) in batches.iter().enumerate() {
                    let html = match ready.take() {
                        Some(html) => html?,
                        None => render(batch)?,
                    };
                    // The next batch is rendered while this one is written.
                    let mut upcoming = None;
                    rayon::in_place_scope(|scope| {
                        if let Some(next) = batches.get(n + 1) {
                            scope.spawn(|_| upcoming = Some(render(next)));
                        }
                        for (&i, h) in batch.iter().zip(html) {
                            let start = w.at;
                            match (h, copied(i), file.as_mut()) {
                                (Some(h), _, _) => w.write_all(h.as_bytes()).map_err(written)?,
                                (None, Some((at, len)), Some(file)) => {
                                    use std::io::{Read, Seek};
                                    file.seek(std::io::SeekFrom::Start(at)).map_err(written)?;
                                    let copied = std::io::copy(&mut file.take(len), &mut w).map_err(written)?;
                                    if copied != len {
                                        return Err(written(std::io::ErrorKind::UnexpectedEof.into()));
                                    }
                                }
                                _ => unreachable!("a section is copied only from a previous file"),
                            }
                            layout.docs.insert(hb.documents[i].path.clone(), (start, w.at - start));
                        }
                        Ok(())
                    })?;
                    ready = upcoming;
                }
            }
            w.write_all(&frame.as_bytes()[done..]).map_err(written)
        })?;
        if let Some(p) = self.print {
            *p.made.lock().unwrap_or_else(|e| e.into_inner()) = Some(layout);
        }
        Ok(changed)
    }

    /// Document `i` (its `body`) as print.html shows it: `print-document.html` with `d` (a
    /// [`PrintDoc`]) added to `ctx`.
    fn print_document(
        &self,
        tera: &Tera,
        ctx: &Context,
        i: usize,
        body: &Body,
        printed: &HashSet<&str>,
    ) -> Result<String, Diagnostic> {
        let hb = self.hb;
        let d = &hb.documents[i];
        let who = |r: &Option<String>| r.as_deref().map(|o| self.role_link(o).unwrap_or_else(|| plain(o)));
        let doc = PrintDoc {
            anchor: anchor_of(&d.url),
            title_anchor: body.title_id.as_ref().map(|t| inner_anchor(&d.url, t)),
            doc: d,
            owner: who(&d.owner),
            approver: who(&d.approver),
            review_status: ReviewStatus::of(d.review, hb.build_date).as_str(),
            cls_rank: hb.config.level_rank(&d.classification).unwrap_or(0),
            html: rewrite(&body.html, &d.url, printed),
        };
        let mut ctx = ctx.clone();
        ctx.insert("d", &doc);
        render_template(tera, "print-document.html", &ctx)
    }
}

/// A writer that counts the bytes written through it.
struct Counting<'w> {
    w: &'w mut dyn std::io::Write,
    at: u64,
}

impl std::io::Write for Counting<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(data)?;
        self.at += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_anchors_and_ids_unique() {
        let printed: HashSet<&str> = ["policies/a.html", "controls/A.5.1.html", "soa.html"].into_iter().collect();
        let html = r##"<h2 id="scope">Scope</h2><a href="../controls/A.5.1.html">c</a> <a href="a.html#scope">s</a> <a href="#scope">here</a> <a href="../register.html">r</a> <a href="https://x.org/">x</a> <img src="../img/a.png">"##;
        let out = rewrite(html, "policies/a.html", &printed);
        assert_eq!(
            out,
            r##"<h2 id="p-policies:a--scope">Scope</h2><a href="#p-controls:A.5.1">c</a> <a href="#p-policies:a--scope">s</a> <a href="#p-policies:a--scope">here</a> <a href="register.html">r</a> <a href="https://x.org/">x</a> <img src="img/a.png">"##
        );
    }
}
