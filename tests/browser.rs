//! Browser behaviour in a real headless Chromium over WebDriver (tests/common/browser.rs): the
//! page filters work from file://, with no server, and the sidebar comes from the shared nav.js.

mod common;
use common::browser::Browser;
use common::*;

#[test]
fn soa_filters_and_shared_navigation_work_from_disk() {
    let tmp = temp_dir("browser");
    let out = tmp.join("book");
    assert!(build_sample(&out, &[]).status.success());
    let Some(b) = Browser::try_new(1366, 900) else { return };
    let soa = format!("file://{}", out.join("soa.html").display());
    let rows = "document.querySelectorAll('tr[data-theme]').length";
    let shown = "[...document.querySelectorAll('tr[data-theme]')].filter(r => r.offsetParent !== null).length";
    b.goto(&soa);
    assert_eq!(b.js(&format!("return {rows}")), 93);
    assert_eq!(b.js(&format!("return {shown}")), 93);
    // The sidebar is built from the one shared nav.js.
    assert!(
        b.wait_for("[...document.querySelectorAll('a')].some(a => a.textContent === 'Access Control Policy')", 3000),
        "sidebar not built from nav.js"
    );
    // ?applicable=no keeps the two exclusions of the sample (A.7.6, A.8.30).
    b.goto(&format!("{soa}?applicable=no"));
    assert_eq!(b.js(&format!("return {shown}")), 2, "rows left by ?applicable=no");
    // Two filters combine: planned organizational controls.
    b.goto(&format!("{soa}?status=planned&theme=organizational"));
    let n = b.js(&format!("return {shown}")).as_u64().unwrap_or(0);
    assert!((1..93).contains(&n), "{n} rows shown");
    // The controls index filters by attribute.
    b.goto(&format!("file://{}?control-type=corrective", out.join("controls/index.html").display()));
    assert_eq!(b.js(&format!("return {rows}")), 93);
    let n = b.js(&format!("return {shown}")).as_u64().unwrap_or(0);
    assert!((1..42).contains(&n), "corrective filter shows {n} rows");
}
