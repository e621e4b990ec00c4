//! The navigation (nav.js, the static sidebar, previous/next) and sitemap.xml.

use super::*;
use crate::model::Document;
use crate::urls::generated_pages;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// One entry of the navigation: a page (`u`) or a group of pages (`c`).
#[derive(Clone, Debug, Serialize)]
pub(super) struct NavItem {
    t: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    u: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    c: Vec<NavItem>,
}

impl NavItem {
    pub(super) fn link(t: &str, u: &str) -> NavItem {
        NavItem { t: t.to_string(), u: Some(u.to_string()), c: Vec::new() }
    }
}

/// The previous and next page of a page.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Pager {
    prev: Option<Link>,
    next: Option<Link>,
}

/// The previous/next chains (documents in navigation order, controls, clauses) and where each
/// page stands in them: made once per build, read by every page. A document's title and URL
/// are borrowed from the model, not copied.
pub struct Pagers<'a> {
    /// Each chain: the (title, URL) of its pages in order.
    chains: Vec<Vec<(Cow<'a, str>, Cow<'a, str>)>>,
    /// Page URL -> (chain, position).
    at: HashMap<Cow<'a, str>, (usize, usize)>,
}

/// The auditor's pages, last in the navigation.
pub(super) const MANAGEMENT_PAGES: [(&str, &str); 6] = [
    ("Clauses", "clauses/index.html"),
    ("Controls", "controls/index.html"),
    ("Statement of Applicability", "soa.html"),
    ("Document register", "register.html"),
    ("Coverage", "coverage.html"),
    ("Roles", "roles/index.html"),
];

/// Up to this many documents, every page carries the whole sidebar for readers without
/// JavaScript; above it only the top level (nav.js still gives everyone the whole tree).
pub(super) const STATIC_NAV_MAX: usize = 60;

impl<'a> Site<'a> {
    /// The navigation, in reading order: home, the documents folder by folder, then the
    /// management-system pages. nav.js and the server-side sidebar read it; prev/next follows
    /// its documents ([`Site::nav_groups`]).
    pub(super) fn nav_tree(&self) -> Vec<NavItem> {
        let hb = self.hb;
        let groups = self.nav_groups();
        let mut nav = vec![NavItem::link("Home", "index.html")];
        for (folder, docs) in groups {
            nav.push(NavItem {
                t: folder_title(hb, folder),
                u: None,
                c: docs.iter().map(|d| NavItem::link(&d.title, &d.url)).collect(),
            });
        }
        let mut management: Vec<NavItem> = MANAGEMENT_PAGES.iter().map(|(t, u)| NavItem::link(t, u)).collect();
        if self.published_risks().is_some() {
            management.push(NavItem::link("Risk register", "risks/index.html"));
        }
        nav.push(NavItem { t: "Management system".into(), u: None, c: management });
        nav
    }

    /// The documents of the navigation (all but the home page), by folder, each folder's in
    /// path order.
    fn nav_groups(&self) -> BTreeMap<&'a str, Vec<&'a Document>> {
        let hb: &'a Handbook = self.hb;
        let mut groups: BTreeMap<&'a str, Vec<&'a Document>> = BTreeMap::new();
        for d in hb.documents.iter().filter(|d| d.url != "index.html") {
            groups.entry(d.path.split_once('/').map_or("", |(f, _)| f)).or_default().push(d);
        }
        groups
    }

    /// The sidebar written into every page for readers without JavaScript: the whole tree for
    /// a small book, only the top level (home, policies, management system) for a large one,
    /// so that output stays linear in the page count.
    pub(super) fn nav_static(&self, nav: &[NavItem]) -> Vec<NavItem> {
        let documents: usize = nav.iter().map(|g| g.c.len()).sum();
        if documents <= STATIC_NAV_MAX {
            return nav.to_vec();
        }
        let mut top =
            vec![NavItem::link("Home", "index.html"), NavItem::link("Policies and documents", "index.html#policies")];
        top.extend(nav.last().cloned());
        top
    }

    /// Previous and next page, per page: home and the documents in navigation order (as
    /// [`Site::nav_tree`] lists them), controls and clauses in catalogue order.
    pub(super) fn pager(&self) -> Pagers<'a> {
        let hb = self.hb;
        let home = [(Cow::Borrowed("Home"), Cow::Borrowed("index.html"))];
        let documents =
            self.nav_groups().into_values().flatten().map(|d| (d.title.as_str().into(), d.url.as_str().into()));
        let owned = |l: Link| (Cow::Owned(l.title), Cow::Owned(l.url.unwrap_or_default()));
        let chains: Vec<Vec<(Cow<'a, str>, Cow<'a, str>)>> = vec![
            home.into_iter().chain(documents).collect(),
            hb.controls.iter().map(|c| owned(titled(self.control_link(&c.id)))).collect(),
            hb.clauses
                .iter()
                .map(|c| self.clause_link(&c.id))
                .map(|l| owned(Link { title: format!("Clause {} {}", l.id, l.title), ..l }))
                .collect(),
        ];
        let mut at = HashMap::new();
        for (c, chain) in chains.iter().enumerate() {
            for (i, (_, url)) in chain.iter().enumerate() {
                at.insert(url.clone(), (c, i));
            }
        }
        Pagers { chains, at }
    }

    /// The `pager` a page's template gets: its own previous and next page under its URL (the
    /// map holds this page alone, so that no page carries every page's neighbours).
    pub(super) fn pager_of<'u>(&self, url: &'u str) -> BTreeMap<&'u str, Pager> {
        let pagers = self.pagers.get_or_init(|| self.pager());
        let link = |(title, url): &(Cow<str>, Cow<str>)| Link {
            id: String::new(),
            title: title.to_string(),
            url: Some(url.to_string()),
        };
        let mut one = BTreeMap::new();
        if let Some(&(c, i)) = pagers.at.get(url) {
            let chain = &pagers.chains[c];
            one.insert(
                url,
                Pager { prev: i.checked_sub(1).map(|p| link(&chain[p])), next: chain.get(i + 1).map(link) },
            );
        }
        one
    }

    /// The one shared navigation file: `window.ISMSBOOK_NAV = [...]`.
    pub(super) fn nav_js(&self) -> Vec<u8> {
        let json = serde_json::to_string(&self.nav_tree()).unwrap_or_else(|_| "[]".into());
        format!("window.ISMSBOOK_NAV = {json};\n").into_bytes()
    }

    pub(super) fn sitemap(&self, base: &str) -> Vec<u8> {
        let mut urls: Vec<String> = self.hb.documents.iter().map(|d| d.url.clone()).collect();
        urls.extend(generated_pages(self.hb).into_iter().filter(|p| p.ends_with(".html") && p != "404.html"));
        urls.sort();
        urls.dedup();
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for u in urls {
            xml.push_str(&format!("  <url><loc>{}{}</loc></url>\n", escape(base), escape(&u)));
        }
        xml.push_str("</urlset>\n");
        xml.into_bytes()
    }
}
