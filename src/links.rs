//! Link resolution: the map of every target, cross-references and suggestions.
//!
//! Phase one (before rendering) builds [`Targets`]: every control, clause, superseded 2013 id,
//! document id and document path. Rendering asks it to resolve each `[[ID]]` and relative link,
//! and records a [`CrossRef`] for each reference and an [`AnchorCheck`] for each `#anchor`.
//! Phase two (after rendering) checks the anchors against the headings each page really has
//! and turns the cross-references into backlinks.

use crate::diagnostics::{Diagnostic, Pos};
use crate::model::Handbook;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What an id or path resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Control(usize),
    Clause(usize),
    Document(usize),
    /// A superseded id: its successor controls.
    Legacy(Vec<usize>),
    /// A document this build leaves out by classification.
    Excluded(usize),
    /// A risk of the register (published or not).
    Risk(usize),
}

/// The kind and id of a reference target, for backlinks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum TargetKey {
    Control(String),
    Clause(String),
    Document(String),
    Risk(String),
}

/// One reference from a document to a control, clause or document.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CrossRef {
    pub target: TargetKey,
    /// The section of the citing document: the index of its `##`/`###` heading in the
    /// document's headings (not a copy of its anchor and title), `None` before the first one.
    pub section: Option<u32>,
}

/// A `#anchor` to verify once every page's headings are known.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AnchorCheck {
    pub page: String,
    pub anchor: String,
    pub file: PathBuf,
    pub pos: Pos,
}

/// Every link target of a build, known before any page is rendered.
pub struct Targets<'a> {
    pub hb: &'a Handbook,
    excluded_by_id: HashMap<&'a str, usize>,
    excluded_by_path: HashMap<&'a str, usize>,
    /// Build-dir-relative paths of every page and copied file.
    outputs: HashSet<String>,
    /// The copied source files among them.
    attachments: HashSet<&'a str>,
}

impl<'a> Targets<'a> {
    pub fn new(hb: &'a Handbook) -> Self {
        let mut outputs: HashSet<String> = crate::urls::generated_pages(hb).into_iter().collect();
        outputs.extend(hb.documents.iter().map(|d| d.url.clone()));
        outputs.extend(hb.assets.iter().map(|a| crate::urls::asset_url(a)));
        Targets {
            hb,
            excluded_by_id: hb.excluded.iter().enumerate().map(|(i, d)| (d.id.as_str(), i)).collect(),
            excluded_by_path: hb.excluded.iter().enumerate().map(|(i, d)| (d.path.as_str(), i)).collect(),
            outputs,
            attachments: hb.assets.iter().map(String::as_str).collect(),
        }
    }

    /// Resolves an `[[ID]]`.
    pub fn resolve_id(&self, id: &str) -> Option<Target> {
        let ix = &self.hb.index;
        if let Some(&i) = ix.control.get(id) {
            return Some(Target::Control(i));
        }
        if let Some(&i) = ix.clause.get(id) {
            return Some(Target::Clause(i));
        }
        if let Some(&i) = ix.document.get(id) {
            return Some(Target::Document(i));
        }
        if let Some(i) = self.hb.risks.as_ref().and_then(|r| r.position(id)) {
            return Some(Target::Risk(i));
        }
        if let Some(succ) = ix.successors.get(id) {
            return Some(Target::Legacy(succ.iter().filter_map(|s| ix.control.get(s).copied()).collect()));
        }
        self.excluded_by_id.get(id).map(|&i| Target::Excluded(i))
    }

    /// Resolves a src-relative `.md` path.
    pub fn resolve_path(&self, path: &str) -> Option<Target> {
        if let Some(&i) = self.hb.index.document_by_path.get(path) {
            return Some(Target::Document(i));
        }
        self.excluded_by_path.get(path).map(|&i| Target::Excluded(i))
    }

    /// Whether this build-dir-relative path is a copied source file (an attachment).
    pub fn is_attachment(&self, path: &str) -> bool {
        self.attachments.contains(path)
    }

    /// Whether the build dir will hold this (build-dir-relative) file.
    pub fn has_output(&self, path: &str) -> bool {
        self.outputs.contains(path)
    }

    /// Every id a reference may name, for suggestions.
    pub fn all_ids(&self) -> Vec<&'a str> {
        let hb = self.hb;
        hb.controls
            .iter()
            .map(|c| c.id.as_str())
            .chain(hb.clauses.iter().map(|c| c.id.as_str()))
            .chain(hb.documents.iter().map(|d| d.id.as_str()))
            .chain(hb.risks.iter().flat_map(|r| r.risks.iter().map(|r| r.id.as_str())))
            .collect()
    }
}

/// The diagnostic code for an id that resolves to nothing, from what the id looks like.
pub fn unknown_code(id: &str) -> &'static str {
    let first = id.chars().next().unwrap_or(' ');
    if (first == 'A' || first == 'a') && id.get(1..2) == Some(".") {
        "unknown-control"
    } else if first.is_ascii_digit() && id.chars().all(|c| c.is_ascii_digit() || c == '.') {
        "unknown-clause"
    } else {
        "unknown-document"
    }
}

/// An error for an unknown id, suggesting the closest known ids.
pub fn unknown(code: &'static str, file: &Path, pos: Pos, message: &str, id: &str, candidates: &[&str]) -> Diagnostic {
    Diagnostic::error(code, file, did_you_mean(message, id, candidates)).at_pos(pos)
}

/// `message`, followed by `(did you mean X, Y?)` when known ids are close to `id`.
pub fn did_you_mean(message: &str, id: &str, candidates: &[&str]) -> String {
    let close = suggest(id, candidates);
    if close.is_empty() { message.to_string() } else { format!("{message} (did you mean {}?)", close.join(", ")) }
}

/// Up to three known ids closest to `id`, best first.
pub fn suggest(id: &str, candidates: &[&str]) -> Vec<String> {
    let lower = id.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .filter_map(|c| {
            let cl = c.to_lowercase();
            if cl == lower {
                return Some((0, *c));
            }
            let d = strsim::damerau_levenshtein(&lower, &cl);
            let limit = (id.chars().count().max(3) / 3).max(1);
            let prefix = cl.starts_with(&lower) || lower.starts_with(&cl);
            (d <= limit || (prefix && d <= limit + 2)).then_some((d, *c))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| crate::model::compare_ids(a.1, b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c.to_string()).collect()
}

/// Joins a document's folder and a relative link, resolving `.` and `..`; `None` if it
/// climbs out of src.
pub fn join_relative(doc_path: &str, link: &str) -> Option<String> {
    let mut parts: Vec<&str> = doc_path.split('/').collect();
    parts.pop();
    for seg in link.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

pub use crate::urls::root_of;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let ids = ["A.5.9", "A.5.15", "A.5.1", "POL-AC", "POL-BACKUP", "6.1.2"];
        assert_eq!(suggest("A.5.99", &ids)[0], "A.5.9");
        assert_eq!(suggest("POL-ACC", &ids), ["POL-AC"]);
        assert_eq!(suggest("pol-backup", &ids), ["POL-BACKUP"]);
        assert!(suggest("XYZZY-42", &ids).is_empty());
    }

    #[test]
    fn codes() {
        assert_eq!(unknown_code("A.5.99"), "unknown-control");
        assert_eq!(unknown_code("6.1.9"), "unknown-clause");
        assert_eq!(unknown_code("POL-X"), "unknown-document");
    }

    #[test]
    fn relative_paths() {
        assert_eq!(join_relative("policies/a.md", "../procedures/b.md").as_deref(), Some("procedures/b.md"));
        assert_eq!(join_relative("a.md", "./b.md").as_deref(), Some("b.md"));
        assert_eq!(join_relative("a.md", "../b.md"), None);
        assert_eq!(root_of("policies/x/a.html"), "../../");
        assert_eq!(root_of("index.html"), "");
    }
}
