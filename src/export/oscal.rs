//! NIST OSCAL 1.1.3 JSON in `oscal/`: the catalogue as a catalog, the SoA as a profile and the
//! implementation as a system security plan, so that GRC tools (compliance-trestle, CISO
//! Assistant, FedRAMP tooling) take the handbook in without retyping.
//!
//! - `catalog.json`: one group per theme of the catalogue (and one, `clauses`, for the
//!   management-system clauses, nested by their numbering); each control has a `statement`
//!   part (the requirement) and a `guidance` part, its attributes as props in our namespace
//!   [`NS`] (name = attribute family, one prop per value), the ids it replaces (ISO/IEC
//!   27001:2013 for the ISO catalogue) as `replaces` props, and a link to its handbook page.
//!   OSCAL 1.1.3 has no mapping model (it arrived with 1.2), so the 2013 -> 2022 mapping is
//!   carried by those props.
//! - `profile.json`: imports catalog.json, includes every clause and every applicable control,
//!   leaves excluded (and undecided) controls out and names the excluded ones in
//!   `exclude-controls`; each applicable control's justification and status are added to it
//!   (`modify/alters`), each exclusion's justification is a metadata prop `excluded-control`.
//! - `ssp.json`: one implemented-requirement per applicable control (and per clause some
//!   document provides or cites), with the SoA status as `implementation-status` of the
//!   component "this-system" (the ISMS), the implementing documents as links to back-matter
//!   resources (their pages) and to the sections that cite the control, and the owners of
//!   those documents as responsible roles.
//!
//! Every UUID is a version-5 UUID of the organisation, the kind of thing and its id, so that
//! two builds of the same sources give the same bytes. Ids that are not OSCAL tokens (clause
//! `6.1.2` starts with a digit) get a prefix (`clause-6.1.2`); the original id is always kept
//! as the `label` prop. Keys follow OSCAL's documented order (serde_json keeps insertion
//! order), so the files read like the OSCAL reference. Only published documents are reachable
//! from here (see `super`).

use super::View;
use crate::audit::Citation;
use crate::model::{Control, Handbook, Status};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::Write;

/// The OSCAL release the files follow.
pub const OSCAL_VERSION: &str = "1.1.3";

/// The namespace of ismsbook's own props and parts (an identifier; it need not resolve).
pub const NS: &str = "https://ismsbook.dev/ns/oscal";

/// A stable UUID (version 5) for a `kind` of thing with `id`, within this organisation.
fn uuid(hb: &Handbook, kind: &str, id: &str) -> String {
    let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, NS.as_bytes());
    let name = format!("{}\u{1f}{kind}\u{1f}{id}", hb.config.organisation);
    uuid::Uuid::new_v5(&ns, name.as_bytes()).to_string()
}

/// Whether `s` is an OSCAL token: a letter or `_`, then letters, digits, `.`, `-` or `_`.
fn is_token(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// `s` as a token: itself when it is one, else `s` with other characters as `_`, prefixed
/// with `prefix` when it still does not start with a letter.
fn token(prefix: &str, s: &str) -> String {
    if is_token(s) {
        return s.to_string();
    }
    let body: String = s.chars().map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-') { c } else { '_' }).collect();
    if is_token(&body) { body } else { format!("{prefix}{body}") }
}

/// The OSCAL id of a control.
pub fn control_id(id: &str) -> String {
    token("control-", id)
}

/// The OSCAL id of a clause: always prefixed, so that clause and control ids never meet.
pub fn clause_id(id: &str) -> String {
    token("clause-", &format!("clause-{id}"))
}

fn role_id(id: &str) -> String {
    token("role-", id)
}

/// A prop: ours (with the namespace [`NS`]) or OSCAL's own (`label`, without).
#[derive(Serialize)]
struct Prop {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ns: Option<&'static str>,
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    class: Option<&'static str>,
}

/// A prop of our namespace, or `None` when the value is empty. OSCAL prop values are one line
/// without leading or trailing space: runs of white space become one space.
fn prop(name: &str, value: &str) -> Option<Prop> {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    (!value.is_empty()).then(|| Prop { name: token("p-", name), ns: Some(NS), value, class: None })
}

/// The `label` prop (OSCAL's own): the id as people write it.
fn label(id: &str) -> Prop {
    Prop { name: "label".into(), ns: None, value: id.to_string(), class: None }
}

/// Where a page of the handbook is, seen from a file in `oscal/`: absolute under `base-url`,
/// else relative.
fn href(hb: &Handbook, url: &str) -> String {
    match &hb.config.base_url {
        Some(base) => format!("{base}{url}"),
        None => format!("../{url}"),
    }
}

/// The build date as an OSCAL date-time.
fn timestamp(hb: &Handbook) -> String {
    format!("{}T00:00:00Z", hb.build_date)
}

/// The metadata every file carries; `extra` (roles, parties, props) is merged in.
fn metadata(hb: &Handbook, title: String, extra: Value) -> Value {
    let mut m = json!({
        "title": title,
        "last-modified": timestamp(hb),
        "version": hb.build_date.to_string(),
        "oscal-version": OSCAL_VERSION,
    });
    if let (Some(m), Value::Object(extra)) = (m.as_object_mut(), extra) {
        m.extend(extra);
    }
    m
}

/// Guidance Markdown with `[[ID]]` / `[[ID|text]]` references as plain text: the given text,
/// else the control or clause with its title, else the id.
fn plain_refs(hb: &Handbook, md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut rest = md;
    while let Some(start) = rest.find("[[") {
        let Some(len) = rest[start + 2..].find("]]") else { break };
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + 2 + len];
        let (id, text) = match inner.split_once('|') {
            Some((id, text)) => (id.trim_end_matches('\\').trim(), text.trim()),
            None => (inner.trim(), ""),
        };
        if !text.is_empty() {
            out.push_str(text);
        } else if let Some(c) = hb.control(id) {
            out.push_str(&format!("{} {}", c.id, c.title));
        } else if let Some(c) = hb.clause(id) {
            out.push_str(&format!("clause {} {}", c.id, c.title));
        } else {
            out.push_str(id);
        }
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    out
}

fn part(id: String, name: &str, ns: bool, prose: &str) -> Option<Value> {
    let prose = prose.trim();
    if prose.is_empty() {
        return None;
    }
    let mut p = json!({ "id": id, "name": name, "prose": prose });
    if ns {
        p["ns"] = json!(NS);
    }
    Some(p)
}

/// Capitalised theme name for a group title: `organizational` -> `Organizational`.
fn title_case(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn catalog_control(hb: &Handbook, c: &Control) -> Value {
    let id = control_id(&c.id);
    let mut props = vec![label(&c.id)];
    props.extend(prop("framework", &c.framework));
    for (family, values) in &c.attributes {
        for v in values {
            if let Some(p) = prop(family, v.trim_start_matches('#')) {
                props.push(Prop { class: Some("attribute"), ..p });
            }
        }
    }
    props.extend(c.replaces.iter().filter_map(|old| prop("replaces", old)));
    let parts: Vec<Value> = [
        part(format!("{id}_smt"), "statement", false, &c.requirement),
        part(format!("{id}_gdn"), "guidance", false, &plain_refs(hb, &c.guidance)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut v = json!({
        "id": id,
        "class": "control",
        "title": c.title,
        "props": props,
        "links": [{ "href": href(hb, &crate::urls::control_url(&c.id)), "rel": "alternate", "text": "Handbook page" }],
    });
    if !parts.is_empty() {
        v["parts"] = json!(parts);
    }
    v
}

/// The clause `i` with the clauses below it nested as its controls.
fn catalog_clause(hb: &Handbook, i: usize) -> Value {
    let cl = &hb.clauses[i];
    let id = clause_id(&cl.id);
    let mut props = vec![label(&cl.id)];
    props.extend(prop("framework", &cl.framework));
    let parts: Vec<Value> = [
        part(format!("{id}_smt"), "statement", false, &cl.summary),
        part(format!("{id}_di"), "documented-information", true, cl.documented_information.as_deref().unwrap_or("")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut links: Vec<Value> = vec![
        json!({ "href": href(hb, &crate::urls::clause_url(&cl.id)), "rel": "alternate", "text": "Handbook page" }),
    ];
    links.extend(
        cl.controls
            .iter()
            .filter(|c| hb.control(c).is_some())
            .map(|c| json!({ "href": format!("#{}", control_id(c)), "rel": "related", "text": c })),
    );
    let children: Vec<Value> = (0..hb.clauses.len())
        .filter(|&j| hb.clauses[j].parent_id() == Some(cl.id.as_str()))
        .map(|j| catalog_clause(hb, j))
        .collect();
    let mut v = json!({ "id": id, "class": "clause", "title": cl.title, "props": props, "links": links });
    if !parts.is_empty() {
        v["parts"] = json!(parts);
    }
    if !children.is_empty() {
        v["controls"] = json!(children);
    }
    v
}

fn catalogue_title(hb: &Handbook) -> String {
    let titles: Vec<&str> = hb.frameworks.iter().map(|f| f.title.as_str()).collect();
    if titles.is_empty() { "Control catalogue".to_string() } else { titles.join(" + ") }
}

/// `oscal/catalog.json`.
pub fn catalog(hb: &Handbook, w: &mut dyn Write) -> std::io::Result<()> {
    let mut groups = Vec::new();
    let top: Vec<Value> = (0..hb.clauses.len())
        .filter(|&i| hb.clauses[i].parent_id().is_none_or(|p| hb.clause(p).is_none()))
        .map(|i| catalog_clause(hb, i))
        .collect();
    if !top.is_empty() {
        groups.push(json!({
            "id": "clauses",
            "class": "clauses",
            "title": "Management system requirements",
            "controls": top,
        }));
    }
    let themes: Vec<&str> = {
        let mut seen = BTreeSet::new();
        hb.controls.iter().map(|c| c.theme.as_str()).filter(|t| seen.insert(*t)).collect()
    };
    for theme in themes {
        let controls: Vec<Value> =
            hb.controls.iter().filter(|c| c.theme == theme).map(|c| catalog_control(hb, c)).collect();
        let title = if theme.is_empty() { "Controls".to_string() } else { title_case(theme) };
        let props: Vec<Prop> = prop("theme", theme).into_iter().collect();
        groups.push(json!({
            "id": token("theme-", &format!("theme-{theme}")),
            "class": "theme",
            "title": title,
            "props": props,
            "controls": controls,
        }));
    }
    let framework_props: Vec<Prop> = hb.frameworks.iter().filter_map(|f| prop("framework", &f.id)).collect();
    let doc = json!({
        "catalog": {
            "uuid": uuid(hb, "catalog", ""),
            "metadata": metadata(hb, catalogue_title(hb), json!({ "props": framework_props })),
            "groups": groups,
        }
    });
    super::json::pretty(w, &doc)
}

/// `oscal/profile.json`: the Statement of Applicability.
pub fn profile(hb: &Handbook, w: &mut dyn Write) -> std::io::Result<()> {
    let mut include: Vec<String> = hb.clauses.iter().map(|c| clause_id(&c.id)).collect();
    let mut exclude = Vec::new();
    let mut excluded_props = Vec::new();
    let mut alters = Vec::new();
    for c in &hb.controls {
        let Some(d) = hb.decision(&c.id) else { continue };
        let id = control_id(&c.id);
        if d.applicable {
            include.push(id.clone());
            let mut props = vec![Prop { name: "applicable".into(), ns: Some(NS), value: "yes".into(), class: None }];
            props.extend(d.status.and_then(|s| prop("status", s.as_str())));
            let parts: Vec<Value> =
                part(format!("{id}_jst"), "justification", true, d.justification.as_deref().unwrap_or(""))
                    .into_iter()
                    .collect();
            let mut add = json!({ "position": "ending", "props": props });
            if !parts.is_empty() {
                add["parts"] = json!(parts);
            }
            alters.push(json!({ "control-id": id, "adds": [add] }));
        } else {
            exclude.push(id.clone());
            let mut p = json!({ "name": "excluded-control", "ns": NS, "value": c.id });
            if let Some(j) = d.justification.as_deref().filter(|j| !j.trim().is_empty()) {
                p["remarks"] = json!(j.trim());
            }
            excluded_props.push(p);
        }
    }
    let mut import = json!({ "href": "catalog.json", "include-controls": [{ "with-ids": include }] });
    if !exclude.is_empty() {
        import["exclude-controls"] = json!([{ "with-ids": exclude }]);
    }
    let mut body = json!({
        "uuid": uuid(hb, "profile", ""),
        "metadata": metadata(
            hb,
            format!("{}: Statement of Applicability", org_or_title(hb)),
            if excluded_props.is_empty() { json!({}) } else { json!({ "props": excluded_props }) },
        ),
        "imports": [import],
        "merge": { "as-is": true },
    });
    if !alters.is_empty() {
        body["modify"] = json!({ "alters": alters });
    }
    super::json::pretty(w, &json!({ "profile": body }))
}

fn org_or_title(hb: &Handbook) -> &str {
    if hb.config.organisation.trim().is_empty() { &hb.config.title } else { hb.config.organisation.trim() }
}

/// OSCAL's implementation states for the SoA statuses. OSCAL has no "not implemented": such a
/// control is `planned` (the exact SoA status stays in the `status` prop).
fn state(s: Status) -> &'static str {
    match s {
        Status::Implemented => "implemented",
        Status::Partial => "partial",
        Status::Planned | Status::NotImplemented => "planned",
    }
}

/// A JSON array serialised from the iterator the closure makes, item by item, when it is
/// written: nothing is collected first.
struct Each<F>(F);

impl<F, I> Serialize for Each<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

#[derive(Serialize)]
struct Link {
    href: String,
    rel: &'static str,
    text: String,
}

/// The links of an implemented requirement: each citing document (its back-matter resource)
/// and each section that cites the requirement (its page and anchor).
fn citation_links(hb: &Handbook, cites: &[Citation]) -> Vec<Link> {
    let mut links = Vec::new();
    for c in cites {
        links.push(Link {
            href: format!("#{}", uuid(hb, "document", &c.id)),
            rel: "reference",
            text: format!("{} {}", c.id, c.title),
        });
        for s in &c.sections {
            links.push(Link {
                href: href(hb, &format!("{}#{}", c.url, s.anchor)),
                rel: "reference",
                text: format!("{} {}: {}", c.id, c.title, s.title),
            });
        }
    }
    links
}

#[derive(Serialize)]
struct RoleRef {
    #[serde(rename = "role-id")]
    role_id: String,
}

/// The roles that own the citing documents, as responsible roles.
fn owner_roles(hb: &Handbook, cites: &[Citation]) -> Vec<RoleRef> {
    let owners: BTreeSet<&str> = cites
        .iter()
        .filter_map(|c| hb.document(&c.id))
        .filter_map(|d| d.owner.as_deref())
        .filter(|o| hb.role(o).is_some())
        .collect();
    owners.into_iter().map(|o| RoleRef { role_id: role_id(o) }).collect()
}

fn implemented_by(cites: &[Citation]) -> String {
    if cites.is_empty() {
        return "No document of the handbook implements this yet.".to_string();
    }
    let docs: Vec<String> = cites.iter().map(|c| format!("{} {}", c.id, c.title)).collect();
    format!("Implemented by {}.", docs.join("; "))
}

/// `{ "state": ... }`
#[derive(Serialize)]
struct State {
    state: &'static str,
}

/// `{ "description": ... }`
#[derive(Serialize)]
struct Described<'a> {
    description: &'a str,
}

/// An implemented requirement of the SSP, keys in OSCAL's order.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Requirement {
    uuid: String,
    control_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    responsible_roles: Vec<RoleRef>,
    by_components: [ByComponent; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ByComponent {
    component_uuid: String,
    uuid: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    implementation_status: Option<State>,
}

/// A clause (`kind` "clause") or control requirement that `cites` implement.
fn requirement(
    hb: &Handbook,
    kind: &str,
    id: &str,
    oscal_id: String,
    cites: &[Citation],
    status: Option<Status>,
) -> Requirement {
    Requirement {
        uuid: uuid(hb, &format!("{kind}-requirement"), id),
        control_id: oscal_id,
        props: status.and_then(|s| prop("status", s.as_str())).into_iter().collect(),
        links: citation_links(hb, cites),
        responsible_roles: owner_roles(hb, cites),
        by_components: [ByComponent {
            component_uuid: uuid(hb, "component", "this-system"),
            uuid: uuid(hb, &format!("{kind}-by-component"), id),
            description: implemented_by(cites),
            implementation_status: status.map(|s| State { state: state(s) }),
        }],
        remarks: None,
    }
}

/// `oscal/ssp.json`: how the ISMS implements the profile. Written as it is serialised: the
/// requirements and the back-matter (one resource per cited document) are made one at a time.
pub fn ssp(v: &View, w: &mut dyn Write) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Root<B> {
        #[serde(rename = "system-security-plan")]
        ssp: B,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    struct Body<'a, R, D> {
        uuid: String,
        metadata: Metadata<'a>,
        import_profile: Href,
        system_characteristics: Characteristics<'a>,
        system_implementation: Implementation,
        control_implementation: ControlImplementation<R>,
        #[serde(skip_serializing_if = "Option::is_none")]
        back_matter: Option<BackMatter<D>>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    struct Metadata<'a> {
        title: String,
        last_modified: String,
        version: String,
        oscal_version: &'static str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        roles: Vec<Role<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        parties: Option<[Party<'a>; 1]>,
    }
    #[derive(Serialize)]
    struct Role<'a> {
        id: String,
        title: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Party<'a> {
        uuid: String,
        #[serde(rename = "type")]
        kind: &'static str,
        name: &'a str,
    }
    #[derive(Serialize)]
    struct Href {
        href: &'static str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    struct Characteristics<'a> {
        system_ids: [SystemId; 1],
        system_name: &'a str,
        description: String,
        system_information: Information,
        status: State,
        authorization_boundary: Described<'static>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    struct SystemId {
        identifier_type: &'static str,
        id: String,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    struct Information {
        information_types: [InformationType; 1],
    }
    #[derive(Serialize)]
    struct InformationType {
        uuid: String,
        title: &'static str,
        description: String,
    }
    #[derive(Serialize)]
    struct Implementation {
        users: Vec<User>,
        components: [Component; 1],
    }
    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    struct User {
        uuid: String,
        title: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        role_ids: Vec<String>,
    }
    #[derive(Serialize)]
    struct Component {
        uuid: String,
        #[serde(rename = "type")]
        kind: &'static str,
        title: String,
        description: &'static str,
        status: State,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    struct ControlImplementation<R> {
        description: &'static str,
        implemented_requirements: R,
    }
    #[derive(Serialize)]
    struct BackMatter<D> {
        resources: D,
    }
    #[derive(Serialize)]
    struct Resource<'a> {
        uuid: String,
        title: &'a str,
        props: Vec<Prop>,
        rlinks: [Rlink; 1],
    }
    #[derive(Serialize)]
    struct Rlink {
        href: String,
        #[serde(rename = "media-type")]
        media_type: &'static str,
    }
    let hb = v.hb;
    let clauses = || {
        hb.clauses.iter().filter_map(|cl| {
            let cites = v.backlinks.get(&crate::links::TargetKey::Clause(cl.id.clone()));
            (!cites.is_empty()).then_some((cl, cites))
        })
    };
    let controls = || {
        hb.controls
            .iter()
            .filter_map(|c| hb.decision(&c.id).filter(|d| d.applicable).map(|d| (c, d, v.backlinks.control(&c.id))))
    };
    let requirements = Each(|| {
        let clauses = clauses().map(|(cl, cites)| requirement(hb, "clause", &cl.id, clause_id(&cl.id), cites, None));
        let controls = controls().map(|(c, d, cites)| Requirement {
            remarks: d.justification.as_deref().map(str::trim).filter(|j| !j.is_empty()).map(str::to_string),
            ..requirement(hb, "control", &c.id, control_id(&c.id), cites, d.status)
        });
        clauses.chain(controls)
    });
    let mut cited: BTreeSet<&str> = BTreeSet::new();
    for (_, cites) in clauses() {
        cited.extend(cites.iter().map(|c| &*c.id));
    }
    for (_, _, cites) in controls() {
        cited.extend(cites.iter().map(|c| &*c.id));
    }
    let resources = Each(|| {
        hb.documents.iter().filter(|d| cited.contains(d.id.as_str())).map(|d| {
            let mut props = vec![label(&d.id)];
            props.extend(prop("type", d.doc_type.as_str()));
            props.extend(d.version.as_deref().and_then(|x| prop("version", x)));
            props.extend(d.owner.as_deref().and_then(|x| prop("owner", x)));
            props.extend(d.approved.and_then(|x| prop("approved", &x.to_string())));
            props.extend(d.review.and_then(|x| prop("review", &x.to_string())));
            props.extend(prop("classification", &d.classification));
            Resource {
                uuid: uuid(hb, "document", &d.id),
                title: &d.title,
                props,
                rlinks: [Rlink { href: href(hb, &d.url), media_type: "text/html" }],
            }
        })
    });
    let has_resources = hb.documents.iter().any(|d| cited.contains(d.id.as_str()));
    let roles: Vec<Role> = hb
        .roles
        .iter()
        .map(|r| Role {
            id: role_id(&r.id),
            title: &r.title,
            description: r.description.as_deref().map(str::trim).filter(|d| !d.is_empty()),
        })
        .collect();
    let mut users: Vec<User> = hb
        .roles
        .iter()
        .map(|r| User { uuid: uuid(hb, "user", &r.id), title: r.title.clone(), role_ids: vec![role_id(&r.id)] })
        .collect();
    if users.is_empty() {
        users.push(User {
            uuid: uuid(hb, "user", ""),
            title: "Everyone working under the ISMS".into(),
            role_ids: Vec::new(),
        });
    }
    let org = org_or_title(hb);
    let organisation = hb.config.organisation.trim();
    let parties = (!organisation.is_empty())
        .then(|| [Party { uuid: uuid(hb, "party", "organisation"), kind: "organization", name: organisation }]);
    let description = hb.config.description.clone().filter(|d| !d.trim().is_empty()).unwrap_or_else(|| {
        format!("The information security management system of {org}, as its handbook describes it.")
    });
    let body = Body {
        uuid: uuid(hb, "ssp", ""),
        metadata: Metadata {
            title: format!("{org}: ISMS implementation"),
            last_modified: timestamp(hb),
            version: hb.build_date.to_string(),
            oscal_version: OSCAL_VERSION,
            roles,
            parties,
        },
        import_profile: Href { href: "profile.json" },
        system_characteristics: Characteristics {
            system_ids: [SystemId { identifier_type: "https://ietf.org/rfc/rfc4122", id: uuid(hb, "system", "") }],
            system_name: &hb.config.title,
            description,
            system_information: Information {
                information_types: [InformationType {
                    uuid: uuid(hb, "information-type", ""),
                    title: "Information in the scope of the ISMS",
                    description: format!(
                        "The information {org} protects under its ISMS; the scope statement of the handbook lists it."
                    ),
                }],
            },
            status: State { state: "operational" },
            authorization_boundary: Described { description: "The scope of the ISMS as stated in the handbook." },
        },
        system_implementation: Implementation {
            users,
            components: [Component {
                uuid: uuid(hb, "component", "this-system"),
                kind: "this-system",
                title: format!("The ISMS of {org}"),
                description: "The management system as a whole: its documents, roles and processes.",
                status: State { state: "operational" },
            }],
        },
        control_implementation: ControlImplementation {
            description: "How each requirement of the profile (the clauses and the applicable controls of the Statement of Applicability) is met: the SoA status and the documents of the handbook that implement it.",
            implemented_requirements: requirements,
        },
        back_matter: has_resources.then_some(BackMatter { resources }),
    };
    super::json::pretty(w, &Root { ssp: body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_tokens() {
        assert_eq!(control_id("A.5.15"), "A.5.15");
        assert_eq!(control_id("CC6.1"), "CC6.1");
        assert_eq!(control_id("1.2"), "control-1.2");
        assert_eq!(control_id("a b"), "a_b");
        assert_eq!(token("theme-", "theme-Change Management"), "theme-Change_Management");
        assert_eq!(clause_id("6.1.2"), "clause-6.1.2");
        assert!(is_token(&clause_id("x y")));
    }

    #[test]
    fn prop_values_are_one_line() {
        assert_eq!(
            serde_json::to_value(prop("x", "  a\n b  ")).ok(),
            Some(json!({ "name": "x", "ns": NS, "value": "a b" }))
        );
        assert!(prop("x", " \n ").is_none());
    }
}
