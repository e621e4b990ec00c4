//! The text of a rendered page, cut into sections: the page's main content stripped of tags
//! and cut at every heading that has an id, so that a search hit lands on its section.

use std::ops::Range;
use std::sync::LazyLock;

/// Finds the attribute that keeps an element out of the index.
static NOSEARCH: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(b"data-nosearch"));
/// Finds whitespace that collapses.
static TWO_SPACES: LazyLock<memchr::memmem::Finder<'static>> = LazyLock::new(|| memchr::memmem::Finder::new(b"  "));

/// A page's text: the heading and body of every section, one after the other in `text`
/// (one buffer per page, not one per section).
#[derive(Debug, Default)]
pub struct PageText {
    pub text: String,
    pub sections: Vec<Section>,
}

/// A section of a page: its anchor, and where its heading and body are in [`PageText::text`].
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Section {
    pub anchor: String,
    pub heading: Range<usize>,
    pub body: Range<usize>,
}

impl PageText {
    pub fn heading(&self, s: &Section) -> &str {
        &self.text[s.heading.clone()]
    }

    pub fn body(&self, s: &Section) -> &str {
        &self.text[s.body.clone()]
    }

    /// Ends the open section: its heading (when `in_heading`) or body runs from `start` to here.
    fn close(&mut self, start: usize, in_heading: bool) {
        let end = self.text.len();
        if let Some(s) = self.sections.last_mut() {
            if in_heading {
                s.heading = start..end;
                s.body = end..end;
            } else {
                s.body = start..end;
            }
        }
    }
}

/// Whether tag `name` (lowercase) leaves words whole (`pass<b>word</b>` is one word).
fn inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "strong"
            | "em"
            | "i"
            | "code"
            | "span"
            | "mark"
            | "sub"
            | "sup"
            | "small"
            | "abbr"
            | "kbd"
            | "u"
            | "s"
            | "del"
            | "ins"
    )
}

/// The main content of a page (inside `<main>`, else `<body>`), cut into sections at every
/// `<h2>`..`<h6>` with an id. The `<h1>` (the title, indexed from the model), scripts, styles,
/// `<nav>` (tables of contents) and elements
/// marked `data-nosearch` or `class="doc-control"` are left out; tags separate words except
/// inline ones (`pass<b>word</b>` is one word).
pub fn sections(html: &str) -> PageText {
    let content = inner(html, "main").or_else(|| inner(html, "body")).unwrap_or(html);
    let mut out = PageText { text: String::with_capacity(content.len() / 2), sections: vec![Section::default()] };
    let mut in_heading = false;
    // Where the open heading or body starts in `out.text`.
    let mut start = 0;
    let mut i = 0;
    let bytes = content.as_bytes();
    while i < bytes.len() {
        let Some(k) = memchr::memchr(b'<', &bytes[i..]) else {
            push_text(&mut out.text, start, &content[i..]);
            break;
        };
        push_text(&mut out.text, start, &content[i..i + k]);
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
        // Lowercased in a small buffer (a longer name is no tag this function treats apart).
        let mut lower = [0u8; 8];
        let name = match lower.get_mut(..name.len()) {
            Some(buf) => {
                buf.copy_from_slice(name.as_bytes());
                buf.make_ascii_lowercase();
                std::str::from_utf8(buf).unwrap_or("")
            }
            None => "",
        };
        let attributes = name_end < tag.len();
        if !closing
            && (matches!(name, "h1" | "script" | "style" | "nav" | "noscript" | "template")
                || (attributes && NOSEARCH.find(tag.as_bytes()).is_some())
                || (name == "table" && tag.contains("doc-control")))
        {
            i = skip_element(content, i, name);
            continue;
        }
        let heading = matches!(name, "h2" | "h3" | "h4" | "h5" | "h6");
        if heading && !closing {
            if let Some(id) = attribute(tag, "id") {
                out.close(start, in_heading);
                start = out.text.len();
                out.sections.push(Section { anchor: decode(id), ..Section::default() });
                in_heading = true;
                continue;
            }
        } else if heading && closing && in_heading {
            out.close(start, true);
            start = out.text.len();
            in_heading = false;
        }
        if !inline(name) {
            push_space(&mut out.text, start);
        }
    }
    out.close(start, in_heading);
    let PageText { text, sections } = &mut out;
    for s in sections {
        s.heading.end = s.heading.start + text[s.heading.clone()].trim_end_matches([' ', '#']).len();
        s.body.end = s.body.start + text[s.body.clone()].trim_end().len();
    }
    out
}

/// Appends text to the open heading or body (from `start` in `target`), character references
/// decoded and whitespace collapsed to one space.
fn push_text(target: &mut String, start: usize, text: &str) {
    let mut rest = text;
    while let Some(k) = memchr::memchr(b'&', rest.as_bytes()) {
        push_plain(target, start, &rest[..k]);
        let (c, len) = entity(&rest[k..]).unwrap_or(('&', 1));
        match c.is_whitespace() {
            true => push_space(target, start),
            false => target.push(c),
        }
        rest = &rest[k + len..];
    }
    push_plain(target, start, rest);
}

/// [`push_text`] of text without character references: its runs of non-whitespace copied
/// whole.
fn push_plain(target: &mut String, start: usize, text: &str) {
    let b = text.as_bytes();
    // The common case, ASCII words one space apart, is copied in one piece.
    let inner = text.strip_prefix(' ').unwrap_or(text);
    let inner = inner.strip_suffix(' ').unwrap_or(inner);
    if !inner.is_empty()
        && inner.is_ascii()
        && memchr::memchr3(b'\n', b'\t', b'\r', b).is_none()
        && memchr::memchr(0x0c, b).is_none()
        && TWO_SPACES.find(b).is_none()
    {
        if text.starts_with(' ') {
            push_space(target, start);
        }
        target.push_str(inner);
        if text.ends_with(' ') {
            push_space(target, start);
        }
        return;
    }
    let (mut run, mut i) = (0, 0);
    while i < b.len() {
        let (space, len) = match b[i] {
            c if c.is_ascii() => (c.is_ascii_whitespace(), 1),
            _ => text[i..].chars().next().map_or((false, 1), |c| (c.is_whitespace(), c.len_utf8())),
        };
        if space {
            target.push_str(&text[run..i]);
            push_space(target, start);
            run = i + len;
        }
        i += len;
    }
    target.push_str(&text[run..]);
}

/// One space, unless the open heading or body (from `start`) is empty or already ends with
/// one.
fn push_space(target: &mut String, start: usize) {
    if target.len() > start && !target.ends_with(' ') {
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
    let (open, close) = (memchr::memmem::Finder::new(&open), memchr::memmem::Finder::new(&close));
    let b = s.as_bytes();
    let mut depth = 1;
    while depth > 0 {
        let Some(c) = close.find(&b[i..]).map(|k| i + k) else { return s.len() };
        // An element of the same name opened before this closing tag is nested.
        match open.find(&b[i..c]) {
            Some(o) => {
                depth += 1;
                i += o + open.needle().len();
            }
            None => {
                depth -= 1;
                i = memchr::memchr(b'>', &b[c..]).map_or(s.len(), |k| c + k + 1);
            }
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
        let (c, len) = entity(&rest[k..]).unwrap_or(('&', 1));
        out.push(c);
        rest = &rest[k + len..];
    }
    out.push_str(rest);
    out
}

/// The character reference at the start of `s` (`&amp;`, `&#8212;`, `&#x2014;`) and its length
/// in bytes; `None` when `s` does not start with one that this module knows.
fn entity(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    let semi = b.iter().take(12).position(|&c| c == b';')?;
    // Bytes 1..semi are ASCII up to the `;` (a multi-byte character has no `;` byte).
    let name = s.get(1..semi)?;
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(h) => u32::from_str_radix(h, 16).ok(),
                None => n.parse().ok(),
            };
            code.and_then(char::from_u32)?
        }
    };
    Some((c, semi + 1))
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
        let page = sections(html);
        let s = &page.sections;
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].anchor, "");
        assert_eq!(page.heading(&s[0]), "");
        assert_eq!(page.body(&s[0]), "Intro password.");
        assert_eq!(s[1].anchor, "rules");
        assert_eq!(page.heading(&s[1]), "Rules");
        assert_eq!(page.body(&s[1]), "Use MFA — always. No id More");
    }

    #[test]
    fn references_and_whitespace() {
        let page = sections("<main><p> one two </p> <p>three  four</p><p>five</p>six<b> seven</b></main>");
        assert_eq!(page.body(&page.sections[0]), "one two three four five six seven");
        let page = sections(
            "<main><p>a&amp;b &#x41;&#65;&nbsp;&bogus; &\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}; \u{e9}\u{a0}x\n\t y&#10;z&</p></main>",
        );
        assert_eq!(page.body(&page.sections[0]), "a&b AA &bogus; &\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}; \u{e9} x y z&");
    }

    #[test]
    fn nested_skipped_elements_and_headings_without_bodies() {
        let html = "<main><nav><nav>a</nav>b</nav><p>Kept</p><h2 id=\"x\">X</h2><h2 id=\"y\">Y <b>bold</b></h2>\
            <p>Why</p><h3 id=\"z\">Zed</main>";
        let page = sections(html);
        let got: Vec<(&str, &str, &str)> =
            page.sections.iter().map(|s| (s.anchor.as_str(), page.heading(s), page.body(s))).collect();
        assert_eq!(got, [("", "", "Kept"), ("x", "X", ""), ("y", "Y bold", "Why"), ("z", "Zed", "")]);
    }
}
