//! Loading: the source folder into a typed [`Handbook`].
//!
//! Walks src (skipping hidden files, the build dir and the theme folder), reads every Markdown
//! file's YAML front matter into a [`Document`], and reads the catalogue files, `soa.yaml` and
//! `roles.yaml`. Problems become diagnostics; a file that cannot be read at all is left out.

use crate::config::Config;
use crate::dates::Date;
use crate::diagnostics::{Diagnostic, Diagnostics, Fatal, Pos, display_path};
use crate::model::*;
use crate::yaml::{self, OneOrMany, Scalar};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

pub const SOA_FILE: &str = "soa.yaml";
pub const ROLES_FILE: &str = "roles.yaml";
pub const CATALOGUE_DIR: &str = "catalogue";

/// What the previous load of a `serve` session read of each document (by src path): the
/// file's stamp then and the result. A document whose file the watcher did not report and whose
/// stamp (size, mtime, inode) is unchanged is not read, parsed or hashed again.
#[derive(Default)]
pub struct Memo {
    docs: HashMap<String, (crate::output::Stamp, Loaded)>,
    /// The paths (absolute, as the watcher reports them) changed since the last load.
    pub reported: HashSet<PathBuf>,
}

/// One document as loading found it.
type Loaded = (Option<Document>, Vec<Diagnostic>);

impl Memo {
    /// Loads the documents `rel` of src, reusing what is still current, and remembers them.
    fn load(&mut self, config: &Config, real_src: &Path, rels: &[String]) -> Vec<Loaded> {
        let fresh: Vec<(&String, Option<crate::output::Stamp>, Loaded)> = rels
            .par_iter()
            .map(|rel| {
                let stamp = crate::output::Stamp::of_file(&config.src.join(rel));
                let known = self
                    .docs
                    .get(rel)
                    .filter(|(was, _)| Some(*was) == stamp && !self.reported.contains(&real_src.join(rel)));
                let loaded = known.map_or_else(|| load_document(config, rel), |(_, l)| l.clone());
                (rel, stamp, loaded)
            })
            .collect();
        self.docs = fresh.iter().filter_map(|(rel, s, l)| s.map(|s| ((*rel).clone(), (s, l.clone())))).collect();
        fresh.into_iter().map(|(_, _, l)| l).collect()
    }
}

/// Loads the handbook. Fatal only when src itself is missing or unreadable.
pub fn load(config: Config, diags: &mut Diagnostics) -> Result<Handbook, Fatal> {
    load_with(config, diags, None)
}

/// [`load`], reading again only the documents that changed since the `memo` was made.
pub fn load_with(config: Config, diags: &mut Diagnostics, memo: Option<&mut Memo>) -> Result<Handbook, Fatal> {
    if !config.src.is_dir() {
        return Err(Diagnostic::error(
            "src-missing",
            &config.config_file,
            format!("the source folder {} does not exist", display_path(&config.src)),
        )
        .hint("set [book] src in book.toml to the folder that holds your Markdown")
        .into());
    }
    let real_src = config.src.canonicalize().unwrap_or_else(|_| config.src.clone());
    let tree = walk(&config, &real_src, diags);
    let catalogue_files = match &config.catalogue_files {
        Some(files) => files.iter().map(|f| config.src.join(f)).collect(),
        None => tree.catalogues.clone(),
    };
    let mut frameworks = Vec::new();
    let mut clauses = Vec::new();
    let mut controls = Vec::new();
    for file in &catalogue_files {
        if let Some(d) = outside_src(&real_src, file, "this catalogue file ([catalogue] files in book.toml)") {
            diags.push(d);
            continue;
        }
        if let Some(text) = read_text(&config, file, diags) {
            load_catalogue(file, &text, &mut frameworks, &mut clauses, &mut controls, diags);
        }
    }
    clauses.sort_by(|a: &Clause, b: &Clause| compare_ids(&a.id, &b.id));
    controls.sort_by(|a: &Control, b: &Control| compare_ids(&a.id, &b.id));

    // soa.yaml and roles.yaml are read only when the walk found them (inside src, regular).
    let soa_file = config.src.join(SOA_FILE);
    let (soa, soa_lines) = match tree.soa.then(|| read_text(&config, &soa_file, diags)).flatten() {
        Some(text) => (load_soa(&soa_file, &text, diags), text.lines().count()),
        None => (Vec::new(), 0),
    };
    let roles_file = config.src.join(ROLES_FILE);
    let roles = match tree.roles.then(|| read_text(&config, &roles_file, diags)).flatten() {
        Some(text) => load_roles(&roles_file, &text, diags),
        None => Vec::new(),
    };

    let risks_file = config.src.join(crate::risk::RISKS_FILE);
    let risks = tree
        .risks
        .then(|| read_text(&config, &risks_file, diags))
        .flatten()
        .and_then(|text| crate::risk::load(&config, &risks_file, text, diags));

    let parsed: Vec<Loaded> = match memo {
        Some(memo) => memo.load(&config, &real_src, &tree.markdown),
        None => tree.markdown.par_iter().map(|rel| load_document(&config, rel)).collect(),
    };
    let mut all = Vec::with_capacity(parsed.len());
    for (doc, ds) in parsed {
        diags.extend(ds);
        all.extend(doc);
    }

    let mut handbook = Handbook {
        build_date: Date::build_date(),
        documents: Vec::new(),
        excluded: Vec::new(),
        frameworks,
        clauses,
        controls,
        soa,
        soa_file,
        soa_lines,
        roles,
        risks,
        assets: tree.assets,
        index: Index::default(),
        config,
    };
    check_ids(&mut all, &handbook, diags);
    // Kept for the whole build: allocated at its size, not grown by doubling.
    let published = all.iter().filter(|d| handbook.config.includes(&d.classification)).count();
    handbook.documents.reserve_exact(published);
    for doc in all {
        if handbook.config.includes(&doc.classification) {
            handbook.documents.push(doc);
        } else {
            // The body was released after loading: read it again (checked against its sha256).
            let attachments = match crate::sources::document_text(&doc, handbook.config.max_source_size) {
                Ok(text) => {
                    crate::markdown::attachment_links(&doc.path, text.get(doc.body_start..).unwrap_or_default())
                }
                Err(d) => {
                    diags.push(d);
                    Vec::new()
                }
            };
            handbook.excluded.push(ExcludedDocument {
                id: doc.id,
                path: doc.path,
                classification: doc.classification,
                attachments,
            });
        }
    }
    handbook.build_index();
    check_catalogue_refs(&handbook, diags);
    crate::risk::check_references(&handbook, diags);
    Ok(handbook)
}

/// What the walk of src found, each list sorted.
struct SourceTree {
    markdown: Vec<String>,
    catalogues: Vec<PathBuf>,
    assets: Vec<String>,
    /// Whether src holds a readable soa.yaml, roles.yaml and risks.yaml.
    soa: bool,
    roles: bool,
    risks: bool,
}

/// Walks src: every regular file inside it, sorted. Folders and files whose names cannot be
/// URLs, symbolic links leading outside src, and special files (pipes, devices) are reported
/// and left out.
fn walk(config: &Config, real_src: &Path, diags: &mut Diagnostics) -> SourceTree {
    let skip: Vec<PathBuf> = [Some(&config.build_dir), config.theme_dir.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut tree = SourceTree {
        markdown: Vec::new(),
        catalogues: Vec::new(),
        assets: Vec::new(),
        soa: false,
        roles: false,
        risks: false,
    };
    let walker = walkdir::WalkDir::new(&config.src).follow_links(true).sort_by_file_name();
    let mut it = walker.into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let file = e.path().map(Path::to_path_buf).unwrap_or_else(|| config.src.clone());
                let (code, msg) = if e.loop_ancestor().is_some() {
                    ("symlink-loop", "symbolic link loop: this folder links back to one of its parents".to_string())
                } else {
                    let why = e.io_error().map_or_else(|| e.to_string(), ToString::to_string);
                    let dangling = file.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) && !file.exists();
                    (
                        "io-error",
                        if dangling {
                            "this symbolic link points to nothing".to_string()
                        } else {
                            format!("cannot read: {why}")
                        },
                    )
                };
                diags.push(Diagnostic::error(code, &file, msg).hint("remove the link or point it elsewhere"));
                continue;
            }
        };
        let is_dir = entry.file_type().is_dir();
        let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
        // The build dir, and any other build dir ismsbook wrote (`-d elsewhere`), is never content.
        let skipped = is_dir
            && (entry.path().join(crate::output::MARKER).is_file()
                || entry.path().canonicalize().map(|p| skip.contains(&p)).unwrap_or(false));
        if hidden || skipped {
            if is_dir {
                it.skip_current_dir();
            }
            continue;
        }
        if entry.depth() > 0
            && let Some(why) = unsafe_name(entry.file_name())
        {
            let what = if is_dir { "folder" } else { "file" };
            diags.push(
                Diagnostic::error("unsafe-path", entry.path(), format!("this {what} name cannot become a URL: {why}"))
                    .hint(format!("rename the {what}; it is left out of the handbook")),
            );
            if is_dir {
                it.skip_current_dir();
            }
            continue;
        }
        if entry.path_is_symlink()
            && let Some(d) = outside_src(real_src, entry.path(), "this symbolic link")
        {
            diags.push(d);
            if is_dir {
                it.skip_current_dir();
            }
            continue;
        }
        if is_dir {
            continue;
        }
        if !entry.file_type().is_file() {
            if let Ok(meta) = entry.metadata() {
                diags.push(crate::sources::not_regular(entry.path(), &meta));
            }
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(&config.src) else { continue };
        // Every segment passed `unsafe_name`: none holds a `\` or is not UTF-8.
        let rel = rel.to_string_lossy().replace('\\', "/");
        let top_level = !rel.contains('/');
        if rel.ends_with(".md") {
            tree.markdown.push(rel);
        } else if rel.starts_with("catalogue/") && rel.ends_with(".yaml") && rel.matches('/').count() == 1 {
            tree.catalogues.push(entry.path().to_path_buf());
        } else if top_level && rel == SOA_FILE {
            tree.soa = true;
        } else if top_level && rel == ROLES_FILE {
            tree.roles = true;
        } else if top_level && rel == crate::risk::RISKS_FILE {
            tree.risks = true;
        } else if !(top_level && rel == crate::config::CONFIG_FILE) {
            if crate::urls::is_generated(&rel) {
                diags.push(reserved_path(entry.path(), &rel, &rel));
                continue;
            }
            tree.assets.push(rel);
        }
    }
    tree
}

/// `error[reserved-path]`: the source file `rel` would land on `output`, which the generator writes.
fn reserved_path(file: &Path, rel: &str, output: &str) -> Diagnostic {
    let message = if rel == output {
        format!("`{rel}` would collide with the file of that name the handbook generates")
    } else {
        format!("`{rel}` would overwrite `{output}`, which the handbook generates")
    };
    Diagnostic::error("reserved-path", file, message).hint("rename or move the file")
}

/// Why a file or folder name under src cannot be part of an output path (see `urls`).
fn unsafe_name(name: &std::ffi::OsStr) -> Option<String> {
    let Some(name) = name.to_str() else { return Some("it is not valid UTF-8".to_string()) };
    crate::urls::check_segment(name).map(str::to_string)
}

/// Reads a source text file (regular, within the size limit, BOM stripped); reports why not.
pub(crate) fn read_text(config: &Config, file: &Path, diags: &mut Diagnostics) -> Option<String> {
    match crate::sources::read_text(file, config.max_source_size) {
        Ok(t) => Some(t),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// `error[outside-src]` when `path` resolves (through `..` or symbolic links) to a place
/// outside src, whose content is then never read nor shown.
fn outside_src(src: &Path, path: &Path, what: &str) -> Option<Diagnostic> {
    let real = path.canonicalize().ok()?;
    if real.starts_with(src) {
        return None;
    }
    Some(
        Diagnostic::error("outside-src", path, format!("{what} leads outside the source folder: not read"))
            .hint("copy what you need into the source folder; links and paths leaving it are refused"),
    )
}

// ---------------------------------------------------------------------------------------------
// Documents

#[derive(Debug, Default, Deserialize)]
struct FrontMatter {
    id: Option<Scalar>,
    title: Option<String>,
    #[serde(rename = "type")]
    doc_type: Option<String>,
    owner: Option<String>,
    approver: Option<String>,
    version: Option<Scalar>,
    approved: Option<Scalar>,
    review: Option<Scalar>,
    classification: Option<String>,
    audience: Option<OneOrMany>,
    controls: Option<OneOrMany>,
    clauses: Option<OneOrMany>,
    history: Option<Vec<RawHistory>>,
}

#[derive(Debug, Deserialize)]
struct RawHistory {
    version: Option<Scalar>,
    date: Option<Scalar>,
    change: Option<String>,
}

/// Splits `---\nYAML\n---\n` off the top of a file: (yaml, first yaml line, body offset).
fn split_front_matter(text: &str) -> Result<Option<(&str, usize)>, ()> {
    let first = text.lines().next().unwrap_or("");
    if first.trim_end() != "---" {
        return Ok(None);
    }
    let start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = start;
    for line in text[start..].split_inclusive('\n') {
        let t = line.trim_end();
        if t == "---" || t == "..." {
            return Ok(Some((&text[start..offset], offset + line.len())));
        }
        offset += line.len();
    }
    Err(())
}

/// The line of a `classification:` (or `classification =`) key in what looks like front
/// matter that was not recognised as such: key-value lines at the top of a file, after blank
/// lines, `---`/`+++` fences or invisible characters.
fn stray_front_matter(text: &str) -> Option<usize> {
    for (i, line) in text.lines().enumerate().take(60) {
        let t = line.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}' | '\u{2060}'));
        if t.is_empty() || t == "---" || t == "+++" || t == "..." {
            continue;
        }
        let split = t.find([':', '='])?;
        let key = t[..split].trim().trim_matches('"');
        if key.eq_ignore_ascii_case("classification") {
            return Some(i + 1);
        }
        if key.is_empty() || !key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return None;
        }
    }
    None
}

fn load_document(config: &Config, rel: &str) -> (Option<Document>, Vec<Diagnostic>) {
    let file = config.src.join(rel);
    let mut ds = Vec::new();
    let source = match crate::sources::read_text(&file, config.max_source_size) {
        Ok(t) => t,
        Err(d) => return (None, vec![d]),
    };
    if source.trim().is_empty() {
        ds.push(
            Diagnostic::error("empty-file", &file, "the file is empty")
                .hint("write a `# Title` and some content, or delete the file"),
        );
        return (None, ds);
    }
    let (fm, body_start) = match split_front_matter(&source) {
        Ok(None) => (FrontMatter::default(), 0),
        Ok(Some((yaml_text, body_start))) if yaml_text.trim().is_empty() => (FrontMatter::default(), body_start),
        Ok(Some((yaml_text, body_start))) => match parse_front_matter(yaml_text, &file) {
            Ok((fm, warnings)) => {
                ds.extend(warnings);
                (fm, body_start)
            }
            Err(d) => return (None, vec![d]),
        },
        Err(()) => {
            ds.push(
                Diagnostic::error("front-matter-unclosed", &file, "the front matter opened on line 1 is never closed")
                    .hint("end the front matter with a line holding only `---`"),
            );
            return (None, ds);
        }
    };
    let fm_text = &source[..body_start];
    let pos_of = |key: &str| yaml::find_key(fm_text, key).unwrap_or(Pos::new(1, 1));

    let body = &source[body_start..];
    let title = match fm.title.clone().or_else(|| crate::markdown::first_heading(body)) {
        Some(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => {
            ds.push(
                Diagnostic::error("no-title", &file, "the document has no title")
                    .hint("add `title:` to the front matter or start the text with a `# Heading`"),
            );
            return (None, ds);
        }
    };
    let stem = rel.strip_suffix(".md").unwrap_or(rel);
    let id = fm.id.map(|s| s.0.trim().to_string()).unwrap_or_else(|| stem.to_string());
    if !id.chars().any(char::is_alphabetic) {
        ds.push(
            Diagnostic::error("invalid-id", &file, format!("document id `{id}` must contain a letter"))
                .at_pos(pos_of("id"))
                .hint("ids like 5.2 or A.5.15 name clauses and controls; use e.g. POL-AC"),
        );
    }
    let doc_type = match fm.doc_type.as_deref() {
        None => DocType::Page,
        Some(t) => DocType::parse(t.trim()).unwrap_or_else(|| {
            ds.push(
                Diagnostic::error("unknown-type", &file, format!("unknown document type `{t}`"))
                    .at_pos(pos_of("type"))
                    .hint("use one of: policy, standard, procedure, guideline, record, page"),
            );
            DocType::Page
        }),
    };
    // Fail closed: a document whose classification cannot be determined is treated as the
    // highest level, so no build below that level publishes it.
    let highest = config.levels.last().cloned().unwrap_or_default();
    let unclear = |why: &str, pos: Pos| {
        Diagnostic::warning(
            "classification-unclear",
            &file,
            format!("{why}: the document is treated as `{highest}` (the highest level) and left out of lower builds"),
        )
        .at_pos(pos)
    };
    let classification = match fm.classification {
        Some(c) => {
            let c = c.trim().to_string();
            if config.level_rank(&c).is_some() {
                c
            } else {
                ds.push(
                    Diagnostic::error("unknown-classification", &file, format!("unknown classification `{c}`"))
                        .at_pos(pos_of("classification"))
                        .hint(format!("levels are, lowest first: {}", config.levels.join(", "))),
                );
                highest.clone()
            }
        }
        None if yaml::find_key(&source[..body_start], "classification").is_some() => {
            ds.push(
                unclear("`classification:` has no value", pos_of("classification"))
                    .hint(format!("write one of: {}", config.levels.join(", "))),
            );
            highest.clone()
        }
        None if body_start == 0
            && let Some(line) = stray_front_matter(&source) =>
        {
            ds.push(
                unclear("a `classification:` line stands outside front matter", Pos::new(line, 1))
                    .hint("front matter must start on line 1 with a line holding only `---`"),
            );
            highest.clone()
        }
        None => crate::config::default_level(&config.levels),
    };
    let mut date = |key: &str, v: Option<Scalar>| -> Option<Date> {
        let v = v?;
        let parsed = Date::parse(&v.0);
        if parsed.is_none() {
            ds.push(
                Diagnostic::error("invalid-date", &file, format!("`{key}: {}` is not a date", v.0))
                    .at_pos(pos_of(key))
                    .hint("write dates as YYYY-MM-DD, e.g. 2026-03-01"),
            );
        }
        parsed
    };
    let approved = date("approved", fm.approved);
    let review = date("review", fm.review);
    let history = fm
        .history
        .unwrap_or_default()
        .into_iter()
        .map(|h| HistoryEntry {
            version: h.version.map(|v| v.0).unwrap_or_default(),
            date: date("date", h.date),
            change: h.change.unwrap_or_default(),
        })
        .collect();
    if let (Some(a), Some(r)) = (approved, review)
        && r < a
    {
        ds.push(
            Diagnostic::error("review-before-approval", &file, format!("review date {r} is before approval date {a}"))
                .at_pos(pos_of("review")),
        );
    }
    let url = crate::urls::document_url(rel);
    if url != "index.html" && crate::urls::is_generated(&url) {
        ds.push(reserved_path(&file, rel, &url));
    }
    let sha256 = crate::sources::sha256_hex(&source);
    let list = |v: Option<OneOrMany>| v.map(OneOrMany::into_strings).unwrap_or_default();
    let mut doc = Document {
        id,
        title,
        doc_type,
        owner: fm.owner.filter(|s| !s.trim().is_empty()),
        approver: fm.approver.filter(|s| !s.trim().is_empty()),
        version: fm.version.map(|v| v.0).filter(|s| !s.trim().is_empty()),
        approved,
        review,
        classification,
        audience: list(fm.audience),
        controls: list(fm.controls),
        clauses: list(fm.clauses),
        history,
        path: rel.to_string(),
        url,
        sha256,
        file,
        body_start,
        source,
    };
    // The body is read again when it is rendered: memory does not grow with the text.
    doc.release_body();
    (Some(doc), ds)
}

fn parse_front_matter(text: &str, file: &Path) -> Result<(FrontMatter, Vec<Diagnostic>), Diagnostic> {
    yaml::parse::<FrontMatter>(text, file, 2).map_err(|d| match yaml::parse_value(text, file, 2) {
        Ok(v) if !v.is_mapping() => Diagnostic::error(
            "front-matter-not-mapping",
            file,
            "the front matter must be a mapping of `key: value` lines",
        )
        .at(2, 1)
        .hint("write e.g. `id: POL-AC` and `title: Access Control Policy` on their own lines"),
        _ => match field_hint(&d.message) {
            Some(h) if d.code == "wrong-type" => d.hint(h),
            _ => d,
        },
    })
}

/// Duplicate document ids, and document ids that a control or clause already has.
fn check_ids(docs: &mut [Document], hb: &Handbook, diags: &mut Diagnostics) {
    let mut seen: HashMap<&str, &Document> = HashMap::new();
    let catalogue: HashMap<&str, &'static str> = hb
        .controls
        .iter()
        .map(|c| (c.id.as_str(), "control"))
        .chain(hb.clauses.iter().map(|c| (c.id.as_str(), "clause")))
        .collect();
    for doc in docs.iter() {
        let pos = id_pos(doc);
        if let Some(kind) = catalogue.get(doc.id.as_str()) {
            diags.push(
                Diagnostic::error("id-collision", &doc.file, format!("document id `{}` is also a {kind} id", doc.id))
                    .at_pos(pos)
                    .hint("give the document an id of its own, e.g. with a prefix such as POL-"),
            );
        }
        if let Some(first) = seen.get(doc.id.as_str()) {
            diags.push(
                Diagnostic::error(
                    "duplicate-id",
                    &doc.file,
                    format!("document id `{}` is already used by {}", doc.id, display_path(&first.file)),
                )
                .at_pos(pos)
                .hint("every document needs its own id"),
            );
        } else {
            seen.insert(&doc.id, doc);
        }
    }
}

fn id_pos(doc: &Document) -> Pos {
    yaml::find_key(&doc.source[..doc.body_start], "id").unwrap_or(Pos::new(1, 1))
}

/// Front-matter `controls`/`clauses`, role ids and soa.yaml rows that name nothing known.
fn check_catalogue_refs(hb: &Handbook, diags: &mut Diagnostics) {
    for doc in &hb.documents {
        let fm = &doc.source[..doc.body_start];
        for (key, ids) in [("controls", &doc.controls), ("clauses", &doc.clauses)] {
            for id in ids {
                let known = if key == "controls" { hb.control(id).is_some() } else { hb.clause(id).is_some() };
                if known {
                    continue;
                }
                let from = fm.find(&format!("{key}:")).unwrap_or(0);
                let pos = yaml::find_after(fm, from, id).unwrap_or_else(|| Pos::new(1, 1));
                if key == "controls" && hb.index.successors.contains_key(id) {
                    let succ = hb.index.successors[id].join(", ");
                    diags.push(
                        Diagnostic::error("legacy-id", &doc.file, format!("{id} is an ISO/IEC 27001:2013 id"))
                            .at_pos(pos)
                            .hint(format!("list its 2022 successor instead: {succ}")),
                    );
                    continue;
                }
                let (code, what, candidates): (&'static str, &str, Vec<&str>) = if key == "controls" {
                    ("unknown-control", "control", hb.controls.iter().map(|c| c.id.as_str()).collect())
                } else {
                    ("unknown-clause", "clause", hb.clauses.iter().map(|c| c.id.as_str()).collect())
                };
                diags.push(crate::links::unknown(code, &doc.file, pos, &format!("no {what} {id}"), id, &candidates));
            }
        }
        if hb.roles.is_empty() {
            continue;
        }
        for role in &doc.audience {
            if role != "all-staff" && hb.role(role).is_none() {
                let from = fm.find("audience:").unwrap_or(0);
                let pos = yaml::find_after(fm, from, role).unwrap_or_else(|| Pos::new(1, 1));
                let ids: Vec<&str> = hb.roles.iter().map(|r| r.id.as_str()).collect();
                let message = crate::links::did_you_mean(&format!("no role `{role}` in roles.yaml"), role, &ids);
                diags.push(Diagnostic::warning("unknown-role", &doc.file, message).at_pos(pos));
            }
        }
    }
    let ids: Vec<&str> = hb.controls.iter().map(|c| c.id.as_str()).collect();
    let mut seen = HashMap::new();
    for d in &hb.soa {
        if hb.control(&d.control).is_none() {
            let pos = Pos::new(d.line, 1);
            diags.push(crate::links::unknown(
                "unknown-control",
                &hb.soa_file,
                pos,
                &format!("soa.yaml names no known control {}", d.control),
                &d.control,
                &ids,
            ));
        }
        if let Some(first) = seen.insert(d.control.as_str(), d.line) {
            diags.push(
                Diagnostic::error(
                    "duplicate-decision",
                    &hb.soa_file,
                    format!("a second decision for {} (the first is on line {first})", d.control),
                )
                .at(d.line, 1)
                .hint("keep one decision per control"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Catalogue, SoA, roles

#[derive(Debug, Deserialize)]
struct RawCatalogue {
    framework: Option<RawFramework>,
    #[serde(default)]
    clauses: Vec<RawClause>,
    #[serde(default)]
    controls: Vec<RawControl>,
}

#[derive(Debug, Deserialize)]
struct RawFramework {
    id: Option<Scalar>,
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawClause {
    id: Option<Scalar>,
    title: Option<String>,
    summary: Option<String>,
    documented_information: Option<String>,
    #[serde(default)]
    retained: bool,
    controls: Option<OneOrMany>,
}

#[derive(Debug, Deserialize)]
struct RawControl {
    id: Option<Scalar>,
    title: Option<String>,
    theme: Option<String>,
    requirement: Option<String>,
    guidance: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, OneOrMany>,
    replaces: Option<OneOrMany>,
}

/// Parses a whole YAML data file, reporting its warnings, or its error and `None`.
pub(crate) fn parse_reporting<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
    diags: &mut Diagnostics,
) -> Option<T> {
    match yaml::parse(text, file, 1) {
        Ok((raw, warnings)) => {
            diags.extend(warnings);
            Some(raw)
        }
        Err(d) if d.code == "wrong-type" && d.message.starts_with("the file must be") => {
            diags.push(d.hint(file_shape_hint(file)));
            None
        }
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// What a YAML data file looks like, for a file of the wrong shape.
fn file_shape_hint(file: &Path) -> &'static str {
    match file.file_name().and_then(|n| n.to_str()) {
        Some(SOA_FILE) => "soa.yaml is a list of decisions: `- control: A.5.15` then `applicable: true`",
        Some(ROLES_FILE) => "roles.yaml is a list of roles: `- id: it-manager` then `title: IT Manager`",
        Some(crate::risk::RISKS_FILE) => "risks.yaml has `method:` and a `risks:` list (see the README)",
        _ => "a catalogue has `framework:`, `clauses:` and `controls:` at the top (see the README)",
    }
}

/// An example of a front-matter field's form, for a value of the wrong type.
fn field_hint(message: &str) -> Option<&'static str> {
    let field = message.strip_prefix('`')?.split(['`', '[', '.']).next()?;
    Some(match field {
        "audience" => "write role ids: `audience: [all-staff, it-manager]`",
        "controls" => "write control ids: `controls: [A.5.15, A.8.2]`",
        "clauses" => "write clause ids, quoted: `clauses: [\"5.2\", \"6.1.2\"]`",
        "history" => "write a list: `history:` then `  - { version: \"1.0\", date: 2026-03-01, change: First issue }`",
        "id" | "title" | "type" | "owner" | "approver" | "version" | "classification" => {
            "write a single value on the same line, e.g. `title: Access Control Policy`"
        }
        "approved" | "review" => "write a date: `review: 2027-03-01`",
        _ => return None,
    })
}

fn load_catalogue(
    file: &Path,
    text: &str,
    frameworks: &mut Vec<Framework>,
    clauses: &mut Vec<Clause>,
    controls: &mut Vec<Control>,
    diags: &mut Diagnostics,
) {
    let Some(raw) = parse_reporting::<RawCatalogue>(text, file, diags) else { return };
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let framework = raw.framework.map_or_else(
        || Framework { id: stem.clone(), title: stem.clone() },
        |f| Framework {
            id: f.id.map(|s| s.0).unwrap_or_else(|| stem.clone()),
            title: f.title.unwrap_or_else(|| stem.clone()),
        },
    );
    // Entry positions: the n-th `- ` item under each list key.
    let clause_lines = list_item_lines(text, "clauses");
    let control_lines = list_item_lines(text, "controls");
    let missing = |what: &str, field: &str, n: usize, lines: &[usize]| {
        Diagnostic::error("catalogue-missing-field", file, format!("{what} number {} has no `{field}`", n + 1))
            .at(lines.get(n).copied().unwrap_or(1), 1)
            .hint(format!("every {what} needs an id and a title"))
    };
    for (n, c) in raw.clauses.into_iter().enumerate() {
        let (Some(id), Some(title)) = (c.id.clone(), c.title.clone()) else {
            let field = if c.id.is_none() { "id" } else { "title" };
            diags.push(missing("clause", field, n, &clause_lines));
            continue;
        };
        let line = clause_lines.get(n).copied().unwrap_or(1);
        if let Some(d) = crate::urls::check_id("clause", &id.0, file, id_pos_at(text, line)) {
            diags.push(d);
            continue;
        }
        push_unique(clauses, &id.0, file, line, diags, |line| Clause {
            id: id.0.clone(),
            title,
            summary: c.summary.unwrap_or_default(),
            documented_information: c.documented_information.filter(|s| !s.trim().is_empty()),
            retained: c.retained,
            controls: c.controls.map(OneOrMany::into_strings).unwrap_or_default(),
            framework: framework.id.clone(),
            file: file.to_path_buf(),
            line,
        });
    }
    for (n, c) in raw.controls.into_iter().enumerate() {
        let (Some(id), Some(title)) = (c.id.clone(), c.title.clone()) else {
            let field = if c.id.is_none() { "id" } else { "title" };
            diags.push(missing("control", field, n, &control_lines));
            continue;
        };
        let line = control_lines.get(n).copied().unwrap_or(1);
        if let Some(d) = crate::urls::check_id("control", &id.0, file, id_pos_at(text, line)) {
            diags.push(d);
            continue;
        }
        push_unique(controls, &id.0, file, line, diags, |line| Control {
            id: id.0.clone(),
            title,
            theme: c.theme.unwrap_or_else(|| "other".to_string()),
            requirement: c.requirement.unwrap_or_default(),
            guidance: c.guidance.unwrap_or_default(),
            attributes: c.attributes.into_iter().map(|(k, v)| (k, v.into_strings())).collect(),
            replaces: c.replaces.map(OneOrMany::into_strings).unwrap_or_default(),
            framework: framework.id.clone(),
            file: file.to_path_buf(),
            line,
        });
    }
    frameworks.push(framework);
}

/// Things with an id that must be unique across all catalogue files.
trait HasId {
    fn id(&self) -> &str;
    fn origin(&self) -> (&Path, usize);
}
impl HasId for Clause {
    fn id(&self) -> &str {
        &self.id
    }
    fn origin(&self) -> (&Path, usize) {
        (&self.file, self.line)
    }
}
impl HasId for Control {
    fn id(&self) -> &str {
        &self.id
    }
    fn origin(&self) -> (&Path, usize) {
        (&self.file, self.line)
    }
}

fn push_unique<T: HasId>(
    items: &mut Vec<T>,
    id: &str,
    file: &Path,
    line: usize,
    diags: &mut Diagnostics,
    make: impl FnOnce(usize) -> T,
) {
    if let Some(first) = items.iter().find(|x| x.id() == id) {
        let (f, l) = first.origin();
        diags.push(
            Diagnostic::error("duplicate-id", file, format!("`{id}` is already defined at {}:{l}", display_path(f)))
                .at(line, 1),
        );
        return;
    }
    items.push(make(line));
}

/// 1-based lines of the `- ` items of the top-level list `key:` (best effort).
pub(crate) fn list_item_lines(text: &str, key: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut inside = false;
    let mut indent = None;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with(' ') && !line.starts_with('-') && !line.trim().is_empty() && !line.starts_with('#') {
            inside = line.starts_with(&format!("{key}:"));
            indent = None;
            continue;
        }
        if !inside {
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("- ") || trimmed == "-" {
            let ind = line.len() - trimmed.len();
            if indent.is_none() {
                indent = Some(ind);
            }
            if indent == Some(ind) {
                lines.push(i + 1);
            }
        }
    }
    lines
}

#[derive(Debug, Deserialize)]
struct RawDecision {
    control: Option<Scalar>,
    applicable: Option<bool>,
    justification: Option<String>,
    status: Option<String>,
}

fn load_soa(file: &Path, text: &str, diags: &mut Diagnostics) -> Vec<SoaDecision> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let Some(raw) = parse_reporting::<Vec<RawDecision>>(text, file, diags) else { return Vec::new() };
    let lines = top_list_lines(text);
    let mut out = Vec::new();
    for (n, r) in raw.into_iter().enumerate() {
        let line = lines.get(n).copied().unwrap_or(1);
        let Some(control) = r.control.map(|c| c.0) else {
            diags.push(
                Diagnostic::error("soa-invalid", file, format!("decision number {} names no `control`", n + 1))
                    .at(line, 1),
            );
            continue;
        };
        let Some(applicable) = r.applicable else {
            diags.push(
                Diagnostic::error(
                    "soa-invalid",
                    file,
                    format!("the decision for {control} has no `applicable: true|false`"),
                )
                .at(line, 1),
            );
            continue;
        };
        let status = r.status.as_deref().and_then(|s| {
            let st = Status::parse(s.trim());
            if st.is_none() {
                let pos = yaml::find_after(text, offset_of_line(text, line), "status:").unwrap_or(Pos::new(line, 1));
                diags.push(
                    Diagnostic::error("invalid-status", file, format!("unknown status `{s}` for {control}"))
                        .at_pos(pos)
                        .hint("use one of: implemented, partial, planned, not-implemented"),
                );
            }
            st
        });
        let justification_pos = r.justification.as_ref().and_then(|_| {
            let key = yaml::find_after(text, offset_of_line(text, line), "justification:")?;
            let rest = text.lines().nth(key.line - 1)?.chars().skip(key.column - 1 + "justification:".len());
            let mut column = key.column + "justification:".len();
            for c in rest {
                if c != ' ' && c != '"' && c != '\'' {
                    break;
                }
                column += 1;
            }
            Some(Pos::new(key.line, column))
        });
        out.push(SoaDecision {
            control,
            applicable,
            justification: r.justification.filter(|s| !s.trim().is_empty()),
            status,
            line,
            justification_pos,
        });
    }
    out
}

/// Where the `id:` of the list item starting on `line` is (else the item's line).
fn id_pos_at(text: &str, line: usize) -> Pos {
    let from = offset_of_line(text, line);
    yaml::find_after(text, from, "id:").filter(|p| p.line < line + 20).unwrap_or(Pos::new(line, 1))
}

pub(crate) fn offset_of_line(text: &str, line: usize) -> usize {
    text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum()
}

/// 1-based lines of the items of a top-level YAML list.
fn top_list_lines(text: &str) -> Vec<usize> {
    text.lines().enumerate().filter(|(_, l)| l.starts_with("- ") || *l == "-").map(|(i, _)| i + 1).collect()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawRole {
    id: Option<Scalar>,
    title: Option<String>,
    description: Option<String>,
    responsibilities: Option<OneOrMany>,
    member_of: Option<OneOrMany>,
}

fn load_roles(file: &Path, text: &str, diags: &mut Diagnostics) -> Vec<Role> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let Some(raw) = parse_reporting::<Vec<RawRole>>(text, file, diags) else { return Vec::new() };
    let lines = top_list_lines(text);
    let mut out: Vec<Role> = Vec::new();
    for (n, r) in raw.into_iter().enumerate() {
        let line = lines.get(n).copied().unwrap_or(1);
        let Some(id) = r.id.map(|s| s.0) else {
            diags.push(
                Diagnostic::error("role-invalid", file, format!("role number {} has no `id`", n + 1)).at(line, 1),
            );
            continue;
        };
        if let Some(d) = crate::urls::check_id("role", &id, file, id_pos_at(text, line)) {
            diags.push(d);
            continue;
        }
        if out.iter().any(|o| o.id == id) {
            diags.push(Diagnostic::error("duplicate-id", file, format!("role `{id}` is defined twice")).at(line, 1));
            continue;
        }
        out.push(Role {
            title: r.title.unwrap_or_else(|| id.clone()),
            id,
            description: r.description,
            responsibilities: r.responsibilities.map(OneOrMany::into_strings).unwrap_or_default(),
            member_of: r.member_of.map(OneOrMany::into_strings).unwrap_or_default(),
        });
    }
    // `member-of` names other roles of this file: an unknown one is reported and dropped.
    let ids: Vec<String> = out.iter().map(|r| r.id.clone()).collect();
    for (n, role) in out.iter_mut().enumerate() {
        let line = lines.get(n).copied().unwrap_or(1);
        role.member_of.retain(|group| {
            let known = ids.contains(group) && *group != role.id;
            if !known {
                let from = offset_of_line(text, line);
                let from = text[from..].find("member-of").map_or(from, |i| from + i);
                let pos = yaml::find_after(text, from, group).unwrap_or(Pos::new(line, 1));
                let candidates: Vec<&str> = ids.iter().map(String::as_str).filter(|i| *i != role.id).collect();
                let message = if *group == role.id {
                    format!("role `{group}` is listed as a member of itself")
                } else {
                    crate::links::did_you_mean(&format!("no role `{group}` in roles.yaml"), group, &candidates)
                };
                diags.push(Diagnostic::warning("unknown-role", file, message).at_pos(pos));
            }
            known
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_split() {
        assert_eq!(split_front_matter("---\nid: X\n---\n# T\n"), Ok(Some(("id: X\n", 14))));
        assert_eq!(split_front_matter("# T\n"), Ok(None));
        assert_eq!(split_front_matter("---\nid: X\n"), Err(()));
    }

    #[test]
    fn stray_classification() {
        assert_eq!(stray_front_matter("\n---\nid: X\nclassification: confidential\n---\n"), Some(4));
        assert_eq!(stray_front_matter("\u{200b}---\nclassification: secret\n"), Some(2));
        assert_eq!(stray_front_matter("+++\nclassification = \"x\"\n+++\n"), Some(2));
        assert_eq!(stray_front_matter("# Classification\n\nclassification: public\n"), None);
        assert_eq!(stray_front_matter("Some text: here\nclassification: x\n"), None);
    }

    #[test]
    fn list_lines() {
        let text = "framework: {id: x}\nclauses:\n  - id: \"4\"\n    title: A\n  - id: \"5\"\ncontrols:\n  - id: A.1\n";
        assert_eq!(list_item_lines(text, "clauses"), [3, 5]);
        assert_eq!(list_item_lines(text, "controls"), [7]);
    }
}
