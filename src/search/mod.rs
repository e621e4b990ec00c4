//! The search index: built from the pages as they are rendered, written under `search/` as
//! small JavaScript files that the browser loads on demand with `<script>` tags (so search
//! works from file://, where fetch() is blocked, and under any sub-path).
//!
//! [`SearchIndex`] is fed one rendered page at a time ([`SearchIndex::add`], from any thread):
//! the page's main content is cut into sections at every heading that has an id
//! ([`sections`]), so a hit lands on its section. Which pages are indexed, and their title,
//! type, classification and ids, come from the model ([`SearchIndex::new`]); a page the model
//! does not list (a document excluded by classification has no page at all) is never indexed.
//!
//! The index stays in memory between the rebuilds of `serve`: a rebuild calls
//! [`SearchIndex::refresh`] with the new model, [`SearchIndex::add`] for every page it
//! rendered again, and [`SearchIndex::write`], which writes only the files whose bytes
//! changed. Pages are numbered in an order the model fixes ([`page_order`]: the order a full
//! build renders them in) and sections within their page, so editing a document's text changes
//! only the shards of the terms it gained or lost (or whose scores moved), its chunk and the
//! manifest; the files are a function of the model and the pages, so an index updated this way
//! equals, byte for byte, the index of a full build (`tests/search.rs`).
//!
//! The files:
//!
//! - `search/index.js`: the manifest (shard and vocabulary keys, page types and themes for the
//!   filters, the number of pages and sections);
//! - `search/t/<n>.js`: term shards, `term -> posting list` ([`shard`]);
//! - `search/v/<n>.js`: the words of each length, for one-typo tolerance (a typo in any
//!   letter, the first included, keeps a word within one letter of its length);
//! - `search/c/<n>.js`: section chunks, [`PAGES_PER_CHUNK`] pages each (URL, title, type,
//!   classification, theme; per section its anchor, heading and the first [`TEXT`] characters
//!   of its text, from which the browser cuts the snippet around the matched words), deflated.
//!
//! Each posting carries a precomputed score: 32 when the term is in the page title (top
//! section), 16 in the section heading, plus 1-15 for the body (BM25 term frequency, length
//! normalised). Ids (`#a.5.15`, `#5.15`, `#doc-00042`, a 2013 id on its successor) are terms
//! of their own with scores 60-63, which the browser ranks before everything else.

pub mod sections;
pub mod shard;
pub mod tokenize;

use crate::diagnostics::Diagnostic;
use crate::model::Handbook;
use crate::output::Output;
use crate::urls;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Score of a term in the page title, in a section heading; body scores are 1..=BODY_MAX.
const TITLE: u8 = 32;
const HEADING: u8 = 16;
const BODY_MAX: f64 = 15.0;
/// Id scores: exact id, short form (`5.15`), a 2013 id answered by its successor.
pub const ID_EXACT: u8 = 63;
pub const ID_SHORT: u8 = 62;
pub const ID_PREVIOUS: u8 = 61;
/// BM25 parameters, with a fixed reference section length (in terms) so that scores can be
/// computed page by page, before the whole corpus is known.
const K1: f64 = 1.2;
const B: f64 = 0.75;
const REFERENCE_LENGTH: f64 = 80.0;
/// Shards above this size are split by one more character.
const SHARD_LIMIT: usize = 64 * 1024;
/// Pages per chunk file.
pub const PAGES_PER_CHUNK: usize = 16;
/// Pages waiting to be indexed by [`SearchIndex::feeding`]'s thread, at most.
const QUEUE: usize = 16;
/// Characters of each section's text kept for snippets.
pub const TEXT: usize = 240;

/// What the index knows of a page besides its text.
#[derive(Clone, Debug, PartialEq)]
struct PageMeta {
    title: String,
    kind: &'static str,
    classification: String,
    theme: String,
    /// Id terms (without `#`) and their scores.
    ids: Vec<(String, u8)>,
}

/// A page as indexed.
struct Page {
    /// The model's view of the page when it was indexed.
    meta: Arc<PageMeta>,
    sections: u32,
    /// The page's entry in its chunk, JSON: `[url, title, kind, classification, theme,
    /// [[anchor, heading, text], ...]]`; `None` while its chunk is kept packed
    /// ([`State::chunks`]).
    shown: Option<String>,
    /// The page's postings, term by term in increasing term number: the gap from the previous
    /// term's number ([`push_term_gap`], bytes of 128 and above), then the term's postings on
    /// this page as [`shard::push_sections`] encodes them (base-64 digits, ASCII).
    postings: Box<[u8]>,
}

/// Appends the gap (at least 1) between two term numbers of a page's postings: 6 bits per
/// byte, each byte with its top bit set (so that it is told from a posting digit), the second
/// bit set on every byte but the last.
fn push_term_gap(out: &mut Vec<u8>, mut gap: u32) {
    while gap >= 64 {
        out.push(0xC0 | (gap & 63) as u8);
        gap >>= 6;
    }
    out.push(0x80 | gap as u8);
}

/// Calls `each(term, postings)` for every term of a page's postings ([`Page::postings`]).
fn page_terms(postings: &[u8], mut each: impl FnMut(u32, &[u8])) {
    let (mut i, mut next) = (0, 0u32);
    while i < postings.len() {
        let (mut gap, mut shift) = (0u32, 0);
        while let Some(&b) = postings.get(i).filter(|&&b| b >= 0x80) {
            gap |= u32::from(b & 63) << shift;
            shift += 6;
            i += 1;
            if b & 0x40 == 0 {
                break;
            }
        }
        let term = next + gap - 1;
        next = term + 1;
        let start = i;
        i += postings[i..].iter().take_while(|&&b| b < 0x80).count();
        each(term, &postings[start..i]);
    }
}

/// Every term ever seen, numbered (numbers are never reused; a term no page holds any more is
/// left out of the files).
#[derive(Default)]
struct Terms {
    ids: TermMap,
    names: Vec<Box<str>>,
}

impl Terms {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }
}

#[derive(Default)]
struct State {
    /// The pages the model names.
    meta: HashMap<String, Arc<PageMeta>>,
    /// By URL: the order that numbers pages.
    pages: BTreeMap<String, Page>,
    /// Pages the model names that are not indexed, or not as the model has them now.
    due: std::collections::BTreeSet<String>,
    /// The URLs the model names, in the order pages are numbered ([`page_order`]): the pages
    /// of chunk `n` are `order[n * PAGES_PER_CHUNK..]` once every page is indexed.
    order: Vec<String>,
    /// Where each URL is in `order`.
    position: HashMap<String, usize>,
    /// The chunks made as soon as all their pages were indexed (by chunk number), so that the
    /// index keeps each chunk's deflated file instead of its pages' JSON (a third of the size).
    chunks: HashMap<usize, Packed>,
    /// Chunks whose file is being made (outside the lock, by the thread that completed them):
    /// their pages' entries, which the pages do not hold meanwhile.
    packing: HashMap<usize, Arc<Vec<String>>>,
}

/// A chunk file made from the entries of its pages.
struct Packed {
    /// [`hash`] of the chunk's number and JSON.
    json: u64,
    /// The file; empty once it was written ([`SearchIndex::feeding`] with an output).
    bytes: Vec<u8>,
    /// When the file was written: the hash of its bytes.
    written: Option<u64>,
    /// The length of each page's entry in the JSON.
    lengths: Vec<usize>,
}

impl State {
    /// The number of the chunk that holds `url` once every page is indexed.
    fn chunk_of(&self, url: &str) -> Option<usize> {
        self.position.get(url).map(|i| i / PAGES_PER_CHUNK)
    }

    /// Gives the pages of chunk `n` their entries back, if the chunk was packed (or is being
    /// packed: that file is then not kept).
    fn unpack(&mut self, n: usize) {
        if let Some(entries) = self.packing.remove(&n) {
            for (url, entry) in self.order.iter().skip(n * PAGES_PER_CHUNK).zip(entries.iter()) {
                if let Some(page) = self.pages.get_mut(url) {
                    page.shown = Some(entry.clone());
                }
            }
            return;
        }
        // A chunk already written stays as it is: its pages are final (see `feeding`).
        if self.chunks.get(&n).is_none_or(|p| p.written.is_some()) {
            return;
        }
        let Some(packed) = self.chunks.remove(&n) else { return };
        let text = String::from_utf8_lossy(&packed.bytes);
        let json = text.split('"').nth(1).and_then(shard::unpack).unwrap_or_default();
        let json = String::from_utf8(json).unwrap_or_default();
        // `[` entry `,` entry ... `]`
        let mut at = 1;
        let urls = self.order.iter().skip(n * PAGES_PER_CHUNK);
        for (url, len) in urls.zip(packed.lengths) {
            if let Some(page) = self.pages.get_mut(url) {
                page.shown = Some(json.get(at..at + len).unwrap_or_default().to_string());
            }
            at += len + 1;
        }
    }

    /// Gives every packed chunk's entries back to its pages.
    fn unpack_all(&mut self) {
        let packed: Vec<usize> = self.chunks.keys().chain(self.packing.keys()).copied().collect();
        for n in packed {
            self.unpack(n);
        }
    }

    /// If all the pages of chunk `n` are indexed: takes their entries (into
    /// [`packing`](Self::packing)), to be made into the chunk's file by [`SearchIndex::pack`].
    fn take_entries(&mut self, n: usize) -> Option<Arc<Vec<String>>> {
        let urls = self.order.iter().skip(n * PAGES_PER_CHUNK).take(PAGES_PER_CHUNK);
        let complete = urls.clone().all(|u| self.pages.get(u).is_some_and(|p| p.shown.is_some()));
        if !complete || self.order.len() <= n * PAGES_PER_CHUNK {
            return None;
        }
        let entries: Vec<String> = urls.filter_map(|u| self.pages.get_mut(u).and_then(|p| p.shown.take())).collect();
        let entries = Arc::new(entries);
        self.packing.insert(n, Arc::clone(&entries));
        Some(entries)
    }
}

/// Chunk `n` of `entries` (its pages' JSON entries): the hash of its number and JSON, and its
/// file.
fn chunk_file(n: usize, entries: &[&str]) -> (u64, Vec<u8>) {
    let json = chunk_json(entries);
    // The chunk's number is part of its file.
    let h = hash((n, json.as_bytes()));
    (h, script(&format!("c/{n}.js"), "chunk", n, &format!("\"{}\"", shard::pack(json.as_bytes()))).1)
}

/// The JSON of a chunk: its pages' entries in a list.
fn chunk_json(entries: &[&str]) -> String {
    let mut json = String::with_capacity(entries.iter().map(|e| e.len() + 1).sum::<usize>() + 1);
    json.push('[');
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(entry);
    }
    json.push(']');
    json
}

/// The search index of a handbook's pages; thread-safe to feed, so the parallel page writer
/// can hand it each page as it is written.
pub struct SearchIndex {
    /// Tells this index's term numbers from another's in the per-thread caches.
    id: u64,
    terms: Mutex<Terms>,
    state: Mutex<State>,
    /// What was written last.
    files: Mutex<Written>,
    /// The first chunk that could not be written while the pages were fed.
    failed: Mutex<Option<Diagnostic>>,
}

#[derive(Default)]
struct Written {
    /// A hash of each file's bytes, by build-dir-relative path.
    hashes: BTreeMap<String, u64>,
    /// The hash of each chunk file by a hash of the JSON it holds.
    chunks: HashMap<u64, u64>,
}

/// Receives each file of the index as it is made (from any thread): its build-dir-relative
/// path, the hash of its bytes, and the bytes (`None`: as last written, not made again).
type Sink<'a> = &'a (dyn Fn(String, u64, Option<&[u8]>) + Sync);

thread_local! {
    /// Term numbers this thread has looked up: indexing a page looks its words up here,
    /// without a lock, an allocation or a stemmer once the words are known.
    static TERM_IDS: std::cell::RefCell<TermCache> = Default::default();
}

/// A map from short strings to term numbers, with a fast fixed-seed hash.
type TermMap = HashMap<Box<str>, u32, foldhash::fast::FixedState>;

/// One thread's view of an index's term numbers.
#[derive(Default)]
struct TermCache {
    /// The index these numbers belong to.
    owner: u64,
    /// ASCII words as written (`Passwords`, `A.5.15`) -> the number of their term: words of up
    /// to 8 bytes (most words) and of 9 to 16 bytes by their bytes in one number (no word holds
    /// a zero byte; two tables, so that the one most words use has half-size entries and stays
    /// in the processor's cache), longer ones in `words`.
    short: HashMap<u64, u32, foldhash::fast::FixedState>,
    medium: HashMap<u128, u32, foldhash::fast::FixedState>,
    words: TermMap,
    /// Terms -> numbers.
    terms: TermMap,
    /// Room for a word's term while it is made.
    term: String,
    /// Scores the sections this thread indexes.
    scorer: Scorer,
    /// A page's postings while it is indexed.
    postings: Vec<u64>,
}

/// Numbers the terms of the pages one thread indexes: from its [`TermCache`], else from the
/// index's [`Terms`] (and then cached).
struct Interner<'a> {
    cache: &'a mut TermCache,
    global: &'a Mutex<Terms>,
}

impl Interner<'_> {
    /// The number of `term`.
    fn term(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.cache.terms.get(term) {
            return id;
        }
        let id = self.global.lock().unwrap_or_else(|e| e.into_inner()).id(term);
        self.cache.terms.insert(term.into(), id);
        id
    }

    /// The number of a token's term.
    fn token(&mut self, token: tokenize::Token) -> u32 {
        match token {
            tokenize::Token::Term(t) => self.term(t),
            tokenize::Token::Word(w, short) => {
                let known = match short {
                    Some(key) if w.len() <= 8 => self.cache.short.get(&(key as u64)),
                    Some(key) => self.cache.medium.get(&key),
                    None => self.cache.words.get(w),
                };
                if let Some(&id) = known {
                    return id;
                }
                let mut term = std::mem::take(&mut self.cache.term);
                tokenize::term_of_word(w, &mut term);
                let id = self.term(&term);
                self.cache.term = term;
                match short {
                    Some(key) if w.len() <= 8 => self.cache.short.insert(key as u64, id),
                    Some(key) => self.cache.medium.insert(key, id),
                    None => self.cache.words.insert(w.into(), id),
                };
                id
            }
        }
    }
}

/// Numbers the indexes of this process.
static INDEXES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A hash for telling whether bytes changed (fixed seeds: the same in every run).
fn hash(value: impl std::hash::Hash) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x6973_6d73_626f_6f6b).hash_one(value)
}

impl SearchIndex {
    /// An index for the pages of `hb` (only the pages named here are indexed), empty.
    pub fn new(hb: &Handbook) -> SearchIndex {
        let id = INDEXES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ix = SearchIndex {
            id,
            terms: Mutex::default(),
            state: Mutex::default(),
            files: Mutex::default(),
            failed: Mutex::default(),
        };
        ix.refresh(hb);
        ix
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the pages of `hb` (a new analysis of the same handbook): pages it no longer has
    /// are dropped; new ones, and those whose title, type, classification, theme or ids
    /// changed, are due to be [`add`](Self::add)ed (see [`missing`](Self::missing)).
    pub fn refresh(&self, hb: &Handbook) {
        let mut state = self.state();
        let new = page_meta(hb);
        let order = page_order(hb, &new);
        if order != state.order {
            // Chunks are laid out anew: every packed chunk gives its pages' entries back.
            state.unpack_all();
            state.position = order.iter().enumerate().map(|(i, url)| (url.clone(), i)).collect();
            state.order = order;
        }
        let State { meta, pages, due, .. } = &mut *state;
        *meta = new;
        pages.retain(|url, _| meta.contains_key(url));
        due.retain(|url| meta.contains_key(url));
        for (url, m) in meta.iter() {
            if pages.get(url).is_none_or(|p| *p.meta != **m) {
                due.insert(url.clone());
            }
        }
    }

    /// The pages the index still needs (sorted): named by the model but not added since they
    /// were new or changed there.
    pub fn missing(&self) -> Vec<String> {
        self.state().due.iter().cloned().collect()
    }

    /// Indexes one rendered page (its build-dir-relative URL and HTML), replacing what the
    /// index had of it. Pages the model did not name (lists, 404) are ignored.
    pub fn add(&self, url: &str, html: &str) {
        self.add_to(url, html, None);
    }

    /// [`add`](Self::add); a chunk it completes is written into `out` at once when given.
    fn add_to(&self, url: &str, html: &str, out: Option<&Output>) {
        let Some(meta) = self.state().meta.get(url).cloned() else { return };
        let page = TERM_IDS.with_borrow_mut(|cache| {
            if cache.owner != self.id {
                cache.short.clear();
                cache.medium.clear();
                cache.words.clear();
                cache.terms.clear();
                cache.owner = self.id;
            }
            index_page(&meta, url, html, &mut Interner { cache, global: &self.terms })
        });
        let mut state = self.state();
        let chunk = state.chunk_of(url);
        if let Some(n) = chunk {
            state.unpack(n);
        }
        state.pages.insert(url.to_string(), page);
        state.due.remove(url);
        let complete = chunk.and_then(|n| Some((n, state.take_entries(n)?)));
        drop(state);
        if let Some((n, entries)) = complete {
            self.pack(n, &entries, out);
        }
    }

    /// Runs `work` with a function that hands this index a rendered page (URL and HTML) from
    /// any thread, to be indexed on a thread of the index's own while `work` goes on (a copy of
    /// each page the index wants waits in a queue of at most [`QUEUE`] pages): so indexing
    /// takes up the time a core would otherwise be idle while pages are rendered and written.
    /// Every page handed over is indexed when this returns.
    ///
    /// With `out` (a build whose index is not kept for the next one), each chunk is written
    /// into `out` as soon as all its pages are indexed, and only its hash kept: at 100,000
    /// documents the chunks are 100 MB that a build need not hold. Such an index must not be
    /// fed a page again nor [`refresh`](Self::refresh)ed with other pages: a chunk written
    /// cannot be laid out again ([`written_early`](Self::written_early) tells).
    pub fn feeding<R>(&self, out: Option<&Output>, work: impl FnOnce(&(dyn Fn(&str, &str) + Sync)) -> R) -> R {
        std::thread::scope(|scope| {
            let (queue, pages) = std::sync::mpsc::sync_channel::<(String, String)>(QUEUE);
            scope.spawn(move || pages.into_iter().for_each(|(url, html)| self.add_to(&url, &html, out)));
            let feed = move |url: &str, html: &str| {
                if self.state().meta.contains_key(url) {
                    // The receiver lives until `queue` is dropped.
                    drop(queue.send((url.to_string(), html.to_string())));
                }
            };
            let result = work(&feed);
            drop(feed);
            result
        })
    }

    /// Makes chunk `n`'s file from its pages' `entries` (taken by [`State::take_entries`]),
    /// without holding the lock while it is deflated, and keeps it instead of the entries,
    /// unless a page of the chunk was indexed again meanwhile.
    fn pack(&self, n: usize, entries: &Arc<Vec<String>>, out: Option<&Output>) {
        let list: Vec<&str> = entries.iter().map(String::as_str).collect();
        let (json, bytes) = chunk_file(n, &list);
        // A chunk to be written keeps only its hashes: it is never unpacked.
        let (packed, bytes) = match out {
            Some(_) => (Packed { json, written: Some(hash(&bytes)), bytes: Vec::new(), lengths: Vec::new() }, bytes),
            None => {
                (Packed { json, bytes, written: None, lengths: entries.iter().map(String::len).collect() }, Vec::new())
            }
        };
        let mut state = self.state();
        if state.packing.get(&n).is_some_and(|e| Arc::ptr_eq(e, entries)) {
            state.packing.remove(&n);
            state.chunks.insert(n, packed);
            drop(state);
            if let Some(out) = out
                && let Err(e) = out.put_owned(&urls::search_file(&format!("c/{n}.js")), bytes)
            {
                self.failed.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e);
            }
        }
    }

    /// Whether a chunk was written while the pages were fed ([`feeding`](Self::feeding) with
    /// an output): the index then serves this build only.
    pub fn written_early(&self) -> bool {
        self.state().chunks.values().any(|c| c.written.is_some())
    }

    /// Writes the index into `out`: every file when `everything` (a full build, whose output
    /// keeps only what is written), else only the files whose bytes changed since the last
    /// write, removing those that are gone. Files are written as they are made, none kept.
    /// Returns the number of files written.
    pub fn write(&self, out: &Output, everything: bool) -> Result<usize, Diagnostic> {
        if let Some(e) = self.failed.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(e);
        }
        let mut last = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let previous = std::mem::take(&mut last.hashes);
        let hashes = Mutex::new(BTreeMap::new());
        let written = std::sync::atomic::AtomicUsize::new(0);
        let failed = Mutex::new(None);
        let sink = |rel: String, h: u64, bytes: Option<&[u8]>| {
            if let Some(bytes) = bytes.filter(|_| everything || previous.get(&rel) != Some(&h)) {
                match out.put(&rel, bytes) {
                    Ok(_) => drop(written.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
                    Err(e) => drop(failed.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e)),
                }
            }
            hashes.lock().unwrap_or_else(|e| e.into_inner()).insert(rel, h);
        };
        let known = (!everything).then_some(&last.chunks);
        let chunks = self.make_files(&sink, known);
        if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(e);
        }
        let hashes = hashes.into_inner().unwrap_or_else(|e| e.into_inner());
        if !everything {
            for gone in previous.keys().filter(|rel| !hashes.contains_key(*rel)) {
                out.remove(gone)?;
            }
        }
        last.hashes = hashes;
        last.chunks = chunks;
        Ok(written.into_inner())
    }

    /// The build-dir-relative paths of the files the last [`write`](Self::write) made.
    pub fn written(&self) -> std::collections::BTreeSet<String> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).hashes.keys().cloned().collect()
    }

    /// What the index holds in memory, in bytes, by part (the lengths of its buffers, not
    /// counting the allocator's overhead): for measuring (`examples/search_cost`).
    pub fn heap(&self) -> Vec<(&'static str, usize)> {
        let state = self.state();
        let terms = self.terms.lock().unwrap_or_else(|e| e.into_inner());
        let pages = state.pages.values();
        vec![
            ("postings", pages.clone().map(|p| p.postings.len()).sum()),
            ("entries", pages.map(|p| p.shown.as_ref().map_or(0, |s| s.len())).sum()),
            ("chunks", state.chunks.values().map(|c| c.bytes.capacity() + c.lengths.capacity() * 8).sum()),
            ("terms", terms.names.iter().map(|n| 2 * n.len() + 16 + 4 + 16).sum()),
        ]
    }

    /// The files of `search/` (build-dir-relative paths, sorted) and their bytes.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let files = Mutex::new(BTreeMap::new());
        self.make_files(
            &|rel, _, bytes| {
                files.lock().unwrap_or_else(|e| e.into_inner()).insert(rel, bytes.unwrap_or_default().to_vec());
            },
            None,
        );
        files.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().collect()
    }

    /// Makes every file of `search/` and hands it to `sink`. A chunk whose JSON hash is in
    /// `known` (with its file's hash) is not made again. Returns the chunks made or known.
    fn make_files(&self, sink: Sink, known: Option<&HashMap<u64, u64>>) -> HashMap<u64, u64> {
        let put = |(rel, bytes): (String, Vec<u8>)| sink(rel, hash(&bytes), Some(&bytes));
        let mut state = self.state();
        // (A chunk still being packed, were any page indexed while the files are made, is
        // written from its entries.)
        let packing: Vec<usize> = state.packing.keys().copied().collect();
        packing.into_iter().for_each(|n| state.unpack(n));
        let state = state;
        // Every page the model names has its number; one that is not indexed (it could not be
        // read back) has no postings and an empty entry (`0`) in its chunk.
        let numbered: Vec<Option<&Page>> = state.order.iter().map(|url| state.pages.get(url)).collect();
        let pages: Vec<&Page> = numbered.iter().flatten().copied().collect();
        // Posting lists, page by page.
        let terms = self.terms.lock().unwrap_or_else(|e| e.into_inner());
        let names = &terms.names;
        let mut lists: Vec<Vec<u8>> = vec![Vec::new(); names.len()];
        let mut last = vec![0u32; names.len()];
        for (p, page) in numbered.iter().enumerate().filter_map(|(p, page)| Some((p, (*page)?))) {
            let p = p as u32 + 1;
            page_terms(&page.postings, |t, postings| {
                let list = &mut lists[t as usize];
                shard::push_page_gap(list, p - last[t as usize]);
                list.extend_from_slice(postings);
                last[t as usize] = p;
            });
        }
        drop(last);
        let mut named: Vec<(&str, &[u8])> =
            names.iter().zip(&lists).filter(|(_, l)| !l.is_empty()).map(|(n, l)| (&**n, l.as_slice())).collect();
        named.sort_unstable_by_key(|&(n, _)| n);
        // Term shards.
        let sizes: Vec<(&str, usize)> = named.iter().map(|(n, l)| (*n, n.len() + l.len() + 6)).collect();
        let shards = shard::split(&sizes, SHARD_LIMIT);
        let files = shard::files(&shards, &sizes, SHARD_LIMIT);
        let shard_keys: BTreeMap<String, usize> = files
            .iter()
            .enumerate()
            .flat_map(|(n, file)| shards[file.clone()].iter().map(move |(key, _)| (key.clone(), n)))
            .collect();
        files.into_par_iter().enumerate().for_each(|(n, file)| {
            let range = shards[file.start].1.start..shards[file.end - 1].1.end;
            let mut json = String::from("{");
            for (i, (term, list)) in named[range].iter().enumerate() {
                if i > 0 {
                    json.push(',');
                }
                json.push_str(&serde_json::to_string(term).unwrap_or_default());
                json.push_str(":\"");
                json.push_str(std::str::from_utf8(list).unwrap_or_default());
                json.push('"');
            }
            json.push('}');
            put(script(&format!("t/{n}.js"), "shard", n, &json));
        });
        // Words by length, for typo tolerance.
        let mut vocab: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for (t, _) in &named {
            let len = t.chars().count();
            if len >= 4 && t.chars().all(|c| c.is_alphabetic() && !tokenize::is_cjk(c)) {
                vocab.entry(len).or_default().push(t);
            }
        }
        let mut vocab_keys = BTreeMap::new();
        for (n, (len, words)) in vocab.iter().enumerate() {
            put(script(&format!("v/{n}.js"), "vocab", n, &json(words)));
            vocab_keys.insert(len.to_string(), n);
        }
        // Section chunks, deflated; a chunk whose JSON is unchanged is not deflated again.
        let chunks: HashMap<u64, u64> = numbered
            .par_chunks(PAGES_PER_CHUNK)
            .enumerate()
            .map(|(n, group)| {
                let rel = urls::search_file(&format!("c/{n}.js"));
                let (h, made) = match state.chunks.get(&n) {
                    Some(Packed { json, written: Some(file), .. }) => {
                        // Written while the pages were fed.
                        sink(rel, *file, None);
                        return (*json, *file);
                    }
                    Some(packed) => (packed.json, None),
                    None => {
                        let entries: Vec<&str> =
                            group.iter().map(|p| p.map_or("0", |p| p.shown.as_deref().unwrap_or(""))).collect();
                        (hash((n, chunk_json(&entries).as_bytes())), Some(entries))
                    }
                };
                if let Some(&file) = known.and_then(|k| k.get(&h)) {
                    sink(rel, file, None);
                    return (h, file);
                }
                let made = made.map(|entries| chunk_file(n, &entries).1);
                let bytes = made.as_deref().or_else(|| state.chunks.get(&n).map(|p| p.bytes.as_slice())).unwrap_or(&[]);
                let file = hash(bytes);
                sink(rel, file, Some(bytes));
                (h, file)
            })
            .collect();
        // The manifest: filters need each page's type and theme before any chunk is loaded.
        let mut kinds: Vec<&str> = pages.iter().map(|p| p.meta.kind).collect();
        kinds.sort();
        kinds.dedup();
        let mut themes: Vec<&str> = pages.iter().map(|p| p.meta.theme.as_str()).filter(|t| !t.is_empty()).collect();
        themes.sort();
        themes.dedup();
        let mut codes = Vec::with_capacity(numbered.len() * 2);
        for p in &numbered {
            let k = p.and_then(|p| kinds.iter().position(|k| *k == p.meta.kind)).unwrap_or(0);
            let t = p.and_then(|p| themes.iter().position(|t| *t == p.meta.theme)).map_or(0, |i| i + 1);
            shard::push_digit(&mut codes, k as u8);
            shard::push_digit(&mut codes, t as u8);
        }
        #[derive(Serialize)]
        struct Manifest<'a> {
            pages: usize,
            sections: u32,
            chunk: usize,
            shards: BTreeMap<String, usize>,
            vocab: BTreeMap<String, usize>,
            kinds: Vec<&'a str>,
            themes: Vec<&'a str>,
            codes: &'a str,
        }
        let manifest = Manifest {
            pages: numbered.len(),
            sections: pages.iter().map(|p| p.sections).sum(),
            chunk: PAGES_PER_CHUNK,
            shards: shard_keys,
            vocab: vocab_keys,
            kinds,
            themes,
            codes: std::str::from_utf8(&codes).unwrap_or_default(),
        };
        put(script("index.js", "index", 0, &json(&manifest)));
        chunks
    }
}

/// The order pages are numbered in (of the pages in `meta`): every page that is not a document
/// by URL, then the documents in the order a full build renders them, the print edition's
/// ([`Handbook::print_order`]). So the pages of a chunk are indexed soon after each other and
/// its file made then, instead of the entries of most pages waiting in memory for the last
/// page of their chunk (at 100,000 documents, 290 MB when pages were numbered by URL).
fn page_order(hb: &Handbook, meta: &HashMap<String, Arc<PageMeta>>) -> Vec<String> {
    let documents: Vec<&str> = hb.print_order().into_iter().map(|i| hb.documents[i].url.as_str()).collect();
    let printed: std::collections::HashSet<&str> = documents.iter().copied().collect();
    let mut order: Vec<String> = meta.keys().filter(|url| !printed.contains(url.as_str())).cloned().collect();
    order.sort_unstable();
    order.extend(documents.into_iter().filter(|url| meta.contains_key(*url)).map(String::from));
    order
}

/// What the index shows of each page the model names, by build-dir-relative URL.
fn page_meta(hb: &Handbook) -> HashMap<String, Arc<PageMeta>> {
    let mut meta = HashMap::new();
    let page = |title: &str, kind: &'static str| PageMeta {
        title: title.to_string(),
        kind,
        classification: String::new(),
        theme: String::new(),
        ids: Vec::new(),
    };
    for d in &hb.documents {
        let kind = if d.url == "index.html" { "home" } else { d.doc_type.as_str() };
        let mut m = page(&d.title, kind);
        m.classification = d.classification.clone();
        m.ids.push((d.id.clone(), ID_EXACT));
        meta.insert(d.url.clone(), m);
    }
    meta.entry("index.html".to_string()).or_insert_with(|| page(&hb.config.title, "home"));
    for c in &hb.controls {
        let mut m = page(&format!("{} {}", c.id, c.title), "control");
        m.theme = c.theme.clone();
        m.ids.push((c.id.clone(), ID_EXACT));
        if let Some(short) = short_id(&c.id) {
            m.ids.push((short.to_string(), ID_SHORT));
        }
        for old in &c.replaces {
            m.ids.push((old.clone(), ID_PREVIOUS));
            if let Some(short) = short_id(old) {
                m.ids.push((short.to_string(), ID_PREVIOUS - 1));
            }
        }
        meta.insert(urls::control_url(&c.id), m);
    }
    for c in &hb.clauses {
        let mut m = page(&format!("Clause {} {}", c.id, c.title), "clause");
        m.ids.push((c.id.clone(), ID_EXACT));
        meta.insert(urls::clause_url(&c.id), m);
    }
    for r in &hb.roles {
        let mut m = page(&r.title, "role");
        m.ids.push((r.id.clone(), ID_EXACT));
        meta.insert(urls::role_url(&r.id), m);
    }
    if let Some(reg) = hb.risks.as_ref().filter(|r| r.published) {
        for r in &reg.risks {
            let mut m = page(&format!("{} {}", r.id, r.title), "risk");
            m.classification = reg.classification.clone();
            m.ids.push((r.id.clone(), ID_EXACT));
            meta.insert(urls::risk_url(&r.id), m);
        }
    }
    for (url, title) in [
        ("soa.html", "Statement of Applicability"),
        ("register.html", "Document register"),
        ("coverage.html", "Coverage"),
    ] {
        meta.insert(url.to_string(), page(title, "audit"));
    }
    meta.into_iter().map(|(url, m)| (url, Arc::new(m))).collect()
}

/// Indexes one page; `intern` numbers its terms.
fn index_page(meta: &Arc<PageMeta>, url: &str, html: &str, intern: &mut Interner) -> Page {
    let text = sections::sections(html);
    let sections = &text.sections;
    // Term, section and score in one number, so that sorting groups each term's postings in
    // section order.
    let posting = |t: u32, n: u16, score: u8| u64::from(t) << 24 | u64::from(n) << 8 | u64::from(score);
    let mut postings = std::mem::take(&mut intern.cache.postings);
    let mut scorer = std::mem::take(&mut intern.cache.scorer);
    postings.clear();
    let mut shown = Vec::with_capacity(sections.len());
    for (n, s) in sections.iter().enumerate().take(usize::from(u16::MAX)) {
        let n = n as u16;
        let (heading, body_text) = (text.heading(s), text.body(s));
        let heading = if n == 0 { meta.title.as_str() } else { heading };
        let field = if n == 0 { TITLE } else { HEADING };
        tokenize::tokens(heading, |t| scorer.field(intern.token(t), field));
        tokenize::tokens(body_text, |t| scorer.body(intern.token(t)));
        if n == 0 {
            for (id, score) in &meta.ids {
                scorer.field(intern.term(&format!("#{}", tokenize::fold(id))), *score);
            }
        }
        scorer.section(|t, score| postings.push(posting(t, n, score)));
        // The top section's heading is the page title, which the chunk has already.
        let heading = if n == 0 { "" } else { text.heading(s) };
        shown.push((s.anchor.as_str(), heading, excerpt(body_text)));
    }
    // Each term's postings together, in section order.
    postings.sort_unstable();
    let mut bytes = Vec::with_capacity(postings.len() * 3);
    let (mut i, mut next) = (0, 0u32);
    while i < postings.len() {
        let t = postings[i] >> 24;
        let j = i + postings[i..].iter().take_while(|&&p| p >> 24 == t).count();
        push_term_gap(&mut bytes, t as u32 + 1 - next);
        next = t as u32 + 1;
        shard::push_sections(&mut bytes, postings[i..j].iter().map(|&p| ((p >> 8) as u16, p as u8)));
        i = j;
    }
    intern.cache.postings = postings;
    intern.cache.scorer = scorer;
    let m = meta;
    let shown = json(&(url, &m.title, m.kind, &m.classification, &m.theme, shown));
    Page {
        meta: Arc::clone(meta),
        sections: sections.len().min(usize::from(u16::MAX)) as u32,
        shown: Some(shown),
        postings: bytes.into_boxed_slice(),
    }
}

/// The first [`TEXT`] characters of a section's text, cut at a word.
fn excerpt(text: &str) -> String {
    let text = text.trim();
    let Some((cut, _)) = text.char_indices().nth(TEXT) else { return text.to_string() };
    let at = text[..cut].rfind(' ').filter(|&i| i > cut / 2).unwrap_or(cut);
    format!("{}…", text[..at].trim_end())
}

/// `value` as JSON.
fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// `search/<rel>` holding `ISMSBOOK_SEARCH.<method>(n, <json>);`.
fn script(rel: &str, method: &str, n: usize, json: &str) -> (String, Vec<u8>) {
    let n = n.to_string();
    let parts = ["ISMSBOOK_SEARCH.", method, "(", &n, ",", json, ");\n"];
    // Made at its exact size: chunks are kept in memory while the pages are indexed.
    let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    parts.iter().for_each(|p| bytes.extend_from_slice(p.as_bytes()));
    (urls::search_file(rel), bytes)
}

/// Scores the terms of one section at a time: each distinct term gets its best field score
/// (title, heading, id) plus its body score (BM25 term frequency, length normalised). Its
/// buffers are kept from section to section.
#[derive(Default)]
struct Scorer {
    /// Occurrences in the body, by term number (zero again after each section).
    counts: Vec<u32>,
    /// The section's body terms, each once, and its body length.
    seen: Vec<u32>,
    length: usize,
    /// The section's field terms and their scores.
    fields: Vec<(u32, u8)>,
}

impl Scorer {
    fn body(&mut self, t: u32) {
        let i = t as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        if self.counts[i] == 0 {
            self.seen.push(t);
        }
        self.counts[i] += 1;
        self.length += 1;
    }

    fn field(&mut self, t: u32, score: u8) {
        self.fields.push((t, score));
    }

    /// Calls `emit(term, score)` once for each term of the section (in no particular order)
    /// and starts the next section.
    fn section(&mut self, mut emit: impl FnMut(u32, u8)) {
        let len = self.length as f64;
        let body_score = |tf: u32| {
            let tf = f64::from(tf);
            let norm = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / REFERENCE_LENGTH));
            ((norm / (K1 + 1.0)) * BODY_MAX).ceil().clamp(1.0, BODY_MAX) as u8
        };
        // Highest field score first for each term.
        self.fields.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut last = None;
        for &(t, score) in &self.fields {
            if last == Some(t) {
                continue;
            }
            last = Some(t);
            let count = self.counts.get_mut(t as usize).map_or(0, std::mem::take);
            let body = if count > 0 { body_score(count) } else { 0 };
            emit(t, score.saturating_add(body).min(63));
        }
        for &t in &self.seen {
            let count = std::mem::take(&mut self.counts[t as usize]);
            if count > 0 {
                emit(t, body_score(count).min(63));
            }
        }
        self.fields.clear();
        self.seen.clear();
        self.length = 0;
    }
}

/// Whether builds index for search: always, unless ISMSBOOK_NO_SEARCH is set (a switch for
/// measuring what indexing costs; the search box then finds nothing).
pub fn enabled() -> bool {
    std::env::var_os("ISMSBOOK_NO_SEARCH").is_none()
}

/// `A.5.15` -> `5.15`: a catalogue id without its letter prefix.
fn short_id(id: &str) -> Option<&str> {
    let (head, rest) = id.split_once('.')?;
    (!head.is_empty()
        && head.chars().all(|c| c.is_ascii_alphabetic())
        && rest.starts_with(|c: char| c.is_ascii_digit()))
    .then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_rank_title_over_heading_over_body_by_frequency_and_length() {
        let mut scorer = Scorer::default();
        let mut score = |body: &[u32], fields: &[(u32, u8)]| {
            let mut out = BTreeMap::new();
            body.iter().for_each(|&t| scorer.body(t));
            fields.iter().for_each(|&(t, s)| scorer.field(t, s));
            scorer.section(|t, s| assert!(out.insert(t, s).is_none(), "{t} twice"));
            out
        };
        // Term 0 only in the title, 1 in the heading and twice in the body, 2 once in the body.
        let s = score(&[1, 2, 1], &[(0, TITLE), (1, HEADING)]);
        assert!(s[&0] >= TITLE && s[&1] > HEADING && s[&1] < TITLE && s[&2] < HEADING, "{s:?}");
        // More occurrences score higher; the same count in a longer section scores lower.
        let once = score(&[5, 6], &[])[&5];
        let twice = score(&[5, 5, 6], &[])[&5];
        let long: Vec<u32> = (0..400).map(|i| if i == 0 { 5 } else { 6 + i }).collect();
        let diluted = score(&long, &[])[&5];
        assert!(twice > once && diluted < once, "{once} {twice} {diluted}");
        // Ids outrank everything and stay within one digit.
        let ids = score(&[], &[(9, ID_EXACT), (9, ID_SHORT)]);
        assert_eq!(ids[&9], ID_EXACT);
    }

    #[test]
    fn page_postings_read_back_term_by_term() {
        let terms: [(u32, &[u8]); 5] = [(0, b"1"), (1, b"2AB"), (63, b"3"), (64, b"_-"), (300_000, b"0")];
        let mut bytes = Vec::new();
        let mut next = 0;
        for (t, digits) in terms {
            push_term_gap(&mut bytes, t + 1 - next);
            bytes.extend_from_slice(digits);
            next = t + 1;
        }
        let mut back = Vec::new();
        page_terms(&bytes, |t, d| back.push((t, d.to_vec())));
        assert_eq!(back, terms.map(|(t, d)| (t, d.to_vec())));
    }

    #[test]
    fn excerpts_end_on_a_word() {
        let long = "word ".repeat(100);
        let s = excerpt(&long);
        assert!(s.ends_with("word…") && s.chars().count() <= TEXT + 1, "{s}");
        assert_eq!(excerpt(" short "), "short");
    }

    #[test]
    fn short_ids() {
        assert_eq!(short_id("A.5.15"), Some("5.15"));
        assert_eq!(short_id("6.1.2"), None);
        assert_eq!(short_id("DOC-1"), None);
    }
}
