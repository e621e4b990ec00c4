//! The build dir: written only through a staging folder, replaced only when a build succeeds.
//!
//! A build renders into `.<build-dir>.staging` next to the build dir, then swaps it in with two
//! renames, so a failed build leaves the last good output in place. A marker file says the
//! folder is ours: ismsbook never replaces or cleans a folder it did not create, nor one that
//! is, or contains, the source folder or the folder of book.toml.

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Fatal, display_path};
use std::path::{Path, PathBuf};

/// Present in every build dir ismsbook writes.
pub const MARKER: &str = ".ismsbook-build";

/// Refuses build dirs that would destroy sources or someone else's files.
pub fn check_build_dir(config: &Config) -> Result<(), Fatal> {
    let build = absolute(&config.build_dir);
    for (what, protected) in [("the source folder", &config.src), ("the folder of book.toml", &config.root)] {
        if absolute(protected).starts_with(&build) {
            return Err(Diagnostic::error(
                "unsafe-build-dir",
                &config.config_file,
                format!(
                    "the build dir {} is, or contains, {what} ({}): refusing to write or delete it",
                    display_path(&config.build_dir),
                    display_path(protected)
                ),
            )
            .hint("set [build] build-dir to a folder of its own, e.g. \"book\"")
            .into());
        }
    }
    let non_empty = std::fs::read_dir(&config.build_dir).map(|mut d| d.next().is_some()).unwrap_or(false);
    if non_empty && !config.build_dir.join(MARKER).exists() {
        return Err(Diagnostic::error(
            "unsafe-build-dir",
            &config.config_file,
            format!(
                "{} exists and was not written by ismsbook: refusing to replace it",
                display_path(&config.build_dir)
            ),
        )
        .hint("choose another build-dir, or move that folder away")
        .into());
    }
    Ok(())
}

/// A canonical path, for comparisons; for a path that does not exist yet, its nearest
/// existing ancestor canonicalised with the rest appended.
fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let joined = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
    let mut rest = Vec::new();
    let mut cur = joined.as_path();
    loop {
        if let Ok(c) = cur.canonicalize() {
            return rest.iter().rev().fold(c, |acc: PathBuf, part| acc.join(part));
        }
        match (cur.file_name(), cur.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                cur = parent;
            }
            _ => return joined,
        }
    }
}

/// A staging folder next to the build dir; dropped (and deleted) unless published.
pub struct Staging {
    pub dir: PathBuf,
    target: PathBuf,
    published: bool,
}

impl Staging {
    pub fn new(build_dir: &Path) -> Result<Staging, Diagnostic> {
        let name = build_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "book".into());
        let parent = build_dir.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = parent.join(format!(".{name}.staging"));
        let io =
            |e: std::io::Error| Diagnostic::error("io-error", &dir, format!("cannot prepare the staging folder: {e}"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io)?;
        }
        std::fs::create_dir_all(&dir).map_err(io)?;
        std::fs::write(dir.join(MARKER), b"This folder is written by ismsbook and replaced on every build.\n")
            .map_err(io)?;
        Ok(Staging { dir, target: build_dir.to_path_buf(), published: false })
    }

    /// Swaps the staging folder in as the build dir.
    pub fn publish(mut self) -> Result<(), Diagnostic> {
        let old = self.dir.with_file_name(format!(
            ".{}.old",
            self.target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        let io = |e: std::io::Error, p: &Path| {
            Diagnostic::error("io-error", p, format!("cannot replace the build dir: {e}"))
        };
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| io(e, &old))?;
        }
        if self.target.exists() {
            std::fs::rename(&self.target, &old).map_err(|e| io(e, &self.target))?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            // Put the last good build back.
            let _ = std::fs::rename(&old, &self.target);
            return Err(io(e, &self.target));
        }
        self.published = true;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| io(e, &old))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `ismsbook clean`: removes the build dir, if it is ours.
pub fn clean(config: &Config) -> Result<bool, Fatal> {
    check_build_dir(config)?;
    if !config.build_dir.exists() {
        return Ok(false);
    }
    std::fs::remove_dir_all(&config.build_dir).map_err(|e| {
        Fatal(Diagnostic::error("io-error", &config.build_dir, format!("cannot remove the build dir: {e}")))
    })?;
    Ok(true)
}
