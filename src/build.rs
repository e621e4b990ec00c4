//! The pipeline, stage by stage: configuration, loading, link targets, Markdown, anchor checks
//! and backlinks, the audit, and (for `build`) rendering into a staging folder that replaces
//! the build dir only on success. `check` runs the same stages and writes nothing.
//!
//! Search (src/search): a build makes a [`SearchIndex`] of the model, feeds it every page as
//! the page is written (`add`, the `on_page` hook) and writes it (`write(out, true)`). A
//! [`Session`] keeps its index between rebuilds: a partial rebuild calls `refresh(&hb)`,
//! feeds it the pages it renders again, reads from the staged output the few that `missing()`
//! still names, and calls `write(out, false)`, which writes only the index files whose bytes
//! changed (see [`index`]).

use crate::audit::{self, Backlinks};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, Diagnostics, Fatal, display_path};
use crate::links::Targets;
use crate::markdown::{self, Rendered, Source};
use crate::model::Handbook;
use crate::output::{self, Output};
use crate::render::print::{Layout, PrintPlan, Splice};
use crate::render::{Job, OnPage, Site};
use crate::search::SearchIndex;
use crate::theme::Theme;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The folder that holds book.toml.
    pub dir: PathBuf,
    /// Overrides `[build] build-dir` (relative to the current directory).
    pub build_dir: Option<PathBuf>,
    /// Overrides `[build] classification`.
    pub classification: Option<String>,
    /// Print per-stage wall times (also `ISMSBOOK_LOG=timings`).
    pub timings: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Build,
    Check,
}

/// What a run produced: its diagnostics, and a summary line.
#[derive(Debug)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub summary: String,
    pub errors: usize,
    pub warnings: usize,
}

/// Reads the configuration with command-line overrides applied.
pub fn configure(opts: &Options) -> Result<(Config, Vec<Diagnostic>), Fatal> {
    let (mut config, warnings) = Config::load(&opts.dir)?;
    if let Some(d) = &opts.build_dir {
        config.build_dir = d.clone();
    }
    if let Some(level) = &opts.classification {
        config.check_level(level, None)?;
        config.classification = level.clone();
    }
    Ok((config, warnings))
}

/// Everything derived from the sources, before anything is written.
pub struct Analysis {
    pub hb: Handbook,
    pub rendered: Vec<Rendered>,
    /// Guidance HTML per control (`hb.controls` order).
    pub guidance: Vec<String>,
    pub backlinks: Backlinks,
    pub soa: Vec<audit::SoaRow>,
    pub coverage: audit::Coverage,
    /// `reused[i]`: `rendered[i]` came from the previous build (see [`Reuse`]).
    pub reused: Vec<bool>,
    /// The fingerprint of every link target this analysis rendered against.
    pub fingerprint: u64,
}

/// Documents rendered by a previous build, by src path: the sha256 of their source text and
/// their Markdown result (headings, references, anchors, diagnostics; no HTML). A document whose
/// source is unchanged is not rendered again as long as the [`fingerprint`] is the same.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct Reuse {
    fingerprint: u64,
    docs: HashMap<String, (String, Rendered)>,
}

impl Reuse {
    /// Puts back the scans `a` took from this cache (those it reused): a failed build leaves
    /// the cache as it found it.
    fn restore(&mut self, a: Analysis) {
        let docs = a.hb.documents.into_iter().zip(a.rendered).zip(a.reused);
        self.docs.extend(docs.filter(|(_, reused)| *reused).map(|((d, r), _)| (d.path, (d.sha256, r))));
    }
}

/// What a document's Markdown and every page may depend on besides the documents' own text:
/// every link target (ids, titles, paths and types of the documents, excluded documents,
/// attachments), and every input that is not a document: the configuration (book.toml with
/// the command-line overrides: classification, build dir, theme folder, base URL...), the
/// build date (SOURCE_DATE_EPOCH), the catalogue, soa.yaml, roles.yaml, risks.yaml, the
/// environment switches (ISMSBOOK_NO_SEARCH) and the ismsbook binary itself.
fn fingerprint(hb: &Handbook) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for d in &hb.documents {
        (&d.id, &d.path, &d.url, &d.title, d.doc_type.as_str()).hash(&mut h);
    }
    for d in &hb.excluded {
        (&d.id, &d.path, &d.classification).hash(&mut h);
    }
    hb.assets.hash(&mut h);
    format!(
        "{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}",
        hb.config,
        hb.build_date,
        hb.frameworks,
        hb.clauses,
        hb.controls,
        hb.soa,
        hb.soa_file,
        hb.soa_lines,
        hb.roles,
        // The register's own text decides the rest of it (its index is a HashMap: no stable order).
        hb.risks.as_ref().map(|r| (&r.file, &r.text, r.published))
    )
    .hash(&mut h);
    (crate::search::enabled(), binary_id()).hash(&mut h);
    h.finish()
}

/// The running ismsbook binary: its version, size and modification time (a rebuilt binary may
/// render differently, so its cache is not trusted).
fn binary_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let exe = std::env::current_exe().ok().and_then(|p| output::Stamp::of_file(&p));
        format!("{} {:?}", env!("CARGO_PKG_VERSION"), exe.map(|s| (s.len, s.mtime_ns)))
    })
    .clone()
}

/// Loads and analyses the handbook: every stage but writing.
pub fn analyse(config: Config, diags: &mut Diagnostics) -> Result<Analysis, Fatal> {
    analyse_timed(config, diags, &mut Timings::new(false), None, None)
}

fn analyse_timed(
    config: Config,
    diags: &mut Diagnostics,
    timings: &mut Timings,
    reuse: Option<&mut Reuse>,
    memo: Option<&mut crate::load::Memo>,
) -> Result<Analysis, Fatal> {
    let hb = crate::load::load_with(config, diags, memo)?;
    timings.lap("load");
    let fingerprint = fingerprint(&hb);
    // The previous scans are moved out of the cache, never copied: each exists once. Those of
    // another fingerprint are of no use to any build from now on: they go at once.
    let mut kept: Vec<Option<Rendered>> = match reuse {
        Some(r) if r.fingerprint != fingerprint => {
            r.docs = HashMap::new();
            Vec::new()
        }
        Some(r) => hb
            .documents
            .iter()
            .map(|d| r.docs.remove(&d.path).filter(|(sha256, _)| *sha256 == d.sha256).map(|(_, r)| r))
            .collect(),
        None => Vec::new(),
    };
    kept.resize_with(hb.documents.len(), || None);
    let targets = Targets::new(&hb);
    // Phase one is done (every target is known): render every document in parallel.
    let (rendered, reused): (Vec<Rendered>, Vec<bool>) = hb
        .documents
        .par_iter()
        .zip(kept.into_par_iter())
        .map(|(d, kept)| {
            if let Some(r) = kept {
                return (compact(r), true);
            }
            // Only what the cross-references need is kept (headings, references, anchors):
            // the HTML is made again when the page is written, and dropped.
            let scanned = match crate::sources::document_text(d, hb.config.max_source_size) {
                Ok(text) => markdown::scan(&Source::document(d, &text), &targets),
                Err(e) => Rendered { diagnostics: vec![e], ..Rendered::default() },
            };
            (compact(scanned), false)
        })
        .unzip();
    let guidance: Vec<String> = hb
        .controls
        .iter()
        .map(|c| {
            let src = Source { file: &c.file, text: &c.guidance, offset: 0, page: "controls/x.html", doc_path: None };
            let r = markdown::render(&src, &targets);
            let (first, indent) = if r.diagnostics.is_empty() { (0, 0) } else { guidance_start(c) };
            diags.extend(r.diagnostics.into_iter().map(|d| {
                let (line, col) = (d.line + first, d.column + indent);
                d.at(line, col)
            }));
            r.html
        })
        .collect();
    timings.lap("markdown");
    // Phase two: anchors against the headings each page really has.
    let headings: HashMap<&str, HashSet<&str>> = hb
        .documents
        .iter()
        .zip(&rendered)
        .map(|(d, r)| (d.url.as_str(), r.headings.iter().map(|h| &*h.id).collect()))
        .collect();
    for r in &rendered {
        diags.extend(r.diagnostics.iter().cloned());
        for a in &r.anchors {
            if let Some(ids) = headings.get(a.page.as_str())
                && !ids.contains(a.anchor.as_str())
            {
                let known: Vec<&str> = ids.iter().copied().collect();
                let close = crate::links::suggest(&a.anchor, &known);
                let mut d =
                    Diagnostic::error("broken-anchor", &a.file, format!("no heading #{} in {}", a.anchor, a.page))
                        .at_pos(a.pos);
                if let Some(c) = close.first() {
                    d = d.hint(format!("did you mean #{c}?"));
                }
                diags.push(d);
            }
        }
    }
    drop(headings);
    timings.lap("anchors");
    drop(targets);
    let mut hb = hb;
    publishable_attachments(&mut hb, &rendered);
    let backlinks = Backlinks::new(&hb, &rendered);
    timings.lap("backlinks");
    let soa = audit::soa_rows(&hb, &backlinks);
    let mut coverage = audit::coverage(&hb, &backlinks);
    coverage.gaps.extend(crate::risk::chain_gaps(&hb, diags));
    diags.extend(coverage.gaps.iter().map(|g| g.diagnostic.clone()));
    // The front matter's text served the positions of the diagnostics above: pages read their
    // source again.
    for d in &mut hb.documents {
        d.release_source();
    }
    timings.lap("audit");
    Ok(Analysis { hb, rendered, guidance, backlinks, soa, coverage, reused, fingerprint })
}

/// A document's scan without spare capacity: it is kept for the whole build (and in the
/// rebuild cache), and the vectors it is made of grew by doubling.
fn compact(mut r: Rendered) -> Rendered {
    r.headings.shrink_to_fit();
    r.refs.shrink_to_fit();
    r.anchors.shrink_to_fit();
    r.diagnostics.shrink_to_fit();
    r.attachments.shrink_to_fit();
    r
}

/// Keeps the attachments this build may publish. An attachment takes the classification of
/// the most permissive document that links to it: one linked from a published document is
/// published; one that only excluded documents link to is not; one that nothing links to is
/// published only when the build's level is at least `[build] classification` in book.toml.
fn publishable_attachments(hb: &mut Handbook, rendered: &[Rendered]) {
    let linked: HashSet<&str> = rendered.iter().flat_map(|r| r.attachments.iter().map(String::as_str)).collect();
    let excluded_only: HashSet<&str> =
        hb.excluded.iter().flat_map(|d| d.attachments.iter().map(String::as_str)).collect();
    let cfg = &hb.config;
    let unlinked_published = cfg.level_rank(&cfg.classification) >= cfg.level_rank(&cfg.configured_classification);
    let keep: Vec<String> = hb
        .assets
        .iter()
        .filter(|a| linked.contains(a.as_str()) || (!excluded_only.contains(a.as_str()) && unlinked_published))
        .cloned()
        .collect();
    hb.assets = keep;
}

/// Where a control's guidance text starts in its catalogue file: the line before it, and the
/// indentation of a block scalar (best effort: YAML values carry no positions).
fn guidance_start(c: &crate::model::Control) -> (usize, usize) {
    let Ok(text) = std::fs::read_to_string(&c.file) else { return (0, 0) };
    let lines: Vec<&str> = text.lines().collect();
    let Some(i) = (c.line.saturating_sub(1)..lines.len()).find(|&i| lines[i].trim_start().starts_with("guidance:"))
    else {
        return (c.line, 0);
    };
    if !(lines[i].trim_end().ends_with('|') || lines[i].trim_end().ends_with('>')) {
        return (i, 0);
    }
    let indent = lines[i + 1..].iter().find(|l| !l.trim().is_empty()).map_or(0, |l| l.len() - l.trim_start().len());
    (i + 1, indent)
}

/// Per-stage wall times, printed under `--timings` or `ISMSBOOK_LOG=timings`.
pub struct Timings {
    on: bool,
    last: Instant,
    /// CPU time of the process (user + system, ms) at the end of the last stage.
    last_cpu: u64,
    /// Stage, wall milliseconds, CPU milliseconds (all threads), resident memory (MB) at its end.
    stages: Vec<(&'static str, u128, u64, u64)>,
}

impl Timings {
    pub fn new(on: bool) -> Timings {
        let on = on || std::env::var("ISMSBOOK_LOG").is_ok_and(|v| v.split(',').any(|w| w.trim() == "timings"));
        Timings { on, last: Instant::now(), last_cpu: cpu_ms().unwrap_or(0), stages: Vec::new() }
    }

    /// Ends the stage named `stage`.
    pub fn lap(&mut self, stage: &'static str) {
        release_freed_memory();
        let now = Instant::now();
        let rss = self.on.then(|| memory_mb("VmRSS:")).flatten().unwrap_or(0);
        let cpu = self.on.then(cpu_ms).flatten().unwrap_or(0);
        self.stages.push((stage, now.duration_since(self.last).as_millis(), cpu.saturating_sub(self.last_cpu), rss));
        self.last = now;
        self.last_cpu = cpu;
    }

    /// `timings: load 12 ms (cpu 20 ms, 30 MB), markdown 40 ms (cpu 75 ms, 35 MB), ...; peak
    /// memory 80 MB` (cpu: the time all threads spent, user and system; memory: resident at the
    /// end of each stage), or nothing when off.
    pub fn line(&self) -> Option<String> {
        let parts: Vec<String> =
            self.stages.iter().map(|(s, ms, cpu, mb)| format!("{s} {ms} ms (cpu {cpu} ms, {mb} MB)")).collect();
        let peak = memory_mb("VmHWM:").map(|mb| format!("; peak memory {mb} MB")).unwrap_or_default();
        self.on.then(|| format!("timings: {}{peak}", parts.join(", ")))
    }
}

/// The CPU time this process has used so far, user and system, all threads (ms; Linux).
fn cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name (in parentheses, which may hold spaces): field 3 onwards;
    // utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) * 10)
}

/// Hands the memory freed by the stage that ended back to the system: glibc keeps freed
/// blocks in each thread's arena, so the resident size would otherwise stay at the high
/// water mark of every earlier stage added together.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator's own heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A memory figure of this process from /proc/self/status (Linux), in MB: `VmRSS:` resident
/// now, `VmHWM:` peak.
fn memory_mb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// Runs `build` or `check`.
pub fn run(opts: &Options, mode: Mode) -> Result<Report, Fatal> {
    match mode {
        Mode::Build => Session::new(opts.clone()).rebuild(&[]).map(|r| r.report),
        Mode::Check => check(opts),
    }
}

/// `check`: every stage of a build, pages rendered into a sink that writes nothing, so that it
/// fails exactly where `build` fails (theme, templates).
fn check(opts: &Options) -> Result<Report, Fatal> {
    let mut timings = Timings::new(opts.timings);
    let (config, warnings) = configure(opts)?;
    let mut diags = Diagnostics::default();
    diags.extend(warnings);
    let theme_dir = config.theme_dir.clone();
    let mut a = analyse_timed(config, &mut diags, &mut timings, None, None)?;
    // Pages are rendered only from here on: what the analysis alone needed goes.
    for r in &mut a.rendered {
        r.release_analysis();
    }
    if !diags.has_errors() {
        let out = Output::discard();
        let written = Theme::load(theme_dir.as_deref()).and_then(|theme| {
            let (pages, exports) = rayon::join(
                || write_pages(&a, &theme, &out, None, None, false, None),
                || write_exports(&a, &out, Exports::All),
            );
            pages.and(exports)
        });
        timings.lap("pages");
        if let Err(d) = written {
            diags.push(d);
        }
    }
    let mut summary = format!("checked {}", counts(&a));
    if let Some(line) = timings.line() {
        summary = format!("{line}\n{summary}");
    }
    let errors = diags.count(crate::diagnostics::Severity::Error);
    let warnings = diags.count(crate::diagnostics::Severity::Warning);
    Ok(Report { diagnostics: diags.into_sorted(), summary, errors, warnings })
}

fn counts(a: &Analysis) -> String {
    format!("{} documents, {} controls, {} clauses", a.hb.documents.len(), a.hb.controls.len(), a.hb.clauses.len())
}

/// What one build of a [`Session`] did.
#[derive(Debug)]
pub struct Rebuilt {
    pub report: Report,
    /// Build-dir-relative files whose bytes changed, sorted; `None` when not known (treat
    /// every file as changed).
    pub changed: Option<Vec<String>>,
    /// Build-dir-relative files that no longer exist, sorted.
    pub removed: Vec<String>,
    /// Whether only the pages whose inputs changed were rendered (else: everything).
    pub partial: bool,
    /// How many files were rendered (and compared with the output).
    pub rendered: usize,
}

/// The incremental build engine, for `build` and `serve` alike: a handbook whose last build is
/// known, rebuilt by [`Session::rebuild`]. When it returns, the build dir is complete.
///
/// What the last successful build knew ([`Kept`]: every document's sha256 and Markdown result,
/// the [`Marks`] that decide which pages depend on what, the [`fingerprint`] of every
/// non-document input, the theme's hash and the [`output::Manifest`] of the output) stays in
/// memory between the rebuilds of `serve`, and is saved in the build dir as the rebuild cache
/// ([`output::CACHE`]) for the next process: a session with no memory of its own reads it.
///
/// Every build runs the analysis (it is what finds errors; a document whose sha256 and
/// fingerprint are unchanged is not scanned again) and writes through the staged output (so a
/// failed or killed build leaves the last good output complete). It renders everything when
/// there is no usable cache, when the fingerprint or the theme changed, or when a file of the
/// live output no longer matches the manifest (edited, replaced or deleted by someone else:
/// rendering everything repairs it). Otherwise it renders only:
/// - the page of each document whose source changed or whose "referenced by" list changed;
/// - every page made of document surfaces (register, SoA, coverage, controls, clauses, risks,
///   nav.js, exports; see [`shows_only_surfaces`]) when any document's [`surface`] changed;
/// - the pages that show body text (home, roles, print.html) when any document's text
///   changed, and of the exports only handbook.json (it shows each source's sha256);
/// - attachments whose file changed; the search index when any page changed or was removed;
///
/// and keeps every other file of the previous output as it is (verified against the
/// manifest, hard-linked into the staging folder). The result equals a clean build byte for
/// byte (`tests/incremental.rs`).
pub struct Session {
    opts: Options,
    kept: Option<Kept>,
    /// The search index of the last build, complete, kept up to date by partial rebuilds.
    search: Option<SearchIndex>,
    /// Whether the build dir's cache was read already (it is read once, before the first build).
    cache_read: bool,
    /// For a watched session (`serve`): the documents as last loaded, so that only the files
    /// reported changed (or whose stamp changed) are read again.
    memo: Option<crate::load::Memo>,
    /// The build dir whose cache a watched session has yet to [`save`](Session::save).
    unsaved: Option<PathBuf>,
}

/// What the last successful build of a session left for the next one: the rebuild cache.
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept {
    /// [`CACHE_FORMAT`].
    format: String,
    reuse: Reuse,
    marks: Marks,
    /// A hash of the theme's files.
    theme: u64,
    /// Output files that come from sources (document pages, attachments).
    sourced: BTreeSet<String>,
    /// Each attachment's source file as it was copied.
    assets: BTreeMap<String, output::Stamp>,
    /// The files the search indexer wrote.
    index_files: BTreeSet<String>,
    /// Every file of the output.
    manifest: output::Manifest,
    /// Where each document's section lies in print.html.
    print: Option<Layout>,
}

/// The version of the cache's layout: a cache of another layout is ignored.
const CACHE_FORMAT: &str = "ismsbook-rebuild-cache 3";

impl Kept {
    /// The cache in `build_dir`, if there is one of this layout that reads (a missing, corrupt
    /// or foreign cache is no cache: everything is rendered and the manifest check decides).
    fn read(build_dir: &Path) -> Option<Kept> {
        let bytes = std::fs::read(build_dir.join(output::CACHE)).ok()?;
        let kept: Kept = serde_json::from_slice(&bytes).ok()?;
        (kept.format == CACHE_FORMAT).then_some(kept)
    }
}

impl Kept {
    /// Writes the cache as JSON into `w`, as it is serialised.
    fn write(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(w, self).map_err(std::io::Error::other)
    }
}

impl Session {
    /// Writes the rebuild cache of the last build of a watched session, if not yet written.
    pub fn save(&mut self) -> Result<(), Diagnostic> {
        match (self.unsaved.take(), &self.kept) {
            (Some(dir), Some(kept)) => output::save_cache(&dir, &|w| kept.write(w)),
            _ => Ok(()),
        }
    }

    /// A session for one build, or for builds of sources that may change unseen.
    pub fn new(opts: Options) -> Session {
        Session { opts, kept: None, search: None, cache_read: false, memo: None, unsaved: None }
    }

    /// A session whose caller reports every changed path to [`Session::rebuild`] (`serve`'s
    /// watcher): documents not reported, and whose files' stamps are unchanged, are not read
    /// again; the rebuild cache is written by [`Session::save`], once the pages are told.
    pub fn watched(opts: Options) -> Session {
        Session { memo: Some(crate::load::Memo::default()), ..Session::new(opts) }
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Rebuilds after a change to `paths` (empty: unknown; every source is compared with the
    /// last build either way). A configuration that cannot be read is a [`Fatal`]; any other
    /// failure is in the report, with the last good output left in place.
    pub fn rebuild(&mut self, paths: &[PathBuf]) -> Result<Rebuilt, Fatal> {
        if let Some(memo) = &mut self.memo {
            memo.reported = paths.iter().cloned().collect();
        }
        let started = Instant::now();
        let mut timings = Timings::new(self.opts.timings);
        let (config, warnings) = configure(&self.opts)?;
        output::check_build_dir(&config)?;
        if !self.cache_read {
            self.cache_read = true;
            self.kept = Kept::read(&config.build_dir);
            timings.lap("cache");
        }
        let mut diags = Diagnostics::default();
        diags.extend(warnings);
        let build_dir = config.build_dir.clone();
        let theme_dir = config.theme_dir.clone();
        let reuse = self.kept.as_mut().map(|k| &mut k.reuse);
        let a = analyse_timed(config, &mut diags, &mut timings, reuse, self.memo.as_mut())?;
        let counts = counts(&a);
        let mut outcome = None;
        if diags.has_errors() {
            // The scans the analysis took from the cache go back, for the next attempt.
            if let Some(k) = &mut self.kept {
                k.reuse.restore(a);
            }
        } else {
            let search = self.search.take();
            let watched = self.memo.is_some();
            match write_incremental(
                self.kept.as_ref(),
                search,
                a,
                theme_dir.as_deref(),
                &build_dir,
                watched,
                &mut timings,
            ) {
                Ok((done, search)) => {
                    outcome = Some(done);
                    self.search = search;
                }
                Err(d) => diags.push(d),
            }
        }
        let errors = diags.count(crate::diagnostics::Severity::Error);
        let warnings = diags.count(crate::diagnostics::Severity::Warning);
        let diagnostics = diags.into_sorted();
        let Some((kept, w, rendered, partial)) = outcome else {
            let summary =
                format!("build failed: the previous output in {} is left as it was", display_path(&build_dir));
            let report = Report { diagnostics, summary, errors, warnings };
            return Ok(Rebuilt { report, changed: Some(Vec::new()), removed: Vec::new(), partial: false, rendered: 0 });
        };
        let mut summary = format!(
            "built {} files ({counts}) in {} ms, {rendered} rendered -> {}/ ({} written, {} removed)",
            kept.manifest.len(),
            started.elapsed().as_millis(),
            display_path(&build_dir).trim_end_matches('/'),
            w.changed.len(),
            w.removed.len(),
        );
        if let Some(line) = timings.line() {
            summary = format!("{line}\n{summary}");
        }
        self.kept = Some(kept);
        self.unsaved = self.memo.is_some().then_some(build_dir);
        let report = Report { diagnostics, summary, errors, warnings };
        Ok(Rebuilt { report, changed: Some(w.changed), removed: w.removed, partial, rendered })
    }
}

/// Which exports a build renders.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Exports {
    All,
    /// handbook.json alone: the one export that shows each source's sha256.
    SourceHashes,
    None,
}

/// What one build wrote: the new cache, what changed, how many files were rendered, whether
/// that was a part only.
type Done = (Kept, output::Written, usize, bool);

/// Renders what changed since `kept` (everything without it) into the staged output, keeps the
/// rest, and swaps it in. `search` is the session's complete index of the last build, if any.
/// A `watched` session (`serve`) saves the cache later and keeps its index whole for the next
/// build; otherwise the index writes each chunk as soon as it is complete, and is not kept.
/// Returns what it did and the index to keep.
fn write_incremental(
    kept: Option<&Kept>,
    search: Option<SearchIndex>,
    a: Analysis,
    theme_dir: Option<&Path>,
    build_dir: &Path,
    watched: bool,
    timings: &mut Timings,
) -> Result<(Done, Option<SearchIndex>), Diagnostic> {
    let theme = Theme::load(theme_dir)?;
    let theme_hash = theme_hash(&theme);
    let marks = Marks::of(&a, kept.map(|k| &k.marks));
    let assets = asset_stamps(&a.hb);
    let usable = kept.filter(|k| k.reuse.fingerprint == a.fingerprint && k.theme == theme_hash);
    let out = Output::staged(build_dir, usable.map(|k| &k.manifest))?;
    let previous = usable.filter(|_| out.tampered().is_empty());
    timings.lap("verify");
    let targets = Targets::new(&a.hb);
    let all = site(&a, &targets, None).jobs(&theme);
    let (jobs, exports) = match previous {
        None => (all, Exports::All),
        Some(k) => {
            let surfaces_changed = marks.surfaces != k.marks.surfaces;
            let bodies_changed = a.reused.iter().any(|r| !r);
            let dirty = |i: usize| {
                let path = &a.hb.documents[i].path;
                !a.reused[i] || k.marks.cited_by.get(path) != marks.cited_by.get(path)
            };
            let jobs: Vec<Job> = all
                .into_iter()
                .filter(|j| match *j {
                    Job::Document(i) => dirty(i),
                    Job::SrcAsset(i) => k.assets.get(&a.hb.assets[i]) != assets.get(&a.hb.assets[i]),
                    job if shows_only_surfaces(job) => surfaces_changed,
                    _ => surfaces_changed || bodies_changed,
                })
                .collect();
            let exports = match (surfaces_changed, bodies_changed) {
                (true, _) => Exports::All,
                (false, true) => Exports::SourceHashes,
                (false, false) => Exports::None,
            };
            (jobs, exports)
        }
    };
    let rendered = jobs.len();
    let full = previous.is_none();
    // The session's index is reused with the rest of the output, else a new one is made.
    let (search, fresh) = match search.filter(|_| previous.is_some()) {
        Some(ix) => {
            ix.refresh(&a.hb);
            (Some(ix), false)
        }
        None => (crate::search::enabled().then(|| SearchIndex::new(&a.hb)), true),
    };
    // print.html: the section of each document whose source was not scanned again is copied
    // from the previous file (its other inputs are in the fingerprint).
    let print = PrintPlan {
        splice: previous.and_then(|k| k.print.clone()).map(|layout| Splice {
            file: out.path("print.html"),
            layout,
            changed: a.reused.iter().map(|r| !r).collect(),
        }),
        made: Default::default(),
    };
    let spill = !watched && fresh;
    write_pages(&a, &theme, &out, (!full).then_some(&jobs[..]), search.as_ref(), spill, Some(&print))?;
    timings.lap("pages");
    // The layout of print.html: the new one when it was made, else the kept file's.
    let print =
        print.made.into_inner().unwrap_or_else(|e| e.into_inner()).or_else(|| previous.and_then(|k| k.print.clone()));
    let sourced_now = sourced(&a);
    let gone: Vec<&String> = previous.map(|k| k.sourced.difference(&sourced_now).collect()).unwrap_or_default();
    // Pages of documents and attachments that are gone are not kept.
    for rel in &gone {
        out.remove(rel)?;
    }
    // The exports are written beside the search index, whose postings are put together on
    // one thread: the other core has them to do meanwhile.
    let (indexed, exported) = rayon::join(
        || -> Result<_, Diagnostic> {
            Ok(match (search, previous) {
                (Some(ix), Some(k))
                    if fresh && gone.is_empty() && !out.changed().iter().any(|f| f.ends_with(".html")) =>
                {
                    // No page changed: the index files are kept as they are (this new index has not
                    // seen the pages, so it is not kept either).
                    drop(ix);
                    (None, k.index_files.clone())
                }
                (Some(ix), previous) => {
                    let files = index(&ix, &out, fresh)?;
                    for rel in previous.map(|k| k.index_files.difference(&files).collect()).unwrap_or_else(Vec::new) {
                        out.remove(rel)?;
                    }
                    // An index that wrote chunks while it was fed cannot lay them out again.
                    (Some(ix).filter(|ix| !ix.written_early()), files)
                }
                (None, _) => (None, BTreeSet::new()),
            })
        },
        || write_exports(&a, &out, exports),
    );
    let (search, index_files) = indexed?;
    exported?;
    if previous.is_some() {
        out.keep();
    }
    timings.lap("search, exports");
    let manifest = out.manifest();
    let sourced = sourced_now;
    let kept = Kept {
        format: CACHE_FORMAT.to_string(),
        marks,
        theme: theme_hash,
        sourced,
        assets,
        index_files,
        manifest,
        print,
        reuse: Reuse {
            fingerprint: a.fingerprint,
            docs: a.hb.documents.into_iter().zip(a.rendered).map(|(d, r)| (d.path, (d.sha256, r))).collect(),
        },
    };
    match watched {
        true => out.write_cache(None)?,
        false => out.write_cache(Some(&|w| kept.write(w)))?,
    }
    timings.lap("cache");
    let w = out.finish()?;
    timings.lap("swap");
    Ok(((kept, w, rendered, !full), search))
}

/// A hash of every file of the theme.
fn theme_hash(theme: &Theme) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in theme.templates.iter().chain(&theme.assets) {
        (&f.name, &f.bytes).hash(&mut h);
    }
    h.finish()
}

/// The stamp of each attachment's source file.
fn asset_stamps(hb: &Handbook) -> BTreeMap<String, output::Stamp> {
    hb.assets
        .par_iter()
        .filter_map(|rel| output::Stamp::of_file(&hb.config.src.join(rel)).map(|s| (rel.clone(), s)))
        .collect()
}

/// Writes the pages (`jobs`, else all) into `out`; each page is handed to `search` as it is
/// written (which writes its chunks into `out` as they are complete when `spill`).
fn write_pages(
    a: &Analysis,
    theme: &Theme,
    out: &Output,
    jobs: Option<&[Job]>,
    search: Option<&SearchIndex>,
    spill: bool,
    print: Option<&PrintPlan>,
) -> Result<(), Diagnostic> {
    let targets = Targets::new(&a.hb);
    let site = site(a, &targets, print);
    // Files are written by the output's own threads while the pages are rendered (and
    // indexed by the index's own thread).
    let write = |on_page: Option<OnPage>| {
        out.writing(|| match jobs {
            Some(jobs) => site.write_jobs(theme, out, jobs, on_page),
            None => site.write(theme, out, on_page),
        })
    };
    match search {
        Some(ix) => ix.feeding(spill.then_some(out), |feed| write(Some(feed))),
        None => write(None),
    }?
    .map(drop)
}

/// Writes the `exports` due into `out`, each its own job, serialised straight into its file.
fn write_exports(a: &Analysis, out: &Output, exports: Exports) -> Result<(), Diagnostic> {
    let view = crate::export::View { hb: &a.hb, backlinks: &a.backlinks, soa: &a.soa, coverage: &a.coverage };
    let due = |e: &crate::export::Export| match exports {
        Exports::All => true,
        Exports::SourceHashes => e.path == "handbook.json",
        Exports::None => false,
    };
    let files: Vec<crate::export::Export> = crate::export::exports(&view).into_iter().filter(due).collect();
    files.par_iter().try_for_each(|e| out.put_stream(e.path, |w| e.write(&view, w)).map(drop))
}

/// Completes the search index `ix` after the pages were written (and fed to it): adds the
/// pages it still misses (new to it, or changed in the model without being rendered again; all
/// of them for a `fresh` index that saw only the pages rendered) from the staged output, and
/// writes its files (all of them when `fresh`, else those whose bytes changed). Returns its
/// files.
fn index(ix: &SearchIndex, out: &Output, fresh: bool) -> Result<BTreeSet<String>, Diagnostic> {
    ix.missing().par_iter().for_each(|url| {
        if let Ok(html) = std::fs::read_to_string(out.path(url)) {
            ix.add(url, &html);
        }
    });
    out.writing(|| ix.write(out, fresh))??;
    Ok(ix.written())
}

/// The pages of an analysed handbook; `targets` (of `a.hb`) renders each document's Markdown
/// again as its page is written.
fn site<'a>(a: &'a Analysis, targets: &'a Targets<'a>, print: Option<&'a PrintPlan>) -> Site<'a> {
    Site {
        hb: &a.hb,
        targets,
        rendered: &a.rendered,
        guidance: &a.guidance,
        backlinks: &a.backlinks,
        coverage: &a.coverage,
        soa: &a.soa,
        print,
        pagers: Default::default(),
    }
}

/// A hash of document `i`'s "referenced by" list, to tell whether its page must be rendered.
fn cited_by(a: &Analysis, i: usize) -> u64 {
    use std::hash::{Hash, Hasher};
    let key = crate::links::TargetKey::Document(a.hb.documents[i].id.clone());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(a.backlinks.get(&key)).unwrap_or_default().hash(&mut h);
    h.finish()
}

/// A hash of what pages other than its own show of a document: its front matter (without the
/// source's hash), headings, citations (with their sections) and attachments.
fn surface(a: &Analysis, i: usize) -> u64 {
    use std::hash::{Hash, Hasher};
    let (d, r) = (&a.hb.documents[i], &a.rendered[i]);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut front = serde_json::to_value(d).unwrap_or_default();
    if let Some(o) = front.as_object_mut() {
        o.remove("sha256");
    }
    front.to_string().hash(&mut h);
    format!("{:?}{:?}", r.headings, r.refs).hash(&mut h);
    r.attachments.hash(&mut h);
    h.finish()
}

/// What decides which pages a partial rebuild renders, per document (by src path).
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Marks {
    /// The hash of the "referenced by" list.
    cited_by: HashMap<String, u64>,
    /// The [`surface`].
    surfaces: HashMap<String, u64>,
}

impl Marks {
    /// The marks of `a`; the surface of a document whose scan was reused (same source, same
    /// fingerprint) is taken from the `previous` marks.
    fn of(a: &Analysis, previous: Option<&Marks>) -> Marks {
        let each: Vec<(String, u64, u64)> = (0..a.hb.documents.len())
            .into_par_iter()
            .map(|i| {
                let path = &a.hb.documents[i].path;
                let known = previous.filter(|_| a.reused[i]).and_then(|m| m.surfaces.get(path));
                (path.clone(), cited_by(a, i), known.copied().unwrap_or_else(|| surface(a, i)))
            })
            .collect();
        let mut marks = Marks::default();
        for (path, cited, surface) in each {
            marks.cited_by.insert(path.clone(), cited);
            marks.surfaces.insert(path, surface);
        }
        marks
    }
}

/// The files made only of document surfaces (see [`surface`]) and the non-document sources,
/// never of body text or source hashes. A file kind not listed here is rendered whenever a
/// document's text changed: role pages, for one, list the sections of a document's body that
/// name the role.
fn shows_only_surfaces(job: Job) -> bool {
    matches!(
        job,
        Job::Register
            | Job::Soa
            | Job::Coverage
            | Job::Nav
            | Job::Sitemap
            | Job::NotFound
            | Job::ControlsIndex
            | Job::ClausesIndex
            | Job::RolesIndex
            | Job::Control(_)
            | Job::Clause(_)
            | Job::RisksIndex
            | Job::Risk(_)
            | Job::ThemeAsset(_)
    )
}

/// The output files that come from sources: document pages and attachments.
fn sourced(a: &Analysis) -> BTreeSet<String> {
    let mut files: BTreeSet<String> = a.hb.documents.iter().map(|d| d.url.clone()).collect();
    files.extend(a.hb.assets.iter().map(|x| crate::urls::asset_url(x)));
    files
}
