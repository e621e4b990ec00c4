//! The build dir: reused from build to build, written only where bytes changed, replaced
//! atomically.
//!
//! # Layout
//!
//! Next to the build dir `book/` live two folders of ours: `.book.staging/` (the build being
//! written) and `.book.old/` (the spare: the output before the last one). All three carry the
//! [`MARKER`] file; ismsbook never writes into, renames or deletes a path that holds anything
//! else (a user's file named like the build dir, a folder it did not write): that is
//! `error[unsafe-build-dir]`, checked by [`check_build_dir`] before anything is touched.
//!
//! # A build ([`Output::staged`])
//!
//! 1. The staging folder is the spare renamed (or a staging folder a killed build left
//!    behind); when there is neither, a copy of the live build dir made of hard links (so a
//!    second build after a clean one writes nothing it need not).
//! 2. With the previous build's [`Manifest`] (from the rebuild cache, [`CACHE`]), every live
//!    file is checked against it (size, mtime in nanoseconds, inode: any write or replacement
//!    changes one of them) and, when it matches, made current in the staging folder: nothing
//!    to do when the staging folder holds the same inode (a hard link), else a hard link to
//!    the live file is renamed over the staging copy (the spare is one build behind). A file
//!    that does not match is [`Output::tampered`]: the caller then renders everything.
//! 3. [`Output::put`] writes one file: when the staging folder already holds the same bytes it
//!    does nothing (the file keeps its inode and mtime); a changed file is overwritten in place
//!    when its inode is the staging folder's alone, and replaced (new inode) when it is shared
//!    with the live build dir through a hard link, so the live output is never modified.
//!    [`Output::keep`] claims verified files that the build did not render again (their inputs
//!    did not change).
//! 4. [`Output::write_cache`] puts the rebuild cache (with this build's manifest) beside them;
//!    [`Output::finish`] removes the files neither put nor kept (stale pages), swaps the staging
//!    folder and the build dir in one atomic `renameat2(RENAME_EXCHANGE)` (two renames on other
//!    systems), and keeps the previous output as the spare. Nothing is deleted in bulk, ever:
//!    deletion is off the critical path because there is none.
//!
//! The live build dir changes only in that one exchange, so a build that fails or is killed
//! (kill -9) at any point leaves the last good output complete; a killed build's staging folder
//! is simply reused. A file is skipped only when the live file provably is the one the last
//! build wrote (the manifest) and the staging folder holds that very file (same inode); every
//! other comparison is against the bytes on disk. `serve` rebuilds the same way:
//! [`Output::finish`] returns the [`Written`] summary (which files changed), and the output is
//! complete when it returns, the moment to tell browsers to reload.
//!
//! [`Output::in_place`] writes single files into the live build dir, each replaced atomically
//! (for tools and tests; builds are staged).
//!
//! # `check` ([`Output::discard`])
//!
//! Every page is rendered and handed to a sink that writes nothing, so `check` runs the theme
//! and template stages exactly as `build` does.
//!
//! [`Output::put`] takes `&self` and may be called from many threads at once. Inside
//! [`Output::writing`] it only queues the file: a few writer threads of the output's own (one
//! per folder, so that no two threads wait on one folder's lock) create the files while the
//! callers go on rendering.
//! [`Output::put_stream`] is the same for a file too large to hold in memory (print.html): it
//! is written as it is produced, compared with the file on disk on the way, so that unchanged
//! bytes are still not rewritten.

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Fatal, display_path};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Present in every build dir, staging folder and spare ismsbook writes.
pub const MARKER: &str = ".ismsbook-build";
/// The rebuild cache in every build dir ismsbook writes (`build::Session`): what the build
/// knew of its sources and the [`Manifest`] of its output. Never served, never a page.
pub const CACHE: &str = ".ismsbook-cache";
const MARKER_TEXT: &[u8] = b"This folder is written by ismsbook and replaced on every build.\n";

/// The staging folder and the spare of a build dir: `.book.staging` and `.book.old`.
pub fn companions(build_dir: &Path) -> (PathBuf, PathBuf) {
    let name = build_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "book".into());
    (build_dir.with_file_name(format!(".{name}.staging")), build_dir.with_file_name(format!(".{name}.old")))
}

/// Refuses build dirs that would destroy sources or someone else's files: the build dir, its
/// staging folder and its spare must each be absent, empty, or marked as ours.
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
    let (staging, spare) = companions(&config.build_dir);
    for (dir, role) in [(&config.build_dir, "the build dir"), (&staging, "its staging folder"), (&spare, "its spare")] {
        if let Err(why) = owned(dir) {
            let what = if dir == &config.build_dir { String::new() } else { format!(" ({role})") };
            return Err(Diagnostic::error(
                "unsafe-build-dir",
                &config.config_file,
                format!("{}{what} {why}: refusing to replace it", display_path(dir)),
            )
            .hint("choose another build dir (-d or [build] build-dir), or move that away")
            .into());
        }
    }
    Ok(())
}

/// Ok when `dir` is absent, an empty folder, or a folder carrying the marker; otherwise why not.
fn owned(dir: &Path) -> Result<(), &'static str> {
    match std::fs::symlink_metadata(dir) {
        Err(_) => Ok(()),
        Ok(m) if !m.is_dir() => Err("exists and is not a folder ismsbook wrote"),
        Ok(_) => {
            let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
            if empty || dir.join(MARKER).is_file() { Ok(()) } else { Err("exists and was not written by ismsbook") }
        }
    }
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Staged,
    InPlace,
    Discard,
}

/// What a build did to its output.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// Files handed to [`Output::put`].
    pub files: usize,
    /// Build-dir-relative paths whose bytes changed (created or rewritten), sorted.
    pub changed: Vec<String>,
    /// Build-dir-relative paths of the previous output that this one no longer has, sorted.
    pub removed: Vec<String>,
}

/// One output file as the file system describes it: enough to tell, without reading it,
/// whether a file is still the one a build left (any write changes the mtime or the inode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    pub len: u64,
    pub mtime_ns: i64,
    pub inode: u64,
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Stamp { len: m.len(), mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(), inode: m.ino() }
        }
        #[cfg(not(unix))]
        {
            let ns = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i64);
            Stamp { len: m.len(), mtime_ns: ns, inode: 0 }
        }
    }

    /// The stamp of a regular file (no link followed), if it is one.
    pub fn of_file(path: &Path) -> Option<Stamp> {
        std::fs::symlink_metadata(path).ok().filter(|m| m.is_file()).map(|m| Stamp::of(&m))
    }
}

/// Every file of a build's output (build-dir-relative) and its [`Stamp`] as that build left it.
pub type Manifest = BTreeMap<String, Stamp>;

/// The build dir being written: see the module documentation.
pub struct Output {
    mode: Mode,
    /// Where files go: the staging folder.
    dir: PathBuf,
    live: PathBuf,
    spare: PathBuf,
    /// Files present in `dir` when the build started.
    before: BTreeSet<String>,
    /// Files of the live output (for [`Written::removed`]).
    live_files: BTreeSet<String>,
    /// Files of the live output that match the previous build's manifest, each now the same
    /// file (a hard link) in the staging folder: their stamps.
    verified: Manifest,
    /// Files of the previous manifest that the live output no longer holds as that build
    /// left them (edited, replaced or deleted by someone else).
    tampered: Vec<String>,
    claimed: Mutex<BTreeSet<String>>,
    /// Files of the previous output said to be gone ([`Output::remove`]): never kept.
    dropped: Mutex<BTreeSet<String>>,
    /// The stamp of every file put or kept, for the next build's manifest.
    stamps: Mutex<Manifest>,
    changed: Mutex<Vec<String>>,
    removed: Mutex<Vec<String>>,
    files: AtomicUsize,
    /// Folders known to exist, so `create_dir_all` runs once per folder.
    folders: Mutex<BTreeSet<PathBuf>>,
    /// While [`Output::writing`] runs: the queue of each writer thread.
    writers: Mutex<Vec<Queue>>,
    /// The first write of a writer thread that failed.
    failed: Mutex<Option<Diagnostic>>,
    done: bool,
}

/// The queue of one writer thread of [`Output::writing`]: files (build-dir-relative path,
/// bytes) to write.
type Queue = std::sync::mpsc::SyncSender<(String, Vec<u8>)>;

/// How many threads write the files of [`Output::writing`]. Each folder is written by one of
/// them only: two threads creating files in one folder take turns on its lock, and the one
/// waiting spins on a core that rendering could use.
const WRITERS: usize = 2;
/// How many files may wait in each writer's queue (about 1 MB of pages): a renderer that
/// gets that far ahead waits.
const QUEUED: usize = 64;

impl Output {
    /// Opens a build of `build_dir` (call [`check_build_dir`] first). With the `previous`
    /// build's manifest, every live file that still matches it is made current in the staging
    /// folder (hard-linked where the staging copy is another file), so that a build may
    /// [`Output::keep`] it instead of rendering it again; the others are [`Output::tampered`].
    pub fn staged(build_dir: &Path, previous: Option<&Manifest>) -> Result<Output, Diagnostic> {
        let (staging, spare) = companions(build_dir);
        let io = |e: std::io::Error, p: &Path| {
            Diagnostic::error("io-error", p, format!("cannot prepare the staging folder: {e}"))
        };
        if !staging.is_dir() {
            if spare.is_dir() {
                std::fs::rename(&spare, &staging).map_err(|e| io(e, &spare))?;
            } else {
                std::fs::create_dir_all(&staging).map_err(|e| io(e, &staging))?;
                spread_folders(&staging);
                if build_dir.join(MARKER).is_file() {
                    link_tree(build_dir, &staging).map_err(|e| io(e, &staging))?;
                }
            }
        }
        if !staging.join(MARKER).is_file() {
            std::fs::write(staging.join(MARKER), MARKER_TEXT).map_err(|e| io(e, &staging))?;
        }
        remove_unfinished_folders(&staging);
        let mut out = Output::empty(Mode::Staged, staging, build_dir.to_path_buf(), spare);
        out.before = tree(&out.dir)?;
        match previous {
            Some(manifest) => {
                out.live_files = manifest.keys().cloned().collect();
                out.verify(manifest)?;
            }
            None if build_dir.join(MARKER).is_file() => out.live_files = tree(build_dir)?,
            None => {}
        }
        Ok(out)
    }

    /// Opens the live build dir to write files in place, each replaced atomically, nothing
    /// removed (for tools and tests that write single files; builds go through [`Output::staged`]).
    pub fn in_place(build_dir: &Path) -> Result<Output, Diagnostic> {
        let (_, spare) = companions(build_dir);
        std::fs::create_dir_all(build_dir)
            .and_then(|()| match build_dir.join(MARKER).is_file() {
                true => Ok(()),
                false => std::fs::write(build_dir.join(MARKER), MARKER_TEXT),
            })
            .map_err(|e| io_error(build_dir, e))?;
        Ok(Output::empty(Mode::InPlace, build_dir.to_path_buf(), build_dir.to_path_buf(), spare))
    }

    /// A sink that renders nothing to disk (for `check`).
    pub fn discard() -> Output {
        let mut out = Output::empty(Mode::Discard, PathBuf::new(), PathBuf::new(), PathBuf::new());
        out.done = true;
        out
    }

    fn empty(mode: Mode, dir: PathBuf, live: PathBuf, spare: PathBuf) -> Output {
        Output {
            mode,
            dir,
            live,
            spare,
            before: BTreeSet::new(),
            live_files: BTreeSet::new(),
            verified: Manifest::new(),
            tampered: Vec::new(),
            claimed: Mutex::default(),
            dropped: Mutex::default(),
            stamps: Mutex::default(),
            changed: Mutex::default(),
            removed: Mutex::default(),
            files: AtomicUsize::new(0),
            folders: Mutex::default(),
            writers: Mutex::default(),
            failed: Mutex::default(),
            done: false,
        }
    }

    /// Checks every live file against `manifest` and links those that match into the staging
    /// folder where it holds another file (the spare is one build behind).
    fn verify(&mut self, manifest: &Manifest) -> Result<(), Diagnostic> {
        use rayon::prelude::*;
        let checked: Vec<(&String, Result<Stamp, ()>)> = manifest
            .par_iter()
            .map(|(rel, stamp)| {
                let live = self.live.join(rel);
                if !safe_relative(rel) || Stamp::of_file(&live) != Some(*stamp) {
                    return Ok((rel, Err(())));
                }
                let staged = self.dir.join(rel);
                if Stamp::of_file(&staged).is_some_and(|s| s.inode == stamp.inode) {
                    return Ok((rel, Ok(*stamp)));
                }
                self.link_live(&live, &staged)?;
                Ok((rel, Stamp::of_file(&staged).ok_or(())))
            })
            .collect::<Result<_, Diagnostic>>()?;
        for (rel, stamp) in checked {
            match stamp {
                Ok(stamp) => {
                    self.verified.insert(rel.clone(), stamp);
                }
                Err(()) => self.tampered.push(rel.clone()),
            }
        }
        Ok(())
    }

    /// Makes the staging folder's `staged` the live file `live` (a hard link; a copy where
    /// linking fails), replacing whatever was there.
    fn link_live(&self, live: &Path, staged: &Path) -> Result<(), Diagnostic> {
        if let Ok(m) = std::fs::symlink_metadata(staged)
            && m.is_dir()
        {
            std::fs::remove_dir_all(staged).map_err(|e| io_error(staged, e))?;
        }
        self.folder(staged)?;
        let tmp = temporary(staged);
        let _ = std::fs::remove_file(&tmp);
        if std::fs::hard_link(live, &tmp).is_err() {
            std::fs::copy(live, &tmp).map_err(|e| io_error(&tmp, e))?;
        }
        std::fs::rename(&tmp, staged).map_err(|e| io_error(staged, e))
    }

    /// Files of the previous manifest that no longer match the live output.
    pub fn tampered(&self) -> &[String] {
        &self.tampered
    }

    /// Keeps, as they are, the files of the previous output that match its manifest and were
    /// neither put by this build nor [`Output::remove`]d: the files whose inputs did not
    /// change. The rest of the previous output is removed by [`Output::finish`].
    pub fn keep(&self) {
        let dropped = self.dropped.lock().unwrap_or_else(|p| p.into_inner());
        let wanted = |rel: &str| !dropped.contains(rel);
        let mut claimed = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
        let mut stamps = self.stamps.lock().unwrap_or_else(|p| p.into_inner());
        for (rel, stamp) in &self.verified {
            if !claimed.contains(rel) && wanted(rel) {
                claimed.insert(rel.clone());
                stamps.insert(rel.clone(), *stamp);
            }
        }
    }

    /// The path of a build-dir-relative file as this build has it so far (to read back a file
    /// put or kept).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// The files whose bytes this build changed so far.
    pub fn changed(&self) -> Vec<String> {
        self.changed.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The manifest of this build so far: every file put or kept, with its stamp.
    pub fn manifest(&self) -> Manifest {
        self.stamps.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Writes the rebuild cache ([`CACHE`]) that goes with this output.
    /// With `None`, the build goes without one (its caller saves it later with [`save_cache`]):
    /// a cache left in the staging folder by an older build is removed, so that none but the
    /// current one is ever found beside the output.
    pub fn write_cache(&self, cache: Option<CacheWriter>) -> Result<(), Diagnostic> {
        if self.mode == Mode::Discard {
            return Ok(());
        }
        let path = self.dir.join(CACHE);
        match cache {
            Some(fill) => write_with(&path, fill).map_err(|e| io_error(&path, e)),
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(io_error(&path, e)),
                _ => Ok(()),
            },
        }
    }

    /// Writes `bytes` as the build-dir-relative file `rel` unless it already holds exactly
    /// these bytes. Returns whether the file changed; while [`Output::writing`] runs, the file
    /// is queued and `true` returned (whether it changed is in [`Output::changed`] once that
    /// returns).
    pub fn put(&self, rel: &str, bytes: &[u8]) -> Result<bool, Diagnostic> {
        self.put_bytes(rel, std::borrow::Cow::Borrowed(bytes))
    }

    /// [`Output::put`] for bytes the caller is done with: queued without a copy.
    pub fn put_owned(&self, rel: &str, bytes: Vec<u8>) -> Result<bool, Diagnostic> {
        self.put_bytes(rel, std::borrow::Cow::Owned(bytes))
    }

    fn put_bytes(&self, rel: &str, bytes: std::borrow::Cow<[u8]>) -> Result<bool, Diagnostic> {
        self.claim(rel)?;
        if self.mode == Mode::Discard {
            return Ok(true);
        }
        let queue = {
            let writers = self.writers.lock().unwrap_or_else(|p| p.into_inner());
            (!writers.is_empty()).then(|| writers[writer_of(rel, writers.len())].clone())
        };
        match queue {
            Some(queue) => {
                // A writer is gone only when it panicked, which `writing` reports.
                let _ = queue.send((rel.to_string(), bytes.into_owned()));
                Ok(true)
            }
            None => self.write(rel, &bytes),
        }
    }

    /// Runs `f` with [`WRITERS`] threads that write every file [`Output::put`] meanwhile, so
    /// that the threads rendering pages never wait on the file system (creating a file costs
    /// 50-400 µs on a slow disk, under its folder's lock). Returns what `f` returned once every
    /// queued file is written, or the first write that failed.
    pub fn writing<R>(&self, f: impl FnOnce() -> R) -> Result<R, Diagnostic> {
        if self.mode == Mode::Discard {
            return Ok(f());
        }
        /// Closes the queues when `f` is done, or panics: the writers then finish and stop.
        struct Close<'o>(&'o Output);
        impl Drop for Close<'_> {
            fn drop(&mut self) {
                self.0.writers.lock().unwrap_or_else(|p| p.into_inner()).clear();
            }
        }
        let result = std::thread::scope(|scope| {
            let mut queues = Vec::with_capacity(WRITERS);
            for _ in 0..WRITERS {
                let (queue, files) = std::sync::mpsc::sync_channel::<(String, Vec<u8>)>(QUEUED);
                queues.push(queue);
                scope.spawn(move || {
                    for (rel, bytes) in files {
                        if let Err(d) = self.write(&rel, &bytes) {
                            self.failed.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(d);
                        }
                    }
                });
            }
            *self.writers.lock().unwrap_or_else(|p| p.into_inner()) = queues;
            let _close = Close(self);
            f()
        });
        match self.failed.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(d) => Err(d),
            None => Ok(result),
        }
    }

    /// Writes `bytes` as `rel` now (see [`Output::put`]).
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<bool, Diagnostic> {
        let path = self.dir.join(rel);
        // A file the staging folder did not hold when the build started is new (nothing else
        // writes there): created without looking first, which halves the metadata calls of a
        // clean build on a disk where each costs tens of microseconds. Anything unexpected on
        // the way (a folder where the file goes) takes the general path below.
        if self.mode == Mode::Staged && !self.before.contains(rel) {
            self.folder(&path)?;
            if let Ok(stamp) = write_file(&path, bytes, true) {
                self.record(rel, stamp, true);
                return Ok(true);
            }
        }
        let replace = match self.existing_file(&path)? {
            Some(m) => {
                if m.len() == bytes.len() as u64 && same_bytes(&path, bytes) {
                    self.record(rel, Stamp::of(&m), false);
                    return Ok(false);
                }
                self.mode == Mode::InPlace || shared(&m)
            }
            None => false,
        };
        let stamp = if replace {
            // Shared with the live build dir through a hard link: a new file, never a write
            // into the live one.
            let tmp = temporary(&path);
            write_file(&tmp, bytes, false).and_then(|stamp| std::fs::rename(&tmp, &path).map(|()| stamp))
        } else {
            write_file(&path, bytes, false)
        };
        self.record(rel, stamp.map_err(|e| io_error(&path, e))?, true);
        Ok(true)
    }

    /// The regular file at `path` (its metadata), if there is one; otherwise `path` is made
    /// ready for a new file: a folder or a link where the file now goes is cleared (it is inside
    /// the folder being written, ours), or the missing file's folder is created.
    fn existing_file(&self, path: &Path) -> Result<Option<std::fs::Metadata>, Diagnostic> {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => Ok(Some(m)),
            Ok(m) => {
                let gone = if m.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
                gone.map_err(|e| io_error(path, e))?;
                Ok(None)
            }
            Err(_) => {
                self.folder(path)?;
                Ok(None)
            }
        }
    }

    /// Records the stamp of a file put and, if `changed`, its path.
    fn record(&self, rel: &str, stamp: Stamp, changed: bool) {
        self.stamps.lock().unwrap_or_else(|p| p.into_inner()).insert(rel.to_string(), stamp);
        if changed {
            self.changed.lock().unwrap_or_else(|p| p.into_inner()).push(rel.to_string());
        }
    }

    /// Records a file just put by path: its stamp for the manifest and, if `changed`, its path.
    fn written(&self, rel: &str, path: &Path, changed: bool) -> Result<(), Diagnostic> {
        let stamp =
            Stamp::of_file(path).ok_or_else(|| Diagnostic::error("io-error", path, "the file just written is gone"))?;
        self.record(rel, stamp, changed);
        Ok(())
    }
    /// Writes the build-dir-relative file `rel` from what `fill` writes into the writer it is
    /// given, never holding the whole file: for pages too large to keep in memory (print.html).
    /// Same semantics as [`Output::put`]: the bytes are compared with the file on disk as they
    /// come, and written (to a temporary file beside it, renamed over it at the end) only from
    /// the first byte that differs, so an unchanged file keeps its inode and mtime; `check`
    /// runs `fill` into a sink. Returns whether the file changed.
    pub fn put_stream(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), Diagnostic>,
    ) -> Result<bool, Diagnostic> {
        self.claim(rel)?;
        if self.mode == Mode::Discard {
            fill(&mut std::io::sink())?;
            return Ok(true);
        }
        let path = self.dir.join(rel);
        let old = match self.existing_file(&path)? {
            Some(_) => Some(std::fs::File::open(&path).map_err(|e| io_error(&path, e))?),
            None => None,
        };
        let tmp = temporary(&path);
        let mut writer = Diverging::new(old, tmp.clone());
        let done = fill(&mut writer).and_then(|()| writer.finish().map_err(|e| io_error(&path, e)));
        let changed = match done {
            Ok(changed) => changed,
            Err(d) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(d);
            }
        };
        if changed {
            std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))?;
        }
        self.written(rel, &path, changed)?;
        Ok(changed)
    }

    /// Counts a file of this build and, in a full build, claims its path (an error when two
    /// files of the build claim the same one).
    fn claim(&self, rel: &str) -> Result<(), Diagnostic> {
        if !safe_relative(rel) {
            return Err(Diagnostic::error(
                "io-error",
                Path::new(rel),
                format!("refusing to write {rel}: not a plain path inside the build dir"),
            ));
        }
        self.files.fetch_add(1, Ordering::Relaxed);
        if self.mode == Mode::Staged {
            let mut claimed = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
            if !claimed.insert(rel.to_string()) {
                return Err(Diagnostic::error(
                    "io-error",
                    Path::new(rel),
                    format!("two pages of this build would be written to {rel}"),
                ));
            }
        }
        Ok(())
    }

    /// Says that the previous output's file `rel` is no longer part of the output: it is not
    /// kept (a staged build removes it at [`Output::finish`]; in place it is deleted now).
    pub fn remove(&self, rel: &str) -> Result<(), Diagnostic> {
        match self.mode {
            Mode::Staged => {
                self.dropped.lock().unwrap_or_else(|p| p.into_inner()).insert(rel.to_string());
                Ok(())
            }
            Mode::InPlace => self.delete(rel),
            Mode::Discard => Ok(()),
        }
    }

    /// Deletes the file `rel` of the folder being written.
    fn delete(&self, rel: &str) -> Result<(), Diagnostic> {
        if !safe_relative(rel) {
            return Ok(());
        }
        let path = self.dir.join(rel);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                remove_empty_parents(&self.dir, &path);
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    /// Completes the output: removes the files neither put nor kept (stale pages) and swaps
    /// the staging folder in. When this returns, the build dir is complete.
    pub fn finish(mut self) -> Result<Written, Diagnostic> {
        if self.mode == Mode::Staged {
            let claimed = std::mem::take(&mut *self.claimed.lock().unwrap_or_else(|p| p.into_inner()));
            for rel in self.before.difference(&claimed) {
                self.delete(rel)?;
            }
            let removed: Vec<String> = self.live_files.difference(&claimed).cloned().collect();
            *self.removed.lock().unwrap_or_else(|p| p.into_inner()) = removed;
            exchange(&self.dir, &self.live)
                .map_err(|e| Diagnostic::error("io-error", &self.live, format!("cannot replace the build dir: {e}")))?;
            // The previous output (now in the staging folder) becomes the spare.
            if self.dir.exists() {
                std::fs::rename(&self.dir, &self.spare).map_err(|e| io_error(&self.spare, e))?;
            }
        }
        self.done = true;
        let mut changed = std::mem::take(&mut *self.changed.lock().unwrap_or_else(|p| p.into_inner()));
        let mut removed = std::mem::take(&mut *self.removed.lock().unwrap_or_else(|p| p.into_inner()));
        changed.sort();
        removed.sort();
        Ok(Written { files: self.files.load(Ordering::Relaxed), changed, removed })
    }

    fn folder(&self, path: &Path) -> Result<(), Diagnostic> {
        let Some(parent) = path.parent() else { return Ok(()) };
        if self.folders.lock().unwrap_or_else(|p| p.into_inner()).contains(parent) {
            return Ok(());
        }
        // A folder right under the staging folder is placed by the file system as a top-level
        // one (see `spread_folders`): created under a name of its own, then renamed.
        if self.mode == Mode::Staged
            && let Ok(rel) = parent.strip_prefix(&self.dir)
            && let Some(std::path::Component::Normal(top)) = rel.components().next()
        {
            let top = self.dir.join(top);
            create_spread_folder(&top).map_err(|e| io_error(&top, e))?;
        }
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        self.folders.lock().unwrap_or_else(|p| p.into_inner()).insert(parent.to_path_buf());
        Ok(())
    }
}

impl Drop for Output {
    /// A build that did not finish keeps what it wrote as the spare (never the live output).
    fn drop(&mut self) {
        if !self.done && self.mode == Mode::Staged && !self.spare.exists() {
            let _ = std::fs::rename(&self.dir, &self.spare);
        }
    }
}

/// Which of `writers` threads writes `rel`: the same one for every file of a folder.
fn writer_of(rel: &str, writers: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let folder = rel.rsplit_once('/').map_or("", |(folder, _)| folder);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    folder.hash(&mut h);
    (h.finish() % writers as u64) as usize
}

/// Asks the file system to place each folder made in `dir` (the staging folder) where it has
/// room, as it places top-level folders (ext4's "top of directory hierarchy" flag, `chattr +T`),
/// instead of next to `dir` (best effort: elsewhere, or when refused, nothing changes).
///
/// Why: ext4 without a journal skips, one by one, every inode freed in the last minutes when it
/// allocates a new one in the same block group, and keeps the files of a folder in the group of
/// the folder. A clean build right after the previous output was deleted (`rm -rf book`, or
/// another build's cleanup nearby) would create its 10,000 pages in the groups those deleted
/// files just left, and pay a scan of all of them for each page: 0.2-0.4 ms of kernel time a
/// file, 6 s for 11,000 files where the same files in an untouched group take 0.8 s.
fn spread_folders(dir: &Path) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        /// `FS_TOPDIR_FL` of linux/fs.h.
        const TOPDIR: libc::c_int = 0x0002_0000;
        let Ok(folder) = std::fs::File::open(dir) else { return };
        let mut flags: libc::c_int = 0;
        // SAFETY: FS_IOC_GETFLAGS and FS_IOC_SETFLAGS read and write one int through the
        // pointer, which is valid for both calls; the descriptor is open for the whole call.
        unsafe {
            if libc::ioctl(folder.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) == 0 && flags & TOPDIR == 0 {
                flags |= TOPDIR;
                libc::ioctl(folder.as_raw_fd(), libc::FS_IOC_SETFLAGS, &flags);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = dir;
}

/// What a folder of the staging folder is named until it is renamed ([`create_spread_folder`]).
const NEW_FOLDER: &str = ".ismsbook-new-";

/// Removes the empty folders that a build killed between creating a folder and renaming it
/// ([`create_spread_folder`]) left at the top of the staging folder.
fn remove_unfinished_folders(staging: &Path) {
    for entry in std::fs::read_dir(staging).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().contains(NEW_FOLDER) {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// Creates the folder `dir` (in the staging folder, see [`spread_folders`]) if it is missing:
/// first under a name used once (ext4 picks a top-level folder's block group from a hash of
/// its name, so the same name would land in the same group as the folder of the same name just
/// deleted), then renamed to `dir`.
fn create_spread_folder(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let made = MADE.fetch_add(1, Ordering::Relaxed);
    let new = dir.with_file_name(format!(".{name}{NEW_FOLDER}{}-{nanos}-{made}", std::process::id()));
    std::fs::create_dir(&new)?;
    // Another thread may have made `dir` meanwhile: then that one is used.
    match std::fs::rename(&new, dir) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_dir(&new);
            if dir.is_dir() { Ok(()) } else { Err(e) }
        }
    }
}

/// Writes `bytes` to `path` (only if it does not exist yet, with `new`) and returns the file's
/// stamp, read from the open file rather than looked up by path again.
fn write_file(path: &Path, bytes: &[u8], new: bool) -> std::io::Result<Stamp> {
    use std::io::Write as _;
    let mut file = match new {
        true => std::fs::File::create_new(path)?,
        false => std::fs::File::create(path)?,
    };
    file.write_all(bytes)?;
    Ok(Stamp::of(&file.metadata()?))
}

/// Every file under `dir` but ismsbook's own bookkeeping ([`MARKER`], [`CACHE`]),
/// build-dir-relative with `/` separators.
fn tree(dir: &Path) -> Result<BTreeSet<String>, Diagnostic> {
    let mut files = BTreeSet::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry.map_err(|e| io_error(dir, e.into()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(dir) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if rel != MARKER && rel != CACHE {
                files.insert(rel);
            }
        }
    }
    Ok(files)
}

/// The temporary file a changed file is written to before it is renamed over `path`.
fn temporary(path: &Path) -> PathBuf {
    path.with_file_name(format!(".{}.ismsbook-tmp", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()))
}

/// The writer of [`Output::put_stream`]: compares what it is given with the old file while the
/// two agree; at the first difference it starts the temporary file with the old file's
/// matching prefix and writes everything else there.
struct Diverging {
    /// The old file, while everything written so far matches its start.
    old: Option<std::io::BufReader<std::fs::File>>,
    /// How many bytes matched.
    matched: u64,
    tmp: PathBuf,
    new: Option<std::io::BufWriter<std::fs::File>>,
}

impl Diverging {
    fn new(old: Option<std::fs::File>, tmp: PathBuf) -> Diverging {
        Diverging { old: old.map(|f| std::io::BufReader::with_capacity(64 * 1024, f)), matched: 0, tmp, new: None }
    }

    /// Starts the temporary file with the bytes that matched so far.
    fn diverge(&mut self) -> std::io::Result<&mut std::io::BufWriter<std::fs::File>> {
        use std::io::{Read, Seek};
        let mut new = std::io::BufWriter::with_capacity(64 * 1024, std::fs::File::create(&self.tmp)?);
        if let Some(old) = self.old.take() {
            let mut file = old.into_inner();
            file.seek(std::io::SeekFrom::Start(0))?;
            std::io::copy(&mut file.take(self.matched), &mut new)?;
        }
        Ok(self.new.insert(new))
    }

    /// Completes the file: whether it differs from the old one (then it is in the temporary
    /// file, complete).
    fn finish(mut self) -> std::io::Result<bool> {
        use std::io::BufRead;
        let same = match (&self.new, &mut self.old) {
            (None, Some(old)) => old.fill_buf()?.is_empty(),
            _ => false,
        };
        if same {
            return Ok(false);
        }
        if self.new.is_none() {
            self.diverge()?;
        }
        if let Some(new) = self.new.take() {
            new.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        }
        Ok(true)
    }
}

impl Write for Diverging {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        use std::io::BufRead;
        if let Some(new) = &mut self.new {
            return new.write(data);
        }
        let mut at = 0;
        if let Some(old) = &mut self.old {
            while at < data.len() {
                let have = old.fill_buf()?;
                let n = have.len().min(data.len() - at);
                if n == 0 || have[..n] != data[at..at + n] {
                    break;
                }
                old.consume(n);
                at += n;
            }
            self.matched += at as u64;
            if at == data.len() {
                return Ok(data.len());
            }
        }
        self.diverge()?.write_all(&data[at..])?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes the rebuild cache of the live output in `build_dir` after the build (atomically: a
/// temporary file renamed over it). A cache written late describes the output all the same:
/// if the output changed in between, its manifest no longer matches and is not trusted.
pub fn save_cache(build_dir: &Path, cache: CacheWriter) -> Result<(), Diagnostic> {
    if !build_dir.join(MARKER).is_file() {
        return Ok(());
    }
    let path = build_dir.join(CACHE);
    let tmp = temporary(&path);
    write_with(&tmp, cache).and_then(|()| std::fs::rename(&tmp, &path)).map_err(|e| io_error(&path, e))
}

/// Serialises the rebuild cache into the writer it is given: the cache goes straight into its
/// file, never held as bytes beside the data it is made of.
pub type CacheWriter<'a> = &'a dyn Fn(&mut dyn Write) -> std::io::Result<()>;

/// Creates (or truncates) `path` and fills it through a buffer.
fn write_with(path: &Path, fill: CacheWriter) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, std::fs::File::create(path)?);
    fill(&mut w)?;
    w.flush()
}

/// Whether the file holds exactly `bytes` (read in blocks, so a large page is never held twice).
fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let mut block = [0u8; 64 * 1024];
    let mut rest = bytes;
    loop {
        match file.read(&mut block) {
            Ok(0) => return rest.is_empty(),
            Ok(n) if n <= rest.len() && block[..n] == rest[..n] => rest = &rest[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            _ => return false,
        }
    }
}

/// A build-dir-relative path made only of plain segments.
fn safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && rel != MARKER
        && rel != CACHE
        && !rel.starts_with('/')
        && !rel.contains('\\')
        && rel.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
}

/// Whether the file's inode has other names (a hard link shared with the live build dir).
#[cfg(unix)]
fn shared(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    m.nlink() > 1
}

#[cfg(not(unix))]
fn shared(_: &std::fs::Metadata) -> bool {
    true
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut cur = file.parent();
    while let Some(dir) = cur {
        if dir == root || !dir.starts_with(root) || std::fs::remove_dir(dir).is_err() {
            break;
        }
        cur = dir.parent();
    }
}

/// Fills `to` with hard links to every file of `from` (a copy where linking fails).
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry?;
        let Ok(rel) = entry.path().strip_prefix(from) else { continue };
        let dst = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dst)?;
        } else if entry.file_type().is_file() && std::fs::hard_link(entry.path(), &dst).is_err() {
            std::fs::copy(entry.path(), &dst)?;
        }
    }
    Ok(())
}

/// Swaps two paths atomically (`renameat2(RENAME_EXCHANGE)`); when `b` does not exist yet, or
/// the system cannot exchange, renames instead.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    if !b.exists() {
        return std::fs::rename(a, b);
    }
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let ca = CString::new(a.as_os_str().as_bytes())?;
        let cb = CString::new(b.as_os_str().as_bytes())?;
        // SAFETY: two valid NUL-terminated paths; renameat2 reads them and returns.
        let r = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if r == 0 {
            return Ok(());
        }
    }
    // No atomic exchange here: three renames, the live output missing only between two of them.
    let tmp = a.with_extension("swap");
    std::fs::rename(b, &tmp)?;
    if let Err(e) = std::fs::rename(a, b) {
        let _ = std::fs::rename(&tmp, b);
        return Err(e);
    }
    std::fs::rename(&tmp, a)
}

fn io_error(path: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::error("io-error", path, format!("cannot write {}: {e}", display_path(path)))
}

/// `ismsbook clean`: removes the build dir and its spare, if they are ours.
pub fn clean(config: &Config) -> Result<bool, Fatal> {
    check_build_dir(config)?;
    let (staging, spare) = companions(&config.build_dir);
    let existed = config.build_dir.exists();
    for dir in [&config.build_dir, &staging, &spare] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .map_err(|e| Fatal(Diagnostic::error("io-error", dir, format!("cannot remove the build dir: {e}"))))?;
        }
    }
    Ok(existed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty folder for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ismsbook-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn stream(out: &Output, rel: &str, parts: &[&str]) -> bool {
        out.put_stream(rel, |w| {
            for p in parts {
                w.write_all(p.as_bytes()).map_err(|e| io_error(Path::new(rel), e))?;
            }
            Ok(())
        })
        .unwrap()
    }

    #[cfg(unix)]
    fn inode(p: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().ino()
    }

    #[test]
    #[cfg(unix)]
    fn streamed_file_is_rewritten_only_when_its_bytes_change() {
        let dir = scratch("stream").join("book");
        let out = Output::in_place(&dir).unwrap();
        assert!(stream(&out, "a/print.html", &["hello ", "world"]));
        let path = dir.join("a/print.html");
        let first = inode(&path);
        // The same bytes, cut differently: nothing written, same inode.
        assert!(!stream(&out, "a/print.html", &["hel", "lo wor", "", "ld"]));
        assert_eq!(inode(&path), first);
        // Each kind of difference: longer, shorter, a changed byte at the start, in the middle.
        for (parts, expect) in [
            (&["hello world", "!"][..], "hello world!"),
            (&["hello"][..], "hello"),
            (&["jello"][..], "jello"),
            (&["je", "llo there"][..], "jello there"),
            (&[][..], ""),
        ] {
            assert!(stream(&out, "a/print.html", parts), "{expect:?} not written");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), expect);
        }
        let w = out.finish().unwrap();
        assert_eq!(w.files, 7);
        assert!(!dir.join("a/.print.html.ismsbook-tmp").exists(), "temporary file left behind");
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    }

    #[test]
    fn files_put_while_writing_are_all_written_when_it_returns_and_a_failure_is_reported() {
        let dir = scratch("writing").join("book");
        let out = Output::in_place(&dir).unwrap();
        let rel = |i: usize| format!("f{}/p{i}.html", i % 7);
        out.writing(|| {
            for i in 0..500 {
                assert!(out.put(&rel(i), i.to_string().as_bytes()).unwrap());
            }
        })
        .unwrap();
        for i in 0..500 {
            assert_eq!(std::fs::read_to_string(dir.join(rel(i))).unwrap(), i.to_string());
        }
        assert_eq!(out.changed().len(), 500);
        assert_eq!(out.manifest().len(), 500);
        // A file where a folder must go: the write fails on a writer thread, and says so.
        out.put("x", b"a file").unwrap();
        let failed = out.writing(|| out.put("x/y.html", b"nowhere").unwrap());
        assert_eq!(failed.map_err(|d| d.code), Err("io-error"));
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    }

    #[test]
    fn a_failed_stream_leaves_the_old_file_and_no_temporary() {
        let dir = scratch("fail").join("book");
        let out = Output::in_place(&dir).unwrap();
        stream(&out, "print.html", &["old"]);
        let failed = out.put_stream("print.html", |w| {
            w.write_all(b"new and half").map_err(|e| io_error(Path::new("x"), e))?;
            Err(Diagnostic::error("template-error", Path::new("print.html"), "broken"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(dir.join("print.html")).unwrap(), "old");
        assert!(!dir.join(".print.html.ismsbook-tmp").exists());
        let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    }
}
