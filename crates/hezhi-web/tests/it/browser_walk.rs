//! One dispute walked through its whole loop in a real browser, each role in its own
//! signed-in session: a resident reports it from his phone with a photo, the intake clerk
//! accepts it, the dispatcher triages and dispatches it to a lead and a supporting unit, the
//! units acknowledge, confirm their part and resolve it with the agreement attached, the grid
//! worker verifies it on the spot with a photo, the resident rates it, and the dispatcher
//! archives it. A screenshot at every step under `artifacts/screenshots/walk-{size}/`. The
//! same walk runs at desktop size and at a 360 px phone. On the way, the grid worker's pages
//! never show a case of another grid.

use crate::fixture::{GRID, VILLAGE, case_in};
use crate::grids::{import, village_file};
use crate::harness::{Harness, on_sqlite};
use crate::webdriver::{self, Browser};
use hezhi_media::sample::{self, CameraNotes};
use std::path::{Path, PathBuf};

const PASSWORD: &str = "sorrel-kettle-41";
const RESIDENT_PHONE: &str = "13955556666";

/// One role's browser at the walk's size, signed in through the staff form.
async fn staff(h: &Harness, base: &str, size: &Size, name: &str) -> Browser {
    h.app
        .set_password(name, PASSWORD, false)
        .await
        .expect("password");
    let browser = Browser::start(size.width, size.height, &format!("walk-{}", size.label)).await;
    browser.open(&format!("{base}/sign-in")).await;
    browser.type_into("#name", name).await;
    browser.type_into("#password", PASSWORD).await;
    browser
        .click("form[action='/sign-in'] button[type=submit]")
        .await;
    assert!(
        browser.wait_for("form.filters").await,
        "{name} signed in: {}",
        browser.text().await
    );
    browser
}

#[derive(Debug)]
struct Size {
    width: u32,
    height: u32,
    label: &'static str,
}

/// Opens the case page and sends one of its forms, after `fill` has filled it in; waits for
/// the case page to come back without an error.
async fn act<F, Fut>(browser: &Browser, base: &str, case: &str, command: &str, fill: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    browser.open(&format!("{base}/cases/{case}")).await;
    assert!(
        browser.wait_for(&format!("#form-{command}")).await,
        "the {command} form is offered: {}",
        browser.text().await
    );
    let before = browser
        .attribute("form.command input[name=version]", "value")
        .await;
    fill().await;
    browser
        .click(&format!("#form-{command} button[type=submit]"))
        .await;
    // Post/Redirect/Get lands back on the case page at a new version (or with no form left);
    // a refusal shows an error block.
    let started = std::time::Instant::now();
    loop {
        assert_eq!(
            browser.count("p.error").await,
            0,
            "{command} refused: {}",
            browser.text().await
        );
        let now = browser
            .attribute("form.command input[name=version]", "value")
            .await;
        if browser.count("#timeline").await > 0 && now != before {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{command} did not go through: {}",
            browser.text().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a sample file");
    path
}

async fn one_dispute_through_every_role(h: Harness, size: Size) {
    if !webdriver::available() {
        return;
    }
    let fx = &h.fx;
    import(&h, VILLAGE, &village_file()).await;
    // A case of the village's other grid, which the grid worker must never see.
    let other_grid = h
        .report(
            &fx.clerk,
            &case_in("370811002001002", "dispute", "neighbour", "东北片占道经营"),
        )
        .await;
    let files = tempfile::tempdir().expect("files");
    let spot_photo = write(
        files.path(),
        "漏水现场.jpg",
        &sample::jpeg(
            1200,
            900,
            CameraNotes {
                taken_at: Some("2026:03:02 08:30:00"),
                position: Some((35.392, 116.582)),
            },
        ),
    );
    let agreement = write(files.path(), "调解协议书.pdf", &sample::pdf("agreement"));
    let check_photo = write(
        files.path(),
        "核查照片.jpg",
        &sample::jpeg(
            800,
            600,
            CameraNotes {
                taken_at: Some("2026:03:05 10:00:00"),
                position: Some((35.392, 116.582)),
            },
        ),
    );
    let (base, server) = crate::browser::serve(&h).await;
    let shot = |n: u32, what: &str| format!("{n:02}-{what}");

    // 1. The resident signs in with his phone and reports from it, with a photo.
    let resident = Browser::start(size.width, size.height, &format!("walk-{}", size.label)).await;
    resident.open(&format!("{base}/resident/sign-in")).await;
    resident.type_into("#phone", RESIDENT_PHONE).await;
    resident.click("form button[type=submit]").await;
    assert!(
        resident.wait_for("#code").await,
        "{}",
        resident.text().await
    );
    let code = h.sms.last_code(RESIDENT_PHONE);
    resident.type_into("#code", &code).await;
    resident.click("form button[type=submit]").await;
    assert!(
        resident.wait_for("ul.places").await,
        "{}",
        resident.text().await
    );
    resident.screenshot(&shot(1, "resident-choose-place")).await;
    for place in ["37", "3708", "370811", "370811002", VILLAGE] {
        resident
            .click(&format!("a[href='/report?place={place}']"))
            .await;
        assert!(
            resident
                .wait_for(if place == VILLAGE {
                    "#category"
                } else {
                    "ul.places"
                })
                .await,
            "{}",
            resident.text().await
        );
    }
    resident.choose("#grid", GRID).await;
    resident.choose("#category", "dispute/neighbour").await;
    resident.type_into("#title", "楼上卫生间漏水").await;
    resident
        .type_into(
            "#description",
            "楼上卫生间漏水导致我家天花板受损，协商多次未果。",
        )
        .await;
    resident.type_into("#address", "南张村3排5号").await;
    resident.attach("#report-file", &spot_photo).await;
    resident.type_into("#contact_name", "陈某某").await;
    resident.type_into("#contact_phone", RESIDENT_PHONE).await;
    resident.scroll_to("#category").await;
    resident.screenshot(&shot(2, "resident-report")).await;
    resident.click("form.report button[type=submit]").await;
    assert!(
        resident.wait_for("dl.receipt").await,
        "{}",
        resident.text().await
    );
    let url = resident.current_url().await;
    let case = url
        .split("/cases/")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/receipt"))
        .unwrap_or_else(|| panic!("a receipt: {url}"))
        .to_owned();
    resident.screenshot(&shot(3, "resident-receipt")).await;

    // 2. The intake clerk accepts it.
    let clerk = staff(&h, &base, &size, &fx.clerk.name).await;
    assert!(clerk.text().await.contains("楼上卫生间漏水"));
    act(&clerk, &base, &case, "accept", || async {
        clerk.type_into("#accept-note", "材料齐全，予以受理").await;
    })
    .await;
    clerk.screenshot(&shot(4, "clerk-accepted")).await;
    clerk.quit().await;

    // 3. The dispatcher triages it and dispatches it to the committee, the department
    //    supporting.
    let dispatcher = staff(&h, &base, &size, &fx.dispatcher.name).await;
    dispatcher.screenshot(&shot(5, "dispatcher-queue")).await;
    act(&dispatcher, &base, &case, "triage", || async {
        dispatcher.choose("#triage-category", "neighbour").await;
        dispatcher.choose("#triage-urgency", "orange").await;
        dispatcher.choose("#triage-complexity", "complex").await;
        dispatcher
            .type_into("#triage-reason", "涉及房屋维修责任，需调解")
            .await;
    })
    .await;
    act(&dispatcher, &base, &case, "dispatch", || async {
        dispatcher
            .choose("#dispatch-lead_unit", &fx.committee.to_string())
            .await;
        dispatcher
            .click(&format!(
                "input[name=supporting_units][value='{}']",
                fx.department
            ))
            .await;
        dispatcher
            .type_into("#dispatch-note", "请调委会牵头调处")
            .await;
    })
    .await;
    dispatcher
        .screenshot(&shot(6, "dispatcher-dispatched"))
        .await;

    // 4. The lead unit acknowledges; the supporting unit confirms its part; the lead
    //    resolves it with the agreement attached.
    let lead = staff(&h, &base, &size, &fx.committee_handler.name).await;
    lead.open(&format!("{base}/cases?state=dispatched")).await;
    assert!(lead.text().await.contains("楼上卫生间漏水"));
    lead.screenshot(&shot(7, "unit-inbox")).await;
    act(&lead, &base, &case, "acknowledge", || async {
        lead.type_into("#acknowledge-note", "已签收").await;
    })
    .await;
    let support = staff(&h, &base, &size, &fx.department_handler.name).await;
    act(&support, &base, &case, "confirm_part", || async {
        support
            .type_into("#confirm_part-note", "已派员查看房屋结构")
            .await;
    })
    .await;
    support
        .screenshot(&shot(8, "supporting-unit-confirmed"))
        .await;
    support.quit().await;
    act(&lead, &base, &case, "resolve", || async {
        lead.choose("#resolve-outcome", "settled").await;
        lead.type_into("#resolve-note", "双方达成调解协议，楼上住户负责维修")
            .await;
        lead.attach("#resolve-file", &agreement).await;
    })
    .await;
    assert!(lead.text().await.contains("调解协议书.pdf"));
    lead.screenshot(&shot(9, "unit-resolved")).await;
    lead.quit().await;

    // 5. The grid worker verifies it on the spot with a photo; another grid's case is never
    //    shown to him.
    let worker = staff(&h, &base, &size, &fx.grid_worker.name).await;
    let list = worker.text().await;
    assert!(list.contains("楼上卫生间漏水"), "{list}");
    assert!(
        !list.contains("东北片占道经营"),
        "never another grid's case: {list}"
    );
    worker
        .open(&format!("{base}/cases/{}", other_grid.id))
        .await;
    assert!(!worker.text().await.contains("东北片占道经营"));
    act(&worker, &base, &case, "verify", || async {
        worker
            .type_into("#verify-note", "现场查看，已修复无渗漏")
            .await;
        worker.attach("#verify-file", &check_photo).await;
    })
    .await;
    let page = worker.text().await;
    assert!(page.contains("拍摄时间: 2026-03-05 10:00:00"), "{page}");
    worker.scroll_to("#attachments").await;
    worker.screenshot(&shot(10, "grid-worker-verified")).await;
    worker.quit().await;

    // 6. The resident rates it at the follow-up, seeing only the public steps.
    resident.open(&format!("{base}/cases")).await;
    assert!(resident.text().await.contains("楼上卫生间漏水"));
    act(&resident, &base, &case, "follow_up", || async {
        resident
            .choose("#follow_up-satisfaction", "satisfied")
            .await;
        resident
            .type_into("#follow_up-note", "处理及时，满意")
            .await;
    })
    .await;
    let seen = resident.text().await;
    assert!(
        !seen.contains("调解协议书.pdf"),
        "a unit's documents are not a resident's"
    );
    assert!(
        !seen.contains("请调委会牵头调处"),
        "staff notes are not shown"
    );
    resident.screenshot(&shot(11, "resident-followed-up")).await;
    resident.quit().await;

    // 7. The dispatcher archives it.
    act(&dispatcher, &base, &case, "archive", || async {}).await;
    assert!(
        dispatcher.text().await.contains("已归档"),
        "{}",
        dispatcher.text().await
    );
    dispatcher
        .screenshot(&shot(12, "dispatcher-archived"))
        .await;
    dispatcher.quit().await;

    // 8. The town's leader sees where the town stands.
    let leader_person = h
        .person(
            "walk_leader",
            hezhi_domain::Role::Leader,
            Some("370811002"),
            None,
        )
        .await;
    let leader = staff(&h, &base, &size, &leader_person.name).await;
    leader.open(&format!("{base}/overview")).await;
    assert!(leader.wait_for("svg.map").await, "{}", leader.text().await);
    assert_eq!(
        leader.count("svg.map path").await,
        2,
        "the village's two grids"
    );
    assert_eq!(leader.count("svg.trend").await, 1);
    leader.screenshot(&shot(13, "leader-overview")).await;
    leader.scroll_to("#map").await;
    leader.screenshot(&shot(14, "leader-overview-map")).await;
    leader.quit().await;

    // 9. The system administrator enrols his authenticator from the QR code's key and opens
    //    the administration, the deadline table among it.
    h.app
        .set_password(&fx.admin.name, PASSWORD, false)
        .await
        .expect("password");
    let admin = Browser::start(size.width, size.height, &format!("walk-{}", size.label)).await;
    admin.open(&format!("{base}/sign-in")).await;
    admin.type_into("#name", &fx.admin.name).await;
    admin.type_into("#password", PASSWORD).await;
    admin
        .click("form[action='/sign-in'] button[type=submit]")
        .await;
    assert!(admin.wait_for("svg.qr").await, "{}", admin.text().await);
    admin
        .screenshot(&shot(15, "admin-enrols-authenticator"))
        .await;
    let page_text = admin.text().await;
    let secret: String = page_text
        .lines()
        .find_map(|line| {
            line.split_once(": ")
                .filter(|(label, _)| label.ends_with("密钥"))
                .map(|(_, key)| key.to_owned())
        })
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let code = hezhi_app::totp::code_at(&secret, h.now()).expect("a code from the key");
    admin.type_into("#code", &code).await;
    admin
        .click("form[action='/totp'] button[type=submit]")
        .await;
    assert!(
        admin.wait_for("form.filters").await,
        "{}",
        admin.text().await
    );
    admin.open(&format!("{base}/admin")).await;
    assert!(admin.wait_for("#deadlines").await, "{}", admin.text().await);
    admin.scroll_to("#deadlines").await;
    admin.screenshot(&shot(16, "admin-deadline-table")).await;
    admin.quit().await;
    server.abort();

    let id = hezhi_domain::CaseId::parse(&case).expect("case id");
    let stored = h.app.store().case(id).await.expect("read").expect("case");
    assert_eq!(stored.state, hezhi_domain::CaseState::Archived);
}

async fn at_desktop_size(h: Harness) {
    one_dispute_through_every_role(
        h,
        Size {
            width: 1280,
            height: 900,
            label: "desktop",
        },
    )
    .await;
}

async fn at_phone_size(h: Harness) {
    one_dispute_through_every_role(
        h,
        Size {
            width: 360,
            height: 740,
            label: "phone",
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dispute_walks_through_every_role_in_the_browser_at_desktop_size() {
    on_sqlite(at_desktop_size).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dispute_walks_through_every_role_in_the_browser_at_phone_size() {
    on_sqlite(at_phone_size).await;
}
