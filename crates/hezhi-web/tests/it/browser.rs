//! The application in a real browser: the router served over loopback and driven through
//! WebDriver in headless Chromium, at desktop and phone sizes, with screenshots kept under
//! `artifacts/screenshots/`.

use crate::harness::{Harness, on_sqlite};
use crate::webdriver::{self, Browser};
use std::net::SocketAddr;

/// Serves the harness's router on a loopback port until the returned handle is dropped.
pub async fn serve(h: &Harness) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("address");
    let router = h
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{address}"), server)
}

async fn the_browser_reaches_the_server_at_desktop_and_phone_sizes(h: Harness) {
    if !webdriver::available() {
        return;
    }
    let (base, server) = serve(&h).await;
    for (width, height, size) in [(1280, 900, "desktop"), (360, 740, "phone")] {
        let browser = Browser::start(width, height, "health").await;
        browser.open(&format!("{base}/healthz")).await;
        let text = browser.text().await;
        assert!(text.contains("\"status\":\"ok\""), "{text}");
        let shot = browser.screenshot(size).await;
        assert!(std::fs::metadata(&shot).expect("screenshot").len() > 100);
        browser.quit().await;
    }
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_reaches_the_server_at_desktop_and_phone_sizes_on_sqlite() {
    on_sqlite(the_browser_reaches_the_server_at_desktop_and_phone_sizes).await;
}
