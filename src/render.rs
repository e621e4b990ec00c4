//! Rendering: the model, the rendered Markdown and the audit into the pages of the site.
//!
//! Each page is a Tera template of the theme filled with a small, precomputed context. All
//! URLs in the context are build-dir-relative; templates prefix them with `root` (`../` per
//! folder level), so the site works from file:// and under any sub-path. The navigation lives
//! once in `nav.js`, not in every page, so output grows linearly with the page count.

use crate::audit::{Backlinks, Citation, Coverage, ReviewStatus, SoaRow};
use crate::diagnostics::Diagnostic;
use crate::markdown::{Heading, Rendered};
use crate::model::{Document, Handbook};
use crate::output::Output;
use crate::theme::Theme;
use crate::urls::{clause_url, control_url, generated_pages, role_url, root_of};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tera::{Context, Tera};

/// A link to something in the handbook, as templates see it.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
}

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
        let mut jobs = vec![Job::Register, Job::Soa, Job::Coverage];
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
        Ok(tera)
    }

    /// Renders `template` as the page `url` with `ctx` plus what every page gets.
    fn page(&self, tera: &Tera, template: &str, url: &str, title: &str, mut ctx: Context) -> Result<Page, Diagnostic> {
        ctx.insert("root", &root_of(url));
        ctx.insert("page_url", url);
        ctx.insert("page_title", title);
        ctx.insert("canonical", &self.hb.config.base_url.as_ref().map(|b| format!("{b}{url}")));
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
            html: &'a str,
            toc: Vec<&'a Heading>,
            owner: Option<Link>,
            approver: Option<Link>,
            audience: Vec<Link>,
            controls: Vec<Link>,
            clauses: Vec<Link>,
            cited_by: &'a [Citation],
            review_status: &'static str,
            review_class: &'static str,
        }
        let hb = self.hb;
        let review = ReviewStatus::of(doc.review, hb.build_date);
        let page = DocPage {
            doc,
            html,
            toc: rendered.headings.iter().filter(|h| h.level == 2 || h.level == 3).collect(),
            owner: doc.owner.as_deref().and_then(|o| self.role_link(o)),
            approver: doc.approver.as_deref().and_then(|o| self.role_link(o)),
            audience: doc.audience.iter().map(|a| self.role_link(a).unwrap_or_else(|| plain(a))).collect(),
            controls: doc.controls.iter().map(|c| self.control_link(c)).collect(),
            clauses: doc.clauses.iter().map(|c| self.clause_link(c)).collect(),
            cited_by: self.backlinks.get(&crate::links::TargetKey::Document(doc.id.clone())),
            review_status: review.as_str(),
            review_class: review_class(review),
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
        let hb = self.hb;
        let mut ctx = Context::new();
        let home = hb.documents.iter().position(|d| d.url == "index.html");
        let html = home.map(|i| self.document_html(i)).transpose()?;
        ctx.insert("html", &html);
        let mut everyone: Vec<&Document> = hb
            .documents
            .iter()
            .filter(|d| d.doc_type.is_controlled() && d.audience.iter().any(|a| a == "all-staff"))
            .collect();
        everyone.sort_by(|a, b| (a.doc_type, &a.title).cmp(&(b.doc_type, &b.title)));
        ctx.insert("everyone", &everyone.into_iter().map(Self::doc_link).collect::<Vec<_>>());
        let roles: Vec<Link> =
            hb.roles.iter().filter(|r| r.id != "all-staff").filter_map(|r| self.role_link(&r.id)).collect();
        ctx.insert("roles", &roles);
        ctx.insert("coverage", self.coverage);
        let title = home.map_or(hb.config.title.as_str(), |i| hb.documents[i].title.as_str());
        self.page(tera, "index.html", "index.html", title, ctx)
    }

    fn not_found(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        self.page(tera, "404.html", "404.html", "Page not found", Context::new())
    }

    fn controls_index(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row {
            id: String,
            title: String,
            theme: String,
            url: String,
            status: String,
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
                let status = match self.hb.decision(&c.id) {
                    None => "no decision".to_string(),
                    Some(d) if !d.applicable => "not applicable".to_string(),
                    Some(d) => d.status.map_or("applicable", |s| s.as_str()).to_string(),
                };
                Row {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    theme: c.theme.clone(),
                    url: control_url(&c.id),
                    status,
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
        self.page(tera, "controls.html", "controls/index.html", "Controls", ctx)
    }

    fn control_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Attr<'a> {
            family: String,
            values: &'a [String],
        }
        let hb = self.hb;
        let c = &hb.controls[i];
        let id = c.id.as_str();
        let url = control_url(id);
        let mut ctx = Context::new();
        ctx.insert("control", c);
        ctx.insert("theme_title", &humanise(&c.theme));
        ctx.insert("guidance", &self.guidance[i]);
        ctx.insert("decision", &hb.decision(id));
        let justification = hb.decision(id).and_then(|d| d.justification.as_deref());
        let html = justification.map(|j| justification_html(j, hb.risks.as_ref(), &root_of(&url)));
        ctx.insert("justification_html", &html);
        ctx.insert("implemented_by", self.backlinks.control(id));
        let attrs: Vec<Attr> = c.attributes.iter().map(|(k, v)| Attr { family: humanise(k), values: v }).collect();
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
        self.page(tera, "roles.html", "roles/index.html", "Roles", ctx)
    }

    fn role_page(&self, tera: &Tera, i: usize) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Doc<'a> {
            title: &'a str,
            url: &'a str,
            #[serde(rename = "type")]
            doc_type: &'static str,
        }
        let hb = self.hb;
        let role = &hb.roles[i];
        let id = role.id.as_str();
        fn to_doc(d: &Document) -> Doc<'_> {
            Doc { title: &d.title, url: &d.url, doc_type: d.doc_type.as_str() }
        }
        let specific = hb.documents.iter().filter(|d| d.audience.iter().any(|a| a == id));
        let general = hb.documents.iter().filter(|d| id != "all-staff" && d.audience.iter().any(|a| a == "all-staff"));
        let mut seen = BTreeSet::new();
        let applies: Vec<Doc> = specific.chain(general).filter(|d| seen.insert(&d.id)).map(to_doc).collect();
        let owns: Vec<Doc> = hb.documents.iter().filter(|d| d.owner.as_deref() == Some(id)).map(to_doc).collect();
        let approves: Vec<Doc> =
            hb.documents.iter().filter(|d| d.approver.as_deref() == Some(id)).map(to_doc).collect();
        let mut ctx = Context::new();
        ctx.insert("role", role);
        ctx.insert("applies", &applies);
        ctx.insert("owns", &owns);
        ctx.insert("approves", &approves);
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
        ctx.insert("rows", &rows);
        ctx.insert("themes", &themes);
        ctx.insert("statuses", &statuses);
        self.page(tera, "soa.html", "soa.html", "Statement of Applicability", ctx)
    }

    fn register_page(&self, tera: &Tera) -> Result<Page, Diagnostic> {
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            title: &'a str,
            #[serde(rename = "type")]
            doc_type: &'static str,
            version: &'a str,
            owner: &'a str,
            approver: &'a str,
            approved: String,
            review: String,
            classification: &'a str,
            review_status: &'static str,
            review_class: &'static str,
            url: &'a str,
        }
        let rows: Vec<Row> = crate::audit::register(self.hb)
            .into_iter()
            .map(|(d, st)| Row {
                id: &d.id,
                title: &d.title,
                doc_type: d.doc_type.as_str(),
                version: d.version.as_deref().unwrap_or(""),
                owner: d.owner.as_deref().unwrap_or(""),
                approver: d.approver.as_deref().unwrap_or(""),
                approved: d.approved.map(|x| x.to_string()).unwrap_or_default(),
                review: d.review.map(|x| x.to_string()).unwrap_or_default(),
                classification: &d.classification,
                review_status: st.as_str(),
                review_class: review_class(st),
                url: &d.url,
            })
            .collect();
        let mut ctx = Context::new();
        ctx.insert("overdue", &rows.iter().filter(|r| r.review_class == "overdue").count());
        ctx.insert("rows", &rows);
        self.page(tera, "register.html", "register.html", "Document register", ctx)
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
        self.page(tera, "coverage.html", "coverage.html", "Coverage", ctx)
    }

    /// The one shared navigation file: `window.ISMSBOOK_NAV = [...]`.
    fn nav_js(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Item {
            t: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            u: Option<String>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            c: Vec<Item>,
        }
        let item = |t: &str, u: &str| Item { t: t.to_string(), u: Some(u.to_string()), c: Vec::new() };
        let mut groups: BTreeMap<String, Vec<&Document>> = BTreeMap::new();
        for d in self.hb.documents.iter().filter(|d| d.url != "index.html") {
            let folder = d.path.split_once('/').map_or("", |(f, _)| f).to_string();
            groups.entry(folder).or_default().push(d);
        }
        let mut nav = vec![item("Home", "index.html")];
        for (folder, docs) in groups {
            let title = if folder.is_empty() { "Documents".to_string() } else { humanise(&folder) };
            nav.push(Item { t: title, u: None, c: docs.iter().map(|d| item(&d.title, &d.url)).collect() });
        }
        nav.push(Item {
            t: "Management system".into(),
            u: None,
            c: vec![
                item("Clauses", "clauses/index.html"),
                item("Controls", "controls/index.html"),
                item("Statement of Applicability", "soa.html"),
                item("Document register", "register.html"),
                item("Coverage", "coverage.html"),
                item("Roles", "roles/index.html"),
            ],
        });
        if self.published_risks().is_some()
            && let Some(Item { c, .. }) = nav.last_mut()
        {
            c.push(item("Risk register", "risks/index.html"));
        }
        let json = serde_json::to_string(&nav).unwrap_or_else(|_| "[]".into());
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
