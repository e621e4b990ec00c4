//! Interchange as its consumers see it: OSCAL that compliance-trestle imports and validates,
//! workbooks that openpyxl reads back cell for cell equal to the CSV, handbook.json valid
//! against the published JSON Schema, reproducible bytes, and no trace of a confidential
//! document in any export of an internal build.
//!
//! The consumers are the real Python packages (tests/requirements.txt) in a virtual
//! environment: `ISMSBOOK_VENV` names an existing one, else `tests/setup-python.sh` creates
//! target/python-venv (once; .ci/run does it before the tests). A missing Python is a failure,
//! unless ISMSBOOK_SKIP_PYTHON=1, which skips only the Python checks, knowingly.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The non-ISO handbook: a SOC 2-style catalogue, base-url set, one confidential procedure.
fn soc2_dir() -> PathBuf {
    repo().join("tests/soc2-handbook")
}

fn build_soc2(out: &Path, extra: &[&str]) {
    let dest = out.to_string_lossy().into_owned();
    let mut args = vec!["build", ".", "-d", &dest];
    args.extend_from_slice(extra);
    let o = ismsbook(&soc2_dir(), &args);
    assert!(o.status.success(), "soc2 build failed:\n{}", stderr(&o));
    assert_eq!(diagnostics(&o), Vec::<String>::new(), "the soc2 handbook builds clean");
}

fn built_sample(name: &str, extra: &[&str]) -> PathBuf {
    let out = temp_dir(name).join("book");
    let o = build_sample(&out, extra);
    assert!(o.status.success(), "sample build failed:\n{}", stderr(&o));
    out
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The venv's python, or `None` when ISMSBOOK_SKIP_PYTHON=1 and there is none.
fn python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let venv = match std::env::var_os("ISMSBOOK_VENV").filter(|v| !v.is_empty()) {
                Some(v) => PathBuf::from(v),
                None => {
                    let venv = repo().join("target/python-venv");
                    let skip = std::env::var_os("ISMSBOOK_SKIP_PYTHON").is_some();
                    // Under ISMSBOOK_SKIP_PYTHON a missing venv is not created (no PyPI).
                    let ok = (!skip || venv.join("bin/python").exists())
                        && Command::new("bash")
                            .arg(repo().join("tests/setup-python.sh"))
                            .arg(&venv)
                            .status()
                            .is_ok_and(|s| s.success());
                    if !ok && skip {
                        eprintln!("ISMSBOOK_SKIP_PYTHON: no Python venv, the consumer checks are skipped");
                        return None;
                    }
                    assert!(
                        ok,
                        "tests/setup-python.sh could not create {} (needs python3 -m venv and PyPI)",
                        venv.display()
                    );
                    venv
                }
            };
            let py = venv.join("bin/python");
            assert!(py.exists(), "no Python in the venv {} (ISMSBOOK_VENV)", venv.display());
            Some(py)
        })
        .as_deref()
}

/// Runs tests/interchange.py ARGS; `Err(output)` when it fails.
fn helper(args: &[&Path]) -> Option<Result<String, String>> {
    let py = python()?;
    let o = Command::new(py).arg(repo().join("tests/interchange.py")).args(args).output().expect("run python");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    Some(if o.status.success() { Ok(String::from_utf8_lossy(&o.stdout).into_owned()) } else { Err(text) })
}

fn helper_ok(args: &[&Path]) -> Option<String> {
    helper(args).map(|r| r.unwrap_or_else(|e| panic!("interchange.py {args:?} failed:\n{e}")))
}

fn trestle_validates(oscal: &Path, name: &str) {
    let work = temp_dir(&format!("{name}-trestle"));
    if let Some(out) = helper_ok(&[Path::new("trestle"), oscal, &work]) {
        assert_eq!(out.matches("VALID: Model").count(), 3, "{out}");
        assert!(work.join("catalogs/handbook/catalog.json").exists());
        assert!(work.join("profiles/handbook/profile.json").exists());
        assert!(work.join("system-security-plans/handbook/system-security-plan.json").exists());
    }
}

fn find<'a>(items: &'a Value, key: &str, value: &str) -> &'a Value {
    items
        .as_array()
        .and_then(|a| a.iter().find(|x| x[key] == value))
        .unwrap_or_else(|| panic!("no item with {key} = {value}"))
}

/// Every control of a catalog (nested ones included).
fn all_controls(catalog: &Value) -> Vec<&Value> {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        for c in v["controls"].as_array().into_iter().flatten() {
            out.push(c);
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    for g in catalog["catalog"]["groups"].as_array().into_iter().flatten() {
        walk(g, &mut out);
    }
    out
}

/// The three files agree: the profile includes and excludes only ids of the catalog, and
/// every implemented requirement of the SSP is a control the profile includes.
fn assert_consistent(oscal: &Path) {
    let catalog = json(&oscal.join("catalog.json"));
    let profile = json(&oscal.join("profile.json"));
    let ssp = json(&oscal.join("ssp.json"));
    let ids: std::collections::HashSet<&str> =
        all_controls(&catalog).iter().map(|c| c["id"].as_str().unwrap()).collect();
    let with_ids = |v: &Value| -> Vec<String> {
        v[0]["with-ids"].as_array().into_iter().flatten().map(|x| x.as_str().unwrap().to_string()).collect()
    };
    let import = &profile["profile"]["imports"][0];
    let included = with_ids(&import["include-controls"]);
    for id in included.iter().chain(&with_ids(&import["exclude-controls"])) {
        assert!(ids.contains(id.as_str()), "the profile names {id}, which the catalog lacks");
    }
    for r in ssp["system-security-plan"]["control-implementation"]["implemented-requirements"].as_array().unwrap() {
        let id = r["control-id"].as_str().unwrap();
        assert!(included.iter().any(|i| i == id), "the SSP implements {id}, which the profile does not include");
    }
    // Every object's own uuid is a version-5 UUID, and none is used twice.
    fn uuids<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                out.extend(m.get("uuid").and_then(Value::as_str));
                m.values().for_each(|x| uuids(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| uuids(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    for doc in [&catalog, &profile, &ssp] {
        uuids(doc, &mut all);
    }
    let unique: std::collections::HashSet<&str> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "a UUID is used twice");
    assert!(all.iter().all(|u| u.len() == 36 && &u[14..15] == "5"), "{all:?}");
}

fn props<'a>(v: &'a Value, name: &str) -> Vec<&'a str> {
    v["props"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == name)
        .filter_map(|p| p["value"].as_str())
        .collect()
}

#[test]
fn sample_exports_oscal_that_trestle_imports_and_validates() {
    let book = built_sample("oscal-sample", &[]);
    let oscal = book.join("oscal");
    let catalog = json(&oscal.join("catalog.json"));
    let profile = json(&oscal.join("profile.json"));
    let ssp = json(&oscal.join("ssp.json"));
    for doc in [&catalog, &profile, &ssp] {
        let (_, body) = doc.as_object().and_then(|o| o.iter().next()).expect("one root");
        assert_eq!(body["metadata"]["oscal-version"], "1.1.3");
        assert_eq!(body["metadata"]["last-modified"], "2026-11-28T00:00:00Z");
    }

    // catalog: a group per theme and one for the clauses; every control with its parts.
    let groups: Vec<&str> =
        catalog["catalog"]["groups"].as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(groups, ["clauses", "theme-organizational", "theme-people", "theme-physical", "theme-technological"]);
    let controls = all_controls(&catalog);
    assert_eq!(controls.iter().filter(|c| c["class"] == "control").count(), 93);
    assert_eq!(controls.iter().filter(|c| c["class"] == "clause").count(), 41);
    let a515 = controls.iter().find(|c| c["id"] == "A.5.15").expect("A.5.15");
    assert_eq!(a515["title"], "Access control");
    let parts: Vec<&str> = a515["parts"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(parts, ["statement", "guidance"]);
    assert_eq!(props(a515, "replaces"), ["A.9.1.1", "A.9.1.2"], "the 2013 ids as props");
    assert_eq!(props(a515, "control_type"), ["preventive"]);
    assert!(
        a515["props"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "security_properties" && p["ns"] == "https://ismsbook.dev/ns/oscal")
    );
    let guidance = &find(&a515["parts"], "name", "guidance")["prose"];
    assert!(!guidance.as_str().unwrap().contains("[["), "references become plain text: {guidance}");
    let clause_612 = controls.iter().find(|c| c["id"] == "clause-6.1.2").expect("clause 6.1.2 nested");
    assert_eq!(props(clause_612, "label"), ["6.1.2"]);

    // profile: the SoA. Applicable controls and every clause in, excluded controls out.
    let import = &profile["profile"]["imports"][0];
    assert_eq!(import["href"], "catalog.json");
    let included: Vec<&str> =
        import["include-controls"][0]["with-ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    // What the SoA says, read from handbook.json (the model, not the OSCAL writer).
    let model = json(&book.join("handbook.json"));
    let rows = model["soa"].as_array().unwrap();
    let decided = |yes: bool| -> Vec<&str> {
        rows.iter().filter(|r| r["applicable"] == yes).map(|r| r["control"].as_str().unwrap()).collect()
    };
    let (applicable, excluded) = (decided(true), decided(false));
    assert!(applicable.len() > 80 && !excluded.is_empty() && excluded.contains(&"A.8.30"));
    assert_eq!(included.len(), 41 + applicable.len());
    for excluded in excluded {
        assert!(!included.contains(&excluded), "{excluded} is excluded");
        let p = find(&profile["profile"]["metadata"]["props"], "value", excluded);
        assert_eq!(p["name"], "excluded-control");
        assert!(p["remarks"].as_str().is_some_and(|r| r.len() > 10), "the exclusion's justification: {p}");
    }
    let alter = find(&profile["profile"]["modify"]["alters"], "control-id", "A.5.6");
    assert_eq!(props(&alter["adds"][0], "status"), ["planned"]);
    assert!(alter["adds"][0]["parts"][0]["prose"].as_str().unwrap().contains("information-sharing group"));

    // ssp: an implemented requirement per applicable control, with status, documents, owners.
    let reqs = &ssp["system-security-plan"]["control-implementation"]["implemented-requirements"];
    let control_reqs =
        reqs.as_array().unwrap().iter().filter(|r| !r["control-id"].as_str().unwrap().starts_with("clause-"));
    assert_eq!(control_reqs.count(), applicable.len());
    let r = find(reqs, "control-id", "A.5.15");
    assert_eq!(r["by-components"][0]["implementation-status"]["state"], "implemented");
    let links = r["links"].as_array().unwrap();
    assert!(links.iter().any(|l| l["text"] == "POL-AC Access Control Policy"), "{links:?}");
    assert!(links.iter().any(|l| l["href"].as_str().unwrap().starts_with("../policies/access-control.html#")));
    let roles: Vec<&str> =
        r["responsible-roles"].as_array().unwrap().iter().map(|x| x["role-id"].as_str().unwrap()).collect();
    assert!(roles.contains(&"it-manager"), "{roles:?}");
    let gap = find(reqs, "control-id", "A.5.6");
    assert_eq!(gap["by-components"][0]["implementation-status"]["state"], "planned");
    assert!(gap.get("links").is_none(), "A.5.6 has no implementing document");
    // Document links point at back-matter resources whose rlinks are the pages.
    let resources = &ssp["system-security-plan"]["back-matter"]["resources"];
    let href = links[0]["href"].as_str().unwrap().trim_start_matches('#');
    let res = find(resources, "uuid", href);
    assert!(res["rlinks"][0]["href"].as_str().unwrap().ends_with(".html"));

    assert_consistent(&oscal);
    trestle_validates(&oscal, "sample");
}

#[test]
fn a_non_iso_catalogue_exports_too() {
    let book = temp_dir("oscal-soc2").join("book");
    build_soc2(&book, &[]);
    let oscal = book.join("oscal");
    let catalog = json(&oscal.join("catalog.json"));
    let groups: Vec<&str> =
        catalog["catalog"]["groups"].as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert!(!groups.contains(&"clauses"), "no clauses, no clause group: {groups:?}");
    assert!(groups.contains(&"theme-Logical_and_Physical_Access"), "{groups:?}");
    let ids: Vec<&str> = all_controls(&catalog).iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 7);
    let ssp = json(&oscal.join("ssp.json"));
    let reqs = &ssp["system-security-plan"]["control-implementation"]["implemented-requirements"];
    let cc81 = find(reqs, "control-id", "CC8.1");
    assert_eq!(cc81["by-components"][0]["implementation-status"]["state"], "planned");
    assert_eq!(props(cc81, "status"), ["not-implemented"], "the exact SoA status is kept");
    assert!(reqs.as_array().unwrap().iter().all(|r| r["control-id"] != "PI1.1"));
    // base-url set: links are absolute.
    let cc61 = find(reqs, "control-id", "CC6.1");
    assert!(
        cc61["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["href"].as_str().unwrap().starts_with("https://trust.larkspur.example/policies/access.html#"))
    );
    assert_consistent(&oscal);
    trestle_validates(&oscal, "soc2");
}

#[test]
fn workbooks_match_the_csv_cell_for_cell() {
    let sample = built_sample("xlsx-sample", &[]);
    let soc2 = temp_dir("xlsx-soc2").join("book");
    build_soc2(&soc2, &[]);
    // The register lists the controlled documents (every type but `page`) of the build.
    let documents = json(&sample.join("handbook.json"))["documents"].as_array().unwrap().clone();
    let controlled = documents.iter().filter(|d| d["type"] != "page").count();
    for (book, table, rows, links) in
        [(&sample, "soa", 93, 0), (&sample, "register", controlled, 0), (&soc2, "soa", 7, 7), (&soc2, "register", 2, 2)]
    {
        let xlsx = book.join(format!("{table}.xlsx"));
        let csv = book.join(format!("{table}.csv"));
        assert!(xlsx.exists() && csv.exists());
        let Some(out) = helper_ok(&[Path::new("workbook"), &xlsx, &csv]) else { continue };
        let report: Value = serde_json::from_str(&out).expect("helper report");
        assert_eq!(report["rows"], rows, "{table}: {report}");
        assert_eq!(report["links"], links, "{table}: hyperlinks only with base-url: {report}");
        if table == "register" {
            assert_eq!(report["dates"], 2 * rows, "approved and review are real dates: {report}");
        }
        if links > 0 {
            assert!(report["first_link"].as_str().unwrap().starts_with("https://trust.larkspur.example/"));
        }
        let about = &report["about"];
        assert_eq!(about["classification"], "internal");
        assert_eq!(about["ismsbook_version"], env!("CARGO_PKG_VERSION"));
        assert!(
            about["organisation"].as_str().unwrap().ends_with("Ltd")
                || about["organisation"] == "Larkspur Payments Inc."
        );
    }
    let about = helper_ok(&[Path::new("workbook"), &sample.join("soa.xlsx"), &sample.join("soa.csv")]);
    if let Some(out) = about {
        assert!(out.contains("\"build_date\": \"2026-11-28\""), "{out}");
    }
    // A workbook that differs from its CSV is caught.
    if python().is_some() {
        let wrong = temp_dir("xlsx-wrong").join("soa.csv");
        let csv = read(&sample.join("soa.csv")).replacen("Policies for information security", "Policies", 1);
        std::fs::write(&wrong, csv).expect("write");
        let r = helper(&[Path::new("workbook"), &sample.join("soa.xlsx"), &wrong]).expect("python");
        assert!(r.as_ref().is_err_and(|e| e.contains("in the workbook")), "{r:?}");
    }
}

#[test]
fn handbook_json_follows_the_published_schema() {
    let book = built_sample("schema-sample", &[]);
    let schema_src = repo().join("schema/handbook.schema.json");
    assert_eq!(read(&book.join("handbook.schema.json")), read(&schema_src), "the schema is published beside it");
    let schema = json(&schema_src);
    let hb = json(&book.join("handbook.json"));
    assert_eq!(schema["properties"]["schema_version"]["const"], hb["schema_version"]);
    // A handbook with a risk register, so that the `risks` part is checked too.
    let risky = temp_dir("schema-risks");
    copy_tree(&repo().join("tests/fixtures/_common"), &risky);
    std::fs::write(
        risky.join("risks.yaml"),
        "assessed: 2025-10-01\nrisks:\n  - id: R-001\n    title: Leavers keep access\n    owner: ciso\n    \
         likelihood: 4\n    impact: 4\n    treatment: modify\n    controls: [A.5.15]\n    actions:\n      - \
         { what: \"Automate\", owner: ciso, due: 2025-12-15, status: in-progress }\n    residual: { likelihood: 1, \
         impact: 4 }\n",
    )
    .expect("write risks.yaml");
    let o = ismsbook(&risky, &["build", "."]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(json(&risky.join("book/handbook.json"))["risks"]["risks"][0]["id"] == "R-001");
    let confidential = built_sample("schema-confidential", &["--classification", "confidential"]);
    for file in [book.join("handbook.json"), risky.join("book/handbook.json"), confidential.join("handbook.json")] {
        helper_ok(&[Path::new("schema"), &schema_src, &file]);
    }
    // The schema rejects what it does not describe.
    if python().is_some() {
        let mut bad = hb.clone();
        bad["documents"][0]["surprise"] = Value::Bool(true);
        bad["soa"][0]["status"] = Value::String("done".into());
        let path = temp_dir("schema-bad").join("handbook.json");
        std::fs::write(&path, serde_json::to_string(&bad).unwrap()).expect("write");
        let r = helper(&[Path::new("schema"), &schema_src, &path]).expect("python");
        let err = r.expect_err("an undescribed field and a wrong enum value must fail");
        assert!(err.contains("surprise") && err.contains("done"), "{err}");
    }
}

#[test]
fn exports_are_byte_identical_across_builds() {
    let a = built_sample("repro-a", &[]);
    let b = built_sample("repro-b", &[]);
    for f in [
        "oscal/catalog.json",
        "oscal/profile.json",
        "oscal/ssp.json",
        "soa.xlsx",
        "register.xlsx",
        "handbook.json",
        "soa.csv",
        "register.csv",
    ] {
        let (x, y) = (std::fs::read(a.join(f)).expect(f), std::fs::read(b.join(f)).expect(f));
        assert!(x == y, "{f} differs between two builds of the same sources");
    }
    // The workbooks' timestamps are the build date, not the time of the build.
    for (name, text) in export_texts(&a) {
        if name.ends_with("docProps/core.xml") {
            assert!(text.contains("<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-11-28T00:00:00Z<"), "{text}");
            assert!(text.contains("<dcterms:modified xsi:type=\"dcterms:W3CDTF\">2026-11-28T00:00:00Z<"), "{text}");
        }
    }
    // UUIDs come from ids: the same control has the same UUID in another build date's SSP.
    let later = temp_dir("repro-later").join("book");
    let dest = later.to_string_lossy().into_owned();
    let o = ismsbook_at(&repo(), &["build", ".", "-d", &dest], "1800000000");
    assert!(o.status.success());
    let uuid = |book: &Path| {
        let ssp = json(&book.join("oscal/ssp.json"));
        find(&ssp["system-security-plan"]["control-implementation"]["implemented-requirements"], "control-id", "A.5.15")
            ["uuid"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let u = uuid(&a);
    assert_eq!(u, uuid(&later));
    assert_eq!(&u[14..15], "5", "a version-5 UUID: {u}");
}

/// Every text in the exports of `book`: the JSON/CSV files and every entry of each workbook.
fn export_texts(book: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in ["oscal/catalog.json", "oscal/profile.json", "oscal/ssp.json", "handbook.json", "soa.csv", "register.csv"]
    {
        out.push((f.to_string(), read(&book.join(f))));
    }
    for f in ["soa.xlsx", "register.xlsx"] {
        let file = std::fs::File::open(book.join(f)).expect(f);
        let mut zip = zip::ZipArchive::new(file).expect("a zip");
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).expect("entry");
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).expect("utf-8 entry");
            let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
            out.push((format!("{f}:{name}"), text));
        }
    }
    out
}

/// Compares a build that publishes the confidential documents (`open`) with one that does not
/// (`internal`): each confidential document's id, title, page and SSP UUID is in the exports of
/// the first (so the canaries mean something) and nowhere in those of the second.
fn assert_no_trace(open: &Path, internal: &Path, documents: usize) {
    let hb = json(&open.join("handbook.json"));
    let ssp = json(&open.join("oscal/ssp.json"));
    let resources = &ssp["system-security-plan"]["back-matter"]["resources"];
    let mut canaries = Vec::new();
    for d in hb["documents"].as_array().unwrap().iter().filter(|d| d["classification"] == "confidential") {
        let id = d["id"].as_str().unwrap();
        canaries.push(id.to_string());
        canaries.push(d["title"].as_str().unwrap().to_string());
        canaries.push(d["url"].as_str().unwrap().to_string());
        let res = resources.as_array().unwrap().iter().find(|r| props(r, "label") == [id]);
        let uuid = res.unwrap_or_else(|| panic!("{id} is a resource of the confidential build's SSP"))["uuid"].as_str();
        canaries.push(uuid.unwrap().to_string());
    }
    assert_eq!(canaries.len(), 4 * documents, "{documents} confidential documents: {canaries:?}");
    let everything: String = export_texts(open).into_iter().map(|(_, t)| t).collect();
    for c in &canaries {
        assert!(everything.contains(c.as_str()), "{c} in the confidential build");
    }
    for (file, text) in export_texts(internal) {
        for c in &canaries {
            assert!(!text.contains(c.as_str()), "{c} leaks into {file} of the internal build");
        }
    }
}

#[test]
fn a_confidential_document_leaves_no_trace_in_any_export() {
    let open = built_sample("canary-confidential", &["--classification", "confidential"]);
    let internal = built_sample("canary-internal", &[]);
    assert_no_trace(&open, &internal, 2);
    let open = temp_dir("canary-soc2-confidential").join("book");
    build_soc2(&open, &["--classification", "confidential"]);
    let internal = temp_dir("canary-soc2-internal").join("book");
    build_soc2(&internal, &[]);
    assert_no_trace(&open, &internal, 1);
}
