//! Who sees which clients: a counselor their caseload, a supervisor their team's, an admin
//! none. A client one may not see answers exactly as one that does not exist. And the
//! caseload query costs the same number of statements for 5 clients as for 50.

use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::{ADMIT, ATTEND, CHANGE_STAGE, REFER, REGISTER, SCHEDULE_FOLLOW_UP};
use crate::fixtures::*;
use crate::helpers::*;

const UPDATE_CLIENT: &str = "mutation($id: ID!, $v: Int!, $i: UpdateClientInput!) \
     { updateClient(id: $id, expectedVersion: $v, input: $i) { id version firstName } }";
const REASSIGN: &str = "mutation($c: ID!, $s: ID!) { reassignClient(clientId: $c, counselorId: $s) { id version primaryCounselor { id } } }";
const CLIENT: &str = "query($id: ID!) { client(id: $id) { id version firstName primaryCounselor { id } } }";
const CLIENTS: &str = "{ clients(first: 100) { totalCount edges { node { id } } } }";
const SNAPSHOT: &str = "query($id: ID!) { client(id: $id) {
    id version firstName primaryCounselor { id }
    episodes { id version stage open stageHistory { to } }
    referrals { id version status }
    followUps { id version status dueOn }
} }";

/// Supervisor S with counselors A and B; counselor C and supervisor T outside the team.
struct Team {
    admin: Session,
    s: Session,
    a: Session,
    b: Session,
    c: Session,
    t: Session,
}

async fn team(app: &TestApp) -> Team {
    let s_id = app.create_staff("s@continuum.test", "Sam Supervisor", Role::Supervisor, None).await;
    app.create_staff("a@continuum.test", "Ann Counselor", Role::Counselor, Some(&s_id)).await;
    app.create_staff("b@continuum.test", "Ben Counselor", Role::Counselor, Some(&s_id)).await;
    app.create_staff("c@continuum.test", "Cid Outsider", Role::Counselor, None).await;
    let t_id = app.create_staff("t@continuum.test", "Tia Other Supervisor", Role::Supervisor, None).await;
    app.create_staff("d@continuum.test", "Dee Of Tia", Role::Counselor, Some(&t_id)).await;
    Team {
        admin: app.admin().await,
        s: app.session("s@continuum.test", PASSWORD).await,
        a: app.session("a@continuum.test", PASSWORD).await,
        b: app.session("b@continuum.test", PASSWORD).await,
        c: app.session("c@continuum.test", PASSWORD).await,
        t: app.session("t@continuum.test", PASSWORD).await,
    }
}

fn ana() -> NewClient {
    client("Ana", "Diaz").born("1985-04-02").using(&["OPIOIDS"]).gender("WOMAN")
}

fn client_input(first_name: &str) -> Value {
    json!({ "firstName": first_name, "lastName": "Diaz", "dateOfBirth": "1985-04-02",
        "substances": ["OPIOIDS"], "gender": "WOMAN", "language": "en" })
}

async fn refer(app: &TestApp, token: &str, client_id: &str, group_id: &str) -> String {
    let input = json!({ "clientId": client_id, "supportGroupId": group_id });
    let data = app.gql_ok(Some(token), REFER, json!({ "i": input })).await;
    data["referToSupportGroup"]["id"].as_str().expect("referral id").to_owned()
}

async fn schedule(app: &TestApp, token: &str, client_id: &str) -> String {
    let due = (app.state.today() + chrono::Days::new(10)).to_string();
    let data =
        app.gql_ok(Some(token), SCHEDULE_FOLLOW_UP, json!({ "i": { "clientId": client_id, "dueOn": due } })).await;
    data["scheduleFollowUp"]["id"].as_str().expect("follow-up id").to_owned()
}

async fn see_client(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql_ok(Some(token), CLIENT, json!({ "id": id })).await["client"].clone()
}

/// `(totalCount, ids)` of the caller's `clients`.
async fn caseload(app: &TestApp, token: &str) -> (u64, Vec<String>) {
    let data = app.gql_ok(Some(token), CLIENTS, json!({})).await;
    let ids = data["clients"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect();
    (data["clients"]["totalCount"].as_u64().expect("totalCount"), ids)
}

async fn snapshot(app: &TestApp, token: &str, id: &str) -> Value {
    let data = app.gql_ok(Some(token), SNAPSHOT, json!({ "id": id })).await;
    assert!(data["client"].is_object(), "visible to its counselor: {data}");
    data["client"].clone()
}

/// The part of an error a caller could use to tell records apart.
fn error_shape(response: &Value) -> Value {
    json!({ "message": response["errors"][0]["message"], "extensions": response["errors"][0]["extensions"] })
}

/// The variables with every `"TARGET"` string replaced by `id`.
fn with_target(vars: &Value, id: &str) -> Value {
    match vars {
        Value::String(s) if s == "TARGET" => Value::String(id.to_owned()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), with_target(v, id))).collect()),
        other => other.clone(),
    }
}

/// A's client with an open episode, a referral and a follow-up.
struct Record {
    client: String,
    episode: String,
    referral: String,
    follow_up: String,
}

async fn a_record(app: &TestApp, team: &Team) -> Record {
    let client = ana().register(app, &team.a.access).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(app, &team.a.access).await.id;
    let group = group_id(app, &team.a.access, "NA").await;
    let referral = refer(app, &team.a.access, &client, &group).await;
    let follow_up = schedule(app, &team.a.access, &client).await;
    Record { client, episode, referral, follow_up }
}

#[tokio::test]
async fn another_counselor_gets_null_for_a_client_outside_their_caseload() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let client = ana().register(&app, &team.a.access).await;

    assert_eq!(see_client(&app, &team.a.access, &client).await["id"], client.as_str(), "A sees their own client");
    let response = app.gql(Some(&team.b.access), CLIENT, json!({ "id": client })).await;
    assert!(response.get("errors").is_none(), "no error, just nothing: {response}");
    assert_eq!(response["data"]["client"], json!(null));
}

#[tokio::test]
async fn a_client_outside_the_caseload_is_absent_from_lists_and_counts() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let client = ana().register(&app, &team.a.access).await;

    assert_eq!(caseload(&app, &team.a.access).await, (1, vec![client.clone()]));
    assert_eq!(caseload(&app, &team.b.access).await, (0, vec![]));
    let searched = app
        .gql_ok(
            Some(&team.b.access),
            "{ clients(filter: { search: \"ana\" }) { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(searched["clients"]["totalCount"], 0);
    assert_eq!(searched["clients"]["edges"], json!([]));
}

#[tokio::test]
async fn mutations_on_another_counselors_records_are_not_found_exactly_like_missing_ones() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let record = a_record(&app, &team).await;
    let group = group_id(&app, &team.b.access, "SMART").await;
    let before = snapshot(&app, &team.a.access, &record.client).await;
    let today = app.state.today().to_string();
    let due = (app.state.today() + chrono::Days::new(5)).to_string();

    // Each mutation once with A's record in the `TARGET` slot, once with an id that exists nowhere.
    let cases = [
        (UPDATE_CLIENT, &record.client, json!({ "id": "TARGET", "v": 1, "i": { "firstName": "Mallory" } })),
        (ADMIT, &record.client, json!({ "i": { "clientId": "TARGET", "stage": "DETOX", "levelOfCare": "WM_3_2" } })),
        (REFER, &record.client, json!({ "i": { "clientId": "TARGET", "supportGroupId": group } })),
        (SCHEDULE_FOLLOW_UP, &record.client, json!({ "i": { "clientId": "TARGET", "dueOn": due } })),
        (
            CHANGE_STAGE,
            &record.episode,
            json!({ "i": { "episodeId": "TARGET", "expectedVersion": 1, "stage": "AFTERCARE" } }),
        ),
        (
            "mutation($i: DischargeClientInput!) { dischargeClient(input: $i) { id } }",
            &record.episode,
            json!({ "i": { "episodeId": "TARGET", "expectedVersion": 1, "reason": "OTHER" } }),
        ),
        (
            "mutation($i: UpdateReferralStatusInput!) { updateReferralStatus(input: $i) { id } }",
            &record.referral,
            json!({ "i": { "referralId": "TARGET", "expectedVersion": 1, "status": "CANCELLED", "reason": "x" } }),
        ),
        (ATTEND, &record.referral, json!({ "i": { "referralId": "TARGET", "attendedOn": today } })),
        (
            "mutation($i: RecordFollowUpInput!) { recordFollowUp(input: $i) { id } }",
            &record.follow_up,
            json!({ "i": { "followUpId": "TARGET", "expectedVersion": 1, "status": "UNREACHABLE" } }),
        ),
    ];

    for (query, target, vars) in &cases {
        let hidden = app.gql(Some(&team.b.access), query, with_target(vars, target)).await;
        assert_code(&hidden, "NOT_FOUND");
        assert_eq!(hidden["data"], json!(null), "{hidden}");
        assert_eq!(hidden["errors"].as_array().map(Vec::len), Some(1));
        let nowhere = uuid::Uuid::now_v7().to_string();
        let missing = app.gql(Some(&team.b.access), query, with_target(vars, &nowhere)).await;
        assert_code(&missing, "NOT_FOUND");
        assert_eq!(error_shape(&hidden), error_shape(&missing), "{query}");
    }

    assert_eq!(snapshot(&app, &team.a.access, &record.client).await, before, "nothing changed");
}

#[tokio::test]
async fn the_supervisor_sees_and_changes_the_clients_of_their_team() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let record = a_record(&app, &team).await;
    let own = ana().register(&app, &team.s.access).await;

    assert_eq!(caseload(&app, &team.s.access).await, (2, vec![record.client.clone(), own]));
    assert_eq!(see_client(&app, &team.s.access, &record.client).await["id"], record.client.as_str());

    let updated = app
        .gql_ok(
            Some(&team.s.access),
            UPDATE_CLIENT,
            json!({ "id": record.client, "v": 1, "i": { "firstName": "Anita" } }),
        )
        .await;
    assert_eq!(updated["updateClient"]["version"], 2);
    let moved = app
        .gql_ok(
            Some(&team.s.access),
            CHANGE_STAGE,
            json!({ "i": { "episodeId": record.episode, "expectedVersion": 1, "stage": "AFTERCARE" } }),
        )
        .await;
    assert_eq!(moved["changeStage"]["stage"], "AFTERCARE");

    let seen_by_a = snapshot(&app, &team.a.access, &record.client).await;
    assert_eq!(seen_by_a["firstName"], "Anita");
    assert_eq!(seen_by_a["version"], 2);
    assert_eq!(seen_by_a["episodes"][0]["stage"], "AFTERCARE");
}

#[tokio::test]
async fn staff_outside_the_team_cannot_see_or_change_the_client() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let record = a_record(&app, &team).await;
    let before = snapshot(&app, &team.a.access, &record.client).await;

    for outsider in [&team.c, &team.t] {
        assert_eq!(see_client(&app, &outsider.access, &record.client).await, json!(null));
        assert_eq!(caseload(&app, &outsider.access).await, (0, vec![]));
        let vars = json!({ "id": record.client, "v": 1, "i": { "firstName": "Mallory" } });
        assert_code(&app.gql(Some(&outsider.access), UPDATE_CLIENT, vars).await, "NOT_FOUND");
        let vars = json!({ "i": { "episodeId": record.episode, "expectedVersion": 1, "stage": "AFTERCARE" } });
        assert_code(&app.gql(Some(&outsider.access), CHANGE_STAGE, vars).await, "NOT_FOUND");
    }
    let followups = app.gql_ok(Some(&team.c.access), "{ followUps { totalCount } }", json!({})).await;
    assert_eq!(followups["followUps"]["totalCount"], 0);

    assert_eq!(snapshot(&app, &team.a.access, &record.client).await, before, "nothing changed");
}

#[tokio::test]
async fn the_admin_is_forbidden_from_client_records() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let record = a_record(&app, &team).await;
    let admin = &team.admin.access;

    let listed = app.gql(Some(admin), CLIENTS, json!({})).await;
    assert_code(&listed, "FORBIDDEN");
    assert_eq!(listed["data"], json!(null));
    let one = app.gql(Some(admin), CLIENT, json!({ "id": record.client })).await;
    assert_code(&one, "FORBIDDEN");
    assert_eq!(one["data"], json!(null));
    let followups = app.gql(Some(admin), "{ followUps { totalCount edges { node { id } } } }", json!({})).await;
    assert_code(&followups, "FORBIDDEN");
    assert_eq!(followups["data"], json!(null));
    let registered = app.gql(Some(admin), REGISTER, json!({ "i": client_input("Root") })).await;
    assert_code(&registered, "FORBIDDEN");
    assert_eq!(registered["data"], json!(null));
}

#[tokio::test]
async fn the_supervisor_reassigns_a_client_to_another_counselor_of_the_team() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let client = ana().register(&app, &team.a.access).await;

    let moved = app.gql_ok(Some(&team.s.access), REASSIGN, json!({ "c": client, "s": team.b.staff_id })).await;
    assert_eq!(moved["reassignClient"]["primaryCounselor"]["id"], team.b.staff_id.as_str());
    assert_eq!(moved["reassignClient"]["version"], 2);

    assert_eq!(see_client(&app, &team.a.access, &client).await, json!(null), "A no longer sees it");
    assert_eq!(caseload(&app, &team.a.access).await, (0, vec![]));
    assert_eq!(see_client(&app, &team.b.access, &client).await["primaryCounselor"]["id"], team.b.staff_id.as_str());
    assert_eq!(caseload(&app, &team.b.access).await, (1, vec![client.clone()]));
    let vars = json!({ "id": client, "v": 2, "i": { "firstName": "Anita" } });
    assert_eq!(app.gql_ok(Some(&team.b.access), UPDATE_CLIENT, vars).await["updateClient"]["version"], 3);
}

#[tokio::test]
async fn the_supervisor_cannot_reassign_a_client_outside_the_team() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let client = ana().register(&app, &team.a.access).await;

    let refused = app.gql(Some(&team.s.access), REASSIGN, json!({ "c": client, "s": team.c.staff_id })).await;
    assert_code(&refused, "BAD_USER_INPUT");
    assert_eq!(error_field(&refused), Some("counselorId"));
    assert_eq!(see_client(&app, &team.a.access, &client).await["version"], 1, "still A's, unchanged");
    assert_eq!(caseload(&app, &team.c.access).await, (0, vec![]));
}

#[tokio::test]
async fn a_counselor_calling_reassign_client_is_forbidden() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let client = ana().register(&app, &team.a.access).await;

    let refused = app.gql(Some(&team.a.access), REASSIGN, json!({ "c": client, "s": team.b.staff_id })).await;
    assert_code(&refused, "FORBIDDEN");
    let still = see_client(&app, &team.a.access, &client).await;
    assert_eq!(still["primaryCounselor"]["id"], team.a.staff_id.as_str());
    assert_eq!(still["version"], 1);
    assert_eq!(caseload(&app, &team.b.access).await, (0, vec![]));
}

const CASELOAD: &str = "{ clients(first: 100) { totalCount edges { node { id firstName
    currentEpisode { id stage levelOfCare stageHistory { to by { name } } }
    referrals { status supportGroup { name meetings { id } } attendanceCount }
    nextFollowUp { dueOn overdue }
    primaryCounselor { name }
} } } }";

/// One client the way a real caseload looks: admitted to rehab, referred to a group (with
/// one attended meeting), then in aftercare with its follow-ups scheduled.
async fn add_client(app: &TestApp, token: &str, n: usize, group_id: &str) {
    let client = ana().named(&format!("Client{n}")).register(app, token).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(app, token).await.id;
    let referral = refer(app, token, &client, group_id).await;
    let attend = json!({ "i": { "referralId": referral, "attendedOn": app.state.today().to_string() } });
    app.gql_ok(Some(token), ATTEND, attend).await;
    let input = json!({ "episodeId": episode, "expectedVersion": 1, "stage": "AFTERCARE", "levelOfCare": "L1" });
    app.gql_ok(Some(token), CHANGE_STAGE, json!({ "i": input })).await;
}

/// Runs the caseload query once in a fresh session; returns the statements it took and the edges.
async fn measure_caseload(app: &TestApp, email: &str) -> (u64, Vec<Value>) {
    // A fresh session, so that no "last used" touch falls into one measurement and not the other.
    let session = app.session(email, PASSWORD).await;
    let before = app.statements.get();
    let data = app.gql_ok(Some(&session.access), CASELOAD, json!({})).await;
    let statements = app.statements.get() - before;
    (statements, data["clients"]["edges"].as_array().expect("edges").clone())
}

#[track_caller]
fn assert_full_caseload(edges: &[Value], expected: usize) {
    assert_eq!(edges.len(), expected);
    for edge in edges {
        let node = &edge["node"];
        assert_eq!(node["currentEpisode"]["stage"], "AFTERCARE", "{node}");
        let history = node["currentEpisode"]["stageHistory"].as_array().expect("history");
        assert_eq!(history.len(), 2, "{node}");
        assert_eq!(history[1]["by"]["name"], "Counselor Five-Fifty");
        assert_eq!(node["referrals"][0]["status"], "ENGAGED");
        assert_eq!(node["referrals"][0]["attendanceCount"], 1);
        assert_eq!(node["referrals"][0]["supportGroup"]["meetings"].as_array().map(Vec::len), Some(1));
        assert_eq!(node["nextFollowUp"]["overdue"], false);
        assert!(node["nextFollowUp"]["dueOn"].is_string(), "{node}");
        assert_eq!(node["primaryCounselor"]["name"], "Counselor Five-Fifty");
    }
}

#[tokio::test]
async fn the_caseload_query_takes_as_many_statements_for_50_clients_as_for_5() {
    let app = TestApp::spawn().await;
    let email = "five-fifty@continuum.test";
    app.create_staff(email, "Counselor Five-Fifty", Role::Counselor, None).await;
    let me = app.session(email, PASSWORD).await;

    // One online meeting for every group, so that the nested meetings are real rows.
    let admin = app.admin().await;
    let groups = groups(&app, &me.access).await;
    for (abbreviation, id) in &groups {
        let meeting = json!({ "supportGroupId": id, "name": format!("{abbreviation} online"), "format": "ONLINE",
            "dayOfWeek": 3, "startTime": "19:00", "timeZone": "America/Chicago", "language": "en",
            "url": "https://meet.example.org/recovery" });
        app.gql_ok(
            Some(&admin.access),
            "mutation($i: MeetingInput!) { createMeeting(input: $i) { id } }",
            json!({ "i": meeting }),
        )
        .await;
    }

    for n in 0..5 {
        add_client(&app, &me.access, n, &groups[n % groups.len()].1).await;
    }
    let (five, edges) = measure_caseload(&app, email).await;
    assert_full_caseload(&edges, 5);

    for n in 5..50 {
        add_client(&app, &me.access, n, &groups[n % groups.len()].1).await;
    }
    let (fifty, edges) = measure_caseload(&app, email).await;
    assert_full_caseload(&edges, 50);

    assert_eq!(five, fifty, "statements for 5 clients vs 50: the query batches, it does not loop");
    assert!(five <= 20, "a handful of batched statements, not one per client: {five}");
}
