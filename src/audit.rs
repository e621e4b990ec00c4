//! The auditor's view of a handbook: backlinks, the Statement of Applicability, the document
//! register and the coverage gaps.
//!
//! Everything here is derived from the model and the cross-references found while rendering,
//! never typed twice: a control is implemented by the documents that list it in `controls:` or
//! cite it inline. Each gap is also a warning diagnostic, so `check --deny-warnings` gates CI.

use crate::dates::Date;
use crate::diagnostics::{Diagnostic, Pos};
use crate::links::TargetKey;
use crate::markdown::Rendered;
use crate::model::{DocType, Document, Handbook, Status};
use crate::yaml;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A section of a citing document. Its anchor and title are the heading's own (shared with
/// the document's scan and every citation made in that section, not copied).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Section {
    pub anchor: Arc<str>,
    pub title: Arc<str>,
}

/// The citing document of a [`Citation`]: its id, title and URL, shared by all its citations.
#[derive(Debug, Serialize)]
pub struct Cited {
    pub id: Box<str>,
    pub title: Box<str>,
    pub url: Box<str>,
}

/// A document that cites (or declares) a target, with the sections the citations stand in.
/// The document (`id`, `title`, `url`, through [`Cited`]) is shared by all its citations: one
/// allocation per document, however many targets it cites.
#[derive(Clone, Debug, Serialize)]
pub struct Citation {
    #[serde(flatten)]
    pub doc: Arc<Cited>,
    /// Listed in the document's front matter (`controls:` or `clauses:`).
    pub declared: bool,
    pub sections: Box<[Section]>,
}

impl std::ops::Deref for Citation {
    type Target = Cited;

    fn deref(&self) -> &Cited {
        &self.doc
    }
}

/// Who cites what: target -> citing documents, in document-id order.
#[derive(Debug, Default)]
pub struct Backlinks {
    pub map: BTreeMap<TargetKey, Vec<Citation>>,
}

impl Backlinks {
    /// Builds backlinks from front-matter declarations and the references of each document
    /// (`scans[i]` belongs to `hb.documents[i]`).
    pub fn new(hb: &Handbook, scans: &[Rendered]) -> Self {
        // What each document declares in its front matter (the rows below borrow them).
        let declared: Vec<Vec<TargetKey>> = hb
            .documents
            .iter()
            .map(|doc| {
                let controls = doc.controls.iter().filter(|c| hb.control(c).is_some());
                let clauses = doc.clauses.iter().filter(|c| hb.clause(c).is_some());
                controls
                    .map(|c| TargetKey::Control(c.clone()))
                    .chain(clauses.map(|c| TargetKey::Clause(c.clone())))
                    .collect()
            })
            .collect();
        // One flat row per declaration and per reference: (target, citing document, declared,
        // section (the index of its heading)), sorted, so that each target's citations and each
        // citation's sections lie side by side (a flat vector, not a map of sets per target and
        // document).
        type Row<'r> = (&'r TargetKey, u32, bool, Option<u32>);
        let mut rows: Vec<Row> = Vec::new();
        for (i, doc) in hb.documents.iter().enumerate() {
            let i = i as u32;
            rows.extend(declared[i as usize].iter().map(|key| (key, i, true, None)));
            let Some(scan) = scans.get(i as usize) else { continue };
            for r in &scan.refs {
                if matches!(&r.target, TargetKey::Document(id) if *id == doc.id) {
                    continue;
                }
                let heading = r.section.filter(|&s| (s as usize) < scan.headings.len());
                rows.push((&r.target, i, false, heading));
            }
        }
        rows.par_sort_unstable();
        let shared: Vec<Arc<Cited>> = hb
            .documents
            .iter()
            .map(|d| {
                Arc::new(Cited { id: d.id.as_str().into(), title: d.title.as_str().into(), url: d.url.as_str().into() })
            })
            .collect();
        // Each target's citations are put together on any core (10,000 documents: the sort and
        // this were a fifth of a second on one thread while the other stood idle).
        let targets: Vec<&[Row]> = rows.chunk_by(|a, b| a.0 == b.0).collect();
        let cited = targets.par_iter().map(|target| {
            let mut cites: Vec<Citation> = target
                .chunk_by(|a, b| a.1 == b.1)
                .map(|doc| {
                    let i = doc[0].1 as usize;
                    // The sections by anchor and title (ids are unique within a document).
                    let headings = scans.get(i).map_or(&[][..], |s| s.headings.as_slice());
                    let mut heads: Vec<u32> = doc.iter().filter_map(|r| r.3).collect();
                    heads.sort_unstable_by_key(|&h| (&headings[h as usize].id, &headings[h as usize].title));
                    heads.dedup();
                    Citation {
                        doc: shared[i].clone(),
                        declared: doc.iter().any(|r| r.2),
                        sections: heads
                            .into_iter()
                            .map(|h| {
                                let h = &headings[h as usize];
                                Section { anchor: h.id.clone(), title: h.title.clone() }
                            })
                            .collect(),
                    }
                })
                .collect();
            cites.sort_by(|a, b| crate::model::compare_ids(&a.id, &b.id));
            (target[0].0.clone(), cites)
        });
        Backlinks { map: cited.collect::<Vec<_>>().into_iter().collect() }
    }

    pub fn get(&self, key: &TargetKey) -> &[Citation] {
        self.map.get(key).map_or(&[], Vec::as_slice)
    }

    pub fn control(&self, id: &str) -> &[Citation] {
        self.get(&TargetKey::Control(id.to_string()))
    }

    /// Documents that list the clause in their front matter.
    pub fn clause_providers(&self, id: &str) -> Vec<&Citation> {
        self.get(&TargetKey::Clause(id.to_string())).iter().filter(|c| c.declared).collect()
    }
}

/// One row of the Statement of Applicability.
#[derive(Clone, Debug, Serialize)]
pub struct SoaRow {
    pub control: String,
    pub title: String,
    pub theme: String,
    /// `None` when soa.yaml has no decision for the control.
    pub applicable: Option<bool>,
    pub justification: String,
    pub status: Option<Status>,
    pub implemented_by: Vec<String>,
}

pub fn soa_rows(hb: &Handbook, back: &Backlinks) -> Vec<SoaRow> {
    hb.controls
        .iter()
        .map(|c| {
            let d = hb.decision(&c.id);
            SoaRow {
                control: c.id.clone(),
                title: c.title.clone(),
                theme: c.theme.clone(),
                applicable: d.map(|d| d.applicable),
                justification: d.and_then(|d| d.justification.clone()).unwrap_or_default(),
                status: d.and_then(|d| d.status),
                implemented_by: back.control(&c.id).iter().map(|c| c.id.to_string()).collect(),
            }
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewStatus {
    Current,
    DueSoon,
    Overdue,
    NoReviewDate,
}

impl ReviewStatus {
    pub fn of(review: Option<Date>, today: Date) -> Self {
        match review {
            None => ReviewStatus::NoReviewDate,
            Some(r) if r < today => ReviewStatus::Overdue,
            Some(r) if r.days() - today.days() <= 30 => ReviewStatus::DueSoon,
            Some(_) => ReviewStatus::Current,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Current => "current",
            ReviewStatus::DueSoon => "due within 30 days",
            ReviewStatus::Overdue => "overdue",
            ReviewStatus::NoReviewDate => "no review date",
        }
    }
}

/// The document register: documented information of the controlled types, by id.
pub fn register(hb: &Handbook) -> Vec<(&Document, ReviewStatus)> {
    let mut rows: Vec<_> = hb
        .documents
        .iter()
        .filter(|d| d.doc_type.is_controlled())
        .map(|d| (d, ReviewStatus::of(d.review, hb.build_date)))
        .collect();
    rows.sort_by(|a, b| crate::model::compare_ids(&a.0.id, &b.0.id));
    rows
}

/// One coverage gap: a warning, with what it is about and where it is fixed.
#[derive(Clone, Debug, Serialize)]
pub struct Gap {
    pub code: &'static str,
    pub subject: String,
    /// A page of the handbook to look at (build-dir-relative), if any.
    pub page: Option<String>,
    pub message: String,
    #[serde(skip)]
    pub diagnostic: Diagnostic,
}

impl Gap {
    pub fn new(code: &'static str, subject: &str, page: Option<String>, diagnostic: Diagnostic) -> Self {
        Gap { code, subject: subject.to_string(), page, message: diagnostic.message.clone(), diagnostic }
    }
}

/// The kinds of gap, in the order coverage.html shows them (the risk register's follow:
/// [`crate::risk::GAP_KINDS`]).
pub const GAP_KINDS: [(&str, &str); 8] = [
    ("control-not-implemented", "Applicable controls with no implementing document"),
    ("soa-missing", "Controls with no applicability decision"),
    ("excluded-control-cited", "Excluded controls that documents still cite"),
    ("exclusion-unjustified", "Exclusions without a justification"),
    ("documented-information-missing", "Required documented information with no document"),
    ("documented-information-not-retained", "Required records provided by no document of type record"),
    ("document-control", "Documents missing document-control fields"),
    ("review-overdue", "Reviews overdue"),
];

/// The gaps, each also a diagnostic.
#[derive(Debug, Default, Serialize)]
pub struct Coverage {
    pub applicable: usize,
    pub covered: usize,
    pub gaps: Vec<Gap>,
}

impl Coverage {
    pub fn of(&self, code: &str) -> Vec<&Gap> {
        self.gaps.iter().filter(|g| g.code == code).collect()
    }
}

pub fn coverage(hb: &Handbook, back: &Backlinks) -> Coverage {
    let mut cov = Coverage::default();
    let mut gap = |code: &'static str, subject: &str, page: Option<String>, diag: Diagnostic| {
        cov.gaps.push(Gap::new(code, subject, page, diag));
    };
    let soa = &hb.soa_file;
    for c in &hb.controls {
        let page = Some(crate::urls::control_url(&c.id));
        let implementers = back.control(&c.id);
        match hb.decision(&c.id) {
            None => {
                let line = hb.soa_lines.max(1);
                gap(
                    "soa-missing",
                    &c.id,
                    page,
                    Diagnostic::warning(
                        "soa-missing",
                        soa,
                        format!("no applicability decision for {} {}", c.id, c.title),
                    )
                    .at(line, 1)
                    .hint(format!("add `- control: {}` with `applicable:` and `justification:` to soa.yaml", c.id)),
                );
            }
            Some(d) if d.applicable => {
                if implementers.is_empty() {
                    gap(
                        "control-not-implemented",
                        &c.id,
                        page,
                        Diagnostic::warning(
                            "control-not-implemented",
                            soa,
                            format!("{} {} is applicable but no document implements it", c.id, c.title),
                        )
                        .at(d.line, 1)
                        .hint(format!("list {} in a document's `controls:` or cite it as [[{}]]", c.id, c.id)),
                    );
                }
            }
            Some(d) => {
                if d.justification.is_none() {
                    gap(
                        "exclusion-unjustified",
                        &c.id,
                        page.clone(),
                        Diagnostic::warning(
                            "exclusion-unjustified",
                            soa,
                            format!("{} {} is excluded without a justification", c.id, c.title),
                        )
                        .at(d.line, 1)
                        .hint("an auditor needs the reason for every exclusion: add `justification:`"),
                    );
                }
                if !implementers.is_empty() {
                    let ids: Vec<&str> = implementers.iter().map(|c| &*c.id).collect();
                    gap(
                        "excluded-control-cited",
                        &c.id,
                        page,
                        Diagnostic::warning(
                            "excluded-control-cited",
                            soa,
                            format!("{} is excluded in soa.yaml but cited by {}", c.id, ids.join(", ")),
                        )
                        .at(d.line, 1)
                        .hint("make the control applicable, or remove the citations"),
                    );
                }
            }
        }
    }
    cov.applicable = hb.controls.iter().filter(|c| hb.decision(&c.id).is_some_and(|d| d.applicable)).count();
    cov.covered = hb
        .controls
        .iter()
        .filter(|c| hb.decision(&c.id).is_some_and(|d| d.applicable) && !back.control(&c.id).is_empty())
        .count();
    for cl in &hb.clauses {
        let providers = back.clause_providers(&cl.id);
        if cl.retained
            && !providers.is_empty()
            && !providers.iter().any(|p| hb.document(&p.id).is_some_and(|d| d.doc_type == DocType::Record))
        {
            let ids: Vec<&str> = providers.iter().map(|p| &*p.id).collect();
            gap(
                "documented-information-not-retained",
                &cl.id,
                Some(crate::urls::clause_url(&cl.id)),
                Diagnostic::warning(
                    "documented-information-not-retained",
                    &cl.file,
                    format!(
                        "clause {} requires records to be retained, but only {} provide{} it and none is a record",
                        cl.id,
                        ids.join(", "),
                        if ids.len() == 1 { "s" } else { "" }
                    ),
                )
                .at(cl.line, 1)
                .hint(format!(
                    "add a document with `type: record` (minutes, a report, a log) that lists \"{}\" in its `clauses:`",
                    cl.id
                )),
            );
        }
        if let Some(info) = &cl.documented_information
            && providers.is_empty()
        {
            gap(
                "documented-information-missing",
                &cl.id,
                Some(crate::urls::clause_url(&cl.id)),
                Diagnostic::warning(
                    "documented-information-missing",
                    &cl.file,
                    format!(
                        "clause {} requires documented information ({}) but no document declares it",
                        cl.id,
                        first_sentence(info)
                    ),
                )
                .at(cl.line, 1)
                .hint(format!("add \"{}\" to the `clauses:` of the document that provides it", cl.id)),
            );
        }
    }
    for d in &hb.documents {
        let fm = d.source.get(..d.body_start).unwrap_or_default();
        if d.doc_type.needs_document_control() {
            let fields = [
                ("owner", d.owner.is_some()),
                ("version", d.version.is_some()),
                ("approved", d.approved.is_some()),
                ("review", d.review.is_some()),
            ];
            for (field, present) in fields {
                if !present {
                    gap(
                        "document-control",
                        &d.id,
                        Some(d.url.clone()),
                        Diagnostic::warning(
                            "document-control",
                            &d.file,
                            format!("{} {} has no `{field}` (document control, clause 7.5)", d.doc_type.as_str(), d.id),
                        )
                        .hint(format!("add `{field}:` to the front matter")),
                    );
                }
            }
        }
        if let Some(r) = d.review
            && r < hb.build_date
        {
            let pos = yaml::find_key(fm, "review").unwrap_or(Pos::new(1, 1));
            gap(
                "review-overdue",
                &d.id,
                Some(d.url.clone()),
                Diagnostic::warning(
                    "review-overdue",
                    &d.file,
                    format!("{} was due for review on {r} ({} days ago)", d.id, hb.build_date.days() - r.days()),
                )
                .at_pos(pos)
                .hint("review the document, then update `version`, `approved` and `review`"),
            );
        }
    }
    cov
}

fn first_sentence(s: &str) -> String {
    let s = s.trim();
    let cut = s.find(". ").map_or(s.len(), |i| i);
    let out: String = s[..cut].chars().take(90).collect();
    out.trim_end_matches('.').to_string()
}
