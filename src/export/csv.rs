//! The tables of the build (Statement of Applicability, document register, risk register)
//! and their CSV form.
//!
//! A [`Table`] is the one definition of each table's columns and rows: the CSV here and the
//! workbooks of [`super::xlsx`] are both written from it, so the two cannot drift apart. CSV
//! columns and their order are part of the contract (DESIGN section 9): booleans as `yes`/`no`,
//! dates as YYYY-MM-DD, ids joined by `;`, RFC 4180 quoting, CRLF line ends, UTF-8.

use crate::audit::SoaRow;
use crate::dates::Date;
use crate::model::Handbook;

/// One cell: typed, so that a workbook can write a real date or a link where CSV writes text.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Date(Option<Date>),
    /// An id whose page is `url` (build-dir-relative).
    Page {
        id: String,
        url: String,
    },
}

impl Cell {
    /// The cell as CSV text.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
            Cell::Page { id, .. } => id.clone(),
        }
    }
}

/// A table: a name (the workbook's sheet), the column names and the rows. Each row is made
/// when it is written and dropped after it, so that no table is ever held whole (the register
/// of a large handbook has a row per document).
pub struct Table<'a> {
    pub name: &'static str,
    pub header: &'static [&'static str],
    /// The number of rows.
    pub len: usize,
    row: Box<dyn Fn(usize) -> Vec<Cell> + 'a>,
}

impl<'a> Table<'a> {
    fn new(
        name: &'static str,
        header: &'static [&'static str],
        len: usize,
        row: impl Fn(usize) -> Vec<Cell> + 'a,
    ) -> Self {
        Table { name, header, len, row: Box::new(row) }
    }

    /// The rows, in order, each made as it is reached.
    pub fn rows(&self) -> impl Iterator<Item = Vec<Cell>> + '_ {
        (0..self.len).map(|i| (self.row)(i))
    }

    /// The table as CSV into `w`.
    pub fn write_csv(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(w);
        w.write_record(self.header)?;
        for row in self.rows() {
            w.write_record(row.iter().map(Cell::text))?;
        }
        w.flush()
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// An optional text (empty when absent).
fn opt(s: &Option<String>) -> Cell {
    text(s.clone().unwrap_or_default())
}

/// `yes`, `no`, or empty when undecided.
pub fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
}

pub const SOA_COLUMNS: [&str; 7] =
    ["control", "title", "theme", "applicable", "justification", "status", "implemented_by"];

pub const REGISTER_COLUMNS: [&str; 11] = [
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
];

pub const RISK_COLUMNS: [&str; 18] = [
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
];

/// The Statement of Applicability: one row per control of the catalogue.
pub fn soa_table(rows: &[SoaRow]) -> Table<'_> {
    Table::new("Statement of Applicability", &SOA_COLUMNS, rows.len(), |i| {
        let r = &rows[i];
        vec![
            Cell::Page { id: r.control.clone(), url: crate::urls::control_url(&r.control) },
            text(&r.title),
            text(&r.theme),
            text(yes_no(r.applicable)),
            text(&r.justification),
            text(r.status.map(|s| s.as_str()).unwrap_or_default()),
            text(r.implemented_by.join(";")),
        ]
    })
}

/// The document register (clause 7.5): the controlled documents this build publishes.
pub fn register_table(hb: &Handbook) -> Table<'_> {
    let rows = crate::audit::register(hb);
    Table::new("Document register", &REGISTER_COLUMNS, rows.len(), move |i| {
        let (d, st) = rows[i];
        vec![
            Cell::Page { id: d.id.clone(), url: d.url.clone() },
            text(&d.title),
            text(d.doc_type.as_str()),
            opt(&d.version),
            opt(&d.owner),
            opt(&d.approver),
            Cell::Date(d.approved),
            Cell::Date(d.review),
            text(&d.classification),
            text(st.as_str()),
            text(&d.path),
        ]
    })
}

/// The risk register (DESIGN 6b; columns listed in the README).
pub fn risks_table(reg: &crate::risk::Register) -> Table<'_> {
    Table::new("Risk register", &RISK_COLUMNS, reg.risks.len(), |i| {
        let r = &reg.risks[i];
        let residual = r.residual_rating();
        vec![
            Cell::Page { id: r.id.clone(), url: crate::urls::risk_url(&r.id) },
            text(&r.title),
            opt(&r.owner),
            text(r.likelihood.to_string()),
            text(r.impact.to_string()),
            text(r.score.to_string()),
            text(&r.level),
            text(r.treatment.map(|t| t.as_str()).unwrap_or_default()),
            text(r.controls.join(";")),
            text(residual.likelihood.to_string()),
            text(residual.impact.to_string()),
            text(r.residual_score.to_string()),
            text(&r.residual_level),
            text(r.accepted.as_ref().map(|a| a.by.clone()).unwrap_or_default()),
            Cell::Date(r.accepted.as_ref().and_then(|a| a.date)),
            text(r.actions.iter().filter(|a| a.status.is_open()).count().to_string()),
            Cell::Date(r.assessed),
            Cell::Date(r.review),
        ]
    })
}
