//! A small W3C WebDriver client for the browser tests: Debian's `chromedriver` driving
//! `chromium` headless, over loopback only. Enough to open pages, fill in and submit forms, read
//! text and take screenshots — written here rather than pulled in, since the tests need a
//! dozen calls.

use base64::Engine;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Whether this machine can run browser tests. In CI (`CI=true`) they are required: `.ci/run`
/// installs Debian's `chromium` and `chromium-driver` when missing.
pub fn available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present && std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI needs {CHROMIUM} and {CHROMEDRIVER}; .ci/run installs them");
    }
    if !present {
        eprintln!(
            "no {CHROMIUM} or {CHROMEDRIVER}: browser test skipped (apt-get install chromium chromium-driver)"
        );
    }
    present
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on loopback")
}

/// A running chromedriver with one browser session.
pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    base: String,
    _profile: tempfile::TempDir,
    /// Where screenshots go (kept as test artifacts).
    shots: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile and a window of
    /// `width` × `height` CSS pixels.
    pub async fn start(width: u32, height: u32, shots: &str) -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
            if let Ok(reply) = ready
                && let Ok(body) = reply.json::<Value>().await
                && body["value"]["ready"] == true
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        // A desktop window cannot be narrower than about 500 px: phones are emulated.
        let mobile = (width < 500).then(
            || json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1 } }),
        );
        let mut chrome_options = json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={width},{height}"),
                    "--lang=zh-CN",
                ]
        });
        if let Some(mobile) = mobile {
            chrome_options["mobileEmulation"] = mobile;
        }
        // People who use Hezhi read Chinese first: so does the browser.
        chrome_options["prefs"] = json!({ "intl.accept_languages": "zh-CN,zh" });
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": chrome_options,
        }}});
        let reply: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session reply");
        let session = reply["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {reply}"))
            .to_owned();
        let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../artifacts/screenshots")
            .join(shots);
        std::fs::create_dir_all(&shots).expect("screenshot dir");
        Browser {
            driver,
            http,
            session,
            base,
            _profile: profile,
            shots,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply: Value = request
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        if let Some(error) = reply["value"]["error"].as_str() {
            panic!("webdriver {path}: {error}: {}", reply["value"]["message"]);
        }
        reply["value"].clone()
    }

    pub async fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The element matching a CSS selector (panics when there is none).
    pub async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    pub async fn count(&self, css: &str) -> usize {
        self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        )
        .await
        .as_array()
        .map_or(0, Vec::len)
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// The value of an attribute of the first element matching `css`, if there is one, read
    /// in one step so that a page being replaced cannot pull the element away in between.
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let url = format!("{}/session/{}/execute/sync", self.base, self.session);
        let reply: Value = self
            .http
            .post(url)
            .json(&json!({
                "script": "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
                "args": [css, name],
            }))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        reply["value"].as_str().map(str::to_owned)
    }

    /// Scrolls the first element matching `css` into view (for a screenshot of it).
    pub async fn scroll_to(&self, css: &str) {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({
                "script": "const e = document.querySelector(arguments[0]); if (e) { e.scrollIntoView(); }",
                "args": [css],
            })),
        )
        .await;
    }

    /// Picks the option of value `value` in the `<select>` matching `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value='{value}']")).await;
    }

    /// Chooses a file for the file input matching `css`, as a person would in the dialog.
    pub async fn attach(&self, css: &str, file: &Path) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": file.display().to_string() })),
        )
        .await;
    }

    /// The visible text of the whole page.
    pub async fn text(&self) -> String {
        let body = self.find("body").await;
        self.call(reqwest::Method::GET, &format!("/element/{body}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits up to five seconds for an element matching `css` (after a click that submits a
    /// form, the next page may still be loading); whether one appeared.
    pub async fn wait_for(&self, css: &str) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if self.count(css).await > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    pub async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Saves a PNG of the viewport as `NAME.png` among the test artifacts and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let data = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("base64 PNG");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    pub async fn quit(mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
