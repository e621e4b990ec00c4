//! The typed model of a handbook: what `load` produces and every later stage reads.
//!
//! [`Handbook`] holds the configuration, the [`Document`]s published by this build, the
//! catalogue ([`Clause`]s and [`Control`]s), the Statement of Applicability ([`SoaDecision`]s)
//! the [`Role`]s and the risk register ([`crate::risk::Register`]). Nothing here parses or renders.

use crate::config::Config;
use crate::dates::Date;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocType {
    Policy,
    Standard,
    Procedure,
    Guideline,
    Record,
    Page,
}

impl DocType {
    pub const ALL: [DocType; 6] =
        [DocType::Policy, DocType::Standard, DocType::Procedure, DocType::Guideline, DocType::Record, DocType::Page];

    pub fn parse(s: &str) -> Option<DocType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocType::Policy => "policy",
            DocType::Standard => "standard",
            DocType::Procedure => "procedure",
            DocType::Guideline => "guideline",
            DocType::Record => "record",
            DocType::Page => "page",
        }
    }

    /// Documented information under clause 7.5: listed in the register.
    pub fn is_controlled(self) -> bool {
        self != DocType::Page
    }

    /// Types that must carry owner, version, approved and review.
    pub fn needs_document_control(self) -> bool {
        matches!(self, DocType::Policy | DocType::Standard | DocType::Procedure)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct HistoryEntry {
    pub version: String,
    pub date: Option<Date>,
    pub change: String,
}

/// One Markdown file of the handbook.
#[derive(Clone, Debug, Serialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub doc_type: DocType,
    pub owner: Option<String>,
    pub approver: Option<String>,
    pub version: Option<String>,
    pub approved: Option<Date>,
    pub review: Option<Date>,
    pub classification: String,
    pub audience: Vec<String>,
    pub controls: Vec<String>,
    pub clauses: Vec<String>,
    pub history: Vec<HistoryEntry>,
    /// Path relative to src, with `/` separators: `policies/access.md`.
    pub path: String,
    /// Output path relative to the build dir: `policies/access.html`.
    pub url: String,
    pub sha256: String,
    /// The file as named in diagnostics.
    #[serde(skip)]
    pub file: PathBuf,
    /// The whole source text (only the front matter after [`Document::release_body`], nothing
    /// after [`Document::release_source`]).
    #[serde(skip)]
    pub source: String,
    /// Byte offset where the Markdown body starts (after the front matter).
    #[serde(skip)]
    pub body_start: usize,
}

impl Document {
    /// The Markdown body; empty once [`Document::release_body`] has run.
    pub fn body(&self) -> &str {
        self.source.get(self.body_start..).unwrap_or_default()
    }

    /// Keeps only the front matter in memory: after the analysis pass, pages are rendered
    /// from the file again (checked against `sha256`), so memory does not grow with the
    /// body text.
    pub fn release_body(&mut self) {
        self.source.truncate(self.body_start);
        self.source.shrink_to_fit();
    }

    /// Drops the front matter's text too, once nothing needs positions in it any more (the
    /// diagnostics of loading and of the audit are made): a page reads its source again.
    pub fn release_source(&mut self) {
        self.source = String::new();
    }

    /// Whether the body is still in memory.
    pub fn has_body(&self) -> bool {
        self.source.len() > self.body_start
    }
}

/// A document left out of this build by its classification: known only so that links to it
/// can be rendered as plain text with a warning.
#[derive(Clone, Debug)]
pub struct ExcludedDocument {
    pub id: String,
    pub path: String,
    pub classification: String,
    /// The src-relative attachments (non-Markdown files) it links to: an attachment only
    /// excluded documents link to is not published either.
    pub attachments: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Framework {
    pub id: String,
    pub title: String,
}

/// A management-system requirement (ISO/IEC 27001 clauses 4 to 10, or any framework's).
#[derive(Clone, Debug, Serialize)]
pub struct Clause {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub documented_information: Option<String>,
    /// The documented information is a record of results (evidence that something was done):
    /// it must be provided by a document of type `record`.
    pub retained: bool,
    /// Related controls named by the catalogue.
    pub controls: Vec<String>,
    pub framework: String,
    #[serde(skip)]
    pub file: PathBuf,
    #[serde(skip)]
    pub line: usize,
}

impl Clause {
    /// `6.1` for `6.1.2`; `None` for a top-level clause.
    pub fn parent_id(&self) -> Option<&str> {
        self.id.rsplit_once('.').map(|(p, _)| p)
    }
}

/// A control of a catalogue (an ISO/IEC 27001 Annex A control, or any framework's).
#[derive(Clone, Debug, Serialize)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub theme: String,
    pub requirement: String,
    /// Markdown.
    pub guidance: String,
    /// Attribute family -> values (the five ISO/IEC 27002 families, or any).
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Superseded ids (ISO/IEC 27001:2013 Annex A).
    pub replaces: Vec<String>,
    pub framework: String,
    #[serde(skip)]
    pub file: PathBuf,
    #[serde(skip)]
    pub line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Implemented,
    Partial,
    Planned,
    NotImplemented,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Implemented, Status::Partial, Status::Planned, Status::NotImplemented];

    pub fn parse(s: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Implemented => "implemented",
            Status::Partial => "partial",
            Status::Planned => "planned",
            Status::NotImplemented => "not-implemented",
        }
    }
}

/// One row of soa.yaml: is the control applicable, why, and how far it is implemented.
#[derive(Clone, Debug, Serialize)]
pub struct SoaDecision {
    pub control: String,
    pub applicable: bool,
    pub justification: Option<String>,
    pub status: Option<Status>,
    #[serde(skip)]
    pub line: usize,
    /// Where the justification's text starts in soa.yaml (for citations inside it).
    #[serde(skip)]
    pub justification_pos: Option<crate::diagnostics::Pos>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Role {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub responsibilities: Vec<String>,
    /// The roles this one belongs to (`member-of`: the CEO to the executive team, say): what
    /// is addressed to them applies to this role too.
    pub member_of: Vec<String>,
}

/// The whole handbook as loaded from its sources.
#[derive(Debug)]
pub struct Handbook {
    pub config: Config,
    pub build_date: Date,
    /// Documents published by this build, sorted by path.
    pub documents: Vec<Document>,
    pub excluded: Vec<ExcludedDocument>,
    pub frameworks: Vec<Framework>,
    pub clauses: Vec<Clause>,
    pub controls: Vec<Control>,
    pub soa: Vec<SoaDecision>,
    pub soa_file: PathBuf,
    /// The number of lines of soa.yaml (0 when absent): where a missing decision goes.
    pub soa_lines: usize,
    pub roles: Vec<Role>,
    /// The risk register, when risks.yaml exists.
    pub risks: Option<crate::risk::Register>,
    /// Other files under src (images, PDFs), copied as they are; src-relative.
    pub assets: Vec<String>,
    pub index: Index,
}

/// Lookups by id, built once after loading.
#[derive(Debug, Default)]
pub struct Index {
    pub document: HashMap<String, usize>,
    pub document_by_path: HashMap<String, usize>,
    pub control: HashMap<String, usize>,
    pub clause: HashMap<String, usize>,
    pub role: HashMap<String, usize>,
    pub soa: HashMap<String, usize>,
    /// Superseded id (2013) -> successor control ids.
    pub successors: BTreeMap<String, Vec<String>>,
}

impl Document {
    /// Where the document comes in the navigation: by folder, then by path.
    pub fn reading_key(&self) -> (&str, &str) {
        (self.path.split_once('/').map_or("", |(f, _)| f), self.path.as_str())
    }
}

impl Handbook {
    /// The documents but the home page, in the order the print edition has them: by type,
    /// then as the navigation lists them. A full build renders the document pages in this
    /// order (from the print edition's rendering), and the search index numbers them so.
    pub fn print_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> =
            (0..self.documents.len()).filter(|&i| self.documents[i].url != "index.html").collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.documents[a], &self.documents[b]);
            (a.doc_type, a.reading_key()).cmp(&(b.doc_type, b.reading_key()))
        });
        order
    }

    pub fn build_index(&mut self) {
        let mut ix = Index::default();
        for (i, d) in self.documents.iter().enumerate() {
            ix.document.insert(d.id.clone(), i);
            ix.document_by_path.insert(d.path.clone(), i);
        }
        for (i, c) in self.controls.iter().enumerate() {
            ix.control.insert(c.id.clone(), i);
            for old in &c.replaces {
                ix.successors.entry(old.clone()).or_default().push(c.id.clone());
            }
        }
        for (i, c) in self.clauses.iter().enumerate() {
            ix.clause.insert(c.id.clone(), i);
        }
        for (i, r) in self.roles.iter().enumerate() {
            ix.role.insert(r.id.clone(), i);
        }
        for (i, s) in self.soa.iter().enumerate() {
            ix.soa.entry(s.control.clone()).or_insert(i);
        }
        self.index = ix;
    }

    pub fn document(&self, id: &str) -> Option<&Document> {
        self.index.document.get(id).map(|&i| &self.documents[i])
    }

    pub fn control(&self, id: &str) -> Option<&Control> {
        self.index.control.get(id).map(|&i| &self.controls[i])
    }

    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.index.clause.get(id).map(|&i| &self.clauses[i])
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.index.role.get(id).map(|&i| &self.roles[i])
    }

    /// `id` and every role it belongs to, directly or through another (`member-of`), each once,
    /// `id` first. Unknown ids and cycles end the walk.
    pub fn role_and_groups<'a>(&'a self, id: &'a str) -> Vec<&'a str> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            if let Some(role) = self.role(out[i]) {
                for group in &role.member_of {
                    if !out.contains(&group.as_str()) {
                        out.push(group);
                    }
                }
            }
            i += 1;
        }
        out
    }

    pub fn decision(&self, control: &str) -> Option<&SoaDecision> {
        self.index.soa.get(control).map(|&i| &self.soa[i])
    }
}

/// Orders ids the way people read them: `A.5.2` before `A.5.10`, `9.3` before `10.1`.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    let parts = |s: &str| -> Vec<(u64, String)> {
        s.split(['.', '-', '_'])
            .map(|p| match p.parse::<u64>() {
                Ok(n) => (n, String::new()),
                Err(_) => (u64::MAX, p.to_string()),
            })
            .collect()
    };
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_numerically() {
        let mut v = vec!["A.5.10", "A.8.1", "A.5.2", "10.1", "9.3.1", "4"];
        v.sort_by(|a, b| compare_ids(a, b));
        assert_eq!(v, ["4", "9.3.1", "10.1", "A.5.2", "A.5.10", "A.8.1"]);
    }
}
