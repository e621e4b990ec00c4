//! The search index: built from the pages as they are rendered, written under `search/` as
//! small JavaScript files that the browser loads on demand with `<script>` tags (so search
//! works from file://, where fetch() is blocked, and under any sub-path).
//!
//! [`Indexer`] is fed one rendered page at a time ([`Indexer::add`], from any thread): the
//! page's main content is stripped of tags and cut at every heading that has an id, so a hit
//! lands on its section. Which pages are indexed, and their title, type, classification and
//! ids, come from the model ([`Indexer::new`]); a page the model does not list (a document
//! excluded by classification has no page at all) is never indexed. [`Indexer::finish`]
//! returns the files:
//!
//! - `search/index.js`: the manifest (shard and vocabulary keys, page types and themes for the
//!   filters, where each page's sections start);
//! - `search/t/<n>.js`: term shards, `term -> posting list` ([`shard`]);
//! - `search/v/<n>.js`: the words by first letter, for one-typo tolerance;
//! - `search/c/<n>.js`: section chunks (page, anchor, heading, snippet) for showing results.
//!
//! Each posting carries a precomputed score: 32 when the term is in the page title (top
//! section), 16 in the section heading, plus 1-15 for the body (BM25 term frequency, length
//! normalised). Ids (`#a.5.15`, `#5.15`, `#doc-00042`, a 2013 id on its successor) are terms
//! of their own with scores 60-63, which the browser ranks before everything else.

pub mod shard;
pub mod tokenize;

use crate::model::Handbook;
use crate::urls;
use ahash::AHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

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
const SHARD_LIMIT: usize = 32 * 1024;
/// Sections per chunk file.
pub const CHUNK: usize = 64;
/// Snippet length (characters) kept per section.
const SNIPPET: usize = 80;

/// What the index knows of a page besides its text.
#[derive(Clone, Debug)]
struct PageMeta {
    title: String,
    kind: &'static str,
    classification: String,
    theme: String,
    /// Id terms (without `#`) and their scores.
    ids: Vec<(String, u8)>,
}

/// A section of a page, as shown in results.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Section {
    pub anchor: String,
    pub heading: String,
    pub text: String,
}

struct Page {
    url: String,
    meta: PageMeta,
    /// (anchor, heading, snippet) per section.
    sections: Vec<(String, String, String)>,
    /// (global term id, section within the page, score).
    postings: Vec<(u32, u16, u8)>,
}

#[derive(Default)]
struct State {
    terms: AHashMap<Box<str>, u32>,
    pages: Vec<Page>,
}

/// Collects pages; thread-safe, so it can be fed from the parallel page writer.
pub struct Indexer {
    meta: HashMap<String, PageMeta>,
    state: Mutex<State>,
}

impl Indexer {
    /// An indexer for the pages of `hb` (only the pages named here are indexed).
    pub fn new(hb: &Handbook) -> Indexer {
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
        Indexer { meta, state: Mutex::new(State::default()) }
    }

    /// The pages this indexer wants (build-dir-relative URLs, sorted).
    pub fn urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = self.meta.keys().cloned().collect();
        urls.sort();
        urls
    }

    /// Indexes one rendered page (its build-dir-relative URL and HTML). Pages the model did
    /// not name (lists, 404) are ignored.
    pub fn add(&self, url: &str, html: &str) {
        let Some(meta) = self.meta.get(url) else { return };
        let sections = sections(html);
        // Terms of the page, numbered locally; postings as (local term, section, score).
        let mut local: AHashMap<Box<str>, u32> = AHashMap::new();
        let mut intern = |t: &str| -> u32 {
            if let Some(&i) = local.get(t) {
                return i;
            }
            let i = local.len() as u32;
            local.insert(t.into(), i);
            i
        };
        let mut postings: Vec<(u32, u16, u8)> = Vec::new();
        let mut shown = Vec::with_capacity(sections.len());
        let (mut body, mut fields) = (Vec::new(), Vec::new());
        for (n, s) in sections.iter().enumerate().take(usize::from(u16::MAX)) {
            let n = n as u16;
            body.clear();
            fields.clear();
            let heading = if n == 0 { meta.title.as_str() } else { s.heading.as_str() };
            let field = if n == 0 { TITLE } else { HEADING };
            tokenize::terms(&tokenize::fold(heading), |t| fields.push((intern(t), field)));
            tokenize::terms(&tokenize::fold(&s.text), |t| body.push(intern(t)));
            if n == 0 {
                for (id, score) in &meta.ids {
                    fields.push((intern(&format!("#{}", tokenize::fold(id))), *score));
                }
            }
            section_scores(&mut body, &mut fields, |t, score| postings.push((t, n, score)));
            // The top section's heading is the page title, which the chunk has already.
            let heading = if n == 0 { String::new() } else { s.heading.clone() };
            shown.push((s.anchor.clone(), heading, snippet(&s.text)));
        }
        let mut names: Vec<(Box<str>, u32)> = local.into_iter().collect();
        names.sort_unstable_by_key(|&(_, i)| i);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State { terms, pages } = &mut *state;
        let global: Vec<u32> = names
            .into_iter()
            .map(|(name, _)| {
                let next = terms.len() as u32;
                *terms.entry(name).or_insert(next)
            })
            .collect();
        for p in &mut postings {
            p.0 = global[p.0 as usize];
        }
        pages.push(Page { url: url.to_string(), meta: meta.clone(), sections: shown, postings });
    }

    /// The files of `search/` (build-dir-relative paths), in a deterministic order.
    pub fn finish(self) -> Vec<(String, Vec<u8>)> {
        let State { terms, mut pages } = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        pages.sort_by(|a, b| a.url.cmp(&b.url));
        let mut names: Vec<(Box<str>, u32)> = terms.into_iter().collect();
        names.sort_unstable();
        // Postings per term (by global id), in section order.
        let mut postings: Vec<Vec<(u32, u8)>> = vec![Vec::new(); names.len()];
        let mut first = 0u32;
        for p in &pages {
            // A page's postings are in section order already.
            for &(t, n, sc) in &p.postings {
                postings[t as usize].push((first + u32::from(n), sc));
            }
            first += p.sections.len() as u32;
        }
        let total_sections = first;
        let encoded: Vec<(&str, String)> =
            names.iter().map(|(name, id)| (&**name, shard::encode_postings(&postings[*id as usize]))).collect();
        drop(postings);
        let mut files = Vec::new();
        // Term shards.
        let sizes: Vec<(&str, usize)> = encoded.iter().map(|(n, p)| (*n, n.len() + p.len() + 6)).collect();
        let mut shard_keys: BTreeMap<String, usize> = BTreeMap::new();
        for (n, (key, range)) in shard::split(&sizes, SHARD_LIMIT).into_iter().enumerate() {
            let map: BTreeMap<&str, &str> = encoded[range].iter().map(|(t, p)| (*t, p.as_str())).collect();
            files.push(script(&format!("t/{n}.js"), "shard", n, &map));
            shard_keys.insert(key, n);
        }
        // Words by first character, for typo tolerance.
        let mut vocab: BTreeMap<char, Vec<&str>> = BTreeMap::new();
        for (t, _) in &encoded {
            if t.chars().count() >= 4 && t.chars().all(|c| c.is_alphabetic() && !tokenize::is_cjk(c)) {
                vocab.entry(t.chars().next().unwrap_or(' ')).or_default().push(t);
            }
        }
        let mut vocab_keys = BTreeMap::new();
        for (n, (c, words)) in vocab.iter().enumerate() {
            files.push(script(&format!("v/{n}.js"), "vocab", n, words));
            vocab_keys.insert(c.to_string(), n);
        }
        // Section chunks, with the pages they belong to.
        #[derive(Serialize)]
        struct Chunk<'a> {
            p: BTreeMap<usize, (&'a str, &'a str, &'a str, &'a str, &'a str)>,
            s: Vec<(usize, &'a str, &'a str, &'a str)>,
        }
        let mut all: Vec<(usize, &(String, String, String))> = Vec::new();
        for (i, p) in pages.iter().enumerate() {
            all.extend(p.sections.iter().map(|s| (i, s)));
        }
        for (n, group) in all.chunks(CHUNK).enumerate() {
            let mut chunk = Chunk { p: BTreeMap::new(), s: Vec::new() };
            for &(i, (anchor, heading, text)) in group {
                let m = &pages[i].meta;
                chunk.p.insert(i, (&pages[i].url, &m.title, m.kind, &m.classification, &m.theme));
                chunk.s.push((i, anchor, heading, text));
            }
            files.push(script(&format!("c/{n}.js"), "chunk", n, &chunk));
        }
        // The manifest: filters need each page's type and theme before any chunk is loaded.
        let mut kinds: Vec<&str> = pages.iter().map(|p| p.meta.kind).collect();
        kinds.sort();
        kinds.dedup();
        let mut themes: Vec<&str> = pages.iter().map(|p| p.meta.theme.as_str()).filter(|t| !t.is_empty()).collect();
        themes.sort();
        themes.dedup();
        let mut codes = String::with_capacity(pages.len() * 2);
        let mut starts = String::new();
        for p in &pages {
            let k = kinds.iter().position(|k| *k == p.meta.kind).unwrap_or(0);
            let t = themes.iter().position(|t| *t == p.meta.theme).map_or(0, |i| i + 1);
            shard::push_digit(&mut codes, k as u8);
            shard::push_digit(&mut codes, t as u8);
            shard::push_number(&mut starts, p.sections.len() as u32);
        }
        #[derive(Serialize)]
        struct Manifest<'a> {
            sections: u32,
            chunk: usize,
            shards: BTreeMap<String, usize>,
            vocab: BTreeMap<String, usize>,
            kinds: Vec<&'a str>,
            themes: Vec<&'a str>,
            pages: String,
            counts: String,
        }
        let manifest = Manifest {
            sections: total_sections,
            chunk: CHUNK,
            shards: shard_keys,
            vocab: vocab_keys,
            kinds,
            themes,
            pages: codes,
            counts: starts,
        };
        files.push(script("index.js", "index", 0, &manifest));
        files
    }
}

/// Calls `emit(term, score)` for each distinct term of a section: its best field score
/// (title, heading, id) plus its body score (BM25 term frequency, length normalised). Sorts
/// both lists.
fn section_scores(body: &mut [u32], fields: &mut [(u32, u8)], mut emit: impl FnMut(u32, u8)) {
    let len = body.len() as f64;
    body.sort_unstable();
    // Highest field score first for each term.
    fields.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let body_score = |tf: usize| {
        let tf = tf as f64;
        let norm = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / REFERENCE_LENGTH));
        ((norm / (K1 + 1.0)) * BODY_MAX).ceil().clamp(1.0, BODY_MAX) as u8
    };
    let (mut i, mut f) = (0, 0);
    while i < body.len() || f < fields.len() {
        let bt = body.get(i).copied().unwrap_or(u32::MAX);
        let ft = fields.get(f).map_or(u32::MAX, |x| x.0);
        let t = bt.min(ft);
        let mut score = 0u8;
        if ft == t {
            score = fields[f].1;
            while f < fields.len() && fields[f].0 == t {
                f += 1;
            }
        }
        if bt == t {
            let start = i;
            while i < body.len() && body[i] == t {
                i += 1;
            }
            score = score.saturating_add(body_score(i - start));
        }
        emit(t, score.min(63));
    }
}

/// Whether builds index for search: always, unless ISMSBOOK_NO_SEARCH is set (a switch for
/// measuring what indexing costs; the search box then finds nothing).
pub fn enabled() -> bool {
    std::env::var_os("ISMSBOOK_NO_SEARCH").is_none()
}

/// `search/<rel>` holding `ISMSBOOK_SEARCH.<method>(n, <json>);`.
fn script(rel: &str, method: &str, n: usize, value: &impl Serialize) -> (String, Vec<u8>) {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    (urls::search_file(rel), format!("ISMSBOOK_SEARCH.{method}({n},{json});\n").into_bytes())
}

/// `A.5.15` -> `5.15`: a catalogue id without its letter prefix.
fn short_id(id: &str) -> Option<&str> {
    let (head, rest) = id.split_once('.')?;
    (!head.is_empty()
        && head.chars().all(|c| c.is_ascii_alphabetic())
        && rest.starts_with(|c: char| c.is_ascii_digit()))
    .then_some(rest)
}

/// The first words of a section's text.
fn snippet(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= SNIPPET {
        return text.to_string();
    }
    let cut = text.char_indices().nth(SNIPPET).map_or(text.len(), |(i, _)| i);
    let at = text[..cut].rfind(' ').filter(|&i| i > SNIPPET / 2).unwrap_or(cut);
    format!("{}…", text[..at].trim_end())
}

/// Tags that do not separate words (`pass<b>word</b>` is one word).
const INLINE: [&str; 17] = [
    "a", "b", "strong", "em", "i", "code", "span", "mark", "sub", "sup", "small", "abbr", "kbd", "u", "s", "del", "ins",
];

/// The main content of a page (inside `<main>`, else `<body>`), cut into sections at every
/// `<h2>`..`<h6>` with an id. The `<h1>` (the title, indexed from the model), scripts, styles,
/// `<nav>` (tables of contents) and elements
/// marked `data-nosearch` or `class="doc-control"` are left out; tags separate words except
/// inline ones (`pass<b>word</b>` is one word).
pub fn sections(html: &str) -> Vec<Section> {
    let content = inner(html, "main").or_else(|| inner(html, "body")).unwrap_or(html);
    let mut out = vec![Section::default()];
    let mut in_heading = false;
    let mut i = 0;
    let bytes = content.as_bytes();
    while i < bytes.len() {
        let Some(k) = memchr::memchr(b'<', &bytes[i..]) else {
            push_text(&mut out, in_heading, &content[i..]);
            break;
        };
        push_text(&mut out, in_heading, &content[i..i + k]);
        i += k;
        if content[i..].starts_with("<!--") {
            i = content[i..].find("-->").map_or(bytes.len(), |e| i + e + 3);
            continue;
        }
        let Some(end) = memchr::memchr(b'>', &bytes[i..]).map(|e| i + e) else { break };
        let tag = &content[i + 1..end];
        i = end + 1;
        let closing = tag.starts_with('/');
        let name_end = tag.find(|c: char| c.is_whitespace() || c == '/' || c == '>').unwrap_or(tag.len());
        let name =
            if closing { tag[1..].split(|c: char| c.is_whitespace()).next().unwrap_or("") } else { &tag[..name_end] };
        let name = name.to_ascii_lowercase();
        let attributes = name_end < tag.len();
        if !closing
            && (matches!(name.as_str(), "h1" | "script" | "style" | "nav" | "noscript" | "template")
                || (attributes && tag.contains("data-nosearch"))
                || (name == "table" && tag.contains("doc-control")))
        {
            i = skip_element(content, i, &name);
            continue;
        }
        let heading = matches!(name.as_str(), "h2" | "h3" | "h4" | "h5" | "h6");
        if heading && !closing {
            if let Some(id) = attribute(tag, "id") {
                out.push(Section { anchor: decode(id), ..Section::default() });
                in_heading = true;
                continue;
            }
        } else if heading && closing {
            in_heading = false;
        }
        if !INLINE.contains(&name.as_str())
            && let Some(s) = out.last_mut()
        {
            push_space(if in_heading { &mut s.heading } else { &mut s.text });
        }
    }
    for s in &mut out {
        let heading = s.heading.trim_end_matches([' ', '#']).len();
        s.heading.truncate(heading);
        let text = s.text.trim_end().len();
        s.text.truncate(text);
    }
    out
}

/// Appends text to the open section's heading or body, whitespace collapsed to one space.
fn push_text(out: &mut [Section], in_heading: bool, text: &str) {
    if text.is_empty() {
        return;
    }
    let Some(s) = out.last_mut() else { return };
    let target = if in_heading { &mut s.heading } else { &mut s.text };
    let decoded;
    let text = if text.contains('&') {
        decoded = decode(text);
        decoded.as_str()
    } else {
        text
    };
    if text.is_ascii() {
        if text.starts_with(|c: char| c.is_ascii_whitespace()) {
            push_space(target);
        }
        for (i, word) in text.split_ascii_whitespace().enumerate() {
            if i > 0 {
                target.push(' ');
            }
            target.push_str(word);
        }
        if text.ends_with(|c: char| c.is_ascii_whitespace()) {
            push_space(target);
        }
        return;
    }
    for (i, word) in text.split(char::is_whitespace).enumerate() {
        if i > 0 {
            push_space(target);
        }
        target.push_str(word);
    }
}

/// One space, unless the text is empty or already ends with one.
fn push_space(target: &mut String) {
    if !target.is_empty() && !target.ends_with(' ') {
        target.push(' ');
    }
}

/// The text between `<tag ...>` and the last `</tag>`.
fn inner<'a>(html: &'a str, tag: &str) -> Option<&'a str> {
    let open = html.find(&format!("<{tag}"))?;
    let start = open + html[open..].find('>')? + 1;
    let end = html.rfind(&format!("</{tag}>"))?;
    (end >= start).then(|| &html[start..end])
}

/// Skips from just after an opening `<name ...>` to just after its matching `</name>`.
fn skip_element(s: &str, mut i: usize, name: &str) -> usize {
    let (open, close) = (format!("<{name}"), format!("</{name}"));
    let mut depth = 1;
    while depth > 0 {
        let next_close = s[i..].find(&close).map(|k| i + k);
        let next_open = s[i..].find(&open).map(|k| i + k);
        match (next_open, next_close) {
            (Some(o), Some(c)) if o < c => {
                depth += 1;
                i = o + open.len();
            }
            (_, Some(c)) => {
                depth -= 1;
                i = s[c..].find('>').map_or(s.len(), |k| c + k + 1);
            }
            _ => return s.len(),
        }
    }
    i
}

/// The value of attribute `name` in a tag's text (`h2 id="scope"`).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(k) = rest.find(name) {
        let before = rest[..k].chars().last();
        let after = &rest[k + name.len()..];
        if before.is_some_and(char::is_whitespace) && after.starts_with('=') {
            let v = &after[1..];
            let q = v.chars().next()?;
            if q == '"' || q == '\'' {
                return v[1..].find(q).map(|e| &v[1..1 + e]);
            }
            return Some(v.split(|c: char| c.is_whitespace()).next().unwrap_or(""));
        }
        rest = after;
    }
    None
}

/// Decodes the character references a page contains.
fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(k) = rest.find('&') {
        out.push_str(&rest[..k]);
        rest = &rest[k..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity.strip_prefix('#').and_then(|n| {
                let code = match n.strip_prefix(['x', 'X']) {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => n.parse().ok(),
                };
                code.and_then(char::from_u32)
            }),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_cut_at_headings_with_ids() {
        let html = "<html><body><header>Site <input></header><main id=\"content\"><h1>Access &amp; keys</h1>\
            <nav class=\"toc\"><a href=\"#a\">Rules</a></nav><table class=\"doc-control\"><tr><td>DOC-1</td></tr></table>\
            <p>Intro <b>pass</b>word.</p><script>var x = 'secret';</script>\
            <h2 id=\"rules\">Rules <a class=\"anchor\" href=\"#rules\">#</a></h2><p>Use&nbsp;MFA &#8212; always.</p>\
            <h3>No id</h3><p>More</p></main><footer>built</footer></body></html>";
        let s = sections(html);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].anchor, "");
        assert_eq!(s[0].text, "Intro password.");
        assert_eq!(s[1].anchor, "rules");
        assert_eq!(s[1].heading, "Rules");
        assert_eq!(s[1].text, "Use MFA — always. No id More");
    }

    #[test]
    fn scores_rank_title_over_heading_over_body_by_frequency_and_length() {
        let score = |body: &[u32], fields: &[(u32, u8)]| {
            let mut out = BTreeMap::new();
            section_scores(&mut body.to_vec(), &mut fields.to_vec(), |t, s| {
                out.insert(t, s);
            });
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
    fn snippets_end_on_a_word() {
        let long = "word ".repeat(100);
        let s = snippet(&long);
        assert!(s.ends_with("word…") && s.chars().count() <= SNIPPET + 1, "{s}");
        assert_eq!(snippet(" short "), "short");
    }

    #[test]
    fn short_ids() {
        assert_eq!(short_id("A.5.15"), Some("5.15"));
        assert_eq!(short_id("6.1.2"), None);
        assert_eq!(short_id("DOC-1"), None);
    }
}
