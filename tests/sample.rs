//! The sample handbook's catalogue against the facts file, and the SoA's implementers against
//! an independent computation from the documents.

mod common;
use common::*;
use ismsbook::yaml::{Value, parse_value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

fn yaml(path: &Path) -> Value {
    parse_value(&read(path), path, 1).unwrap_or_else(|d| panic!("{}", d.human()))
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_sequence).map(|l| l.iter().map(s).collect()).unwrap_or_default()
}

fn catalogue() -> Value {
    yaml(&repo().join("sample-isms/catalogue/iso27001-2022.yaml"))
}

/// The shared facts file, which CI lays out beside the repository.
fn facts() -> Option<Value> {
    let p = repo().join("../shared/reference/iso27001-2022-facts.yaml");
    p.exists().then(|| yaml(&p))
}

#[test]
fn catalogue_has_every_clause_and_control_with_valid_ids_themes_and_attributes() {
    let cat = catalogue();
    let clauses = cat["clauses"].as_sequence().expect("clauses");
    let controls = cat["controls"].as_sequence().expect("controls");
    assert_eq!(clauses.len(), 41);
    assert_eq!(clauses.iter().filter(|c| !s(&c["id"]).contains('.')).count(), 7);
    let with_info = clauses.iter().filter(|c| c.get("documented_information").is_some()).count();
    assert_eq!(with_info, 15, "clauses carrying the 18 documented-information items");
    assert_eq!(controls.len(), 93);
    let mut themes: BTreeMap<String, usize> = BTreeMap::new();
    let vocab: HashMap<&str, &[&str]> = HashMap::from([
        ("control_type", &["preventive", "detective", "corrective"][..]),
        ("security_properties", &["confidentiality", "integrity", "availability"][..]),
        ("cybersecurity_concepts", &["identify", "protect", "detect", "respond", "recover"][..]),
        (
            "operational_capabilities",
            &[
                "governance",
                "asset_management",
                "information_protection",
                "human_resource_security",
                "physical_security",
                "system_and_network_security",
                "application_security",
                "secure_configuration",
                "identity_and_access_management",
                "threat_and_vulnerability_management",
                "continuity",
                "supplier_relationships_security",
                "legal_and_compliance",
                "information_security_event_management",
                "information_security_assurance",
            ][..],
        ),
        ("security_domains", &["governance_and_ecosystem", "protection", "defence", "resilience"][..]),
    ]);
    let mut replaced = BTreeSet::new();
    let mut paragraphs: HashMap<String, String> = HashMap::new();
    for c in controls {
        let id = s(&c["id"]);
        let parts: Vec<&str> = id.split('.').collect();
        assert!(parts.len() == 3 && parts[0] == "A", "bad id {id}");
        let theme = s(&c["theme"]);
        let expected_theme = match parts[1] {
            "5" => "organizational",
            "6" => "people",
            "7" => "physical",
            "8" => "technological",
            _ => panic!("bad id {id}"),
        };
        assert_eq!(theme, expected_theme, "{id}");
        *themes.entry(theme).or_default() += 1;
        let attrs = c["attributes"].as_mapping().expect("attributes");
        assert_eq!(attrs.len(), 5, "{id}: five attribute families");
        for (k, v) in attrs {
            let allowed = vocab.get(s(k).as_str()).unwrap_or_else(|| panic!("{id}: unknown family {k:?}"));
            for value in list(Some(v)) {
                assert!(allowed.contains(&value.as_str()), "{id}: {value} is not a {k:?} value");
            }
        }
        for old in list(c.get("replaces")) {
            let p: Vec<&str> = old.split('.').collect();
            assert!(
                p.len() == 4 && p[0] == "A" && p[1].parse::<u32>().is_ok_and(|n| (5..=18).contains(&n)),
                "{id}: {old}"
            );
            replaced.insert(old);
        }
        let guidance = s(&c["guidance"]);
        let words = guidance.split_whitespace().count();
        assert!(words >= 120, "{id}: guidance has {words} words");
        assert!(!s(&c["requirement"]).is_empty(), "{id}: no requirement");
        for para in guidance.split("\n\n").map(str::trim).filter(|p| p.len() > 60) {
            if let Some(other) = paragraphs.insert(para.to_string(), id.clone()) {
                panic!("{id} and {other} share the paragraph: {para}");
            }
        }
    }
    assert_eq!(
        themes,
        BTreeMap::from([
            ("organizational".into(), 37),
            ("people".into(), 8),
            ("physical".into(), 14),
            ("technological".into(), 34)
        ])
    );
    assert_eq!(replaced.len(), 114, "every ISO/IEC 27001:2013 control has a successor");
}

#[test]
fn catalogue_matches_the_facts_file() {
    let Some(facts) = facts() else {
        eprintln!("../shared/reference/iso27001-2022-facts.yaml not found: skipped");
        return;
    };
    let cat = catalogue();
    let fact_clauses: Vec<(String, String)> =
        facts["clauses"].as_sequence().expect("facts clauses").iter().map(|c| (s(&c["id"]), s(&c["title"]))).collect();
    let clauses: Vec<(String, String)> =
        cat["clauses"].as_sequence().expect("clauses").iter().map(|c| (s(&c["id"]), s(&c["title"]))).collect();
    assert_eq!(clauses, fact_clauses);
    let facts_2013: BTreeSet<String> = facts["mapping_2013"]["controls_2013"]
        .as_sequence()
        .expect("2013 controls")
        .iter()
        .map(|c| s(&c["id"]))
        .collect();
    assert_eq!(facts_2013.len(), 114);
    for (c, f) in
        cat["controls"].as_sequence().expect("controls").iter().zip(facts["controls"].as_sequence().expect("f"))
    {
        let id = s(&c["id"]);
        assert_eq!(id, s(&f["annex_a_ref"]));
        assert_eq!(s(&c["title"]), s(&f["title"]), "{id}");
        for fam in [
            "control_type",
            "security_properties",
            "cybersecurity_concepts",
            "operational_capabilities",
            "security_domains",
        ] {
            assert_eq!(list(c["attributes"].get(fam)), list(f.get(fam)), "{id} {fam}");
        }
        let replaces = list(c.get("replaces"));
        assert_eq!(replaces, list(f.get("mapped_from_2013")), "{id}");
        assert!(replaces.iter().all(|r| facts_2013.contains(r)), "{id}");
    }
    let info_clauses: BTreeSet<String> =
        facts["documented_information"].as_sequence().expect("di").iter().map(|d| s(&d["clause"])).collect();
    let ours: BTreeSet<String> = cat["clauses"]
        .as_sequence()
        .expect("clauses")
        .iter()
        .filter(|c| c.get("documented_information").is_some())
        .map(|c| s(&c["id"]))
        .collect();
    assert_eq!(ours, info_clauses);
}

#[test]
fn soa_implementers_equal_the_documents_that_declare_or_cite_each_control() {
    let tmp = temp_dir("soa-table");
    let out = tmp.join("book");
    let run = build_sample(&out, &["--classification", "confidential"]);
    assert!(run.status.success(), "{}", stderr(&run));
    // Independently: front matter `controls:` plus every [[A.x.y]] written outside code.
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files(&repo().join("sample-isms")).into_iter().filter(|f| f.ends_with(".md")) {
        let text = read(&repo().join("sample-isms").join(&f));
        let Some(rest) = text.strip_prefix("---\n") else { continue };
        let (fm, body) = rest.split_once("\n---\n").expect("closed front matter");
        let fm = parse_value(fm, Path::new(&f), 2).expect("front matter");
        let id = s(&fm["id"]);
        let mut cites: BTreeSet<String> = list(fm.get("controls")).into_iter().collect();
        let mut in_code = false;
        for line in body.lines() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if in_code {
                continue;
            }
            for part in line.split("[[").skip(1) {
                let target = part.split([']', '|', '#']).next().unwrap_or("").trim_end_matches('\\');
                if target.starts_with("A.") && target.split('.').count() == 3 {
                    cites.insert(target.to_string());
                }
            }
        }
        for c in cites {
            expected.entry(c).or_default().insert(id.clone());
        }
    }
    let csv = read(&out.join("soa.csv"));
    let mut rows = 0;
    for line in csv.lines().skip(1) {
        let control = line.split(',').next().expect("control").to_string();
        let implemented: BTreeSet<String> =
            line.rsplit(',').next().unwrap_or("").split(';').filter(|s| !s.is_empty()).map(str::to_string).collect();
        assert_eq!(implemented, expected.remove(&control).unwrap_or_default(), "{control}");
        rows += 1;
    }
    assert_eq!(rows, 93);
    assert!(expected.is_empty(), "cited but not in the SoA: {expected:?}");
}

#[test]
fn sample_gap_and_overdue_review_appear_in_every_auditor_view() {
    let tmp = temp_dir("auditor");
    let out = tmp.join("book");
    assert!(build_sample(&out, &[]).status.success());
    let coverage = read(&out.join("coverage.html"));
    assert!(coverage.contains("A.5.6"), "gap missing from coverage.html");
    assert!(coverage.contains("POL-PHYS"), "overdue review missing from coverage.html");
    let register = read(&out.join("register.csv"));
    let phys = register.lines().find(|l| l.starts_with("POL-PHYS,")).expect("POL-PHYS row");
    assert!(phys.ends_with(",internal,overdue,policies/physical-security.md"), "{phys}");
    let soa = read(&out.join("soa.csv"));
    let a56 = soa.lines().find(|l| l.starts_with("A.5.6,")).expect("A.5.6 row");
    assert!(a56.ends_with(",yes,") || a56.contains(",planned,"), "{a56}");
    let check = sample(&["check", ".", "--deny-warnings"]);
    assert_eq!(check.status.code(), Some(1));
    let text = stderr(&check);
    assert!(
        text.contains("warning[control-not-implemented]: A.5.6") && text.contains("warning[review-overdue]: POL-PHYS")
    );
    // With the confidential documents too, only the three deliberate findings remain.
    let conf = sample(&["check", ".", "--classification", "confidential"]);
    assert!(conf.status.success(), "{}", stderr(&conf));
    let codes: Vec<String> = diagnostics(&conf)
        .iter()
        .map(|d| d.split(": ").nth(1).and_then(|x| x.split(']').next()).unwrap_or("").to_string())
        .collect();
    assert_eq!(codes, ["warning[review-overdue", "warning[risk-action-overdue", "warning[control-not-implemented"]);
    assert!(stderr(&conf).contains("checked 43 documents, 93 controls, 41 clauses: 0 error(s), 3 warning(s)"));
    // The overdue action is visible where a risk owner and an auditor look.
    let r006 = read(&out.join("risks/R-006.html"));
    assert!(r006.contains("2026-11-15"), "R-006 page lacks the overdue action");
    assert!(read(&out.join("risks.csv")).lines().count() == 31, "30 risks in risks.csv");
}

/// Days since 1970-01-01 of a YYYY-MM-DD date (civil calendar).
fn days(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap_or_else(|_| panic!("bad date {date}"))).collect();
    let (y, m, d) = (if p[1] <= 2 { p[0] - 1 } else { p[0] }, p[1], p[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn risk_ids_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(4))
        .filter(|&i| {
            b[i] == b'R'
                && b[i + 1] == b'-'
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
                && b.len() >= i + 5
                && b[i + 2..i + 5].iter().all(u8::is_ascii_digit)
        })
        .map(|i| text[i..i + 5].to_string())
        .collect()
}

/// The auditor's chain, computed from the sources independently of ismsbook: the SoA, the risk
/// register, the roles and the documents agree with one another.
#[test]
fn soa_register_roles_and_documents_agree() {
    let src = repo().join("sample-isms");
    let reg = yaml(&src.join("risks.yaml"));
    let soa = yaml(&src.join("soa.yaml"));
    let roles: BTreeSet<String> =
        yaml(&src.join("roles.yaml")).as_sequence().expect("roles").iter().map(|r| s(&r["id"])).collect();
    let applicable: HashMap<String, bool> = soa
        .as_sequence()
        .expect("soa")
        .iter()
        .map(|d| (s(&d["control"]), d["applicable"].as_bool().expect("applicable")))
        .collect();
    let risks = reg["risks"].as_sequence().expect("risks");
    let ids: Vec<String> = risks.iter().map(|r| s(&r["id"])).collect();
    assert_eq!(ids, (1..=30).map(|n| format!("R-{n:03}")).collect::<Vec<_>>(), "R-001..R-030 in order");
    let controls: HashMap<String, Vec<String>> = risks.iter().map(|r| (s(&r["id"]), list(r.get("controls")))).collect();
    // Every risk an SoA justification cites exists and lists that control.
    let mut cited = 0;
    for d in soa.as_sequence().expect("soa") {
        let control = s(&d["control"]);
        for id in risk_ids_in(&d.get("justification").map(s).unwrap_or_default()) {
            let listed = controls.get(&id).unwrap_or_else(|| panic!("{control} cites unknown {id}"));
            assert!(listed.contains(&control), "{control} cites {id}, which does not list it");
            cited += 1;
        }
    }
    assert!(cited >= 60, "only {cited} risk citations in soa.yaml");
    let (method, assessed) = (&reg["method"], days(&s(&reg["assessed"])));
    let today = days("2026-11-28");
    let mut overdue = Vec::new();
    for r in risks {
        let id = s(&r["id"]);
        // Every control of every risk is applicable.
        for c in &controls[&id] {
            assert_eq!(applicable.get(c), Some(&true), "{id} lists {c}, which is not applicable");
        }
        // Owners and acceptors are roles.
        assert!(roles.contains(&s(&r["owner"])), "{id}: owner");
        if let Some(a) = r.get("accepted") {
            assert!(roles.contains(&s(&a["by"])), "{id}: accepted by");
        }
        let score = |v: &Value| v["likelihood"].as_u64().expect("l") * v["impact"].as_u64().expect("i");
        let level = |n: u64| {
            if n >= method["levels"]["high"].as_u64().expect("high") {
                "high"
            } else if n >= method["levels"]["medium"].as_u64().expect("medium") {
                "medium"
            } else {
                "low"
            }
        };
        let before = level(score(r));
        let residual = r.get("residual").map_or(score(r), score);
        // A residual above the threshold has a named acceptance; a retained risk is accepted.
        if residual > method["accept-at-most"].as_u64().expect("accept-at-most") || s(&r["treatment"]) == "retain" {
            assert!(r.get("accepted").is_some(), "{id}: residual {residual} not accepted");
        }
        for a in r.get("actions").and_then(Value::as_sequence).into_iter().flatten() {
            assert!(roles.contains(&s(&a["owner"])), "{id}: action owner");
            let (due, open) = (days(&s(&a["due"])), !matches!(s(&a["status"]).as_str(), "done" | "cancelled"));
            if let Some(limit) = method["treat-within-days"].get(before).and_then(Value::as_i64)
                && open
            {
                assert!(due <= assessed + limit, "{id}: action due later than STD-RISK allows for a {before} risk");
            }
            if open && due < today {
                overdue.push(format!("{id}: {}", s(&a["what"])));
            }
        }
    }
    assert_eq!(overdue.len(), 1, "the one deliberate overdue action: {overdue:?}");
    assert!(overdue[0].starts_with("R-006: Production access course"), "{overdue:?}");
    // Every [[R-xxx]] in a document is a risk of the register.
    for f in files(&src).into_iter().filter(|f| f.ends_with(".md")) {
        let text = read(&src.join(&f));
        for part in text.split("[[R-").skip(1) {
            let id = format!("R-{}", &part[..3]);
            assert!(ids.contains(&id), "{f} cites unknown {id}");
        }
    }
}

/// Clauses whose documented information is evidence to retain are flagged `retained: true`,
/// exactly as the facts file classifies them; the sample has a record for each.
#[test]
fn catalogue_retained_flags_follow_the_facts_file() {
    let Some(facts) = facts() else {
        eprintln!("../shared/reference/iso27001-2022-facts.yaml not found: skipped");
        return;
    };
    let expected: BTreeSet<String> = facts["documented_information"]
        .as_sequence()
        .expect("di")
        .iter()
        .filter(|d| s(&d["form"]) == "retained" || s(&d["name"]).starts_with("Evidence"))
        .map(|d| s(&d["clause"]))
        .collect();
    let flagged: BTreeSet<String> = catalogue()["clauses"]
        .as_sequence()
        .expect("clauses")
        .iter()
        .filter(|c| c.get("retained").and_then(Value::as_bool) == Some(true))
        .map(|c| s(&c["id"]))
        .collect();
    assert_eq!(flagged, expected);
    assert_eq!(flagged.len(), 11);
}

/// Document control as PRO-DOC states it: every Markdown file is controlled (front matter with
/// an id), and a review date is never more than 12 months after the approval date.
#[test]
fn every_document_is_controlled_and_reviewed_within_twelve_months() {
    let src = repo().join("sample-isms");
    let mut records = 0;
    for f in files(&src).into_iter().filter(|f| f.ends_with(".md")) {
        let text = read(&src.join(&f));
        let rest = text.strip_prefix("---\n").unwrap_or_else(|| panic!("{f} has no front matter"));
        let (fm, _) = rest.split_once("\n---\n").expect("closed front matter");
        let fm = parse_value(fm, Path::new(&f), 2).expect("front matter");
        assert!(fm.get("id").is_some(), "{f} has no id");
        if s(&fm["type"]) == "record" {
            records += 1;
        }
        if let (Some(a), Some(r)) = (fm.get("approved"), fm.get("review")) {
            let gap = days(&s(r)) - days(&s(a));
            assert!((1..=366).contains(&gap), "{f}: review {gap} days after approval");
        }
    }
    assert_eq!(
        records, 10,
        "records: objectives, competence, risk assessment, treatment plan, access review, monitoring, audit, review minutes, corrective actions, the SoA approval"
    );
}
