//! The pipeline, stage by stage: configuration, loading, link targets, Markdown, anchor checks
//! and backlinks, the audit, and (for `build`) rendering into a staging folder that replaces
//! the build dir only on success. `check` runs the same stages and writes nothing.
//!
//! Search (src/search): a build makes a [`SearchIndex`] of the model, feeds it every page as
//! the page is written (`add`, the `on_page` hook) and writes it (`write(out, true)`). A
//! [`Session`] keeps its index between rebuilds: a partial rebuild calls `refresh(&hb)`,
//! feeds it the pages it renders again, reads from the build dir the few that `missing()`
//! still names, and calls `write(out, false)`, which writes only the index files whose bytes
//! changed (see [`reindex`]).

use crate::audit::{self, Backlinks};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, Diagnostics, Fatal, display_path};
use crate::links::Targets;
use crate::markdown::{self, Rendered, Source};
use crate::model::Handbook;
use crate::output::{self, Output};
use crate::render::{Job, OnPage, Site};
use crate::search::SearchIndex;
use crate::theme::Theme;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
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

/// Documents rendered by the previous build of a [`Session`], by src path: the sha256 of their
/// source text and their Markdown result (headings, references; no HTML). A document whose source is unchanged is not rendered again as long as
/// the link targets (ids, titles, paths of every document and attachment) are the same.
#[derive(Default)]
pub struct Reuse {
    fingerprint: u64,
    docs: HashMap<String, (String, Rendered)>,
}

/// What a document's Markdown may depend on besides its own text: every link target.
fn targets_fingerprint(hb: &Handbook) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for d in &hb.documents {
        (&d.id, &d.path, &d.url, &d.title, d.doc_type.as_str()).hash(&mut h);
    }
    for d in &hb.excluded {
        (&d.id, &d.path, &d.classification).hash(&mut h);
    }
    hb.assets.hash(&mut h);
    h.finish()
}

/// Loads and analyses the handbook: every stage but writing.
pub fn analyse(config: Config, diags: &mut Diagnostics) -> Result<Analysis, Fatal> {
    analyse_timed(config, diags, &mut Timings::new(false), None)
}

fn analyse_timed(
    config: Config,
    diags: &mut Diagnostics,
    timings: &mut Timings,
    reuse: Option<&Reuse>,
) -> Result<Analysis, Fatal> {
    let hb = crate::load::load(config, diags)?;
    timings.lap("load");
    let fingerprint = targets_fingerprint(&hb);
    let reuse = reuse.filter(|r| r.fingerprint == fingerprint);
    let targets = Targets::new(&hb);
    // Phase one is done (every target is known): render every document in parallel.
    let (rendered, reused): (Vec<Rendered>, Vec<bool>) = hb
        .documents
        .par_iter()
        .map(|d| {
            let kept = reuse.and_then(|r| r.docs.get(&d.path)).filter(|(sha256, _)| *sha256 == d.sha256);
            if let Some((_, r)) = kept {
                return (r.clone(), true);
            }
            // Only what the cross-references need is kept (headings, references, anchors):
            // the HTML is made again when the page is written, and dropped.
            let scanned = match crate::sources::document_text(d, hb.config.max_source_size) {
                Ok(text) => markdown::scan(&Source::document(d, &text), &targets),
                Err(e) => Rendered { diagnostics: vec![e], ..Rendered::default() },
            };
            (scanned, false)
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
        .map(|(d, r)| (d.url.as_str(), r.headings.iter().map(|h| h.id.as_str()).collect()))
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
    let refs: Vec<&[crate::links::CrossRef]> = rendered.iter().map(|r| r.refs.as_slice()).collect();
    let backlinks = Backlinks::new(&hb, &refs);
    drop(refs);
    timings.lap("backlinks");
    let soa = audit::soa_rows(&hb, &backlinks);
    let mut coverage = audit::coverage(&hb, &backlinks);
    coverage.gaps.extend(crate::risk::chain_gaps(&hb, diags));
    diags.extend(coverage.gaps.iter().map(|g| g.diagnostic.clone()));
    timings.lap("audit");
    Ok(Analysis { hb, rendered, guidance, backlinks, soa, coverage, reused, fingerprint })
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
    /// Stage, wall milliseconds, resident memory (MB) at its end.
    stages: Vec<(&'static str, u128, u64)>,
}

impl Timings {
    pub fn new(on: bool) -> Timings {
        let on = on || std::env::var("ISMSBOOK_LOG").is_ok_and(|v| v.split(',').any(|w| w.trim() == "timings"));
        Timings { on, last: Instant::now(), stages: Vec::new() }
    }

    /// Ends the stage named `stage`.
    pub fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        let rss = self.on.then(|| memory_mb("VmRSS:")).flatten().unwrap_or(0);
        self.stages.push((stage, now.duration_since(self.last).as_millis(), rss));
        self.last = now;
    }

    /// `timings: load 12 ms (30 MB), markdown 40 ms (35 MB), ...; peak memory 80 MB` (memory:
    /// resident at the end of each stage), or nothing when off.
    pub fn line(&self) -> Option<String> {
        let parts: Vec<String> = self.stages.iter().map(|(s, ms, mb)| format!("{s} {ms} ms ({mb} MB)")).collect();
        let peak = memory_mb("VmHWM:").map(|mb| format!("; peak memory {mb} MB")).unwrap_or_default();
        self.on.then(|| format!("timings: {}{peak}", parts.join(", ")))
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
    run_written(opts, mode).map(|(report, _)| report)
}

/// Runs `build` or `check`; with what a successful build changed in the build dir.
fn run_written(opts: &Options, mode: Mode) -> Result<(Report, Option<output::Written>), Fatal> {
    let started = Instant::now();
    let mut timings = Timings::new(opts.timings);
    let (config, warnings) = configure(opts)?;
    if mode == Mode::Build {
        output::check_build_dir(&config)?;
    }
    let mut diags = Diagnostics::default();
    diags.extend(warnings);
    let build_dir = config.build_dir.clone();
    let theme_dir = config.theme_dir.clone();
    let mut a = analyse_timed(config, &mut diags, &mut timings, None)?;
    // A one-off run renders pages only from here on: what the analysis alone needed goes.
    for r in &mut a.rendered {
        r.release_analysis();
    }
    let counts =
        format!("{} documents, {} controls, {} clauses", a.hb.documents.len(), a.hb.controls.len(), a.hb.clauses.len());
    let mut summary = String::new();
    let mut written = None;
    // `check` renders every page too, into a sink that writes nothing, so that it fails
    // exactly where `build` fails (theme, templates).
    if !diags.has_errors() {
        let out = match mode {
            Mode::Build => Output::staged(&build_dir),
            Mode::Check => Ok(Output::discard()),
        };
        let index = mode == Mode::Build && crate::search::enabled();
        match out.and_then(|out| write(&a, theme_dir.as_deref(), out, index, &mut timings)) {
            Ok(w) if mode == Mode::Build => {
                summary = format!(
                    "built {} files ({counts}) in {} ms -> {}/ ({} written, {} removed)",
                    w.files,
                    started.elapsed().as_millis(),
                    display_path(&build_dir).trim_end_matches('/'),
                    w.changed.len(),
                    w.removed.len(),
                );
                written = Some(w);
            }
            Ok(_) => {}
            Err(d) => diags.push(d),
        }
    }
    let errors = diags.count(crate::diagnostics::Severity::Error);
    let warnings = diags.count(crate::diagnostics::Severity::Warning);
    if mode == Mode::Check {
        summary = format!("checked {counts}");
    } else if summary.is_empty() {
        summary = format!("build failed: the previous output in {} is left as it was", display_path(&build_dir));
    }
    if let Some(line) = timings.line() {
        summary = format!("{line}\n{summary}");
    }
    Ok((Report { diagnostics: diags.into_sorted(), summary, errors, warnings }, written))
}

/// Renders every page and export (and the search index when `index`) into `out` and
/// completes it.
fn write(
    a: &Analysis,
    theme_dir: Option<&std::path::Path>,
    out: Output,
    index: bool,
    timings: &mut Timings,
) -> Result<output::Written, Diagnostic> {
    let theme = Theme::load(theme_dir)?;
    let search = index.then(|| SearchIndex::new(&a.hb));
    write_pages_and_exports(a, &theme, &out, None, search.as_ref())?;
    timings.lap("pages");
    if let Some(ix) = &search {
        ix.write(&out, true)?;
        timings.lap("search");
    }
    let written = out.finish()?;
    timings.lap("swap");
    Ok(written)
}

/// What one rebuild of a [`Session`] did.
#[derive(Debug)]
pub struct Rebuilt {
    pub report: Report,
    /// Build-dir-relative files whose bytes changed, sorted; `None` when not known (treat
    /// every file as changed).
    pub changed: Option<Vec<String>>,
    /// Build-dir-relative files that no longer exist, sorted.
    pub removed: Vec<String>,
    /// Whether only the pages that depend on the change were rendered (else: everything).
    pub partial: bool,
    /// How many files were rendered (and compared with the output).
    pub rendered: usize,
}

/// A handbook kept open between builds, for `serve`: [`Session::rebuild`] is told which
/// source paths changed and rebuilds the output. When it returns, the build dir is complete.
///
/// The first build, and any change to something other than a document (book.toml, the
/// catalogue, soa.yaml, roles.yaml, risks.yaml, the theme, an attachment), renders the whole
/// site through the staged output like `build`. After edits to documents only, the analysis
/// runs again (it is what finds errors, and it is cheap next to rendering), but Markdown is
/// rendered only for documents whose text changed (all of them when a title, id or path
/// changed, since links show those), and pages are rendered only where their inputs may have
/// changed: every aggregate page (home, register, SoA, coverage, controls, clauses, roles,
/// risks, nav.js, CSV, JSON) and the page of each document whose Markdown was rendered again
/// or whose "referenced by" list changed. They are written in place (each file atomically),
/// only where the bytes differ, and pages of deleted documents are removed, so the result is
/// the same, byte for byte, as a full build (`tests/incremental.rs`).
pub struct Session {
    opts: Options,
    kept: Option<Kept>,
    /// The search index of the last build, kept up to date by partial rebuilds.
    search: Option<SearchIndex>,
}

/// What the last successful build of a session left for the next one.
struct Kept {
    reuse: Reuse,
    marks: Marks,
    /// Output files that come from sources (document pages, attachments).
    sourced: std::collections::BTreeSet<String>,
    build_date: crate::dates::Date,
    theme: Theme,
}

impl Session {
    pub fn new(opts: Options) -> Session {
        Session { opts, kept: None, search: None }
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Rebuilds after a change to `paths` (empty: build everything). A configuration that
    /// cannot be read is a [`Fatal`]; any other failure is in the report, with the last good
    /// output left in place.
    pub fn rebuild(&mut self, paths: &[PathBuf]) -> Result<Rebuilt, Fatal> {
        let started = Instant::now();
        let (config, warnings) = configure(&self.opts)?;
        output::check_build_dir(&config)?;
        let partial = self.kept.is_some() && !paths.is_empty() && paths.iter().all(|p| is_document(&config, p));
        let mut diags = Diagnostics::default();
        diags.extend(warnings);
        let build_dir = config.build_dir.clone();
        let theme_dir = config.theme_dir.clone();
        let reuse = self.kept.as_ref().filter(|_| partial).map(|k| &k.reuse);
        let mut timings = Timings::new(self.opts.timings);
        let a = analyse_timed(config, &mut diags, &mut timings, reuse)?;
        let mut outcome = None;
        if !diags.has_errors() {
            let marks = Marks::of(&a);
            // A partial rebuild updates the kept search index; anything else starts a new one.
            let search = match partial {
                true => self.search.take().inspect(|ix| ix.refresh(&a.hb)),
                false => None,
            }
            .or_else(|| crate::search::enabled().then(|| SearchIndex::new(&a.hb)));
            let written = match partial {
                true => self.write_partial(&a, &marks, &build_dir, search.as_ref()),
                false => write_full(&a, theme_dir.as_deref(), &build_dir, search.as_ref()),
            };
            timings.lap("pages");
            match written {
                Ok(done) => {
                    outcome = Some((done, marks));
                    self.search = search;
                }
                Err(d) => diags.push(d),
            }
        }
        let errors = diags.count(crate::diagnostics::Severity::Error);
        let warnings = diags.count(crate::diagnostics::Severity::Warning);
        let diagnostics = diags.into_sorted();
        let Some(((theme, files, changed, removed), marks)) = outcome else {
            let summary =
                format!("build failed: the previous output in {} is left as it was", display_path(&build_dir));
            let report = Report { diagnostics, summary, errors, warnings };
            return Ok(Rebuilt { report, changed: Some(Vec::new()), removed: Vec::new(), partial, rendered: 0 });
        };
        let mut summary = format!(
            "{} {files} files in {} ms ({} changed, {} removed)",
            if partial { "rebuilt" } else { "built" },
            started.elapsed().as_millis(),
            changed.as_ref().map_or(files, Vec::len),
            removed.len()
        );
        if let Some(line) = timings.line() {
            summary = format!("{line}\n{summary}");
        }
        let theme = theme.or_else(|| self.kept.take().map(|k| k.theme));
        self.kept = theme.map(|theme| Kept::of(a, marks, theme));
        let report = Report { diagnostics, summary, errors, warnings };
        Ok(Rebuilt { report, changed, removed, partial, rendered: files })
    }

    /// Renders the pages that may have changed into the live build dir.
    fn write_partial(
        &self,
        a: &Analysis,
        marks: &Marks,
        build_dir: &std::path::Path,
        search: Option<&SearchIndex>,
    ) -> Result<Written, Diagnostic> {
        let Some(kept) = &self.kept else {
            return Err(Diagnostic::error("internal-error", build_dir, "no previous build"));
        };
        let theme = &kept.theme;
        let targets = Targets::new(&a.hb);
        let site = site(a, &targets);
        let everything = kept.build_date != a.hb.build_date;
        // When no document changed anything but its body text, the pages made of front matter,
        // headings and citations (register, SoA, coverage, controls, clauses, roles, risks,
        // nav.js, CSV) are as they were: only the pages that show bodies or hashes are due.
        let same_surface = !everything && marks.surfaces == kept.marks.surfaces;
        let dirty = |i: usize| {
            let d = &a.hb.documents[i];
            everything || !a.reused[i] || kept.marks.cited_by.get(&d.path) != marks.cited_by.get(&d.path)
        };
        let jobs: Vec<Job> = site
            .jobs(theme)
            .into_iter()
            .filter(|j| match j {
                Job::Document(i) => dirty(*i),
                _ => !(same_surface && shows_only_surfaces(*j)),
            })
            .collect();
        let out = Output::in_place(build_dir)?;
        let files = write_pages_and_exports(a, theme, &out, Some(&jobs), search)? + reindex(search, build_dir, &out)?;
        let now = sourced(a);
        for gone in kept.sourced.difference(&now) {
            if !crate::urls::generated_pages(&a.hb).contains(gone) {
                out.remove(gone)?;
            }
        }
        let w = out.finish()?;
        Ok((None, files, Some(w.changed), w.removed))
    }
}

/// A rebuild's result: the theme loaded (none when the kept one was used), files rendered,
/// files changed (if known), files removed.
type Written = (Option<Theme>, usize, Option<Vec<String>>, Vec<String>);

/// Renders the whole site through the staged output, like `build`.
fn write_full(
    a: &Analysis,
    theme_dir: Option<&std::path::Path>,
    build_dir: &std::path::Path,
    search: Option<&SearchIndex>,
) -> Result<Written, Diagnostic> {
    // A full build reports what changed against its spare (the output before the live one):
    // a superset of the changes, fine for reloading; what was removed is measured against the
    // live output.
    let before = output_files(build_dir);
    let theme = Theme::load(theme_dir)?;
    let out = Output::staged(build_dir)?;
    let mut files = write_pages_and_exports(a, &theme, &out, None, search)?;
    if let Some(ix) = search {
        files += ix.write(&out, true)?;
    }
    let w = out.finish()?;
    let after = output_files(build_dir);
    Ok((Some(theme), files, Some(w.changed), before.difference(&after).cloned().collect()))
}

impl Kept {
    fn of(a: Analysis, marks: Marks, theme: Theme) -> Kept {
        let sourced = sourced(&a);
        let build_date = a.hb.build_date;
        let docs = a.hb.documents.into_iter().zip(a.rendered).map(|(d, r)| (d.path, (d.sha256, r))).collect();
        Kept { reuse: Reuse { fingerprint: a.fingerprint, docs }, marks, sourced, build_date, theme }
    }
}

/// Writes the pages (`jobs`, else all) and every export into `out`, side by side: pages and
/// exports are siblings that both read the analysis, neither the other. Each page is handed to
/// `search` as it is written. Returns the number of files.
fn write_pages_and_exports(
    a: &Analysis,
    theme: &Theme,
    out: &Output,
    jobs: Option<&[Job]>,
    search: Option<&SearchIndex>,
) -> Result<usize, Diagnostic> {
    let targets = Targets::new(&a.hb);
    let site = site(a, &targets);
    let index_page = |url: &str, html: &str| {
        if let Some(ix) = search {
            ix.add(url, html);
        }
    };
    let on_page: Option<OnPage> = search.map(|_| &index_page as OnPage);
    let (pages, exports) = rayon::join(
        || match jobs {
            Some(jobs) => site.write_jobs(theme, out, jobs, on_page),
            None => site.write(theme, out, on_page),
        },
        || -> Result<usize, Diagnostic> {
            let view = crate::export::View { hb: &a.hb, backlinks: &a.backlinks, soa: &a.soa, coverage: &a.coverage };
            // Each export its own job, serialised straight into its file.
            let exports = crate::export::exports(&view);
            exports.par_iter().try_for_each(|e| out.put_stream(e.path, |w| e.write(&view, w)).map(drop))?;
            Ok(exports.len())
        },
    );
    Ok(pages? + exports?)
}

/// After a partial rebuild fed the kept search index the pages it rendered: adds the pages
/// the index still misses (new to it, or changed in the model without being rendered again)
/// from the live build dir, and writes the index files whose bytes changed.
fn reindex(search: Option<&SearchIndex>, build_dir: &std::path::Path, out: &Output) -> Result<usize, Diagnostic> {
    let Some(ix) = search else { return Ok(0) };
    ix.missing().par_iter().for_each(|url| {
        if let Ok(html) = std::fs::read_to_string(build_dir.join(url)) {
            ix.add(url, &html);
        }
    });
    ix.write(out, false)
}

/// The pages of an analysed handbook; `targets` (of `a.hb`) renders each document's Markdown
/// again as its page is written.
fn site<'a>(a: &'a Analysis, targets: &'a Targets<'a>) -> Site<'a> {
    Site {
        hb: &a.hb,
        targets,
        rendered: &a.rendered,
        guidance: &a.guidance,
        backlinks: &a.backlinks,
        coverage: &a.coverage,
        soa: &a.soa,
    }
}

/// Document `i`'s "referenced by" list as JSON, to tell whether its page must be rendered.
fn cited_by(a: &Analysis, i: usize) -> String {
    let key = crate::links::TargetKey::Document(a.hb.documents[i].id.clone());
    serde_json::to_string(a.backlinks.get(&key)).unwrap_or_default()
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
#[derive(Default)]
struct Marks {
    /// The "referenced by" list, as JSON.
    cited_by: HashMap<String, String>,
    /// The [`surface`].
    surfaces: HashMap<String, u64>,
}

impl Marks {
    fn of(a: &Analysis) -> Marks {
        let each: Vec<(String, String, u64)> = (0..a.hb.documents.len())
            .into_par_iter()
            .map(|i| (a.hb.documents[i].path.clone(), cited_by(a, i), surface(a, i)))
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
/// never of body text or source hashes. A file kind not listed here is always rendered: role
/// pages, for one, list the sections of a document's body that name the role.
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
fn sourced(a: &Analysis) -> std::collections::BTreeSet<String> {
    let mut files: std::collections::BTreeSet<String> = a.hb.documents.iter().map(|d| d.url.clone()).collect();
    files.extend(a.hb.assets.iter().map(|x| crate::urls::asset_url(x)));
    files
}

/// Whether `path` (as the watcher reports it: absolute) is a document: a `.md` file under src,
/// not in the theme folder.
fn is_document(config: &Config, path: &std::path::Path) -> bool {
    let canon = |p: &std::path::Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let in_theme = config.theme_dir.as_deref().is_some_and(|t| path.starts_with(canon(t)));
    path.extension().is_some_and(|e| e == "md") && path.starts_with(canon(&config.src)) && !in_theme
}

/// Every file under the build dir, build-dir-relative with `/` separators.
fn output_files(dir: &std::path::Path) -> std::collections::BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.path().strip_prefix(dir).ok().map(|p| p.to_string_lossy().replace('\\', "/")))
        .collect()
}
