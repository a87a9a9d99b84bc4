//! Running a scenario on a backend, and sending it requests: a [`Harness`] holds the router
//! over a fresh store with the [`Fixture`] loaded, and a [`Call`] is one request built up
//! step by step and sent with `tower::ServiceExt::oneshot`.

use crate::fixture::{Fixture, Person};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use chrono::{DateTime, Utc};
use hezhi_app::{App, ManualClock, SignInPolicy, SmsFuture, SmsSender};
use hezhi_domain::Phone;
use hezhi_store::Store;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Monday 2 March 2026, 09:00 in Beijing: every scenario starts here and moves the clock
/// only on purpose.
pub fn start_of_test() -> DateTime<Utc> {
    "2026-03-02T01:00:00Z".parse().expect("start time")
}

/// One scenario's world: the router, the store behind it, the clock it reads, and the people
/// and units of the fixture.
pub struct Harness {
    pub router: Router,
    /// The application behind the router, for setting up what the API does not create
    /// (users with a token, as the operator's CLI does) and what only an operator does
    /// (setting passwords).
    pub app: Arc<App>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub fx: Fixture,
    /// Every SMS the app sent (residents' sign-in codes).
    pub sms: Arc<RecordingSms>,
}

/// An SMS sender that keeps the messages instead of sending them.
#[derive(Debug, Default)]
pub struct RecordingSms(Mutex<Vec<(String, String)>>);

impl SmsSender for RecordingSms {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str) -> SmsFuture<'a> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((phone.as_str().to_owned(), text.to_owned()));
        Box::pin(async { Ok(()) })
    }
}

impl RecordingSms {
    /// Every message so far, oldest first: (phone, text).
    pub fn messages(&self) -> Vec<(String, String)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The code in the last message sent to `phone` (its first run of six digits).
    #[track_caller]
    pub fn last_code(&self, phone: &str) -> String {
        let messages = self.messages();
        let (_, text) = messages
            .iter()
            .rev()
            .find(|(to, _)| to == phone)
            .unwrap_or_else(|| panic!("no SMS to {phone}"));
        let digits: Vec<char> = text.chars().collect();
        digits
            .windows(6)
            .find(|w| w.iter().all(char::is_ascii_digit))
            .map(|w| w.iter().collect())
            .unwrap_or_else(|| panic!("no code in {text}"))
    }
}

impl Harness {
    pub async fn new(store: Arc<dyn Store>) -> Harness {
        let clock = Arc::new(ManualClock::new(start_of_test()));
        let sms = Arc::new(RecordingSms::default());
        let app = Arc::new(App::new(store.clone(), clock.clone()).with_sms_sender(sms.clone()));
        let fx = Fixture::load(&app, store.as_ref()).await;
        Harness {
            router: hezhi_web::router(app.clone()),
            app,
            store,
            clock,
            fx,
            sms,
        }
    }

    /// The same world served by an app with `policy`, behind a router told `settings`.
    pub fn reconfigured(self, policy: SignInPolicy, settings: hezhi_web::WebSettings) -> Harness {
        let app = Arc::new(
            App::new(self.store.clone(), self.clock.clone())
                .with_sign_in_policy(policy)
                .with_sms_sender(self.sms.clone()),
        );
        Harness {
            router: hezhi_web::router_with(Arc::clone(&app), settings),
            app,
            ..self
        }
    }

    pub fn delete(&self, uri: impl Into<String>) -> Call {
        Call::new(self.router.clone(), Method::DELETE, uri.into())
    }

    /// A new user with one role, signed in by an API token.
    pub async fn person(
        &self,
        name: &str,
        role: hezhi_domain::Role,
        region: Option<&str>,
        unit: Option<hezhi_domain::UnitId>,
    ) -> Person {
        let (user, token) = self
            .app
            .add_user(hezhi_app::NewUser {
                name: name.to_owned(),
                role,
                region: region.map(|r| hezhi_domain::RegionCode::parse(r).expect("region code")),
                unit,
            })
            .await
            .expect("user");
        Person {
            id: user.id,
            name: name.to_owned(),
            token,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        hezhi_app::Clock::now(self.clock.as_ref())
    }

    pub fn get(&self, uri: impl Into<String>) -> Call {
        Call::new(self.router.clone(), Method::GET, uri.into())
    }

    pub fn post(&self, uri: impl Into<String>) -> Call {
        Call::new(self.router.clone(), Method::POST, uri.into())
    }

    /// Cases and events stored, straight from the store.
    pub async fn counts(&self) -> (u64, u64) {
        self.store
            .count_cases_and_events()
            .await
            .expect("count cases and events")
    }

    /// Reports a case as `who` and returns it at version 1.
    pub async fn report(&self, who: &Person, body: &Value) -> CaseRef {
        let reply = self
            .post("/api/v1/cases")
            .by(who)
            .json(body)
            .send()
            .await
            .expect_status(201);
        CaseRef {
            id: reply.str("id").to_owned(),
            version: reply.version(),
        }
    }

    /// Runs `command` on `case` at the version the caller last saw.
    pub async fn command(
        &self,
        who: &Person,
        case: &CaseRef,
        command: &str,
        body: &Value,
    ) -> Reply {
        self.post(format!("/api/v1/cases/{}/{command}", case.id))
            .by(who)
            .if_match(case.version)
            .json(body)
            .send()
            .await
    }

    /// Runs `command` and insists that it is applied: 200, the next version, an ETag that
    /// names it. Moves `case` to that version and returns the new state.
    #[track_caller]
    pub fn step<'a>(
        &'a self,
        who: &'a Person,
        case: &'a mut CaseRef,
        command: &'a str,
        body: Value,
    ) -> impl Future<Output = String> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let reply = self.command(who, case, command, &body).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{command} by {} at {caller}: {}",
                who.name,
                reply.text()
            );
            let version = reply.version();
            assert_eq!(version, case.version + 1, "{command} adds one event");
            assert_eq!(reply.etag(), Some(format!("\"{version}\"").as_str()));
            case.version = version;
            reply.str("state").to_owned()
        }
    }

    /// The case as `who` sees it (200 expected).
    pub async fn show(&self, who: &Person, case: &CaseRef) -> Value {
        self.get(format!("/api/v1/cases/{}", case.id))
            .by(who)
            .send()
            .await
            .expect_status(200)
            .json
    }

    /// The ids of the cases `who` lists with `query` (one page), newest first.
    pub async fn list(&self, who: &Person, query: &str) -> Vec<String> {
        let reply = self
            .get(format!("/api/v1/cases?{query}"))
            .by(who)
            .send()
            .await
            .expect_status(200);
        reply.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// A case reported by the intake clerk and taken through accept and triage by the
    /// dispatcher: ready to be dispatched.
    pub async fn triaged_case(&self, body: &Value) -> CaseRef {
        self.triaged_case_as(body, "yellow").await
    }

    /// A case reported by the clerk, accepted and triaged with `urgency` by the dispatcher.
    pub async fn triaged_case_as(&self, body: &Value, urgency: &str) -> CaseRef {
        let fx = &self.fx;
        let mut case = self.report(&fx.clerk, body).await;
        self.step(&fx.clerk, &mut case, "accept", json!({})).await;
        let category = body["category"].as_str().expect("category");
        self.step(
            &fx.dispatcher,
            &mut case,
            "triage",
            crate::fixture::triage_body(body["kind"].as_str().expect("kind"), category, urgency),
        )
        .await;
        case
    }

    /// The fixture's supporting department confirms its part of a dispatched, acknowledged
    /// case and the committee resolves it as settled with `note`.
    pub async fn settle(&self, case: &mut CaseRef, note: &str) {
        let fx = &self.fx;
        self.step(&fx.department_handler, case, "confirm_part", json!({}))
            .await;
        self.step(
            &fx.committee_handler,
            case,
            "resolve",
            json!({ "outcome": "settled", "note": note }),
        )
        .await;
    }

    /// A triaged case dispatched to the town mediation committee (lead) with the county
    /// department supporting, due in a week.
    pub async fn dispatched_case(&self, body: &Value) -> CaseRef {
        let mut case = self.triaged_case(body).await;
        let due = self.now() + chrono::Duration::days(7);
        let dispatch = self.fx.dispatch_to_committee_with_department(due);
        self.step(&self.fx.dispatcher, &mut case, "dispatch", dispatch)
            .await;
        case
    }
}

/// A case as a client knows it: its id and the version it last saw.
#[derive(Debug, Clone)]
pub struct CaseRef {
    pub id: String,
    pub version: u32,
}

/// One request, built up and then sent.
#[derive(Debug)]
pub struct Call {
    router: Router,
    method: Method,
    uri: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
    client: Option<std::net::SocketAddr>,
}

impl Call {
    fn new(router: Router, method: Method, uri: String) -> Call {
        Call {
            router,
            method,
            uri,
            headers: Vec::new(),
            body: Vec::new(),
            client: None,
        }
    }

    /// As if sent from `address` (what `into_make_service_with_connect_info` provides).
    pub fn sent_from(mut self, address: &str) -> Call {
        let ip: std::net::IpAddr = address.parse().expect("IP address");
        self.client = Some(std::net::SocketAddr::new(ip, 50_000));
        self
    }

    /// With the session cookie `session_id`.
    pub fn cookie(self, session_id: &str) -> Call {
        self.text_header("cookie", &format!("hezhi_session={session_id}"))
    }

    pub fn csrf(self, token: &str) -> Call {
        self.text_header("x-csrf-token", token)
    }

    pub fn method(mut self, method: Method) -> Call {
        self.method = method;
        self
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Call {
        self.headers.push((name, value));
        self
    }

    pub fn text_header(self, name: &'static str, value: &str) -> Call {
        let value = HeaderValue::from_str(value).expect("header value");
        self.header(HeaderName::from_static(name), value)
    }

    /// Authenticated as `who`.
    pub fn by(self, who: &Person) -> Call {
        self.bearer(&who.token)
    }

    pub fn bearer(self, token: &str) -> Call {
        self.text_header("authorization", &format!("Bearer {token}"))
    }

    pub fn if_match(self, version: u32) -> Call {
        self.text_header("if-match", &format!("\"{version}\""))
    }

    pub fn idempotency_key(self, key: &str) -> Call {
        self.text_header("idempotency-key", key)
    }

    pub fn english(self) -> Call {
        self.text_header("accept-language", "en-GB,en;q=0.9")
    }

    pub fn json(self, body: &Value) -> Call {
        self.raw(
            Some("application/json"),
            serde_json::to_vec(body).expect("serialize body"),
        )
    }

    /// A body sent as is, with the given content type (or none).
    pub fn raw(mut self, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Call {
        if let Some(content_type) = content_type {
            self = self.header(
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type).expect("content type"),
            );
        }
        self.body = body.into();
        self
    }

    pub async fn send(self) -> Reply {
        let mut request = Request::builder().method(self.method).uri(&self.uri);
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        let mut request = request
            .body(Body::from(self.body))
            .unwrap_or_else(|e| panic!("request to {}: {e}", self.uri));
        if let Some(client) = self.client {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(client));
        }
        let response = self
            .router
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {});
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("response body").to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status: parts.status,
            headers: parts.headers,
            bytes,
            json,
        }
    }
}

/// A response, its body read and parsed as JSON when it is JSON (`Value::Null` otherwise).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Bytes,
    pub json: Value,
}

impl Reply {
    /// The seconds of the `Retry-After` header (429 answers).
    #[track_caller]
    pub fn retry_after(&self) -> u64 {
        self.headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no Retry-After: {:?}", self.headers))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    #[track_caller]
    pub fn expect_status(self, status: u16) -> Reply {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        self
    }

    pub fn etag(&self) -> Option<&str> {
        self.headers.get(header::ETAG).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn str(&self, field: &str) -> &str {
        self.json[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string `{field}` in {}", self.text()))
    }

    #[track_caller]
    pub fn version(&self) -> u32 {
        let version = self.json["version"]
            .as_u64()
            .unwrap_or_else(|| panic!("no version in {}", self.text()));
        u32::try_from(version).expect("version fits u32")
    }

    /// `error.code` of an error body ("" when the body is not one).
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn field(&self) -> Option<&str> {
        self.json["error"]["field"].as_str()
    }

    pub fn message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or_default()
    }

    /// Whether the body has the error shape of DESIGN §5: `{"error": {"code", "message",
    /// "field"?}}` with a non-empty code and message.
    pub fn is_error_body(&self) -> bool {
        let error = &self.json["error"];
        error.is_object()
            && !self.code().is_empty()
            && !self.message().is_empty()
            && (error.get("field").is_none() || error["field"].is_string())
    }
}

/// A fresh master key of personal data for one scenario's store.
fn test_keys() -> hezhi_store::PersonalDataKeys {
    hezhi_store::PersonalDataKeys::new(
        hezhi_store::MasterKey::generate().expect("randomness"),
        hezhi_store::Cipher::Aes256Gcm,
    )
}

/// Runs `scenario` against a SQLite file in a temporary directory.
pub async fn on_sqlite<F, Fut>(scenario: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = ()>,
{
    on_empty_sqlite(|store| async move { scenario(Harness::new(store).await).await }).await;
}

/// Runs `scenario` against an empty SQLite store (no fixture).
pub async fn on_empty_sqlite<F, Fut>(scenario: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = hezhi_store_sqlite::SqliteStore::open(&dir.path().join("hezhi.db"), &test_keys())
        .await
        .expect("open SQLite");
    scenario(Arc::new(store)).await;
}

/// PostgreSQL scenarios at the same time: each may open a pool of its own, and other test
/// binaries share the server.
static POSTGRES_SLOTS: Semaphore = Semaphore::const_new(3);

/// Runs `scenario` against a fresh schema on the server named by `HEZHI_TEST_PG_URL`, and
/// drops the schema afterwards even when the scenario fails. Without the variable it says
/// so and passes.
pub async fn on_postgres<F, Fut>(scenario: F)
where
    F: FnOnce(Harness) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_empty_postgres(|store| async move { scenario(Harness::new(store).await).await }).await;
}

/// Runs `scenario` against an empty store in a fresh PostgreSQL schema (no fixture).
pub async fn on_empty_postgres<F, Fut>(scenario: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let url = match std::env::var("HEZHI_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!(
                "HEZHI_TEST_PG_URL is not set: skipping the PostgreSQL run of this scenario \
                 (e.g. HEZHI_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test)"
            );
            return;
        }
    };
    let _slot = POSTGRES_SLOTS.acquire().await.expect("semaphore is open");
    let schema = format!("hezhi_web_it_{}", uuid::Uuid::now_v7().simple());
    let store =
        hezhi_store_postgres::PostgresStore::connect_fresh_schema(&url, &schema, &test_keys())
            .await
            .expect("fresh PostgreSQL schema");
    let outcome = tokio::spawn(scenario(Arc::new(store.clone()))).await;
    store.drop_schema().await.expect("drop the test schema");
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Sends a JSON request to `router` outside a [`Harness`].
pub async fn send_to(router: &Router, method: &str, uri: &str, body: &Value) -> Reply {
    Call::new(
        router.clone(),
        Method::from_bytes(method.as_bytes()).expect("method"),
        uri.to_owned(),
    )
    .json(body)
    .send()
    .await
}

/// POSTs a JSON body over a real TCP connection and returns the status code.
pub async fn raw_http_post(address: std::net::SocketAddr, path: &str, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read response");
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text}"))
}

/// The audit entries with `action`, newest first.
pub async fn audited(store: &Arc<dyn Store>, action: &str) -> Vec<hezhi_store::AuditEntry> {
    store
        .search_audit(&hezhi_store::AuditFilter {
            action: Some(action.into()),
            limit: 1000,
            ..hezhi_store::AuditFilter::default()
        })
        .await
        .expect("search audit")
}

/// A SQLite store in a file of its own, for tests that read the file afterwards.
pub struct SqliteFile {
    pub dir: tempfile::TempDir,
    pub store: hezhi_store_sqlite::SqliteStore,
}

impl SqliteFile {
    pub async fn open() -> SqliteFile {
        let dir = tempfile::tempdir().expect("temporary directory");
        let keys = hezhi_store::PersonalDataKeys::new(
            hezhi_store::MasterKey::generate().expect("randomness"),
            hezhi_store::Cipher::Aes256Gcm,
        );
        let store = hezhi_store_sqlite::SqliteStore::open(&dir.path().join("hezhi.db"), &keys)
            .await
            .expect("open SQLite");
        SqliteFile { dir, store }
    }

    /// Closes the store and tells whether `needle` stands anywhere in the database file or
    /// its write-ahead log.
    pub async fn close_and_find(&self, needle: &str) -> bool {
        self.store.close().await;
        let mut raw = std::fs::read(self.dir.path().join("hezhi.db")).expect("database file");
        if let Ok(wal) = std::fs::read(self.dir.path().join("hezhi.db-wal")) {
            raw.extend(wal);
        }
        raw.windows(needle.len()).any(|w| w == needle.as_bytes())
    }
}
