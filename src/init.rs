//! `ismsbook init`: a new handbook from a template that builds without a warning.
//!
//! The template is compiled into the binary. `--full` swaps the two-control starter catalogue
//! for the complete ISO/IEC 27001:2022 catalogue and an SoA that decides every control; its
//! warnings are then the to-do list of a new ISMS. `--theme DIR` writes the built-in theme out
//! for editing instead. Existing files are never overwritten.

use crate::dates::Date;
use crate::diagnostics::{Diagnostic, Fatal, display_path};
use std::path::{Path, PathBuf};

macro_rules! template {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/init/", $name)))),*]
    };
}

const STARTER: &[(&str, &str)] = template!(
    "book.toml",
    "index.md",
    "policies/information-security-policy.md",
    "catalogue/starter.yaml",
    "soa.yaml",
    "roles.yaml",
);

/// The complete catalogue shipped with the sample handbook.
const FULL_CATALOGUE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-isms/catalogue/iso27001-2022.yaml"));

/// Writes a new handbook into `dir`; returns the files written.
pub fn init(dir: &Path, full: bool) -> Result<Vec<PathBuf>, Fatal> {
    let config = dir.join(crate::config::CONFIG_FILE);
    if config.exists() {
        return Err(Diagnostic::error("init-exists", &config, "a handbook already exists here: nothing was written")
            .hint("run `ismsbook init` in an empty folder, or pass a new folder name")
            .into());
    }
    let today = Date::build_date();
    let review = Date { year: today.year + 1, ..today };
    let review = Date::parse(&review.to_string()).unwrap_or(Date { day: 28, ..review });
    let mut files: Vec<(String, String)> = Vec::new();
    for (name, text) in STARTER {
        let text = text.replace("APPROVED_DATE", &today.to_string()).replace("REVIEW_DATE", &review.to_string());
        match (*name, full) {
            ("catalogue/starter.yaml", true) => {
                files.push(("catalogue/iso27001-2022.yaml".into(), FULL_CATALOGUE.into()))
            }
            ("soa.yaml", true) => files.push((name.to_string(), full_soa())),
            _ => files.push((name.to_string(), text)),
        }
    }
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(&name);
        if path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// `init --theme DIR`: writes the built-in theme into `dir` for editing (existing files are
/// kept); returns the files written. Point `[output.html] theme` at the folder to use it.
pub fn write_theme(dir: &Path) -> Result<Vec<PathBuf>, Fatal> {
    let mut written = Vec::new();
    for (name, bytes) in crate::theme::DEFAULT {
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

fn io(path: &Path, e: std::io::Error) -> Fatal {
    Diagnostic::error("io-error", path, format!("cannot write {}: {e}", display_path(path))).into()
}

/// Every control of the full catalogue: applicable and planned, to be confirmed.
fn full_soa() -> String {
    let mut out = String::from(
        "# Statement of Applicability: one decision per control. Every control starts as applicable and\n\
         # planned; confirm or exclude each one (with a justification) after your first risk assessment.\n",
    );
    for line in FULL_CATALOGUE.lines() {
        if let Some(id) = line.strip_prefix("  - id: A.") {
            let id = format!("A.{}", id.trim());
            let done = id == "A.5.1" || id == "A.5.2";
            out.push_str(&format!(
                "- control: {id}\n  applicable: true\n  justification: \"{}\"\n  status: {}\n",
                if done {
                    "A written, approved policy set and assigned responsibilities"
                } else {
                    "To be confirmed by the first risk assessment"
                },
                if done { "implemented" } else { "planned" }
            ));
        }
    }
    out
}
