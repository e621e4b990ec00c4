//! Diagnostics: every problem found in a handbook, with the file, line and column it comes from.
//!
//! A [`Diagnostic`] is printed as `path:line:col: severity[code]: message`, optionally followed
//! by a `  = hint: ...` line, so that editors and terminals can jump to the place. The
//! [`Diagnostics`] collector keeps them in a stable order so that output is reproducible.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// A finding worth knowing that needs no action (never fails a build, not even under
    /// `--deny-warnings`).
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One problem in the sources, located at `file:line:column` (1-based).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A diagnostic read back from the rebuild cache (`build::Session`).
impl<'de> Deserialize<'de> for Diagnostic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            severity: Severity,
            code: String,
            file: String,
            line: usize,
            column: usize,
            message: String,
            #[serde(default)]
            hint: Option<String>,
        }
        let s = Stored::deserialize(d)?;
        Ok(Diagnostic {
            severity: s.severity,
            code: static_code(s.code),
            file: s.file,
            line: s.line,
            column: s.column,
            message: s.message,
            hint: s.hint,
        })
    }
}

/// A code read back as the `&'static str` codes are: each distinct code is kept once for the
/// life of the process.
fn static_code(code: String) -> &'static str {
    static CODES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut codes = CODES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(known) = codes.iter().find(|c| **c == code) {
        return known;
    }
    let leaked: &'static str = Box::leak(code.into_boxed_str());
    codes.push(leaked);
    leaked
}

impl Diagnostic {
    pub fn new(severity: Severity, code: &'static str, file: &Path, message: impl Into<String>) -> Self {
        Diagnostic { severity, code, file: display_path(file), line: 1, column: 1, message: message.into(), hint: None }
    }

    pub fn error(code: &'static str, file: &Path, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, file, message)
    }

    pub fn warning(code: &'static str, file: &Path, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, file, message)
    }

    pub fn info(code: &'static str, file: &Path, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, file, message)
    }

    /// Places the diagnostic at a 1-based line and column.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = line.max(1);
        self.column = column.max(1);
        self
    }

    pub fn at_pos(self, pos: Pos) -> Self {
        self.at(pos.line, pos.column)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The editor-clickable form: `file:line:col: severity[code]: message`.
    pub fn human(&self) -> String {
        let mut s = format!(
            "{}:{}:{}: {}[{}]: {}",
            self.file,
            self.line,
            self.column,
            self.severity.as_str(),
            self.code,
            self.message
        );
        if let Some(hint) = &self.hint {
            s.push_str("\n  = hint: ");
            s.push_str(hint);
        }
        s
    }
}

/// A 1-based line and column in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub fn new(line: usize, column: usize) -> Self {
        Pos { line, column }
    }

    /// The position of byte `offset` in `text`; columns count characters, not bytes.
    pub fn of_offset(text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Pos::new(line, before[line_start..].chars().count() + 1)
    }
}

/// Positions of many offsets in one text, in time linear in the text's size overall: line
/// starts are found once, on the first question (most texts are never asked: a document
/// without problems needs no position), and a column is counted on from the previous answer
/// when the offsets come in increasing order (as a parser reports them), not from the start of
/// the line.
pub struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset of the start of each line, found when first needed.
    starts: std::cell::OnceCell<Vec<usize>>,
    /// The last answer: (offset, position).
    last: std::cell::Cell<(usize, Pos)>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        LineIndex { text, starts: std::cell::OnceCell::new(), last: std::cell::Cell::new((0, Pos::new(1, 1))) }
    }

    /// The position of byte `offset`; columns count characters, not bytes.
    pub fn pos(&self, offset: usize) -> Pos {
        let starts = self.starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1));
            starts
        });
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = starts.partition_point(|&s| s <= offset);
        let line_start = starts[line - 1];
        let (prev, prev_pos) = self.last.get();
        let column = if prev_pos.line == line && prev <= offset {
            prev_pos.column + self.text[prev..offset].chars().count()
        } else {
            self.text[line_start..offset].chars().count() + 1
        };
        let pos = Pos::new(line, column);
        self.last.set((offset, pos));
        pos
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Paths in diagnostics read as the user typed them, without `./` segments.
pub fn display_path(path: &Path) -> String {
    let p: std::path::PathBuf = path.components().filter(|c| *c != std::path::Component::CurDir).collect();
    let s = p.to_string_lossy();
    // On Windows `\` separates folders; elsewhere it is an ordinary character of a name.
    let s = if cfg!(windows) { s.replace('\\', "/") } else { s.into_owned() };
    if s.is_empty() { ".".to_string() } else { s }
}

/// The diagnostics of one run, sorted by file and position when reported.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    /// Sorted by file, line, column, then code; exact duplicates removed.
    pub fn into_sorted(self) -> Vec<Diagnostic> {
        let mut v = self.items;
        // Stable: diagnostics at the same place keep the (deterministic) order they were found in.
        v.sort_by(|a, b| (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code)));
        v.dedup();
        v
    }
}

/// A failure that stops the run before the handbook can be read (exit status 2).
#[derive(Debug)]
pub struct Fatal(pub Diagnostic);

impl From<Diagnostic> for Fatal {
    fn from(d: Diagnostic) -> Self {
        Fatal(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_agrees_with_of_offset() {
        let text = "ab\ncdé f\n\n  [[x]] [[y]]\nlast";
        let ix = LineIndex::new(text);
        let offsets: Vec<usize> = (0..=text.len()).chain([5, 2, 30, 0, 14]).collect();
        for o in offsets {
            assert_eq!(ix.pos(o), Pos::of_offset(text, o), "offset {o}");
        }
    }
}
