//! `handbook.json`, the whole model of a build in one file, and its JSON Schema.
//!
//! The schema is `schema/handbook.schema.json` in the repository, compiled in and written beside
//! handbook.json as `handbook.schema.json`. `schema_version` says which schema a file follows;
//! it is bumped whenever a field changes meaning or disappears (adding a field is not a break,
//! but the schema must describe it: the test suite validates the sample's handbook.json).

use super::View;
use crate::audit::{ReviewStatus, SoaRow};
use serde::Serialize;
use std::io::Write;

/// Bumped whenever a field of handbook.json changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON Schema of handbook.json (draft 2020-12).
pub const SCHEMA: &str = include_str!("../../schema/handbook.schema.json");

/// handbook.json: the whole model of the build, as described by [`SCHEMA`].
pub fn handbook(v: &View, w: &mut dyn Write) -> std::io::Result<()> {
    let hb = v.hb;
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
        cites.iter().map(|c| &*c.id).collect()
    }
    let back = v.backlinks;
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
                provided_by: back.clause_providers(&c.id).into_iter().map(|c| &*c.id).collect(),
                cited_by: ids(back.get(&crate::links::TargetKey::Clause(c.id.clone()))),
            })
            .collect(),
        controls: hb
            .controls
            .iter()
            .map(|c| Control { control: c, decision: hb.decision(&c.id), implemented_by: ids(back.control(&c.id)) })
            .collect(),
        soa: v.soa,
        roles: &hb.roles,
        coverage: v.coverage,
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
    pretty(w, &root)
}

/// `v` as indented JSON with a final newline, serialised straight into `w`.
pub fn pretty(w: &mut dyn Write, v: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, v)?;
    w.write_all(b"\n")
}
