//! `caseloadEvents` over graphql-transport-ws at `/graphql/ws`, against a real server on a
//! local port: a counselor hears about their own clients only (a supervisor about the
//! team's; a reassigned client leaves the old counselor's stream), a connection without a
//! valid token is refused, a subscription ends with its session, and on PostgreSQL a change
//! made through one node reaches a subscriber on another.

use std::{collections::HashSet, future::Future, time::Duration};

use continuum::startup::Application;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::oneshot,
    task::JoinHandle,
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::documents::{REFER, REFERRAL_STATUS, REGISTER};
use crate::fixtures::*;
use crate::helpers::*;

const SUBSCRIPTION: &str = "subscription { caseloadEvents { clientId kind actorId subjectId at } }";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

// ---------------------------------------------------------------------------------------
// A server on a local port.

/// One running `Application`, stopped through a oneshot.
struct Node {
    port: u16,
    clock: continuum::clock::ManualClock,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Node {
    /// Builds (connects, migrates, binds 127.0.0.1:0) and serves; only the first node of a
    /// database creates the admin.
    async fn start(database_url: &str, bootstrap: bool) -> Node {
        Node::start_with(database_url, bootstrap, &[]).await
    }

    async fn start_with(database_url: &str, bootstrap: bool, extra: &[(&str, &str)]) -> Node {
        let config = test_config(database_url, extra);
        let clock = continuum::clock::ManualClock::new();
        let application = Application::build(config)
            .await
            .expect("the application builds")
            .with_clock(std::sync::Arc::new(clock.clone()));
        if bootstrap {
            application.bootstrap().await.expect("the first admin");
        }
        let port = application.port();
        assert_ne!(port, 0, "bound to a port");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(application.run_until(async move {
            let _ = stopped.await;
        }));
        Node { port, clock, stop: Some(stop), task }
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(Duration::from_secs(5), &mut self.task).await {
            Ok(result) => result.expect("the server task").expect("the server stops cleanly"),
            Err(_) => self.task.abort(),
        }
    }
}

/// Decodes a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// `POST /graphql` over a plain HTTP/1.1 connection; returns the whole JSON response.
async fn post_graphql(port: u16, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{auth}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect to the server");
    stream.write_all(request.as_bytes()).await.expect("send the request");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("the server answers in time")
        .expect("read the response");
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or_else(|| panic!("an HTTP response: {raw}"));
    assert!(head.starts_with("HTTP/1.1 200"), "GraphQL over HTTP answers 200: {raw}");
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() };
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("JSON ({e}): {body}"))
}

async fn gql_ok(port: u16, token: Option<&str>, query: &str, variables: Value) -> Value {
    let response = post_graphql(port, token, query, variables).await;
    assert!(response.get("errors").is_none(), "unexpected errors: {response}");
    response["data"].clone()
}

/// A server listening on a port, answering GraphQL like the in-process router.
struct Served(u16);

impl Api for Served {
    fn gql_ok(&self, token: Option<&str>, query: &str, variables: Value) -> impl Future<Output = Value> {
        gql_ok(self.0, token, query, variables)
    }
}

/// A client of these tests: born 1979-11-23, using opioids.
fn events_client(first: &str) -> NewClient {
    client(first, "Events").born("1979-11-23").using(&["OPIOIDS"])
}

/// Signs in; returns (access token, staff id).
async fn login(port: u16, email: &str, password: &str) -> (String, String) {
    let (access, _, id) = login_with_refresh(port, email, password).await;
    (access, id)
}

/// Signs in; returns (access token, refresh token, staff id).
async fn login_with_refresh(port: u16, email: &str, password: &str) -> (String, String, String) {
    let data = gql_ok(
        port,
        None,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken staff { id } } }",
        json!({ "e": email, "p": password }),
    )
    .await;
    (s(&data["login"]["accessToken"]), s(&data["login"]["refreshToken"]), s(&data["login"]["staff"]["id"]))
}

/// Creates a staff member as the admin; returns their id.
async fn create_staff(port: u16, admin: &str, email: &str, name: &str, role: &str, supervisor: Option<&str>) -> String {
    let input = json!({ "email": email, "name": name, "role": role, "password": PASSWORD, "supervisorId": supervisor });
    let data = gql_ok(
        port,
        Some(admin),
        "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }",
        json!({ "i": input }),
    )
    .await;
    s(&data["createStaff"]["id"])
}

async fn create_counselor(port: u16, admin: &str, email: &str, name: &str) -> String {
    create_staff(port, admin, email, name, "COUNSELOR", None).await
}

/// Refers the client to NA; returns the referral id (at version 1).
async fn refer(port: u16, token: &str, client: &str, group: &str) -> String {
    let input = json!({ "clientId": client, "supportGroupId": group });
    s(&gql_ok(port, Some(token), REFER, json!({ "i": input })).await["referToSupportGroup"]["id"])
}

async fn decline(port: u16, token: &str, referral: &str) {
    let input = json!({ "referralId": referral, "expectedVersion": 1, "status": "DECLINED", "reason": "not now" });
    let data = gql_ok(port, Some(token), REFERRAL_STATUS, json!({ "i": input })).await;
    assert_eq!(data["updateReferralStatus"]["status"], "DECLINED");
}

// ---------------------------------------------------------------------------------------
// A small graphql-transport-ws client.

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What came off the socket.
#[derive(Debug)]
enum Received {
    Json(Value),
    /// A close frame (with its code), the end of the stream, or a reset.
    Closed(Option<u16>),
    /// Nothing within the wait.
    Silence,
}

async fn ws_connect(port: u16) -> Ws {
    let mut request = format!("ws://127.0.0.1:{port}/graphql/ws").into_client_request().expect("a ws request");
    request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("graphql-transport-ws"));
    let (ws, response) = connect_async(request).await.expect("the websocket handshake");
    assert_eq!(
        response.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws"),
        "the server speaks graphql-transport-ws"
    );
    ws
}

async fn ws_send(ws: &mut Ws, message: Value) {
    ws.send(Message::text(message.to_string())).await.expect("send on the websocket");
}

async fn ws_read(ws: &mut Ws, wait: Duration) -> Received {
    let read = async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) => return Received::Closed(None),
                Some(Ok(Message::Close(frame))) => return Received::Closed(frame.map(|f| u16::from(f.code))),
                Some(Ok(Message::Text(text))) => {
                    return Received::Json(
                        serde_json::from_str(text.as_str()).unwrap_or_else(|e| panic!("JSON ({e}): {text}")),
                    );
                }
                // Transport pings and pongs are handled by tungstenite.
                Some(Ok(_)) => continue,
            }
        }
    };
    tokio::time::timeout(wait, read).await.unwrap_or(Received::Silence)
}

/// A `caseloadEvents` subscription; events of `ignore`d clients (the warm-up) are skipped.
struct Subscription {
    ws: Ws,
    ignore: HashSet<String>,
}

impl Subscription {
    /// Connects with the token in the `connection_init` payload, waits for the ack, subscribes.
    async fn open(port: u16, token: &str) -> Subscription {
        let mut ws = ws_connect(port).await;
        let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
        ws_send(&mut ws, init).await;
        match ws_read(&mut ws, Duration::from_secs(10)).await {
            Received::Json(ack) if ack["type"] == "connection_ack" => {}
            other => panic!("expected connection_ack, got {other:?}"),
        }
        ws_send(&mut ws, json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIPTION } })).await;
        Subscription { ws, ignore: HashSet::new() }
    }

    /// The next `caseloadEvents` event, or `None` when nothing comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match ws_read(&mut self.ws, left).await {
                Received::Silence => return None,
                Received::Closed(code) => panic!("the subscription closed ({code:?})"),
                Received::Json(message) => match message["type"].as_str() {
                    Some("next") => {
                        assert_eq!(message["id"], "1");
                        assert!(message["payload"]["errors"].is_null(), "an error event: {message}");
                        let event = message["payload"]["data"]["caseloadEvents"].clone();
                        if !self.ignore.contains(&s(&event["clientId"])) {
                            return Some(event);
                        }
                    }
                    Some("ping") => ws_send(&mut self.ws, json!({ "type": "pong" })).await,
                    Some("pong") => {}
                    _ => panic!("unexpected message: {message}"),
                },
            }
        }
    }

    /// Subscriptions start listening a moment after `subscribe` (and on PostgreSQL each node
    /// LISTENs on its own connection): registers throwaway clients through `port` until one
    /// is heard, then ignores them. After this, nothing published can be missed, and nothing
    /// published before can still arrive.
    async fn wait_until_listening(&mut self, port: u16, token: &str) {
        for attempt in 0..40 {
            let id = events_client(&format!("Warmup{attempt}")).register(&Served(port), token).await;
            self.ignore.insert(id.clone());
            let heard = async {
                loop {
                    match ws_read(&mut self.ws, Duration::from_millis(250)).await {
                        Received::Json(m) if m["type"] == "next" => {
                            // A change made just before subscribing may still be on its way
                            // (on PostgreSQL it travels through NOTIFY): skip it. Events come
                            // in order, so once a warm-up client is heard, nothing older follows.
                            let event = &m["payload"]["data"]["caseloadEvents"];
                            if self.ignore.contains(&s(&event["clientId"])) {
                                assert_eq!(event["kind"], "CLIENT_REGISTERED", "{m}");
                                return true;
                            }
                        }
                        Received::Json(m) if m["type"] == "ping" || m["type"] == "pong" => continue,
                        Received::Json(m) => panic!("unexpected message: {m}"),
                        Received::Closed(code) => panic!("the subscription closed ({code:?})"),
                        Received::Silence => return false,
                    }
                }
            };
            if heard.await {
                return;
            }
        }
        panic!("the subscription never started listening");
    }

    async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

#[track_caller]
fn assert_event(event: &Value, kind: &str, client: &str, actor: &str, subject: Option<&str>) {
    assert_eq!(event["kind"], kind, "{event}");
    assert_eq!(event["clientId"], client, "{event}");
    assert_eq!(event["actorId"], actor, "{event}");
    if let Some(subject) = subject {
        assert_eq!(event["subjectId"], subject, "{event}");
    }
    assert!(
        event["at"].as_str().is_some_and(|at| chrono::DateTime::parse_from_rfc3339(at).is_ok()),
        "an RFC 3339 time: {event}"
    );
}

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_counselor_hears_about_their_own_clients_and_nothing_about_others() {
    let db = TestDatabase::create().await;
    let node = Node::start(&db.url, true).await;
    let port = node.port;

    let (admin, _) = login(port, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    create_counselor(port, &admin, "ann@events.test", "Ann Counselor").await;
    create_counselor(port, &admin, "bob@events.test", "Bob Counselor").await;
    let (ann, ann_id) = login(port, "ann@events.test", PASSWORD).await;
    let (bob, _) = login(port, "bob@events.test", PASSWORD).await;
    let ann_client = events_client("Ada").register(&Served(port), &ann).await;
    let bob_client = events_client("Bert").register(&Served(port), &bob).await;
    let ann_episode = admission(&ann_client, "REHAB").level("L3_5").admit(&Served(port), &ann).await.id;
    let bob_episode = admission(&bob_client, "REHAB").level("L3_5").admit(&Served(port), &bob).await.id;
    let na = group_id(&Served(port), &ann, "NA").await;

    let mut events = Subscription::open(port, &ann).await;
    events.wait_until_listening(port, &ann).await;

    // Bob's client changes first, then Ann's: the first event Ann hears is her own.
    change_stage(&Served(port), &bob, &bob_episode, 1, "AFTERCARE", None).await;
    let bob_referral = refer(port, &bob, &bob_client, &na).await;
    change_stage(&Served(port), &ann, &ann_episode, 1, "AFTERCARE", None).await;
    let first = events.next(WAIT).await.expect("Ann's stage change is heard");
    assert_event(&first, "STAGE_CHANGED", &ann_client, &ann_id, Some(&ann_episode));

    // Her referral: created, then its status changed.
    let referral = refer(port, &ann, &ann_client, &na).await;
    let created = events.next(WAIT).await.expect("the referral is heard");
    assert_event(&created, "REFERRAL_CREATED", &ann_client, &ann_id, Some(&referral));
    decline(port, &bob, &bob_referral).await;
    decline(port, &ann, &referral).await;
    let changed = events.next(WAIT).await.expect("the status change is heard");
    assert_event(&changed, "REFERRAL_STATUS_CHANGED", &ann_client, &ann_id, Some(&referral));

    // Nothing else: none of Bob's changes arrive late.
    assert_eq!(events.next(Duration::from_millis(500)).await, None, "nothing about Bob's client");

    events.close().await;
    node.shutdown().await;
}

/// Sends `connection_init` with the payload; the server must close the socket without an ack.
async fn assert_refused(port: u16, payload: Value, what: &str) {
    let mut ws = ws_connect(port).await;
    ws_send(&mut ws, json!({ "type": "connection_init", "payload": payload })).await;
    loop {
        match ws_read(&mut ws, WAIT).await {
            Received::Json(m) => {
                assert_ne!(m["type"], "connection_ack", "{what}: no ack");
                assert_ne!(m["type"], "next", "{what}: no events");
            }
            Received::Closed(code) => {
                assert_ne!(code, Some(1000), "{what}: not a normal closure");
                break;
            }
            Received::Silence => panic!("{what}: the server neither refused nor closed the connection"),
        }
    }
    // A subscription sent anyway gets nothing back.
    let _ = ws
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIPTION } }).to_string(),
        ))
        .await;
    assert!(!matches!(ws_read(&mut ws, Duration::from_millis(300)).await, Received::Json(_)), "{what}: nothing after");
}

#[tokio::test]
async fn a_subscription_without_a_valid_token_is_refused() {
    let db = TestDatabase::create().await;
    let node = Node::start(&db.url, true).await;
    let port = node.port;

    assert_refused(port, json!({ "authorization": "Bearer not-a-token" }), "a garbage token").await;
    assert_refused(port, json!({ "authorization": "not-even-bearer" }), "no Bearer scheme").await;
    assert_refused(port, json!({}), "no token").await;
    assert_refused(port, Value::Null, "no payload").await;

    // A token signed with another secret is refused too.
    let (admin, _) = login(port, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut parts: Vec<String> = admin.split('.').map(str::to_owned).collect();
    if let Some(signature) = parts.last_mut() {
        *signature = signature.chars().rev().collect();
    }
    assert_refused(port, json!({ "authorization": format!("Bearer {}", parts.join(".")) }), "a forged token").await;

    // An admin signs in, but caseload events are not theirs to see: 4403 at connection_init.
    let mut ws = ws_connect(port).await;
    ws_send(&mut ws, json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {admin}") } }))
        .await;
    match ws_read(&mut ws, WAIT).await {
        Received::Closed(Some(4403)) => {}
        other => panic!("the admin's socket is closed with 4403: {other:?}"),
    }
    // And bad credentials close with 4401, as graphql-transport-ws defines.
    let mut ws = ws_connect(port).await;
    ws_send(&mut ws, json!({ "type": "connection_init", "payload": { "authorization": "Bearer not-a-token" } })).await;
    match ws_read(&mut ws, WAIT).await {
        Received::Closed(Some(4401)) => {}
        other => panic!("a bad token closes with 4401: {other:?}"),
    }

    node.shutdown().await;
}

#[tokio::test]
async fn a_change_made_through_one_node_reaches_a_subscriber_on_another() {
    let db = TestDatabase::create().await;
    if !db.is_postgres() {
        println!("skipped: events across nodes need PostgreSQL (set TEST_DATABASE_URL)");
        return;
    }
    // Two nodes on one database: the same DATABASE_URL and the same JWT secret.
    let node1 = Node::start(&db.url, true).await;
    let node2 = Node::start(&db.url, false).await;
    assert_ne!(node1.port, node2.port);

    let (admin, _) = login(node2.port, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    create_counselor(node2.port, &admin, "ann@nodes.test", "Ann Counselor").await;
    let (ann, ann_id) = login(node2.port, "ann@nodes.test", PASSWORD).await;
    let client = events_client("Nina").register(&Served(node2.port), &ann).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&Served(node2.port), &ann).await.id;

    // Ann's portal is connected to node 1 with the token node 2 issued.
    let mut events = Subscription::open(node1.port, &ann).await;
    events.wait_until_listening(node2.port, &ann).await;

    change_stage(&Served(node2.port), &ann, &episode, 1, "AFTERCARE", None).await;
    let event = events.next(Duration::from_secs(2)).await.expect("node 1 hears node 2's change within 2 s");
    assert_event(&event, "STAGE_CHANGED", &client, &ann_id, Some(&episode));

    events.close().await;
    node2.shutdown().await;
    node1.shutdown().await;
}

#[tokio::test]
async fn a_supervisor_hears_the_team_and_a_reassigned_client_leaves_the_old_counselors_stream() {
    let db = TestDatabase::create().await;
    let node = Node::start(&db.url, true).await;
    let port = node.port;

    let (admin, _) = login(port, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let sue_id = create_staff(port, &admin, "sue@events.test", "Sue Supervisor", "SUPERVISOR", None).await;
    create_staff(port, &admin, "ann@events.test", "Ann Counselor", "COUNSELOR", Some(&sue_id)).await;
    let bob_id = create_staff(port, &admin, "bob@events.test", "Bob Counselor", "COUNSELOR", Some(&sue_id)).await;
    let (sue, _) = login(port, "sue@events.test", PASSWORD).await;
    let (ann, ann_id) = login(port, "ann@events.test", PASSWORD).await;
    let (bob, _) = login(port, "bob@events.test", PASSWORD).await;
    let ann_client = events_client("Ada").register(&Served(port), &ann).await;
    let bob_client = events_client("Bert").register(&Served(port), &bob).await;
    let ann_episode = admission(&ann_client, "REHAB").level("L3_5").admit(&Served(port), &ann).await.id;
    let bob_episode = admission(&bob_client, "REHAB").level("L3_5").admit(&Served(port), &bob).await.id;

    let mut team = Subscription::open(port, &sue).await;
    team.wait_until_listening(port, &sue).await;
    let mut own = Subscription::open(port, &ann).await;
    own.wait_until_listening(port, &ann).await;
    // Sue's own warm-up clients are hers; Ann's are Ann's, so Sue hears them too.
    team.ignore.extend(own.ignore.iter().cloned());
    while team.next(Duration::from_millis(300)).await.is_some() {}

    // Sue hears both counselors' clients.
    change_stage(&Served(port), &ann, &ann_episode, 1, "AFTERCARE", None).await;
    let heard = team.next(WAIT).await.expect("Ann's change reaches her supervisor");
    assert_event(&heard, "STAGE_CHANGED", &ann_client, &ann_id, Some(&ann_episode));
    assert_event(&own.next(WAIT).await.expect("and Ann"), "STAGE_CHANGED", &ann_client, &ann_id, Some(&ann_episode));
    change_stage(&Served(port), &bob, &bob_episode, 1, "AFTERCARE", None).await;
    let heard = team.next(WAIT).await.expect("Bob's change reaches his supervisor");
    assert_event(&heard, "STAGE_CHANGED", &bob_client, &bob_id, Some(&bob_episode));

    // Sue moves Ann's client to Bob: from then on it is Bob's, and Ann hears nothing of it.
    let moved = gql_ok(
        port,
        Some(&sue),
        "mutation($c: ID!, $to: ID!) { reassignClient(clientId: $c, counselorId: $to) { primaryCounselor { id } } }",
        json!({ "c": ann_client, "to": bob_id }),
    )
    .await;
    assert_eq!(moved["reassignClient"]["primaryCounselor"]["id"], bob_id.as_str());
    let heard = team.next(WAIT).await.expect("the reassignment reaches the supervisor");
    assert_eq!(heard["kind"], "CLIENT_REASSIGNED", "{heard}");
    let na = group_id(&Served(port), &bob, "NA").await;
    let referral = refer(port, &bob, &ann_client, &na).await;
    let heard = team.next(WAIT).await.expect("Bob's referral of the moved client");
    assert_event(&heard, "REFERRAL_CREATED", &ann_client, &bob_id, Some(&referral));
    assert_eq!(own.next(Duration::from_millis(500)).await, None, "Ann no longer sees the client: nothing reaches her");

    own.close().await;
    team.close().await;
    node.shutdown().await;
}

#[tokio::test]
async fn a_subscription_ends_when_its_session_ends() {
    let db = TestDatabase::create().await;
    let node = Node::start(&db.url, true).await;
    let port = node.port;

    let (admin, _) = login(port, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    create_counselor(port, &admin, "ann@events.test", "Ann Counselor").await;
    // Two sessions of Ann's: the portal's subscription on one, her changes through the other.
    let (portal, portal_refresh, _) = login_with_refresh(port, "ann@events.test", PASSWORD).await;
    let (desk, _) = login(port, "ann@events.test", PASSWORD).await;
    let client = events_client("Ada").register(&Served(port), &desk).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&Served(port), &desk).await.id;

    let mut events = Subscription::open(port, &portal).await;
    events.wait_until_listening(port, &desk).await;

    // The portal signs out: the next event is not delivered and the stream completes.
    let out =
        gql_ok(port, None, "mutation($r: String!) { logout(refreshToken: $r) }", json!({ "r": portal_refresh })).await;
    assert_eq!(out["logout"], true);
    change_stage(&Served(port), &desk, &episode, 1, "AFTERCARE", None).await;
    loop {
        match ws_read(&mut events.ws, WAIT).await {
            Received::Json(m) if m["type"] == "complete" => {
                assert_eq!(m["id"], "1");
                break;
            }
            Received::Json(m) if m["type"] == "next" => {
                let event = &m["payload"]["data"]["caseloadEvents"];
                assert!(events.ignore.contains(&s(&event["clientId"])), "no event after sign-out: {m}");
            }
            Received::Closed(_) => break,
            other => panic!("the subscription ends after sign-out: {other:?}"),
        }
    }

    events.close().await;
    node.shutdown().await;
}

/// Opens a socket and sends `connection_init` with the token; waits for the ack.
async fn ws_open(port: u16, token: &str) -> Ws {
    let mut ws = ws_connect(port).await;
    ws_send(&mut ws, json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
        .await;
    match ws_read(&mut ws, WAIT).await {
        Received::Json(ack) if ack["type"] == "connection_ack" => ws,
        other => panic!("expected connection_ack, got {other:?}"),
    }
}

/// Sends one operation on the socket; returns the first message about it.
async fn ws_operation(ws: &mut Ws, id: &str, query: &str, variables: Value) -> Value {
    ws_send(ws, json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } })).await;
    loop {
        match ws_read(ws, WAIT).await {
            Received::Json(m) if m["type"] == "ping" => ws_send(ws, json!({ "type": "pong" })).await,
            Received::Json(m) if m["id"] == id && m["type"] != "complete" => return m,
            Received::Json(_) => continue,
            other => panic!("expected an answer to {id}: {other:?}"),
        }
    }
}

/// The `extensions.code` of an answer on the socket (a `next` with errors, or an `error`).
fn ws_code(message: &Value) -> String {
    let errors = if message["type"] == "error" { &message["payload"] } else { &message["payload"]["errors"] };
    s(&errors[0]["extensions"]["code"])
}

#[tokio::test]
async fn the_socket_serves_subscriptions_only_with_the_same_checks_as_post() {
    let db = TestDatabase::create().await;
    let node = Node::start(&db.url, true).await;
    let port = node.port;
    let (admin, _) = login(port, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    create_counselor(port, &admin, "ann@socket.test", "Ann Counselor").await;
    let (ann, _) = login(port, "ann@socket.test", PASSWORD).await;
    let mut ws = ws_open(port, &ann).await;

    // Queries and mutations belong to POST /graphql: no reads, no writes, no sign-ins here.
    let query = ws_operation(&mut ws, "q", "{ clients { totalCount } }", json!({})).await;
    assert_eq!(ws_code(&query), "BAD_USER_INPUT", "{query}");
    assert!(query["payload"]["data"].is_null() || query["type"] == "error", "{query}");
    let input =
        json!({ "firstName": "Nul\u{0}", "lastName": "Byte", "dateOfBirth": "1980-01-01", "substances": ["OPIOIDS"] });
    let mutation = ws_operation(&mut ws, "m", REGISTER, json!({ "i": input })).await;
    assert_eq!(ws_code(&mutation), "BAD_USER_INPUT", "{mutation}");
    let clean =
        json!({ "firstName": "Clean", "lastName": "Input", "dateOfBirth": "1980-01-01", "substances": ["OPIOIDS"] });
    let mutation = ws_operation(&mut ws, "m2", REGISTER, json!({ "i": clean })).await;
    assert_eq!(ws_code(&mutation), "BAD_USER_INPUT", "{mutation}");
    let sign_in = ws_operation(
        &mut ws,
        "l",
        "mutation { login(email: \"ann@socket.test\", password: \"guess-guess-guess\") { accessToken } }",
        json!({}),
    )
    .await;
    assert_eq!(ws_code(&sign_in), "BAD_USER_INPUT", "{sign_in}");
    let data = gql_ok(port, Some(&ann), "{ clients { totalCount } }", json!({})).await;
    assert_eq!(data["clients"]["totalCount"], 0, "nothing was written through the socket");

    // Hostile documents are refused on the socket exactly as on POST, and it stays open.
    for (i, (what, body)) in crate::hostile::hostile_documents().into_iter().enumerate() {
        // A JSON nesting bomb never parses as a protocol message at all.
        let Ok(body) = serde_json::from_str::<Value>(&body) else { continue };
        let id = format!("h{i}");
        let answer = ws_operation(&mut ws, &id, body["query"].as_str().unwrap_or_default(), json!({})).await;
        assert_eq!(ws_code(&answer), "BAD_USER_INPUT", "{what}: {answer}");
        // The refused operation completes; wait for that before the next.
        if answer["type"] == "next" {
            match ws_read(&mut ws, WAIT).await {
                Received::Json(m) if m["type"] == "complete" && m["id"] == id.as_str() => {}
                other => panic!("{what}: expected complete, got {other:?}"),
            }
        }
    }
    let mut events = ws;
    ws_send(&mut events, json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIPTION } })).await;
    let mut events = Subscription { ws: events, ignore: HashSet::new() };
    events.wait_until_listening(port, &ann).await;
    events.close().await;

    // A page from another origin cannot open a socket; the server's own pages and the
    // allowed origins can.
    let origin_refused = |origin: &'static str| async move {
        let mut request = format!("ws://127.0.0.1:{port}/graphql/ws").into_client_request().expect("a ws request");
        request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("graphql-transport-ws"));
        request.headers_mut().insert("Origin", HeaderValue::from_static(origin));
        connect_async(request).await.is_err()
    };
    assert!(origin_refused("https://evil.example").await, "a foreign origin is refused");
    assert!(!origin_refused(Box::leak(format!("http://127.0.0.1:{port}").into_boxed_str())).await, "same origin");
    node.shutdown().await;

    let node = Node::start_with(&db.url, false, &[("CONTINUUM_ALLOWED_ORIGINS", "https://portal.clinic.test")]).await;
    let port = node.port;
    let mut request = format!("ws://127.0.0.1:{port}/graphql/ws").into_client_request().expect("a ws request");
    request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("graphql-transport-ws"));
    request.headers_mut().insert("Origin", HeaderValue::from_static("https://portal.clinic.test"));
    assert!(connect_async(request).await.is_ok(), "an allowed origin opens a socket");
    node.shutdown().await;
}

#[tokio::test]
async fn a_socket_rechecks_the_session_for_each_subscription_and_closes_when_it_ends() {
    let db = TestDatabase::create().await;
    let node = Node::start(&db.url, true).await;
    let port = node.port;
    let (admin, _) = login(port, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    create_counselor(port, &admin, "ann@socket.test", "Ann Counselor").await;
    let bob_id = create_counselor(port, &admin, "bob@socket.test", "Bob Counselor").await;

    // Ann signs out: a subscription sent on her open socket is refused, and the watchdog
    // closes the socket with 4401.
    let (ann, ann_refresh, _) = login_with_refresh(port, "ann@socket.test", PASSWORD).await;
    let mut ws = ws_open(port, &ann).await;
    gql_ok(port, None, "mutation($r: String!) { logout(refreshToken: $r) }", json!({ "r": ann_refresh })).await;
    let refused = ws_operation(&mut ws, "1", SUBSCRIPTION, json!({})).await;
    assert_eq!(ws_code(&refused), "UNAUTHENTICATED", "{refused}");
    let started = std::time::Instant::now();
    loop {
        match ws_read(&mut ws, Duration::from_secs(15)).await {
            Received::Closed(code) => {
                assert_eq!(code, Some(4401), "closed as unauthorized");
                break;
            }
            Received::Json(m) if m["type"] == "ping" => ws_send(&mut ws, json!({ "type": "pong" })).await,
            Received::Json(_) => continue,
            Received::Silence => panic!("the socket of an ended session is closed"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(12), "closed within the watchdog's period");

    // Bob is deactivated while subscribed: his socket closes too.
    let (bob, _) = login(port, "bob@socket.test", PASSWORD).await;
    let mut events = Subscription::open(port, &bob).await;
    events.wait_until_listening(port, &bob).await;
    gql_ok(
        port,
        Some(&admin),
        "mutation($id: ID!) { updateStaff(id: $id, input: { active: false }) { active } }",
        json!({ "id": bob_id }),
    )
    .await;
    loop {
        match ws_read(&mut events.ws, Duration::from_secs(15)).await {
            Received::Closed(code) => {
                assert_eq!(code, Some(4401));
                break;
            }
            Received::Json(m) if m["type"] == "ping" => ws_send(&mut events.ws, json!({ "type": "pong" })).await,
            Received::Json(_) => continue,
            Received::Silence => panic!("a deactivated account's socket is closed"),
        }
    }
    node.shutdown().await;
}

#[tokio::test]
async fn each_event_delivered_leaves_a_read_in_the_audit_trail() {
    let db = TestDatabase::create().await;
    let node = Node::start(&db.url, true).await;
    let port = node.port;
    let (admin, _) = login(port, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let ann_id = create_counselor(port, &admin, "ann@socket.test", "Ann Counselor").await;
    let (ann, _) = login(port, "ann@socket.test", PASSWORD).await;
    let mut events = Subscription::open(port, &ann).await;
    events.wait_until_listening(port, &ann).await;
    let client = events_client("Ada").register(&Served(port), &ann).await;
    let event = events.next(WAIT).await.expect("the registration is heard");
    assert_eq!(event["clientId"], client.as_str());

    let trail = gql_ok(
        port,
        Some(&admin),
        "query($c: ID!) { auditEvents(filter: { clientId: $c }, first: 50) { edges { node { action field outcome staffId } } } }",
        json!({ "c": client }),
    )
    .await;
    let delivered = trail["auditEvents"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter(|e| e["node"]["field"] == "caseloadEvents" && e["node"]["staffId"] == ann_id.as_str())
                .count()
        })
        .unwrap_or_default();
    assert_eq!(delivered, 1, "one read event for the delivered event: {trail}");
    events.close().await;
    node.shutdown().await;
}

#[tokio::test]
async fn events_under_an_emergency_grant_stop_when_the_grant_expires_on_the_service_clock() {
    let db = TestDatabase::create().await;
    let node = Node::start_with(&db.url, true, &[("CONTINUUM_EMERGENCY_ACCESS_MINUTES", "1")]).await;
    let port = node.port;
    let (admin, _) = login(port, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    create_counselor(port, &admin, "ann@grant.test", "Ann Counselor").await;
    create_counselor(port, &admin, "bob@grant.test", "Bob Counselor").await;
    let (ann, _) = login(port, "ann@grant.test", PASSWORD).await;
    let (bob, _) = login(port, "bob@grant.test", PASSWORD).await;
    let client = events_client("Ada").register(&Served(port), &ann).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&Served(port), &ann).await.id;
    gql_ok(
        port,
        Some(&bob),
        "mutation($c: ID!) { requestEmergencyAccess(clientId: $c, reason: \"overdose call, chart needed\") { id } }",
        json!({ "c": client }),
    )
    .await;

    // Bob's subscription hears about Ada while his grant (one minute here) lasts...
    let mut events = Subscription::open(port, &bob).await;
    events.wait_until_listening(port, &bob).await;
    change_stage(&Served(port), &ann, &episode, 1, "AFTERCARE", None).await;
    let heard = events.next(WAIT).await.expect("heard under the grant");
    assert_eq!(heard["clientId"], client.as_str());

    // ...and not once it has expired, though the subscription began inside it. Tokens and
    // sessions last longer: the socket stays open, only Ada's events stop.
    node.clock.advance(chrono::Duration::minutes(2));
    let group = group_id(&Served(port), &ann, "NA").await;
    refer(port, &ann, &client, &group).await;
    loop {
        match ws_read(&mut events.ws, Duration::from_secs(2)).await {
            Received::Json(m) if m["type"] == "next" => {
                let event = &m["payload"]["data"]["caseloadEvents"];
                assert_ne!(event["clientId"], client.as_str(), "nothing about Ada after the grant expired: {m}");
            }
            Received::Json(_) => continue,
            Received::Silence => break,
            Received::Closed(code) => panic!("the socket stays open ({code:?})"),
        }
    }
    events.close().await;
    node.shutdown().await;
}
