//! The audit trail: one event per read, change, refusal and sign-in, with who, what, which
//! client, when and the outcome (never names); a failed change leaves no event; the table
//! refuses UPDATE and DELETE; `continuum audit verify` finds a row edited behind its back.

use chrono::{DateTime, Utc};
use continuum::domain::Role;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::documents::CHANGE_STAGE;
use crate::fixtures::*;
use crate::helpers::*;

const AUDIT: &str = "query($f: AuditFilter, $first: Int, $after: String) {
    auditEvents(filter: $f, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id chain seq at staffId staffRole role action field clientId outcome requestId emergency detail hash }
    }
}";
const UPDATE_CLIENT: &str = "mutation($id: ID!, $v: Int!, $i: UpdateClientInput!) \
     { updateClient(id: $id, expectedVersion: $v, input: $i) { id version language } }";
const CLIENT: &str = "query($id: ID!) { client(id: $id) { id version firstName lastName language prefersSecular
    currentEpisode { id version stage levelOfCare stageHistory { to } } } }";
const CLIENTS: &str = "{ clients { nodes { id firstName } } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }";
const LOGOUT: &str = "mutation($t: String!) { logout(refreshToken: $t) }";

const FIRST_NAME: &str = "Marisol";
const LAST_NAME: &str = "Quintero";

/// The client every test here follows.
fn marisol() -> NewClient {
    client(FIRST_NAME, LAST_NAME).born("1979-11-02").gender("WOMAN")
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The whole trail (or the filtered part of it), newest first, every page.
async fn events(app: &TestApp, admin: &str, filter: Value) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.gql_ok(Some(admin), AUDIT, json!({ "f": filter, "first": 100, "after": after })).await;
        let page = &data["auditEvents"];
        all.extend(page["nodes"].as_array().cloned().unwrap_or_default());
        if page["pageInfo"]["hasNextPage"] != true {
            assert_eq!(page["totalCount"].as_u64(), Some(all.len() as u64), "totalCount counts every page");
            return all;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn at(event: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(event["at"].as_str().expect("at")).expect("RFC 3339").with_timezone(&Utc)
}

/// The events that match on action, field, outcome, staff and client.
fn matching<'a>(
    events: &'a [Value],
    action: &str,
    field: Option<&str>,
    outcome: &str,
    staff: Option<&str>,
    client: Option<&str>,
) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| {
            e["action"] == action
                && e["field"].as_str() == field
                && e["outcome"] == outcome
                && e["staffId"].as_str() == staff
                && e["clientId"].as_str() == client
        })
        .collect()
}

async fn counselor(app: &TestApp, email: &str) -> (String, Session) {
    let id = app.create_staff(email, "Audit Counselor", Role::Counselor, None).await;
    (id, app.session(email, PASSWORD).await)
}

#[tokio::test]
async fn reads_changes_refusals_and_failed_sign_ins_each_leave_one_event() {
    let app = TestApp::spawn().await;
    let (a_id, a) = counselor(&app, "ana@audit.test").await;
    let (b_id, b) = counselor(&app, "ben@audit.test").await;
    let client = marisol().register(&app, &a.access).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&app, &a.access).await;

    // Phase 1: the counselor reads and changes their client.
    let read = app.gql_ok(Some(&a.access), CLIENT, json!({ "id": client })).await;
    assert_eq!(read["client"]["firstName"], FIRST_NAME);
    let listed = app.gql_ok(Some(&a.access), CLIENTS, json!({})).await;
    assert_eq!(listed["clients"]["nodes"][0]["id"], client.as_str());
    let updated = app
        .gql_ok(
            Some(&a.access),
            UPDATE_CLIENT,
            json!({ "id": client, "v": read["client"]["version"], "i": { "language": "es", "prefersSecular": true } }),
        )
        .await;
    assert_eq!(updated["updateClient"]["language"], "es");
    let moved = app
        .gql_ok(
            Some(&a.access),
            CHANGE_STAGE,
            json!({ "i": { "episodeId": episode.id, "expectedVersion": episode.version, "stage": "AFTERCARE" } }),
        )
        .await;
    assert_eq!(moved["changeStage"]["stage"], "AFTERCARE");

    app.clock.advance(chrono::Duration::minutes(2));
    let mid = app.state.now();
    app.clock.advance(chrono::Duration::minutes(2));

    // Phase 2: another counselor tries to read the client; a sign-in fails.
    let denied = app.gql_ok(Some(&b.access), CLIENT, json!({ "id": client })).await;
    assert_eq!(denied["client"], Value::Null, "not on B's caseload");
    let failed = app.login("ana@audit.test", "not-the-password").await;
    assert_code(&failed, "UNAUTHENTICATED");

    let admin = app.admin().await;
    let all = events(&app, &admin.access, json!(null)).await;
    let (a_ref, b_ref, c_ref) = (Some(a_id.as_str()), Some(b_id.as_str()), Some(client.as_str()));
    let expected = [
        ("read", Some("client"), "ALLOWED", a_ref, c_ref),
        ("read", Some("clients"), "ALLOWED", a_ref, c_ref),
        ("updateClient", Some("updateClient"), "ALLOWED", a_ref, c_ref),
        ("changeStage", Some("changeStage"), "ALLOWED", a_ref, c_ref),
        ("client", Some("client"), "DENIED", b_ref, c_ref),
        ("login", Some("login"), "FAILED", a_ref, None),
    ];
    let mut request_ids = Vec::new();
    for (action, field, outcome, staff, client_id) in expected {
        let found = matching(&all, action, field, outcome, staff, client_id);
        assert_eq!(found.len(), 1, "exactly one {action}/{field:?}/{outcome} event: {found:?}\nall: {all:#?}");
        let event = found[0];
        assert_eq!(event["staffRole"], "COUNSELOR", "{event}");
        assert_eq!(event["role"], "COUNSELOR", "the Role enum beside the deprecated text: {event}");
        assert!(event["requestId"].as_str().is_some_and(|r| !r.is_empty()), "request id: {event}");
        assert_eq!(event["emergency"], false, "{event}");
        assert!(event["hash"].as_str().is_some_and(|h| h.len() == 64), "{event}");
        request_ids.push(s(&event["requestId"]));
    }
    let distinct: std::collections::HashSet<&String> = request_ids.iter().collect();
    assert_eq!(distinct.len(), request_ids.len(), "each request has its own id: {request_ids:?}");

    // Newest first; in each chain seq strictly decreasing, each seq once, from 1.
    let mut chains: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for e in &all {
        chains.entry(e["chain"].as_i64().expect("chain")).or_default().push(e["seq"].as_i64().expect("seq"));
    }
    for (chain, seqs) in &chains {
        assert!((1..=32).contains(chain), "chain {chain}");
        assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first in chain {chain}: {seqs:?}");
        assert_eq!(seqs.last(), Some(&1), "chain {chain} starts at 1");
        assert_eq!(seqs.first().map(|s| *s as usize), Some(seqs.len()), "no gaps in chain {chain}");
    }

    // Pages of three walk the same trail, newest first, without overlap.
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.gql_ok(Some(&admin.access), AUDIT, json!({ "first": 3, "after": after })).await;
        let page = &data["auditEvents"];
        assert_eq!(page["totalCount"].as_u64(), Some(all.len() as u64));
        paged.extend(page["nodes"].as_array().cloned().unwrap_or_default());
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, all, "paging gives the whole trail once");

    // No names anywhere in the trail.
    let text = serde_json::to_string(&all).expect("json").to_lowercase();
    for name in [FIRST_NAME, LAST_NAME] {
        assert!(!text.contains(&name.to_lowercase()), "the trail never carries the client's name ({name})");
    }
    let page = app.gql(Some(&admin.access), AUDIT, json!({ "f": { "clientId": client }, "first": 100 })).await;
    let page_text = page.to_string().to_lowercase();
    assert!(!page_text.contains("marisol") && !page_text.contains("quintero"), "{page}");

    // By staff member.
    let by_b = events(&app, &admin.access, json!({ "staffId": b_id })).await;
    assert!(by_b.iter().all(|e| e["staffId"] == b_id.as_str()), "{by_b:?}");
    assert_eq!(matching(&by_b, "client", Some("client"), "DENIED", b_ref, c_ref).len(), 1);
    assert!(matching(&by_b, "updateClient", Some("updateClient"), "ALLOWED", a_ref, c_ref).is_empty());

    // By client: everything done to this client, and nothing else.
    let by_client = events(&app, &admin.access, json!({ "clientId": client })).await;
    assert!(by_client.iter().all(|e| e["clientId"] == client.as_str()), "{by_client:?}");
    let mut kinds: Vec<(String, String, String)> =
        by_client.iter().map(|e| (s(&e["action"]), s(&e["field"]), s(&e["outcome"]))).collect();
    kinds.sort();
    let mut wanted: Vec<(String, String, String)> = [
        ("admitClient", "admitClient", "ALLOWED"),
        ("changeStage", "changeStage", "ALLOWED"),
        ("client", "client", "DENIED"),
        ("read", "client", "ALLOWED"),
        ("read", "clients", "ALLOWED"),
        ("registerClient", "registerClient", "ALLOWED"),
        ("updateClient", "updateClient", "ALLOWED"),
    ]
    .iter()
    .map(|(a, f, o)| ((*a).to_owned(), (*f).to_owned(), (*o).to_owned()))
    .collect();
    wanted.sort();
    assert_eq!(kinds, wanted);

    // By outcome.
    let denied = events(&app, &admin.access, json!({ "outcome": "DENIED" })).await;
    assert!(denied.iter().all(|e| e["outcome"] == "DENIED"), "{denied:?}");
    assert_eq!(matching(&denied, "client", Some("client"), "DENIED", b_ref, c_ref).len(), 1);
    let failed = events(&app, &admin.access, json!({ "outcome": "FAILED" })).await;
    assert_eq!(failed.len(), 1, "the one failed sign-in: {failed:?}");
    assert_eq!(failed[0]["action"], "login");
    assert_eq!(failed[0]["staffId"], a_id.as_str());
    let allowed = events(&app, &admin.access, json!({ "outcome": "ALLOWED", "clientId": client })).await;
    assert_eq!(allowed.len(), 6, "all but the denied read: {allowed:?}");

    // By time: `from` is inclusive, `to` exclusive.
    let later = events(&app, &admin.access, json!({ "from": mid.to_rfc3339() })).await;
    assert!(later.iter().all(|e| at(e) >= mid), "{later:?}");
    assert_eq!(matching(&later, "client", Some("client"), "DENIED", b_ref, c_ref).len(), 1);
    assert_eq!(matching(&later, "login", Some("login"), "FAILED", a_ref, None).len(), 1);
    assert!(matching(&later, "updateClient", Some("updateClient"), "ALLOWED", a_ref, c_ref).is_empty());
    assert!(matching(&later, "changeStage", Some("changeStage"), "ALLOWED", a_ref, c_ref).is_empty());
    let earlier = events(&app, &admin.access, json!({ "to": mid.to_rfc3339() })).await;
    assert!(earlier.iter().all(|e| at(e) < mid), "{earlier:?}");
    assert_eq!(matching(&earlier, "updateClient", Some("updateClient"), "ALLOWED", a_ref, c_ref).len(), 1);
    assert_eq!(matching(&earlier, "changeStage", Some("changeStage"), "ALLOWED", a_ref, c_ref).len(), 1);
    assert!(matching(&earlier, "client", Some("client"), "DENIED", b_ref, c_ref).is_empty());
    assert_eq!(earlier.len() + later.len(), all.len(), "the two ranges split the trail");
    let window = events(
        &app,
        &admin.access,
        json!({ "from": (mid - chrono::Duration::minutes(1)).to_rfc3339(), "to": mid.to_rfc3339() }),
    )
    .await;
    assert!(window.is_empty(), "nothing happened in the quiet minute: {window:?}");
    let combined =
        events(&app, &admin.access, json!({ "from": mid.to_rfc3339(), "staffId": b_id, "outcome": "DENIED" })).await;
    assert_eq!(combined.len(), 1, "filters combine: {combined:?}");

    // Only an administrator reads the trail.
    let refused = app.gql(Some(&a.access), AUDIT, json!({})).await;
    assert_code(&refused, "FORBIDDEN");
    assert_eq!(refused["data"], Value::Null, "{refused}");
    let supervisor = app.login_as(Role::Supervisor).await;
    assert_code(&app.gql(Some(&supervisor.access), AUDIT, json!({})).await, "FORBIDDEN");
}

#[tokio::test]
async fn a_failed_write_leaves_neither_the_change_nor_its_event() {
    let app = TestApp::spawn().await;
    let (_, me) = counselor(&app, "cora@audit.test").await;
    let client = marisol().register(&app, &me.access).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    let before = app.gql_ok(Some(&me.access), CLIENT, json!({ "id": client })).await["client"].clone();
    let admin = app.admin().await;
    let changes = |events: &[Value]| -> Vec<String> {
        events.iter().filter(|e| e["action"] != "read").map(|e| format!("{} {}", e["action"], e["outcome"])).collect()
    };
    let trail_before = events(&app, &admin.access, json!({ "clientId": client })).await;

    // A stale version.
    let stale = app
        .gql(
            Some(&me.access),
            UPDATE_CLIENT,
            json!({ "id": client, "v": before["version"].as_i64().unwrap_or_default() + 3, "i": { "language": "fr" } }),
        )
        .await;
    assert_code(&stale, "CONFLICT");
    // A stage move the rules refuse (one that changes nothing).
    let refused = app
        .gql(
            Some(&me.access),
            CHANGE_STAGE,
            json!({ "i": { "episodeId": episode.id, "expectedVersion": episode.version, "stage": "REHAB", "levelOfCare": "L3_5" } }),
        )
        .await;
    assert_code(&refused, "BAD_USER_INPUT");
    // An invalid value inside an otherwise fine update.
    let invalid = app
        .gql(
            Some(&me.access),
            UPDATE_CLIENT,
            json!({ "id": client, "v": before["version"], "i": { "language": "fr", "dateOfBirth": "2199-01-01" } }),
        )
        .await;
    assert_code(&invalid, "BAD_USER_INPUT");

    let after = app.gql_ok(Some(&me.access), CLIENT, json!({ "id": client })).await["client"].clone();
    assert_eq!(after, before, "the client is exactly as it was");
    let trail_after = events(&app, &admin.access, json!({ "clientId": client })).await;
    assert_eq!(changes(&trail_after), changes(&trail_before), "no event for a change that did not happen");
    for action in ["updateClient", "changeStage"] {
        assert!(
            trail_after.iter().all(|e| e["action"] != action),
            "no {action} event of any outcome: {trail_after:#?}"
        );
    }

    // The same change with the right version goes through, with exactly one event.
    let ok = app
        .gql_ok(
            Some(&me.access),
            UPDATE_CLIENT,
            json!({ "id": client, "v": before["version"], "i": { "language": "fr" } }),
        )
        .await;
    assert_eq!(ok["updateClient"]["language"], "fr");
    let trail = events(&app, &admin.access, json!({ "clientId": client, "outcome": "ALLOWED" })).await;
    assert_eq!(trail.iter().filter(|e| e["action"] == "updateClient").count(), 1, "{trail:#?}");
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_audit_events() {
    let app = TestApp::spawn().await;
    let (_, me) = counselor(&app, "dov@audit.test").await;
    let client = marisol().register(&app, &me.access).await;
    app.gql_ok(Some(&me.access), CLIENT, json!({ "id": client })).await;
    let admin = app.admin().await;
    let before = events(&app, &admin.access, json!(null)).await;
    assert!(before.len() >= 5, "some activity: {before:?}");

    let db = &app.state.db;
    let update = db.execute_unprepared("UPDATE audit_events SET action = 'x'").await;
    assert!(update.is_err(), "UPDATE is refused ({}): {update:?}", app.db.url);
    let update_one = db.execute_unprepared("UPDATE audit_events SET detail = 'edited' WHERE seq = 1").await;
    assert!(update_one.is_err(), "even one row: {update_one:?}");
    let delete = db.execute_unprepared("DELETE FROM audit_events").await;
    assert!(delete.is_err(), "DELETE is refused: {delete:?}");
    let delete_one = db.execute_unprepared("DELETE FROM audit_events WHERE seq = 2").await;
    assert!(delete_one.is_err(), "even one row: {delete_one:?}");
    if app.db.is_postgres() {
        let truncate = db.execute_unprepared("TRUNCATE audit_events").await;
        assert!(truncate.is_err(), "TRUNCATE is refused: {truncate:?}");
    }

    let after = events(&app, &admin.access, json!(null)).await;
    assert_eq!(after, before, "every event is still there, unchanged");
    let verified = continuum::service::audit::verify(db, &app.state.config.audit_key).await.expect("verify");
    let n = before.len() as u64;
    assert_eq!(verified, continuum::service::audit::Verification::Intact { events: n, keyed: n });
}

/// Runs `continuum audit verify` against the test database.
async fn verify_command(app: &TestApp) -> (Option<i32>, String) {
    let url = app.db.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_continuum"))
            .args(["audit", "verify"])
            .env_clear()
            .env("DATABASE_URL", url)
            .env("CONTINUUM_JWT_SECRET", JWT_SECRET)
            .env("CONTINUUM_AUDIT_KEY", AUDIT_KEY)
            .env("RUST_LOG", "error")
            .output()
    })
    .await
    .expect("join")
    .expect("run the continuum binary");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}

#[tokio::test]
async fn audit_verify_reports_an_intact_chain_and_finds_a_row_changed_behind_its_back() {
    let app = TestApp::spawn().await;
    let (_, me) = counselor(&app, "eli@audit.test").await;
    let client = marisol().register(&app, &me.access).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    app.gql_ok(Some(&me.access), CLIENT, json!({ "id": client })).await;
    app.gql_ok(
        Some(&me.access),
        CHANGE_STAGE,
        json!({ "i": { "episodeId": episode.id, "expectedVersion": episode.version, "stage": "AFTERCARE" } }),
    )
    .await;
    app.gql_ok(Some(&me.access), CLIENTS, json!({})).await;
    let admin = app.admin().await;
    let all = events(&app, &admin.access, json!(null)).await;

    let (code, output) = verify_command(&app).await;
    assert_eq!(code, Some(0), "intact: {output}");
    assert!(output.contains(&format!("audit trail intact: {} events", all.len())), "{output}");

    let target = all.iter().find(|e| e["action"] == "changeStage").expect("the changeStage event");
    let seq = target["seq"].as_i64().expect("seq");
    let chain = target["chain"].as_i64().expect("chain");
    let id = s(&target["id"]);
    let in_chain = all.iter().filter(|e| e["chain"] == target["chain"]).count();
    assert!(seq > 1 && (seq as usize) <= in_chain, "an event inside its chain: {seq} of {in_chain}");

    let db = &app.state.db;
    if app.db.is_postgres() {
        db.execute_unprepared("DROP TRIGGER audit_events_no_change ON audit_events").await.expect("drop trigger");
    } else {
        db.execute_unprepared("DROP TRIGGER audit_events_no_update").await.expect("drop update trigger");
        db.execute_unprepared("DROP TRIGGER audit_events_no_delete").await.expect("drop delete trigger");
    }
    let changed = db
        .execute_unprepared(&format!("UPDATE audit_events SET action = 'read' WHERE chain = {chain} AND seq = {seq}"))
        .await
        .expect("without the triggers the row can be changed");
    assert_eq!(changed.rows_affected(), 1);

    let (code, output) = verify_command(&app).await;
    assert_eq!(code, Some(1), "broken: {output}");
    assert!(
        output.contains(&format!("audit trail broken at event {seq} of chain {chain} ({id})")),
        "names the event: {output}"
    );
    assert!(!output.contains("intact"), "{output}");
}

#[tokio::test]
async fn sign_in_sign_out_and_refresh_token_reuse_are_audited() {
    let app = TestApp::spawn().await;
    let (id, first) = counselor(&app, "fay@audit.test").await;
    let logged_out = app.gql_ok(None, LOGOUT, json!({ "t": first.refresh })).await;
    assert_eq!(logged_out["logout"], true);

    let second = app.session("fay@audit.test", PASSWORD).await;
    let rotated = app.gql_ok(None, REFRESH, json!({ "t": second.refresh })).await;
    let newer = s(&rotated["refreshSession"]["refreshToken"]);
    let replay = app.gql(None, REFRESH, json!({ "t": second.refresh })).await;
    assert_code(&replay, "UNAUTHENTICATED");
    // The replay ended the whole session: the newer token is dead too.
    assert_code(&app.gql(None, REFRESH, json!({ "t": newer })).await, "UNAUTHENTICATED");

    let admin = app.admin().await;
    let mine = events(&app, &admin.access, json!({ "staffId": id })).await;
    let who = Some(id.as_str());
    let logins = matching(&mine, "login", Some("login"), "ALLOWED", who, None);
    assert_eq!(logins.len(), 2, "two sign-ins: {mine:#?}");
    let logouts = matching(&mine, "logout", Some("logout"), "ALLOWED", who, None);
    assert_eq!(logouts.len(), 1, "one sign-out: {mine:#?}");
    let revoked = matching(&mine, "sessionRevoked", Some("sessionRevoked"), "ALLOWED", who, None);
    assert_eq!(revoked.len(), 1, "one revocation: {mine:#?}");
    assert!(revoked[0]["detail"].as_str().is_some_and(|d| d.contains("reuse")), "{:?}", revoked[0]);
    for event in logins.iter().chain(&logouts).chain(&revoked) {
        assert_eq!(event["staffRole"], "COUNSELOR", "{event}");
        assert_eq!(event["role"], "COUNSELOR", "the Role enum beside the deprecated text: {event}");
        assert!(event["requestId"].as_str().is_some_and(|r| !r.is_empty()), "{event}");
    }
    // In order: sign-in, sign-out, sign-in, revocation.
    let order: Vec<String> = mine.iter().rev().map(|e| s(&e["action"])).collect();
    assert_eq!(order, ["login", "logout", "login", "sessionRevoked"], "{mine:#?}");
}

#[tokio::test]
async fn when_the_trail_cannot_be_written_nothing_is_changed_and_nothing_is_shown() {
    let app = TestApp::spawn().await;
    let (_, me) = counselor(&app, "gus@audit.test").await;
    let client = marisol().register(&app, &me.access).await;
    let before = app.gql_ok(Some(&me.access), CLIENT, json!({ "id": client })).await["client"].clone();

    // Hide the chains' heads: every append now fails.
    let db = &app.state.db;
    db.execute_unprepared("UPDATE audit_head SET id = id + 1000").await.expect("move the heads");
    let update = app
        .gql(
            Some(&me.access),
            UPDATE_CLIENT,
            json!({ "id": client, "v": before["version"], "i": { "language": "fr" } }),
        )
        .await;
    assert_code(&update, "INTERNAL");
    assert_eq!(update["data"], Value::Null, "{update}");
    let read = app.gql(Some(&me.access), CLIENT, json!({ "id": client })).await;
    assert!(read["errors"].is_array(), "a read that cannot be audited is not answered: {read}");
    let shown = read.to_string();
    assert!(!shown.contains(FIRST_NAME) && !shown.contains(LAST_NAME), "no record content leaves: {read}");

    db.execute_unprepared("UPDATE audit_head SET id = id - 1000").await.expect("restore the heads");
    let after = app.gql_ok(Some(&me.access), CLIENT, json!({ "id": client })).await["client"].clone();
    assert_eq!(after, before, "the update whose event could not be written did not happen");
    let verified = continuum::service::audit::verify(db, &app.state.config.audit_key).await.expect("verify");
    assert!(matches!(verified, continuum::service::audit::Verification::Intact { .. }), "{verified:?}");
}

/// `verify` reads one snapshot and stops at the heads it read: run again and again while
/// changes and reads are being audited, it never reports a healthy trail as broken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_reports_intact_every_time_during_a_concurrent_write_load() {
    let app = TestApp::spawn().await;
    let (_, me) = counselor(&app, "ivy@audit.test").await;
    let mut clients = Vec::new();
    for first in ["Ada", "Ben", "Cy", "Di"] {
        clients.push(client(first, "Load").register(&app, &me.access).await);
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    let load = async {
        let mut round = 0usize;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let id = &clients[round % clients.len()];
            let current = app.gql_ok(Some(&me.access), CLIENT, json!({ "id": id })).await;
            let version = current["client"]["version"].clone();
            let language = if round.is_multiple_of(2) { "es" } else { "en" };
            app.gql_ok(
                Some(&me.access),
                UPDATE_CLIENT,
                json!({ "id": id, "v": version, "i": { "language": language } }),
            )
            .await;
            // Reads of every client at once: their events go through the group commit.
            futures_util::future::join_all(
                clients.iter().map(|c| app.gql(Some(&me.access), CLIENT, json!({ "id": c }))),
            )
            .await;
            round += 1;
        }
        round
    };
    let checks = async {
        let mut results = Vec::new();
        for _ in 0..20 {
            results.push(
                continuum::service::audit::verify(&app.state.db, &app.state.config.audit_key).await.expect("verify"),
            );
            tokio::task::yield_now().await;
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        results
    };
    let (rounds, results) = tokio::join!(load, checks);
    assert!(rounds > 0, "the load ran");
    for (i, result) in results.iter().enumerate() {
        assert!(matches!(result, continuum::service::audit::Verification::Intact { .. }), "run {i}: {result:?}");
    }

    // A client's events always go to one chain, group commits included.
    use sea_orm::EntityTrait;
    let rows = continuum::entity::audit_event::Entity::find().all(&app.state.db).await.expect("the trail");
    for c in &clients {
        let mut chains: Vec<i32> =
            rows.iter().filter(|r| r.client_id.map(|id| id.to_string()) == Some(c.clone())).map(|r| r.chain).collect();
        chains.sort();
        chains.dedup();
        assert_eq!(chains.len(), 1, "one chain for {c}: {chains:?}");
    }
}

/// Someone who can write the database but does not hold the audit key rewrites an event and
/// recomputes every later hash and the head: the hashes all fit, and the MACs give it away.
#[tokio::test]
async fn a_rewritten_event_with_every_later_hash_recomputed_is_found_by_its_mac() {
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
    let app = TestApp::spawn().await;
    let (_, me) = counselor(&app, "jo@audit.test").await;
    let client = marisol().register(&app, &me.access).await;
    for _ in 0..3 {
        app.gql_ok(Some(&me.access), CLIENT, json!({ "id": client })).await;
    }
    let key = &app.state.config.audit_key;
    let db = &app.state.db;
    let Intact { events, keyed } = continuum::service::audit::verify(db, key).await.expect("verify") else {
        panic!("intact before");
    };
    assert_eq!(events, keyed, "every event of a new trail is keyed");

    use continuum::entity::{audit_event, audit_head};
    use continuum::service::audit::Verification::{self, Intact};
    let mine = audit_event::Entity::find()
        .filter(audit_event::Column::ClientId.eq(uuid::Uuid::parse_str(&client).expect("uuid")))
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await
        .expect("events");
    let target = mine.iter().find(|e| e.action == "read").expect("a read").clone();
    let chain = target.chain;
    if app.db.is_postgres() {
        db.execute_unprepared("DROP TRIGGER audit_events_no_change ON audit_events").await.expect("drop trigger");
    } else {
        db.execute_unprepared("DROP TRIGGER audit_events_no_update").await.expect("drop update trigger");
    }
    // Rewrite the read into a sign-in, then walk the rest of the chain recomputing hashes.
    let rest = audit_event::Entity::find()
        .filter(audit_event::Column::Chain.eq(chain))
        .filter(audit_event::Column::Seq.gte(target.seq))
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await
        .expect("the rest of the chain");
    let mut prev = target.prev_hash.clone();
    for mut row in rest {
        if row.id == target.id {
            row.action = "login".into();
        }
        row.prev_hash = prev.clone();
        row.hash = continuum::service::audit::link(&prev, &row);
        let statement = format!(
            "UPDATE audit_events SET action = '{}', prev_hash = '{}', hash = '{}' WHERE id = '{}'",
            row.action, row.prev_hash, row.hash, row.id
        );
        db.execute_unprepared(&statement).await.expect("rewrite");
        prev = row.hash;
    }
    db.execute_unprepared(&format!("UPDATE audit_head SET hash = '{prev}' WHERE id = {chain}")).await.expect("head");
    let head = audit_head::Entity::find_by_id(chain).one(db).await.expect("head").expect("a head");
    assert_eq!(head.hash, prev);

    let found = continuum::service::audit::verify(db, key).await.expect("verify");
    match found {
        Verification::Broken { chain: c, why, .. } => {
            assert_eq!(c, chain);
            assert!(why.contains("seal") || why.contains("MAC"), "found by the key, not the hashes: {why}");
        }
        other => panic!("the rewrite is found: {other:?}"),
    }
    let (code, output) = verify_command(&app).await;
    assert_eq!(code, Some(1), "{output}");
}
