//! Reliability: idempotent creates, and many concurrent writers without lost or doubled
//! writes, on both databases.

use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::REGISTER;
use crate::helpers::*;

fn client_input(first: &str, key: Option<&str>) -> Value {
    json!({ "i": { "firstName": first, "lastName": "Key", "dateOfBirth": "1980-01-01",
                   "substances": ["ALCOHOL"], "idempotencyKey": key, "confirmNotDuplicate": true } })
}

async fn total_clients(app: &TestApp, token: &str) -> u64 {
    let data = app.gql_ok(Some(token), "{ clients { totalCount } }", json!({})).await;
    data["clients"]["totalCount"].as_u64().unwrap_or(u64::MAX)
}

#[tokio::test]
async fn a_replayed_create_returns_the_first_result_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let first = app.gql_ok(Some(&me.access), REGISTER, client_input("Ana", Some("k-1"))).await;
    let again = app.gql_ok(Some(&me.access), REGISTER, client_input("Ana", Some("k-1"))).await;
    assert_eq!(first["registerClient"]["id"], again["registerClient"]["id"]);
    assert_eq!(total_clients(&app, &me.access).await, 1);
    // Without a key, the same input creates a second client.
    app.gql_ok(Some(&me.access), REGISTER, client_input("Ana", None)).await;
    assert_eq!(total_clients(&app, &me.access).await, 2);
}

#[tokio::test]
async fn the_same_key_with_different_input_is_a_conflict() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    app.gql_ok(Some(&me.access), REGISTER, client_input("Ana", Some("k-2"))).await;
    let other = app.gql(Some(&me.access), REGISTER, client_input("Bea", Some("k-2"))).await;
    assert_code(&other, "CONFLICT");
    assert_eq!(total_clients(&app, &me.access).await, 1);
    let too_long = app.gql(Some(&me.access), REGISTER, client_input("Ana", Some(&"k".repeat(256)))).await;
    assert_code(&too_long, "BAD_USER_INPUT");
}

#[tokio::test]
async fn keys_belong_to_one_staff_member() {
    let app = TestApp::spawn().await;
    let a = app.login_as(Role::Counselor).await;
    let b = app.login_as(Role::Counselor).await;
    let from_a = app.gql_ok(Some(&a.access), REGISTER, client_input("Ana", Some("shared"))).await;
    let from_b = app.gql_ok(Some(&b.access), REGISTER, client_input("Ana", Some("shared"))).await;
    assert_ne!(from_a["registerClient"]["id"], from_b["registerClient"]["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_key_create_one_row() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let calls = (0..8).map(|_| app.gql(Some(&me.access), REGISTER, client_input("Ana", Some("race"))));
    let results = futures_util::future::join_all(calls).await;
    let ids: Vec<Value> = results.iter().map(|r| r["data"]["registerClient"]["id"].clone()).collect();
    assert!(
        ids.iter().all(|id| id.is_string() && *id == ids[0]),
        "every request answers with the one row: {results:?}"
    );
    assert_eq!(total_clients(&app, &me.access).await, 1);
}

/// A client in aftercare with an engaged referral, for the write tests.
async fn client_with_referral(app: &TestApp, token: &str, n: usize) -> (String, String) {
    let client = app.gql_ok(Some(token), REGISTER, client_input(&format!("C{n}"), None)).await;
    let client_id = client["registerClient"]["id"].as_str().unwrap_or_default().to_owned();
    app.gql_ok(
        Some(token),
        "mutation($c: ID!) { admitClient(input: { clientId: $c, stage: REHAB, levelOfCare: L3_5 }) { id } }",
        json!({ "c": client_id }),
    )
    .await;
    let groups = app.gql_ok(Some(token), "{ supportGroups { id abbreviation } }", json!({})).await;
    let na = groups["supportGroups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["abbreviation"] == "NA"))
        .and_then(|g| g["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let referral = app
        .gql_ok(
            Some(token),
            "mutation($c: ID!, $g: ID!) { referToSupportGroup(input: { clientId: $c, supportGroupId: $g }) { id } }",
            json!({ "c": client_id, "g": na }),
        )
        .await;
    (client_id, referral["referToSupportGroup"]["id"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn replayed_attendance_follow_ups_admissions_and_referrals_are_recorded_once() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let token = Some(me.access.as_str());
    let (client_id, referral_id) = client_with_referral(&app, &me.access, 0).await;
    let today = app.state.today().to_string();
    let attend = "mutation($i: RecordAttendanceInput!) { recordAttendance(input: $i) { attendanceCount } }";
    let input = json!({ "i": { "referralId": referral_id, "attendedOn": today, "idempotencyKey": "att-1" } });
    for _ in 0..3 {
        let data = app.gql_ok(token, attend, input.clone()).await;
        assert_eq!(data["recordAttendance"]["attendanceCount"], 1);
    }
    let schedule = "mutation($i: ScheduleFollowUpInput!) { scheduleFollowUp(input: $i) { id } }";
    let input = json!({ "i": { "clientId": client_id, "dueOn": today, "idempotencyKey": "fu-1" } });
    let first = app.gql_ok(token, schedule, input.clone()).await;
    let second = app.gql_ok(token, schedule, input).await;
    assert_eq!(first, second);
    let counts = app
        .gql_ok(
            token,
            "query($id: ID!) { client(id: $id) { followUps(kind: MANUAL) { id } referrals { id } } }",
            json!({ "id": client_id }),
        )
        .await;
    assert_eq!(counts["client"]["followUps"].as_array().map(Vec::len), Some(1));

    let refer = "mutation($i: ReferToSupportGroupInput!) { referToSupportGroup(input: $i) { id } }";
    let groups = app.gql_ok(token, "{ supportGroups { id abbreviation } }", json!({})).await;
    let smart =
        groups["supportGroups"].as_array().and_then(|g| g.iter().find(|g| g["abbreviation"] == "SMART")).cloned();
    let input = json!({ "i": { "clientId": client_id, "supportGroupId": smart.map(|g| g["id"].clone()), "idempotencyKey": "ref-1" } });
    let first = app.gql_ok(token, refer, input.clone()).await;
    let second = app.gql_ok(token, refer, input).await;
    assert_eq!(first, second, "the replay does not trip the one-open-referral rule");

    let staff_input = json!({ "i": { "email": "new@continuum.test", "name": "New", "role": "COUNSELOR", "password": PASSWORD, "idempotencyKey": "s-1" } });
    let admin = app.admin().await;
    let create = "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }";
    let first = app.gql_ok(Some(&admin.access), create, staff_input.clone()).await;
    let second = app.gql_ok(Some(&admin.access), create, staff_input).await;
    assert_eq!(first, second, "no duplicate-email error on replay");
}

/// 50 concurrent writers recording attendance and follow-ups on the same five clients:
/// nothing fails with "database is locked", nothing is lost, the counts reconcile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_writers_lose_nothing() {
    let app = TestApp::spawn_with(&[("CONTINUUM_DB_MAX_CONNECTIONS", "10")]).await;
    let email = "writer@reliability.test";
    app.create_staff(email, "Writer", Role::Counselor, None).await;
    let me = app.session(email, PASSWORD).await;
    let mut clients = Vec::new();
    for n in 0..5 {
        clients.push(client_with_referral(&app, &me.access, n).await);
    }
    // Ten days on, each referral gets one attendance on each of the last ten days (one per
    // referral and day is the rule), all written at once.
    app.clock.advance(chrono::Duration::days(10));
    let me = app.session(email, PASSWORD).await;
    let today = app.state.today();
    let writes = (0..50).map(|w| {
        let (client_id, referral_id) = clients[w % clients.len()].clone();
        let attended_on = (today - chrono::Days::new((w / clients.len()) as u64)).to_string();
        let (token, today, app) = (me.access.clone(), today.to_string(), &app);
        async move {
            let attended = app
                .gql(
                    Some(&token),
                    "mutation($i: RecordAttendanceInput!) { recordAttendance(input: $i) { id } }",
                    json!({ "i": { "referralId": referral_id, "attendedOn": attended_on } }),
                )
                .await;
            let scheduled = app
                .gql(
                    Some(&token),
                    "mutation($i: ScheduleFollowUpInput!) { scheduleFollowUp(input: $i) { id } }",
                    json!({ "i": { "clientId": client_id, "dueOn": today } }),
                )
                .await;
            (attended, scheduled)
        }
    });
    let results = futures_util::future::join_all(writes).await;
    for (attended, scheduled) in &results {
        assert!(attended.get("errors").is_none(), "attendance write failed: {attended}");
        assert!(scheduled.get("errors").is_none(), "follow-up write failed: {scheduled}");
    }
    let read =
        "query($id: ID!) { client(id: $id) { followUps(kind: MANUAL) { id } referrals { status attendanceCount } } }";
    let mut attendance = 0;
    let mut follow_ups = 0;
    for (client_id, _) in &clients {
        let data = app.gql_ok(Some(&me.access), read, json!({ "id": client_id })).await;
        let count = data["client"]["referrals"][0]["attendanceCount"].as_u64().unwrap_or_default();
        assert_eq!(count, 10, "each client got 10 of the 50 attendance writes");
        assert_eq!(data["client"]["referrals"][0]["status"], "ENGAGED");
        attendance += count;
        follow_ups += data["client"]["followUps"].as_array().map_or(0, |f| f.len() as u64);
    }
    assert_eq!((attendance, follow_ups), (50, 50), "every acknowledged write is there exactly once");
}
