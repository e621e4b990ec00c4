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
}
