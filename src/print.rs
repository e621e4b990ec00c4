//! The print edition (`print.html`): every page of the handbook that a reader prints is laid
//! on one page, so its links must point inside it and its ids must not collide.
//!
//! Each printed page gets an anchor derived from its URL ([`anchor_of`]); [`rewrite`] prefixes
//! every `id` of a page's HTML with that anchor and turns each link to a printed page (and
//! heading) into an in-page `#anchor`. Links to pages that are not printed (the register,
//! role pages, files) stay links, made relative to the site root where print.html lives.

use crate::links::join_relative;
use std::collections::HashSet;

/// The id a printed page's section carries: `p-policies:access-control` for
/// `policies/access-control.html`. Unique because URLs are.
pub fn anchor_of(url: &str) -> String {
    format!("p-{}", url.strip_suffix(".html").unwrap_or(url).replace('/', ":"))
}

/// An id inside a printed page: the page's anchor, `--`, the original id.
pub fn inner_anchor(url: &str, id: &str) -> String {
    format!("{}--{id}", anchor_of(url))
}

/// Rewrites the HTML of the page `page` (build-dir-relative) for print.html: ids prefixed,
/// links to `printed` pages turned into in-page anchors, other relative links re-rooted.
pub fn rewrite(html: &str, page: &str, printed: &HashSet<&str>) -> String {
    const ATTRS: [&str; 3] = [" id=\"", " href=\"", " src=\""];
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut at = 0;
    // The next occurrence of each attribute at or after `at`, searched again only once passed:
    // one pass over the page, however many links it has.
    let find = |from: usize, k: usize| html[from..].find(ATTRS[k]).map(|i| from + i);
    let mut next: [Option<usize>; 3] = [find(0, 0), find(0, 1), find(0, 2)];
    while let Some((pos, which)) = next.iter().enumerate().filter_map(|(k, p)| p.map(|p| (p, k))).min() {
        let start = pos + ATTRS[which].len();
        let Some(len) = html[start..].find('"') else { break };
        out.push_str(&html[at..start]);
        let value = &html[start..start + len];
        match which {
            0 => out.push_str(&inner_anchor(page, value)),
            1 => out.push_str(&print_href(value, page, printed)),
            _ => out.push_str(&print_href(value, page, &HashSet::new())),
        }
        at = start + len;
        for (k, p) in next.iter_mut().enumerate() {
            if p.is_some_and(|p| p < at) {
                *p = find(at, k);
            }
        }
    }
    out.push_str(&html[at..]);
    out
}

/// Where a link of `page` points in print.html.
fn print_href(href: &str, page: &str, printed: &HashSet<&str>) -> String {
    if href.contains("://") || href.starts_with("mailto:") || href.starts_with("tel:") || href.starts_with('/') {
        return href.to_string();
    }
    let (path, fragment) = href.split_once('#').map_or((href, None), |(p, f)| (p, Some(f)));
    let target = if path.is_empty() {
        page.to_string()
    } else {
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        match join_relative(page, path) {
            Some(t) => t,
            None => return href.to_string(),
        }
    };
    if printed.contains(target.as_str()) {
        return match fragment {
            Some(f) if !f.is_empty() => format!("#{}", inner_anchor(&target, f)),
            _ => format!("#{}", anchor_of(&target)),
        };
    }
    // Not printed: a link from the site root, where print.html lives (query kept).
    let query = path.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    match fragment {
        Some(f) => format!("{target}{query}#{f}"),
        None => format!("{target}{query}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_anchors_and_ids_unique() {
        let printed: HashSet<&str> = ["policies/a.html", "controls/A.5.1.html", "soa.html"].into_iter().collect();
        let html = r##"<h2 id="scope">Scope</h2><a href="../controls/A.5.1.html">c</a> <a href="a.html#scope">s</a> <a href="#scope">here</a> <a href="../register.html">r</a> <a href="https://x.org/">x</a> <img src="../img/a.png">"##;
        let out = rewrite(html, "policies/a.html", &printed);
        assert_eq!(
            out,
            r##"<h2 id="p-policies:a--scope">Scope</h2><a href="#p-controls:A.5.1">c</a> <a href="#p-policies:a--scope">s</a> <a href="#p-policies:a--scope">here</a> <a href="register.html">r</a> <a href="https://x.org/">x</a> <img src="img/a.png">"##
        );
    }
}
