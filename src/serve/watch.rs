//! Watching the sources for `serve`: notify on the source folder, the theme folder and
//! book.toml, filtered and debounced into batches of changed paths.
//!
//! Ignored: the build dir and its staging and spare folders, hidden files and folders, and the
//! temporary and swap files editors write while saving (`*~`, `*.swp`, `*.swx`, `*.tmp`,
//! `#name#`, vim's `4913`). A batch is sent once no event has arrived for [`QUIET`] (or after
//! [`LONGEST`] of continuous events), so an editor's write-rename-chmod sequence, or many files
//! saved at once, make one rebuild.

use crate::config::Config;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

/// How long the sources must stay still before a rebuild starts.
pub const QUIET: Duration = Duration::from_millis(20);
/// The longest a rebuild waits for the sources to settle.
pub const LONGEST: Duration = Duration::from_millis(300);

/// What the files to watch are, as absolute paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Folders whose every file counts: src and the theme folder.
    pub trees: Vec<PathBuf>,
    /// book.toml.
    pub config_file: PathBuf,
    /// The build dir and its companions (`.book.staging`, `.book.old`): never counted.
    pub ignored: Vec<PathBuf>,
}

impl Scope {
    pub fn of(config: &Config) -> Scope {
        let mut trees = vec![absolute(&config.src)];
        trees.extend(config.theme_dir.as_deref().map(absolute));
        let build = absolute(&config.build_dir);
        let name = build.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let ignored =
            vec![build.with_file_name(format!(".{name}.staging")), build.with_file_name(format!(".{name}.old")), build];
        Scope { trees, config_file: absolute(&config.config_file), ignored }
    }

    /// Whether a change to `path` should trigger a rebuild.
    pub fn counts(&self, path: &Path) -> bool {
        if path == self.config_file {
            return true;
        }
        if self.ignored.iter().any(|i| path.starts_with(i)) {
            return false;
        }
        let Some(tree) = self.trees.iter().find(|t| path.starts_with(t)) else { return false };
        let Ok(rel) = path.strip_prefix(tree) else { return false };
        let hidden = rel.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        !hidden && !editor_temp(&path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
    }
}

/// Temporary and swap files of common editors.
fn editor_temp(name: &str) -> bool {
    name.ends_with('~')
        || [".swp", ".swx", ".swo", ".tmp", ".kate-swp"].iter().any(|e| name.ends_with(e))
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
}

/// A path made absolute with its existing part canonicalised (symbolic links resolved), so
/// that it compares equal to the paths notify reports.
pub fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => absolute(parent).join(name),
        _ => std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf()),
    }
}

/// Starts watching `scope`; batches of changed paths arrive on `batches`. The watcher stops
/// when the returned value is dropped.
pub fn watch(scope: Scope, batches: Sender<Vec<PathBuf>>) -> notify::Result<RecommendedWatcher> {
    let (tx, rx) = channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    for tree in &scope.trees {
        watcher.watch(tree, RecursiveMode::Recursive)?;
    }
    if let Some(folder) = scope.config_file.parent()
        && !scope.trees.iter().any(|t| folder.starts_with(t))
    {
        watcher.watch(folder, RecursiveMode::NonRecursive)?;
    }
    std::thread::Builder::new()
        .name("ismsbook-watch".into())
        .spawn(move || debounce(&scope, &rx, &batches))
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(watcher)
}

/// The paths of one event that count, if any.
fn relevant(scope: &Scope, event: notify::Result<notify::Event>) -> Vec<PathBuf> {
    match event {
        Ok(e) if !matches!(e.kind, EventKind::Access(_)) => e.paths.into_iter().filter(|p| scope.counts(p)).collect(),
        _ => Vec::new(),
    }
}

fn debounce(scope: &Scope, rx: &Receiver<notify::Result<notify::Event>>, batches: &Sender<Vec<PathBuf>>) {
    while let Ok(event) = rx.recv() {
        let mut paths = relevant(scope, event);
        if paths.is_empty() {
            continue;
        }
        let started = Instant::now();
        loop {
            match rx.recv_timeout(QUIET) {
                Ok(event) => paths.extend(relevant(scope, event)),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if started.elapsed() > LONGEST {
                break;
            }
        }
        paths.sort();
        paths.dedup();
        if batches.send(paths).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_files_and_the_build_dir_do_not_count() {
        let scope = Scope {
            trees: vec![PathBuf::from("/h")],
            config_file: PathBuf::from("/h/book.toml"),
            ignored: vec![PathBuf::from("/h/book"), PathBuf::from("/h/.book.staging")],
        };
        assert!(scope.counts(Path::new("/h/policies/a.md")));
        assert!(scope.counts(Path::new("/h/book.toml")));
        for no in [
            "/h/book/a.html",
            "/h/.book.staging/x",
            "/h/.git/x",
            "/h/a.md~",
            "/h/.a.md.swp",
            "/h/4913",
            "/h/#a.md#",
            "/x/a.md",
        ] {
            assert!(!scope.counts(Path::new(no)), "{no}");
        }
    }
}
