//! Machine-readable exports: `soa.csv`, `register.csv` and `handbook.json`.
//!
//! CSV columns and their order are part of the contract (DESIGN section 9): booleans as
//! `yes`/`no`, dates as YYYY-MM-DD, RFC 4180 quoting, UTF-8. `handbook.json` carries a
//! `schema_version` so that consumers can detect changes.

use crate::audit::{ReviewStatus, SoaRow};
use crate::model::Handbook;
use crate::render::Site;
use serde::Serialize;

/// Bumped whenever a field of handbook.json changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    w.into_inner().unwrap_or_default()
}

pub fn soa_csv(rows: &[SoaRow]) -> Vec<u8> {
    csv_bytes(
        &["control", "title", "theme", "applicable", "justification", "status", "implemented_by"],
        rows.iter().map(|r| {
            vec![
                r.control.clone(),
                r.title.clone(),
                r.theme.clone(),
                match r.applicable {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => String::new(),
                },
                r.justification.clone(),
                r.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
                r.implemented_by.join(";"),
            ]
        }),
    )
}

/// An optional text as a CSV cell (empty when absent).
fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// An optional date as a CSV cell: YYYY-MM-DD, or empty.
fn date(d: Option<crate::dates::Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

pub fn register_csv(hb: &Handbook) -> Vec<u8> {
    csv_bytes(
        &[
            "id",
            "title",
            "type",
            "version",
            "owner",
            "approver",
            "approved",
            "review",
            "classification",
            "review_status",
            "path",
        ],
        crate::audit::register(hb).into_iter().map(|(d, st)| {
            vec![
                d.id.clone(),
                d.title.clone(),
                d.doc_type.as_str().into(),
                opt(&d.version),
                opt(&d.owner),
                opt(&d.approver),
                date(d.approved),
                date(d.review),
                d.classification.clone(),
                st.as_str().into(),
                d.path.clone(),
            ]
        }),
    )
}

/// `risks.csv`: one row per risk of the register (DESIGN 6b; columns listed in the README).
pub fn risks_csv(reg: &crate::risk::Register) -> Vec<u8> {
    csv_bytes(
        &[
            "id",
            "title",
            "owner",
            "likelihood",
            "impact",
            "score",
            "level",
            "treatment",
            "controls",
            "residual_likelihood",
            "residual_impact",
            "residual_score",
            "residual_level",
            "accepted_by",
            "accepted_date",
            "open_actions",
            "assessed",
            "review",
        ],
        reg.risks.iter().map(|r| {
            let residual = r.residual_rating();
            vec![
                r.id.clone(),
                r.title.clone(),
                opt(&r.owner),
                r.likelihood.to_string(),
                r.impact.to_string(),
                r.score.to_string(),
                r.level.clone(),
                r.treatment.map(|t| t.as_str().to_string()).unwrap_or_default(),
                r.controls.join(";"),
                residual.likelihood.to_string(),
                residual.impact.to_string(),
                r.residual_score.to_string(),
                r.residual_level.clone(),
                r.accepted.as_ref().map(|a| a.by.clone()).unwrap_or_default(),
                date(r.accepted.as_ref().and_then(|a| a.date)),
                r.actions.iter().filter(|a| a.status.is_open()).count().to_string(),
                date(r.assessed),
                date(r.review),
            ]
        }),
    )
}

pub fn handbook_json(site: &Site) -> Vec<u8> {
    let hb = site.hb;
    #[derive(Serialize)]
    struct Doc<'a> {
        #[serde(flatten)]
        doc: &'a crate::model::Document,
        review_status: ReviewStatus,
        cited_by: Vec<&'a str>,
    }
    #[derive(Serialize)]
    struct Control<'a> {
        #[serde(flatten)]
        control: &'a crate::model::Control,
        decision: Option<&'a crate::model::SoaDecision>,
        implemented_by: Vec<&'a str>,
    }
    #[derive(Serialize)]
    struct Clause<'a> {
        #[serde(flatten)]
        clause: &'a crate::model::Clause,
        provided_by: Vec<&'a str>,
        cited_by: Vec<&'a str>,
    }
    #[derive(Serialize)]
    struct Root<'a> {
        schema_version: u32,
        generator: String,
        title: &'a str,
        organisation: &'a str,
        build_date: String,
        classification: &'a str,
        frameworks: &'a [crate::model::Framework],
        documents: Vec<Doc<'a>>,
        clauses: Vec<Clause<'a>>,
        controls: Vec<Control<'a>>,
        soa: &'a [SoaRow],
        roles: &'a [crate::model::Role],
        coverage: &'a crate::audit::Coverage,
        /// The risk register; absent when there is none or this build does not publish it.
        #[serde(skip_serializing_if = "Option::is_none")]
        risks: Option<Risks<'a>>,
    }
    #[derive(Serialize)]
    struct Risks<'a> {
        method: &'a crate::risk::Method,
        classification: &'a str,
        assessed: Option<crate::dates::Date>,
        risks: Vec<Risk<'a>>,
    }
    #[derive(Serialize)]
    struct Risk<'a> {
        #[serde(flatten)]
        risk: &'a crate::risk::Risk,
        cited_by: Vec<&'a str>,
        cited_by_soa: Vec<&'a str>,
    }
    fn ids(cites: &[crate::audit::Citation]) -> Vec<&str> {
        cites.iter().map(|c| c.id.as_str()).collect()
    }
    let back = site.backlinks;
    let root = Root {
        schema_version: SCHEMA_VERSION,
        generator: format!("ismsbook {}", env!("CARGO_PKG_VERSION")),
        title: &hb.config.title,
        organisation: &hb.config.organisation,
        build_date: hb.build_date.to_string(),
        classification: &hb.config.classification,
        frameworks: &hb.frameworks,
        documents: hb
            .documents
            .iter()
            .map(|d| Doc {
                doc: d,
                review_status: ReviewStatus::of(d.review, hb.build_date),
                cited_by: ids(back.get(&crate::links::TargetKey::Document(d.id.clone()))),
            })
            .collect(),
        clauses: hb
            .clauses
            .iter()
            .map(|c| Clause {
                clause: c,
                provided_by: back.clause_providers(&c.id).into_iter().map(|c| c.id.as_str()).collect(),
                cited_by: ids(back.get(&crate::links::TargetKey::Clause(c.id.clone()))),
            })
            .collect(),
        controls: hb
            .controls
            .iter()
            .map(|c| Control { control: c, decision: hb.decision(&c.id), implemented_by: ids(back.control(&c.id)) })
            .collect(),
        soa: site.soa,
        roles: &hb.roles,
        coverage: site.coverage,
        risks: hb.risks.as_ref().filter(|r| r.published).map(|reg| Risks {
            method: &reg.method,
            classification: &reg.classification,
            assessed: reg.assessed,
            risks: reg
                .risks
                .iter()
                .map(|r| Risk {
                    risk: r,
                    cited_by: ids(back.get(&crate::links::TargetKey::Risk(r.id.clone()))),
                    cited_by_soa: crate::risk::cited_by_soa(hb, reg, &r.id),
                })
                .collect(),
        }),
    };
    let mut out = serde_json::to_vec_pretty(&root).unwrap_or_default();
    out.push(b'\n');
    out
}
