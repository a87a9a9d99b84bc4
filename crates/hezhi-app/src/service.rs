//! The use cases. Each reads the clock once, loads what it needs, checks access, calls the
//! domain, and saves in one store call.

use crate::access;
use crate::clock::Clock;
use crate::error::AppError;
use crate::idempotency::{IdempotencyRequest, InFlight};
use crate::input::{CaseInput, parse_grid_features};
use crate::random;
use crate::resident::{LogSmsSender, SmsSender};
use crate::sign_in::{SignInPolicy, SignInState};
use chrono::{DateTime, Utc};
use hezhi_domain::{
    Actor, AssignmentId, Case, CaseId, CaseKind, CategoryCode, Command, DomainError, Event,
    NewCase, Party, Position, Principal, RegionCode, RegionLevel, Role, TokenId, TrackingCode,
    UnitId, UserId, ValidationError, access::Action, check_report, decide_with, evolve,
    lifecycle::DeadlineContext,
};
use hezhi_store::{
    ApiTokenRecord, AuditRecord, CaseFilter, Category, GridShape, GroupCommit, GroupCommitConfig,
    IdempotencyKey, Page, PageRequest, Region, RoleAssignment, Store, StoreError, Unit, User,
    WriteOp, WriteReceipt,
};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

/// The answer to a write: the receipt, the HTTP status it carries, and whether it is the
/// replay of an earlier request with the same idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOutcome {
    pub receipt: WriteReceipt,
    pub status: u16,
    pub replayed: bool,
}

/// A user to create, with the token that will be shown once.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    pub region: Option<RegionCode>,
    pub unit: Option<UnitId>,
}

pub struct App {
    store: Arc<dyn Store>,
    writes: GroupCommit,
    clock: Arc<dyn Clock>,
    in_flight: InFlight,
    known: KnownReferences,
    /// Recently checked API tokens: hash → (actor, when checked).
    tokens: RwLock<HashMap<String, (Principal, DateTime<Utc>)>>,
    pub(crate) tracking_throttle: crate::tracking::TrackingThrottle,
    sign_in: SignInState,
    sms: Arc<dyn SmsSender>,
    /// China's working days, from the shipped holiday data (empty if it could not be read:
    /// then every deadline in working days is refused, never guessed).
    calendar: hezhi_domain::WorkingCalendar,
}

/// The longest reason a reveal of personal data may give.
pub const REVEAL_REASON_MAX_CHARS: usize = 200;

/// How long a checked API token is trusted without asking the database again.
pub const TOKEN_CACHE_TTL: chrono::Duration = chrono::Duration::seconds(5);
const TOKEN_CACHE_CAPACITY: usize = 10_000;

/// Regions and categories seen to exist. Neither is ever deleted, so a positive answer stays
/// true and saves a read on every report; a negative one is always asked again.
#[derive(Debug, Default)]
struct KnownReferences {
    regions: RwLock<HashSet<RegionCode>>,
    categories: RwLock<HashSet<(CaseKind, CategoryCode)>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.store.backend())
            .field("writes", &self.writes)
            .field("clock", &self.clock)
            .field("sms", &self.sms)
            .finish()
    }
}

/// SHA-256 of an API token, as stored.
pub fn token_hash(token: &str) -> String {
    random::hex(&Sha256::digest(token.as_bytes()))
}

/// SHA-256 of a request, for idempotency records.
pub fn request_hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    random::hex(&hasher.finalize())
}

impl App {
    /// Starts the write workers on the current tokio runtime.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let writer: Arc<dyn hezhi_store::CaseWriter> = store.clone();
        let workers = store.writer_parallelism();
        Self::with_writer(store, writer, workers, clock)
    }

    /// Like [`App::new`], with case writes going through `writer` (`workers` of them at a
    /// time) rather than straight to `store`: for tools that observe or shape the write path.
    pub fn with_writer(
        store: Arc<dyn Store>,
        writer: Arc<dyn hezhi_store::CaseWriter>,
        workers: usize,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let config = GroupCommitConfig {
            workers,
            ..GroupCommitConfig::default()
        };
        Self {
            writes: GroupCommit::start(writer, config),
            store,
            clock,
            in_flight: InFlight::default(),
            known: KnownReferences::default(),
            tokens: RwLock::default(),
            tracking_throttle: crate::tracking::TrackingThrottle::default(),
            sign_in: SignInState::default(),
            sms: Arc::new(LogSmsSender),
            calendar: hezhi_domain::WorkingCalendar::china().unwrap_or_else(|error| {
                tracing::error!(%error, "the shipped holiday calendar does not read");
                hezhi_domain::WorkingCalendar::default()
            }),
        }
    }

    /// The same app counting working days with `calendar` (by default the shipped one).
    pub fn with_calendar(mut self, calendar: hezhi_domain::WorkingCalendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// The years the working-day calendar covers.
    pub fn calendar_years(&self) -> Vec<i32> {
        self.calendar.years().collect()
    }

    /// The same app sending residents' sign-in codes through `sender` (by default
    /// [`LogSmsSender`]).
    pub fn with_sms_sender(mut self, sender: Arc<dyn SmsSender>) -> Self {
        self.sms = sender;
        self
    }

    pub(crate) fn sms_sender(&self) -> &dyn SmsSender {
        self.sms.as_ref()
    }

    /// The same app with `policy` for sessions and second factors.
    pub fn with_sign_in_policy(mut self, policy: SignInPolicy) -> Self {
        self.sign_in = SignInState::new(policy);
        self
    }

    pub(crate) fn sign_in_state(&self) -> &SignInState {
        &self.sign_in
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Commits what is queued and stops the write workers.
    pub async fn shutdown(self) {
        self.writes.close().await;
    }

    async fn region_exists(&self, code: &RegionCode) -> Result<bool, AppError> {
        if read_lock(&self.known.regions).contains(code) {
            return Ok(true);
        }
        let exists = self.store.region(code).await?.is_some();
        if exists {
            write_lock(&self.known.regions).insert(code.clone());
        }
        Ok(exists)
    }

    async fn category_exists(&self, kind: CaseKind, code: &CategoryCode) -> Result<bool, AppError> {
        let key = (kind, code.clone());
        if read_lock(&self.known.categories).contains(&key) {
            return Ok(true);
        }
        let exists = self.store.category(kind, code).await?.is_some();
        if exists {
            write_lock(&self.known.categories).insert(key);
        }
        Ok(exists)
    }

    // ---- who is asking ----------------------------------------------------------------

    /// The principal behind an API token: its user, acting under the one role assignment the
    /// token is bound to.
    ///
    /// A token found valid is remembered for [`TOKEN_CACHE_TTL`], which spares a read on
    /// every request; a token revoked in the database stops working within that time.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AppError> {
        let hash = token_hash(token);
        let now = self.now();
        if let Some((principal, checked_at)) = read_lock(&self.tokens).get(&hash)
            && now - *checked_at < TOKEN_CACHE_TTL
            && now >= *checked_at
        {
            return Ok(principal.clone());
        }
        let (user, assignment) = self
            .store
            .token_owner(&hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let principal = Principal {
            user: user.id,
            assignments: user
                .assignments
                .iter()
                .filter(|a| a.id == assignment)
                .map(RoleAssignment::actor)
                .collect(),
        };
        let mut tokens = write_lock(&self.tokens);
        if tokens.len() >= TOKEN_CACHE_CAPACITY {
            tokens.clear();
        }
        tokens.insert(hash, (principal.clone(), now));
        Ok(principal)
    }

    /// Forgets a checked token, so that its revocation takes effect here at once.
    pub(crate) fn forget_token(&self, hash: &str) {
        write_lock(&self.tokens).remove(hash);
    }

    // ---- cases ------------------------------------------------------------------------

    /// Reports a new case (any channel).
    pub async fn report_case(
        &self,
        principal: &Principal,
        input: &CaseInput,
        idempotency: Option<IdempotencyRequest>,
    ) -> Result<WriteOutcome, AppError> {
        let now = self.now();
        let mut data = input.parse()?;
        // The first assignment under which the report is allowed acts; with none, the first
        // refusal explains why.
        let actor = first_permitted(&principal.assignments, |actor| {
            check_report(&data, actor).map(|()| actor.clone())
        })?;
        let actor = &actor;
        if !self.region_exists(&data.region).await? {
            return Err(ValidationError::new("region", "unknown_region", "no such region").into());
        }
        if !self.category_exists(data.kind, &data.category).await? {
            return Err(ValidationError::new(
                "category",
                "unknown_category",
                format!("`{}` is not a category of this kind", data.category),
            )
            .into());
        }
        // Every scope that holds the village holds its grids, so the check above still holds.
        if let Some(grid) = self.grid_of_report(&data).await? {
            data.region = grid;
        }
        self.idempotent(principal.user, idempotency, false, |key| async move {
            // A tracking code may collide with an existing one; draw again.
            let mut attempts = 0;
            loop {
                attempts += 1;
                let op = WriteOp::CreateCase {
                    id: self.new_case_id(now, &data.region),
                    tracking_code: TrackingCode::from_random(random::u64()),
                    data: Box::new(data.clone()),
                    actor: actor.clone(),
                    at: now,
                    idempotency: key.clone(),
                };
                match self.writes.submit(op).await {
                    Err(StoreError::Duplicate("tracking_code")) if attempts < 5 => continue,
                    other => return other.map_err(AppError::from),
                }
            }
        })
        .await
        .inspect(|outcome| {
            tracing::info!(case = %outcome.receipt.id, number = %outcome.receipt.number, replayed = outcome.replayed, "case reported");
        })
    }

    /// The grid a report that names only its village is registered in: the grid of that
    /// village whose shape contains the reported position. A position inside another
    /// village's grid moves nothing — the reporter named the village, and a misplaced pin
    /// must not hand the case to another village's workers — but it is logged.
    async fn grid_of_report(&self, data: &NewCase) -> Result<Option<RegionCode>, AppError> {
        let Some(position) = data.position else {
            return Ok(None);
        };
        if data.region.level() != RegionLevel::Village {
            return Ok(None);
        }
        let containing = self.grids_containing(position).await?;
        if let Some(own) = containing.iter().find(|g| g.village == data.region) {
            tracing::debug!(village = %data.region, grid = %own.grid, "the reported position lies in a grid of the village");
            return Ok(Some(own.grid.clone()));
        }
        if let Some(other) = containing.first() {
            tracing::warn!(
                village = %data.region,
                grid = %other.grid,
                lat = position.lat,
                lon = position.lon,
                "the reported position lies in a grid of another village; the case stays in the village the report names"
            );
        }
        Ok(None)
    }

    /// The grids whose shape contains `position`, by code: the store narrows by bounding box,
    /// the domain tests the shapes.
    async fn grids_containing(&self, position: Position) -> Result<Vec<GridShape>, AppError> {
        let mut grids = self.store.grid_shape_candidates(position).await?;
        grids.retain(|g| g.shape.contains(position));
        Ok(grids)
    }

    /// The grid whose shape contains the point (on an edge two grids share, the first by
    /// code), or `NotFound` when no grid's does.
    pub async fn locate_grid(&self, lat: f64, lon: f64) -> Result<Region, AppError> {
        let position = Position::new(lat, lon).map_err(|error| ValidationError {
            field: if (-90.0..=90.0).contains(&lat) {
                "lon"
            } else {
                "lat"
            }
            .to_owned(),
            ..error
        })?;
        let grid = self
            .grids_containing(position)
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("grid"))?;
        self.store
            .region(&grid.grid)
            .await?
            .ok_or(AppError::NotFound("grid"))
    }

    fn new_case_id(&self, now: DateTime<Utc>, region: &RegionCode) -> CaseId {
        let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        CaseId::compose(millis, region, random::bytes::<10>())
    }

    /// Runs a lifecycle command on a case whose version the client saw.
    pub async fn run_command(
        &self,
        principal: &Principal,
        id: CaseId,
        expected_version: Option<u32>,
        command: Command,
        idempotency: Option<IdempotencyRequest>,
    ) -> Result<WriteOutcome, AppError> {
        let now = self.now();
        let Some(expected_version) = expected_version else {
            return Err(AppError::VersionRequired);
        };
        self.idempotent(principal.user, idempotency, true, |key| async {
            let case = self.readable_case(principal, id).await?;
            if case.version != expected_version {
                return Err(StoreError::VersionConflict {
                    expected: expected_version,
                    found: case.version,
                }
                .into());
            }
            if let Command::Triage { kind, category, .. } = &command
                && !self.category_exists(*kind, category).await?
            {
                return Err(ValidationError::new(
                    "category",
                    "unknown_category",
                    format!("`{category}` is not a category of this kind"),
                )
                .into());
            }
            if let Command::Attach { digest, .. } = &command
                && self
                    .store
                    .attachment_files(std::slice::from_ref(digest))
                    .await?
                    .is_empty()
            {
                return Err(ValidationError::new(
                    "digest",
                    "unknown_file",
                    "no file is stored under this digest; upload it first",
                )
                .into());
            }
            let units: Vec<_> = self
                .store
                .units_by_ids(&command.named_units())
                .await?
                .iter()
                .map(Unit::snapshot)
                .collect();
            // Triage sets the deadlines under the policy in force; resolution, verification
            // and stops of the clock follow the version the case runs under.
            let policy = match &command {
                Command::Triage { .. } => Some(self.deadline_policy().await?),
                Command::Resolve { .. } | Command::Verify { .. } | Command::PauseClock { .. } => {
                    Some(self.deadline_policy_of(&case).await?)
                }
                _ => None,
            };
            let deadlines = policy.as_ref().map(|policy| DeadlineContext {
                policy,
                calendar: &self.calendar,
            });
            let events = first_permitted(&principal.assignments, |actor| {
                decide_with(&case, &command, actor, now, &units, deadlines)
            })?;
            let next = fold(&case, &events)?;
            let op = WriteOp::append(case, events, next, key);
            let receipt = self.writes.submit(op).await?;
            tracing::info!(case = %id, command = %command.kind(), version = receipt.version, "command applied");
            Ok(receipt)
        })
        .await
    }

    /// One pass of the deadline sweeper: every case whose warning time or deadline has come
    /// gets its warning, or its overdue notice and escalation (`hezhi_domain::sweep`), at most
    /// `limit` cases a pass. Returns how many cases were changed. Safe to repeat and to run on
    /// several servers: a case already swept for its deadline yields nothing, and a case
    /// changed meanwhile is refused by its version and looked at again next pass.
    pub async fn sweep_deadlines(&self, limit: u32) -> Result<usize, AppError> {
        let now = self.now();
        let due = self.store.cases_to_sweep(now, limit).await?;
        let mut changed = 0;
        for case in due {
            let events = hezhi_domain::sweep::sweep(&case, now);
            if events.is_empty() {
                continue;
            }
            let next = fold(&case, &events)?;
            let id = case.id;
            let op = WriteOp::append(case.clone(), events.clone(), next, None);
            match self.writes.submit(op).await {
                Ok(_) => {
                    changed += 1;
                    // Only once the events are durable: a reminder never announces what
                    // did not happen.
                    self.send_reminders(&case, &events).await;
                }
                Err(StoreError::VersionConflict { .. }) => {
                    tracing::debug!(case = %id, "changed while sweeping; next pass");
                }
                Err(other) => return Err(other.into()),
            }
        }
        if changed > 0 {
            tracing::info!(changed, "deadline sweep");
        }
        Ok(changed)
    }

    /// Runs `write` under an idempotency key: replays a finished request, refuses a reused
    /// key or one still in flight.
    ///
    /// `look_first` reads the key's record before writing. A command must (its retry would
    /// otherwise fail the version check); a report need not: the key is recorded in the
    /// write's own transaction, so a retry of a finished report is refused there as
    /// `IdempotencyKeyTaken` and then replayed, which saves a read on every new report.
    async fn idempotent<F, Fut>(
        &self,
        user: UserId,
        request: Option<IdempotencyRequest>,
        look_first: bool,
        write: F,
    ) -> Result<WriteOutcome, AppError>
    where
        F: FnOnce(Option<IdempotencyKey>) -> Fut,
        Fut: std::future::Future<Output = Result<WriteReceipt, AppError>>,
    {
        let Some(request) = request else {
            let receipt = write(None).await?;
            let status = if receipt.version == 1 { 201 } else { 200 };
            return Ok(WriteOutcome {
                receipt,
                status,
                replayed: false,
            });
        };
        // While the guard is held no other request of this process runs with this key, so a
        // record found now is final.
        let _guard = self.in_flight.enter(user, &request.key)?;
        if look_first && let Some(outcome) = self.replay(user, &request).await? {
            return Ok(outcome);
        }
        let key = IdempotencyKey {
            user,
            key: request.key.clone(),
            request_hash: request.request_hash.clone(),
        };
        match write(Some(key)).await {
            Ok(receipt) => {
                let status = if receipt.version == 1 { 201 } else { 200 };
                Ok(WriteOutcome {
                    receipt,
                    status,
                    replayed: false,
                })
            }
            // Committed before: by an earlier attempt, or by another process.
            Err(AppError::Store(StoreError::IdempotencyKeyTaken)) => self
                .replay(user, &request)
                .await?
                .ok_or(AppError::IdempotencyInFlight),
            Err(other) => Err(other),
        }
    }

    async fn replay(
        &self,
        user: UserId,
        request: &IdempotencyRequest,
    ) -> Result<Option<WriteOutcome>, AppError> {
        let Some(record) = self.store.idempotency_record(user, &request.key).await? else {
            return Ok(None);
        };
        if record.request_hash != request.request_hash {
            return Err(AppError::IdempotencyKeyReused);
        }
        Ok(Some(WriteOutcome {
            receipt: record.receipt,
            status: record.status,
            replayed: true,
        }))
    }

    async fn readable_case(&self, principal: &Principal, id: CaseId) -> Result<Case, AppError> {
        match self.store.case(id).await? {
            Some(case) if access::can_read(principal, &case) => Ok(case),
            _ => Err(AppError::NotFound("case")),
        }
    }

    pub async fn case(&self, principal: &Principal, id: CaseId) -> Result<Case, AppError> {
        self.readable_case(principal, id).await
    }

    pub async fn events(&self, principal: &Principal, id: CaseId) -> Result<Vec<Event>, AppError> {
        self.readable_case(principal, id).await?;
        Ok(self.store.events(id).await?)
    }

    /// The parties of a case with their personal data in the clear, for a role that must
    /// contact them (the matrix's `reveal_personal_data`) on a case it may read.
    ///
    /// The reveal is written to the audit log — who, which case, why — before anything is
    /// returned: if the record cannot be written, nothing is revealed.
    pub async fn reveal_parties(
        &self,
        principal: &Principal,
        id: CaseId,
        reason: &str,
    ) -> Result<Vec<Party>, AppError> {
        let now = self.now();
        if !principal.holds_right(Action::RevealPersonalData) {
            return Err(AppError::Forbidden("personal_data_not_permitted"));
        }
        let reason =
            hezhi_domain::case::check_text("reason", reason, REVEAL_REASON_MAX_CHARS, true)?;
        let case = self.readable_case(principal, id).await?;
        let Some(actor) = principal
            .acting_on(&case, Action::RevealPersonalData)
            .next()
        else {
            return Err(AppError::Forbidden("personal_data_not_permitted"));
        };
        let county = case.county();
        self.store
            .append_audit(vec![AuditRecord {
                at: now,
                actor: Some(actor.user),
                action: "personal_data_revealed".into(),
                case: Some(case.id),
                county: Some(county.clone()),
                detail: serde_json::json!({
                    "case": case.id,
                    "number": case.number,
                    "county": county,
                    "role": actor.role.as_str(),
                    "reason": reason,
                }),
            }])
            .await?;
        tracing::info!(case = %case.id, actor = %actor.user, "personal data revealed");
        Ok(case.data.parties)
    }

    pub async fn list_cases(
        &self,
        principal: &Principal,
        mut filter: CaseFilter,
        page: PageRequest,
    ) -> Result<Page<Case>, AppError> {
        filter.scopes = Some(access::list_scopes(principal));
        Ok(self.store.list_cases(&filter, &page).await?)
    }

    // ---- reference data ---------------------------------------------------------------

    pub async fn region_with_children(
        &self,
        code: &RegionCode,
    ) -> Result<(Region, Vec<Region>), AppError> {
        let region = self
            .store
            .region(code)
            .await?
            .ok_or(AppError::NotFound("region"))?;
        let children = self.store.region_children(code).await?;
        Ok((region, children))
    }

    /// The regions without a parent: where a choice of place starts.
    pub async fn top_regions(&self) -> Result<Vec<Region>, AppError> {
        Ok(self.store.top_regions().await?)
    }

    /// A region by code.
    pub async fn region(&self, code: &RegionCode) -> Result<Region, AppError> {
        self.store
            .region(code)
            .await?
            .ok_or(AppError::NotFound("region"))
    }

    pub async fn units_in_region(&self, code: &RegionCode) -> Result<Vec<Unit>, AppError> {
        self.store
            .region(code)
            .await?
            .ok_or(AppError::NotFound("region"))?;
        Ok(self.store.units_in_region(code).await?)
    }

    pub async fn categories(&self) -> Result<Vec<Category>, AppError> {
        Ok(self.store.categories().await?)
    }

    /// Adds a category or renames one (a system administrator managing regions and
    /// categories). Codes are never removed: cases keep the code they were sorted under.
    pub async fn save_category(
        &self,
        by: &Principal,
        category: Category,
    ) -> Result<Category, AppError> {
        self.require_admin(by, Action::ManageRegions, None, None)
            .await?;
        let category = Category {
            name_zh: hezhi_domain::case::check_text("name_zh", &category.name_zh, 50, true)?,
            name_en: hezhi_domain::case::check_text("name_en", &category.name_en, 80, true)?,
            ..category
        };
        self.store
            .upsert_categories(std::slice::from_ref(&category))
            .await?;
        self.audit_system(
            Some(by.user),
            "category_saved",
            serde_json::json!({ "kind": category.kind, "code": category.code,
                "name_zh": category.name_zh, "name_en": category.name_en }),
        )
        .await?;
        Ok(category)
    }

    // ---- administration (CLI) ---------------------------------------------------------

    /// Creates a unit in an existing region, handling existing categories. `by` must manage
    /// units over that region; `None` is the operator's CLI. Recorded on the audit log's
    /// system chain (`unit_created`).
    pub async fn add_unit(
        &self,
        by: Option<&Principal>,
        name: &str,
        kind: hezhi_domain::UnitKind,
        region: RegionCode,
        categories: Vec<hezhi_domain::CategoryCode>,
    ) -> Result<Unit, AppError> {
        if let Some(principal) = by {
            self.require_admin(principal, Action::ManageUnits, Some(&region), None)
                .await?;
        }
        let name = hezhi_domain::case::check_text("name", name, 100, true)?;
        if self.store.region(&region).await?.is_none() {
            return Err(ValidationError::new("region", "unknown_region", "no such region").into());
        }
        let known = self.store.categories().await?;
        if let Some(missing) = categories
            .iter()
            .find(|c| !known.iter().any(|k| &k.code == *c))
        {
            return Err(ValidationError::new(
                "categories",
                "unknown_category",
                format!("`{missing}` is not a category"),
            )
            .into());
        }
        let unit = Unit {
            id: UnitId::from_uuid(self.new_uuid()),
            name,
            kind,
            region,
            categories,
        };
        self.store.insert_unit(&unit).await?;
        let detail = serde_json::json!({
            "unit": unit.id,
            "kind": unit.kind.as_str(),
            "region": unit.region,
            "categories": unit.categories,
        });
        self.audit_system(by.map(|p| p.user), "unit_created", detail)
            .await?;
        Ok(unit)
    }

    /// Adds (or renames) grid `number` under an existing village; recorded on the audit
    /// log's system chain (`grid_added`).
    pub async fn add_grid(
        &self,
        by: Option<&Principal>,
        village: &RegionCode,
        number: u16,
        name: &str,
    ) -> Result<Region, AppError> {
        if let Some(principal) = by {
            self.require_admin(principal, Action::ManageRegions, Some(village), None)
                .await?;
        }
        let name =
            hezhi_domain::case::check_text("name", name, crate::input::GRID_NAME_MAX_CHARS, true)?;
        self.require_village(village).await?;
        let grid = Region {
            code: RegionCode::grid(village, number)?,
            name,
            level: RegionLevel::Grid,
            parent: Some(village.clone()),
        };
        self.store
            .upsert_regions(std::slice::from_ref(&grid))
            .await?;
        let detail = serde_json::json!({ "grid": grid.code, "village": village });
        self.audit_system(by.map(|p| p.user), "grid_added", detail)
            .await?;
        Ok(grid)
    }

    async fn require_village(&self, village: &RegionCode) -> Result<(), AppError> {
        if village.level() != RegionLevel::Village || self.store.region(village).await?.is_none() {
            return Err(ValidationError::new(
                "village",
                "unknown_region",
                "grids are added under an existing village",
            )
            .into());
        }
        Ok(())
    }

    /// Creates or renames the grids of a GeoJSON `FeatureCollection` under an existing
    /// village and stores their shapes (the file's form: [`parse_grid_features`]). Every
    /// feature is checked before anything is written and all are written in one transaction,
    /// so a file with one bad feature changes nothing; importing a file again changes nothing.
    /// Grids the file does not name are left as they are. `by` must manage regions over the
    /// village; `None` is the operator's CLI.
    pub async fn import_grids(
        &self,
        by: Option<&Principal>,
        village: &RegionCode,
        collection: &serde_json::Value,
    ) -> Result<Vec<Region>, AppError> {
        if let Some(principal) = by {
            self.require_admin(principal, Action::ManageRegions, Some(village), None)
                .await?;
        }
        self.require_village(village).await?;
        let grids = parse_grid_features(collection)?
            .into_iter()
            .map(|feature| {
                let code = RegionCode::grid(village, feature.number)?;
                let region = Region {
                    code: code.clone(),
                    name: feature.name,
                    level: RegionLevel::Grid,
                    parent: Some(village.clone()),
                };
                let shape = GridShape {
                    grid: code,
                    village: village.clone(),
                    shape: feature.shape,
                };
                Ok((region, shape))
            })
            .collect::<Result<Vec<_>, ValidationError>>()?;
        self.store.upsert_grid_shapes(&grids).await?;
        let codes: Vec<&str> = grids.iter().map(|(r, _)| r.code.as_str()).collect();
        self.audit_system(
            by.map(|p| p.user),
            "grids_imported",
            serde_json::json!({ "village": village, "grids": codes }),
        )
        .await?;
        tracing::info!(village = %village, grids = grids.len(), "grid shapes imported");
        Ok(grids.into_iter().map(|(region, _)| region).collect())
    }

    /// Checks that a role's scope exists: a unit for unit-bound roles, a region for the
    /// others, nothing for residents.
    async fn check_scope(
        &self,
        role: Role,
        region: Option<&RegionCode>,
        unit: Option<UnitId>,
    ) -> Result<(), AppError> {
        if role == Role::System {
            return Err(ValidationError::new(
                "role",
                "invalid_value",
                "the system role is the platform's own and is not given to users",
            )
            .into());
        }
        if role.is_unit_bound() {
            let unit = unit.ok_or_else(|| {
                ValidationError::new("unit", "required", "this role is bound to a unit")
            })?;
            if self.store.units_by_ids(&[unit]).await?.is_empty() {
                return Err(ValidationError::new("unit", "unknown_unit", "no such unit").into());
            }
        } else if role != Role::Resident {
            let region = region.ok_or_else(|| {
                ValidationError::new("region", "required", "this role is bound to a region")
            })?;
            if !self.region_exists(region).await? {
                return Err(
                    ValidationError::new("region", "unknown_region", "no such region").into(),
                );
            }
        }
        Ok(())
    }

    /// Creates a user holding one role assignment, and an API token bound to it. The token is
    /// returned once and stored only as a hash.
    pub async fn add_user(&self, new: NewUser) -> Result<(User, String), AppError> {
        let name = hezhi_domain::case::check_text("name", &new.name, 50, true)?;
        self.check_scope(new.role, new.region.as_ref(), new.unit)
            .await?;
        if self.store.user_by_name(&name).await?.is_some() {
            return Err(
                ValidationError::new("name", "name_taken", "a user of this name exists").into(),
            );
        }
        let now = self.now();
        let id = UserId::from_uuid(self.new_uuid());
        let assignment = RoleAssignment {
            id: AssignmentId::from_uuid(self.new_uuid()),
            user: id,
            role: new.role,
            region: if new.role.is_unit_bound() {
                None
            } else {
                new.region
            },
            unit: if new.role.is_unit_bound() {
                new.unit
            } else {
                None
            },
            granted_at: now,
            granted_by: None,
        };
        let user = User {
            id,
            name,
            created_at: now,
            assignments: vec![assignment.clone()],
        };
        self.store.insert_user(&user).await?;
        let token = self.issue_token(&assignment).await?;
        self.audit_system(
            None,
            "user_created",
            serde_json::json!({ "user": user.id, "name": user.name, "role": new.role.as_str() }),
        )
        .await?;
        tracing::debug!(user = %user.id, role = new.role.as_str(), "user created");
        Ok((user, token))
    }

    /// Creates a user with no role yet (a system administrator's task; a security
    /// administrator then grants roles).
    pub async fn create_user(&self, by: &Principal, name: &str) -> Result<User, AppError> {
        self.require_admin(by, Action::ManageUsers, None, None)
            .await?;
        let name = hezhi_domain::case::check_text("name", name, 50, true)?;
        if self.store.user_by_name(&name).await?.is_some() {
            return Err(
                ValidationError::new("name", "name_taken", "a user of this name exists").into(),
            );
        }
        let user = User {
            id: UserId::from_uuid(self.new_uuid()),
            name,
            created_at: self.now(),
            assignments: Vec::new(),
        };
        self.store.insert_user(&user).await?;
        self.audit_system(
            Some(by.user),
            "user_created",
            serde_json::json!({ "user": user.id, "name": user.name }),
        )
        .await?;
        Ok(user)
    }

    /// Issues an API token for one of a user's live assignments, as a security administrator
    /// over its scope.
    pub async fn issue_token_for(
        &self,
        by: &Principal,
        user: UserId,
        assignment: AssignmentId,
    ) -> Result<String, AppError> {
        let found = self.live_assignment(user, assignment).await?;
        self.require_admin(
            by,
            Action::ManageRoleAssignments,
            found.region.as_ref(),
            found.unit,
        )
        .await?;
        let token = self.issue_token(&found).await?;
        self.audit_system(
            Some(by.user),
            "token_issued",
            serde_json::json!({ "user": user, "assignment": assignment }),
        )
        .await?;
        Ok(token)
    }

    /// A new API token acting under `assignment`, returned once and stored only as a hash.
    pub async fn issue_token(&self, assignment: &RoleAssignment) -> Result<String, AppError> {
        let token = format!("hz_{}", random::hex(&random::bytes::<24>()));
        self.store
            .insert_api_token(&ApiTokenRecord {
                id: TokenId::from_uuid(self.new_uuid()),
                token_hash: token_hash(&token),
                user: assignment.user,
                assignment: assignment.id,
                created_at: self.now(),
            })
            .await?;
        Ok(token)
    }

    /// Grants `role` (bound to `region` or `unit`) to an existing user. `granted_by` must hold
    /// the right to manage role assignments over that scope; `None` is the operator's CLI.
    pub async fn grant_role(
        &self,
        granted_by: Option<&Principal>,
        user: UserId,
        role: Role,
        region: Option<RegionCode>,
        unit: Option<UnitId>,
    ) -> Result<RoleAssignment, AppError> {
        self.check_scope(role, region.as_ref(), unit).await?;
        if let Some(principal) = granted_by {
            self.require_admin(
                principal,
                Action::ManageRoleAssignments,
                region.as_ref(),
                unit,
            )
            .await?;
        }
        self.store
            .user(user)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let assignment = RoleAssignment {
            id: AssignmentId::from_uuid(self.new_uuid()),
            user,
            role,
            region: if role.is_unit_bound() { None } else { region },
            unit: if role.is_unit_bound() { unit } else { None },
            granted_at: self.now(),
            granted_by: granted_by.map(|p| p.user),
        };
        self.store.grant_role(&assignment).await?;
        self.audit_system(
            granted_by.map(|p| p.user),
            "role_granted",
            serde_json::json!({ "user": user, "assignment": assignment.id, "role": role.as_str(),
                "region": assignment.region, "unit": assignment.unit }),
        )
        .await?;
        Ok(assignment)
    }

    /// Ends a role assignment; the tokens bound to it stop working with it.
    pub async fn revoke_role(
        &self,
        revoked_by: Option<&Principal>,
        user: UserId,
        assignment: AssignmentId,
    ) -> Result<(), AppError> {
        let found = self.live_assignment(user, assignment).await?;
        if let Some(principal) = revoked_by {
            self.require_admin(
                principal,
                Action::ManageRoleAssignments,
                found.region.as_ref(),
                found.unit,
            )
            .await?;
        }
        if !self.store.revoke_role(assignment, self.now()).await? {
            return Err(AppError::NotFound("role_assignment"));
        }
        write_lock(&self.tokens).clear();
        self.audit_system(
            revoked_by.map(|p| p.user),
            "role_revoked",
            serde_json::json!({ "user": user, "assignment": assignment, "role": found.role.as_str() }),
        )
        .await
    }

    /// One of `user`'s live role assignments.
    async fn live_assignment(
        &self,
        user: UserId,
        assignment: AssignmentId,
    ) -> Result<RoleAssignment, AppError> {
        let holder = self
            .store
            .user(user)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        holder
            .assignments
            .into_iter()
            .find(|a| a.id == assignment)
            .ok_or(AppError::NotFound("role_assignment"))
    }

    /// Every user with his live assignments, for administrators.
    pub async fn users(&self, principal: &Principal) -> Result<Vec<User>, AppError> {
        if !principal.holds_right(Action::ManageUsers)
            && !principal.holds_right(Action::ManageRoleAssignments)
        {
            return Err(DomainError::NotPermitted {
                command: hezhi_domain::CommandKind::Report,
                reason: "role_not_permitted",
            }
            .into());
        }
        Ok(self.store.users().await?)
    }

    /// Refuses unless one of the principal's assignments holds `action` over the scope: a
    /// region inside its own, or a unit whose region is.
    pub async fn require_admin(
        &self,
        principal: &Principal,
        action: Action,
        region: Option<&RegionCode>,
        unit: Option<UnitId>,
    ) -> Result<(), AppError> {
        let unit_region = match unit {
            Some(unit) => self
                .store
                .units_by_ids(&[unit])
                .await?
                .pop()
                .map(|u| u.region),
            None => None,
        };
        let target = region.or(unit_region.as_ref());
        let allowed = principal
            .with_right(action)
            .any(|actor| match (target, &actor.region) {
                (None, _) => true,
                (Some(target), Some(scope)) => target.is_within(scope),
                (Some(_), None) => false,
            });
        if allowed {
            Ok(())
        } else {
            Err(DomainError::NotPermitted {
                command: hezhi_domain::CommandKind::Report,
                reason: "role_not_permitted",
            }
            .into())
        }
    }

    pub(crate) fn new_uuid(&self) -> uuid::Uuid {
        let millis = u64::try_from(self.now().timestamp_millis()).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(millis, &random::bytes::<10>()).into_uuid()
    }
}

fn read_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `attempt` under each assignment in turn and returns the first success. A refusal
/// for lack of permission moves on to the next assignment; any other error (a bad field, a
/// state that forbids the command) is final, since no other role would change it.
fn first_permitted<T>(
    assignments: &[Actor],
    mut attempt: impl FnMut(&Actor) -> Result<T, DomainError>,
) -> Result<T, AppError> {
    let mut refusal = None;
    for actor in assignments {
        match attempt(actor) {
            Err(error @ DomainError::NotPermitted { .. }) => {
                refusal.get_or_insert(error);
            }
            other => return other.map_err(AppError::from),
        }
    }
    Err(refusal
        .unwrap_or(DomainError::NotPermitted {
            command: hezhi_domain::CommandKind::Report,
            reason: "no_role",
        })
        .into())
}

fn fold(case: &Case, events: &[Event]) -> Result<Case, AppError> {
    events
        .iter()
        .try_fold(case.clone(), |case, event| evolve(Some(case), event))
        .ok_or(AppError::Domain(DomainError::IllegalTransition {
            state: case.state,
            command: hezhi_domain::CommandKind::Report,
        }))
}
