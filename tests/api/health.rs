//! Health, readiness, metrics and request ids.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use axum::http::StatusCode;
use serde_json::json;
use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    sync::Mutex,
    task::JoinHandle,
};

use crate::helpers::*;

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz", None).await.0, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_requests_by_operation_type() {
    let app = TestApp::spawn().await;
    continuum::http::metrics::handle();
    app.gql(None, "{ me { id } }", json!({})).await;
    let (status, body) = app.get("/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("continuum_graphql_requests_total{operation_type=\"query\",outcome=\"error\"}"), "{body}");
    assert!(body.contains("continuum_http_request_duration_seconds_bucket"), "{body}");
    assert!(body.contains("continuum_db_pool_connections"), "{body}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let request = axum::http::Request::get("/healthz")
        .header("x-request-id", "abc-123")
        .body(axum::body::Body::empty())
        .expect("request");
    let (_, headers, _) = app.request(request).await;
    assert_eq!(headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some("abc-123"));
    let request = axum::http::Request::get("/healthz").body(axum::body::Body::empty()).expect("request");
    let (_, headers, _) = app.request(request).await;
    assert!(headers.get("x-request-id").is_some());
}

#[tokio::test]
async fn graphiql_is_served_in_development() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/graphql", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("graphiql"), "{body}");
}

/// A TCP proxy in front of PostgreSQL that can be cut and restored, to play a database
/// outage without touching the shared server.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    _accept: JoinHandle<()>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let down = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (d, c) = (down.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if d.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let handle = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                c.lock().await.push(handle);
            }
        });
        Proxy { port, down, connections, _accept: accept }
    }

    async fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for handle in self.connections.lock().await.drain(..) {
            handle.abort();
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

/// Host and port of a PostgreSQL URL.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest).to_owned()
}

#[tokio::test]
async fn readyz_is_503_while_the_database_is_unreachable_and_recovers() {
    let database = TestDatabase::create().await;
    if !database.is_postgres() {
        eprintln!("readyz outage test needs TEST_DATABASE_URL (PostgreSQL); skipped on SQLite");
        return;
    }
    let proxy = Proxy::start(host_port(&database.url)).await;
    let via_proxy = database.url.replacen(&host_port(&database.url), &format!("127.0.0.1:{}", proxy.port), 1);
    let (conn, statements) = continuum::db::connect(&via_proxy, 4).await.expect("connect via proxy");
    continuum::db::migrate(&conn).await.expect("migrate");
    let state = continuum::state::AppState::new(test_config(&via_proxy, &[]), conn, statements);
    continuum::service::staff::bootstrap_admin(&state).await.expect("first admin");
    let app = TestApp {
        router: continuum::build_router(state.clone()),
        clock: Default::default(),
        statements: state.statements.clone(),
        state,
        db: database,
    };

    assert_eq!(app.get("/readyz", None).await.0, StatusCode::OK);

    proxy.cut().await;
    let started = Instant::now();
    let (status, _) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(3), "answered in {:?}", started.elapsed());

    // A GraphQL request fails fast with a code, not a hang.
    let started = Instant::now();
    let response = app
        .gql(None, "mutation { login(email: \"a@b.org\", password: \"whatever-whatever\") { accessToken } }", json!({}))
        .await;
    assert_code(&response, "UNAVAILABLE");
    assert!(started.elapsed() < Duration::from_secs(3), "answered in {:?}", started.elapsed());

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if app.get("/readyz", None).await.0 == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "ready again once the database is back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.admin().await;
}
