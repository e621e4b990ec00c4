//! Document pages, the home page and the 404 page.

use super::lists::DocLink;
use super::*;
use crate::audit::{Citation, ReviewStatus};
use crate::markdown::{Heading, Rendered};
use crate::model::Document;
use crate::urls::role_url;
use serde::Serialize;
use std::collections::BTreeMap;
use tera::{Context, Tera};

impl Site<'_> {
    pub(super) fn document_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        self.document_page_of(tera, i, &self.document_body(i)?)
    }

    /// The page of document `i` made from its [`Site::document_body`] (which print.html uses
    /// too: one Markdown rendering serves both).
    pub(super) fn document_page_of(&self, tera: &Tera, i: usize, body: &Body) -> Result<Page, Diagnostic> {
        let doc = &self.hb.documents[i];
        let ctx = self.document_context(doc, &self.rendered[i], body)?;
        self.page(tera, "document.html", &doc.url, &doc.title, ctx)
    }

    /// Document `i` rendered for its page and print.html: the id of its leading `# title` (which
    /// the templates show themselves), and the rest with tables wrapped.
    pub(super) fn document_body(&self, i: usize) -> Result<Body, Diagnostic> {
        let html = self.document_html(i)?;
        let (title_id, body) = split_title(&html);
        Ok(Body { title_id, html: wrap_tables(body) })
    }

    /// The document's Markdown as HTML, rendered now (and dropped with its page).
    pub fn document_html(&self, i: usize) -> Result<String, Diagnostic> {
        let doc = &self.hb.documents[i];
        let text = crate::sources::document_text(doc, self.hb.config.max_source_size)?;
        Ok(crate::markdown::render(&crate::markdown::Source::document(doc, &text), self.targets).html)
    }

    pub(super) fn document_context(
        &self,
        doc: &Document,
        rendered: &Rendered,
        body: &Body,
    ) -> Result<Context, Diagnostic> {
        #[derive(Serialize)]
        struct DocPage<'a> {
            doc: &'a Document,
            title_id: &'a Option<String>,
            html: &'a str,
            toc: Vec<&'a Heading>,
            owner: Option<Link>,
            approver: Option<Link>,
            audience: Vec<Link>,
            controls: Vec<Link>,
            clauses: Vec<Link>,
            cited_by: &'a [Citation],
            review_status: &'static str,
            review_class: &'static str,
            /// The classification's rank (0 = lowest): the banner's colour.
            cls_rank: usize,
            crumbs: Vec<Link>,
        }
        let hb = self.hb;
        let review = ReviewStatus::of(doc.review, hb.build_date);
        let folder = doc.path.split_once('/').map(|(f, _)| f);
        let steps = folder
            .map(|f| {
                let index =
                    hb.index.document_by_path.get(&format!("{f}/index.md")).map(|&i| hb.documents[i].url.clone());
                Link { id: String::new(), title: folder_title(hb, f), url: index.filter(|u| *u != doc.url) }
            })
            .into_iter()
            .collect();
        let page = DocPage {
            doc,
            title_id: &body.title_id,
            html: &body.html,
            toc: rendered.headings.iter().filter(|h| h.level == 2 || h.level == 3).collect(),
            owner: doc.owner.as_deref().and_then(|o| self.role_link(o)),
            approver: doc.approver.as_deref().and_then(|o| self.role_link(o)),
            audience: doc.audience.iter().map(|a| self.role_link(a).unwrap_or_else(|| plain(a))).collect(),
            controls: doc.controls.iter().map(|c| self.control_link(c)).collect(),
            clauses: doc.clauses.iter().map(|c| self.clause_link(c)).collect(),
            cited_by: self.backlinks.get(&crate::links::TargetKey::Document(doc.id.clone())),
            review_status: review.as_str(),
            review_class: review_class(review),
            cls_rank: hb.config.level_rank(&doc.classification).unwrap_or(0),
            crumbs: crumbs(steps, &doc.title),
        };
        Context::from_serialize(&page).map_err(|e| template_error(&doc.file, &e))
    }

    pub(super) fn home(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Audience<'a> {
            title: &'a str,
            description: &'a Option<String>,
            url: String,
            documents: usize,
        }
        let hb = self.hb;
        let mut ctx = Context::new();
        let home = hb.documents.iter().position(|d| d.url == "index.html");
        let home_html = home.map(|i| self.document_html(i)).transpose()?;
        let (title_id, body) = home_html.as_deref().map_or((None, ""), split_title);
        ctx.insert("title_id", &title_id);
        ctx.insert("html", &home.map(|_| wrap_tables(body)));
        let mut audience_count: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &hb.documents {
            for a in &d.audience {
                *audience_count.entry(a.as_str()).or_default() += 1;
            }
        }
        let audiences: Vec<Audience> = hb
            .roles
            .iter()
            .filter_map(|r| {
                audience_count.get(r.id.as_str()).map(|&n| Audience {
                    title: &r.title,
                    description: &r.description,
                    url: role_url(&r.id),
                    documents: n,
                })
            })
            .collect();
        ctx.insert("audiences", &audiences);
        // Every document, by type and title: each rendered alone by index-document.html.
        let mut documents: Vec<&Document> = hb.documents.iter().filter(|d| d.url != "index.html").collect();
        documents.sort_by(|a, b| a.title.cmp(&b.title));
        let (by_type, lists) = super::lists::by_type(documents.into_iter().map(|d| (d.doc_type, DocLink::of(d))), 0);
        ctx.insert("by_type", &by_type);
        ctx.insert("coverage", self.coverage);
        let title = home.map_or(hb.config.title.as_str(), |i| hb.documents[i].title.as_str());
        ctx.insert("home_title", title);
        let templates = ("index.html", "index-document.html", "d");
        self.page_with_lists(tera, templates, ("index.html", title), ctx, &lists, &|_| "g.documents")
    }

    pub(super) fn not_found(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        // With base-url the root's path is known; otherwise the page finds it by climbing.
        let base_path = self.hb.config.base_url.as_deref().and_then(|u| {
            let rest = u.split_once("://").map_or(u, |(_, r)| r);
            rest.find('/').map(|i| rest[i..].to_string())
        });
        let mut ctx = Context::new();
        ctx.insert("base_path_json", &serde_json::to_string(&base_path).unwrap_or_else(|_| "null".into()));
        self.page(tera, "404.html", "404.html", "Page not found", ctx)
    }
}
