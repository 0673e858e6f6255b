//! "Break the glass": a counselor outside a client's care opens the record for a limited
//! time with a reason; every use is audited and flagged; the supervisor reviews it.

use chrono::{DateTime, Days, Utc};
use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::{ADMIT, REGISTER, SCHEDULE_FOLLOW_UP};
use crate::helpers::*;

const CLIENT: &str = "query($id: ID!) { client(id: $id) { id firstName currentEpisode { stage } } }";
const REQUEST: &str = "mutation($c: ID!, $r: String!) { requestEmergencyAccess(clientId: $c, reason: $r) {
    id staffId clientId reason grantedAt expiresAt reviewedAt reviewedById reviewNote } }";
const REVIEW: &str = "mutation($g: ID!, $n: String!) { reviewEmergencyAccess(grantId: $g, note: $n) {
    id reviewedAt reviewedById reviewNote } }";
const GRANTS: &str = "query($r: Boolean) { emergencyAccessGrants(reviewed: $r) { id staffId clientId reviewedAt } }";
const AUDIT: &str = "query($f: AuditFilter) { auditEvents(filter: $f, first: 100) {
    nodes { action field outcome staffId clientId emergency } } }";

const REASON: &str = "client presented in crisis after hours; primary counselor unreachable";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().map(|l| l.iter().map(|g| s(&g["id"])).collect()).unwrap_or_default()
}

struct Team {
    app: TestApp,
    supervisor_id: String,
    /// On the supervisor's team; the client is not theirs.
    cal_id: String,
    cal: Session,
    /// The client's own counselor, on no team of this supervisor.
    ann: Session,
    client: String,
}

async fn team() -> Team {
    let app = TestApp::spawn().await;
    let supervisor_id = app.create_staff("sue@er.test", "Sue Supervisor", Role::Supervisor, None).await;
    let cal_id = app.create_staff("cal@er.test", "Cal Counselor", Role::Counselor, Some(&supervisor_id)).await;
    app.create_staff("ann@er.test", "Ann Counselor", Role::Counselor, None).await;
    let cal = app.session("cal@er.test", PASSWORD).await;
    let ann = app.session("ann@er.test", PASSWORD).await;
    let input = json!({ "firstName": "Tomas", "lastName": "Okafor", "dateOfBirth": "1983-01-19",
        "substances": ["METHAMPHETAMINE"], "language": "en" });
    let client = s(&app.gql_ok(Some(&ann.access), REGISTER, json!({ "i": input })).await["registerClient"]["id"]);
    app.gql_ok(
        Some(&ann.access),
        ADMIT,
        json!({ "i": { "clientId": client, "stage": "DETOX", "levelOfCare": "WM_3_2" } }),
    )
    .await;
    Team { app, supervisor_id, cal_id, cal, ann, client }
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time")).expect("RFC 3339").with_timezone(&Utc)
}

async fn schedule(app: &TestApp, token: &str, client: &str) -> Value {
    let due = app.state.today() + Days::new(3);
    app.gql(Some(token), SCHEDULE_FOLLOW_UP, json!({ "i": { "clientId": client, "dueOn": due.to_string() } })).await
}

#[tokio::test]
async fn emergency_access_opens_a_client_for_the_granted_time_flags_its_uses_and_is_reviewed() {
    let t = team().await;
    let app = &t.app;

    // Outside the client's care: nothing to see or change.
    let hidden = app.gql_ok(Some(&t.cal.access), CLIENT, json!({ "id": t.client })).await;
    assert_eq!(hidden["client"], Value::Null);
    assert_code(&schedule(app, &t.cal.access, &t.client).await, "NOT_FOUND");

    let granted = app.gql_ok(Some(&t.cal.access), REQUEST, json!({ "c": t.client, "r": REASON })).await;
    let grant = granted["requestEmergencyAccess"].clone();
    assert_eq!(grant["staffId"], t.cal_id.as_str());
    assert_eq!(grant["clientId"], t.client.as_str());
    assert_eq!(grant["reason"], REASON);
    assert_eq!(grant["reviewedAt"], Value::Null);
    assert_eq!(time(&grant["expiresAt"]) - time(&grant["grantedAt"]), chrono::Duration::minutes(60));

    // Now the client is open to them: read and change.
    let seen = app.gql_ok(Some(&t.cal.access), CLIENT, json!({ "id": t.client })).await;
    assert_eq!(seen["client"]["id"], t.client.as_str(), "visible under the grant: {seen}");
    assert_eq!(seen["client"]["currentEpisode"]["stage"], "DETOX");
    let scheduled = schedule(app, &t.cal.access, &t.client).await;
    assert!(scheduled["errors"].is_null(), "may change the record under the grant: {scheduled}");

    // The uses are on the trail, flagged.
    let admin = app.admin().await;
    let flagged = app.gql_ok(Some(&admin.access), AUDIT, json!({ "f": { "emergency": true } })).await;
    let flagged = flagged["auditEvents"]["nodes"].as_array().cloned().unwrap_or_default();
    assert!(flagged.iter().all(|e| e["emergency"] == true), "{flagged:?}");
    assert!(
        flagged.iter().all(|e| e["staffId"] == t.cal_id.as_str() && e["clientId"] == t.client.as_str()),
        "only Cal's uses of this client: {flagged:?}"
    );
    let read = flagged.iter().filter(|e| e["action"] == "read" && e["field"] == "client").count();
    assert_eq!(read, 1, "the read under the grant: {flagged:?}");
    let change = flagged.iter().filter(|e| e["action"] == "scheduleFollowUp" && e["outcome"] == "ALLOWED").count();
    assert_eq!(change, 1, "the change under the grant: {flagged:?}");
    assert!(flagged.iter().all(|e| e["outcome"] == "ALLOWED"), "{flagged:?}");
    // What happened before the grant is not flagged.
    let before = app
        .gql_ok(
            Some(&admin.access),
            AUDIT,
            json!({ "f": { "staffId": t.cal_id, "outcome": "DENIED", "emergency": false } }),
        )
        .await;
    let before = before["auditEvents"]["nodes"].as_array().cloned().unwrap_or_default();
    assert_eq!(before.len(), 2, "the refused read and change before the grant: {before:?}");
    // The client's own counselor's work is not flagged either.
    let own = app.gql_ok(Some(&t.ann.access), CLIENT, json!({ "id": t.client })).await;
    assert_eq!(own["client"]["id"], t.client.as_str());

    // The grant waits in the supervisor's review queue.
    let sue = app.session("sue@er.test", PASSWORD).await;
    let queue = app.gql_ok(Some(&sue.access), GRANTS, json!({ "r": false })).await;
    assert_eq!(ids(&queue["emergencyAccessGrants"]), [s(&grant["id"])]);
    let done = app.gql_ok(Some(&sue.access), GRANTS, json!({ "r": true })).await;
    assert_eq!(done["emergencyAccessGrants"], json!([]));
    let mine = app.gql_ok(Some(&t.cal.access), GRANTS, json!({ "r": null })).await;
    assert_eq!(ids(&mine["emergencyAccessGrants"]), [s(&grant["id"])], "a counselor sees their own");
    let anns = app.gql_ok(Some(&t.ann.access), GRANTS, json!({ "r": null })).await;
    assert_eq!(anns["emergencyAccessGrants"], json!([]), "not someone else's");

    // After the granted hour the client is closed again.
    app.clock.advance(chrono::Duration::minutes(61));
    let cal = app.session("cal@er.test", PASSWORD).await;
    let closed = app.gql_ok(Some(&cal.access), CLIENT, json!({ "id": t.client })).await;
    assert_eq!(closed["client"], Value::Null, "the grant has expired: {closed}");
    assert_code(&schedule(app, &cal.access, &t.client).await, "NOT_FOUND");
    let admin = app.admin().await;
    let flagged_now = app.gql_ok(Some(&admin.access), AUDIT, json!({ "f": { "emergency": true } })).await;
    let flagged_now = flagged_now["auditEvents"]["nodes"].as_array().cloned().unwrap_or_default();
    assert!(flagged_now.iter().all(|e| e["outcome"] == "ALLOWED"), "refusals after expiry are not flagged");
    assert_eq!(flagged_now.len(), flagged.len(), "nothing new under the expired grant: {flagged_now:?}");

    // The supervisor reviews it; it leaves the queue.
    let sue = app.session("sue@er.test", PASSWORD).await;
    let still = app.gql_ok(Some(&sue.access), GRANTS, json!({ "r": false })).await;
    assert_eq!(ids(&still["emergencyAccessGrants"]), [s(&grant["id"])], "an expired grant still needs review");
    let reviewed = app
        .gql_ok(Some(&sue.access), REVIEW, json!({ "g": grant["id"], "n": "appropriate: crisis, counselor away" }))
        .await;
    let reviewed = &reviewed["reviewEmergencyAccess"];
    assert!(reviewed["reviewedAt"].is_string());
    assert_eq!(reviewed["reviewedById"], t.supervisor_id.as_str());
    assert_eq!(reviewed["reviewNote"], "appropriate: crisis, counselor away");
    let queue = app.gql_ok(Some(&sue.access), GRANTS, json!({ "r": false })).await;
    assert_eq!(queue["emergencyAccessGrants"], json!([]));
    let done = app.gql_ok(Some(&sue.access), GRANTS, json!({ "r": true })).await;
    assert_eq!(ids(&done["emergencyAccessGrants"]), [s(&grant["id"])]);
    let twice = app.gql(Some(&sue.access), REVIEW, json!({ "g": grant["id"], "n": "again" })).await;
    assert_code(&twice, "BAD_USER_INPUT");
}

#[tokio::test]
async fn emergency_access_needs_a_reason_an_existing_client_and_one_not_already_yours() {
    let t = team().await;
    let app = &t.app;

    let empty = app.gql(Some(&t.cal.access), REQUEST, json!({ "c": t.client, "r": "   " })).await;
    assert_code(&empty, "BAD_USER_INPUT");
    assert_eq!(error_field(&empty), Some("reason"));

    let random = uuid::Uuid::new_v4().to_string();
    assert_code(&app.gql(Some(&t.cal.access), REQUEST, json!({ "c": random, "r": REASON })).await, "NOT_FOUND");
    assert_code(&app.gql(Some(&t.cal.access), REQUEST, json!({ "c": "not-an-id", "r": REASON })).await, "NOT_FOUND");

    let own = app.gql(Some(&t.ann.access), REQUEST, json!({ "c": t.client, "r": REASON })).await;
    assert_code(&own, "BAD_USER_INPUT");
    assert_eq!(error_field(&own), Some("clientId"));

    // None of these opened anything.
    let hidden = app.gql_ok(Some(&t.cal.access), CLIENT, json!({ "id": t.client })).await;
    assert_eq!(hidden["client"], Value::Null);
    let sue = app.session("sue@er.test", PASSWORD).await;
    let queue = app.gql_ok(Some(&sue.access), GRANTS, json!({ "r": null })).await;
    assert_eq!(queue["emergencyAccessGrants"], json!([]));
}

#[tokio::test]
async fn only_a_supervisor_reviews_and_an_admin_cannot_break_the_glass() {
    let t = team().await;
    let app = &t.app;
    let granted = app.gql_ok(Some(&t.cal.access), REQUEST, json!({ "c": t.client, "r": REASON })).await;
    let grant_id = s(&granted["requestEmergencyAccess"]["id"]);

    let by_counselor = app.gql(Some(&t.cal.access), REVIEW, json!({ "g": grant_id, "n": "looks fine to me" })).await;
    assert_code(&by_counselor, "FORBIDDEN");
    let by_other = app.gql(Some(&t.ann.access), REVIEW, json!({ "g": grant_id, "n": "fine" })).await;
    assert_code(&by_other, "FORBIDDEN");
    // A supervisor of another team does not find it.
    let other = app.login_as(Role::Supervisor).await;
    assert_code(&app.gql(Some(&other.access), REVIEW, json!({ "g": grant_id, "n": "fine" })).await, "NOT_FOUND");
    let others = app.gql_ok(Some(&other.access), GRANTS, json!({ "r": false })).await;
    assert_eq!(others["emergencyAccessGrants"], json!([]));

    let admin = app.admin().await;
    let by_admin = app.gql(Some(&admin.access), REQUEST, json!({ "c": t.client, "r": REASON })).await;
    assert_code(&by_admin, "FORBIDDEN");
    assert_eq!(by_admin["data"], Value::Null);

    let sue = app.session("sue@er.test", PASSWORD).await;
    let queue = app.gql_ok(Some(&sue.access), GRANTS, json!({ "r": false })).await;
    assert_eq!(ids(&queue["emergencyAccessGrants"]), [grant_id], "still unreviewed");
}

const EVIDENCE: &str = "query($r: Boolean) { emergencyAccessGrants(reviewed: $r) { id auditEvents {
    action field outcome staffId clientId emergency at detail } } }";

/// The reviewer sees what was done under a grant — each audit event, with its operation,
/// field and time, never client content — and nobody else does, not even the holder.
#[tokio::test]
async fn the_reviewer_sees_the_audit_events_made_under_the_grant_and_a_counselor_does_not() {
    let t = team().await;
    let app = &t.app;
    app.gql_ok(Some(&t.cal.access), REQUEST, json!({ "c": t.client, "r": REASON })).await;
    app.gql_ok(Some(&t.cal.access), CLIENT, json!({ "id": t.client })).await;
    let scheduled = schedule(app, &t.cal.access, &t.client).await;
    assert!(scheduled["errors"].is_null(), "{scheduled}");
    // Work of the client's own counselor is not evidence of Cal's grant.
    app.gql_ok(Some(&t.ann.access), CLIENT, json!({ "id": t.client })).await;

    let sue = app.session("sue@er.test", PASSWORD).await;
    let seen = app.gql_ok(Some(&sue.access), EVIDENCE, json!({ "r": false })).await;
    let events = seen["emergencyAccessGrants"][0]["auditEvents"].as_array().cloned().unwrap_or_default();
    let actions: Vec<(String, String)> = events.iter().map(|e| (s(&e["action"]), s(&e["field"]))).collect();
    assert!(actions.contains(&("read".into(), "client".into())), "the read under the grant: {actions:?}");
    assert!(actions.iter().any(|(a, _)| a == "scheduleFollowUp"), "the change under the grant: {actions:?}");
    assert!(
        events
            .iter()
            .all(|e| e["staffId"] == t.cal_id.as_str() && e["clientId"] == t.client.as_str() && e["emergency"] == true),
        "only the holder's uses of this client: {events:?}"
    );
    let text = seen.to_string();
    assert!(!text.contains("Tomas") && !text.contains("Okafor"), "no client content: {text}");

    // The holder sees the grant but not the evidence; a counselor elsewhere sees neither.
    let own = app.gql(Some(&t.cal.access), EVIDENCE, json!({ "r": null })).await;
    assert_code(&own, "FORBIDDEN");
    let other = app.gql_ok(Some(&t.ann.access), EVIDENCE, json!({ "r": null })).await;
    assert_eq!(other["emergencyAccessGrants"], json!([]));
    // Grants no supervisor reviews (Ann has none) go to an administrator, with their evidence.
    let cal_client = json!({ "firstName": "Ines", "lastName": "Baptiste", "dateOfBirth": "1991-04-02",
        "substances": ["ALCOHOL"], "language": "en" });
    let theirs =
        s(&app.gql_ok(Some(&t.cal.access), REGISTER, json!({ "i": cal_client })).await["registerClient"]["id"]);
    app.gql_ok(Some(&t.ann.access), REQUEST, json!({ "c": theirs, "r": REASON })).await;
    app.gql_ok(Some(&t.ann.access), CLIENT, json!({ "id": theirs })).await;
    let admin = app.admin().await;
    let queue = app.gql_ok(Some(&admin.access), EVIDENCE, json!({ "r": false })).await;
    let grants = queue["emergencyAccessGrants"].as_array().cloned().unwrap_or_default();
    assert_eq!(grants.len(), 1, "only Ann's grant is the administrator's to review: {grants:?}");
    assert!(grants[0]["auditEvents"].as_array().is_some_and(|e| e.iter().any(|e| e["action"] == "read")), "{grants:?}");
}
