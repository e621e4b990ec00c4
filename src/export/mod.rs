//! Machine-readable exports: every file of a build that is data rather than a page.
//!
//! Each format is a module of its own and reads the model and the audit (a [`View`]), never
//! the rendered pages: [`csv`] (soa.csv, register.csv, risks.csv: the tables themselves, whose
//! columns are part of the contract), [`xlsx`] (the same tables as workbooks), [`json`]
//! (handbook.json and its JSON Schema) and [`oscal`] (catalog, profile and SSP in NIST OSCAL).
//! `build` calls [`files`] and hands the result to the writer beside the rendered pages.
//!
//! Classification holds by construction: a [`View`] only reaches the documents this build
//! publishes (`hb.documents`, and backlinks built from them); `hb.excluded` is never read here.

pub mod csv;
pub mod json;
pub mod oscal;
pub mod xlsx;

use crate::audit::{Backlinks, Coverage, SoaRow};
use crate::diagnostics::Diagnostic;
use crate::model::Handbook;

pub use json::SCHEMA_VERSION;

/// What the exports are made from: the model and the audit of one build.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub hb: &'a Handbook,
    pub backlinks: &'a Backlinks,
    pub soa: &'a [SoaRow],
    pub coverage: &'a Coverage,
}

/// Every export of a build as (build-dir-relative path, bytes); each path is one of
/// `urls::FIXED_PAGES` or lies under a generated folder (`oscal/`).
pub fn files(v: &View) -> Result<Vec<(String, Vec<u8>)>, Diagnostic> {
    let soa = csv::soa_table(v.soa);
    let register = csv::register_table(v.hb);
    let mut out: Vec<(&str, Vec<u8>)> = vec![
        ("soa.csv", soa.to_csv()),
        ("register.csv", register.to_csv()),
        ("soa.xlsx", xlsx::workbook(&soa, v.hb)?),
        ("register.xlsx", xlsx::workbook(&register, v.hb)?),
        ("handbook.json", json::handbook(v)),
        ("handbook.schema.json", json::SCHEMA.as_bytes().to_vec()),
        ("oscal/catalog.json", oscal::catalog(v.hb)),
        ("oscal/profile.json", oscal::profile(v.hb)),
        ("oscal/ssp.json", oscal::ssp(v)),
    ];
    if let Some(reg) = v.hb.risks.as_ref().filter(|r| r.published) {
        out.push(("risks.csv", csv::risks_table(reg).to_csv()));
    }
    Ok(out.into_iter().map(|(p, b)| (p.to_string(), b)).collect())
}
