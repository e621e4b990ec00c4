//! A link checker for built sites: every relative href/src must name a file of the build, and
//! every #anchor an id in the target page.

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Values of `attr="..."` in an HTML text.
pub fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        if let Some(end) = rest.find('"') {
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'")
}

/// Returns one line per broken link: `page: href`.
pub fn broken_links(root: &Path) -> Vec<String> {
    let files: Vec<String> = super::files(root);
    let present: HashSet<&str> = files.iter().map(String::as_str).collect();
    let mut ids: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut texts: HashMap<&str, String> = HashMap::new();
    for f in files.iter().filter(|f| f.ends_with(".html")) {
        let text = super::read(&root.join(f));
        ids.insert(f, attr_values(&text, "id").into_iter().map(unescape).collect());
        texts.insert(f, text);
    }
    let mut broken = Vec::new();
    let mut check = |page: &str, href: &str| {
        let href = unescape(href);
        if href.is_empty() || href.contains("://") || href.starts_with("mailto:") || href.starts_with("javascript:") {
            return;
        }
        if href.starts_with('/') {
            broken.push(format!("{page}: {href} (absolute: breaks under a sub-path)"));
            return;
        }
        let (path, anchor) = href.split_once('#').map_or((href.as_str(), None), |(p, a)| (p, Some(a)));
        // A query (`index.html?level=high`: a linked filter) names the same file.
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        let target = if path.is_empty() {
            page.to_string()
        } else {
            let mut parts: Vec<&str> = page.split('/').collect();
            parts.pop();
            for seg in path.split('/') {
                match seg {
                    "." | "" => {}
                    ".." => {
                        if parts.pop().is_none() {
                            broken.push(format!("{page}: {href} (climbs out of the site)"));
                            return;
                        }
                    }
                    s => parts.push(s),
                }
            }
            parts.join("/")
        };
        if !present.contains(target.as_str()) {
            broken.push(format!("{page}: {href} (no file {target})"));
        } else if let Some(a) = anchor
            && !ids.get(target.as_str()).is_some_and(|set| set.contains(a))
        {
            broken.push(format!("{page}: {href} (no id {a} in {target})"));
        }
    };
    for (page, text) in &texts {
        for attr in ["href", "src"] {
            for v in attr_values(text, attr) {
                check(page, v);
            }
        }
    }
    // The shared navigation: URLs relative to the site root.
    if let Ok(nav) = std::fs::read_to_string(root.join("nav.js")) {
        for part in nav.split("\"u\":\"").skip(1) {
            let url = part.split('"').next().unwrap_or("");
            check("index.html", url);
        }
    }
    broken.sort();
    broken
}
