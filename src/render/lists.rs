//! Pages with long lists of documents (a role page, the home page), rendered one item at a
//! time: the page's template is the frame and gets a marker where each list goes; each item is
//! rendered alone by an item template, so that no template context ever holds every document
//! (what the SoA and the register do for their one table, see [`Site::page_with_rows`], for
//! any number of lists on a page).

use super::*;
use std::collections::BTreeMap;

/// A link to a document, borrowed from the model (a [`Link`] without copies of its strings).
#[derive(Serialize)]
pub(super) struct DocLink<'a> {
    id: &'a str,
    title: &'a str,
    url: &'a str,
}

impl<'a> DocLink<'a> {
    pub(super) fn of(d: &'a Document) -> Self {
        DocLink { id: &d.id, title: &d.title, url: &d.url }
    }
}

/// The heading of the documents of one type (`g` in the frame): `documents` is the marker of
/// where they go.
#[derive(Serialize)]
pub(super) struct TypeHeading {
    title: &'static str,
    id: &'static str,
    documents: String,
}

/// `items` grouped by document type, policies first, each group in the order given: the
/// headings for the frame and their lists, numbered from `first` (see [`marker`]).
pub(super) fn by_type<T>(
    items: impl Iterator<Item = (DocType, T)>,
    first: usize,
) -> (Vec<TypeHeading>, Vec<ItemList<T>>) {
    let mut groups: BTreeMap<DocType, Vec<T>> = BTreeMap::new();
    for (t, item) in items {
        groups.entry(t).or_default().push(item);
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(k, (t, items))| {
            let (title, id) = type_heading(t);
            let marker = marker("list", first + k);
            (TypeHeading { title, id, documents: marker.clone() }, ItemList { marker, items })
        })
        .unzip()
}

/// One list of a page: the marker the frame gets where the list goes (see [`marker`]),
/// and its items.
pub(super) struct ItemList<T> {
    pub marker: String,
    pub items: Vec<T>,
}

/// The marker of list `k` of a kind (`list` on a page; `print-part`, `print-contents` in
/// print.html), where a frame gets that list, to be split at: between NUL characters, which
/// neither rendered Markdown (CommonMark replaces them) nor escaped front matter ever holds.
pub(super) fn marker(kind: &str, k: usize) -> String {
    format!("\u{0}ismsbook-{kind}-{k}\u{0}")
}

impl Site<'_> {
    /// Renders `template` as the page `url` like [`Site::page`], with each of `lists` rendered
    /// an item at a time by `item_template` with the item as `item_var` (plus `root` and
    /// `page_url`) where the frame placed its marker. `var` names what places a list, for the
    /// error when the frame does not place a list that has items exactly once (an empty list
    /// may be left out).
    pub(super) fn page_with_lists<T: Serialize>(
        &self,
        tera: &Tera,
        (template, item_template, item_var): (&str, &str, &'static str),
        (url, title): (&str, &str),
        ctx: Context,
        lists: &[ItemList<T>],
        var: &dyn Fn(usize) -> &'static str,
    ) -> Result<Page, Diagnostic> {
        let frame = render_template(tera, template, &self.page_context(template, url, title, ctx))?;
        let mut places: Vec<(usize, usize)> = Vec::with_capacity(lists.len());
        for (k, list) in lists.iter().enumerate() {
            match placed_once(&frame, &list.marker, template, var(k), item_template) {
                Ok(at) => places.push((at, k)),
                Err(_) if list.items.is_empty() && !frame.contains(&list.marker) => {}
                Err(e) => return Err(e),
            }
        }
        places.sort_unstable();
        let items: usize = lists.iter().map(|l| l.items.len()).sum();
        let mut html = Vec::with_capacity(frame.len() + items * 160);
        let mut item_ctx = Context::new();
        item_ctx.insert("root", &root_of(url));
        item_ctx.insert("page_url", url);
        let written = |e: std::io::Error| Diagnostic::error("io-error", Path::new(url), e.to_string());
        let mut done = 0;
        for (at, k) in places {
            html.extend_from_slice(&frame.as_bytes()[done..at]);
            let list = &lists[k];
            render_rows(tera, (item_template, item_var), &mut item_ctx, &list.items, &mut html, &written)?;
            done = at + list.marker.len();
        }
        html.extend_from_slice(&frame.as_bytes()[done..]);
        Ok((url.to_string(), html))
    }
}
