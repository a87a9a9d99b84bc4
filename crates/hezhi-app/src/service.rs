//! The use cases. Each reads the clock once, loads what it needs, checks access, calls the
//! domain, and saves in one store call.

use crate::access;
use crate::clock::Clock;
use crate::error::AppError;
use crate::idempotency::{IdempotencyRequest, InFlight};
use crate::input::CaseInput;
use crate::random;
use chrono::{DateTime, Utc};
use hezhi_domain::{
    Actor, Case, CaseId, CaseKind, CategoryCode, Command, DomainError, Event, Party, RegionCode,
    RegionLevel, Role, TrackingCode, UnitId, UserId, ValidationError, check_report, decide, evolve,
};
use hezhi_store::{
    ApiTokenRecord, AuditRecord, CaseFilter, Category, GroupCommit, GroupCommitConfig,
    IdempotencyKey, Page, PageRequest, Region, Store, StoreError, Unit, User, WriteOp,
    WriteReceipt,
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
    tokens: RwLock<HashMap<String, (Actor, DateTime<Utc>)>>,
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
        }
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

    /// The actor behind an API token.
    ///
    /// A token found valid is remembered for [`TOKEN_CACHE_TTL`], which spares a read on
    /// every request; a token revoked in the database stops working within that time.
    pub async fn authenticate(&self, token: &str) -> Result<Actor, AppError> {
        let hash = token_hash(token);
        let now = self.now();
        if let Some((actor, checked_at)) = read_lock(&self.tokens).get(&hash)
            && now - *checked_at < TOKEN_CACHE_TTL
            && now >= *checked_at
        {
            return Ok(actor.clone());
        }
        let user = self
            .store
            .user_by_token_hash(&hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let actor = actor_of(&user);
        let mut tokens = write_lock(&self.tokens);
        if tokens.len() >= TOKEN_CACHE_CAPACITY {
            tokens.clear();
        }
        tokens.insert(hash, (actor.clone(), now));
        Ok(actor)
    }

    // ---- cases ------------------------------------------------------------------------

    /// Reports a new case (any channel).
    pub async fn report_case(
        &self,
        actor: &Actor,
        input: &CaseInput,
        idempotency: Option<IdempotencyRequest>,
    ) -> Result<WriteOutcome, AppError> {
        let now = self.now();
        let data = input.parse()?;
        check_report(&data, actor)?;
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
        self.idempotent(actor, idempotency, false, |key| async move {
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

    fn new_case_id(&self, now: DateTime<Utc>, region: &RegionCode) -> CaseId {
        let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        CaseId::compose(millis, region, random::bytes::<10>())
    }

    /// Runs a lifecycle command on a case whose version the client saw.
    pub async fn run_command(
        &self,
        actor: &Actor,
        id: CaseId,
        expected_version: Option<u32>,
        command: Command,
        idempotency: Option<IdempotencyRequest>,
    ) -> Result<WriteOutcome, AppError> {
        let now = self.now();
        let Some(expected_version) = expected_version else {
            return Err(AppError::VersionRequired);
        };
        self.idempotent(actor, idempotency, true, |key| async {
            let case = self.readable_case(actor, id).await?;
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
            let units: Vec<_> = self
                .store
                .units_by_ids(&command.named_units())
                .await?
                .iter()
                .map(Unit::snapshot)
                .collect();
            let events = decide(&case, &command, actor, now, &units)?;
            let next = fold(&case, &events)?;
            let op = WriteOp::AppendEvents {
                expected_version,
                events,
                case: Box::new(next),
                idempotency: key,
            };
            let receipt = self.writes.submit(op).await?;
            tracing::info!(case = %id, command = %command.kind(), version = receipt.version, "command applied");
            Ok(receipt)
        })
        .await
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
        actor: &Actor,
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
        let _guard = self.in_flight.enter(actor.user, &request.key)?;
        if look_first && let Some(outcome) = self.replay(actor.user, &request).await? {
            return Ok(outcome);
        }
        let key = IdempotencyKey {
            user: actor.user,
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
                .replay(actor.user, &request)
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

    async fn readable_case(&self, actor: &Actor, id: CaseId) -> Result<Case, AppError> {
        match self.store.case(id).await? {
            Some(case) if access::can_read(actor, &case) => Ok(case),
            _ => Err(AppError::NotFound("case")),
        }
    }

    pub async fn case(&self, actor: &Actor, id: CaseId) -> Result<Case, AppError> {
        self.readable_case(actor, id).await
    }

    pub async fn events(&self, actor: &Actor, id: CaseId) -> Result<Vec<Event>, AppError> {
        self.readable_case(actor, id).await?;
        Ok(self.store.events(id).await?)
    }

    /// The parties of a case with their personal data in the clear, for a role that must
    /// contact them (see [`access::may_reveal_personal_data`]) and a case it may read.
    ///
    /// The reveal is written to the audit log — who, which case, why — before anything is
    /// returned: if the record cannot be written, nothing is revealed.
    pub async fn reveal_parties(
        &self,
        actor: &Actor,
        id: CaseId,
        reason: &str,
    ) -> Result<Vec<Party>, AppError> {
        let now = self.now();
        if !access::may_reveal_personal_data(actor) {
            return Err(AppError::Forbidden("personal_data_not_permitted"));
        }
        let reason =
            hezhi_domain::case::check_text("reason", reason, REVEAL_REASON_MAX_CHARS, true)?;
        let case = self.readable_case(actor, id).await?;
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
        actor: &Actor,
        filter: CaseFilter,
        page: PageRequest,
    ) -> Result<Page<Case>, AppError> {
        match access::scope_filter(actor, filter) {
            Some(filter) => Ok(self.store.list_cases(&filter, &page).await?),
            None => Ok(Page {
                items: Vec::new(),
                next: None,
            }),
        }
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

    // ---- administration (CLI) ---------------------------------------------------------

    /// Creates a unit in an existing region, handling existing categories.
    pub async fn add_unit(
        &self,
        name: &str,
        kind: hezhi_domain::UnitKind,
        region: RegionCode,
        categories: Vec<hezhi_domain::CategoryCode>,
    ) -> Result<Unit, AppError> {
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
        Ok(unit)
    }

    /// Adds (or renames) grid `number` under an existing village.
    pub async fn add_grid(
        &self,
        village: &RegionCode,
        number: u16,
        name: &str,
    ) -> Result<Region, AppError> {
        let name = hezhi_domain::case::check_text("name", name, 50, true)?;
        let parent = self.store.region(village).await?;
        if parent.is_none() || village.level() != RegionLevel::Village {
            return Err(ValidationError::new(
                "village",
                "unknown_region",
                "grids are added under an existing village",
            )
            .into());
        }
        let grid = Region {
            code: RegionCode::grid(village, number)?,
            name,
            level: RegionLevel::Grid,
            parent: Some(village.clone()),
        };
        self.store
            .upsert_regions(std::slice::from_ref(&grid))
            .await?;
        Ok(grid)
    }

    /// Creates a user and returns the API token, which is shown once and stored only as a
    /// hash.
    pub async fn add_user(&self, new: NewUser) -> Result<(User, String), AppError> {
        let name = hezhi_domain::case::check_text("name", &new.name, 50, true)?;
        if new.role.is_unit_bound() {
            let unit = new.unit.ok_or_else(|| {
                ValidationError::new("unit", "required", "this role is bound to a unit")
            })?;
            if self.store.units_by_ids(&[unit]).await?.is_empty() {
                return Err(ValidationError::new("unit", "unknown_unit", "no such unit").into());
            }
        } else if new.role != Role::Resident {
            let region = new.region.as_ref().ok_or_else(|| {
                ValidationError::new("region", "required", "this role is bound to a region")
            })?;
            if self.store.region(region).await?.is_none() {
                return Err(
                    ValidationError::new("region", "unknown_region", "no such region").into(),
                );
            }
        }
        if self.store.user_by_name(&name).await?.is_some() {
            return Err(
                ValidationError::new("name", "name_taken", "a user of this name exists").into(),
            );
        }
        let now = self.now();
        let user = User {
            id: UserId::from_uuid(self.new_uuid()),
            name,
            role: new.role,
            region: new.region,
            unit: new.unit,
            created_at: now,
        };
        self.store.insert_user(&user).await?;
        let token = format!("hz_{}", random::hex(&random::bytes::<24>()));
        self.store
            .insert_api_token(&ApiTokenRecord {
                token_hash: token_hash(&token),
                user: user.id,
                created_at: now,
            })
            .await?;
        tracing::info!(user = %user.id, role = user.role.as_str(), "user created");
        Ok((user, token))
    }

    fn new_uuid(&self) -> uuid::Uuid {
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

/// The actor a stored user acts as.
pub fn actor_of(user: &User) -> Actor {
    Actor {
        user: user.id,
        role: user.role,
        region: user.region.clone(),
        unit: user.unit,
    }
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
