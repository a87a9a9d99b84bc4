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

const PASSWORD: &str = "sorrel-kettle-41";

/// Signs `name` in through the sign-in form and lands on the case list.
async fn sign_in(browser: &Browser, base: &str, name: &str) {
    browser.open(&format!("{base}/sign-in")).await;
    browser.type_into("#name", name).await;
    browser.type_into("#password", PASSWORD).await;
    browser
        .click("form[action='/sign-in'] button[type=submit]")
        .await;
    let arrived = browser.wait_for("form.filters").await;
    let url = browser.current_url().await;
    assert!(
        arrived && url.ends_with("/cases"),
        "after signing in {name} is at {url}: {}",
        browser.text().await
    );
}

/// A dispatcher takes a case reported at the window through the browser: signs in, finds it in
/// his queue, opens it, accepts it, triages it; a grid worker on a phone sees his grid's case
/// and not another town's. Screenshots at every step.
async fn staff_work_a_case_in_the_browser(h: Harness) {
    if !webdriver::available() {
        return;
    }
    let fx = &h.fx;
    for who in [&fx.dispatcher, &fx.grid_worker] {
        h.app
            .set_password(&who.name, PASSWORD, false)
            .await
            .expect("password");
    }
    let mine = h.report(&fx.clerk, &crate::fixture::leak_case()).await;
    let beside = h
        .report(
            &fx.other_dispatcher,
            &crate::fixture::case_in("370811003001", "dispute", "neighbour", "邻居噪音扰民"),
        )
        .await;
    let (base, server) = serve(&h).await;

    let desktop = Browser::start(1280, 900, "dispatcher").await;
    sign_in(&desktop, &base, &fx.dispatcher.name).await;
    desktop.screenshot("1-queue").await;
    let queue = desktop.text().await;
    assert!(queue.contains("楼上卫生间漏水"), "{queue}");
    assert!(
        !queue.contains("邻居噪音扰民"),
        "another town's case is not in the queue"
    );
    desktop.open(&format!("{base}/cases/{}", mine.id)).await;
    let page = desktop.text().await;
    assert!(page.contains("138****8000"), "parties are masked: {page}");
    assert!(!page.contains("13800138000"));
    desktop.screenshot("2-case").await;
    desktop.click("#form-accept button[type=submit]").await;
    let triage_offered = desktop.wait_for("#form-triage").await;
    desktop.screenshot("3-accepted").await;
    assert!(
        triage_offered,
        "accepted: triage is offered next: {}",
        desktop.text().await
    );
    assert!(desktop.current_url().await.contains(&mine.id));
    desktop.open(&format!("{base}/cases/{}", beside.id)).await;
    assert!(
        !desktop.text().await.contains("邻居噪音扰民"),
        "another town's case is not shown"
    );
    desktop.quit().await;

    let phone = Browser::start(360, 740, "grid-worker").await;
    sign_in(&phone, &base, &fx.grid_worker.name).await;
    let list = phone.text().await;
    assert!(list.contains("楼上卫生间漏水"), "the grid's case: {list}");
    assert!(!list.contains("邻居噪音扰民"), "never another grid's case");
    phone.screenshot("1-my-grid").await;
    phone.quit().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_work_a_case_in_the_browser_on_sqlite() {
    on_sqlite(staff_work_a_case_in_the_browser).await;
}
