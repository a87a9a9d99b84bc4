//! The isolation matrix (DESIGN §5): for every role, and for cases inside, above and beside
//! its scope, every list, read and write endpoint answers exactly what the rights matrix
//! says.
//!
//! The expectations are generated from `hezhi_domain::access::permits`, so the test follows
//! the matrix as it changes. What the test writes out by hand is the other half: where each
//! prepared case stands relative to each scope (checked against
//! `hezhi_domain::access::relation`), the rule that a unit's commands are its lead unit's
//! (bar confirming a supporting part), and a few spot checks that would fail if the matrix
//! granted nothing or everything.
//!
//! One world serves the whole scenario: the cases are prepared concurrently (the group
//! commit batches their writes), a refused command is tried on a case shared by every
//! refusal in that state, and only a permitted command gets a case of its own.

use crate::fixture::{GRID, OTHER_TOWN, OTHER_VILLAGE, Person, TOWN, VILLAGE, case_in, rfc3339};
use crate::harness::{CaseRef, Harness, Reply, on_postgres, on_sqlite};
use axum::http::Method;
use chrono::{DateTime, Utc};
use hezhi_domain::access::{Action, Relation, permits, relation, relation_to_region};
use hezhi_domain::{
    Actor, CaseId, CaseState, CommandKind, RegionCode, RegionLevel, Role, UnitId, UnitKind,
};
use hezhi_store::{AuditFilter, Region};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinSet;

const COUNTY: &str = "370811";
/// The second grid of [`VILLAGE`]: beside [`GRID`], inside the town.
const SIBLING_GRID: &str = "370811002001002";

fn code(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("region code")
}

fn case_id(case: &CaseRef) -> CaseId {
    CaseId::parse(&case.id).expect("case id")
}

// ---- where cases stand --------------------------------------------------------------------

/// The state a case is prepared in, one per group of commands legal there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Stage {
    Reported,
    Accepted,
    Triaged,
    Dispatched,
    /// Dispatched, with the lead unit's request for an extension pending.
    ExtensionPending,
    /// Dispatched, with the lead unit's clock stopped (waiting for a party).
    ClockStopped,
    /// Acknowledged, and every supporting part confirmed: ready to resolve.
    InProgress,
    Resolved,
    Verified,
    FollowedUp,
}

impl Stage {
    const ALL: [Stage; 10] = [
        Stage::Reported,
        Stage::Accepted,
        Stage::Triaged,
        Stage::Dispatched,
        Stage::ExtensionPending,
        Stage::ClockStopped,
        Stage::InProgress,
        Stage::Resolved,
        Stage::Verified,
        Stage::FollowedUp,
    ];

    fn state(self) -> CaseState {
        match self {
            Stage::Reported => CaseState::Reported,
            Stage::Accepted => CaseState::Accepted,
            Stage::Triaged => CaseState::Triaged,
            Stage::Dispatched | Stage::ExtensionPending | Stage::ClockStopped => {
                CaseState::Dispatched
            }
            Stage::InProgress => CaseState::InProgress,
            Stage::Resolved => CaseState::Resolved,
            Stage::Verified => CaseState::Verified,
            Stage::FollowedUp => CaseState::FollowedUp,
        }
    }

    /// The stage in which `kind` is tried: one where the command is legal and would succeed
    /// for an actor the matrix permits. `None` for a report, which needs no case.
    fn for_command(kind: CommandKind) -> Option<Stage> {
        use CommandKind as C;
        Some(match kind {
            C::Report => return None,
            C::Accept | C::Decline | C::ResolveAtFirstContact => Stage::Reported,
            C::Triage => Stage::Accepted,
            C::Dispatch => Stage::Triaged,
            C::Acknowledge
            | C::Return
            | C::ConfirmPart
            | C::RequestExtension
            | C::Supervise
            | C::Escalate
            | C::Attach
            | C::PauseClock => Stage::Dispatched,
            C::ApproveExtension | C::RefuseExtension => Stage::ExtensionPending,
            C::ResumeClock => Stage::ClockStopped,
            C::Resolve => Stage::InProgress,
            C::Verify | C::Rework => Stage::Resolved,
            C::FollowUp => Stage::Verified,
            C::Archive => Stage::FollowedUp,
        })
    }

    /// Whether the case carries an assignment (and so is inside the scope of its units).
    fn is_dispatched(self) -> bool {
        self >= Stage::Dispatched
    }
}

/// Where a case is registered, who reported it and which units it is dispatched to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Placement {
    /// In [`GRID`], reported by the resident under test, led by the unit under test with a
    /// second unit of the town supporting.
    Own,
    /// As [`Placement::Own`], with the roles of the two units swapped: the unit under test
    /// supports.
    OwnSupporting,
    /// Registered at [`VILLAGE`] (above the grid), reported by the town's clerk, led by the
    /// town mediation committee.
    Village,
    /// In [`SIBLING_GRID`], reported by another resident, led by the committee with the
    /// county department supporting.
    SiblingGrid,
    /// In [`OTHER_VILLAGE`] of the next town, reported by that town's dispatcher, led by the
    /// county department.
    OtherTown,
}

impl Placement {
    const ALL: [Placement; 5] = [
        Placement::Own,
        Placement::OwnSupporting,
        Placement::Village,
        Placement::SiblingGrid,
        Placement::OtherTown,
    ];

    fn stages(self) -> &'static [Stage] {
        match self {
            // Only where a supporting unit can act: confirm its part, or be refused a lead
            // unit's command.
            Placement::OwnSupporting => &[Stage::Dispatched, Stage::InProgress],
            _ => &Stage::ALL,
        }
    }
}

/// What a role is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Scope {
    /// Town [`TOWN`].
    Town,
    /// Grid [`GRID`].
    Grid,
    /// The unit under test.
    Unit,
    /// A resident: his own cases.
    Resident,
}

/// Where a case of `placement` in `stage` stands relative to `scope`, by construction.
fn relation_of(scope: Scope, placement: Placement, stage: Stage) -> Relation {
    use Placement as P;
    use Relation as R;
    match (scope, placement) {
        (Scope::Town, P::OtherTown) => R::Beside,
        (Scope::Town, _) => R::Inside,
        (Scope::Grid, P::Own | P::OwnSupporting) => R::Inside,
        (Scope::Grid, P::Village) => R::Above,
        (Scope::Grid, P::SiblingGrid | P::OtherTown) => R::Beside,
        // A unit's cases are those dispatched to it; before dispatch even its own are not.
        (Scope::Unit, P::Own | P::OwnSupporting) if stage.is_dispatched() => R::Inside,
        (Scope::Unit, _) => R::Beside,
        (Scope::Resident, P::Own | P::OwnSupporting) => R::Inside,
        (Scope::Resident, _) => R::Beside,
    }
}

/// The lead-versus-supporting rule, which the matrix does not express: a unit confirms its
/// part only as a supporting unit, and runs every other unit command only as the lead unit.
fn unit_rule_allows(role: Role, placement: Placement, kind: CommandKind) -> bool {
    if !role.is_unit_bound() {
        return true;
    }
    match placement {
        Placement::Own => kind != CommandKind::ConfirmPart,
        Placement::OwnSupporting => {
            matches!(kind, CommandKind::ConfirmPart | CommandKind::Attach)
        }
        // Beside the unit: the matrix already refuses.
        _ => true,
    }
}

// ---- who acts ---------------------------------------------------------------------------

/// A role under test, bound to one scope, with its token.
#[derive(Debug, Clone)]
struct Subject {
    role: Role,
    scope: Scope,
    /// A town role bound to a grid instead, so that a village-level case lies above it (a
    /// case is never registered above a town): checked for writes above its scope only.
    above_only: bool,
    person: Person,
    actor: Actor,
}

impl Subject {
    fn label(&self) -> String {
        format!("{} bound to {:?}", self.role.as_str(), self.scope)
    }

    /// The placements its commands are tried on: the closest case inside, above (where that
    /// can arise) and beside its scope.
    fn write_placements(&self, stage: Stage) -> Vec<Placement> {
        use Placement as P;
        match self.scope {
            Scope::Town => vec![P::Own, P::OtherTown],
            Scope::Grid if self.above_only => vec![P::Village],
            Scope::Grid => vec![P::Own, P::Village, P::SiblingGrid],
            // A unit- or resident-bound scope has no region, so nothing lies above it.
            Scope::Unit if matches!(stage, Stage::Dispatched | Stage::InProgress) => {
                vec![P::Own, P::OwnSupporting, P::SiblingGrid]
            }
            Scope::Unit | Scope::Resident => vec![P::Own, P::SiblingGrid],
        }
    }

    /// Where it tries to report, and where that place stands relative to its scope.
    fn report_places(&self) -> Vec<(&'static str, Relation)> {
        match self.scope {
            Scope::Town => vec![(GRID, Relation::Inside), (OTHER_VILLAGE, Relation::Beside)],
            Scope::Grid if self.above_only => vec![(VILLAGE, Relation::Above)],
            Scope::Grid => vec![
                (GRID, Relation::Inside),
                (VILLAGE, Relation::Above),
                (SIBLING_GRID, Relation::Beside),
            ],
            // No region of its own: every place is beside it.
            Scope::Unit => vec![(GRID, Relation::Beside)],
            // A resident reports from anywhere, and the case is his own.
            Scope::Resident => vec![(GRID, Relation::Inside), (OTHER_VILLAGE, Relation::Inside)],
        }
    }

    /// Regions administered (a role granted there, a unit created there) and villages given
    /// a grid, inside, above and beside its scope; `None` where no village stands so.
    fn admin_targets(&self) -> Vec<(Relation, &'static str, Option<&'static str>)> {
        match self.scope {
            Scope::Town => vec![
                (Relation::Inside, TOWN, Some(VILLAGE)),
                // A village never lies above a town.
                (Relation::Above, COUNTY, None),
                (Relation::Beside, OTHER_TOWN, Some(OTHER_VILLAGE)),
            ],
            Scope::Grid => vec![
                // A village never lies inside a grid.
                (Relation::Inside, GRID, None),
                (Relation::Above, VILLAGE, Some(VILLAGE)),
                (Relation::Beside, SIBLING_GRID, Some(OTHER_VILLAGE)),
            ],
            Scope::Unit | Scope::Resident => vec![(Relation::Beside, TOWN, Some(VILLAGE))],
        }
    }
}

/// The people and units of the scenario beyond the fixture's.
#[derive(Debug)]
struct World {
    /// The unit the unit handler and mediator under test work for (town level, every
    /// category).
    unit: UnitId,
    /// The other unit of [`Placement::Own`] cases.
    partner: UnitId,
    unit_driver: Person,
    partner_driver: Person,
    /// The resident under test, who reports the [`Placement::Own`] cases.
    resident: Person,
    other_resident: Person,
    subjects: Vec<Subject>,
}

async fn build_world(h: &Harness) -> World {
    h.store
        .upsert_regions(&[Region {
            code: code(SIBLING_GRID),
            name: "南张村第二网格".to_owned(),
            level: RegionLevel::Grid,
            parent: Some(code(VILLAGE)),
        }])
        .await
        .expect("sibling grid");
    let unit = |name: &'static str, kind| async move {
        h.app
            .add_unit(None, name, kind, code(TOWN), Vec::new())
            .await
            .expect("unit")
            .id
    };
    crate::fixture::store_sample_file(h).await;
    let under_test = unit("南张街道司法所", UnitKind::JusticeOffice).await;
    let partner = unit("南张街道派出所", UnitKind::PoliceStation).await;
    let resident = h.person("iso_resident", Role::Resident, None, None).await;
    let mut subjects = Vec::new();
    for role in Role::ALL {
        let (scope, region, unit) = match role {
            Role::GridWorker => (Scope::Grid, Some(GRID), None),
            Role::UnitHandler | Role::Mediator => (Scope::Unit, None, Some(under_test)),
            Role::Resident => (Scope::Resident, None, None),
            _ => (Scope::Town, Some(TOWN), None),
        };
        let who = if role == Role::Resident {
            resident.clone()
        } else {
            h.person(&format!("iso_{}", role.as_str()), role, region, unit)
                .await
        };
        subjects.push(Subject {
            role,
            scope,
            above_only: false,
            actor: Actor {
                user: who.id,
                role,
                region: region.map(code),
                unit,
            },
            person: who,
        });
    }
    for role in Role::ALL {
        if matches!(
            role,
            Role::GridWorker | Role::UnitHandler | Role::Mediator | Role::Resident
        ) {
            continue;
        }
        let name = format!("iso_{}_of_a_grid", role.as_str());
        let who = h.person(&name, role, Some(GRID), None).await;
        subjects.push(Subject {
            role,
            scope: Scope::Grid,
            above_only: true,
            actor: Actor {
                user: who.id,
                role,
                region: Some(code(GRID)),
                unit: None,
            },
            person: who,
        });
    }
    World {
        unit: under_test,
        partner,
        unit_driver: h
            .person("iso_unit_driver", Role::UnitHandler, None, Some(under_test))
            .await,
        partner_driver: h
            .person("iso_partner_driver", Role::UnitHandler, None, Some(partner))
            .await,
        resident,
        other_resident: h
            .person("iso_other_resident", Role::Resident, None, None)
            .await,
        subjects,
    }
}

/// Who drives a case of a placement along the loop.
struct Route<'a> {
    region: &'static str,
    reporter: &'a Person,
    channel: &'static str,
    dispatcher: &'a Person,
    lead: (UnitId, &'a Person),
    supporting: Option<(UnitId, &'a Person)>,
}

fn route<'a>(h: &'a Harness, w: &'a World, placement: Placement) -> Route<'a> {
    let fx = &h.fx;
    match placement {
        Placement::Own => Route {
            region: GRID,
            reporter: &w.resident,
            channel: "online",
            dispatcher: &fx.dispatcher,
            lead: (w.unit, &w.unit_driver),
            supporting: Some((w.partner, &w.partner_driver)),
        },
        Placement::OwnSupporting => Route {
            region: GRID,
            reporter: &w.resident,
            channel: "online",
            dispatcher: &fx.dispatcher,
            lead: (w.partner, &w.partner_driver),
            supporting: Some((w.unit, &w.unit_driver)),
        },
        Placement::Village => Route {
            region: VILLAGE,
            reporter: &fx.clerk,
            channel: "window",
            dispatcher: &fx.dispatcher,
            lead: (fx.committee, &fx.committee_handler),
            supporting: None,
        },
        Placement::SiblingGrid => Route {
            region: SIBLING_GRID,
            reporter: &w.other_resident,
            channel: "online",
            dispatcher: &fx.dispatcher,
            lead: (fx.committee, &fx.committee_handler),
            supporting: Some((fx.department, &fx.department_handler)),
        },
        Placement::OtherTown => Route {
            region: OTHER_VILLAGE,
            reporter: &fx.other_dispatcher,
            channel: "window",
            dispatcher: &fx.other_dispatcher,
            lead: (fx.department, &fx.department_handler),
            supporting: None,
        },
    }
}

/// A valid body for `kind` on a case of `route` (a dispatch names the route's units).
fn command_body(kind: CommandKind, route: &Route<'_>, now: DateTime<Utc>) -> Value {
    use CommandKind as C;
    match kind {
        // Reports are sent to /api/v1/cases with a case as the body.
        C::Report => json!({}),
        C::Accept
        | C::Acknowledge
        | C::ConfirmPart
        | C::ApproveExtension
        | C::Verify
        | C::ResumeClock
        | C::Archive => json!({}),
        C::PauseClock => {
            json!({ "reason": "awaiting_party", "note": "当事人外出，约定返乡后调解" })
        }
        C::Decline => json!({ "reason": "不属于受理范围", "suggested_channel": "litigation" }),
        C::ResolveAtFirstContact => json!({ "outcome": "settled", "note": "当场调解成功" }),
        C::Triage => crate::fixture::triage_body("dispute", "neighbour", "yellow"),
        C::Dispatch => {
            let supporting: Vec<String> = route
                .supporting
                .iter()
                .map(|(unit, _)| unit.to_string())
                .collect();
            json!({
                "lead_unit": route.lead.0.to_string(),
                "supporting_units": supporting,
                "due_at": rfc3339(now + chrono::Duration::days(7)),
            })
        }
        C::Return => json!({ "reason": "不属于本单位职责" }),
        C::RequestExtension => json!({
            "until": rfc3339(now + chrono::Duration::days(10)),
            "reason": "需要现场勘验",
        }),
        C::RefuseExtension => json!({ "note": "期限内应能办结" }),
        C::Supervise => json!({ "note": "请加快办理" }),
        C::Escalate => json!({ "reason": "涉及多个部门，需上级协调" }),
        C::Resolve => json!({ "outcome": "settled", "note": "双方达成调解协议" }),
        C::Rework => json!({ "reason": "回访发现问题未解决" }),
        C::FollowUp => json!({ "satisfaction": "satisfied" }),
        C::Attach => {
            json!({ "digest": crate::fixture::sample_file_digest(), "name": "现场照片.png" })
        }
    }
}

/// A new case of `placement`, driven by the fixture's dispatchers and the units' handlers
/// into `stage`.
async fn prepare(h: &Harness, w: &World, placement: Placement, stage: Stage) -> CaseRef {
    let r = route(h, w, placement);
    let now = h.now();
    let mut body = case_in(
        r.region,
        "dispute",
        "neighbour",
        &format!("隔离测试 {placement:?} {stage:?}"),
    );
    body["channel"] = json!(r.channel);
    let mut case = h.report(r.reporter, &body).await;
    let mut state = "reported".to_owned();
    let mut steps: Vec<(&Person, CommandKind)> = Vec::new();
    if stage >= Stage::Accepted {
        steps.push((r.dispatcher, CommandKind::Accept));
    }
    if stage >= Stage::Triaged {
        steps.push((r.dispatcher, CommandKind::Triage));
    }
    if stage >= Stage::Dispatched {
        steps.push((r.dispatcher, CommandKind::Dispatch));
    }
    if stage == Stage::ExtensionPending {
        steps.push((r.lead.1, CommandKind::RequestExtension));
    }
    if stage == Stage::ClockStopped {
        steps.push((r.lead.1, CommandKind::PauseClock));
    }
    if stage >= Stage::InProgress {
        steps.push((r.lead.1, CommandKind::Acknowledge));
        if let Some((_, supporter)) = r.supporting {
            steps.push((supporter, CommandKind::ConfirmPart));
        }
    }
    if stage >= Stage::Resolved {
        steps.push((r.lead.1, CommandKind::Resolve));
    }
    if stage >= Stage::Verified {
        steps.push((r.dispatcher, CommandKind::Verify));
    }
    if stage >= Stage::FollowedUp {
        steps.push((r.dispatcher, CommandKind::FollowUp));
    }
    for (who, kind) in steps {
        state = h
            .step(who, &mut case, kind.as_str(), command_body(kind, &r, now))
            .await;
    }
    assert_eq!(state, stage.state().as_str(), "{placement:?} prepared");
    case
}

// ---- the plan -----------------------------------------------------------------------------

/// One command tried by one subject on a case of a placement.
#[derive(Debug, Clone)]
struct CommandCheck {
    subject: usize,
    placement: Placement,
    stage: Stage,
    kind: CommandKind,
    relation: Relation,
    /// 200 applied; 403 refused on a case the subject reads; 404 refused on one it does not.
    expect: u16,
}

fn command_plan(w: &World) -> Vec<CommandCheck> {
    let mut plan = Vec::new();
    for (index, subject) in w.subjects.iter().enumerate() {
        for kind in CommandKind::ALL {
            let Some(stage) = Stage::for_command(kind) else {
                continue;
            };
            assert!(
                kind.transition(stage.state()).is_some(),
                "{kind} is legal in {stage:?}"
            );
            for placement in subject.write_placements(stage) {
                let relation = relation_of(subject.scope, placement, stage);
                let expect = if permits(subject.role, relation, Action::Command(kind))
                    && unit_rule_allows(subject.role, placement, kind)
                {
                    200
                } else if permits(subject.role, relation, Action::ReadCase) {
                    403
                } else {
                    404
                };
                plan.push(CommandCheck {
                    subject: index,
                    placement,
                    stage,
                    kind,
                    relation,
                    expect,
                });
            }
        }
    }
    plan
}

// ---- running and recording --------------------------------------------------------------

/// What was checked: the role × relation × action combinations of each endpoint family, and
/// the requests sent per family and expected answer.
#[derive(Debug, Default)]
struct Tally {
    combinations: BTreeSet<(&'static str, &'static str, Relation, String)>,
    requests: BTreeMap<(&'static str, String), usize>,
}

impl Tally {
    fn record(
        &mut self,
        family: &'static str,
        role: Role,
        relation: Relation,
        action: &str,
        expected: impl ToString,
    ) {
        self.combinations
            .insert((family, role.as_str(), relation, action.to_owned()));
        *self
            .requests
            .entry((family, expected.to_string()))
            .or_default() += 1;
    }

    fn requests(&self, family: &str, expected: &str) -> usize {
        self.requests
            .get(&(family, expected.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    fn summary(&self) -> String {
        let mut lines = Vec::new();
        for family in ["read", "reveal", "list", "command", "report", "admin"] {
            let combinations = self
                .combinations
                .iter()
                .filter(|(f, ..)| *f == family)
                .count();
            let answers: Vec<String> = self
                .requests
                .iter()
                .filter(|((f, _), _)| *f == family)
                .map(|((_, expected), n)| format!("{n}×{expected}"))
                .collect();
            lines.push(format!(
                "  {family:<8} {combinations:>4} role×relation×action combinations; checks \
                 expecting {}",
                answers.join(", ")
            ));
        }
        format!(
            "{} combinations in all\n{}",
            self.combinations.len(),
            lines.join("\n")
        )
    }
}

/// The status and the start of the body, for a failure message.
fn brief(reply: &Reply) -> String {
    let text = reply.text();
    let cut: String = text.chars().take(160).collect();
    if cut.len() < text.len() {
        format!("{} {cut}…", reply.status)
    } else {
        format!("{} {cut}", reply.status)
    }
}

/// Runs the futures at once, each as a task of its own, and returns their outputs in order.
async fn all<T: Send + 'static>(
    futures: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let mut set = JoinSet::new();
    for (index, future) in futures.into_iter().enumerate() {
        set.spawn(async move { (index, future.await) });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(item) => out.push(item),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    out.sort_by_key(|(index, _)| *index);
    out.into_iter().map(|(_, item)| item).collect()
}

/// Every case `who` lists, across pages.
async fn list_all(h: &Harness, who: &Person) -> Result<HashSet<String>, String> {
    let mut ids = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/cases?limit=200&cursor={c}"),
            None => "/api/v1/cases?limit=200".to_owned(),
        };
        let reply = h.get(uri).by(who).send().await;
        if reply.status != 200 {
            return Err(format!("{} lists: {}", who.name, brief(&reply)));
        }
        for item in reply.json["items"].as_array().into_iter().flatten() {
            ids.insert(item["id"].as_str().unwrap_or_default().to_owned());
        }
        match reply.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(ids),
        }
    }
}

fn subject(w: &World, role: Role, scope: Scope) -> &Subject {
    w.subjects
        .iter()
        .find(|s| s.role == role && s.scope == scope)
        .expect("subject")
}

/// Why a case was prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Purpose {
    /// Read by everyone, and refused commands are tried on it.
    Shared,
    /// The case of its own of the permitted command at this index of the plan.
    Permitted(usize),
    /// The spot check's village-level case for the grid worker to verify.
    Spot,
}

#[derive(Debug, Clone)]
struct Prepared {
    purpose: Purpose,
    placement: Placement,
    stage: Stage,
    case: CaseRef,
}

impl Prepared {
    fn describe(&self) -> String {
        let whose = match self.purpose {
            Purpose::Shared => "shared",
            Purpose::Permitted(_) => "permitted command's",
            Purpose::Spot => "spot check's",
        };
        format!("the {whose} {:?} case in {:?}", self.placement, self.stage)
    }
}

/// The world's cases, all prepared at once.
struct Cases {
    all: Vec<Prepared>,
    by_purpose: HashMap<(Purpose, Placement, Stage), CaseRef>,
}

impl Cases {
    async fn prepare(h: &Arc<Harness>, w: &Arc<World>, plan: &[CommandCheck]) -> Cases {
        let mut wanted = Vec::new();
        for placement in Placement::ALL {
            for &stage in placement.stages() {
                wanted.push((Purpose::Shared, placement, stage));
            }
        }
        for (index, check) in plan.iter().enumerate() {
            if check.expect == 200 {
                wanted.push((Purpose::Permitted(index), check.placement, check.stage));
            }
        }
        wanted.push((Purpose::Spot, Placement::Village, Stage::Resolved));
        let all = all(wanted.into_iter().map(|(purpose, placement, stage)| {
            let (h, w) = (h.clone(), w.clone());
            async move {
                Prepared {
                    purpose,
                    placement,
                    stage,
                    case: prepare(&h, &w, placement, stage).await,
                }
            }
        }))
        .await;
        let by_purpose = all
            .iter()
            .map(|p| ((p.purpose, p.placement, p.stage), p.case.clone()))
            .collect();
        Cases { all, by_purpose }
    }

    fn shared(&self, placement: Placement, stage: Stage) -> CaseRef {
        self.by_purpose[&(Purpose::Shared, placement, stage)].clone()
    }

    fn of(&self, purpose: Purpose, placement: Placement, stage: Stage) -> CaseRef {
        self.by_purpose[&(purpose, placement, stage)].clone()
    }

    fn shared_ones(&self) -> impl Iterator<Item = &Prepared> {
        self.all.iter().filter(|p| p.purpose == Purpose::Shared)
    }
}

// ---- the scenario -------------------------------------------------------------------------

async fn every_role_sees_and_does_exactly_what_the_matrix_grants(h: Harness) {
    let started = std::time::Instant::now();
    let h = Arc::new(h);
    let w = Arc::new(build_world(&h).await);
    let plan = command_plan(&w);
    let cases = Arc::new(Cases::prepare(&h, &w, &plan).await);
    let prepared_in = started.elapsed();
    let mut tally = Tally::default();
    let mut failures = check_relations(&h, &w, &cases).await;
    failures.extend(check_reads(&h, &w, &cases, &mut tally).await);
    failures.extend(check_reveals(&h, &w, &cases, &mut tally).await);
    failures.extend(check_lists(&h, &w, &cases, &mut tally).await);

    // Refusals, then what is permitted: no refused request writes anything.
    let before = h.counts().await;
    failures.extend(spot_check_refusals(&h, &w, &cases).await);
    failures.extend(check_refused_commands(&h, &w, &cases, &plan, &mut tally).await);
    failures.extend(check_reports(&h, &w, false, &mut tally).await);
    let after = h.counts().await;
    if after != before {
        failures.push(format!(
            "refused requests wrote: (cases, events) went from {before:?} to {after:?}"
        ));
    }
    failures.extend(check_permitted_commands(&h, &w, &cases, &plan, &mut tally).await);
    failures.extend(check_reports(&h, &w, true, &mut tally).await);
    failures.extend(spot_check_permitted(&h, &w, &cases).await);
    failures.extend(check_admin(&h, &w, &mut tally).await);

    eprintln!(
        "isolation matrix on {}: {} subjects, {} cases prepared in {prepared_in:.1?}, {:.1?} in \
         all; {}",
        h.store.backend(),
        w.subjects.len(),
        cases.all.len(),
        started.elapsed(),
        tally.summary()
    );
    // Not vacuous: each answer is expected of many combinations.
    for (family, expected) in [
        ("read", "200"),
        ("read", "404"),
        ("reveal", "200"),
        ("reveal", "403"),
        ("reveal", "404"),
        ("list", "listed"),
        ("list", "unlisted"),
        ("command", "200"),
        ("command", "403"),
        ("command", "404"),
        ("report", "201"),
        ("report", "403"),
        ("admin", "200"),
        ("admin", "201"),
        ("admin", "403"),
    ] {
        let n = tally.requests(family, expected);
        assert!(n >= 5, "only {n} {family} checks expect {expected}");
    }
    assert!(
        failures.is_empty(),
        "{} checks disagree with the rights matrix (or with the spot checks):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The relations written out in [`relation_of`] agree with the domain's.
async fn check_relations(h: &Harness, w: &World, cases: &Cases) -> Vec<String> {
    let mut failures = Vec::new();
    for prepared in cases.shared_ones() {
        let stored = h
            .store
            .case(case_id(&prepared.case))
            .await
            .expect("read case")
            .expect("case exists");
        for subject in &w.subjects {
            let expected = relation_of(subject.scope, prepared.placement, prepared.stage);
            let actual = relation(&subject.actor, &stored);
            if actual != expected {
                failures.push(format!(
                    "relation of {} to {}: the domain says {actual:?}, the construction \
                     {expected:?}",
                    prepared.describe(),
                    subject.label()
                ));
            }
        }
    }
    failures
}

/// A case and its history answer 200 where the matrix grants reading, else 404.
async fn check_reads(
    h: &Arc<Harness>,
    w: &World,
    cases: &Arc<Cases>,
    tally: &mut Tally,
) -> Vec<String> {
    let outcomes = all(w.subjects.iter().cloned().map(|subject| {
        let (h, cases) = (h.clone(), cases.clone());
        async move {
            let mut out = Vec::new();
            for prepared in cases.shared_ones() {
                let relation = relation_of(subject.scope, prepared.placement, prepared.stage);
                let may = permits(subject.role, relation, Action::ReadCase);
                let expect = if may { 200 } else { 404 };
                for suffix in ["", "/events"] {
                    let reply = h
                        .get(format!("/api/v1/cases/{}{suffix}", prepared.case.id))
                        .by(&subject.person)
                        .send()
                        .await;
                    let right = reply.status == expect
                        && if may {
                            suffix == "/events" || reply.json["id"] == json!(prepared.case.id)
                        } else {
                            reply.code() == "not_found"
                        };
                    let failure = (!right).then(|| {
                        format!(
                            "{} GET {}{suffix} ({relation:?}): expected {expect}, got {}",
                            subject.label(),
                            prepared.describe(),
                            brief(&reply)
                        )
                    });
                    out.push((subject.role, relation, expect, failure));
                }
            }
            out
        }
    }))
    .await;
    let mut failures = Vec::new();
    for (role, relation, expect, failure) in outcomes.into_iter().flatten() {
        tally.record("read", role, relation, &Action::ReadCase.name(), expect);
        failures.extend(failure);
    }
    failures
}

/// Revealing the parties answers 200 where the matrix grants it; a refusal is 403, except
/// that a role holding the right somewhere is answered 404 for a case it cannot read. (A
/// role without the right is refused before the case is looked up, so its 403 says nothing
/// about the case.) Exactly the permitted reveals are written to the audit log.
async fn check_reveals(
    h: &Arc<Harness>,
    w: &World,
    cases: &Arc<Cases>,
    tally: &mut Tally,
) -> Vec<String> {
    let reveals = || async {
        h.store
            .search_audit(&AuditFilter {
                action: Some("personal_data_revealed".to_owned()),
                limit: 1000,
                ..AuditFilter::default()
            })
            .await
            .expect("search the audit log")
            .len()
    };
    let before = reveals().await;
    let outcomes = all(w.subjects.iter().cloned().map(|subject| {
        let (h, cases) = (h.clone(), cases.clone());
        async move {
            let mut out = Vec::new();
            for prepared in cases.shared_ones() {
                let relation = relation_of(subject.scope, prepared.placement, prepared.stage);
                let reveal = Action::RevealPersonalData;
                let expect = if permits(subject.role, relation, reveal) {
                    200
                } else if !permits(subject.role, Relation::Inside, reveal)
                    || permits(subject.role, relation, Action::ReadCase)
                {
                    403
                } else {
                    404
                };
                let reply = h
                    .post(format!("/api/v1/cases/{}/reveal", prepared.case.id))
                    .by(&subject.person)
                    .json(&json!({ "reason": "联系当事人核实情况" }))
                    .send()
                    .await;
                let right = reply.status == expect
                    && match expect {
                        200 => reply.json["parties"].is_array(),
                        // Its own code (`personal_data_not_permitted`), in the error shape.
                        403 => reply.is_error_body(),
                        _ => reply.code() == "not_found",
                    };
                let failure = (!right).then(|| {
                    format!(
                        "{} reveals the parties of {} ({relation:?}): expected {expect}, got {}",
                        subject.label(),
                        prepared.describe(),
                        brief(&reply)
                    )
                });
                out.push((subject.role, relation, expect, failure));
            }
            out
        }
    }))
    .await;
    let mut failures = Vec::new();
    let mut permitted = 0;
    for (role, relation, expect, failure) in outcomes.into_iter().flatten() {
        tally.record(
            "reveal",
            role,
            relation,
            &Action::RevealPersonalData.name(),
            expect,
        );
        permitted += usize::from(expect == 200);
        failures.extend(failure);
    }
    let written = reveals().await - before;
    if written != permitted {
        failures.push(format!(
            "{permitted} reveals were permitted but {written} were written to the audit log"
        ));
    }
    failures
}

/// The list holds exactly the cases the matrix lets the subject list, among all prepared.
async fn check_lists(h: &Harness, w: &World, cases: &Cases, tally: &mut Tally) -> Vec<String> {
    let mut failures = Vec::new();
    let known: HashSet<&String> = cases.all.iter().map(|p| &p.case.id).collect();
    for subject in &w.subjects {
        let listed = match list_all(h, &subject.person).await {
            Ok(listed) => listed,
            Err(failure) => {
                failures.push(failure);
                continue;
            }
        };
        for prepared in &cases.all {
            let relation = relation_of(subject.scope, prepared.placement, prepared.stage);
            let may = permits(subject.role, relation, Action::ListCases);
            let expected = if may { "listed" } else { "unlisted" };
            tally.record(
                "list",
                subject.role,
                relation,
                &Action::ListCases.name(),
                expected,
            );
            if may != listed.contains(&prepared.case.id) {
                failures.push(format!(
                    "{} lists {} ({relation:?}): expected it {expected}",
                    subject.label(),
                    prepared.describe(),
                ));
            }
        }
        if let Some(stray) = listed.iter().find(|id| !known.contains(id)) {
            failures.push(format!("{} lists an unknown case {stray}", subject.label()));
        }
    }
    failures
}

/// Refused commands, on the shared cases: 403 where the subject reads the case, 404 where
/// it does not, and the case unchanged.
async fn check_refused_commands(
    h: &Arc<Harness>,
    w: &Arc<World>,
    cases: &Cases,
    plan: &[CommandCheck],
    tally: &mut Tally,
) -> Vec<String> {
    let outcomes = all(plan
        .iter()
        .filter(|check| check.expect != 200)
        .cloned()
        .map(|check| {
            let (h, w) = (h.clone(), w.clone());
            let case = cases.shared(check.placement, check.stage);
            async move {
                let subject = &w.subjects[check.subject];
                let body = command_body(check.kind, &route(&h, &w, check.placement), h.now());
                let reply = h
                    .command(&subject.person, &case, check.kind.as_str(), &body)
                    .await;
                let what = format!(
                    "{} {} on the shared {:?} case in {:?} ({:?})",
                    subject.label(),
                    check.kind,
                    check.placement,
                    check.stage,
                    check.relation
                );
                let code = if check.expect == 403 {
                    "forbidden"
                } else {
                    "not_found"
                };
                let mut failures = Vec::new();
                if reply.status != check.expect || reply.code() != code {
                    failures.push(format!(
                        "{what}: expected {} {code}, got {}",
                        check.expect,
                        brief(&reply)
                    ));
                }
                let stored = h
                    .store
                    .case(case_id(&case))
                    .await
                    .expect("read case")
                    .expect("case exists");
                if stored.version != case.version {
                    failures.push(format!(
                        "{what}: answered {} but the case is at version {}, not {}",
                        reply.status, stored.version, case.version
                    ));
                }
                (subject.role, check, failures)
            }
        }))
    .await;
    let mut failures = Vec::new();
    for (role, check, failed) in outcomes {
        tally.record(
            "command",
            role,
            check.relation,
            check.kind.as_str(),
            check.expect,
        );
        failures.extend(failed);
    }
    failures
}

/// Permitted commands, each on a case of its own: applied, to the state of the lifecycle
/// table, recorded under the subject and his role.
async fn check_permitted_commands(
    h: &Arc<Harness>,
    w: &Arc<World>,
    cases: &Cases,
    plan: &[CommandCheck],
    tally: &mut Tally,
) -> Vec<String> {
    let outcomes = all(plan
        .iter()
        .enumerate()
        .filter(|(_, check)| check.expect == 200)
        .map(|(index, check)| {
            let (h, w, check) = (h.clone(), w.clone(), check.clone());
            let case = cases.of(Purpose::Permitted(index), check.placement, check.stage);
            async move {
                let subject = &w.subjects[check.subject];
                let failure = run_permitted(&h, &w, &check, &case).await;
                (subject.role, check, failure)
            }
        }))
    .await;
    let mut failures = Vec::new();
    for (role, check, failure) in outcomes {
        tally.record("command", role, check.relation, check.kind.as_str(), 200);
        failures.extend(failure);
    }
    failures
}

async fn run_permitted(
    h: &Harness,
    w: &World,
    check: &CommandCheck,
    case: &CaseRef,
) -> Option<String> {
    let subject = &w.subjects[check.subject];
    let body = command_body(check.kind, &route(h, w, check.placement), h.now());
    let reply = h
        .command(&subject.person, case, check.kind.as_str(), &body)
        .await;
    let what = format!(
        "{} {} on a {:?} case in {:?} ({:?})",
        subject.label(),
        check.kind,
        check.placement,
        check.stage,
        check.relation
    );
    let state = check
        .kind
        .transition(check.stage.state())
        .map(CaseState::as_str);
    if reply.status != 200
        || reply.json["version"] != json!(case.version + 1)
        || reply.json["state"].as_str() != state
    {
        return Some(format!(
            "{what}: expected 200 moving to {state:?}, got {}",
            brief(&reply)
        ));
    }
    let events = h.store.events(case_id(case)).await.expect("events");
    let last = events.last().expect("an event");
    (last.actor != subject.person.id || last.role != subject.role).then(|| {
        format!(
            "{what}: recorded as {} acting as {}",
            last.actor,
            last.role.as_str()
        )
    })
}

/// Reports inside, above and beside the subject's scope: the refused ones (403) or the
/// permitted ones (201).
async fn check_reports(h: &Harness, w: &World, permitted: bool, tally: &mut Tally) -> Vec<String> {
    let mut failures = Vec::new();
    for subject in &w.subjects {
        for (place, relation) in subject.report_places() {
            let may = permits(subject.role, relation, Action::Command(CommandKind::Report));
            if may != permitted {
                continue;
            }
            if subject.role != Role::Resident {
                let domain = relation_to_region(&subject.actor, &code(place));
                if domain != relation {
                    failures.push(format!(
                        "{} reporting in {place}: the domain says {domain:?}, the \
                         construction {relation:?}",
                        subject.label()
                    ));
                }
            }
            let expect = if may { 201 } else { 403 };
            tally.record("report", subject.role, relation, "report", expect);
            let reply = h
                .post("/api/v1/cases")
                .by(&subject.person)
                .json(&case_in(place, "dispute", "neighbour", "隔离测试上报"))
                .send()
                .await;
            if reply.status != expect || (!may && reply.code() != "forbidden") {
                failures.push(format!(
                    "{} reports in {place} ({relation:?}): expected {expect}, got {}",
                    subject.label(),
                    brief(&reply)
                ));
            }
        }
    }
    failures
}

// ---- spot checks ----------------------------------------------------------------------------

/// Hand-written expectations, independent of the matrix, that write nothing.
async fn spot_check_refusals(h: &Harness, w: &World, cases: &Cases) -> Vec<String> {
    let leader = &subject(w, Role::Leader, Scope::Town).person;
    let auditor = &subject(w, Role::Auditor, Scope::Town).person;
    let system_admin = &subject(w, Role::SystemAdmin, Scope::Town).person;
    let grid_worker = &subject(w, Role::GridWorker, Scope::Grid).person;
    let handler = &subject(w, Role::UnitHandler, Scope::Unit).person;
    let dispatcher = &subject(w, Role::Dispatcher, Scope::Town).person;
    let grid_dispatcher = &subject(w, Role::Dispatcher, Scope::Grid).person;
    let own_reported = cases.shared(Placement::Own, Stage::Reported);
    let village_reported = cases.shared(Placement::Village, Stage::Reported);
    let read =
        |who: &Person, case: &CaseRef| h.get(format!("/api/v1/cases/{}", case.id)).by(who).send();
    let accept = |who: &Person, case: &CaseRef| {
        h.post(format!("/api/v1/cases/{}/accept", case.id))
            .by(who)
            .if_match(case.version)
            .json(&json!({}))
            .send()
    };
    let mut failures = Vec::new();
    let auditor_lists = list_all(h, auditor).await;
    if auditor_lists.as_ref().map(HashSet::len) != Ok(0) {
        failures.push(format!(
            "spot check: an auditor lists no case, got {auditor_lists:?}"
        ));
    }
    let spots = [
        (
            "a leader reads a case of his town",
            200,
            read(leader, &own_reported).await,
        ),
        (
            "a leader does not accept it",
            403,
            accept(leader, &own_reported).await,
        ),
        (
            "an auditor reads no case",
            404,
            read(auditor, &own_reported).await,
        ),
        (
            "a system administrator reads no case",
            404,
            read(system_admin, &own_reported).await,
        ),
        (
            "a grid worker reads a village-level case of his village",
            200,
            read(grid_worker, &village_reported).await,
        ),
        (
            "a grid worker does not accept it",
            403,
            accept(grid_worker, &village_reported).await,
        ),
        (
            "a grid worker does not read a case of the next grid",
            404,
            read(
                grid_worker,
                &cases.shared(Placement::SiblingGrid, Stage::Reported),
            )
            .await,
        ),
        (
            "a dispatcher does not read the next town's case",
            404,
            read(
                dispatcher,
                &cases.shared(Placement::OtherTown, Stage::Reported),
            )
            .await,
        ),
        (
            "nor accept it",
            404,
            accept(
                dispatcher,
                &cases.shared(Placement::OtherTown, Stage::Reported),
            )
            .await,
        ),
        (
            "a dispatcher bound to a grid does not read a village-level case",
            404,
            read(grid_dispatcher, &village_reported).await,
        ),
        (
            "a unit handler does not see his unit's case before it is dispatched",
            404,
            read(handler, &own_reported).await,
        ),
        (
            "he sees it once it is dispatched to his unit",
            200,
            read(handler, &cases.shared(Placement::Own, Stage::Dispatched)).await,
        ),
        (
            "a supporting unit does not acknowledge",
            403,
            h.command(
                handler,
                &cases.shared(Placement::OwnSupporting, Stage::Dispatched),
                "acknowledge",
                &json!({}),
            )
            .await,
        ),
        (
            "a resident reads his own case",
            200,
            read(&w.resident, &own_reported).await,
        ),
        (
            "a resident does not read another resident's",
            404,
            read(
                &w.resident,
                &cases.shared(Placement::SiblingGrid, Stage::Reported),
            )
            .await,
        ),
    ];
    for (what, status, reply) in spots {
        if reply.status != status {
            failures.push(format!(
                "spot check: {what}: expected {status}, got {}",
                brief(&reply)
            ));
        }
    }
    failures
}

/// Hand-written expectations that write.
async fn spot_check_permitted(h: &Harness, w: &World, cases: &Cases) -> Vec<String> {
    let grid_worker = &subject(w, Role::GridWorker, Scope::Grid).person;
    let case = cases.of(Purpose::Spot, Placement::Village, Stage::Resolved);
    let reply = h.command(grid_worker, &case, "verify", &json!({})).await;
    if reply.status == 200 && reply.json["state"] == "verified" {
        Vec::new()
    } else {
        vec![format!(
            "spot check: a grid worker verifies a village-level case of his village: expected \
             200 verified, got {}",
            brief(&reply)
        )]
    }
}

// ---- administration -------------------------------------------------------------------------

/// Compares one administration answer with the expectation and records it.
struct Judge<'a> {
    tally: &'a mut Tally,
    failures: Vec<String>,
}

impl Judge<'_> {
    fn check(
        &mut self,
        subject: &Subject,
        (action, relation): (Action, Relation),
        (what, expect): (&str, u16),
        reply: &Reply,
    ) {
        self.tally
            .record("admin", subject.role, relation, &action.name(), expect);
        // A refusal is in the error shape; its code may name the right (`audit_not_permitted`).
        if reply.status != expect || (expect == 403 && !reply.is_error_body()) {
            self.failures.push(format!(
                "{} {what} ({relation:?}): expected {expect}, got {}",
                subject.label(),
                brief(reply)
            ));
        }
    }

    fn changed(&mut self, subject: &Subject, what: &str, expected: bool, changed: bool) {
        if changed != expected {
            self.failures.push(format!(
                "{} {what}: {}",
                subject.label(),
                if changed {
                    "refused, yet it changed"
                } else {
                    "allowed, yet nothing changed"
                }
            ));
        }
    }
}

/// A GeoJSON file of one square grid numbered `number`, away from every other shape.
fn grid_file(number: u16) -> Value {
    let west = 117.0 + f64::from(number) * 0.001;
    let corners = [
        [west, 36.0],
        [west + 0.0005, 36.0],
        [west + 0.0005, 36.0005],
        [west, 36.0005],
        [west, 36.0],
    ];
    json!({ "type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": { "number": number, "name": format!("隔离测试导入网格{number}") },
        "geometry": { "type": "Polygon", "coordinates": [corners] },
    }] })
}

/// The administration endpoints: allowed where the role holds the right over the target's
/// region (inside its scope), else 403 with nothing changed.
async fn check_admin(h: &Harness, w: &World, tally: &mut Tally) -> Vec<String> {
    let mut judge = Judge {
        tally,
        failures: Vec::new(),
    };
    let target = h
        .person("iso_admin_target", Role::Resident, None, None)
        .await;
    let live = || async {
        h.store
            .user(target.id)
            .await
            .expect("read user")
            .expect("target user")
            .assignments
    };
    let mut serial: u16 = 100;
    for subject in &w.subjects {
        let role = subject.role;
        let who = &subject.person;
        let expect = |may: bool, allowed: u16| if may { allowed } else { 403 };

        // The deadline policy is one setting of the whole deployment.
        let may = permits(role, Relation::Inside, Action::ManageSettings);
        let version = || async { h.app.deadline_policy().await.expect("policy").version };
        let before = version().await;
        let rules = serde_json::to_value(hezhi_domain::deadline::DeadlinePolicy::defaults().rules)
            .expect("rules");
        let reply = h
            .post("/api/v1/deadline-policy")
            .method(Method::PUT)
            .by(who)
            .json(&json!({ "rules": rules }))
            .send()
            .await;
        let settings = (Action::ManageSettings, Relation::Inside);
        judge.check(
            subject,
            settings,
            ("saves the deadline policy", expect(may, 200)),
            &reply,
        );
        judge.changed(
            subject,
            "saves the deadline policy",
            may,
            version().await != before,
        );

        // Listing users takes either right; it is recorded under the first.
        let may = permits(role, Relation::Inside, Action::ManageUsers)
            || permits(role, Relation::Inside, Action::ManageRoleAssignments);
        let reply = h.get("/api/v1/users").by(who).send().await;
        let inside = (Action::ManageUsers, Relation::Inside);
        judge.check(subject, inside, ("lists users", expect(may, 200)), &reply);

        serial += 1;
        let may = permits(role, Relation::Inside, Action::ManageUsers);
        let before = h.store.users().await.expect("users").len();
        let reply = h
            .post("/api/v1/users")
            .by(who)
            .json(&json!({ "name": format!("iso_created_{serial}") }))
            .send()
            .await;
        judge.check(
            subject,
            inside,
            ("creates a user", expect(may, 201)),
            &reply,
        );
        let after = h.store.users().await.expect("users").len();
        judge.changed(subject, "creating a user", may, after != before);

        let may = permits(role, Relation::Inside, Action::ReadAudit);
        let reply = h.get("/api/v1/audit").by(who).send().await;
        let audit = (Action::ReadAudit, Relation::Inside);
        judge.check(
            subject,
            audit,
            ("searches the audit log", expect(may, 200)),
            &reply,
        );

        for (relation, region, village) in subject.admin_targets() {
            for place in std::iter::once(region).chain(village) {
                let domain = relation_to_region(&subject.actor, &code(place));
                if domain != relation {
                    judge.failures.push(format!(
                        "{} administering {place}: the domain says {domain:?}, the \
                         construction {relation:?}",
                        subject.label()
                    ));
                }
            }

            let may = permits(role, relation, Action::ManageRoleAssignments);
            let right = (Action::ManageRoleAssignments, relation);
            let before = live().await.len();
            let reply = h
                .post(format!("/api/v1/users/{}/roles", target.id))
                .by(who)
                .json(&json!({ "role": "leader", "region": region }))
                .send()
                .await;
            let what = format!("grants a role in {region}");
            judge.check(subject, right, (&what, expect(may, 201)), &reply);
            judge.changed(subject, &what, may, live().await.len() != before);

            let assignment = h
                .app
                .grant_role(None, target.id, Role::Leader, Some(code(region)), None)
                .await
                .expect("grant")
                .id;
            let reply = h
                .post(format!(
                    "/api/v1/users/{}/roles/{assignment}/tokens",
                    target.id
                ))
                .by(who)
                .send()
                .await;
            let what = format!("issues a token for a role in {region}");
            judge.check(subject, right, (&what, expect(may, 201)), &reply);
            let reply = h
                .post(format!("/api/v1/users/{}/roles/{assignment}", target.id))
                .method(Method::DELETE)
                .by(who)
                .send()
                .await;
            let what = format!("revokes a role in {region}");
            judge.check(subject, right, (&what, expect(may, 204)), &reply);
            let gone = !live().await.iter().any(|a| a.id == assignment);
            judge.changed(subject, &what, may, gone);

            serial += 1;
            let may = permits(role, relation, Action::ManageUnits);
            let units = || async {
                h.store
                    .units_in_region(&code(region))
                    .await
                    .expect("units")
                    .len()
            };
            let before = units().await;
            let reply = h
                .post("/api/v1/units")
                .by(who)
                .json(&json!({
                    "name": format!("隔离测试单位{serial}"),
                    "kind": "other",
                    "region": region,
                }))
                .send()
                .await;
            let what = format!("creates a unit in {region}");
            let right = (Action::ManageUnits, relation);
            judge.check(subject, right, (&what, expect(may, 201)), &reply);
            judge.changed(subject, &what, may, units().await != before);

            let Some(village) = village else {
                continue;
            };
            serial += 1;
            let may = permits(role, relation, Action::ManageRegions);
            let grid = RegionCode::grid(&code(village), serial).expect("grid code");
            let reply = h
                .post(format!("/api/v1/regions/{village}/grids"))
                .by(who)
                .json(&json!({ "number": serial, "name": "隔离测试网格" }))
                .send()
                .await;
            let what = format!("adds grid {grid}");
            let right = (Action::ManageRegions, relation);
            judge.check(subject, right, (&what, expect(may, 201)), &reply);
            let exists = h.store.region(&grid).await.expect("region").is_some();
            judge.changed(subject, &what, may, exists);

            serial += 1;
            let grid = RegionCode::grid(&code(village), serial).expect("grid code");
            let reply = h
                .post(format!("/api/v1/regions/{village}/grids/import"))
                .by(who)
                .json(&grid_file(serial))
                .send()
                .await;
            let what = format!("imports grid {grid}");
            judge.check(subject, right, (&what, expect(may, 200)), &reply);
            let exists = h.store.region(&grid).await.expect("region").is_some();
            judge.changed(subject, &what, may, exists);
        }
    }

    // Hand-written: a town's security administrator grants a role bound to a unit of his
    // town, not one bound to a unit of the next county; a town's system administrator
    // creates units in the town, not in its county; an auditor sees no user.
    let security_admin = &subject(w, Role::SecurityAdmin, Scope::Town).person;
    let system_admin = &subject(w, Role::SystemAdmin, Scope::Town).person;
    let auditor = &subject(w, Role::Auditor, Scope::Town).person;
    let grant_in_unit = |unit: UnitId| {
        h.post(format!("/api/v1/users/{}/roles", target.id))
            .by(security_admin)
            .json(&json!({ "role": "unit_handler", "unit": unit.to_string() }))
            .send()
    };
    let unit_in = |region: &str| {
        h.post("/api/v1/units")
            .by(system_admin)
            .json(&json!({ "name": "综治中心", "kind": "governance_centre", "region": region }))
            .send()
    };
    let spots = [
        (
            "a town's security administrator grants a role in a unit of the town",
            201,
            grant_in_unit(w.unit).await,
        ),
        (
            "but none in a unit of the next county",
            403,
            grant_in_unit(h.fx.other_county_unit).await,
        ),
        (
            "a town's system administrator creates a unit in the town",
            201,
            unit_in(TOWN).await,
        ),
        ("but none in its county", 403, unit_in(COUNTY).await),
        (
            "an auditor lists no user",
            403,
            h.get("/api/v1/users").by(auditor).send().await,
        ),
    ];
    for (what, status, reply) in spots {
        if reply.status != status {
            judge.failures.push(format!(
                "spot check: {what}: expected {status}, got {}",
                brief(&reply)
            ));
        }
    }
    judge.failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_sees_and_does_exactly_what_the_matrix_grants_on_sqlite() {
    on_sqlite(every_role_sees_and_does_exactly_what_the_matrix_grants).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_sees_and_does_exactly_what_the_matrix_grants_on_postgres() {
    on_postgres(every_role_sees_and_does_exactly_what_the_matrix_grants).await;
}
