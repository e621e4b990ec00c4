//! The roles index and each role's page (the documents that apply to it, the sections that
//! name it).

use super::lists::{DocLink, ItemList, by_type, marker};
use super::risks::{RiskLink, risk_link};
use super::*;
use crate::markdown::{Heading, Rendered};
use crate::model::{DocType, Document, Role};
use crate::urls::role_url;
use serde::Serialize;
use std::collections::BTreeSet;
use tera::{Context, Tera};

/// A document on a role page, as `role-document.html` sees it (`d`): a link to it and, for a
/// document that applies to the role, the sections that name the role.
#[derive(Serialize)]
struct RoleDoc<'a> {
    link: DocLink<'a>,
    sections: Vec<crate::audit::Section>,
}

impl<'a> RoleDoc<'a> {
    fn of(d: &'a Document, sections: Vec<crate::audit::Section>) -> Self {
        RoleDoc { link: DocLink::of(d), sections }
    }
}

/// The `##`/`###` sections of a rendered document whose text names one of `needles`
/// (lowercase), matched at the start of a word.
pub(super) fn sections_naming(r: &Rendered, html: &str, needles: &[String]) -> Vec<crate::audit::Section> {
    // Headings come in page order: each is searched for after the previous one (one pass).
    let mut from = 0;
    let mut starts: Vec<(usize, &Heading)> = Vec::new();
    for h in r.headings.iter().filter(|h| h.level == 2 || h.level == 3) {
        if let Some(p) = html[from..].find(&format!(" id=\"{}\"", h.id)) {
            from += p;
            starts.push((from, h));
        }
    }
    let mut out = Vec::new();
    for (k, (start, h)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(html.len(), |n| n.0);
        let text = html[*start..end].to_lowercase();
        let named = needles.iter().any(|n| {
            text.match_indices(n.as_str())
                .any(|(p, _)| p == 0 || !text[..p].chars().next_back().is_some_and(char::is_alphanumeric))
        });
        if named {
            out.push(crate::audit::Section { anchor: h.id.clone(), title: h.title.clone() });
        }
    }
    out
}

impl Site<'_> {
    pub(super) fn roles_index(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            title: &'a str,
            description: &'a Option<String>,
            url: String,
        }
        let rows: Vec<Row> = self
            .hb
            .roles
            .iter()
            .map(|r| Row { title: &r.title, description: &r.description, url: role_url(&r.id) })
            .collect();
        let mut ctx = Context::new();
        ctx.insert("roles", &rows);
        ctx.insert("crumbs", &crumbs(Vec::new(), "Roles"));
        self.page(tera, "roles.html", "roles/index.html", "Roles", ctx)
    }

    pub(super) fn role_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        let hb = self.hb;
        let role = &hb.roles[i];
        let id = role.id.as_str();
        // Written for this role, or for a role it belongs to (the CEO reads what is addressed
        // to the executive team).
        let groups = hb.role_and_groups(id);
        let addressed = |d: &Document| d.audience.iter().any(|a| groups.contains(&a.as_str()));
        let specific = hb.documents.iter().enumerate().filter(|(_, d)| addressed(d));
        let general = hb
            .documents
            .iter()
            .enumerate()
            .filter(|(_, d)| id != "all-staff" && d.audience.iter().any(|a| a == "all-staff"));
        let mut seen = BTreeSet::new();
        let mut applies: Vec<(usize, &Document)> =
            specific.chain(general).filter(|(_, d)| seen.insert(&d.id)).collect();
        applies.sort_by(|a, b| a.1.reading_key().cmp(&b.1.reading_key()));
        // The sections of each document that name the role (its title, or its id in words).
        let needles: Vec<String> = [role.title.as_str(), &id.replace('-', " ")]
            .iter()
            .map(|n| n.to_lowercase().trim_end_matches('s').to_string())
            .filter(|n| n.len() >= 3)
            .collect();
        // Sections are looked up in the documents written for this role (not in those for
        // everyone, which apply whole): each is rendered again here, once, in parallel.
        let docs: Vec<(DocType, RoleDoc)> = applies
            .par_iter()
            .map(|&(i, d)| {
                let sections = if id != "all-staff" && addressed(d) {
                    sections_naming(&self.rendered[i], &self.document_html(i)?, &needles)
                } else {
                    Vec::new()
                };
                Ok((d.doc_type, RoleDoc::of(d, sections)))
            })
            .collect::<Result<_, Diagnostic>>()?;
        // The lists: the applying documents by type, then those the role owns and approves.
        let (headings, mut lists) = by_type(docs.into_iter(), 0);
        let links = |f: &dyn Fn(&Document) -> bool| -> Vec<RoleDoc> {
            hb.documents.iter().filter(|d| f(d)).map(|d| RoleDoc::of(d, Vec::new())).collect()
        };
        let owns = ItemList { marker: marker("list", lists.len()), items: links(&|d| d.owner.as_deref() == Some(id)) };
        let approves =
            ItemList { marker: marker("list", lists.len() + 1), items: links(&|d| d.approver.as_deref() == Some(id)) };
        let role_links = |ids: &mut dyn Iterator<Item = &Role>| -> Vec<Link> {
            ids.map(|r| Link { id: r.id.clone(), title: r.title.clone(), url: Some(role_url(&r.id)) }).collect()
        };
        let mut ctx = Context::new();
        ctx.insert("role", role);
        ctx.insert("member_of", &role_links(&mut role.member_of.iter().filter_map(|g| hb.role(g))));
        ctx.insert("members", &role_links(&mut hb.roles.iter().filter(|r| r.member_of.iter().any(|g| g == id))));
        ctx.insert("applies", &headings);
        ctx.insert("owns", &owns.items.len());
        ctx.insert("owns_html", &owns.marker);
        ctx.insert("approves", &approves.items.len());
        ctx.insert("approves_html", &approves.marker);
        ctx.insert("crumbs", &crumbs(vec![step("Roles", "roles/index.html")], &role.title));
        let owned = |reg: &'_ crate::risk::Register| -> Vec<RiskLink> {
            reg.risks.iter().filter(|r| r.owner.as_deref() == Some(id)).map(risk_link).collect()
        };
        ctx.insert("risks", &self.published_risks().map(owned).unwrap_or_default());
        let groups = headings.len();
        lists.extend([owns, approves]);
        let var = |k: usize| match k {
            k if k < groups => "g.documents",
            k if k == groups => "owns_html",
            _ => "approves_html",
        };
        let page = (role_url(id), role.title.as_str());
        self.page_with_lists(tera, ("role.html", "role-document.html", "d"), (&page.0, page.1), ctx, &lists, &var)
    }
}
