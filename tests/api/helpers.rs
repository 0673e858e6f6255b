//! `TestApp`: the real router over a fresh database, with typed helpers.

#![allow(dead_code)]

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::Arc,
};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use continuum::{
    build_router,
    clock::ManualClock,
    config::Config,
    db::{self, StatementCounter},
    domain::Role,
    service,
    state::AppState,
};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
/// The audit trail's MAC key in tests (not the development default, so a tool run without
/// it finds the trail does not match).
pub const AUDIT_KEY: &str = "test-audit-key-test-audit-key-test-audit-key";
pub const ADMIN_EMAIL: &str = "admin@continuum.test";
pub const ADMIN_PASSWORD: &str = "granite-meadow-falcon-31";
pub const PASSWORD: &str = "violet-harbor-tundra-58";

/// A database made for one test and dropped after it.
pub struct TestDatabase {
    pub url: String,
    /// For PostgreSQL: the maintenance URL and the database name to drop.
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let name = format!("continuum_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
                let _ = admin.close().await;
                TestDatabase { url: replace_database(&admin_url, &name), pg: Some((admin_url, name)), _dir: None }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDatabase { url, pg: None, _dir: Some(dir) }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

/// Swaps the database name in a PostgreSQL URL, keeping any query string.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.pg.take() else { return };
        // Drop runs outside any runtime we may block: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

pub fn test_config(database_url: &str, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url.into()),
        ("CONTINUUM_JWT_SECRET".into(), JWT_SECRET.into()),
        ("CONTINUUM_AUDIT_KEY".into(), AUDIT_KEY.into()),
        ("CONTINUUM_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()),
        ("CONTINUUM_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ("CONTINUUM_DB_MAX_CONNECTIONS".into(), "5".into()),
        ("CONTINUUM_BIND".into(), "127.0.0.1:0".into()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).expect("valid test config")
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: ManualClock,
    pub statements: StatementCounter,
    pub db: TestDatabase,
}

pub struct Session {
    pub access: String,
    pub refresh: String,
    pub staff_id: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        let database = TestDatabase::create().await;
        let config = test_config(&database.url, extra);
        let (conn, statements) = db::connect(&database.url, config.database_max_connections).await.expect("connect");
        db::migrate(&conn).await.expect("migrate");
        let clock = ManualClock::new();
        let state = AppState::new(config, conn, statements.clone()).with_clock(Arc::new(clock.clone()));
        service::staff::bootstrap_admin(&state).await.expect("first admin");
        TestApp { router: build_router(state.clone()), state, clock, statements, db: database }
    }

    /// Sends a raw HTTP request through the router.
    pub async fn request(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, bytes::Bytes) {
        let response = self.router.clone().oneshot(request).await.expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("body").to_bytes();
        (status, headers, body)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, String) {
        let mut builder = Request::get(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let (status, _, body) = self.request(builder.body(Body::empty()).expect("request")).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Posts any JSON body to `/graphql` with an optional raw `Authorization` value.
    pub async fn post_graphql(&self, authorization: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut builder = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        let (status, _, body) = self.request(builder.body(Body::from(body.to_string())).expect("request")).await;
        let json = serde_json::from_slice(&body).unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&body) }));
        (status, json)
    }

    /// One GraphQL operation; returns the whole response (`data` and `errors`).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let auth = token.map(|t| format!("Bearer {t}"));
        let (status, json) =
            self.post_graphql(auth.as_deref(), json!({ "query": query, "variables": variables })).await;
        assert_eq!(status, StatusCode::OK, "GraphQL over HTTP answers 200: {json}");
        json
    }

    /// Like `gql`, but the operation must succeed; returns `data`.
    pub async fn gql_ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self.gql(token, query, variables).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response}");
        response["data"].clone()
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.gql(
            None,
            "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken expiresAt staff { id role } } }",
            json!({ "i": { "email": email, "password": password } }),
        )
        .await
    }

    pub async fn session(&self, email: &str, password: &str) -> Session {
        let response = self.login(email, password).await;
        let login = &response["data"]["login"];
        assert!(login.is_object(), "login failed: {response}");
        Session {
            access: login["accessToken"].as_str().unwrap_or_default().to_owned(),
            refresh: login["refreshToken"].as_str().unwrap_or_default().to_owned(),
            staff_id: login["staff"]["id"].as_str().unwrap_or_default().to_owned(),
        }
    }

    pub async fn admin(&self) -> Session {
        self.session(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Creates a staff member through `createStaff` as the admin; returns their id.
    pub async fn create_staff(&self, email: &str, name: &str, role: Role, supervisor_id: Option<&str>) -> String {
        let admin = self.admin().await;
        let data = self
            .gql_ok(
                Some(&admin.access),
                "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }",
                json!({ "i": { "email": email, "name": name, "role": role.as_str(), "password": PASSWORD, "supervisorId": supervisor_id } }),
            )
            .await;
        data["createStaff"]["id"].as_str().unwrap_or_default().to_owned()
    }

    /// A fresh staff member of the role, signed in.
    pub async fn login_as(&self, role: Role) -> Session {
        if role == Role::Admin {
            return self.admin().await;
        }
        let email = format!("{}-{}@continuum.test", role.as_str().to_lowercase(), uuid::Uuid::new_v4().simple());
        self.create_staff(&email, &format!("Test {}", role.as_str()), role, None).await;
        self.session(&email, PASSWORD).await
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

pub fn error_field(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["field"].as_str()
}

#[track_caller]
pub fn assert_code(response: &Value, code: &str) {
    assert_eq!(error_code(response), Some(code), "expected {code}: {response}");
}

/// The `extensions.rule` of the first error: the domain rule that refused a change.
pub fn rule(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["rule"].as_str()
}

/// A change refused by the named domain rule (`BAD_USER_INPUT` with `extensions.rule`).
#[track_caller]
pub fn assert_rule(response: &Value, expected: &str) {
    assert_code(response, "BAD_USER_INPUT");
    assert_eq!(rule(response), Some(expected), "expected rule {expected}: {response}");
}

/// The built `continuum` binary, serving a fresh database on a port of its own choosing.
pub struct BinaryServer {
    child: Child,
    pub base: String,
    _db: TestDatabase,
}

impl BinaryServer {
    /// Starts it with these settings on top of the test ones (database, secrets, admin).
    pub async fn start(settings: &[(&str, &str)]) -> BinaryServer {
        BinaryServer::start_with(&[], settings).await
    }

    /// Starts it with these command-line arguments (`serve --demo`) and settings.
    pub async fn start_with(args: &[&str], settings: &[(&str, &str)]) -> BinaryServer {
        let db = TestDatabase::create().await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_continuum"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.url)
            .env("CONTINUUM_JWT_SECRET", JWT_SECRET)
            .env("CONTINUUM_AUDIT_KEY", AUDIT_KEY)
            .env("CONTINUUM_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("CONTINUUM_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("CONTINUUM_BIND", "127.0.0.1:0")
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .envs(settings.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the continuum binary starts");
        let stdout = child.stdout.take().expect("stdout");
        // The log line `serving address=127.0.0.1:PORT` names the port.
        let (found, lines) = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let found = lines.by_ref().map_while(Result::ok).find_map(|line| {
                let line = strip_ansi(&line);
                line.contains("serving").then(|| {
                    line.split("address=").nth(1).map(|a| a.split_whitespace().next().unwrap_or_default().to_owned())
                })?
            });
            (found, lines)
        })
        .await
        .expect("the log reader");
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let address = found.expect("the server logs the address it serves");
        BinaryServer { child, base: format!("http://{address}"), _db: db }
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for BinaryServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
