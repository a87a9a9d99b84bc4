//! The intake window's check before registering: the earlier cases of the parties named on
//! the form (by phone or ID number, matched by keyed hash) and the cases of the same category
//! at the same place in the last seven days — each only as far as the clerk's own scopes
//! reach, so a check never shows a case the clerk could not open.

use super::Page;
use super::case_list;
use super::html::Html;
use super::intake_new::Entered;
use super::text::Msg;
use chrono::{DateTime, Duration, Utc};
use hezhi_app::{App, AppError, CaseFilter, PageRequest};
use hezhi_domain::{Case, CaseId, CategoryCode, IdNumber, Phone, Principal, RegionCode};
use std::collections::HashSet;

/// How far back "similar" looks.
const SIMILAR_DAYS: i64 = 7;
/// The most cases of each kind listed.
const LISTED: u32 = 10;

/// What a check found.
pub struct Earlier {
    pub of_party: Vec<Case>,
    pub nearby: Vec<Case>,
}

/// Looks up the parties and the place on the form. Fields that do not parse are skipped:
/// the check is a help, the register step validates.
pub async fn find(
    app: &App,
    principal: &Principal,
    entered: &Entered,
    now: DateTime<Utc>,
) -> Result<Earlier, AppError> {
    let value = |name: &str| entered.get(name).map(|v| v.trim()).unwrap_or_default();
    let page = |limit| PageRequest { after: None, limit };
    let mut seen = HashSet::<CaseId>::new();
    let mut of_party = Vec::new();
    for prefix in ["applicant", "respondent"] {
        let mut filters = Vec::new();
        if let Ok(phone) = Phone::parse(value(&format!("{prefix}_phone"))) {
            filters.push(CaseFilter {
                party_phone: Some(phone),
                ..CaseFilter::default()
            });
        }
        if let Ok(id_number) = IdNumber::parse(value(&format!("{prefix}_id_number"))) {
            filters.push(CaseFilter {
                party_id_number: Some(id_number),
                ..CaseFilter::default()
            });
        }
        for filter in filters {
            let found = app.list_cases(principal, filter, page(LISTED)).await?;
            of_party.extend(found.items.into_iter().filter(|c| seen.insert(c.id)));
        }
    }
    let category = value("category")
        .split_once('/')
        .and_then(|(_, code)| CategoryCode::parse(code).ok());
    let mut nearby = Vec::new();
    if let (Some(category), Ok(region)) = (category, RegionCode::parse(value("region"))) {
        let filter = CaseFilter {
            region: Some(region),
            category: Some(category),
            ..CaseFilter::default()
        };
        // Newest first, so the recent ones are at the head of the page.
        let found = app.list_cases(principal, filter, page(LISTED)).await?;
        let since = now - Duration::days(SIMILAR_DAYS);
        nearby.extend(
            found
                .items
                .into_iter()
                .filter(|c| c.reported_at >= since && !seen.contains(&c.id)),
        );
    }
    Ok(Earlier { of_party, nearby })
}

/// The block shown above the form.
pub fn render(page: &Page, earlier: &Earlier, now: DateTime<Utc>) -> Html {
    let mut body = Html::new();
    body.raw(r#"<section class="earlier" aria-labelledby="earlier-title" role="status">"#)
        .element("h2", r#"id="earlier-title""#, page.t(Msg::EarlierTitle));
    if earlier.of_party.is_empty() && earlier.nearby.is_empty() {
        body.element("p", r#"class="empty""#, page.t(Msg::EarlierNone));
    } else {
        body.element("p", r#"class="hint""#, page.t(Msg::EarlierHint));
        for (title, cases, class) in [
            (Msg::EarlierOfParty, &earlier.of_party, "of-party"),
            (Msg::EarlierNearby, &earlier.nearby, "nearby"),
        ] {
            if cases.is_empty() {
                continue;
            }
            body.element("h3", "", page.t(title))
                .raw(&format!(r#"<ol class="cases {class}">"#));
            for case in cases {
                case_list::row(page, case, now, &mut body);
            }
            body.raw("</ol>");
        }
    }
    body.raw("</section>");
    body
}
