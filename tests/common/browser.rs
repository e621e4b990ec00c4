//! A real headless Chromium driven over WebDriver (chromedriver + fantoccini), behind a small
//! synchronous API so that browser tests read like the other tests: open a page, type, click,
//! wait for a condition, read the DOM, take a screenshot.
//!
//! `Browser::new` starts its own chromedriver on a free loopback port and a fresh headless
//! Chromium profile; dropping the `Browser` ends both. A missing chromedriver is a test
//! failure (CI installs it through `.ci/run`), unless ISMSBOOK_SKIP_BROWSER=1 is set, in which
//! case `Browser::try_new` returns `None` and the caller skips knowingly.

use fantoccini::{Client, ClientBuilder, Locator, key::Key};
use serde_json::{Value, json};
use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    _profile: std::path::PathBuf,
}

/// The chromedriver binary: `CHROMEDRIVER`, else Debian's path, else PATH.
fn chromedriver() -> Option<String> {
    if let Ok(p) = std::env::var("CHROMEDRIVER") {
        return Some(p);
    }
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .find(|p| Path::new(p).exists())
        .map(|p| p.to_string())
        .or_else(|| {
            Command::new("chromedriver")
                .arg("--version")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|_| "chromedriver".into())
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

impl Browser {
    /// A browser with a window of `width` x `height` CSS pixels. Panics when no chromedriver is
    /// installed, unless ISMSBOOK_SKIP_BROWSER=1 (then use `try_new`).
    pub fn new(width: u32, height: u32) -> Browser {
        match Browser::try_new(width, height) {
            Some(b) => b,
            None => panic!("ISMSBOOK_SKIP_BROWSER is set: call Browser::try_new to skip"),
        }
    }

    /// `None` only when ISMSBOOK_SKIP_BROWSER=1 and no chromedriver is installed.
    pub fn try_new(width: u32, height: u32) -> Option<Browser> {
        let Some(driver_bin) = chromedriver() else {
            if std::env::var_os("ISMSBOOK_SKIP_BROWSER").is_some() {
                return None;
            }
            panic!("chromedriver is not installed (apt-get install chromium chromium-driver; .ci/run does it)");
        };
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = std::env::temp_dir().join(format!("ismsbook-chrome-{}-{port}", std::process::id()));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    "--allow-file-access-from-files",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                ]
            }
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let attempt = rt.block_on(ClientBuilder::native().capabilities(caps.clone()).connect(&url));
            match attempt {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("cannot start headless chromium: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        let b = Browser { rt, client: Some(client), driver, _profile: profile };
        b.set_size(width, height);
        Some(b)
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("browser is open")
    }

    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    /// Sets the viewport (not the window) to `width` x `height` CSS pixels.
    pub fn set_size(&self, width: u32, height: u32) {
        let c = self.client();
        self.block_on(async {
            c.set_window_size(width, height).await.expect("set window size");
            // Window size includes browser chrome in some modes: correct to the viewport.
            let inner = c.execute("return [window.innerWidth, window.innerHeight]", vec![]).await.expect("size");
            let (iw, ih) = (inner[0].as_u64().unwrap_or(width as u64), inner[1].as_u64().unwrap_or(height as u64));
            if iw != width as u64 || ih != height as u64 {
                let w = width + (width as u64).saturating_sub(iw) as u32;
                let h = height + (height as u64).saturating_sub(ih) as u32;
                c.set_window_size(w, h).await.expect("set window size");
            }
        });
    }

    pub fn goto(&self, url: &str) {
        self.block_on(self.client().goto(url)).unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    pub fn current_url(&self) -> String {
        self.block_on(self.client().current_url()).map(|u| u.to_string()).expect("current url")
    }

    /// Runs `script` (a function body: use `return`) in the page and returns its value.
    pub fn js(&self, script: &str) -> Value {
        self.block_on(self.client().execute(script, vec![])).unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `condition` (a JS expression) until it is truthy or `timeout_ms` passes.
    pub fn wait_for(&self, condition: &str, timeout_ms: u64) -> bool {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        let script = format!("try {{ return !!({condition}); }} catch (e) {{ return false; }}");
        loop {
            if self.js(&script).as_bool() == Some(true) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn click(&self, css: &str) {
        self.block_on(async {
            let e = self.client().find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no element {css}: {e}"));
            e.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
        })
    }

    /// Types `text` into the element, key by key, as a user would.
    pub fn type_into(&self, css: &str, text: &str) {
        self.block_on(async {
            let e = self.client().find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no element {css}: {e}"));
            e.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
        })
    }

    /// Sends one special key (`Key::Enter`, `Key::Escape`, `Key::Down`...) to the element.
    pub fn key(&self, css: &str, key: Key) {
        let k: char = key.into();
        self.type_into(css, &k.to_string());
    }

    /// The element's visible text.
    pub fn text(&self, css: &str) -> String {
        self.block_on(async {
            let e = self.client().find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no element {css}: {e}"));
            e.text().await.unwrap_or_default()
        })
    }

    /// A PNG of the viewport, written to `path` (folders created).
    pub fn screenshot(&self, path: &Path) {
        let png = self.block_on(self.client().screenshot()).expect("screenshot");
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).expect("screenshot folder");
        }
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = self.rt.block_on(c.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}
