//! Rendering: the model, the rendered Markdown and the audit into the pages of the site.
//!
//! Each page is a Tera template of the theme filled with a small, precomputed context. All
//! URLs in the context are build-dir-relative; templates prefix them with `root` (`../` per
//! folder level), so the site works from file:// and under any sub-path. The navigation lives
//! once in `nav.js`, not in every page, so output grows linearly with the page count.

use crate::audit::{Backlinks, Citation, Coverage, ReviewStatus, SoaRow};
use crate::diagnostics::Diagnostic;
use crate::markdown::{Heading, Rendered};
use crate::model::{DocType, Document, Handbook};
use crate::output::Output;
use crate::print;
use crate::theme::Theme;
use crate::urls::{clause_url, control_url, generated_pages, role_url, root_of};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use tera::{Context, Tera};

/// A link to something in the handbook, as templates see it.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
}

/// The id of the document whose front matter gives the Statement of Applicability its
/// version, owner, approver and dates (its body is the SoA's introduction).
pub const SOA_DOCUMENT: &str = "SOA";

/// Document-control data shown on a generated page.
#[derive(Serialize)]
struct DocumentControl {
    link: Link,
    version: Option<String>,
    owner: Option<Link>,
    approver: Option<Link>,
    approved: Option<String>,
    review: Option<String>,
    review_status: &'static str,
    review_class: &'static str,
    classification: String,
    cls_rank: usize,
}

/// One entry of the navigation: a page (`u`) or a group of pages (`c`).
#[derive(Clone, Debug, Serialize)]
struct NavItem {
    t: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    u: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    c: Vec<NavItem>,
}

impl NavItem {
    fn link(t: &str, u: &str) -> NavItem {
        NavItem { t: t.to_string(), u: Some(u.to_string()), c: Vec::new() }
    }
}

/// The previous and next page of a page.
#[derive(Clone, Debug, Serialize)]
struct Pager {
    prev: Option<Link>,
    next: Option<Link>,
}

/// The auditor's pages, last in the navigation.
const MANAGEMENT_PAGES: [(&str, &str); 6] = [
    ("Clauses", "clauses/index.html"),
    ("Controls", "controls/index.html"),
    ("Statement of Applicability", "soa.html"),
    ("Document register", "register.html"),
    ("Coverage", "coverage.html"),
    ("Roles", "roles/index.html"),
];

/// Up to this many documents, every page carries the whole sidebar for readers without
/// JavaScript; above it only the top level (nav.js still gives everyone the whole tree).
const STATIC_NAV_MAX: usize = 60;

/// Everything the pages are made from.
pub struct Site<'a> {
    pub hb: &'a Handbook,
    /// Every link target, to render each document's Markdown again as its page is written.
    pub targets: &'a crate::links::Targets<'a>,
    /// `rendered[i]` is what the analysis found in `hb.documents[i]` (headings, references);
    /// its HTML is made when the page is written.
    pub rendered: &'a [Rendered],
    /// Guidance HTML per control, in `hb.controls` order.
    pub guidance: &'a [String],
    pub backlinks: &'a Backlinks,
    pub coverage: &'a Coverage,
    pub soa: &'a [SoaRow],
}

/// A page to write: its build-dir-relative path and bytes.
type Page = (String, Vec<u8>);

/// Called with every HTML page as it is written: its build-dir-relative URL and its HTML. The
/// hook through which an index (search) sees each page's text in the same streaming pass.
pub type OnPage<'a> = &'a (dyn Fn(&str, &str) + Sync);

/// One file of the site, rendered on whichever thread picks it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    Register,
    Soa,
    Coverage,
    Print,
    Nav,
    Sitemap,
    Home,
    NotFound,
    ControlsIndex,
    ClausesIndex,
    RolesIndex,
    Role(usize),
    Control(usize),
    Clause(usize),
    Document(usize),
    RisksIndex,
    Risk(usize),
    ThemeAsset(usize),
    SrcAsset(usize),
}

impl Site<'_> {
    /// Renders every page and hands it to `out` as soon as it is rendered (nothing is kept:
    /// render, write, drop), on all cores. Returns the number of files.
    pub fn write(&self, theme: &Theme, out: &Output, on_page: Option<OnPage>) -> Result<usize, Diagnostic> {
        self.write_jobs(theme, out, &self.jobs(theme), on_page)
    }

    /// Renders only `jobs` (a subset of [`Site::jobs`], for serve's partial rebuilds) into `out`.
    pub fn write_jobs(
        &self,
        theme: &Theme,
        out: &Output,
        jobs: &[Job],
        on_page: Option<OnPage>,
    ) -> Result<usize, Diagnostic> {
        let tera = self.tera(theme)?;
        jobs.par_iter().try_for_each(|&job| {
            let (rel, bytes) = self.render_job(&tera, theme, job)?;
            out.put(&rel, &bytes)?;
            if let Some(f) = on_page
                && rel.ends_with(".html")
            {
                f(&rel, std::str::from_utf8(&bytes).unwrap_or_default());
            }
            Ok::<(), Diagnostic>(())
        })?;
        Ok(jobs.len())
    }

    /// Every file of the site; the costly aggregates first, so that no core waits for them
    /// at the end.
    pub fn jobs(&self, theme: &Theme) -> Vec<Job> {
        let hb = self.hb;
        let mut jobs = vec![Job::Print, Job::Register, Job::Soa, Job::Coverage];
        jobs.push(Job::Nav);
        if hb.config.base_url.is_some() {
            jobs.push(Job::Sitemap);
        }
        if let Some(reg) = self.published_risks() {
            jobs.push(Job::RisksIndex);
            jobs.extend((0..reg.risks.len()).map(Job::Risk));
        }
        jobs.extend((0..hb.roles.len()).map(Job::Role));
        jobs.extend([Job::Home, Job::NotFound, Job::ControlsIndex, Job::ClausesIndex, Job::RolesIndex]);
        jobs.extend((0..hb.controls.len()).map(Job::Control));
        jobs.extend((0..hb.clauses.len()).map(Job::Clause));
        jobs.extend((0..hb.documents.len()).filter(|&i| hb.documents[i].url != "index.html").map(Job::Document));
        jobs.extend((0..theme.assets.len()).map(Job::ThemeAsset));
        jobs.extend((0..hb.assets.len()).map(Job::SrcAsset));
        jobs
    }

    fn render_job(&self, tera: &Tera, theme: &Theme, job: Job) -> Result<Page, Diagnostic> {
        Ok(match job {
            Job::Register => self.register_page(tera)?,
            Job::Soa => self.soa_page(tera)?,
            Job::Coverage => self.coverage_page(tera)?,
            Job::Print => self.print_page(tera)?,
            Job::Nav => ("nav.js".into(), self.nav_js()),
            Job::Sitemap => {
                ("sitemap.xml".into(), self.sitemap(self.hb.config.base_url.as_deref().unwrap_or_default()))
            }
            Job::Home => self.home(tera)?,
            Job::NotFound => self.not_found(tera)?,
            Job::ControlsIndex => self.controls_index(tera)?,
            Job::ClausesIndex => self.clauses_index(tera)?,
            Job::RolesIndex => self.roles_index(tera)?,
            Job::Role(i) => self.role_page(tera, i)?,
            Job::Control(i) => self.control_page(tera, i)?,
            Job::Clause(i) => self.clause_page(tera, i)?,
            Job::Document(i) => self.document_page(tera, i)?,
            Job::RisksIndex | Job::Risk(_) => {
                let Some(reg) = self.published_risks() else { unreachable!("risk jobs only with a register") };
                match job {
                    Job::Risk(i) => self.risk_page(tera, reg, i)?,
                    _ => self.risks_index(tera, reg)?,
                }
            }
            Job::ThemeAsset(i) => (theme.assets[i].name.clone(), theme.assets[i].bytes.clone()),
            Job::SrcAsset(i) => {
                let rel = &self.hb.assets[i];
                let path = self.hb.config.src.join(rel);
                (crate::urls::asset_url(rel), crate::sources::read_bytes(&path, u64::MAX)?)
            }
        })
    }

    fn tera(&self, theme: &Theme) -> Result<Tera, Diagnostic> {
        let mut tera = Tera::new();
        for t in theme.templates.iter().filter(|t| t.name.ends_with(".html")) {
            let text = std::str::from_utf8(&t.bytes)
                .map_err(|_| Diagnostic::error("not-utf8", &t.origin, "the template is not valid UTF-8"))?;
            tera.add_raw_template(&t.name, text).map_err(|e| template_error(&t.origin, &e))?;
        }
        let cfg = &self.hb.config;
        let g = tera.global_context();
        g.insert("book_title", &cfg.title);
        g.insert("organisation", &cfg.organisation);
        g.insert("description", &cfg.description);
        g.insert("lang", &cfg.language);
        g.insert("build_date", &self.hb.build_date.to_string());
        g.insert("has_risks", &self.published_risks().is_some());
        g.insert("logo", &cfg.logo);
        g.insert("extra_css", &cfg.extra_css);
        g.insert("footer_text", &cfg.footer_text);
        g.insert("has_print", &true);
        let nav = self.nav_tree();
        g.insert("nav_static", &self.nav_static(&nav));
        g.insert("pager", &self.pager(&nav));
        Ok(tera)
    }

    /// Renders `template` as the page `url` with `ctx` plus what every page gets.
    fn page(&self, tera: &Tera, template: &str, url: &str, title: &str, mut ctx: Context) -> Result<Page, Diagnostic> {
        ctx.insert("root", &root_of(url));
        ctx.insert("page_url", url);
        ctx.insert("page_title", title);
        ctx.insert("canonical", &self.hb.config.base_url.as_ref().map(|b| format!("{b}{url}")));
        let kind = template.trim_end_matches(".html");
        ctx.insert("page_kind", kind);
        ctx.insert("section", section_of(kind));
        let html =
            tera.render(template, &ctx).map_err(|e| template_error(Path::new(&format!("<theme>/{template}")), &e))?;
        Ok((url.to_string(), html.into_bytes()))
    }

    fn document_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        let doc = &self.hb.documents[i];
        let rendered = &self.rendered[i];
        let html = self.document_html(i)?;
        let ctx = self.document_context(doc, rendered, &html)?;
        self.page(tera, "document.html", &doc.url, &doc.title, ctx)
    }

    /// The document's Markdown as HTML, rendered now (and dropped with its page).
    pub fn document_html(&self, i: usize) -> Result<String, Diagnostic> {
        let doc = &self.hb.documents[i];
        let text = crate::sources::document_text(doc, self.hb.config.max_source_size)?;
        Ok(crate::markdown::render(&crate::markdown::Source::document(doc, &text), self.targets).html)
    }

    fn document_context(&self, doc: &Document, rendered: &Rendered, html: &str) -> Result<Context, Diagnostic> {
        #[derive(Serialize)]
        struct DocPage<'a> {
            doc: &'a Document,
            title_id: Option<String>,
            html: String,
            toc: Vec<&'a Heading>,
            owner: Option<Link>,
            approver: Option<Link>,
            audience: Vec<Link>,
            controls: Vec<Link>,
            clauses: Vec<Link>,
            cited_by: &'a [Citation],
            review_status: &'static str,
            review_class: &'static str,
            /// The classification's rank (0 = lowest): the banner's colour.
            cls_rank: usize,
            crumbs: Vec<Link>,
        }
        let hb = self.hb;
        let review = ReviewStatus::of(doc.review, hb.build_date);
        let (title_id, body) = split_title(html);
        let folder = doc.path.split_once('/').map(|(f, _)| f);
        let steps = folder
            .map(|f| {
                let index =
                    hb.index.document_by_path.get(&format!("{f}/index.md")).map(|&i| hb.documents[i].url.clone());
                Link { id: String::new(), title: folder_title(hb, f), url: index.filter(|u| *u != doc.url) }
            })
            .into_iter()
            .collect();
        let page = DocPage {
            doc,
            title_id,
            html: wrap_tables(body),
            toc: rendered.headings.iter().filter(|h| h.level == 2 || h.level == 3).collect(),
            owner: doc.owner.as_deref().and_then(|o| self.role_link(o)),
            approver: doc.approver.as_deref().and_then(|o| self.role_link(o)),
            audience: doc.audience.iter().map(|a| self.role_link(a).unwrap_or_else(|| plain(a))).collect(),
            controls: doc.controls.iter().map(|c| self.control_link(c)).collect(),
            clauses: doc.clauses.iter().map(|c| self.clause_link(c)).collect(),
            cited_by: self.backlinks.get(&crate::links::TargetKey::Document(doc.id.clone())),
            review_status: review.as_str(),
            review_class: review_class(review),
            cls_rank: hb.config.level_rank(&doc.classification).unwrap_or(0),
            crumbs: crumbs(steps, &doc.title),
        };
        Context::from_serialize(&page).map_err(|e| template_error(&doc.file, &e))
    }

    /// The risk register, when there is one and this build publishes it.
    fn published_risks(&self) -> Option<&crate::risk::Register> {
        self.hb.risks.as_ref().filter(|r| r.published)
    }

    /// A role id as a link to its page, or as plain text when it names no role.
    fn who(&self, id: &str) -> Link {
        self.role_link(id).unwrap_or_else(|| plain(id))
    }

    fn risks_index(&self, tera: &Tera, reg: &crate::risk::Register) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            risk: &'a crate::risk::Risk,
            url: String,
            owner: Option<Link>,
            controls: Vec<Link>,
            residual: crate::risk::Rating,
            open_actions: usize,
        }
        let rows: Vec<Row> = reg
            .risks
            .iter()
            .map(|r| Row {
                risk: r,
                url: crate::urls::risk_url(&r.id),
                owner: r.owner.as_deref().map(|o| self.who(o)),
                controls: r.controls.iter().map(|c| self.control_link(c)).collect(),
                residual: r.residual_rating(),
                open_actions: r.actions.iter().filter(|a| a.status.is_open()).count(),
            })
            .collect();
        let owners: BTreeSet<&str> = reg.risks.iter().filter_map(|r| r.owner.as_deref()).collect();
        let treatments: Vec<&str> = crate::risk::Treatment::ALL.iter().map(|t| t.as_str()).collect();
        let mut ctx = Context::new();
        ctx.insert("reg", reg);
        ctx.insert("rows", &rows);
        ctx.insert("levels", &reg.method.level_names());
        ctx.insert("owners", &owners);
        ctx.insert("treatments", &treatments);
        ctx.insert("likelihoods", &(1..=reg.method.likelihood).collect::<Vec<_>>());
        ctx.insert("impacts", &(1..=reg.method.impact).collect::<Vec<_>>());
        ctx.insert("maps", &[crate::risk::heat_map(reg, false), crate::risk::heat_map(reg, true)]);
        ctx.insert(
            "above_threshold",
            &reg.risks.iter().filter(|r| r.residual_score > reg.method.accept_at_most).count(),
        );
        self.page(tera, "risks.html", "risks/index.html", "Risk register", ctx)
    }

    fn risk_page(&self, tera: &Tera, reg: &crate::risk::Register, i: usize) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Treating {
            link: Link,
            decision: &'static str,
        }
        #[derive(Serialize)]
        struct ActionRow<'a> {
            action: &'a crate::risk::Action,
            owner: Option<Link>,
            overdue: bool,
        }
        let hb = self.hb;
        let r = &reg.risks[i];
        let controls: Vec<Treating> = r
            .controls
            .iter()
            .map(|c| Treating {
                link: self.control_link(c),
                decision: match hb.decision(c) {
                    None => "no decision",
                    Some(d) if !d.applicable => "not applicable",
                    Some(d) => d.status.map_or("applicable", |s| s.as_str()),
                },
            })
            .collect();
        let actions: Vec<ActionRow> = r
            .actions
            .iter()
            .map(|a| ActionRow {
                action: a,
                owner: a.owner.as_deref().map(|o| self.who(o)),
                overdue: a.status.is_open() && a.due.is_some_and(|d| d < hb.build_date),
            })
            .collect();
        let soa: Vec<Link> =
            crate::risk::cited_by_soa(hb, reg, &r.id).into_iter().map(|c| self.control_link(c)).collect();
        let mut ctx = Context::new();
        ctx.insert("risk", r);
        ctx.insert("method", &reg.method);
        ctx.insert("owner", &r.owner.as_deref().map(|o| self.who(o)));
        ctx.insert("accepted_by", &r.accepted.as_ref().map(|a| self.who(&a.by)));
        ctx.insert("residual", &r.residual_rating());
        ctx.insert("needs_acceptance", &(r.residual_score > reg.method.accept_at_most));
        ctx.insert("controls", &controls);
        ctx.insert("actions", &actions);
        ctx.insert("cited_by", self.backlinks.get(&crate::links::TargetKey::Risk(r.id.clone())));
        ctx.insert("cited_by_soa", &soa);
        let url = crate::urls::risk_url(&r.id);
        self.page(tera, "risk.html", &url, &format!("{} {}", r.id, r.title), ctx)
    }

    fn role_link(&self, id: &str) -> Option<Link> {
        self.hb.role(id).map(|r| Link { id: r.id.clone(), title: r.title.clone(), url: Some(role_url(&r.id)) })
    }

    fn control_link(&self, id: &str) -> Link {
        let title = self.hb.control(id).map(|c| c.title.clone()).unwrap_or_default();
        Link { id: id.to_string(), title, url: Some(control_url(id)) }
    }

    fn clause_link(&self, id: &str) -> Link {
        let title = self.hb.clause(id).map(|c| c.title.clone()).unwrap_or_default();
        Link { id: id.to_string(), title, url: Some(clause_url(id)) }
    }

    fn doc_link(d: &Document) -> Link {
        Link { id: d.id.clone(), title: d.title.clone(), url: Some(d.url.clone()) }
    }

    fn home(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Audience<'a> {
            title: &'a str,
            description: &'a Option<String>,
            url: String,
            documents: usize,
        }
        let hb = self.hb;
        let mut ctx = Context::new();
        let home = hb.documents.iter().position(|d| d.url == "index.html");
        let home_html = home.map(|i| self.document_html(i)).transpose()?;
        let (title_id, body) = home_html.as_deref().map_or((None, ""), split_title);
        ctx.insert("title_id", &title_id);
        ctx.insert("html", &home.map(|_| wrap_tables(body)));
        let mut audience_count: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &hb.documents {
            for a in &d.audience {
                *audience_count.entry(a.as_str()).or_default() += 1;
            }
        }
        let audiences: Vec<Audience> = hb
            .roles
            .iter()
            .filter_map(|r| {
                audience_count.get(r.id.as_str()).map(|&n| Audience {
                    title: &r.title,
                    description: &r.description,
                    url: role_url(&r.id),
                    documents: n,
                })
            })
            .collect();
        ctx.insert("audiences", &audiences);
        let documents: Vec<&Document> = hb.documents.iter().filter(|d| d.url != "index.html").collect();
        ctx.insert("by_type", &by_type(documents));
        ctx.insert("coverage", self.coverage);
        let title = home.map_or(hb.config.title.as_str(), |i| hb.documents[i].title.as_str());
        ctx.insert("home_title", title);
        self.page(tera, "index.html", "index.html", title, ctx)
    }

    fn not_found(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        // With base-url the root's path is known; otherwise the page finds it by climbing.
        let base_path = self.hb.config.base_url.as_deref().and_then(|u| {
            let rest = u.split_once("://").map_or(u, |(_, r)| r);
            rest.find('/').map(|i| rest[i..].to_string())
        });
        let mut ctx = Context::new();
        ctx.insert("base_path_json", &serde_json::to_string(&base_path).unwrap_or_else(|_| "null".into()));
        self.page(tera, "404.html", "404.html", "Page not found", ctx)
    }

    fn controls_index(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row {
            id: String,
            title: String,
            theme: String,
            url: String,
            status: String,
            status_class: String,
            documents: usize,
            data: String,
        }
        #[derive(Serialize)]
        struct Family {
            key: String,
            family: String,
            values: BTreeSet<String>,
        }
        let mut families: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let rows: Vec<Row> = self
            .hb
            .controls
            .iter()
            .map(|c| {
                families.entry("theme".into()).or_default().insert(c.theme.clone());
                let mut data = format!("data-theme=\"{}\"", escape(&c.theme));
                for (k, vs) in &c.attributes {
                    families.entry(k.clone()).or_default().extend(vs.iter().cloned());
                    data.push_str(&format!(" data-{}=\"{}\"", escape(&k.replace('_', "-")), escape(&vs.join(" "))));
                }
                let (status, status_class) = match self.hb.decision(&c.id) {
                    None => ("no decision", "undecided"),
                    Some(d) if !d.applicable => ("not applicable", "excluded"),
                    Some(d) => d.status.map_or(("applicable", "applicable"), |s| (s.as_str(), s.as_str())),
                };
                let status_class = format!("status-{status_class}");
                let status = status.to_string();
                data.push_str(&format!(" data-status=\"{}\"", escape(&status.replace(' ', "-"))));
                Row {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    theme: c.theme.clone(),
                    url: control_url(&c.id),
                    status,
                    status_class,
                    documents: self.backlinks.control(&c.id).len(),
                    data,
                }
            })
            .collect();
        let families: Vec<Family> = families
            .into_iter()
            .map(|(k, values)| Family { key: k.replace('_', "-"), family: humanise(&k), values })
            .collect();
        let mut ctx = Context::new();
        ctx.insert("total", &rows.len());
        ctx.insert("controls", &rows);
        ctx.insert("families", &families);
        ctx.insert("crumbs", &crumbs(Vec::new(), "Controls"));
        self.page(tera, "controls.html", "controls/index.html", "Controls", ctx)
    }

    fn control_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Tag {
            value: String,
            /// The controls index filtered by this value.
            url: String,
        }
        #[derive(Serialize)]
        struct Attr {
            family: String,
            values: Vec<Tag>,
        }
        let hb = self.hb;
        let c = &hb.controls[i];
        let id = c.id.as_str();
        let url = control_url(id);
        let tag = |key: &str, v: &str| Tag {
            value: v.to_string(),
            url: format!("controls/index.html?{}={}", key.replace('_', "-"), url_encode(v)),
        };
        let mut ctx = Context::new();
        ctx.insert("control", c);
        ctx.insert("theme_title", &humanise(&c.theme));
        ctx.insert("theme_url", &tag("theme", &c.theme).url);
        ctx.insert("labels", &Labels::of(&c.framework));
        ctx.insert("guidance", &wrap_tables(&self.guidance[i]));
        ctx.insert("decision", &hb.decision(id));
        let justification = hb.decision(id).and_then(|d| d.justification.as_deref());
        let html = justification.map(|j| justification_html(j, hb.risks.as_ref(), &root_of(&url)));
        ctx.insert("justification_html", &html);
        ctx.insert("implemented_by", self.backlinks.control(id));
        let attrs: Vec<Attr> = c
            .attributes
            .iter()
            .map(|(k, v)| Attr { family: humanise(k), values: v.iter().map(|x| tag(k, x)).collect() })
            .collect();
        ctx.insert("attributes", &attrs);
        let related: Vec<Link> = hb
            .clauses
            .iter()
            .filter(|cl| cl.controls.iter().any(|x| x == id))
            .map(|cl| self.clause_link(&cl.id))
            .collect();
        ctx.insert("related_clauses", &related);
        let risks: Vec<RiskLink> =
            self.published_risks().map(|reg| reg.treating(id).map(risk_link).collect()).unwrap_or_default();
        ctx.insert("risks", &risks);
        let theme_step = step(&humanise(&c.theme), &tag("theme", &c.theme).url);
        ctx.insert("crumbs", &crumbs(vec![step("Controls", "controls/index.html"), theme_step], id));
        self.page(tera, "control.html", &url, &format!("{} {}", c.id, c.title), ctx)
    }

    fn clauses_index(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            title: &'a str,
            url: String,
            level: usize,
            required: bool,
            providers: Vec<&'a Citation>,
        }
        let rows: Vec<Row> = self
            .hb
            .clauses
            .iter()
            .map(|c| Row {
                id: &c.id,
                title: &c.title,
                url: clause_url(&c.id),
                level: c.id.matches('.').count() + 1,
                required: c.documented_information.is_some(),
                providers: self.backlinks.clause_providers(&c.id),
            })
            .collect();
        let required = rows.iter().filter(|r| r.required).count();
        let covered = rows.iter().filter(|r| r.required && !r.providers.is_empty()).count();
        let mut ctx = Context::new();
        ctx.insert("clauses", &rows);
        ctx.insert("required", &required);
        ctx.insert("covered", &covered);
        ctx.insert("crumbs", &crumbs(Vec::new(), "Clauses"));
        self.page(tera, "clauses.html", "clauses/index.html", "Management system clauses", ctx)
    }

    fn clause_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        let hb = self.hb;
        let c = &hb.clauses[i];
        let id = c.id.as_str();
        let mut ctx = Context::new();
        ctx.insert("clause", c);
        ctx.insert("parent", &c.parent_id().and_then(|p| hb.clause(p)).map(|p| self.clause_link(&p.id)));
        let children: Vec<Link> =
            hb.clauses.iter().filter(|x| x.parent_id() == Some(id)).map(|x| self.clause_link(&x.id)).collect();
        ctx.insert("children", &children);
        ctx.insert("providers", &self.backlinks.clause_providers(id));
        let cited: Vec<&Citation> = self
            .backlinks
            .get(&crate::links::TargetKey::Clause(id.to_string()))
            .iter()
            .filter(|c| !c.sections.is_empty() || !c.declared)
            .collect();
        ctx.insert("cited_by", &cited);
        let controls: Vec<Link> =
            c.controls.iter().filter(|x| hb.control(x).is_some()).map(|x| self.control_link(x)).collect();
        ctx.insert("controls", &controls);
        ctx.insert("labels", &Labels::of(&c.framework));
        // Clause 6.1.3 asks for the Statement of Applicability itself.
        ctx.insert("soa_clause", &(c.framework.starts_with("iso27001") && id == "6.1.3"));
        let mut steps = vec![step("Clauses", "clauses/index.html")];
        let mut parent = c.parent_id();
        let mut ancestors = Vec::new();
        while let Some(p) = parent.and_then(|p| hb.clause(p)) {
            ancestors.push(step(&format!("{} {}", p.id, p.title), &clause_url(&p.id)));
            parent = p.parent_id();
        }
        steps.extend(ancestors.into_iter().rev());
        ctx.insert("crumbs", &crumbs(steps, &format!("{} {}", c.id, c.title)));
        self.page(tera, "clause.html", &clause_url(id), &format!("Clause {} {}", c.id, c.title), ctx)
    }

    fn roles_index(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            title: &'a str,
            description: &'a Option<String>,
            url: String,
        }
        let rows: Vec<Row> = self
            .hb
            .roles
            .iter()
            .map(|r| Row { title: &r.title, description: &r.description, url: role_url(&r.id) })
            .collect();
        let mut ctx = Context::new();
        ctx.insert("roles", &rows);
        ctx.insert("crumbs", &crumbs(Vec::new(), "Roles"));
        self.page(tera, "roles.html", "roles/index.html", "Roles", ctx)
    }

    fn role_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        let hb = self.hb;
        let role = &hb.roles[i];
        let id = role.id.as_str();
        let specific = hb.documents.iter().enumerate().filter(|(_, d)| d.audience.iter().any(|a| a == id));
        let general = hb
            .documents
            .iter()
            .enumerate()
            .filter(|(_, d)| id != "all-staff" && d.audience.iter().any(|a| a == "all-staff"));
        let mut seen = BTreeSet::new();
        let mut applies: Vec<(usize, &Document)> =
            specific.chain(general).filter(|(_, d)| seen.insert(&d.id)).collect();
        applies.sort_by(|a, b| reading_key(a.1).cmp(&reading_key(b.1)));
        // The sections of each document that name the role (its title, or its id in words).
        let needles: Vec<String> = [role.title.as_str(), &id.replace('-', " ")]
            .iter()
            .map(|n| n.to_lowercase().trim_end_matches('s').to_string())
            .filter(|n| n.len() >= 3)
            .collect();
        // Sections are looked up in the documents written for this role (not in those for
        // everyone, which apply whole): each is rendered again here, once.
        let docs: Vec<RoleDoc> = applies
            .iter()
            .map(|&(i, d)| {
                let sections = if id != "all-staff" && d.audience.iter().any(|a| a == id) {
                    sections_naming(&self.rendered[i], &self.document_html(i)?, &needles)
                } else {
                    Vec::new()
                };
                Ok(RoleDoc { link: Self::doc_link(d), doc_type: d.doc_type, sections })
            })
            .collect::<Result<_, Diagnostic>>()?;
        let links = |f: &dyn Fn(&Document) -> bool| -> Vec<Link> {
            hb.documents.iter().filter(|d| f(d)).map(Self::doc_link).collect()
        };
        let mut ctx = Context::new();
        ctx.insert("role", role);
        ctx.insert("applies", &group_by_type(docs));
        ctx.insert("owns", &links(&|d| d.owner.as_deref() == Some(id)));
        ctx.insert("approves", &links(&|d| d.approver.as_deref() == Some(id)));
        ctx.insert("crumbs", &crumbs(vec![step("Roles", "roles/index.html")], &role.title));
        let owned = |reg: &'_ crate::risk::Register| -> Vec<RiskLink> {
            reg.risks.iter().filter(|r| r.owner.as_deref() == Some(id)).map(risk_link).collect()
        };
        ctx.insert("risks", &self.published_risks().map(owned).unwrap_or_default());
        self.page(tera, "role.html", &role_url(id), &role.title, ctx)
    }

    fn soa_page(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            control: &'a str,
            title: &'a str,
            theme: &'a str,
            url: String,
            applicable: &'static str,
            justification: &'a str,
            justification_html: String,
            status: &'static str,
            documents: &'a [Citation],
        }
        let rows: Vec<Row> = self
            .soa
            .iter()
            .map(|r| Row {
                control: &r.control,
                title: &r.title,
                theme: &r.theme,
                url: control_url(&r.control),
                applicable: match r.applicable {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "undecided",
                },
                justification: &r.justification,
                justification_html: justification_html(&r.justification, self.hb.risks.as_ref(), ""),
                status: r.status.map_or("", |s| s.as_str()),
                documents: self.backlinks.control(&r.control),
            })
            .collect();
        let themes: BTreeSet<&str> = self.soa.iter().map(|r| r.theme.as_str()).collect();
        let statuses: Vec<&str> = crate::model::Status::ALL.iter().map(|s| s.as_str()).collect();
        let mut ctx = Context::new();
        ctx.insert("applicable", &self.soa.iter().filter(|r| r.applicable == Some(true)).count());
        ctx.insert("excluded", &self.soa.iter().filter(|r| r.applicable == Some(false)).count());
        ctx.insert("undecided", &self.soa.iter().filter(|r| r.applicable.is_none()).count());
        ctx.insert("rows", &rows);
        ctx.insert("themes", &themes);
        ctx.insert("statuses", &statuses);
        ctx.insert("control", &self.document_control(SOA_DOCUMENT));
        ctx.insert("crumbs", &crumbs(Vec::new(), "Statement of Applicability"));
        self.page(tera, "soa.html", "soa.html", "Statement of Applicability", ctx)
    }

    /// The document-control data of a generated page that a document stands behind (the SoA's
    /// version, approver and dates come from the document with id `SOA`).
    fn document_control(&self, id: &str) -> Option<DocumentControl> {
        let d = self.hb.document(id)?;
        let review = ReviewStatus::of(d.review, self.hb.build_date);
        let who = |r: &Option<String>| r.as_deref().map(|o| self.role_link(o).unwrap_or_else(|| plain(o)));
        Some(DocumentControl {
            link: Self::doc_link(d),
            version: d.version.clone(),
            owner: who(&d.owner),
            approver: who(&d.approver),
            approved: d.approved.map(|x| x.to_string()),
            review: d.review.map(|x| x.to_string()),
            review_status: review.as_str(),
            review_class: review_class(review),
            classification: d.classification.clone(),
            cls_rank: self.hb.config.level_rank(&d.classification).unwrap_or(0),
        })
    }

    fn register_page(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            title: &'a str,
            #[serde(rename = "type")]
            doc_type: &'static str,
            version: &'a str,
            owner: Option<Link>,
            approver: Option<Link>,
            approved: String,
            review: String,
            classification: &'a str,
            review_status: &'static str,
            review_class: &'static str,
            /// Overdue first, then due soon, then the rest: the order an auditor reads.
            urgency: u8,
            url: &'a str,
        }
        let who = |r: &Option<String>| r.as_deref().map(|o| self.role_link(o).unwrap_or_else(|| plain(o)));
        let mut rows: Vec<Row> = crate::audit::register(self.hb)
            .into_iter()
            .map(|(d, st)| Row {
                id: &d.id,
                title: &d.title,
                doc_type: d.doc_type.as_str(),
                version: d.version.as_deref().unwrap_or(""),
                owner: who(&d.owner),
                approver: who(&d.approver),
                approved: d.approved.map(|x| x.to_string()).unwrap_or_default(),
                review: d.review.map(|x| x.to_string()).unwrap_or_default(),
                classification: &d.classification,
                review_status: st.as_str(),
                review_class: review_class(st),
                urgency: match st {
                    ReviewStatus::Overdue => 0,
                    ReviewStatus::DueSoon => 1,
                    ReviewStatus::NoReviewDate => 2,
                    ReviewStatus::Current => 3,
                },
                url: &d.url,
            })
            .collect();
        rows.sort_by_key(|r| r.urgency);
        let types: BTreeSet<&str> = rows.iter().map(|r| r.doc_type).collect();
        let levels: Vec<&String> =
            self.hb.config.levels.iter().filter(|l| rows.iter().any(|r| r.classification == l.as_str())).collect();
        let mut ctx = Context::new();
        ctx.insert("overdue", &rows.iter().filter(|r| r.review_class == "overdue").count());
        ctx.insert("due_soon", &rows.iter().filter(|r| r.review_class == "due-soon").count());
        ctx.insert("rows", &rows);
        ctx.insert("types", &types);
        ctx.insert("levels", &levels);
        ctx.insert("crumbs", &crumbs(Vec::new(), "Document register"));
        self.page(tera, "register.html", "register.html", "Document register", ctx)
    }

    /// print.html: the whole handbook in reading order (home, documents by type, clauses,
    /// controls, the SoA) on one page, its links turned into in-page anchors.
    fn print_page(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct PrintDoc<'a> {
            anchor: String,
            title_anchor: Option<String>,
            doc: &'a Document,
            owner: Option<Link>,
            approver: Option<Link>,
            review_status: &'static str,
            cls_rank: usize,
            html: String,
        }
        #[derive(Serialize)]
        struct PrintClause<'a> {
            anchor: String,
            clause: &'a crate::model::Clause,
            providers: Vec<Link>,
        }
        #[derive(Serialize)]
        struct PrintControl<'a> {
            anchor: String,
            control: &'a crate::model::Control,
            decision: Option<&'a crate::model::SoaDecision>,
            implemented_by: Vec<Link>,
            guidance: String,
        }
        let hb = self.hb;
        let mut printed: HashSet<&str> = hb.documents.iter().map(|d| d.url.as_str()).collect();
        let control_urls: Vec<String> = hb.controls.iter().map(|c| control_url(&c.id)).collect();
        let clause_urls: Vec<String> = hb.clauses.iter().map(|c| clause_url(&c.id)).collect();
        printed.extend(control_urls.iter().map(String::as_str));
        printed.extend(clause_urls.iter().map(String::as_str));
        printed.insert("soa.html");
        let in_print = |url: &str| Link {
            id: String::new(),
            title: String::new(),
            url: Some(format!("#{}", print::anchor_of(url))),
        };
        let cite = |c: &Citation| Link { id: c.id.to_string(), title: c.title.to_string(), ..in_print(&c.url) };
        let who = |r: &Option<String>| r.as_deref().map(|o| self.role_link(o).unwrap_or_else(|| plain(o)));
        let home = hb.documents.iter().position(|d| d.url == "index.html");
        let home_html = match home {
            Some(i) => Some(print::rewrite(split_title(&self.document_html(i)?).1, "index.html", &printed)),
            None => None,
        };
        let mut order: Vec<usize> = (0..hb.documents.len()).filter(|&i| Some(i) != home).collect();
        order.sort_by(|&a, &b| reading_key(&hb.documents[a]).cmp(&reading_key(&hb.documents[b])));
        let mut groups: BTreeMap<DocType, Vec<PrintDoc>> = BTreeMap::new();
        for i in order {
            let d = &hb.documents[i];
            let html = self.document_html(i)?;
            let (title_id, body) = split_title(&html);
            groups.entry(d.doc_type).or_default().push(PrintDoc {
                anchor: print::anchor_of(&d.url),
                title_anchor: title_id.map(|t| print::inner_anchor(&d.url, &t)),
                doc: d,
                owner: who(&d.owner),
                approver: who(&d.approver),
                review_status: ReviewStatus::of(d.review, hb.build_date).as_str(),
                cls_rank: hb.config.level_rank(&d.classification).unwrap_or(0),
                html: print::rewrite(&wrap_tables(body), &d.url, &printed),
            });
        }
        let parts: Vec<TypeGroup<PrintDoc>> = groups
            .into_iter()
            .map(|(t, items)| {
                let (title, id) = type_heading(t);
                TypeGroup { title, id, items }
            })
            .collect();
        let clauses: Vec<PrintClause> = hb
            .clauses
            .iter()
            .zip(&clause_urls)
            .map(|(c, url)| PrintClause {
                anchor: print::anchor_of(url),
                clause: c,
                providers: self.backlinks.clause_providers(&c.id).into_iter().map(cite).collect(),
            })
            .collect();
        let controls: Vec<PrintControl> = hb
            .controls
            .iter()
            .zip(&control_urls)
            .enumerate()
            .map(|(i, (c, url))| PrintControl {
                anchor: print::anchor_of(url),
                control: c,
                decision: hb.decision(&c.id),
                implemented_by: self.backlinks.control(&c.id).iter().map(cite).collect(),
                guidance: print::rewrite(&self.guidance[i], url, &printed),
            })
            .collect();
        let mut ctx = Context::new();
        ctx.insert("home_html", &home_html);
        ctx.insert("home_anchor", &print::anchor_of("index.html"));
        ctx.insert("parts", &parts);
        ctx.insert("clauses", &clauses);
        ctx.insert("controls", &controls);
        ctx.insert("soa_anchor", &print::anchor_of("soa.html"));
        ctx.insert("soa_control", &self.document_control(SOA_DOCUMENT));
        ctx.insert("edition", &hb.config.classification);
        ctx.insert("edition_rank", &hb.config.level_rank(&hb.config.classification).unwrap_or(0));
        self.page(tera, "print.html", "print.html", "Print edition", ctx)
    }

    fn coverage_page(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Item<'a> {
            subject: &'a str,
            page: &'a Option<String>,
            message: &'a str,
            file: &'a str,
            line: usize,
        }
        #[derive(Serialize)]
        struct Section<'a> {
            code: &'static str,
            title: &'static str,
            gaps: Vec<Item<'a>>,
        }
        // The register's own kinds are shown only when a published register exists.
        let risk_kinds = crate::risk::GAP_KINDS.iter().filter(|(code, _)| {
            *code == "control-unexplained" || self.published_risks().is_some() || !self.coverage.of(code).is_empty()
        });
        let sections: Vec<Section> = crate::audit::GAP_KINDS
            .iter()
            .chain(risk_kinds)
            .map(|(code, title)| Section {
                code,
                title,
                gaps: self
                    .coverage
                    .of(code)
                    .into_iter()
                    .map(|g| Item {
                        subject: &g.subject,
                        page: &g.page,
                        message: &g.message,
                        file: &g.diagnostic.file,
                        line: g.diagnostic.line,
                    })
                    .collect(),
            })
            .collect();
        let mut ctx = Context::new();
        ctx.insert("sections", &sections);
        ctx.insert("covered", &self.coverage.covered);
        ctx.insert("applicable", &self.coverage.applicable);
        ctx.insert("total", &self.coverage.gaps.len());
        ctx.insert("crumbs", &crumbs(Vec::new(), "Coverage"));
        self.page(tera, "coverage.html", "coverage.html", "Coverage", ctx)
    }

    /// The navigation, in reading order: home, the documents folder by folder, then the
    /// management-system pages. nav.js, the server-side sidebar and prev/next all read it.
    fn nav_tree(&self) -> Vec<NavItem> {
        let hb = self.hb;
        let mut groups: BTreeMap<&str, Vec<&Document>> = BTreeMap::new();
        for d in hb.documents.iter().filter(|d| d.url != "index.html") {
            groups.entry(d.path.split_once('/').map_or("", |(f, _)| f)).or_default().push(d);
        }
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

    /// The sidebar written into every page for readers without JavaScript: the whole tree for
    /// a small book, only the top level (home, policies, management system) for a large one,
    /// so that output stays linear in the page count.
    fn nav_static(&self, nav: &[NavItem]) -> Vec<NavItem> {
        let documents: usize = nav.iter().map(|g| g.c.len()).sum();
        if documents <= STATIC_NAV_MAX {
            return nav.to_vec();
        }
        let mut top =
            vec![NavItem::link("Home", "index.html"), NavItem::link("Policies and documents", "index.html#policies")];
        top.extend(nav.last().cloned());
        top
    }

    /// Previous and next page, per page: documents in navigation order, controls and clauses
    /// in catalogue order.
    fn pager(&self, nav: &[NavItem]) -> BTreeMap<String, Pager> {
        let hb = self.hb;
        let mut map = BTreeMap::new();
        let mut chain = |seq: Vec<Link>| {
            for (i, l) in seq.iter().enumerate() {
                let Some(url) = l.url.clone() else { continue };
                let prev = i.checked_sub(1).map(|p| seq[p].clone());
                let next = seq.get(i + 1).cloned();
                map.insert(url, Pager { prev, next });
            }
        };
        // Home and the documents: every group but the last (the management-system pages).
        let documents = nav[..nav.len().saturating_sub(1)]
            .iter()
            .flat_map(|g| {
                g.u.iter()
                    .map(|u| (g.t.as_str(), u))
                    .chain(g.c.iter().filter_map(|i| i.u.as_ref().map(|u| (i.t.as_str(), u))))
            })
            .map(|(t, u)| Link { id: String::new(), title: t.to_string(), url: Some(u.clone()) });
        chain(documents.collect());
        chain(hb.controls.iter().map(|c| self.control_link(&c.id)).map(titled).collect());
        chain(
            hb.clauses
                .iter()
                .map(|c| self.clause_link(&c.id))
                .map(|l| Link { title: format!("Clause {} {}", l.id, l.title), ..l })
                .collect(),
        );
        map
    }

    /// The one shared navigation file: `window.ISMSBOOK_NAV = [...]`.
    fn nav_js(&self) -> Vec<u8> {
        let json = serde_json::to_string(&self.nav_tree()).unwrap_or_else(|_| "[]".into());
        format!("window.ISMSBOOK_NAV = {json};\n").into_bytes()
    }

    fn sitemap(&self, base: &str) -> Vec<u8> {
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

/// A justification as HTML: escaped text, with every risk it cites linked to the risk's page
/// (`[[R-002]]` and plain `R-002` alike) when the register is published. `root` leads from the
/// page to the site root.
fn justification_html(text: &str, reg: Option<&crate::risk::Register>, root: &str) -> String {
    let Some(reg) = reg.filter(|r| r.published) else { return escape(text) };
    let mut html = String::with_capacity(text.len() + 64);
    let mut done = 0;
    for cite in crate::risk::citations(text, reg).into_iter().filter(|c| reg.get(&c.id).is_some()) {
        let end = cite.byte + cite.id.len();
        let bracketed = text[..cite.byte].ends_with("[[") && text[end..].starts_with("]]");
        let (start, after) = if bracketed { (cite.byte - 2, end + 2) } else { (cite.byte, end) };
        if start < done {
            continue;
        }
        html.push_str(&escape(&text[done..start]));
        let url = crate::urls::risk_url(&cite.id);
        html.push_str(&format!("<a href=\"{root}{}\">{}</a>", escape(&url), escape(&cite.id)));
        done = after;
    }
    html.push_str(&escape(&text[done..]));
    html
}

/// A risk as other pages list it: id, title, level and page.
#[derive(Serialize)]
struct RiskLink {
    id: String,
    title: String,
    level: String,
    residual_level: String,
    url: String,
}

fn risk_link(r: &crate::risk::Risk) -> RiskLink {
    RiskLink {
        id: r.id.clone(),
        title: r.title.clone(),
        level: r.level.clone(),
        residual_level: r.residual_level.clone(),
        url: crate::urls::risk_url(&r.id),
    }
}

fn plain(id: &str) -> Link {
    Link { id: id.to_string(), title: id.to_string(), url: None }
}

fn review_class(st: ReviewStatus) -> &'static str {
    match st {
        ReviewStatus::Current => "current",
        ReviewStatus::DueSoon => "due-soon",
        ReviewStatus::Overdue => "overdue",
        ReviewStatus::NoReviewDate => "none",
    }
}

/// A document that applies to a role, with the sections that name the role.
#[derive(Serialize)]
struct RoleDoc {
    link: Link,
    #[serde(skip)]
    doc_type: DocType,
    sections: Vec<crate::audit::Section>,
}

/// Documents of one type, under a heading.
#[derive(Serialize)]
struct TypeGroup<T> {
    title: &'static str,
    id: &'static str,
    items: Vec<T>,
}

fn type_heading(t: DocType) -> (&'static str, &'static str) {
    match t {
        DocType::Policy => ("Policies", "policies"),
        DocType::Standard => ("Standards", "standards"),
        DocType::Procedure => ("Procedures", "procedures"),
        DocType::Guideline => ("Guidelines", "guidelines"),
        DocType::Record => ("Records", "records"),
        DocType::Page => ("Guides and other pages", "pages"),
    }
}

fn group_by_type(docs: Vec<RoleDoc>) -> Vec<TypeGroup<RoleDoc>> {
    let mut groups: BTreeMap<DocType, Vec<RoleDoc>> = BTreeMap::new();
    for d in docs {
        groups.entry(d.doc_type).or_default().push(d);
    }
    groups
        .into_iter()
        .map(|(t, items)| {
            let (title, id) = type_heading(t);
            TypeGroup { title, id, items }
        })
        .collect()
}

/// Documents grouped by type (policies first), each group by title.
fn by_type(docs: Vec<&Document>) -> Vec<TypeGroup<Link>> {
    let mut groups: BTreeMap<DocType, Vec<&Document>> = BTreeMap::new();
    for d in docs {
        groups.entry(d.doc_type).or_default().push(d);
    }
    groups
        .into_iter()
        .map(|(t, mut items)| {
            items.sort_by(|a, b| a.title.cmp(&b.title));
            let (title, id) = type_heading(t);
            TypeGroup { title, id, items: items.into_iter().map(Site::doc_link).collect() }
        })
        .collect()
}

/// Navigation order of documents: folder, then path.
fn reading_key(d: &Document) -> (&str, &str) {
    (d.path.split_once('/').map_or("", |(f, _)| f), d.path.as_str())
}

/// The `##`/`###` sections of a rendered document whose text names one of `needles`
/// (lowercase), matched at the start of a word.
fn sections_naming(r: &Rendered, html: &str, needles: &[String]) -> Vec<crate::audit::Section> {
    // Headings come in page order: each is searched for after the previous one (one pass).
    let mut from = 0;
    let mut starts: Vec<(usize, &Heading)> = Vec::new();
    for h in r.headings.iter().filter(|h| h.level == 2 || h.level == 3) {
        if let Some(p) = html[from..].find(&format!(" id=\"{}\"", h.id)) {
            from += p;
            starts.push((from, h));
        }
    }
    let mut out = Vec::new();
    for (k, (start, h)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(html.len(), |n| n.0);
        let text = html[*start..end].to_lowercase();
        let named = needles.iter().any(|n| {
            text.match_indices(n.as_str())
                .any(|(p, _)| p == 0 || !text[..p].chars().next_back().is_some_and(char::is_alphanumeric))
        });
        if named {
            out.push(crate::audit::Section { anchor: h.id.clone(), title: h.title.clone() });
        }
    }
    out
}

/// A folder's title in the navigation: the title of its `index.md`, else its name as written
/// (never re-cased: "isms" stays "isms", not "Isms").
fn folder_title(hb: &Handbook, folder: &str) -> String {
    if folder.is_empty() {
        return "Documents".to_string();
    }
    hb.index
        .document_by_path
        .get(&format!("{folder}/index.md"))
        .map_or_else(|| folder.to_string(), |&i| hb.documents[i].title.clone())
}

/// What the requirement and the guidance of a catalogue are, said on every control page.
#[derive(Serialize)]
struct Labels {
    requirement: &'static str,
    guidance: &'static str,
    clause: &'static str,
}

impl Labels {
    fn of(framework: &str) -> Labels {
        if framework.starts_with("iso27001") {
            Labels {
                requirement: "ISO/IEC 27001 Annex A requirement (in our words)",
                guidance: "Guidance, in the manner of ISO/IEC 27002 (in our words)",
                clause: "ISO/IEC 27001 requirement (in our words)",
            }
        } else {
            Labels { requirement: "Requirement", guidance: "Guidance", clause: "Requirement" }
        }
    }
}

/// Percent-encodes a query value.
fn url_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `A.5.15 Access control` as one title.
fn titled(l: Link) -> Link {
    Link { title: format!("{} {}", l.id, l.title), ..l }
}

/// The top-bar entry a page belongs to.
fn section_of(kind: &str) -> &'static str {
    match kind {
        "control" | "controls" => "controls",
        "role" | "roles" => "roles",
        "soa" => "soa",
        "register" => "register",
        "coverage" => "coverage",
        "risk" | "risks" => "risks",
        _ => "",
    }
}

/// A breadcrumb trail: home, the given steps, then the current page (no link).
fn crumbs(steps: Vec<Link>, current: &str) -> Vec<Link> {
    let mut out = vec![Link { id: String::new(), title: "Home".into(), url: Some("index.html".into()) }];
    out.extend(steps);
    out.push(Link { id: String::new(), title: current.to_string(), url: None });
    out
}

fn step(title: &str, url: &str) -> Link {
    Link { id: String::new(), title: title.to_string(), url: Some(url.to_string()) }
}

/// Markdown tables scroll inside their own box on narrow screens.
fn wrap_tables(html: &str) -> String {
    if !html.contains("<table>") {
        return html.to_string();
    }
    html.replace("<table>", "<div class=\"table-wrap\"><table>").replace("</table>", "</table></div>")
}

/// Splits a leading `<h1 id="x">...</h1>` off rendered Markdown: (its id, the rest).
fn split_title(html: &str) -> (Option<String>, &str) {
    let trimmed = html.trim_start();
    if let Some(rest) = trimmed.strip_prefix("<h1 id=\"")
        && let Some((id, _)) = rest.split_once('"')
        && let Some(end) = trimmed.find("</h1>")
    {
        return (Some(id.to_string()), trimmed[end + 5..].trim_start_matches('\n'));
    }
    (None, html)
}

/// `security_properties` -> `Security properties`.
pub fn humanise(key: &str) -> String {
    let s = key.replace(['_', '-'], " ");
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().collect::<String>() + c.as_str())
}

/// HTML-escapes text for attributes and XML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn template_error(origin: &Path, e: &tera::Error) -> Diagnostic {
    let (message, line, column) = match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
            (r.message().to_string(), r.span().start_line, r.span().start_col + 1)
        }
        _ => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            (msg, 1, 1)
        }
    };
    let message = message.lines().next().unwrap_or_default().trim().to_string();
    Diagnostic::error("template-error", origin, message)
        .at(line, column)
        .hint("fix the template in your theme folder, or delete it to use the built-in one")
}
