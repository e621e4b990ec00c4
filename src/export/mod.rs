//! Machine-readable exports: every file of a build that is data rather than a page.
//!
//! Each format is a module of its own and reads the model and the audit (a [`View`]), never
//! the rendered pages: [`csv`] (soa.csv, register.csv, risks.csv: the tables themselves, whose
//! columns are part of the contract), [`xlsx`] (the same tables as workbooks), [`json`]
//! (handbook.json and its JSON Schema) and [`oscal`] (catalog, profile and SSP in NIST OSCAL).
//! `build` calls [`exports`] and writes each one, beside the rendered pages, straight into its
//! file.
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
use std::io::Write;
use std::path::Path;

pub use json::SCHEMA_VERSION;

/// What the exports are made from: the model and the audit of one build.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub hb: &'a Handbook,
    pub backlinks: &'a Backlinks,
    pub soa: &'a [SoaRow],
    pub coverage: &'a Coverage,
}

/// One file of the exports: its build-dir-relative path (one of `urls::FIXED_PAGES`, or under
/// a generated folder: `oscal/`) and the function that writes it.
pub struct Export {
    pub path: &'static str,
    write: fn(&View, &mut dyn Write) -> std::io::Result<()>,
}

impl Export {
    /// Writes the file into `w` (buffered here: the serialisers write in small pieces).
    pub fn write(&self, v: &View, w: &mut dyn Write) -> Result<(), Diagnostic> {
        let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, w);
        (self.write)(v, &mut buffered).and_then(|()| buffered.flush()).map_err(|e| {
            Diagnostic::error("export-failed", Path::new(self.path), format!("cannot write {}: {e}", self.path))
        })
    }
}

/// Every export of a build. Each is written on its own (in parallel with the others, each
/// serialised straight into its file, nothing of it kept afterwards): no export is ever held
/// as a tree of values.
pub fn exports(v: &View) -> Vec<Export> {
    let mut out = vec![
        Export { path: "oscal/ssp.json", write: |v, w| oscal::ssp(v, w) },
        Export { path: "handbook.json", write: |v, w| json::handbook(v, w) },
        Export { path: "register.xlsx", write: |v, w| xlsx::write(&csv::register_table(v.hb), v.hb, w) },
        Export { path: "register.csv", write: |v, w| csv::register_table(v.hb).write_csv(w) },
        Export { path: "soa.xlsx", write: |v, w| xlsx::write(&csv::soa_table(v.soa), v.hb, w) },
        Export { path: "soa.csv", write: |v, w| csv::soa_table(v.soa).write_csv(w) },
        Export { path: "handbook.schema.json", write: |_, w| w.write_all(json::SCHEMA.as_bytes()) },
        Export { path: "oscal/catalog.json", write: |v, w| oscal::catalog(v.hb, w) },
        Export { path: "oscal/profile.json", write: |v, w| oscal::profile(v.hb, w) },
    ];
    if v.hb.risks.as_ref().is_some_and(|r| r.published) {
        out.push(Export {
            path: "risks.csv",
            write: |v, w| v.hb.risks.as_ref().map_or(Ok(()), |reg| csv::risks_table(reg).write_csv(w)),
        });
    }
    out
}
