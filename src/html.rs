//! Raw HTML inside Markdown: what in it can run code, and which links it holds.
//!
//! Markdown lets authors write HTML; a handbook is read by every employee, so script in it runs
//! in every reader's browser. [`scan`] tokenizes a fragment with a real HTML5 tokenizer
//! (html5gum, the WHATWG tokenizer state machine, not a regular expression) and reports
//! `<script>`, `<iframe>` (and its relatives `<frame>`, `<object>`, `<embed>`), event-handler
//! attributes (`on*`), and `javascript:`, `vbscript:` or `data:` URLs in URL attributes. It also
//! returns the `<a href>` and `<img src>` links, so that they are checked (and `.md` rewritten to
//! `.html`) like Markdown links. What is done with the findings is the policy
//! `[output.html] raw-html` ([`RawHtmlPolicy`]), applied by the Markdown stage.

use html5gum::emitters::default::DefaultEmitter;
use html5gum::{Token, Tokenizer};
use std::ops::Range;

/// `[output.html] raw-html`: what a finding is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RawHtmlPolicy {
    /// Nothing is reported.
    Allow,
    /// A warning; the HTML is published as written.
    #[default]
    Warn,
    /// An error: the build fails, so nothing with the finding is published.
    Deny,
}

impl RawHtmlPolicy {
    pub fn parse(s: &str) -> Option<RawHtmlPolicy> {
        match s {
            "allow" => Some(RawHtmlPolicy::Allow),
            "warn" => Some(RawHtmlPolicy::Warn),
            "deny" => Some(RawHtmlPolicy::Deny),
            _ => None,
        }
    }
}

/// Something in raw HTML that can run code.
#[derive(Debug, PartialEq, Eq)]
pub struct Finding {
    /// Byte offset in the fragment.
    pub offset: usize,
    pub message: String,
}

/// A link in raw HTML: an `href` of `<a>` or a `src` of `<img>`.
#[derive(Debug, PartialEq, Eq)]
pub struct RawLink {
    /// Byte offset of the attribute in the fragment.
    pub offset: usize,
    /// The decoded URL.
    pub url: String,
    /// Where the value is written in the fragment (without quotes), to rewrite it.
    pub value: Range<usize>,
    pub quoted: bool,
}

#[derive(Debug, Default)]
pub struct Scan {
    pub findings: Vec<Finding>,
    pub links: Vec<RawLink>,
}

/// Elements that run or embed active content.
const ACTIVE_ELEMENTS: [&str; 5] = ["script", "iframe", "frame", "object", "embed"];

/// Attributes whose value is a URL.
const URL_ATTRIBUTES: [&str; 9] =
    ["href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc"];

/// The scheme of a URL that runs code or smuggles a document (`javascript:`, `vbscript:`,
/// `data:`), as a browser reads it: case-insensitive, ignoring whitespace and control
/// characters inside it.
pub fn dangerous_scheme(url: &str) -> Option<&'static str> {
    let cleaned: String =
        url.chars().filter(|c| !c.is_whitespace() && !c.is_control()).take(16).flat_map(char::to_lowercase).collect();
    ["javascript:", "vbscript:", "data:"].into_iter().find(|s| cleaned.starts_with(s))
}

/// Tokenizes one fragment of raw HTML.
pub fn scan(fragment: &str) -> Scan {
    let mut out = Scan::default();
    for token in Tokenizer::new_with_emitter(fragment, DefaultEmitter::<usize>::new_with_span()) {
        let Ok(Token::StartTag(tag)) = token else { continue };
        let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
        let at = tag.span.start.min(fragment.len());
        if ACTIVE_ELEMENTS.contains(&name.as_str()) {
            out.findings.push(Finding { offset: at, message: format!("a <{name}> element") });
        }
        for (attr, value) in &tag.attributes {
            let attr = String::from_utf8_lossy(attr).to_ascii_lowercase();
            let offset = value.span.start.min(fragment.len());
            let text = String::from_utf8_lossy(&value.value).into_owned();
            if attr.starts_with("on") {
                out.findings.push(Finding { offset, message: format!("an event handler `{attr}` on <{name}>") });
            }
            if URL_ATTRIBUTES.contains(&attr.as_str())
                && let Some(scheme) = dangerous_scheme(&text)
            {
                out.findings.push(Finding { offset, message: format!("a {scheme} URL in `{attr}` of <{name}>") });
                continue;
            }
            if (name == "a" && attr == "href") || (name == "img" && attr == "src") {
                let span = value.span.start.min(fragment.len())..value.span.end.min(fragment.len());
                if let Some((value, quoted)) = value_range(fragment, span) {
                    out.links.push(RawLink { offset, url: text, value, quoted });
                }
            }
        }
    }
    out.findings.sort_by_key(|f| f.offset);
    out.links.sort_by_key(|l| l.offset);
    out
}

/// The value inside an attribute's span `name = "value"`: its range and whether it is quoted.
fn value_range(fragment: &str, span: Range<usize>) -> Option<(Range<usize>, bool)> {
    let attr = fragment.get(span.clone())?;
    let eq = attr.find('=')?;
    let after = &attr[eq + 1..];
    let skip = after.len() - after.trim_start().len();
    let start = span.start + eq + 1 + skip;
    let rest = &fragment[start..span.end];
    match rest.chars().next()? {
        q @ ('"' | '\'') => {
            let len = rest[1..].find(q)?;
            Some((start + 1..start + 1 + len, true))
        }
        _ => {
            let len = rest.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(rest.len());
            Some((start..start + len, false))
        }
    }
}

/// `fragment` with each `(range, new value)` written in, quoted and HTML-escaped.
pub fn rewrite(fragment: &str, edits: &[(Range<usize>, bool, String)]) -> String {
    let mut out = String::with_capacity(fragment.len());
    let mut at = 0;
    for (range, quoted, value) in edits {
        out.push_str(&fragment[at..range.start]);
        let escaped = value.replace('&', "&amp;").replace('"', "&quot;");
        if *quoted {
            out.push_str(&escaped);
        } else {
            out.push('"');
            out.push_str(&escaped);
            out.push('"');
        }
        at = range.end;
    }
    out.push_str(&fragment[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_active_content() {
        let s = scan("<p onclick=\"x()\">a</p><SCRIPT>alert(1)</SCRIPT><iframe src=\"https://x\"></iframe>");
        let messages: Vec<&str> = s.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages, ["an event handler `onclick` on <p>", "a <script> element", "a <iframe> element"]);
        let s = scan("<a href=\" jav&#x09;ascript:alert(1)\">x</a><img src='data:image/png;base64,AA'>");
        let messages: Vec<&str> = s.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages, ["a javascript: URL in `href` of <a>", "a data: URL in `src` of <img>"]);
        assert!(scan("<a href=\"https://example.com\" title=\"onclick\">ok</a>").findings.is_empty());
        assert!(scan("<!-- <script> -->").findings.is_empty());
    }

    #[test]
    fn links_and_rewrites() {
        let html = "<a class=x href=\"../a.md#s\">a</a> <img src=b.png alt=''>";
        let s = scan(html);
        let urls: Vec<&str> = s.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(urls, ["../a.md#s", "b.png"]);
        let edits: Vec<_> = s.links.iter().map(|l| (l.value.clone(), l.quoted, format!("{}!", l.url))).collect();
        assert_eq!(rewrite(html, &edits), "<a class=x href=\"../a.md#s!\">a</a> <img src=\"b.png!\" alt=''>");
    }
}
