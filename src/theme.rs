//! The theme: Tera templates and static assets. The default theme is compiled into the binary;
//! a theme folder (`[output.html] theme`) overrides any file by name and may add files.

use crate::diagnostics::{Diagnostic, display_path};
use std::path::{Path, PathBuf};

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/default/", $name)) as &[u8])),*]
    };
}

/// The default theme, file by file.
pub const DEFAULT: &[(&str, &[u8])] = embed!(
    "base.html",
    "index.html",
    "index-document.html",
    "document.html",
    "control.html",
    "controls.html",
    "clause.html",
    "clauses.html",
    "soa.html",
    "soa-row.html",
    "register.html",
    "register-row.html",
    "coverage.html",
    "role.html",
    "role-document.html",
    "roles.html",
    "risks.html",
    "risk.html",
    "404.html",
    "print.html",
    "print-document.html",
    "print-contents-entry.html",
    "head.html",
    "styles.html",
    "print-clause.html",
    "print-control.html",
    "print-soa-row.html",
    "assets/style.css",
    "assets/ismsbook.js",
    "search/search.js",
);

/// One theme file and where it came from (for error messages).
pub struct ThemeFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub origin: PathBuf,
}

/// The effective theme: templates (`*.html` at the top) and assets (everything under `assets/`,
/// and the search script under `search/`), copied to the build dir under the same names.
pub struct Theme {
    pub templates: Vec<ThemeFile>,
    pub assets: Vec<ThemeFile>,
}

impl Theme {
    pub fn load(dir: Option<&Path>) -> Result<Theme, Diagnostic> {
        let mut files: Vec<ThemeFile> = DEFAULT
            .iter()
            .map(|(name, bytes)| ThemeFile {
                name: name.to_string(),
                bytes: bytes.to_vec(),
                origin: PathBuf::from(format!("<built-in theme>/{name}")),
            })
            .collect();
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(Diagnostic::error(
                    "theme-missing",
                    dir,
                    format!("the theme folder {} does not exist", display_path(dir)),
                )
                .hint("fix [output.html] theme in book.toml or create the folder"));
            }
            for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
                let entry =
                    entry.map_err(|e| Diagnostic::error("io-error", dir, format!("cannot read the theme: {e}")))?;
                if !entry.file_type().is_file() {
                    continue;
                }
                let Ok(rel) = entry.path().strip_prefix(dir) else { continue };
                let name = rel.to_string_lossy().replace('\\', "/");
                if name.split('/').any(|s| s.starts_with('.')) {
                    continue;
                }
                let bytes = std::fs::read(entry.path())
                    .map_err(|e| Diagnostic::error("io-error", entry.path(), format!("cannot read: {e}")))?;
                let file = ThemeFile { name: name.clone(), bytes, origin: entry.path().to_path_buf() };
                match files.iter_mut().find(|f| f.name == name) {
                    Some(existing) => *existing = file,
                    None => files.push(file),
                }
            }
        }
        let (assets, templates) =
            files.into_iter().partition(|f| f.name.starts_with("assets/") || f.name.starts_with("search/"));
        Ok(Theme { templates, assets })
    }
}
