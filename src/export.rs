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

pub fn register_csv(hb: &Handbook) -> Vec<u8> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let date = |d: Option<crate::dates::Date>| d.map(|d| d.to_string()).unwrap_or_default();
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
    };
    let mut out = serde_json::to_vec_pretty(&root).unwrap_or_default();
    out.push(b'\n');
    out
}
