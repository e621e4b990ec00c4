//! The catalogue's pages: the controls index, each control, the clauses index, each clause.

use super::auditor::justification_html;
use super::risks::{RiskLink, risk_link};
use super::*;
use crate::audit::Citation;
use crate::urls::{clause_url, control_url, root_of};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tera::{Context, Tera};

/// What the requirement and the guidance of a catalogue are, said on every control page.
#[derive(Serialize)]
pub(super) struct Labels {
    requirement: &'static str,
    guidance: &'static str,
    clause: &'static str,
}

impl Labels {
    pub(super) fn of(framework: &str) -> Labels {
        if framework.starts_with("iso27001") {
            Labels {
                requirement: "ISO/IEC 27001 Annex A requirement (in our words)",
                guidance: "Guidance, in the manner of ISO/IEC 27002 (in our words)",
                clause: "ISO/IEC 27001 requirement (in our words)",
            }
        } else {
            Labels { requirement: "Requirement", guidance: "Guidance", clause: "Requirement" }
        }
    }
}

/// Percent-encodes a query value.
pub(super) fn url_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Site<'_> {
    pub(super) fn controls_index(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row {
            id: String,
            title: String,
            theme: String,
            url: String,
            status: String,
            status_class: String,
            documents: usize,
            data: String,
        }
        #[derive(Serialize)]
        struct Family {
            key: String,
            family: String,
            values: BTreeSet<String>,
        }
        let mut families: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let rows: Vec<Row> = self
            .hb
            .controls
            .iter()
            .map(|c| {
                families.entry("theme".into()).or_default().insert(c.theme.clone());
                let mut data = format!("data-theme=\"{}\"", escape(&c.theme));
                for (k, vs) in &c.attributes {
                    families.entry(k.clone()).or_default().extend(vs.iter().cloned());
                    data.push_str(&format!(" data-{}=\"{}\"", escape(&k.replace('_', "-")), escape(&vs.join(" "))));
                }
                let (status, status_class) = match self.hb.decision(&c.id) {
                    None => ("no decision", "undecided"),
                    Some(d) if !d.applicable => ("not applicable", "excluded"),
                    Some(d) => d.status.map_or(("applicable", "applicable"), |s| (s.as_str(), s.as_str())),
                };
                let status_class = format!("status-{status_class}");
                let status = status.to_string();
                data.push_str(&format!(" data-status=\"{}\"", escape(&status.replace(' ', "-"))));
                Row {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    theme: c.theme.clone(),
                    url: control_url(&c.id),
                    status,
                    status_class,
                    documents: self.backlinks.control(&c.id).len(),
                    data,
                }
            })
            .collect();
        let families: Vec<Family> = families
            .into_iter()
            .map(|(k, values)| Family { key: k.replace('_', "-"), family: humanise(&k), values })
            .collect();
        let mut ctx = Context::new();
        ctx.insert("total", &rows.len());
        ctx.insert("controls", &rows);
        ctx.insert("families", &families);
        ctx.insert("crumbs", &crumbs(Vec::new(), "Controls"));
        self.page(tera, "controls.html", "controls/index.html", "Controls", ctx)
    }

    pub(super) fn control_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Tag {
            value: String,
            /// The controls index filtered by this value.
            url: String,
        }
        #[derive(Serialize)]
        struct Attr {
            family: String,
            values: Vec<Tag>,
        }
        let hb = self.hb;
        let c = &hb.controls[i];
        let id = c.id.as_str();
        let url = control_url(id);
        let tag = |key: &str, v: &str| Tag {
            value: v.to_string(),
            url: format!("controls/index.html?{}={}", key.replace('_', "-"), url_encode(v)),
        };
        let mut ctx = Context::new();
        ctx.insert("control", c);
        ctx.insert("theme_title", &humanise(&c.theme));
        ctx.insert("theme_url", &tag("theme", &c.theme).url);
        ctx.insert("labels", &Labels::of(&c.framework));
        ctx.insert("guidance", &wrap_tables(&self.guidance[i]));
        ctx.insert("decision", &hb.decision(id));
        let justification = hb.decision(id).and_then(|d| d.justification.as_deref());
        let html = justification.map(|j| justification_html(j, hb.risks.as_ref(), &root_of(&url)));
        ctx.insert("justification_html", &html);
        ctx.insert("implemented_by", self.backlinks.control(id));
        let attrs: Vec<Attr> = c
            .attributes
            .iter()
            .map(|(k, v)| Attr { family: humanise(k), values: v.iter().map(|x| tag(k, x)).collect() })
            .collect();
        ctx.insert("attributes", &attrs);
        let related: Vec<Link> = hb
            .clauses
            .iter()
            .filter(|cl| cl.controls.iter().any(|x| x == id))
            .map(|cl| self.clause_link(&cl.id))
            .collect();
        ctx.insert("related_clauses", &related);
        let risks: Vec<RiskLink> =
            self.published_risks().map(|reg| reg.treating(id).map(risk_link).collect()).unwrap_or_default();
        ctx.insert("risks", &risks);
        let theme_step = step(&humanise(&c.theme), &tag("theme", &c.theme).url);
        ctx.insert("crumbs", &crumbs(vec![step("Controls", "controls/index.html"), theme_step], id));
        self.page(tera, "control.html", &url, &format!("{} {}", c.id, c.title), ctx)
    }

    pub(super) fn clauses_index(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            title: &'a str,
            url: String,
            level: usize,
            required: bool,
            providers: Vec<&'a Citation>,
        }
        let rows: Vec<Row> = self
            .hb
            .clauses
            .iter()
            .map(|c| Row {
                id: &c.id,
                title: &c.title,
                url: clause_url(&c.id),
                level: c.id.matches('.').count() + 1,
                required: c.documented_information.is_some(),
                providers: self.backlinks.clause_providers(&c.id),
            })
            .collect();
        let required = rows.iter().filter(|r| r.required).count();
        let covered = rows.iter().filter(|r| r.required && !r.providers.is_empty()).count();
        let mut ctx = Context::new();
        ctx.insert("clauses", &rows);
        ctx.insert("required", &required);
        ctx.insert("covered", &covered);
        ctx.insert("crumbs", &crumbs(Vec::new(), "Clauses"));
        self.page(tera, "clauses.html", "clauses/index.html", "Management system clauses", ctx)
    }

    pub(super) fn clause_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        let hb = self.hb;
        let c = &hb.clauses[i];
        let id = c.id.as_str();
        let mut ctx = Context::new();
        ctx.insert("clause", c);
        ctx.insert("parent", &c.parent_id().and_then(|p| hb.clause(p)).map(|p| self.clause_link(&p.id)));
        let children: Vec<Link> =
            hb.clauses.iter().filter(|x| x.parent_id() == Some(id)).map(|x| self.clause_link(&x.id)).collect();
        ctx.insert("children", &children);
        ctx.insert("providers", &self.backlinks.clause_providers(id));
        let cited: Vec<&Citation> = self
            .backlinks
            .get(&crate::links::TargetKey::Clause(id.to_string()))
            .iter()
            .filter(|c| !c.sections.is_empty() || !c.declared)
            .collect();
        ctx.insert("cited_by", &cited);
        let controls: Vec<Link> =
            c.controls.iter().filter(|x| hb.control(x).is_some()).map(|x| self.control_link(x)).collect();
        ctx.insert("controls", &controls);
        ctx.insert("labels", &Labels::of(&c.framework));
        // Clause 6.1.3 asks for the Statement of Applicability itself.
        ctx.insert("soa_clause", &(c.framework.starts_with("iso27001") && id == "6.1.3"));
        let mut steps = vec![step("Clauses", "clauses/index.html")];
        let mut parent = c.parent_id();
        let mut ancestors = Vec::new();
        while let Some(p) = parent.and_then(|p| hb.clause(p)) {
            ancestors.push(step(&format!("{} {}", p.id, p.title), &clause_url(&p.id)));
            parent = p.parent_id();
        }
        steps.extend(ancestors.into_iter().rev());
        ctx.insert("crumbs", &crumbs(steps, &format!("{} {}", c.id, c.title)));
        self.page(tera, "clause.html", &clause_url(id), &format!("Clause {} {}", c.id, c.title), ctx)
    }
}
