//! The clinical rules: every refused change names its rule in `extensions.rule` and leaves
//! the records exactly as they were; stale versions are conflicts; discharge and stage moves
//! close what no longer applies; overdue follows the clock.

use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::{
    ADMIT, ATTEND, CHANGE_STAGE, DISCHARGE, RECORD_FOLLOW_UP, REFER, REFERRAL_STATUS, SCHEDULE_FOLLOW_UP,
};
use crate::fixtures::*;
use crate::helpers::*;

const UPDATE_CLIENT: &str = "mutation($id: ID!, $v: Int!, $i: UpdateClientInput!) \
     { updateClient(id: $id, expectedVersion: $v, input: $i) { id version firstName } }";

/// Everything a refused change could have touched, read back through the API.
const SNAPSHOT: &str = "query($id: ID!) { client(id: $id) {
    id version firstName lastName
    currentEpisode { id version stage levelOfCare open stageHistory { from to levelOfCare } }
    episodes { id version stage open }
    referrals { id version status statusReason supportGroup { abbreviation } attendanceCount }
    followUps { id version status dueOn scheduleDays outcome overdue }
} }";

fn today(app: &TestApp) -> chrono::NaiveDate {
    app.state.today()
}

/// Refers the client to the group (REFERRED unless `status` says PLANNED); returns the referral.
/// The client every test here follows.
fn ana() -> NewClient {
    client("Ana", "Diaz").born("1985-04-02").using(&["OPIOIDS"]).gender("WOMAN")
}

/// Refers the client to the group (REFERRED unless `status` says PLANNED); returns the referral.
async fn refer(app: &TestApp, token: &str, client_id: &str, group: &str, status: Option<&str>) -> Value {
    let group = group_id(app, token, group).await;
    let input = json!({ "clientId": client_id, "supportGroupId": group, "status": status });
    app.gql_ok(Some(token), REFER, json!({ "i": input })).await["referToSupportGroup"].clone()
}

async fn referral_status(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
    status: &str,
    reason: Option<&str>,
) -> Value {
    let input = json!({ "referralId": id, "expectedVersion": version, "status": status, "reason": reason });
    app.gql(Some(token), REFERRAL_STATUS, json!({ "i": input })).await
}

async fn snapshot(app: &TestApp, token: &str, client_id: &str) -> Value {
    let data = app.gql_ok(Some(token), SNAPSHOT, json!({ "id": client_id })).await;
    assert!(data["client"].is_object(), "client visible: {data}");
    data["client"].clone()
}

fn statuses(list: &Value) -> Vec<String> {
    list.as_array().expect("list").iter().map(|x| x["status"].as_str().expect("status").to_owned()).collect()
}

/// A counselor with a known email, so the test can sign in again later.
async fn counselor(app: &TestApp, email: &str) -> Session {
    app.create_staff(email, "Casey Counselor", Role::Counselor, None).await;
    app.session(email, PASSWORD).await
}

#[tokio::test]
async fn admitting_to_detox_at_a_rehab_level_of_care_is_refused_as_level_of_care() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    let before = snapshot(&app, &me.access, &client).await;

    let refused = app
        .gql(Some(&me.access), ADMIT, json!({ "i": { "clientId": client, "stage": "DETOX", "levelOfCare": "L3_5" } }))
        .await;
    assert_rule(&refused, "LEVEL_OF_CARE");
    assert_eq!(error_field(&refused), Some("levelOfCare"));
    assert_eq!(refused["data"], json!(null), "no episode comes back: {refused}");

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(after["episodes"], json!([]), "no episode was opened");
    assert_eq!(after["currentEpisode"], json!(null));
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_move_that_changes_neither_stage_nor_level_is_refused_as_stage_move() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await.id;
    let before = snapshot(&app, &me.access, &client).await;

    let input = json!({ "episodeId": episode, "expectedVersion": 1, "stage": "REHAB", "levelOfCare": "L3_5" });
    let refused = app.gql(Some(&me.access), CHANGE_STAGE, json!({ "i": input })).await;
    assert_rule(&refused, "STAGE_MOVE");
    assert_eq!(error_field(&refused), Some("levelOfCare"));
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("already in REHAB L3_5"), "the message says why: {message}");

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(after["currentEpisode"]["version"], 1);
    assert_eq!(after["currentEpisode"]["stageHistory"].as_array().map(Vec::len), Some(1));
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_second_admission_while_an_episode_is_open_is_refused_as_one_open_episode() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    let first = admission(&client, "DETOX").level("WM_3_2").admit(&app, &me.access).await.id;
    let before = snapshot(&app, &me.access, &client).await;

    let refused = app
        .gql(Some(&me.access), ADMIT, json!({ "i": { "clientId": client, "stage": "REHAB", "levelOfCare": "L3_5" } }))
        .await;
    assert_rule(&refused, "ONE_OPEN_EPISODE");

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(after["episodes"].as_array().map(Vec::len), Some(1), "still one episode");
    assert_eq!(after["currentEpisode"]["id"], first.as_str());
    assert_eq!(after["currentEpisode"]["stage"], "DETOX");
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_completed_referral_cannot_go_back_to_referred() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    let referral = refer(&app, &me.access, &client, "NA", None).await;
    let id = referral["id"].as_str().expect("id");
    assert_eq!(referral["status"], "REFERRED");

    let attended = app
        .gql_ok(Some(&me.access), ATTEND, json!({ "i": { "referralId": id, "attendedOn": today(&app).to_string() } }))
        .await;
    assert_eq!(attended["recordAttendance"]["status"], "ENGAGED", "the first attendance engages");
    let version = attended["recordAttendance"]["version"].as_i64().expect("version");
    let completed = referral_status(&app, &me.access, id, version, "COMPLETED", None).await;
    assert_eq!(completed["data"]["updateReferralStatus"]["status"], "COMPLETED", "{completed}");
    let version = completed["data"]["updateReferralStatus"]["version"].as_i64().expect("version");
    let before = snapshot(&app, &me.access, &client).await;

    let refused = referral_status(&app, &me.access, id, version, "REFERRED", None).await;
    assert_rule(&refused, "REFERRAL_STATUS_MOVE");
    assert_eq!(error_field(&refused), Some("status"));

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(statuses(&after["referrals"]), ["COMPLETED"]);
    assert_eq!(after["referrals"][0]["version"], version);
    assert_eq!(after, before);
}

#[tokio::test]
async fn declining_a_referral_without_a_reason_is_refused() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    let referral = refer(&app, &me.access, &client, "SMART", None).await;
    let id = referral["id"].as_str().expect("id");
    let before = snapshot(&app, &me.access, &client).await;

    for reason in [None, Some("   ")] {
        let refused = referral_status(&app, &me.access, id, 1, "DECLINED", reason).await;
        assert_rule(&refused, "REFERRAL_REASON_REQUIRED");
        assert_eq!(error_field(&refused), Some("reason"));
    }

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(statuses(&after["referrals"]), ["REFERRED"]);
    assert_eq!(after["referrals"][0]["version"], 1);
    assert_eq!(after["referrals"][0]["statusReason"], json!(null));
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_second_open_referral_to_the_same_group_is_refused() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    refer(&app, &me.access, &client, "NA", Some("PLANNED")).await;
    let before = snapshot(&app, &me.access, &client).await;

    let group = group_id(&app, &me.access, "NA").await;
    for status in [json!("PLANNED"), json!("REFERRED"), json!(null)] {
        let input = json!({ "clientId": client, "supportGroupId": group, "status": status });
        let refused = app.gql(Some(&me.access), REFER, json!({ "i": input })).await;
        assert_rule(&refused, "ONE_OPEN_REFERRAL_PER_GROUP");
        assert_eq!(error_field(&refused), Some("supportGroupId"));
    }

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(after["referrals"].as_array().map(Vec::len), Some(1), "still one referral");
    assert_eq!(statuses(&after["referrals"]), ["PLANNED"]);
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_referral_needs_an_open_episode() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    let group = group_id(&app, &me.access, "AA").await;
    let before = snapshot(&app, &me.access, &client).await;

    let refused =
        app.gql(Some(&me.access), REFER, json!({ "i": { "clientId": client, "supportGroupId": group } })).await;
    assert_rule(&refused, "REFERRAL_NEEDS_OPEN_EPISODE");

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(after["referrals"], json!([]));
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_stale_version_on_change_stage_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await.id;
    change_stage(&app, &me.access, &episode, 1, "REHAB", Some("L2_1")).await;
    let before = snapshot(&app, &me.access, &client).await;
    assert_eq!(before["currentEpisode"]["version"], 2);

    let input = json!({ "episodeId": episode, "expectedVersion": 1, "stage": "AFTERCARE" });
    let refused = app.gql(Some(&me.access), CHANGE_STAGE, json!({ "i": input })).await;
    assert_code(&refused, "CONFLICT");

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(after["currentEpisode"]["stage"], "REHAB");
    assert_eq!(after["currentEpisode"]["levelOfCare"], "L2_1");
    assert_eq!(after["currentEpisode"]["stageHistory"].as_array().map(Vec::len), Some(2));
    let schedule: Vec<Value> =
        after["followUps"].as_array().expect("list").iter().map(|f| f["scheduleDays"].clone()).collect();
    assert_eq!(
        schedule,
        [json!(7), json!(30), Value::Null],
        "the step down's post-discharge contacts (not aftercare's) and the intake's GPRA interview"
    );
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_stale_version_on_update_client_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    let updated = app
        .gql_ok(Some(&me.access), UPDATE_CLIENT, json!({ "id": client, "v": 1, "i": { "firstName": "Anna" } }))
        .await;
    assert_eq!(updated["updateClient"]["version"], 2);
    let before = snapshot(&app, &me.access, &client).await;

    let refused =
        app.gql(Some(&me.access), UPDATE_CLIENT, json!({ "id": client, "v": 1, "i": { "firstName": "Hannah" } })).await;
    assert_code(&refused, "CONFLICT");

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(after["firstName"], "Anna");
    assert_eq!(after["version"], 2);
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_stale_version_on_update_referral_status_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    let referral = refer(&app, &me.access, &client, "CA", Some("PLANNED")).await;
    let id = referral["id"].as_str().expect("id");
    let moved = referral_status(&app, &me.access, id, 1, "REFERRED", None).await;
    assert_eq!(moved["data"]["updateReferralStatus"]["version"], 2, "{moved}");
    let before = snapshot(&app, &me.access, &client).await;

    let refused = referral_status(&app, &me.access, id, 1, "CANCELLED", Some("changed plans")).await;
    assert_code(&refused, "CONFLICT");

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(statuses(&after["referrals"]), ["REFERRED"]);
    assert_eq!(after["referrals"][0]["version"], 2);
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_concurrent_updates_with_the_same_version_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;

    // Several rounds, each from the version the previous round left behind.
    for round in 0..5_i64 {
        let version = 1 + round;
        let left = json!({ "id": client, "v": version, "i": { "firstName": format!("Left{round}") } });
        let right = json!({ "id": client, "v": version, "i": { "firstName": format!("Right{round}") } });
        let (a, b) = tokio::join!(
            app.gql(Some(&me.access), UPDATE_CLIENT, left),
            app.gql(Some(&me.access), UPDATE_CLIENT, right),
        );
        let (winner, loser) = match (error_code(&a), error_code(&b)) {
            (None, Some(_)) => (a, b),
            (Some(_), None) => (b, a),
            _ => panic!("exactly one of two racing updates succeeds: {a} / {b}"),
        };
        assert_code(&loser, "CONFLICT");
        assert_eq!(loser["data"], json!(null));
        assert_eq!(winner["data"]["updateClient"]["version"], version + 1);

        let after = snapshot(&app, &me.access, &client).await;
        assert_eq!(after["version"], version + 1, "one write, one version step");
        assert_eq!(after["firstName"], winner["data"]["updateClient"]["firstName"], "the winner's write is kept");
    }
}

#[tokio::test]
async fn discharge_as_deceased_cancels_scheduled_follow_ups_and_open_referrals() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await.id;

    // A completed referral (closed: must stay as it is), one REFERRED, one PLANNED, one ENGAGED.
    let done = refer(&app, &me.access, &client, "AA", None).await;
    let done_id = done["id"].as_str().expect("id");
    let attend = json!({ "i": { "referralId": done_id, "attendedOn": today(&app).to_string() } });
    app.gql_ok(Some(&me.access), ATTEND, attend).await;
    let completed = referral_status(&app, &me.access, done_id, 2, "COMPLETED", None).await;
    assert_eq!(completed["data"]["updateReferralStatus"]["status"], "COMPLETED", "{completed}");
    refer(&app, &me.access, &client, "NA", None).await;
    refer(&app, &me.access, &client, "SMART", Some("PLANNED")).await;
    let engaged = refer(&app, &me.access, &client, "DRA", None).await;
    let attend = json!({ "i": { "referralId": engaged["id"], "attendedOn": today(&app).to_string() } });
    app.gql_ok(Some(&me.access), ATTEND, attend).await;

    // Aftercare schedules the contacts; one is recorded, one more is added by hand.
    change_stage(&app, &me.access, &episode, 1, "AFTERCARE", None).await;
    let before = snapshot(&app, &me.access, &client).await;
    assert_eq!(statuses(&before["followUps"]), ["SCHEDULED"; 6], "five of aftercare and the GPRA interview");
    let first = &before["followUps"][0];
    let record = json!({ "followUpId": first["id"], "expectedVersion": first["version"], "status": "COMPLETED",
        "outcome": "ABSTINENT" });
    app.gql_ok(Some(&me.access), RECORD_FOLLOW_UP, json!({ "i": record })).await;
    let due = (today(&app) + chrono::Days::new(3)).to_string();
    app.gql_ok(Some(&me.access), SCHEDULE_FOLLOW_UP, json!({ "i": { "clientId": client, "dueOn": due } })).await;
    let before = snapshot(&app, &me.access, &client).await;
    assert_eq!(statuses(&before["referrals"]), ["COMPLETED", "REFERRED", "REFERRED", "ENGAGED"]);
    assert_eq!(statuses(&before["followUps"]).iter().filter(|s| *s == "SCHEDULED").count(), 6);

    let version = before["currentEpisode"]["version"].clone();
    let discharged = app
        .gql_ok(
            Some(&me.access),
            DISCHARGE,
            json!({ "i": { "episodeId": episode, "expectedVersion": version, "reason": "DECEASED" } }),
        )
        .await;
    assert_eq!(discharged["dischargeClient"]["open"], false);
    assert_eq!(discharged["dischargeClient"]["dischargeReason"], "DECEASED");

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(after["currentEpisode"], json!(null));
    assert_eq!(statuses(&after["referrals"]), ["COMPLETED", "CANCELLED", "CANCELLED", "CANCELLED"]);
    assert_eq!(after["referrals"][0], before["referrals"][0], "a closed referral is left alone");
    for referral in after["referrals"].as_array().expect("referrals").iter().skip(1) {
        assert!(referral["statusReason"].as_str().is_some_and(|r| !r.trim().is_empty()), "a reason: {referral}");
    }
    let follow_ups = after["followUps"].as_array().expect("follow-ups");
    assert_eq!(follow_ups.len(), 7);
    for (old, new) in before["followUps"].as_array().expect("follow-ups").iter().zip(follow_ups) {
        assert_eq!(old["id"], new["id"]);
        let expected = if old["status"] == "SCHEDULED" { "CANCELLED" } else { old["status"].as_str().unwrap_or("") };
        assert_eq!(new["status"], expected, "{old} → {new}");
    }
    assert_eq!(statuses(&after["followUps"]).iter().filter(|s| *s == "COMPLETED").count(), 1);
}

#[tokio::test]
async fn returning_from_aftercare_to_rehab_cancels_the_pending_scheduled_follow_ups() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await.id;
    change_stage(&app, &me.access, &episode, 1, "AFTERCARE", None).await;

    let before = snapshot(&app, &me.access, &client).await;
    let days: Vec<_> =
        before["followUps"].as_array().expect("list").iter().map(|f| f["scheduleDays"].clone()).collect();
    assert_eq!(days, [json!(7), json!(30), json!(90), json!(180), Value::Null, json!(365)], "and the GPRA interview");
    let first = &before["followUps"][0];
    let record = json!({ "followUpId": first["id"], "expectedVersion": first["version"], "status": "COMPLETED",
        "outcome": "RETURN_TO_USE", "attendingSupportGroup": false });
    app.gql_ok(Some(&me.access), RECORD_FOLLOW_UP, json!({ "i": record })).await;

    change_stage(&app, &me.access, &episode, 2, "REHAB", Some("L3_5")).await;

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(
        statuses(&after["followUps"]),
        ["COMPLETED", "CANCELLED", "CANCELLED", "CANCELLED", "SCHEDULED", "CANCELLED"],
        "aftercare's pending contacts are cancelled; the GPRA interview is due whatever the stage"
    );
    assert_eq!(after["followUps"][0]["outcome"], "RETURN_TO_USE", "the recorded contact is kept");
    let next = app
        .gql_ok(
            Some(&me.access),
            "query($id: ID!) { client(id: $id) { nextFollowUp { id kind } } }",
            json!({ "id": client }),
        )
        .await;
    assert_eq!(next["client"]["nextFollowUp"]["kind"], "GPRA", "only the GPRA interview is left to call about");
    assert_eq!(after["currentEpisode"]["stage"], "REHAB");
    assert_eq!(after["currentEpisode"]["stageHistory"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn completing_a_follow_up_without_an_outcome_is_refused() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    admission(&client, "AFTERCARE").admit(&app, &me.access).await;
    let before = snapshot(&app, &me.access, &client).await;
    let first = &before["followUps"][0];
    assert_eq!(first["scheduleDays"], 7);

    let record = json!({ "followUpId": first["id"], "expectedVersion": first["version"], "status": "COMPLETED" });
    let refused = app.gql(Some(&me.access), RECORD_FOLLOW_UP, json!({ "i": record })).await;
    assert_rule(&refused, "FOLLOW_UP_OUTCOME_REQUIRED");
    assert_eq!(error_field(&refused), Some("outcome"));

    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(after["followUps"][0]["status"], "SCHEDULED");
    assert_eq!(after["followUps"][0]["version"], 1);
    assert_eq!(after["followUps"][0]["outcome"], json!(null));
    assert_eq!(after, before);
}

#[tokio::test]
async fn the_seven_day_follow_up_is_overdue_after_eight_days_and_not_before() {
    let app = TestApp::spawn().await;
    let email = "overdue-counselor@continuum.test";
    let me = counselor(&app, email).await;
    let client = ana().register(&app, &me.access).await;
    let episode = admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await.id;
    change_stage(&app, &me.access, &episode, 1, "AFTERCARE", None).await;
    let entered = today(&app);

    let seven_day = |snapshot: &Value| snapshot["followUps"][0].clone();
    let before = snapshot(&app, &me.access, &client).await;
    assert_eq!(seven_day(&before)["scheduleDays"], 7);
    assert_eq!(seven_day(&before)["dueOn"], (entered + chrono::Days::new(7)).to_string());
    assert_eq!(seven_day(&before)["overdue"], false, "not yet due");

    app.clock.advance(chrono::Duration::days(8));
    // Eight days on, the old session has idled out: sign in again.
    let me = app.session(email, PASSWORD).await;
    let after = snapshot(&app, &me.access, &client).await;
    assert_eq!(seven_day(&after)["status"], "SCHEDULED");
    assert_eq!(seven_day(&after)["overdue"], true, "{after}");
    assert_eq!(after["followUps"][1]["overdue"], false, "the 30-day contact is not due yet");
    let overdue =
        app.gql_ok(Some(&me.access), "{ followUps(filter: { overdue: true }) { totalCount } }", json!({})).await;
    assert_eq!(overdue["followUps"]["totalCount"], 1);
}

#[tokio::test]
async fn a_follow_up_due_before_today_is_overdue_and_one_due_later_is_not() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = ana().register(&app, &me.access).await;
    // Entered aftercare eight days ago: the 7-day contact was due yesterday.
    let admitted_at = (app.state.now() - chrono::Duration::days(8)).to_rfc3339();
    let input = json!({ "clientId": client, "stage": "AFTERCARE", "admittedAt": admitted_at });
    app.gql_ok(Some(&me.access), ADMIT, json!({ "i": input })).await;

    let after = snapshot(&app, &me.access, &client).await;
    let seven_day = &after["followUps"][0];
    assert_eq!(seven_day["scheduleDays"], 7);
    assert_eq!(seven_day["dueOn"], (today(&app) - chrono::Days::new(1)).to_string());
    assert_eq!(seven_day["overdue"], true);
    assert_eq!(after["followUps"][1]["overdue"], false, "the 30-day contact is not due yet");
    let overdue =
        app.gql_ok(Some(&me.access), "{ followUps(filter: { overdue: true }) { totalCount } }", json!({})).await;
    assert_eq!(overdue["followUps"]["totalCount"], 1);
}
