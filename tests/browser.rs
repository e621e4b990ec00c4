//! Browser behaviour in a real headless Chromium: the page filters work from file://, with no
//! server. Needs `chromium` on PATH (.ci/run installs it); set ISMSBOOK_SKIP_BROWSER=1 to skip
//! knowingly on a machine without it.

mod common;
use common::*;
use std::process::Command;

/// The DOM of `url` after its scripts ran.
fn dump_dom(url: &str) -> Option<String> {
    let profile = temp_dir("chromium-profile");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=2000",
            "--dump-dom",
            url,
        ])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn soa_filters_and_shared_navigation_work_from_disk() {
    let tmp = temp_dir("browser");
    let out = tmp.join("book");
    assert!(build_sample(&out, &[]).status.success());
    let soa = format!("file://{}", out.join("soa.html").display());
    let Some(all) = dump_dom(&soa) else {
        assert!(std::env::var_os("ISMSBOOK_SKIP_BROWSER").is_some(), "chromium is not installed (see .ci/run)");
        return;
    };
    let rows = |dom: &str| dom.matches("<tr data-theme=").count();
    let hidden = |dom: &str| dom.matches("style=\"display: none;\"").count();
    assert_eq!(rows(&all), 93);
    assert_eq!(hidden(&all), 0);
    // The sidebar is built from the one shared nav.js.
    assert!(all.contains("Access Control Policy</a>"), "sidebar not built");
    // ?applicable=no keeps the three exclusions of the sample.
    let excluded = dump_dom(&format!("{soa}?applicable=no")).unwrap_or_default();
    assert_eq!(rows(&excluded) - hidden(&excluded), 3, "rows left by ?applicable=no");
    // Two filters combine: planned people controls.
    let planned = dump_dom(&format!("{soa}?status=planned&theme=organizational")).unwrap_or_default();
    let shown = rows(&planned) - hidden(&planned);
    assert!((1..93).contains(&shown), "{shown} rows shown");
    // The controls index filters by attribute.
    let controls = format!("file://{}?control-type=corrective", out.join("controls/index.html").display());
    let dom = dump_dom(&controls).unwrap_or_default();
    let total = dom.matches("<tr data-theme=").count();
    assert_eq!(total, 93);
    assert!((51..93).contains(&hidden(&dom)), "corrective filter hid {} rows", hidden(&dom));
}
