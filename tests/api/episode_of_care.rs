//! The episode of care as a clinician runs it: every clinically valid transfer with its
//! history, every discharge followed up, missed contacts kept as missed, outcomes that act
//! on the record, outreach attempts, one attendance a day, readmissions linked, and a
//! caseload handed over before a counselor leaves. Each refusal leaves the record as it was.

use chrono::{Days, Duration};
use continuum::domain::{Role, measures::gpra_window};
use serde_json::{Value, json};

use crate::documents::{ATTEND, DISCHARGE, RECORD_FOLLOW_UP, REFER};
use crate::fixtures::*;
use crate::helpers::*;

const MOVE: &str = "mutation($i: ChangeStageInput!) { changeStage(input: $i) {
    id version stage levelOfCare stageEnteredAt
    stageHistory { from to levelOfCare reason kind }
} }";

const RECORD: &str = "query($id: ID!) { client(id: $id) {
    id version
    currentEpisode { id version stage levelOfCare stageEnteredAt open }
    episodes { id version stage levelOfCare open dischargeReason dischargedTo
        previousEpisode { id } readmittedAfterDays readmittedWithin30Days }
    referrals { id version status statusReason attendanceCount weeklyGoal }
    followUps { id version kind status dueOn scheduleDays outcome overdue contactedAt windowClosesOn
        attempts { attemptedAt method result } }
} }";

const ATTEMPT: &str = "mutation($i: RecordFollowUpAttemptInput!) { recordFollowUpAttempt(input: $i) {
    id version status attempts { attemptedAt method result }
} }";

const WORKLIST: &str = "{ worklist(first: 100) { edges { node { kind reason client { id } } } } }";

async fn record(app: &TestApp, token: &str, client: &str) -> Value {
    let data = app.gql_ok(Some(token), RECORD, json!({ "id": client })).await;
    assert!(data["client"].is_object(), "the client is visible: {data}");
    data["client"].clone()
}

/// (kind, status, due date) of each follow-up, in due order.
fn contacts(record: &Value) -> Vec<(String, String, String)> {
    let mut list: Vec<(String, String, String)> = record["followUps"]
        .as_array()
        .expect("follow-ups")
        .iter()
        .map(|f| (s(&f["kind"]), s(&f["status"]), s(&f["dueOn"])))
        .collect();
    list.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(&b.0)));
    list
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("a string: {v}")).to_owned()
}

fn owned(rows: &[(&str, &str, String)]) -> Vec<(String, String, String)> {
    rows.iter().map(|(k, st, d)| ((*k).to_owned(), (*st).to_owned(), d.clone())).collect()
}

async fn move_to(
    app: &TestApp,
    token: &str,
    episode: &str,
    version: i64,
    stage: &str,
    level: Option<&str>,
    reason: &str,
) -> Value {
    let input = json!({ "episodeId": episode, "expectedVersion": version, "stage": stage, "levelOfCare": level,
        "reason": reason });
    app.gql_ok(Some(token), MOVE, json!({ "i": input })).await["changeStage"].clone()
}

async fn kinds_on_worklist(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let data = app.gql_ok(Some(token), WORKLIST, json!({})).await;
    data["worklist"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| (s(&e["node"]["kind"]), s(&e["node"]["client"]["id"])))
        .collect()
}

#[tokio::test]
async fn every_clinically_valid_move_is_allowed_and_kept_in_the_history() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let t = me.access.as_str();
    let client = client("Rosa", "Transfer").using(&["BENZODIAZEPINES", "ALCOHOL"]).register(&app, t).await;
    let episode = admission(&client, "DETOX").level("WM_3_2").admit(&app, t).await;

    // Withdrawal management escalated, then stepped down; a step to outpatient rehab; a
    // return to use that needs detox again; continuing care with OTP maintenance; back to
    // rehab from aftercare.
    let steps = [
        ("DETOX", Some("WM_3_7"), "seizure risk on the taper: escalated"),
        ("DETOX", Some("WM_2"), "stable: stepped down"),
        ("REHAB", Some("L1"), "withdrawal complete"),
        ("DETOX", Some("WM_3_2"), "returned to use"),
        ("REHAB", Some("L3_5"), "residential after detox"),
        ("AFTERCARE", None, "completed residential"),
        ("AFTERCARE", Some("OTP"), "buprenorphine maintenance"),
        ("REHAB", Some("OTP"), "needs counseling again"),
    ];
    let mut version = episode.version;
    let mut last = Value::Null;
    for (stage, level, reason) in steps {
        last = move_to(&app, t, &episode.id, version, stage, level, reason).await;
        assert_eq!((last["stage"].as_str(), last["levelOfCare"].as_str()), (Some(stage), level), "{reason}");
        version = last["version"].as_i64().expect("version");
    }
    let history: Vec<(Value, Value, Value, Value)> = last["stageHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["to"].clone(), h["levelOfCare"].clone(), h["kind"].clone(), h["reason"].clone()))
        .collect();
    let expected = [
        ("DETOX", json!("WM_3_2"), "ADMISSION", json!("admission")),
        ("DETOX", json!("WM_3_7"), "STEP_UP", json!("seizure risk on the taper: escalated")),
        ("DETOX", json!("WM_2"), "STEP_DOWN", json!("stable: stepped down")),
        ("REHAB", json!("L1"), "STEP_DOWN", json!("withdrawal complete")),
        ("DETOX", json!("WM_3_2"), "STEP_UP", json!("returned to use")),
        ("REHAB", json!("L3_5"), "LATERAL", json!("residential after detox")),
        ("AFTERCARE", Value::Null, "STEP_DOWN", json!("completed residential")),
        ("AFTERCARE", json!("OTP"), "STEP_UP", json!("buprenorphine maintenance")),
        ("REHAB", json!("OTP"), "STEP_UP", json!("needs counseling again")),
    ]
    .map(|(to, level, kind, reason)| (json!(to), level, json!(kind), reason));
    assert_eq!(history, expected, "every move, oldest first, with its kind and reason");
}

#[tokio::test]
async fn a_move_that_changes_nothing_and_early_intervention_in_aftercare_are_refused() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let t = me.access.as_str();
    let client = client("Noel", "Same").register(&app, t).await;
    let episode = admission(&client, "REHAB").level("L1").admit(&app, t).await;
    app.clock.advance(Duration::minutes(10));
    let before = record(&app, t, &client).await;

    for (stage, level, expected) in [("REHAB", Some("L1"), "STAGE_MOVE"), ("AFTERCARE", Some("L0_5"), "LEVEL_OF_CARE")]
    {
        let input = json!({ "episodeId": episode.id, "expectedVersion": episode.version, "stage": stage, "levelOfCare": level });
        let refused = app.gql(Some(t), MOVE, json!({ "i": input })).await;
        assert_rule(&refused, expected);
        assert_eq!(refused["data"], Value::Null);
    }
    let after = record(&app, t, &client).await;
    assert_eq!(after, before, "nothing changed: not the version, not the time in stage");
    assert_eq!(after["currentEpisode"]["stageEnteredAt"], before["currentEpisode"]["stageEnteredAt"]);
}

#[tokio::test]
async fn leaving_detox_against_advice_is_followed_up_and_first_on_the_worklist() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let t = me.access.as_str();
    // Someone already waiting: a contact 3 days overdue.
    let waiting = client("Wade", "Waiting").register(&app, t).await;
    admission(&waiting, "AFTERCARE").at(app.state.now() - Duration::days(10)).admit(&app, t).await;
    // Day 3 of a benzodiazepine taper: leaves against advice.
    let client = client("Bea", "Taper").using(&["BENZODIAZEPINES"]).register(&app, t).await;
    let episode =
        admission(&client, "DETOX").level("WM_3_2").at(app.state.now() - Duration::days(3)).admit(&app, t).await;
    let input = json!({ "episodeId": episode.id, "expectedVersion": episode.version, "reason": "LEFT_AGAINST_ADVICE",
        "dischargedTo": "HOME" });
    app.gql_ok(Some(t), DISCHARGE, json!({ "i": input })).await;

    let today = app.state.today();
    let after = record(&app, t, &client).await;
    assert_eq!(after["episodes"][0]["dischargedTo"], "HOME");
    let intake = today - Days::new(3);
    assert_eq!(
        contacts(&after),
        owned(&[
            ("POST_DISCHARGE", "SCHEDULED", (today + Days::new(7)).to_string()),
            ("POST_DISCHARGE", "SCHEDULED", (today + Days::new(30)).to_string()),
            ("GPRA", "SCHEDULED", gpra_window(intake).1.to_string()),
        ]),
        "the 7- and 30-day post-discharge contacts, and the intake's GPRA interview"
    );
    let list = kinds_on_worklist(&app, t).await;
    assert_eq!(list[0], ("DISCHARGED_EARLY".to_owned(), client.clone()), "first, before the overdue: {list:?}");
    assert!(list.contains(&("FOLLOW_UP_OVERDUE".to_owned(), waiting.clone())));

    // Completing detox and leaving is followed up too; so is a step down from residential.
    let done = crate::fixtures::client("Dan", "Done").register(&app, t).await;
    let episode = admission(&done, "DETOX").level("WM_3_7").admit(&app, t).await;
    let input = json!({ "episodeId": episode.id, "expectedVersion": episode.version, "reason": "COMPLETED" });
    app.gql_ok(Some(t), DISCHARGE, json!({ "i": input })).await;
    let kinds: Vec<String> = contacts(&record(&app, t, &done).await).into_iter().map(|c| c.0).collect();
    assert_eq!(kinds, ["POST_DISCHARGE", "POST_DISCHARGE", "GPRA"]);
    let down = crate::fixtures::client("Sid", "Stepdown").register(&app, t).await;
    let episode = admission(&down, "REHAB").level("L3_5").admit(&app, t).await;
    move_to(&app, t, &episode.id, episode.version, "REHAB", Some("L2_1"), "ready for IOP").await;
    assert_eq!(
        contacts(&record(&app, t, &down).await),
        owned(&[
            ("POST_DISCHARGE", "SCHEDULED", (today + Days::new(7)).to_string()),
            ("POST_DISCHARGE", "SCHEDULED", (today + Days::new(30)).to_string()),
            ("GPRA", "SCHEDULED", gpra_window(today).1.to_string()),
        ])
    );
    // A DECEASED discharge schedules nothing and cancels the GPRA interview.
    let gone = crate::fixtures::client("Gus", "Gone").register(&app, t).await;
    let episode = admission(&gone, "DETOX").level("WM_3_2").admit(&app, t).await;
    let input = json!({ "episodeId": episode.id, "expectedVersion": episode.version, "reason": "DECEASED" });
    app.gql_ok(Some(t), DISCHARGE, json!({ "i": input })).await;
    assert_eq!(
        contacts(&record(&app, t, &gone).await),
        owned(&[("GPRA", "CANCELLED", gpra_window(today).1.to_string())])
    );
}

#[tokio::test]
async fn going_back_from_aftercare_to_detox_keeps_overdue_contacts_as_missed() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let t = me.access.as_str();
    let client = client("Mia", "Missed").using(&["OPIOIDS"]).register(&app, t).await;
    let entered = app.state.today() - Days::new(40);
    let episode = admission(&client, "AFTERCARE").at(app.state.now() - Duration::days(40)).admit(&app, t).await;
    move_to(&app, t, &episode.id, episode.version, "DETOX", Some("WM_3_2"), "returned to use").await;

    let today = app.state.today();
    let after = record(&app, t, &client).await;
    let day = |n: u64| (entered + Days::new(n)).to_string();
    assert_eq!(
        contacts(&after),
        owned(&[
            ("AFTERCARE", "MISSED", day(7)),
            ("AFTERCARE", "MISSED", day(30)),
            ("AFTERCARE", "CANCELLED", day(90)),
            ("AFTERCARE", "CANCELLED", day(180)),
            ("GPRA", "SCHEDULED", gpra_window(entered).1.to_string()),
            ("AFTERCARE", "CANCELLED", day(365)),
        ]),
        "33 and 10 days overdue stay as misses; the rest will never be due; the GPRA interview stays"
    );

    // The report counts the misses as not completed; the CSV agrees.
    let report = "query($f: Date!, $t: Date!) { followUpReport(from: $f, to: $t) {
        total { due completed missed cancelled completionRate } } }";
    let vars = json!({ "f": entered.to_string(), "t": today.to_string() });
    let total = app.gql_ok(Some(t), report, vars).await["followUpReport"]["total"].clone();
    assert_eq!(total, json!({ "due": 2, "completed": 0, "missed": 2, "cancelled": 0, "completionRate": 0.0 }));
    let (status, csv) = app.get(&format!("/reports/follow-ups.csv?from={entered}&to={today}"), Some(t)).await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let missed = header.iter().position(|h| *h == "missed").expect("a missed column");
    let total_row: Vec<&str> = lines.last().expect("a total row").split(',').collect();
    assert_eq!(total_row[missed], "2", "{csv}");
}

#[tokio::test]
async fn a_deceased_outcome_closes_the_episode_with_its_contacts_and_referrals() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let t = me.access.as_str();
    let client = client("Dee", "Ceased").register(&app, t).await;
    let episode = admission(&client, "AFTERCARE").at(app.state.now() - Duration::days(8)).admit(&app, t).await;
    let na = group_id(&app, t, "NA").await;
    app.gql_ok(Some(t), REFER, json!({ "i": { "clientId": client, "supportGroupId": na } })).await;
    let before = record(&app, t, &client).await;
    let first = &before["followUps"][0];

    let input = json!({ "followUpId": first["id"], "expectedVersion": first["version"], "status": "COMPLETED",
        "outcome": "DECEASED", "note": "family called" });
    app.gql_ok(Some(t), RECORD_FOLLOW_UP, json!({ "i": input })).await;

    let after = record(&app, t, &client).await;
    assert_eq!(after["currentEpisode"], Value::Null, "the episode is closed");
    let closed = &after["episodes"][0];
    assert_eq!(
        (closed["id"].as_str(), closed["dischargeReason"].as_str()),
        (Some(episode.id.as_str()), Some("DECEASED"))
    );
    let statuses: Vec<String> = contacts(&after).into_iter().map(|c| c.1).collect();
    assert_eq!(
        statuses,
        ["COMPLETED", "CANCELLED", "CANCELLED", "CANCELLED", "CANCELLED", "CANCELLED"],
        "the GPRA interview too"
    );
    assert_eq!(after["referrals"][0]["status"], "CANCELLED");
}

#[tokio::test]
async fn unreachable_needs_three_attempts_on_different_days_and_dates_are_checked() {
    let app = TestApp::spawn().await;
    let email = "una-counselor@continuum.test";
    app.create_staff(email, "Una Counselor", Role::Counselor, None).await;
    let me = app.session(email, PASSWORD).await;
    let t = me.access.as_str();
    let client = client("Una", "Reach").register(&app, t).await;
    admission(&client, "AFTERCARE").at(app.state.now() - Duration::days(10)).admit(&app, t).await;
    let contact = record(&app, t, &client).await["followUps"][0].clone();
    let id = s(&contact["id"]);
    let give_up =
        |version: i64| json!({ "i": { "followUpId": id, "expectedVersion": version, "status": "UNREACHABLE" } });

    // No attempts: refused, nothing changed.
    let before = record(&app, t, &client).await;
    assert_rule(&app.gql(Some(t), RECORD_FOLLOW_UP, give_up(1)).await, "FOLLOW_UP_ATTEMPTS");
    assert_eq!(record(&app, t, &client).await, before);

    // Impossible dates: before the episode began, in the future; for an attempt and a contact.
    let now = app.state.now();
    for at in [now - Duration::days(11), now + Duration::days(1)] {
        let input =
            json!({ "followUpId": id, "attemptedAt": at.to_rfc3339(), "method": "PHONE", "result": "NO_ANSWER" });
        let refused = app.gql(Some(t), ATTEMPT, json!({ "i": input })).await;
        assert_code(&refused, "BAD_USER_INPUT");
        assert_eq!(error_field(&refused), Some("attemptedAt"));
        let input = json!({ "followUpId": id, "expectedVersion": 1, "status": "COMPLETED", "outcome": "ABSTINENT",
            "contactedAt": at.to_rfc3339() });
        let refused = app.gql(Some(t), RECORD_FOLLOW_UP, json!({ "i": input })).await;
        assert_eq!(error_field(&refused), Some("contactedAt"), "{refused}");
    }
    let in_2025 = json!({ "i": { "followUpId": id, "expectedVersion": 1, "status": "COMPLETED",
        "outcome": "ABSTINENT", "contactedAt": "2025-06-01T10:00:00Z" } });
    assert_eq!(error_field(&app.gql(Some(t), RECORD_FOLLOW_UP, in_2025).await), Some("contactedAt"));
    assert_eq!(record(&app, t, &client).await, before, "refused dates change nothing");

    // Three calls on one day are one day of trying.
    let version = unanswered_calls(&app, t, &id, now, &[0, 0, 0]).await;
    assert_rule(&app.gql(Some(t), RECORD_FOLLOW_UP, give_up(version)).await, "FOLLOW_UP_ATTEMPTS");
    // Two more days: now it may be given up.
    let version = unanswered_calls(&app, t, &id, now, &[2, 1]).await;
    let data = app.gql_ok(Some(t), RECORD_FOLLOW_UP, give_up(version)).await;
    assert_eq!(data["recordFollowUp"]["status"], "UNREACHABLE");
    let after = record(&app, t, &client).await;
    let recorded = after["followUps"].as_array().expect("list").iter().find(|f| f["id"] == id.as_str()).cloned();
    assert_eq!(recorded.map(|f| f["attempts"].as_array().map(Vec::len)), Some(Some(5)));

    // Once its window has closed, a contact may be given up whatever the attempts.
    let later = after["followUps"]
        .as_array()
        .expect("list")
        .iter()
        .find(|f| f["status"] == "SCHEDULED")
        .cloned()
        .expect("a scheduled contact");
    let closes: chrono::NaiveDate = s(&later["windowClosesOn"]).parse().expect("a date");
    let days = (closes - app.state.today()).num_days() + 1;
    app.clock.advance(Duration::days(days));
    let me = app.session(email, PASSWORD).await;
    let late =
        json!({ "i": { "followUpId": later["id"], "expectedVersion": later["version"], "status": "UNREACHABLE" } });
    let data = app.gql_ok(Some(&me.access), RECORD_FOLLOW_UP, late).await;
    assert_eq!(data["recordFollowUp"]["status"], "UNREACHABLE", "the window closed on {closes}");
}

#[tokio::test]
async fn a_second_attendance_on_one_day_and_an_impossible_goal_are_refused() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let t = me.access.as_str();
    let admin = app.admin().await;
    let client = client("Ada", "Attend").register(&app, t).await;
    admission(&client, "REHAB").level("L2_1").admit(&app, t).await;
    let na = group_id(&app, t, "NA").await;
    let meeting = json!({ "i": { "supportGroupId": na, "name": "Tuesday NA", "format": "IN_PERSON", "dayOfWeek": 2,
        "startTime": "19:00", "durationMinutes": 60, "timeZone": "UTC", "address": "1 Main St", "language": "en",
        "types": ["O"] } });
    let meeting = app
        .gql_ok(Some(&admin.access), "mutation($i: MeetingInput!) { createMeeting(input: $i) { id } }", meeting)
        .await["createMeeting"]["id"]
        .clone();

    // A goal of two a week for a referral tied to one weekly meeting: refused, nothing made.
    let before = record(&app, t, &client).await;
    let input = json!({ "i": { "clientId": client, "supportGroupId": na, "meetingId": meeting, "weeklyGoal": 2 } });
    let refused = app.gql(Some(t), REFER, input).await;
    assert_rule(&refused, "WEEKLY_GOAL");
    assert_eq!(error_field(&refused), Some("weeklyGoal"));
    assert_eq!(record(&app, t, &client).await, before);

    let input = json!({ "i": { "clientId": client, "supportGroupId": na, "meetingId": meeting, "weeklyGoal": 1 } });
    let referral = app.gql_ok(Some(t), REFER, input).await["referToSupportGroup"]["id"].clone();
    let attend = json!({ "i": { "referralId": referral, "attendedOn": app.state.today().to_string() } });
    app.gql_ok(Some(t), ATTEND, attend.clone()).await;
    let before = record(&app, t, &client).await;
    let twice = app.gql(Some(t), ATTEND, attend).await;
    assert_rule(&twice, "ATTENDANCE_DUPLICATE");
    assert_eq!(error_field(&twice), Some("attendedOn"));
    let after = record(&app, t, &client).await;
    assert_eq!(after, before, "the second attendance changed nothing");
    assert_eq!(after["referrals"][0]["attendanceCount"], 1);
}

#[tokio::test]
async fn a_readmission_links_to_the_last_episode() {
    let app = TestApp::spawn().await;
    let email = "rex-counselor@continuum.test";
    app.create_staff(email, "Rex Counselor", Role::Counselor, None).await;
    let me = app.session(email, PASSWORD).await;
    let t = me.access.as_str();
    let client = client("Rex", "Again").register(&app, t).await;
    let first = admission(&client, "REHAB").level("L3_5").at(app.state.now() - Duration::days(40)).admit(&app, t).await;
    assert_eq!(record(&app, t, &client).await["episodes"][0]["previousEpisode"], Value::Null);
    discharge(&app, t, &first.id, first.version, "LEFT_AGAINST_ADVICE").await;

    // Twelve days later the client comes back.
    app.clock.advance(Duration::days(12));
    let me = app.session(email, PASSWORD).await;
    let t = me.access.as_str();
    // Not before the last episode ended.
    let early = json!({ "i": { "clientId": client, "stage": "DETOX", "levelOfCare": "WM_3_2",
        "admittedAt": (app.state.now() - Duration::days(13)).to_rfc3339() } });
    let refused = app.gql(Some(t), crate::documents::ADMIT, early).await;
    assert_eq!(error_field(&refused), Some("admittedAt"), "{refused}");
    let second = admission(&client, "DETOX").level("WM_3_2").admit(&app, t).await;
    let episodes = record(&app, t, &client).await["episodes"].clone();
    let newest = &episodes[0];
    assert_eq!(newest["id"], second.id.as_str());
    assert_eq!(newest["previousEpisode"]["id"], first.id.as_str());
    assert_eq!(newest["readmittedAfterDays"], 12);
    assert_eq!(newest["readmittedWithin30Days"], true);
    assert_eq!(episodes[1]["readmittedWithin30Days"], false, "the first episode is no readmission");

    // The census counts it, by stage and by level of care.
    let census = app.gql_ok(Some(t), "{ stageCensus { stage clients readmittedWithin30Days } }", json!({})).await;
    assert_eq!(
        census["stageCensus"],
        json!([
            { "stage": "DETOX", "clients": 1, "readmittedWithin30Days": 1 },
            { "stage": "REHAB", "clients": 0, "readmittedWithin30Days": 0 },
            { "stage": "AFTERCARE", "clients": 0, "readmittedWithin30Days": 0 },
        ])
    );
    let levels = "{ stageCensus { stage levels { level clients readmittedWithin30Days } } }";
    let census = app.gql_ok(Some(t), levels, json!({})).await;
    let detox = &census["stageCensus"][0]["levels"];
    assert_eq!(
        detox.as_array().map(|l| l.iter().map(|x| x["level"].clone()).collect::<Vec<_>>()),
        Some(["WM_1", "WM_2", "WM_3_2", "WM_3_7", "WM_4"].map(|l| json!(l)).to_vec()),
        "every withdrawal-management level, zeros included"
    );
    assert_eq!(detox[2], json!({ "level": "WM_3_2", "clients": 1, "readmittedWithin30Days": 1 }));
    let aftercare = census["stageCensus"][2]["levels"].as_array().cloned().unwrap_or_default();
    assert_eq!(aftercare.last().map(|l| l["level"].clone()), Some(Value::Null), "a row for no level");
}

#[tokio::test]
async fn a_counselor_with_clients_in_care_cannot_leave_until_the_caseload_is_moved() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let sue = app.create_staff("sue@handover.test", "Sue Supervisor", Role::Supervisor, None).await;
    let ann = app.create_staff("ann@handover.test", "Ann Leaving", Role::Counselor, Some(&sue)).await;
    let bob = app.create_staff("bob@handover.test", "Bob Staying", Role::Counselor, Some(&sue)).await;
    let ann_session = app.session("ann@handover.test", PASSWORD).await;
    let a = ann_session.access.as_str();
    let first = client("Ivy", "One").register(&app, a).await;
    admission(&first, "REHAB").level("L1").admit(&app, a).await;
    let second = client("Jay", "Two").register(&app, a).await;
    admission(&second, "AFTERCARE").admit(&app, a).await;

    let deactivate = "mutation($id: ID!) { updateStaff(id: $id, input: { active: false }) { id active } }";
    let refused = app.gql(Some(&admin.access), deactivate, json!({ "id": ann })).await;
    assert_rule(&refused, "CASELOAD_NOT_EMPTY");
    assert!(refused["errors"][0]["message"].as_str().unwrap_or_default().contains("2 client(s)"), "{refused}");

    // A counselor cannot move a caseload; the supervisor can, in one call.
    let hand_over =
        "mutation($i: ReassignCaseloadInput!) { reassignCaseload(input: $i) { id primaryCounselor { id } } }";
    let vars = json!({ "i": { "fromCounselorId": ann, "toCounselorId": bob } });
    assert_code(&app.gql(Some(a), hand_over, vars.clone()).await, "FORBIDDEN");
    let sue_session = app.session("sue@handover.test", PASSWORD).await;
    let moved = app.gql_ok(Some(&sue_session.access), hand_over, vars).await["reassignCaseload"].clone();
    let moved = moved.as_array().expect("the clients moved");
    assert_eq!(moved.len(), 2);
    assert!(moved.iter().all(|c| c["primaryCounselor"]["id"] == bob.as_str()), "{moved:?}");

    // One audit event per client moved.
    let audit = "query($f: AuditFilter) { auditEvents(filter: $f, first: 100) { nodes { action clientId outcome } } }";
    let events = app.gql_ok(Some(&admin.access), audit, json!({ "f": { "staffId": sue } })).await;
    let mut audited: Vec<String> = events["auditEvents"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == "reassignCaseload" && e["outcome"] == "ALLOWED")
        .map(|e| s(&e["clientId"]))
        .collect();
    audited.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(audited, expected);

    let done = app.gql_ok(Some(&admin.access), deactivate, json!({ "id": ann })).await;
    assert_eq!(done["updateStaff"]["active"], false, "an empty caseload lets the counselor go");
}

/// The episode-of-care migration carries rows written under the old rules forward: an
/// AFTERCARE episode at L0_5 loses the level with a line in its history, duplicate
/// attendance on one day is folded into one, and contacts from the aftercare schedule are
/// AFTERCARE contacts.
#[tokio::test]
async fn the_migration_carries_old_rows_forward() {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{
        ConnectionTrait,
        sea_query::{Alias, Expr, ExprTrait, Query},
    };

    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let t = me.access.as_str();
    let client = client("Old", "Rows").register(&app, t).await;
    admission(&client, "AFTERCARE").level("L1").admit(&app, t).await;
    let na = group_id(&app, t, "NA").await;
    let referral = app.gql_ok(Some(t), REFER, json!({ "i": { "clientId": client, "supportGroupId": na } })).await
        ["referToSupportGroup"]["id"]
        .clone();
    let attend = json!({ "i": { "referralId": referral, "attendedOn": app.state.today().to_string() } });
    app.gql_ok(Some(t), ATTEND, attend).await;

    // Back to the schema before the migration, with what the old rules allowed.
    let db = &app.state.db;
    // Back to before m20261201_000008 (episode of care), the first of issue 15, however many
    // migrations came after it.
    let steps = Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261201_000008_episode_of_care")
        .map(|p| p as u32 + 1)
        .expect("the episode-of-care migration");
    Migrator::down(db, Some(steps)).await.expect("back to before the episode-of-care migration");
    db.execute(
        &Query::update()
            .table(Alias::new("episodes"))
            .value(Alias::new("level_of_care"), "L0_5")
            .and_where(Expr::col(Alias::new("stage")).eq("AFTERCARE"))
            .to_owned(),
    )
    .await
    .expect("an L0_5 aftercare episode");
    let columns = ["referral_id", "attended_on", "verified", "note", "recorded_by", "created_at"];
    let mut copy = Query::select();
    copy.expr(Expr::val(uuid::Uuid::now_v7())).from(Alias::new("attendance"));
    for c in columns {
        copy.column(Alias::new(c));
    }
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new("attendance"))
        .columns(std::iter::once("id").chain(columns).map(Alias::new))
        .select_from(copy)
        .expect("an insert from a select");
    db.execute(&insert).await.expect("a second attendance on the same day");

    Migrator::up(db, None).await.expect("migrate forward again");
    let read = "query($id: ID!) { client(id: $id) {
        currentEpisode { stage levelOfCare stageHistory { to levelOfCare reason } }
        referrals { attendanceCount }
        followUps { kind scheduleDays }
    } }";
    let data = app.gql_ok(Some(t), read, json!({ "id": client })).await;
    let episode = &data["client"]["currentEpisode"];
    assert_eq!((episode["stage"].as_str(), episode["levelOfCare"].as_str()), (Some("AFTERCARE"), None));
    let last = episode["stageHistory"].as_array().and_then(|h| h.last()).cloned().unwrap_or_default();
    assert_eq!(last["levelOfCare"], Value::Null);
    assert!(last["reason"].as_str().is_some_and(|r| r.contains("L0_5")), "the history says why: {last}");
    assert_eq!(data["client"]["referrals"][0]["attendanceCount"], 1, "one attendance a day");
    let kinds: Vec<&str> =
        data["client"]["followUps"].as_array().expect("list").iter().filter_map(|f| f["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["AFTERCARE", "AFTERCARE", "AFTERCARE", "AFTERCARE", "GPRA", "AFTERCARE"],
        "and the GPRA interview, made again"
    );
}
