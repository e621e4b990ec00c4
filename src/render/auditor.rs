//! The auditor's pages: the Statement of Applicability, the document register, coverage.

use super::*;
use crate::audit::{Citation, ReviewStatus};
use crate::urls::control_url;
use serde::Serialize;
use std::collections::BTreeSet;
use tera::{Context, Tera};

/// Document-control data shown on a generated page.
#[derive(Serialize)]
pub(super) struct DocumentControl {
    link: Link,
    version: Option<String>,
    owner: Option<Link>,
    approver: Option<Link>,
    approved: Option<String>,
    review: Option<String>,
    review_status: &'static str,
    review_class: &'static str,
    classification: String,
    cls_rank: usize,
}

/// A justification as HTML: escaped text, with every risk it cites linked to the risk's page
/// (`[[R-002]]` and plain `R-002` alike) when the register is published. `root` leads from the
/// page to the site root.
pub(super) fn justification_html(text: &str, reg: Option<&crate::risk::Register>, root: &str) -> String {
    let Some(reg) = reg.filter(|r| r.published) else { return escape(text) };
    let mut html = String::with_capacity(text.len() + 64);
    let mut done = 0;
    for cite in crate::risk::citations(text, reg).into_iter().filter(|c| reg.get(&c.id).is_some()) {
        let end = cite.byte + cite.id.len();
        let bracketed = text[..cite.byte].ends_with("[[") && text[end..].starts_with("]]");
        let (start, after) = if bracketed { (cite.byte - 2, end + 2) } else { (cite.byte, end) };
        if start < done {
            continue;
        }
        html.push_str(&escape(&text[done..start]));
        let url = crate::urls::risk_url(&cite.id);
        html.push_str(&format!("<a href=\"{root}{}\">{}</a>", escape(&url), escape(&cite.id)));
        done = after;
    }
    html.push_str(&escape(&text[done..]));
    html
}

impl Site<'_> {
    pub(super) fn soa_page(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            control: &'a str,
            title: &'a str,
            theme: &'a str,
            url: String,
            applicable: &'static str,
            justification: &'a str,
            justification_html: String,
            status: &'static str,
            documents: &'a [Citation],
        }
        let rows: Vec<Row> = self
            .soa
            .iter()
            .map(|r| Row {
                control: &r.control,
                title: &r.title,
                theme: &r.theme,
                url: control_url(&r.control),
                applicable: match r.applicable {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "undecided",
                },
                justification: &r.justification,
                justification_html: justification_html(&r.justification, self.hb.risks.as_ref(), ""),
                status: r.status.map_or("", |s| s.as_str()),
                documents: self.backlinks.control(&r.control),
            })
            .collect();
        let themes: BTreeSet<&str> = self.soa.iter().map(|r| r.theme.as_str()).collect();
        let statuses: Vec<&str> = crate::model::Status::ALL.iter().map(|s| s.as_str()).collect();
        let mut ctx = Context::new();
        ctx.insert("applicable", &self.soa.iter().filter(|r| r.applicable == Some(true)).count());
        ctx.insert("excluded", &self.soa.iter().filter(|r| r.applicable == Some(false)).count());
        ctx.insert("undecided", &self.soa.iter().filter(|r| r.applicable.is_none()).count());
        ctx.insert("themes", &themes);
        ctx.insert("statuses", &statuses);
        ctx.insert("control", &self.document_control(SOA_DOCUMENT));
        ctx.insert("crumbs", &crumbs(Vec::new(), "Statement of Applicability"));
        let page = ("soa.html", "Statement of Applicability");
        self.page_with_rows(tera, ("soa.html", "soa-row.html"), page, ctx, &rows)
    }

    /// The document-control data of a generated page that a document stands behind (the SoA's
    /// version, approver and dates come from the document with id `SOA`).
    pub(super) fn document_control(&self, id: &str) -> Option<DocumentControl> {
        let d = self.hb.document(id)?;
        let review = ReviewStatus::of(d.review, self.hb.build_date);
        let who = |r: &Option<String>| r.as_deref().map(|o| self.role_link(o).unwrap_or_else(|| plain(o)));
        Some(DocumentControl {
            link: Self::doc_link(d),
            version: d.version.clone(),
            owner: who(&d.owner),
            approver: who(&d.approver),
            approved: d.approved.map(|x| x.to_string()),
            review: d.review.map(|x| x.to_string()),
            review_status: review.as_str(),
            review_class: review_class(review),
            classification: d.classification.clone(),
            cls_rank: self.hb.config.level_rank(&d.classification).unwrap_or(0),
        })
    }

    pub(super) fn register_page(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            title: &'a str,
            #[serde(rename = "type")]
            doc_type: &'static str,
            version: &'a str,
            owner: Option<Link>,
            approver: Option<Link>,
            approved: String,
            review: String,
            classification: &'a str,
            review_status: &'static str,
            review_class: &'static str,
            /// Overdue first, then due soon, then the rest: the order an auditor reads.
            urgency: u8,
            url: &'a str,
        }
        let who = |r: &Option<String>| r.as_deref().map(|o| self.role_link(o).unwrap_or_else(|| plain(o)));
        let mut rows: Vec<Row> = crate::audit::register(self.hb)
            .into_iter()
            .map(|(d, st)| Row {
                id: &d.id,
                title: &d.title,
                doc_type: d.doc_type.as_str(),
                version: d.version.as_deref().unwrap_or(""),
                owner: who(&d.owner),
                approver: who(&d.approver),
                approved: d.approved.map(|x| x.to_string()).unwrap_or_default(),
                review: d.review.map(|x| x.to_string()).unwrap_or_default(),
                classification: &d.classification,
                review_status: st.as_str(),
                review_class: review_class(st),
                urgency: match st {
                    ReviewStatus::Overdue => 0,
                    ReviewStatus::DueSoon => 1,
                    ReviewStatus::NoReviewDate => 2,
                    ReviewStatus::Current => 3,
                },
                url: &d.url,
            })
            .collect();
        rows.sort_by_key(|r| r.urgency);
        let types: BTreeSet<&str> = rows.iter().map(|r| r.doc_type).collect();
        let levels: Vec<&String> =
            self.hb.config.levels.iter().filter(|l| rows.iter().any(|r| r.classification == l.as_str())).collect();
        let mut ctx = Context::new();
        ctx.insert("overdue", &rows.iter().filter(|r| r.review_class == "overdue").count());
        ctx.insert("due_soon", &rows.iter().filter(|r| r.review_class == "due-soon").count());
        ctx.insert("types", &types);
        ctx.insert("levels", &levels);
        ctx.insert("crumbs", &crumbs(Vec::new(), "Document register"));
        let page = ("register.html", "Document register");
        self.page_with_rows(tera, ("register.html", "register-row.html"), page, ctx, &rows)
    }

    pub(super) fn coverage_page(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Item<'a> {
            subject: &'a str,
            page: &'a Option<String>,
            message: &'a str,
            file: &'a str,
            line: usize,
        }
        #[derive(Serialize)]
        struct Section<'a> {
            code: &'static str,
            title: &'static str,
            gaps: Vec<Item<'a>>,
        }
        // The register's own kinds are shown only when a published register exists.
        let risk_kinds = crate::risk::GAP_KINDS.iter().filter(|(code, _)| {
            *code == "control-unexplained" || self.published_risks().is_some() || !self.coverage.of(code).is_empty()
        });
        let sections: Vec<Section> = crate::audit::GAP_KINDS
            .iter()
            .chain(risk_kinds)
            .map(|(code, title)| Section {
                code,
                title,
                gaps: self
                    .coverage
                    .of(code)
                    .into_iter()
                    .map(|g| Item {
                        subject: &g.subject,
                        page: &g.page,
                        message: &g.message,
                        file: &g.diagnostic.file,
                        line: g.diagnostic.line,
                    })
                    .collect(),
            })
            .collect();
        let mut ctx = Context::new();
        ctx.insert("sections", &sections);
        ctx.insert("covered", &self.coverage.covered);
        ctx.insert("applicable", &self.coverage.applicable);
        ctx.insert("total", &self.coverage.gaps.len());
        ctx.insert("crumbs", &crumbs(Vec::new(), "Coverage"));
        self.page(tera, "coverage.html", "coverage.html", "Coverage", ctx)
    }
}
