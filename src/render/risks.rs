//! The risk register's pages: the register (with heat maps) and each risk.

use super::*;
use serde::Serialize;
use std::collections::BTreeSet;
use tera::{Context, Tera};

/// A risk as other pages list it: id, title, level and page.
#[derive(Serialize)]
pub(super) struct RiskLink {
    id: String,
    title: String,
    level: String,
    residual_level: String,
    url: String,
}

pub(super) fn risk_link(r: &crate::risk::Risk) -> RiskLink {
    RiskLink {
        id: r.id.clone(),
        title: r.title.clone(),
        level: r.level.clone(),
        residual_level: r.residual_level.clone(),
        url: crate::urls::risk_url(&r.id),
    }
}

impl Site<'_> {
    pub(super) fn risks_index(&self, tera: &Tera, reg: &crate::risk::Register) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            risk: &'a crate::risk::Risk,
            url: String,
            owner: Option<Link>,
            controls: Vec<Link>,
            residual: crate::risk::Rating,
            open_actions: usize,
        }
        let rows: Vec<Row> = reg
            .risks
            .iter()
            .map(|r| Row {
                risk: r,
                url: crate::urls::risk_url(&r.id),
                owner: r.owner.as_deref().map(|o| self.who(o)),
                controls: r.controls.iter().map(|c| self.control_link(c)).collect(),
                residual: r.residual_rating(),
                open_actions: r.actions.iter().filter(|a| a.status.is_open()).count(),
            })
            .collect();
        let owners: BTreeSet<&str> = reg.risks.iter().filter_map(|r| r.owner.as_deref()).collect();
        let treatments: Vec<&str> = crate::risk::Treatment::ALL.iter().map(|t| t.as_str()).collect();
        let mut ctx = Context::new();
        ctx.insert("reg", reg);
        ctx.insert("crumbs", &crumbs(Vec::new(), "Risk register"));
        ctx.insert("rows", &rows);
        ctx.insert("levels", &reg.method.level_names());
        ctx.insert("owners", &owners);
        ctx.insert("treatments", &treatments);
        ctx.insert("likelihoods", &(1..=reg.method.likelihood).collect::<Vec<_>>());
        ctx.insert("impacts", &(1..=reg.method.impact).collect::<Vec<_>>());
        ctx.insert("maps", &[crate::risk::heat_map(reg, false), crate::risk::heat_map(reg, true)]);
        ctx.insert(
            "above_threshold",
            &reg.risks.iter().filter(|r| r.residual_score > reg.method.accept_at_most).count(),
        );
        self.page(tera, "risks.html", "risks/index.html", "Risk register", ctx)
    }

    pub(super) fn risk_page(&self, tera: &Tera, reg: &crate::risk::Register, i: usize) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Treating {
            link: Link,
            decision: &'static str,
        }
        #[derive(Serialize)]
        struct ActionRow<'a> {
            action: &'a crate::risk::Action,
            owner: Option<Link>,
            overdue: bool,
        }
        let hb = self.hb;
        let r = &reg.risks[i];
        let controls: Vec<Treating> = r
            .controls
            .iter()
            .map(|c| Treating {
                link: self.control_link(c),
                decision: match hb.decision(c) {
                    None => "no decision",
                    Some(d) if !d.applicable => "not applicable",
                    Some(d) => d.status.map_or("applicable", |s| s.as_str()),
                },
            })
            .collect();
        let actions: Vec<ActionRow> = r
            .actions
            .iter()
            .map(|a| ActionRow {
                action: a,
                owner: a.owner.as_deref().map(|o| self.who(o)),
                overdue: a.status.is_open() && a.due.is_some_and(|d| d < hb.build_date),
            })
            .collect();
        let soa: Vec<Link> =
            crate::risk::cited_by_soa(hb, reg, &r.id).into_iter().map(|c| self.control_link(c)).collect();
        let mut ctx = Context::new();
        ctx.insert("risk", r);
        ctx.insert(
            "crumbs",
            &crumbs(vec![step("Risk register", "risks/index.html")], &format!("{} {}", r.id, r.title)),
        );
        ctx.insert("method", &reg.method);
        ctx.insert("owner", &r.owner.as_deref().map(|o| self.who(o)));
        ctx.insert("accepted_by", &r.accepted.as_ref().map(|a| self.who(&a.by)));
        ctx.insert("residual", &r.residual_rating());
        ctx.insert("needs_acceptance", &(r.residual_score > reg.method.accept_at_most));
        ctx.insert("controls", &controls);
        ctx.insert("actions", &actions);
        ctx.insert("cited_by", self.backlinks.get(&crate::links::TargetKey::Risk(r.id.clone())));
        ctx.insert("cited_by_soa", &soa);
        let url = crate::urls::risk_url(&r.id);
        self.page(tera, "risk.html", &url, &format!("{} {}", r.id, r.title), ctx)
    }
}
