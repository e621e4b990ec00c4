//! Markdown: one document's text to HTML, with heading ids and resolved references.
//!
//! pulldown-cmark parses (tables, footnotes, strikethrough, task lists, heading attributes and
//! `[[wikilinks]]`); this module rewrites the event stream: headings get stable unique ids and
//! an anchor, `[[ID]]` and `[[ID|text]]` become links to controls, clauses and documents, and
//! relative `.md` links become `.html` links. Code spans and blocks are never touched, because
//! the parser never reports links inside them.

use crate::diagnostics::{Diagnostic, LineIndex, Pos};
use crate::html::{self, RawHtmlPolicy};
use crate::links::{self, AnchorCheck, CrossRef, Target, TargetKey, Targets};
use crate::urls::{clause_url, control_url, root_of};
use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use std::collections::HashSet;
use std::path::Path;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_WIKILINKS
}

/// How many problems of one file get "did you mean" suggestions.
const SUGGESTIONS_PER_FILE: usize = 200;

/// The text of the first heading, for documents without a `title`.
pub fn first_heading(body: &str) -> Option<String> {
    let mut inside = false;
    let mut text = String::new();
    for event in Parser::new_ext(body, options()) {
        match event {
            Event::Start(Tag::Heading { .. }) => inside = true,
            Event::End(TagEnd::Heading(_)) => return Some(text),
            Event::Text(t) | Event::Code(t) if inside => text.push_str(&t),
            _ => {}
        }
    }
    None
}

/// A heading id: lowercase words joined by `-`, `_` kept as GitHub and mdBook keep it, other
/// punctuation dropped (`1. Scope & aims` -> `1-scope-aims`, `log_retention` -> `log_retention`).
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if c == '_' {
            slug.push('_');
        } else if (c.is_whitespace() || c == '-') && !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() { "section".to_string() } else { slug }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Heading {
    pub level: u8,
    /// Shared, not copied, by the backlinks of the sections that cite something.
    pub id: std::sync::Arc<str>,
    pub title: std::sync::Arc<str>,
}

/// Where the text comes from and where its HTML goes.
pub struct Source<'s> {
    /// The file, for diagnostics.
    pub file: &'s Path,
    /// The whole file text and the byte offset of the Markdown within it.
    pub text: &'s str,
    pub offset: usize,
    /// The page the HTML lands on (build-dir-relative), for relative URLs.
    pub page: &'s str,
    /// The src-relative path of the document, for relative links; `None` outside documents.
    pub doc_path: Option<&'s str>,
}

impl<'s> Source<'s> {
    /// A document's Markdown (`text` is its whole file, front matter included).
    pub fn document(d: &'s crate::model::Document, text: &'s str) -> Source<'s> {
        Source { file: &d.file, text, offset: d.body_start, page: &d.url, doc_path: Some(&d.path) }
    }
}

/// What rendering one text found. Serialisable for the rebuild cache (`build::Session`), which
/// keeps everything but the HTML.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Rendered {
    #[serde(skip)]
    pub html: String,
    pub headings: Vec<Heading>,
    pub refs: Vec<CrossRef>,
    pub anchors: Vec<AnchorCheck>,
    pub diagnostics: Vec<Diagnostic>,
    /// The src-relative attachments (copied source files) this text links to.
    pub attachments: Vec<String>,
}

impl Rendered {
    /// Drops what only the analysis needs (references, anchors to check, diagnostics), keeping
    /// what pages show (headings, attachments).
    pub fn release_analysis(&mut self) {
        self.refs = Vec::new();
        self.anchors = Vec::new();
        self.diagnostics = Vec::new();
    }
}

/// Renders Markdown to HTML, resolving references against `targets`.
pub fn render(src: &Source, targets: &Targets) -> Rendered {
    render_with(src, targets, true)
}

/// Everything [`render`] finds (headings, references, anchors to check, diagnostics) without
/// the HTML: the analysis pass, whose HTML would only be dropped.
pub fn scan(src: &Source, targets: &Targets) -> Rendered {
    render_with(src, targets, false)
}

fn render_with(src: &Source, targets: &Targets, html: bool) -> Rendered {
    let markdown = &src.text[src.offset..];
    let root = root_of(src.page);
    let mut out = Rendered::default();
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut events: Vec<Event> = Vec::new();
    // The `##`/`###` heading the text is under: its index in `out.headings`.
    let mut section: Option<u32> = None;
    let mut parser = Parser::new_ext(markdown, options()).into_offset_iter();
    let lines = LineIndex::new(src.text);
    // The HTML block being read: its text and (offset in it, offset in the source) per line.
    let mut html_block: Option<(String, Vec<(usize, usize)>)> = None;

    while let Some((event, range)) = parser.next() {
        let pos = || lines.pos(src.offset + range.start);
        match event {
            Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                let mut inner = Vec::new();
                let mut text = String::new();
                for (e, r) in parser.by_ref() {
                    match &e {
                        Event::End(TagEnd::Heading(_)) => break,
                        Event::Text(t) | Event::Code(t) => text.push_str(t),
                        Event::InlineHtml(h) => {
                            let map = [(0, src.offset + r.start)];
                            let h = raw_html(src, targets, &root, &lines, h, &map, &section, &mut out);
                            inner.push(Event::InlineHtml(h.into()));
                            continue;
                        }
                        _ => {}
                    }
                    inner.push(e);
                }
                let base = id.map(|i| i.to_string()).unwrap_or_else(|| slugify(&text));
                let id = unique_id(&base, &mut used_ids);
                let title = text.trim().to_string();
                if level != HeadingLevel::H1 {
                    section = u32::try_from(out.headings.len()).ok();
                }
                out.headings.push(Heading { level: level as u8, id: id.as_str().into(), title: title.into() });
                // Hidden from screen readers and out of the Tab order: the heading itself is the landmark.
                let anchor = format!("<a class=\"anchor\" href=\"#{id}\" aria-hidden=\"true\" tabindex=\"-1\">#</a>");
                events.push(Event::Start(Tag::Heading { level, id: Some(id.into()), classes, attrs }));
                // A wikilink inside a heading is resolved like any other.
                let mut inner_iter = inner.into_iter();
                while let Some(e) = inner_iter.next() {
                    match e {
                        Event::Start(Tag::Link { link_type: LinkType::WikiLink { has_pothole }, dest_url, .. }) => {
                            let body: Vec<Event> =
                                inner_iter.by_ref().take_while(|e| !matches!(e, Event::End(TagEnd::Link))).collect();
                            let p = pos();
                            wikilink(
                                src,
                                targets,
                                &root,
                                &dest_url,
                                has_pothole,
                                body,
                                p,
                                &section,
                                &mut out,
                                &mut events,
                            );
                        }
                        e => events.push(e),
                    }
                }
                events.push(Event::InlineHtml(anchor.into()));
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::Link { link_type: LinkType::WikiLink { has_pothole }, dest_url, .. }) => {
                let mut body = Vec::new();
                for (e, _) in parser.by_ref() {
                    if matches!(e, Event::End(TagEnd::Link)) {
                        break;
                    }
                    body.push(e);
                }
                let p = pos();
                wikilink(src, targets, &root, &dest_url, has_pothole, body, p, &section, &mut out, &mut events);
            }
            Event::Start(Tag::Link { link_type: LinkType::Email, dest_url, title, id }) => {
                // `<security@example.com>`: the HTML writer adds `mailto:`; nothing to check.
                events.push(Event::Start(Tag::Link { link_type: LinkType::Email, dest_url, title, id }));
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                match relative_link(src, targets, &root, &dest_url, pos(), &section, &mut out) {
                    LinkFate::Keep => events.push(Event::Start(Tag::Link { link_type, dest_url, title, id })),
                    LinkFate::Rewrite(url) => {
                        events.push(Event::Start(Tag::Link { link_type, dest_url: url.into(), title, id }))
                    }
                    LinkFate::PlainText => {
                        for (e, _) in parser.by_ref() {
                            if matches!(e, Event::End(TagEnd::Link)) {
                                break;
                            }
                            events.push(e);
                        }
                    }
                }
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let _ = relative_link(src, targets, &root, &dest_url, pos(), &section, &mut out);
                events.push(Event::Start(Tag::Image { link_type, dest_url, title, id }));
            }
            // An HTML block arrives line by line: gathered, so that a tag may span lines.
            Event::Html(html) if html_block.is_some() => {
                if let Some((buffer, map)) = html_block.as_mut() {
                    map.push((buffer.len(), src.offset + range.start));
                    buffer.push_str(&html);
                }
            }
            Event::End(TagEnd::HtmlBlock) => {
                if let Some((buffer, map)) = html_block.take() {
                    let html = raw_html(src, targets, &root, &lines, &buffer, &map, &section, &mut out);
                    events.push(Event::Html(html.into()));
                }
                events.push(Event::End(TagEnd::HtmlBlock));
            }
            Event::Start(Tag::HtmlBlock) => {
                html_block = Some((String::new(), Vec::new()));
                events.push(Event::Start(Tag::HtmlBlock));
            }
            Event::InlineHtml(html) | Event::Html(html) => {
                let map = [(0, src.offset + range.start)];
                let html = raw_html(src, targets, &root, &lines, &html, &map, &section, &mut out);
                events.push(Event::InlineHtml(html.into()));
            }
            e => events.push(e),
        }
    }
    if html {
        out.html.reserve(markdown.len() * 3 / 2);
        pulldown_cmark::html::push_html(&mut out.html, events.into_iter());
    }
    out
}

/// Applies the raw-HTML policy to a fragment of raw HTML and checks its `<a href>` and
/// `<img src>` links like Markdown links; returns the fragment with `.md` links rewritten.
/// `map` gives, for each piece of the fragment, (offset in the fragment, offset in the source).
#[allow(clippy::too_many_arguments)]
fn raw_html(
    src: &Source,
    targets: &Targets,
    root: &str,
    lines: &LineIndex,
    fragment: &str,
    map: &[(usize, usize)],
    section: &Option<u32>,
    out: &mut Rendered,
) -> String {
    if !fragment.contains('<') {
        return fragment.to_string();
    }
    let source_pos = |offset: usize| {
        let i = map.partition_point(|(at, _)| *at <= offset).saturating_sub(1);
        let (at, source) = map.get(i).copied().unwrap_or((0, src.offset));
        lines.pos(source + offset - at)
    };
    let scan = html::scan(fragment);
    for f in &scan.findings {
        unsafe_content(
            targets,
            "raw-html",
            src.file,
            source_pos(f.offset),
            &format!("raw HTML with {}", f.message),
            out,
        );
    }
    let mut edits = Vec::new();
    for link in scan.links {
        match relative_link(src, targets, root, &link.url, source_pos(link.offset), section, out) {
            LinkFate::Keep => {}
            LinkFate::Rewrite(url) => edits.push((link.value, link.quoted, url)),
            // A link to a document this build leaves out: its path must not leak either.
            LinkFate::PlainText => edits.push((link.value, link.quoted, String::new())),
        }
    }
    if edits.is_empty() { fragment.to_string() } else { html::rewrite(fragment, &edits) }
}

/// Reports content that can run code in a reader's browser, as `[output.html] raw-html` says.
fn unsafe_content(targets: &Targets, code: &'static str, file: &Path, pos: Pos, message: &str, out: &mut Rendered) {
    let d = match targets.hb.config.raw_html {
        RawHtmlPolicy::Allow => return,
        RawHtmlPolicy::Warn => Diagnostic::warning(code, file, message),
        RawHtmlPolicy::Deny => Diagnostic::error(code, file, message),
    };
    out.diagnostics.push(d.at_pos(pos).hint(
        "it would run in every reader's browser: remove it, or set [output.html] raw-html = \"allow\" \
         in book.toml if every author is trusted",
    ));
}

fn unique_id(base: &str, used: &mut HashSet<String>) -> String {
    let mut id = base.to_string();
    let mut n = 1;
    while used.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    used.insert(id.clone());
    id
}

/// The default text and the URL of a resolved target.
pub fn describe(targets: &Targets, target: &Target) -> Option<(String, String, TargetKey)> {
    let hb = targets.hb;
    match target {
        Target::Control(i) => {
            let c = &hb.controls[*i];
            Some((format!("{} {}", c.id, c.title), control_url(&c.id), TargetKey::Control(c.id.clone())))
        }
        Target::Clause(i) => {
            let c = &hb.clauses[*i];
            Some((format!("Clause {} {}", c.id, c.title), clause_url(&c.id), TargetKey::Clause(c.id.clone())))
        }
        Target::Document(i) => {
            let d = &hb.documents[*i];
            Some((d.title.clone(), d.url.clone(), TargetKey::Document(d.id.clone())))
        }
        Target::Risk(i) => {
            let r = &hb.risks.as_ref()?.risks[*i];
            Some((format!("{} {}", r.id, r.title), crate::urls::risk_url(&r.id), TargetKey::Risk(r.id.clone())))
        }
        Target::Legacy(_) | Target::Excluded(_) => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn wikilink<'e>(
    src: &Source,
    targets: &Targets,
    root: &str,
    dest: &str,
    has_pothole: bool,
    body: Vec<Event<'e>>,
    pos: Pos,
    section: &Option<u32>,
    out: &mut Rendered,
    events: &mut Vec<Event<'e>>,
) {
    // In a table cell `[[X\|text]]` escapes the pipe; the parser leaves the backslash on X.
    let id = dest.trim().trim_end_matches('\\').trim();
    let blank = |e: &Event| matches!(e, Event::Text(t) if t.trim().is_empty()) || matches!(e, Event::SoftBreak);
    let has_pothole = if has_pothole && body.iter().all(blank) {
        out.diagnostics.push(
            Diagnostic::warning(
                "empty-link-text",
                src.file,
                format!("`[[{id}|]]` has no link text: the default text is shown"),
            )
            .at_pos(pos)
            .hint(format!("write `[[{id}]]` for the default text, or put the text after the `|`")),
        );
        false
    } else {
        has_pothole
    };
    let (id, anchor) = match id.split_once('#') {
        Some((i, a)) => (i.trim(), Some(a.trim())),
        None => (id, None),
    };
    let resolved: Vec<Target> = match targets.resolve_id(id) {
        Some(Target::Legacy(succ)) => {
            let names: Vec<&str> = succ.iter().map(|&i| targets.hb.controls[i].id.as_str()).collect();
            out.diagnostics.push(
                Diagnostic::warning("legacy-reference", src.file, format!("{id} is an ISO/IEC 27001:2013 control id"))
                    .at_pos(pos)
                    .hint(format!("write [[{}]] instead", names.join("]] or [[")))
                    .at_pos(pos),
            );
            succ.into_iter().map(Target::Control).collect()
        }
        Some(Target::Excluded(i)) => {
            let ex = &targets.hb.excluded[i];
            out.diagnostics.push(
                Diagnostic::warning(
                    "excluded-reference",
                    src.file,
                    format!("[[{id}]] is {} and not published in this build: shown as plain text", ex.classification),
                )
                .at_pos(pos),
            );
            plain(has_pothole, body, id, events);
            return;
        }
        Some(Target::Risk(_)) if !targets.hb.risks.as_ref().is_some_and(|r| r.published) => {
            out.diagnostics.push(
                Diagnostic::warning(
                    "excluded-reference",
                    src.file,
                    format!("[[{id}]] is a risk of a register this build does not publish: shown as plain text"),
                )
                .at_pos(pos),
            );
            plain(has_pothole, body, id, events);
            return;
        }
        Some(t) => vec![t],
        None => {
            let risk_shaped = targets.hb.risks.as_ref().is_some_and(|r| r.looks_like_id(id));
            let code = if risk_shaped { "unknown-risk" } else { links::unknown_code(id) };
            let what = match code {
                "unknown-control" => "control",
                "unknown-clause" => "clause",
                "unknown-risk" => "risk",
                _ => "document",
            };
            // Suggestions compare the id with every known id: past the first problems of a
            // file they are left out, so that a file of many bad references stays linear.
            let ids = if out.diagnostics.len() < SUGGESTIONS_PER_FILE { targets.all_ids() } else { Vec::new() };
            out.diagnostics.push(links::unknown(code, src.file, pos, &format!("no {what} {id}"), id, &ids));
            plain(has_pothole, body, dest, events);
            return;
        }
    };
    let mut body = Some(body);
    for (n, target) in resolved.iter().enumerate() {
        let Some((text, url, key)) = describe(targets, target) else { continue };
        if n > 0 {
            events.push(Event::Text(" / ".into()));
        }
        let mut href = format!("{root}{url}");
        if let Some(a) = anchor {
            href.push('#');
            href.push_str(a);
            if let TargetKey::Document(_) = key {
                out.anchors.push(AnchorCheck { page: url.clone(), anchor: a.to_string(), file: src.file.into(), pos });
            }
        }
        events.push(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: href.into(),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        match body.take() {
            Some(b) if has_pothole => events.extend(b),
            _ => events.push(Event::Text(text.into())),
        }
        events.push(Event::End(TagEnd::Link));
        out.refs.push(CrossRef { target: key, section: *section });
    }
}

/// An unlinked reference: the author's text, else the id.
fn plain<'e>(has_pothole: bool, body: Vec<Event<'e>>, id: &str, events: &mut Vec<Event<'e>>) {
    if has_pothole {
        events.extend(body);
    } else {
        events.push(Event::Text(id.to_string().into()));
    }
}

enum LinkFate {
    Keep,
    Rewrite(String),
    PlainText,
}

fn is_external(url: &str) -> bool {
    url.starts_with("//")
        || url.starts_with('/')
        || url.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// Checks and rewrites an ordinary link or image source.
fn relative_link(
    src: &Source,
    targets: &Targets,
    root: &str,
    dest: &str,
    pos: Pos,
    section: &Option<u32>,
    out: &mut Rendered,
) -> LinkFate {
    if let Some(scheme) = html::dangerous_scheme(dest) {
        unsafe_content(targets, "unsafe-url", src.file, pos, &format!("a {scheme} link"), out);
        return LinkFate::Keep;
    }
    if let Some(path) = dest.strip_prefix('/').filter(|p| !p.starts_with('/')) {
        let fix = format!("{root}{path}");
        let fix = if fix.is_empty() { "./".to_string() } else { fix };
        out.diagnostics.push(
            Diagnostic::warning(
                "root-absolute-link",
                src.file,
                format!("`{dest}` starts at the web server's root, so it breaks from file:// and under a sub-path"),
            )
            .at_pos(pos)
            .hint(format!("write a relative link to the source file, e.g. `{fix}`")),
        );
        return LinkFate::Keep;
    }
    if dest.is_empty() || is_external(dest) {
        return LinkFate::Keep;
    }
    let (path, anchor) = split_link(dest);
    let broken = |msg: String| Diagnostic::error("broken-link", src.file, msg).at_pos(pos);
    if path.is_empty() {
        if let Some(a) = anchor {
            out.anchors.push(AnchorCheck {
                page: src.page.to_string(),
                anchor: a.to_string(),
                file: src.file.into(),
                pos,
            });
        }
        return LinkFate::Keep;
    }
    let Some(doc_path) = src.doc_path else {
        return LinkFate::Keep;
    };
    let decoded = crate::urls::percent_decode_lossy(path);
    let Some(joined) = links::join_relative(doc_path, &decoded) else {
        out.diagnostics.push(broken(format!("`{dest}` points outside the handbook's source folder")));
        return LinkFate::Keep;
    };
    if joined.ends_with(".md") {
        return match targets.resolve_path(&joined) {
            Some(Target::Document(i)) => {
                let doc = &targets.hb.documents[i];
                out.refs.push(CrossRef { target: TargetKey::Document(doc.id.clone()), section: *section });
                let mut url = format!("{root}{}", doc.url);
                if let Some(a) = anchor {
                    out.anchors.push(AnchorCheck {
                        page: doc.url.clone(),
                        anchor: a.to_string(),
                        file: src.file.into(),
                        pos,
                    });
                    url = format!("{url}#{a}");
                }
                LinkFate::Rewrite(url)
            }
            Some(Target::Excluded(i)) => {
                let ex = &targets.hb.excluded[i];
                out.diagnostics.push(
                    Diagnostic::warning(
                        "excluded-reference",
                        src.file,
                        format!(
                            "`{dest}` is {} and not published in this build: shown as plain text",
                            ex.classification
                        ),
                    )
                    .at_pos(pos),
                );
                LinkFate::PlainText
            }
            _ => {
                let paths: Vec<&str> = targets.hb.documents.iter().map(|d| d.path.as_str()).collect();
                let close = links::suggest(&joined, &paths);
                let mut d = broken(format!("`{dest}`: there is no document {joined}"));
                if let Some(c) = close.first() {
                    d = d.hint(format!("did you mean {c}?"));
                }
                out.diagnostics.push(d);
                LinkFate::Keep
            }
        };
    }
    let target = if joined.is_empty() || decoded.ends_with('/') {
        format!("{}{}index.html", joined, if joined.is_empty() { "" } else { "/" })
    } else {
        joined.clone()
    };
    if !targets.has_output(&target) {
        out.diagnostics.push(broken(format!("`{dest}`: no file {joined} in the handbook")));
    } else if targets.is_attachment(&target) {
        out.attachments.push(target);
    }
    LinkFate::Keep
}

/// A relative link's path (without `?query`) and its `#anchor`.
fn split_link(dest: &str) -> (&str, Option<&str>) {
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (dest, None),
    };
    (path.split('?').next().unwrap_or(path), anchor)
}

/// The src-relative files other than Markdown that a document's links and images (Markdown
/// or raw HTML) point to, without checking that they exist: for documents that are not
/// rendered, so that what only they link to is not published either.
pub fn attachment_links(doc_path: &str, body: &str) -> Vec<String> {
    let mut dests: Vec<String> = Vec::new();
    for event in Parser::new_ext(body, options()) {
        match event {
            Event::Start(Tag::Link { link_type: LinkType::WikiLink { .. } | LinkType::Email, .. }) => {}
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => dests.push(dest_url.to_string()),
            Event::Html(h) | Event::InlineHtml(h) => dests.extend(html::scan(&h).links.into_iter().map(|l| l.url)),
            _ => {}
        }
    }
    dests
        .iter()
        .filter(|d| !d.is_empty() && !is_external(d))
        .filter_map(|d| {
            let (path, _) = split_link(d);
            let joined = links::join_relative(doc_path, &crate::urls::percent_decode_lossy(path))?;
            (!path.is_empty() && !joined.ends_with(".md")).then_some(joined)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("1. Scope & aims"), "1-scope-aims");
        assert_eq!(slugify("  What you must do  "), "what-you-must-do");
        assert_eq!(slugify("Données personnelles"), "données-personnelles");
        assert_eq!(slugify("!!!"), "section");
        assert_eq!(slugify("A.5.15 Access_control"), "a515-access_control");
        assert_eq!(slugify("__init__ rules"), "__init__-rules");
    }

    #[test]
    fn unique_ids() {
        let mut used = HashSet::new();
        assert_eq!(unique_id("scope", &mut used), "scope");
        assert_eq!(unique_id("scope", &mut used), "scope-1");
        assert_eq!(unique_id("scope", &mut used), "scope-2");
    }

    #[test]
    fn first_heading_skips_code() {
        assert_eq!(first_heading("```\n# not this\n```\n\n## Real `title`\n").as_deref(), Some("Real title"));
        assert_eq!(first_heading("no heading"), None);
    }

    #[test]
    fn externals() {
        assert!(is_external("https://x.org") && is_external("mailto:a@b") && is_external("/abs"));
        assert!(!is_external("../a.md") && !is_external("a.md#x"));
    }
}
