//! `GET /cases/{id}`: one case — summary, parties masked, the whole history, the deadline,
//! and a form for each command the user may take now (the transition table says what the
//! state allows, the rights matrix what the user's roles allow).

use super::case_list::{deadline, urgency_class};
use super::html::Html;
use super::text::{self, Msg};
use super::{Page, form_input, time};
use crate::auth;
use crate::error::ApiError;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hezhi_app::{App, Category, Session};
use hezhi_domain::{Case, CaseId, CommandKind, Event, masked_address};
use std::sync::Arc;

/// The commands the pages offer forms for, in the order of the loop.
const OFFERED: [CommandKind; 20] = [
    CommandKind::Accept,
    CommandKind::Decline,
    CommandKind::Triage,
    CommandKind::Dispatch,
    CommandKind::Acknowledge,
    CommandKind::Return,
    CommandKind::ConfirmPart,
    CommandKind::ApproveExtension,
    CommandKind::RefuseExtension,
    CommandKind::Resolve,
    CommandKind::Verify,
    CommandKind::Rework,
    CommandKind::FollowUp,
    CommandKind::Archive,
    CommandKind::RequestExtension,
    CommandKind::Supervise,
    CommandKind::Escalate,
    CommandKind::Attach,
    CommandKind::PauseClock,
    CommandKind::ResumeClock,
];

/// Commands that do not move the case along its loop: their forms start folded, so that the
/// next step of the loop is the first thing on the page.
const ASIDE: [CommandKind; 5] = [
    CommandKind::RequestExtension,
    CommandKind::PauseClock,
    CommandKind::Supervise,
    CommandKind::Escalate,
    CommandKind::Attach,
];

/// Forms that may carry files, and the field the files go in.
fn takes_files(kind: CommandKind) -> bool {
    matches!(
        kind,
        CommandKind::Attach | CommandKind::Verify | CommandKind::Resolve
    )
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let session = match page.working_session() {
        Ok(session) => session,
        Err(response) => return *response,
    };
    let id = id.ok().and_then(|Path(id)| CaseId::parse(&id));
    render(&app, &page, session, id, None).await
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such case")
}

/// The case page, with `error` (of a command just refused) above the forms.
pub async fn render(
    app: &App,
    page: &Page,
    session: &Session,
    id: Option<CaseId>,
    error: Option<ApiError>,
) -> Response {
    let loaded = match id {
        Some(id) => match app.case(&session.principal, id).await {
            Ok(case) => app
                .events(&session.principal, id)
                .await
                .map(|events| (case, events))
                .map_err(ApiError::from),
            Err(e) => Err(ApiError::from(e)),
        },
        None => Err(not_found()),
    };
    let (case, events) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            let mut body = Html::new();
            body.raw(&page.error_block(&page.error_text(&error)));
            body.raw(r#"<p><a href="/cases">"#)
                .text(page.t(Msg::BackToCases))
                .raw("</a></p>");
            return page.render(error.status, page.t(Msg::ErrorTitle), &body);
        }
    };
    let mut body = Html::new();
    let status = match &error {
        Some(error) => {
            body.raw(&page.error_block(&page.error_text(error)));
            error.status
        }
        None => StatusCode::OK,
    };
    let categories = app.categories().await.unwrap_or_default();
    summary(app, page, &case, &categories, &mut body);
    parties(page, &case, &mut body);
    attachments(app, page, session, &case, &mut body).await;
    forms(app, page, session, &case, &mut body).await;
    let resident = super::report_new::is_resident(session);
    timeline(page, &events, resident, &mut body);
    body.raw(r#"<p><a href="/cases">"#)
        .text(page.t(Msg::BackToCases))
        .raw("</a></p>");
    page.render(status, &case.data.title, &body)
}

fn term(page: &Page, body: &mut Html, label: Msg, value: &str) {
    body.element("dt", "", page.t(label))
        .element("dd", "", value);
}

fn summary(app: &App, page: &Page, case: &Case, categories: &[Category], body: &mut Html) {
    body.raw(r#"<section aria-labelledby="summary"><h2 id="summary">"#)
        .text(page.t(Msg::Summary))
        .raw("</h2><dl>");
    term(page, body, Msg::Number, &case.number.to_string());
    term(page, body, Msg::State, page.t(text::state(case.state)));
    body.element("dt", "", page.t(Msg::Urgency))
        .raw("<dd>")
        .element(
            "span",
            &format!(r#"class="{}""#, urgency_class(case.urgency)),
            page.t(text::urgency(case.urgency)),
        )
        .raw("</dd>");
    body.element("dt", "", page.t(Msg::Due)).raw("<dd>");
    deadline(page, case, app.now(), body);
    body.raw("</dd>");
    if let Some(response) = case.response_due_at {
        term(
            page,
            body,
            Msg::ResponseDue,
            &time::format(response, page.lang),
        );
    }
    if let Some(pause) = &case.clock_paused {
        term(
            page,
            body,
            Msg::ClockPaused,
            &format!(
                "{} · {} —",
                page.t(text::pause_reason(pause.reason)),
                time::format(pause.since, page.lang)
            ),
        );
    }
    if !case.pauses.is_empty() {
        body.element("dt", "", page.t(Msg::ClockPauses))
            .raw("<dd><ul>");
        for pause in &case.pauses {
            let until = pause
                .until
                .map(|at| time::format(at, page.lang))
                .unwrap_or_default();
            body.element(
                "li",
                "",
                &format!(
                    "{} · {} — {until}",
                    page.t(text::pause_reason(pause.reason)),
                    time::format(pause.since, page.lang)
                ),
            );
        }
        body.raw("</ul></dd>");
    }
    for (due, label) in [
        (case.verify_due_at, Msg::VerifyDue),
        (case.follow_up_due_at, Msg::FollowUpDue),
    ] {
        if let Some(due) = due {
            term(page, body, label, &time::format(due, page.lang));
        }
    }
    if let Some(version) = case.policy_version {
        term(page, body, Msg::PolicyVersion, &version.to_string());
    }
    if let Some(request) = &case.pending_extension {
        term(
            page,
            body,
            Msg::ExtensionRequested,
            &format!(
                "{} — {}",
                time::format(request.until, page.lang),
                request.reason
            ),
        );
    }
    for (count, label) in [
        (case.returned_count, Msg::ReturnedCount),
        (case.supervision_count, Msg::SupervisionCount),
    ] {
        if count > 0 {
            term(page, body, label, &count.to_string());
        }
    }
    if let Some(level) = &case.escalated_to {
        term(page, body, Msg::EscalatedTo, level.as_str());
    }
    term(page, body, Msg::Kind, page.t(text::kind(case.data.kind)));
    let category = categories
        .iter()
        .find(|c| c.code == case.data.category)
        .map_or(case.data.category.as_str(), |c| page.category_name(c));
    term(page, body, Msg::Category, category);
    term(
        page,
        body,
        Msg::Channel,
        page.t(text::channel(case.data.channel)),
    );
    term(page, body, Msg::Region, case.data.region.as_str());
    if let Some(address) = &case.data.address {
        term(page, body, Msg::Address, &masked_address(address));
    }
    term(
        page,
        body,
        Msg::ReportedAt,
        &time::format(case.reported_at, page.lang),
    );
    term(page, body, Msg::Version, &case.version.to_string());
    body.raw("</dl>")
        .element("h3", "", page.t(Msg::Description))
        .element("p", r#"class="description""#, &case.data.description)
        .raw("</section>");
}

fn parties(page: &Page, case: &Case, body: &mut Html) {
    if case.data.parties.is_empty() {
        return;
    }
    body.raw(r#"<section aria-labelledby="parties"><h2 id="parties">"#)
        .text(page.t(Msg::Parties))
        .raw("</h2><ul class=\"parties\">");
    for party in &case.data.parties {
        body.raw("<li><dl>");
        term(page, body, Msg::PartyName, &party.name);
        term(
            page,
            body,
            Msg::PartyRole,
            page.t(text::party_role(party.role)),
        );
        if let Some(phone) = &party.phone {
            term(page, body, Msg::Phone, &phone.masked());
        }
        if let Some(id_number) = &party.id_number {
            term(page, body, Msg::IdNumber, &id_number.masked());
        }
        if let Some(address) = &party.address {
            term(page, body, Msg::Address, &masked_address(address));
        }
        body.raw("</dl></li>");
    }
    body.raw("</ul></section>");
}

/// A size in bytes for people: KB below a megabyte, MB above.
fn file_size(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

async fn attachments(app: &App, page: &Page, session: &Session, case: &Case, body: &mut Html) {
    let attachments = app
        .case_attachments(&session.principal, case.id)
        .await
        .unwrap_or_default();
    body.raw(r#"<section aria-labelledby="attachments"><h2 id="attachments">"#)
        .text(page.t(Msg::Attachments))
        .raw("</h2>");
    if attachments.is_empty() {
        body.element("p", "", page.t(Msg::NoAttachments));
    } else {
        body.raw(r#"<ul class="attachments">"#);
        for attachment in &attachments {
            let file = &attachment.file;
            let href = format!("/cases/{}/files/{}", case.id, file.digest);
            body.raw("<li>");
            body.raw(&format!(
                r#"<a href="{href}" target="_blank" rel="noopener">"#
            ));
            if file.has_thumbnail {
                body.raw(&format!(r#"<img src="{href}/thumbnail" alt=""#))
                    .text(&attachment.name)
                    .raw(r#"" loading="lazy">"#);
            } else {
                body.element("span", r#"class="file-kind""#, "PDF");
            }
            body.raw("</a>");
            body.raw(r#"<p class="file-name">"#)
                .raw(&format!(
                    r#"<a href="{href}" target="_blank" rel="noopener">"#
                ))
                .text(&attachment.name)
                .raw("</a></p>");
            body.element(
                "p",
                r#"class="hint""#,
                &format!(
                    "{} · {} · {}",
                    file_size(file.size),
                    page.t(text::role(attachment.attached_by_role)),
                    time::format(attachment.attached_at, page.lang)
                ),
            );
            if let Some(taken) = file.taken_at {
                body.element(
                    "p",
                    r#"class="hint evidence""#,
                    &format!(
                        "{}: {}",
                        page.t(Msg::TakenAt),
                        taken.format("%Y-%m-%d %H:%M:%S")
                    ),
                );
            }
            if let Some(position) = file.position {
                body.element(
                    "p",
                    r#"class="hint evidence""#,
                    &format!(
                        "{}: {:.5}, {:.5}",
                        page.t(Msg::TakenWhere),
                        position.lat,
                        position.lon
                    ),
                );
            }
            body.raw("</li>");
        }
        body.raw("</ul>");
    }
    body.raw("</section>");
}

/// The history; a resident sees the public steps only, as the tracking page shows them,
/// without what staff wrote.
fn timeline(page: &Page, events: &[Event], resident: bool, body: &mut Html) {
    body.raw(r#"<section aria-labelledby="timeline"><h2 id="timeline">"#)
        .text(page.t(Msg::Timeline))
        .raw(r#"</h2><ol class="timeline">"#);
    for event in events {
        if resident && hezhi_app::tracking::public_step(event).is_none() {
            continue;
        }
        let name = event.kind.name();
        let label = text::event(name).map_or(name, |msg| page.t(msg));
        body.raw("<li>")
            .raw(&format!(r#"<time datetime="{}">"#, event.at.to_rfc3339()))
            .text(&time::format(event.at, page.lang))
            .raw("</time> ")
            .element("strong", "", label)
            .raw(" · ")
            .text(page.t(text::role(event.role)));
        // What the actor wrote: the note or reason of the event (never personal data).
        let detail = serde_json::to_value(&event.kind).unwrap_or_default();
        let fields: &[&str] = if resident {
            &[]
        } else {
            &["reason", "note", "name"]
        };
        for field in fields {
            if let Some(text) = detail.get(field).and_then(|v| v.as_str()) {
                body.element("p", "", text);
            }
        }
        body.raw("</li>");
    }
    body.raw("</ol></section>");
}

/// The commands `session` may take on `case` now.
pub fn available(session: &Session, case: &Case) -> Vec<CommandKind> {
    OFFERED
        .into_iter()
        .filter(|kind| kind.transition(case.state).is_some())
        // An extension is asked for while none waits and fewer than the limit were granted,
        // and decided only while one waits.
        .filter(|kind| match kind {
            CommandKind::RequestExtension => {
                case.pending_extension.is_none()
                    && case.extensions_granted < hezhi_domain::lifecycle::MAX_EXTENSIONS
            }
            CommandKind::ApproveExtension | CommandKind::RefuseExtension => {
                case.pending_extension.is_some()
            }
            CommandKind::PauseClock => case.clock_paused.is_none(),
            CommandKind::ResumeClock => case.clock_paused.is_some(),
            _ => true,
        })
        .filter(|kind| {
            session.principal.assignments.iter().any(|actor| {
                hezhi_domain::lifecycle::authorize(case, *kind, actor).is_ok()
                    && (*kind != CommandKind::ConfirmPart || part_open(case, actor))
            })
        })
        .collect()
}

/// Whether `actor`'s unit supports the case and has not yet confirmed its part.
fn part_open(case: &Case, actor: &hezhi_domain::Actor) -> bool {
    case.assignment.as_ref().is_some_and(|a| {
        a.supporting
            .iter()
            .any(|p| Some(p.unit) == actor.unit && p.confirmed_at.is_none())
    })
}

async fn forms(app: &App, page: &Page, session: &Session, case: &Case, body: &mut Html) {
    body.raw(r#"<section aria-labelledby="actions"><h2 id="actions">"#)
        .text(page.t(Msg::Actions))
        .raw("</h2>");
    let commands = available(session, case);
    if commands.is_empty() {
        body.element("p", "", page.t(Msg::NoActions));
    }
    for kind in commands {
        let name = kind.as_str();
        let aside = ASIDE.contains(&kind);
        if aside {
            body.raw(r#"<details class="aside"><summary>"#)
                .text(page.t(text::command(kind)))
                .raw("</summary>");
        }
        let enctype = if takes_files(kind) {
            r#" enctype="multipart/form-data""#
        } else {
            ""
        };
        body.raw(&format!(
            r#"<form method="post" action="/cases/{}/{name}" class="command stack" id="form-{name}"{enctype}>"#,
            case.id
        ))
        .raw(&auth::hidden_field(session))
        .raw(&form_input::idempotency_field(&form_input::random_key()))
        .raw(&format!(
            r#"<input type="hidden" name="version" value="{}">"#,
            case.version
        ));
        if !aside {
            body.element("h3", "", page.t(text::command(kind)));
        }
        fields(app, page, case, kind, body).await;
        if takes_files(kind) {
            file_input(page, body, kind);
        }
        body.raw(r#"<button type="submit">"#)
            .text(page.t(text::command(kind)))
            .raw("</button></form>");
        if aside {
            body.raw("</details>");
        }
    }
    body.raw("</section>");
}

/// The file input of a form that takes files: photos from the camera on a phone for a
/// verification, any accepted file otherwise.
fn file_input(page: &Page, body: &mut Html, kind: CommandKind) {
    let id = format!("{}-file", kind.as_str());
    let (label, accept, extra) = match kind {
        CommandKind::Verify => (
            Msg::VerificationPhoto,
            "image/jpeg,image/png,image/webp",
            r#" capture="environment""#,
        ),
        CommandKind::Attach => (Msg::FilesToAttach, ACCEPTED_FILES, " required"),
        _ => (Msg::FilesToAttach, ACCEPTED_FILES, ""),
    };
    body.raw(&format!(r#"<label for="{id}">"#))
        .text(page.t(label))
        .raw(&format!(
            r#"</label><input id="{id}" name="file" type="file" multiple accept="{accept}"{extra} aria-describedby="{id}-hint">"#
        ))
        .raw(&format!(r#"<p class="hint" id="{id}-hint">"#))
        .text(page.t(Msg::FilesHint))
        .raw("</p>");
}

/// What the file inputs offer; the server judges every file by its content all the same.
const ACCEPTED_FILES: &str = "image/jpeg,image/png,image/webp,application/pdf";

/// A labelled text area; `required` for the fields the command cannot do without.
fn textarea(
    page: &Page,
    body: &mut Html,
    kind: CommandKind,
    name: &str,
    label: Msg,
    required: bool,
) {
    let id = format!("{}-{name}", kind.as_str());
    let required = if required { " required" } else { "" };
    body.raw(&format!(r#"<label for="{id}">"#))
        .text(page.t(label))
        .raw(&format!(
            r#"</label><textarea id="{id}" name="{name}" rows="2" maxlength="2000"{required}></textarea>"#
        ));
}

fn select(
    page: &Page,
    body: &mut Html,
    kind: CommandKind,
    name: &str,
    label: Msg,
    options: &[(String, String)],
    // `None`: optional, nothing chosen yet; `Some(value)`: required, `value` chosen.
    required: Option<&str>,
) {
    let optional = required.is_none();
    let selected = required.unwrap_or_default();
    let id = format!("{}-{name}", kind.as_str());
    let required = if optional { "" } else { " required" };
    body.raw(&format!(r#"<label for="{id}">"#))
        .text(page.t(label))
        .raw(&format!(
            r#"</label><select id="{id}" name="{name}"{required}>"#
        ));
    if optional {
        body.raw(r#"<option value="">"#)
            .text(page.t(Msg::NoneChosen))
            .raw("</option>");
    }
    for (value, text) in options {
        let chosen = if value == selected { " selected" } else { "" };
        body.raw(r#"<option value=""#)
            .text(value)
            .raw(&format!(r#""{chosen}>"#))
            .text(text)
            .raw("</option>");
    }
    body.raw("</select>");
}

fn labelled<T>(page: &Page, items: &[(T, &str, Msg)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(_, value, msg)| ((*value).to_owned(), page.t(*msg).to_owned()))
        .collect()
}

async fn fields(app: &App, page: &Page, case: &Case, kind: CommandKind, body: &mut Html) {
    match kind {
        CommandKind::Accept
        | CommandKind::Acknowledge
        | CommandKind::ConfirmPart
        | CommandKind::Verify => textarea(page, body, kind, "note", Msg::Note, false),
        CommandKind::Decline => {
            textarea(page, body, kind, "reason", Msg::Reason, true);
            select(
                page,
                body,
                kind,
                "suggested_channel",
                Msg::SuggestedChannel,
                &labelled(page, &text::REFERRALS),
                Some(""),
            );
        }
        CommandKind::Return | CommandKind::Rework | CommandKind::Escalate => {
            textarea(page, body, kind, "reason", Msg::Reason, true);
        }
        CommandKind::ApproveExtension | CommandKind::ResumeClock => {
            textarea(page, body, kind, "note", Msg::Note, false);
        }
        CommandKind::PauseClock => {
            select(
                page,
                body,
                kind,
                "reason",
                Msg::PauseReasonLabel,
                &labelled(page, &text::PAUSE_REASONS),
                Some("awaiting_party"),
            );
            textarea(page, body, kind, "note", Msg::Note, true);
        }
        CommandKind::RefuseExtension | CommandKind::Supervise => {
            textarea(page, body, kind, "note", Msg::Note, true);
        }
        CommandKind::RequestExtension => {
            let from = case.due_at.unwrap_or_else(|| app.now());
            body.raw(r#"<label for="request_extension-until">"#)
                .text(page.t(Msg::ExtendUntil))
                .raw(&format!(
                    r#"</label><input id="request_extension-until" name="until" type="datetime-local" required value="{}">"#,
                    time::input_value(from + chrono::Duration::days(7))
                ));
            textarea(page, body, kind, "reason", Msg::Reason, true);
        }
        CommandKind::Triage => {
            let kinds: Vec<(String, String)> = hezhi_domain::CaseKind::ALL
                .iter()
                .map(|k| {
                    let value = serde_json::to_value(k)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    (value, page.t(text::kind(*k)).to_owned())
                })
                .collect();
            let current_kind = serde_json::to_value(case.data.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            select(
                page,
                body,
                kind,
                "kind",
                Msg::Kind,
                &kinds,
                Some(&current_kind),
            );
            let categories: Vec<(String, String)> = app
                .categories()
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|c| c.kind == case.data.kind)
                .map(|c| {
                    (
                        c.code.as_str().to_owned(),
                        page.category_name(&c).to_owned(),
                    )
                })
                .collect();
            select(
                page,
                body,
                kind,
                "category",
                Msg::Category,
                &categories,
                Some(case.data.category.as_str()),
            );
            select(
                page,
                body,
                kind,
                "complexity",
                Msg::Complexity,
                &labelled(page, &text::COMPLEXITIES),
                Some(""),
            );
            let urgencies: Vec<(String, String)> = text::URGENCIES
                .iter()
                .map(|(u, value)| {
                    (
                        (*value).to_owned(),
                        page.t(text::urgency(Some(*u))).to_owned(),
                    )
                })
                .collect();
            let current_urgency = text::URGENCIES
                .iter()
                .find(|(u, _)| Some(*u) == case.urgency)
                .map_or("", |(_, name)| *name);
            select(
                page,
                body,
                kind,
                "urgency",
                Msg::Urgency,
                &urgencies,
                Some(current_urgency),
            );
            textarea(page, body, kind, "reason", Msg::Reason, false);
            body.raw(r#"<label for="triage-promised_due_at">"#)
                .text(page.t(Msg::PromisedDueAt))
                .raw(r#"</label><input id="triage-promised_due_at" name="promised_due_at" type="datetime-local" aria-describedby="triage-promised-hint">"#)
                .raw(r#"<p class="hint" id="triage-promised-hint">"#)
                .text(page.t(Msg::PromisedDueAtHint))
                .raw("</p>");
            body.raw(r#"<label for="triage-case_leader">"#)
                .text(page.t(Msg::CaseLeader))
                .raw(
                    r#"</label><input id="triage-case_leader" name="case_leader" maxlength="100">"#,
                );
        }
        CommandKind::Dispatch => {
            // Every unit of the county; the domain refuses one not responsible for the case.
            let units: Vec<(String, String)> = app
                .units_in_region(&case.county())
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|u| (u.id.to_string(), u.name))
                .collect();
            select(
                page,
                body,
                kind,
                "lead_unit",
                Msg::LeadUnit,
                &units,
                Some(""),
            );
            body.raw(r#"<fieldset><legend>"#)
                .text(page.t(Msg::SupportingUnits))
                .raw("</legend>");
            for (i, (id, name)) in units.iter().enumerate() {
                body.raw(&format!(
                    r#"<label class="check"><input type="checkbox" name="supporting_units" id="dispatch-support-{i}" value=""#
                ))
                .text(id)
                .raw(r#""> "#)
                .text(name)
                .raw("</label>");
            }
            body.raw("</fieldset>");
            let due = app.now() + chrono::Duration::days(7);
            body.raw(r#"<label for="dispatch-due_at">"#)
                .text(page.t(Msg::DueAt))
                .raw(&format!(
                    r#"</label><input id="dispatch-due_at" name="due_at" type="datetime-local" required value="{}">"#,
                    time::input_value(due)
                ));
            textarea(page, body, kind, "note", Msg::Note, false);
        }
        CommandKind::Resolve => {
            select(
                page,
                body,
                kind,
                "outcome",
                Msg::Outcome,
                &labelled(page, &text::OUTCOMES),
                Some(""),
            );
            textarea(page, body, kind, "note", Msg::Note, true);
            select(
                page,
                body,
                kind,
                "referral",
                Msg::Referral,
                &labelled(page, &text::REFERRALS),
                None,
            );
        }
        CommandKind::FollowUp => {
            select(
                page,
                body,
                kind,
                "satisfaction",
                Msg::Satisfaction,
                &labelled(page, &text::SATISFACTIONS),
                Some(""),
            );
            textarea(page, body, kind, "note", Msg::Note, false);
        }
        _ => {}
    }
}
