//! Aftercare: the plan drafted in treatment that takes effect on entering AFTERCARE, the
//! client's week of meetings across time zones and daylight-saving changes, adherence to the
//! weekly goals, and the printable plan (printed to PDF by a real headless Chromium).

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::{DateTime, Days, Utc};
use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::{ATTEND, CHANGE_STAGE, REFER};
use crate::fixtures::*;
use crate::helpers::*;
use crate::printing::print_to_text;

const CREATE_MEETING: &str = "mutation($i: MeetingInput!) { createMeeting(input: $i) { id name } }";
const UPDATE_PLAN: &str = "mutation($i: UpdateAftercarePlanInput!) { updateAftercarePlan(input: $i) {
    id version notes inEffect effectiveAt
    referrals { meetingsPerWeek referral { id status weeklyGoal } }
} }";

/// Everything the plan shows, read back through `client { aftercarePlan }`.
const PLAN: &str = "query($id: ID!) { client(id: $id) { aftercarePlan {
    id version notes inEffect effectiveAt followUpScheduleDays
    episode { id stage stageEnteredAt }
    referrals {
        meetingsPerWeek
        adherence { windowStart windowDays attended expected rate }
        referral { id status weeklyGoal supportGroup { abbreviation } meeting { name } }
    }
    followUps { dueOn status scheduleDays }
    adherence { windowStart windowDays attended expected rate }
} } }";

const SCHEDULE: &str = "query($id: ID!, $week: Date!) { client(id: $id) { meetingSchedule(weekOf: $week) {
    date dayName startsAt endsAt timeZone localStart localEnd programDate programStart programEnd
    format address url overlaps meeting { name } referral { status }
} } }";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("a string: {v}")).to_owned()
}

fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a date-time: {v}")))
        .unwrap_or_else(|e| panic!("RFC 3339 date-time {v}: {e}"))
        .with_timezone(&Utc)
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("test instant").with_timezone(&Utc)
}

/// One weekly meeting of a seeded group, created by the admin; returns (group id, meeting id).
#[allow(clippy::too_many_arguments)]
async fn meeting(
    app: &TestApp,
    group: &str,
    name: &str,
    format: &str,
    day_of_week: u32,
    start: &str,
    minutes: u32,
    time_zone: &str,
) -> (String, String) {
    let admin = app.admin().await;
    let group_id = crate::fixtures::group_id(app, &admin.access, group).await;
    let (address, url) = match format {
        "ONLINE" => (Value::Null, json!(format!("https://meet.example.org/{}", name.to_lowercase().replace(' ', "-")))),
        _ => (json!(format!("{name} Hall, 12 Main Street")), Value::Null),
    };
    let input = json!({ "supportGroupId": group_id, "name": name, "format": format, "dayOfWeek": day_of_week,
        "startTime": start, "durationMinutes": minutes, "timeZone": time_zone, "address": address, "url": url,
        "language": "en", "types": ["O"] });
    let data = app.gql_ok(Some(&admin.access), CREATE_MEETING, json!({ "i": input })).await;
    (group_id, s(&data["createMeeting"]["id"]))
}

/// Refers the client to the group's meeting; returns the referral.
async fn refer(
    app: &TestApp,
    token: &str,
    client_id: &str,
    (group_id, meeting_id): &(String, String),
    status: &str,
    weekly_goal: Option<i32>,
) -> Value {
    let input = json!({ "clientId": client_id, "supportGroupId": group_id, "meetingId": meeting_id,
        "status": status, "weeklyGoal": weekly_goal });
    app.gql_ok(Some(token), REFER, json!({ "i": input })).await["referToSupportGroup"].clone()
}

/// Refers the client to the group as a whole (any of its meetings); returns the referral.
async fn refer_to_group(
    app: &TestApp,
    token: &str,
    client_id: &str,
    group_id: &str,
    status: &str,
    weekly_goal: Option<i32>,
) -> Value {
    let input =
        json!({ "clientId": client_id, "supportGroupId": group_id, "status": status, "weeklyGoal": weekly_goal });
    app.gql_ok(Some(token), REFER, json!({ "i": input })).await["referToSupportGroup"].clone()
}

async fn plan(app: &TestApp, token: &str, client_id: &str) -> Value {
    let data = app.gql_ok(Some(token), PLAN, json!({ "id": client_id })).await;
    assert!(data["client"]["aftercarePlan"].is_object(), "a plan for the open episode: {data}");
    data["client"]["aftercarePlan"].clone()
}

async fn schedule(app: &TestApp, token: &str, client_id: &str, week: &str) -> Vec<Value> {
    let data = app.gql_ok(Some(token), SCHEDULE, json!({ "id": client_id, "week": week })).await;
    data["client"]["meetingSchedule"].as_array().cloned().unwrap_or_else(|| panic!("a schedule: {data}"))
}

fn update_input(client_id: &str, version: i64, notes: Option<&str>, goals: &[(&str, Option<i32>)]) -> Value {
    let goals: Vec<Value> =
        goals.iter().map(|(id, goal)| json!({ "referralId": id, "meetingsPerWeek": goal })).collect();
    json!({ "i": { "clientId": client_id, "expectedVersion": version, "notes": notes, "goals": goals } })
}

/// (group, status, goal, meeting name) of each referral of the plan, in order.
fn plan_referrals(plan: &Value) -> Vec<(String, String, Value, String)> {
    plan["referrals"]
        .as_array()
        .expect("referrals")
        .iter()
        .map(|r| {
            assert_eq!(r["meetingsPerWeek"], r["referral"]["weeklyGoal"], "the goal is the referral's: {r}");
            (
                s(&r["referral"]["supportGroup"]["abbreviation"]),
                s(&r["referral"]["status"]),
                r["meetingsPerWeek"].clone(),
                s(&r["referral"]["meeting"]["name"]),
            )
        })
        .collect()
}

fn row(group: &str, status: &str, goal: Value, meeting: &str) -> (String, String, Value, String) {
    (group.into(), status.into(), goal, meeting.into())
}

#[tokio::test]
async fn a_plan_drafted_in_rehab_takes_effect_on_entering_aftercare() {
    let app = TestApp::spawn().await;
    let email = "ann-planner@continuum.test";
    app.create_staff(email, "Ann Planner", Role::Counselor, None).await;
    let me = app.session(email, PASSWORD).await;
    let token = Some(me.access.as_str());
    let na = meeting(&app, "NA", "Tuesday Night NA", "IN_PERSON", 2, "19:00", 90, "America/New_York").await;
    let smart = meeting(&app, "SMART", "SMART Online Thursday", "ONLINE", 4, "18:00", 60, "Europe/London").await;

    let client = client("Robin", "Okafor").register(&app, &me.access).await;
    let Episode { id: episode, version: episode_version, .. } =
        admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;

    // Before anything is saved, the plan is a draft at version 0.
    let draft = plan(&app, &me.access, &client).await;
    assert_eq!(draft["id"], Value::Null);
    assert_eq!(draft["version"], 0);
    assert_eq!(draft["notes"], "");
    assert_eq!(draft["inEffect"], false);
    assert_eq!(draft["effectiveAt"], Value::Null);
    assert_eq!(draft["episode"]["id"], episode.as_str());
    assert_eq!(draft["referrals"], json!([]));
    assert_eq!(draft["followUps"], json!([]));
    assert_eq!(draft["followUpScheduleDays"], json!([7, 30, 90, 180, 365]));

    let na_referral = refer(&app, &me.access, &client, &na, "PLANNED", None).await;
    let smart_referral = refer(&app, &me.access, &client, &smart, "PLANNED", None).await;
    let (na_id, smart_id) = (s(&na_referral["id"]), s(&smart_referral["id"]));
    let draft = plan(&app, &me.access, &client).await;
    assert_eq!(
        plan_referrals(&draft),
        vec![
            row("NA", "PLANNED", Value::Null, "Tuesday Night NA"),
            row("SMART", "PLANNED", Value::Null, "SMART Online Thursday")
        ]
    );

    // The first save: version 1, the notes and the goals.
    let notes = "Two groups to start: NA on Tuesdays in person, SMART online on Thursdays.";
    let saved = app
        .gql_ok(token, UPDATE_PLAN, update_input(&client, 0, Some(notes), &[(&na_id, Some(1)), (&smart_id, Some(1))]))
        .await;
    let saved = &saved["updateAftercarePlan"];
    assert_eq!(saved["version"], 1);
    assert!(saved["id"].is_string(), "saved plans have an id: {saved}");
    assert_eq!(saved["notes"], notes);
    assert_eq!(saved["inEffect"], false);

    let before = plan(&app, &me.access, &client).await;
    assert_eq!(before["id"], saved["id"]);
    assert_eq!(before["version"], 1);
    assert_eq!(before["notes"], notes);
    assert_eq!(before["inEffect"], false, "still in REHAB");
    assert_eq!(before["effectiveAt"], Value::Null);
    assert_eq!(
        plan_referrals(&before),
        vec![
            row("NA", "PLANNED", json!(1), "Tuesday Night NA"),
            row("SMART", "PLANNED", json!(1), "SMART Online Thursday")
        ]
    );
    assert!(
        before["referrals"].as_array().expect("referrals").iter().all(|r| r["adherence"].is_null()),
        "no adherence for referrals not yet active: {before}"
    );
    assert_eq!(before["adherence"], Value::Null);
    assert_eq!(before["followUps"], json!([]), "follow-ups come with aftercare");

    // A stale version is a conflict, whether behind or ahead, and changes nothing.
    for stale in [0, 2] {
        let refused =
            app.gql(token, UPDATE_PLAN, update_input(&client, stale, Some("stale notes"), &[(&na_id, Some(5))])).await;
        assert_code(&refused, "CONFLICT");
        assert_eq!(refused["data"], Value::Null);
    }
    assert_eq!(plan(&app, &me.access, &client).await, before, "a conflict changes nothing");

    // A goal is at least 1 a week, and a referral to one weekly meeting allows no more than 1
    // (attendance is one per referral and day).
    for goal in [0, 2] {
        let refused =
            app.gql(token, UPDATE_PLAN, update_input(&client, 1, Some("bad goal"), &[(&na_id, Some(goal))])).await;
        assert_code(&refused, "BAD_USER_INPUT");
        assert_eq!(error_field(&refused), Some("meetingsPerWeek"), "{refused}");
        assert_eq!(refused["errors"][0]["extensions"]["rule"], "WEEKLY_GOAL");
    }
    // A goal for a referral that is not this episode's: refused as a whole, the valid goal
    // beside it and the version bump are rolled back.
    let stranger = uuid::Uuid::new_v4().to_string();
    let refused = app
        .gql(
            token,
            UPDATE_PLAN,
            update_input(&client, 1, Some("half a change"), &[(&na_id, Some(1)), (&stranger, Some(1))]),
        )
        .await;
    assert_code(&refused, "BAD_USER_INPUT");
    assert_eq!(error_field(&refused), Some("goals"));
    assert_eq!(plan(&app, &me.access, &client).await, before, "refused goals change nothing");

    // Another counselor's client does not exist for them; the admin has no access at all.
    let other = app.login_as(Role::Counselor).await;
    let refused = app
        .gql(Some(&other.access), UPDATE_PLAN, update_input(&client, 1, Some("not mine"), &[(&na_id, Some(2))]))
        .await;
    assert_code(&refused, "NOT_FOUND");
    let hidden = app.gql_ok(Some(&other.access), PLAN, json!({ "id": client })).await;
    assert_eq!(hidden["client"], Value::Null);
    let admin = app.admin().await;
    let refused = app.gql(Some(&admin.access), UPDATE_PLAN, update_input(&client, 1, Some("it"), &[])).await;
    assert_code(&refused, "FORBIDDEN");
    assert_eq!(plan(&app, &me.access, &client).await, before, "refused callers change nothing");

    // Entering AFTERCARE puts the plan into effect: the planned referrals go out and the
    // follow-up contacts are scheduled.
    let moved = app
        .gql_ok(
            token,
            CHANGE_STAGE,
            json!({ "i": { "episodeId": episode, "expectedVersion": episode_version, "stage": "AFTERCARE" } }),
        )
        .await;
    let entered_at = instant(&moved["changeStage"]["stageEnteredAt"]);
    let today = app.state.today();

    let after = plan(&app, &me.access, &client).await;
    assert_eq!(after["inEffect"], true);
    assert_eq!(instant(&after["effectiveAt"]), entered_at, "in effect from the entry into aftercare");
    assert_eq!(after["id"], before["id"], "the same plan");
    assert_eq!(after["notes"], notes);
    assert_eq!(after["episode"]["stage"], "AFTERCARE");
    assert_eq!(
        plan_referrals(&after),
        vec![
            row("NA", "REFERRED", json!(1), "Tuesday Night NA"),
            row("SMART", "REFERRED", json!(1), "SMART Online Thursday")
        ]
    );
    for r in after["referrals"].as_array().expect("referrals") {
        let adherence = &r["adherence"];
        assert_eq!((adherence["attended"].clone(), adherence["rate"].clone()), (json!(0), Value::Null), "{r}");
        assert_eq!(adherence["windowDays"], 0, "referred today: nothing is expected yet: {r}");
    }
    let follow_ups: Vec<(String, String, Value)> = after["followUps"]
        .as_array()
        .expect("follow-ups")
        .iter()
        .map(|f| (s(&f["dueOn"]), s(&f["status"]), f["scheduleDays"].clone()))
        .collect();
    let expected: Vec<(String, String, Value)> = [7u64, 30, 90, 180, 365]
        .iter()
        .map(|d| ((today + Days::new(*d)).to_string(), "SCHEDULED".to_owned(), json!(d)))
        .collect();
    assert_eq!(follow_ups, expected, "the follow-up schedule is listed on the plan");

    // The plan can still be revised in aftercare, from the version it shows.
    let version = after["version"].as_i64().expect("version");
    let revised = app
        .gql_ok(token, UPDATE_PLAN, update_input(&client, version, None, &[(&na_id, None), (&smart_id, Some(1))]))
        .await;
    let revised = &revised["updateAftercarePlan"];
    assert_eq!(revised["version"], version + 1);
    assert_eq!(revised["notes"], notes, "notes left out stay as they are");
    assert_eq!(revised["inEffect"], true);
    let goals: Vec<Value> =
        revised["referrals"].as_array().expect("referrals").iter().map(|r| r["meetingsPerWeek"].clone()).collect();
    assert_eq!(goals, vec![Value::Null, json!(1)], "null clears a goal");
}

#[tokio::test]
async fn a_plan_first_saved_in_aftercare_is_in_effect_from_the_entry_into_aftercare() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let token = Some(me.access.as_str());
    let na = meeting(&app, "NA", "Riverside NA", "IN_PERSON", 5, "18:30", 60, "America/Chicago").await;
    let client = client("Ari", "Castillo").register(&app, &me.access).await;
    let Episode { id: episode, version, .. } = admission(&client, "REHAB").level("L2_1").admit(&app, &me.access).await;
    let moved = app
        .gql_ok(
            token,
            CHANGE_STAGE,
            json!({ "i": { "episodeId": episode, "expectedVersion": version, "stage": "AFTERCARE" } }),
        )
        .await;
    let entered_at = instant(&moved["changeStage"]["stageEnteredAt"]);
    let referral = refer(&app, &me.access, &client, &na, "REFERRED", None).await;

    // Nothing was saved before aftercare: the first save is of a plan already in effect.
    let draft = plan(&app, &me.access, &client).await;
    assert_eq!((draft["version"].clone(), draft["inEffect"].clone()), (json!(0), json!(true)));
    let saved = app
        .gql_ok(
            token,
            UPDATE_PLAN,
            update_input(&client, 0, Some("Fridays at Riverside."), &[(s(&referral["id"]).as_str(), Some(1))]),
        )
        .await;
    assert_eq!(saved["updateAftercarePlan"]["version"], 1);
    assert_eq!(saved["updateAftercarePlan"]["inEffect"], true);
    let after = plan(&app, &me.access, &client).await;
    assert_eq!(after["inEffect"], true);
    assert!(
        after["effectiveAt"].is_string(),
        "a plan in effect says since when (the entry into aftercare), even when first saved after it: {after}"
    );
    assert_eq!(instant(&after["effectiveAt"]), entered_at);
}

/// What a test expects of one scheduled meeting.
struct Expect {
    name: &'static str,
    date: &'static str,
    day: &'static str,
    starts_at: &'static str,
    local: (&'static str, &'static str),
    program: (&'static str, &'static str),
}

#[track_caller]
fn assert_slot(item: &Value, e: &Expect) {
    assert_eq!(item["meeting"]["name"], e.name, "{item}");
    assert_eq!(item["date"], e.date, "{}: the date where it is held", e.name);
    assert_eq!(item["dayName"], e.day, "{}", e.name);
    assert_eq!(instant(&item["startsAt"]), utc(e.starts_at), "{}: starts at", e.name);
    assert_eq!((s(&item["localStart"]).as_str(), s(&item["localEnd"]).as_str()), e.local, "{}: local", e.name);
    assert_eq!(item["programDate"], e.program.0, "{}: date in the program's zone (UTC)", e.name);
    assert_eq!(item["programStart"], e.program.1, "{}: start in the program's zone (UTC)", e.name);
}

#[tokio::test]
async fn the_week_lists_meetings_in_two_time_zones_in_order_with_overlaps_flagged() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = client("Sam", "Lindqvist").register(&app, &me.access).await;
    admission(&client, "REHAB").level("L2_1").admit(&app, &me.access).await;

    // Mid-June 2026: New York is UTC−4, London UTC+1. The Brooklyn meeting at 19:00 and the
    // online one at midnight in London are the same hour and a half, 23:00–00:30 UTC.
    let brooklyn = meeting(&app, "NA", "Brooklyn Step Study", "IN_PERSON", 2, "19:00", 90, "America/New_York").await;
    let online = meeting(&app, "SMART", "SMART Midnight Online", "ONLINE", 3, "00:00", 90, "Europe/London").await;
    let camden = meeting(&app, "AA", "Camden Morning AA", "IN_PERSON", 1, "07:30", 60, "Europe/London").await;
    let queens = meeting(&app, "CA", "Queens Saturday CA", "IN_PERSON", 6, "10:00", 60, "America/New_York").await;
    // A London lunch meeting ending at 15:00 BST (14:00 UTC) just touches the Queens one,
    // which starts at 10:00 EDT (14:00 UTC): touching is no overlap.
    let touching = meeting(&app, "DRA", "Dual Recovery Lunch", "IN_PERSON", 6, "14:00", 60, "Europe/London").await;
    refer(&app, &me.access, &client, &brooklyn, "REFERRED", None).await;
    refer(&app, &me.access, &client, &online, "PLANNED", None).await;
    refer(&app, &me.access, &client, &camden, "PLANNED", Some(1)).await;
    refer(&app, &me.access, &client, &queens, "REFERRED", None).await;
    refer(&app, &me.access, &client, &touching, "PLANNED", None).await;
    // A referral without a meeting has nothing to put in the week.
    let wfs = group_id(&app, &me.access, "WFS").await;
    app.gql_ok(Some(&me.access), REFER, json!({ "i": { "clientId": client, "supportGroupId": wfs } })).await;

    // Any day of the week names the week (Thursday 2026-06-18 → Monday 15 to Sunday 21).
    let week = schedule(&app, &me.access, &client, "2026-06-18").await;
    let names: Vec<String> = week.iter().map(|m| s(&m["meeting"]["name"])).collect();
    assert_eq!(names.len(), 5, "one slot per referral with a meeting: {names:?}");
    let starts: Vec<DateTime<Utc>> = week.iter().map(|m| instant(&m["startsAt"])).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "in order of start: {starts:?}");
    assert_eq!(names[0], "Camden Morning AA");
    let mut tied = vec![names[1].clone(), names[2].clone()];
    tied.sort();
    assert_eq!(tied, ["Brooklyn Step Study", "SMART Midnight Online"], "the two at 23:00 UTC come next");
    assert_eq!(names[3..], ["Dual Recovery Lunch", "Queens Saturday CA"]);
    let by_name = |name: &str| week.iter().find(|m| m["meeting"]["name"] == name).cloned().expect("listed");

    let camden = by_name("Camden Morning AA");
    assert_slot(
        &camden,
        &Expect {
            name: "Camden Morning AA",
            date: "2026-06-15",
            day: "Monday",
            starts_at: "2026-06-15T06:30:00Z",
            local: ("07:30", "08:30"),
            program: ("2026-06-15", "06:30"),
        },
    );
    assert_eq!(camden["timeZone"], "Europe/London");
    assert_eq!(camden["format"], "IN_PERSON");
    assert_eq!(camden["address"], "Camden Morning AA Hall, 12 Main Street");
    assert_eq!(camden["url"], Value::Null);
    assert_eq!(camden["referral"]["status"], "PLANNED", "planned referrals are in the week too");

    let brooklyn = by_name("Brooklyn Step Study");
    assert_slot(
        &brooklyn,
        &Expect {
            name: "Brooklyn Step Study",
            date: "2026-06-16",
            day: "Tuesday",
            starts_at: "2026-06-16T23:00:00Z",
            local: ("19:00", "20:30"),
            program: ("2026-06-16", "23:00"),
        },
    );
    assert_eq!(brooklyn["timeZone"], "America/New_York");
    assert_eq!(instant(&brooklyn["endsAt"]), utc("2026-06-17T00:30:00Z"));

    let online = by_name("SMART Midnight Online");
    assert_slot(
        &online,
        &Expect {
            name: "SMART Midnight Online",
            date: "2026-06-17",
            day: "Wednesday",
            starts_at: "2026-06-16T23:00:00Z",
            local: ("00:00", "01:30"),
            program: ("2026-06-16", "23:00"),
        },
    );
    assert_eq!(online["programEnd"], "00:30");
    assert_eq!(online["timeZone"], "Europe/London");
    assert_eq!(online["format"], "ONLINE");
    assert_eq!(online["url"], "https://meet.example.org/smart-midnight-online");
    assert_eq!(online["address"], Value::Null);
    assert_eq!(instant(&online["endsAt"]), instant(&brooklyn["endsAt"]), "the same UTC interval");

    assert_slot(
        &by_name("Dual Recovery Lunch"),
        &Expect {
            name: "Dual Recovery Lunch",
            date: "2026-06-20",
            day: "Saturday",
            starts_at: "2026-06-20T13:00:00Z",
            local: ("14:00", "15:00"),
            program: ("2026-06-20", "13:00"),
        },
    );
    assert_slot(
        &by_name("Queens Saturday CA"),
        &Expect {
            name: "Queens Saturday CA",
            date: "2026-06-20",
            day: "Saturday",
            starts_at: "2026-06-20T14:00:00Z",
            local: ("10:00", "11:00"),
            program: ("2026-06-20", "14:00"),
        },
    );

    let flagged: Vec<String> =
        week.iter().filter(|m| m["overlaps"] == true).map(|m| s(&m["meeting"]["name"])).collect();
    let mut flagged_sorted = flagged.clone();
    flagged_sorted.sort();
    assert_eq!(
        flagged_sorted,
        ["Brooklyn Step Study", "SMART Midnight Online"],
        "exactly the two overlapping meetings are flagged; meetings that only touch are not"
    );

    // The next week holds the same meetings seven days on.
    let next = schedule(&app, &me.access, &client, "2026-06-22").await;
    let shifted: Vec<(String, DateTime<Utc>)> =
        next.iter().map(|m| (s(&m["meeting"]["name"]), instant(&m["startsAt"]))).collect();
    let expected: Vec<(String, DateTime<Utc>)> =
        week.iter().map(|m| (s(&m["meeting"]["name"]), instant(&m["startsAt"]) + chrono::Duration::days(7))).collect();
    let (mut shifted, mut expected) = (shifted, expected);
    shifted.sort();
    expected.sort();
    assert_eq!(shifted, expected);
}

#[tokio::test]
async fn meetings_keep_their_local_start_time_across_daylight_saving_changes() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = client("Lee", "Haddad").register(&app, &me.access).await;
    admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;

    // New York moves its clocks on 2026-03-08 (spring) and 2026-11-01 (fall); London on
    // 2026-03-29 and 2026-10-25.
    let monday = meeting(&app, "NA", "Monday Night NA", "IN_PERSON", 1, "19:00", 60, "America/New_York").await;
    let london = meeting(&app, "AA", "Soho Wednesday AA", "ONLINE", 3, "18:00", 60, "Europe/London").await;
    let sunday = meeting(&app, "CA", "Sunday Serenity CA", "IN_PERSON", 7, "19:00", 60, "America/New_York").await;
    // 02:30 does not exist in New York on 2026-03-08: that day it starts at 03:00, the first
    // minute after the gap, as a person reading the wall clock would.
    let early = meeting(&app, "CMA", "Early Bird CMA", "IN_PERSON", 7, "02:30", 30, "America/New_York").await;
    refer(&app, &me.access, &client, &monday, "PLANNED", None).await;
    refer(&app, &me.access, &client, &london, "REFERRED", None).await;
    refer(&app, &me.access, &client, &sunday, "PLANNED", None).await;
    refer(&app, &me.access, &client, &early, "REFERRED", None).await;

    type Row = (&'static str, &'static str, &'static str, &'static str, &'static str);
    // (week of, meeting, local date, local start, starts at UTC), in the order listed.
    let weeks: [(&str, [Row; 4]); 6] = [
        (
            // The week of the spring change in New York: EST on Monday, EDT on Sunday.
            "2026-03-02",
            [
                ("2026-03-02", "Monday Night NA", "2026-03-02", "19:00", "2026-03-03T00:00:00Z"),
                ("2026-03-02", "Soho Wednesday AA", "2026-03-04", "18:00", "2026-03-04T18:00:00Z"),
                ("2026-03-02", "Early Bird CMA", "2026-03-08", "03:00", "2026-03-08T07:00:00Z"),
                ("2026-03-02", "Sunday Serenity CA", "2026-03-08", "19:00", "2026-03-08T23:00:00Z"),
            ],
        ),
        (
            "2026-03-05",
            [
                ("2026-03-05", "Monday Night NA", "2026-03-02", "19:00", "2026-03-03T00:00:00Z"),
                ("2026-03-05", "Soho Wednesday AA", "2026-03-04", "18:00", "2026-03-04T18:00:00Z"),
                ("2026-03-05", "Early Bird CMA", "2026-03-08", "03:00", "2026-03-08T07:00:00Z"),
                ("2026-03-05", "Sunday Serenity CA", "2026-03-08", "19:00", "2026-03-08T23:00:00Z"),
            ],
        ),
        (
            // A week later New York is on EDT: the same 19:00 is an hour earlier in UTC.
            "2026-03-12",
            [
                ("2026-03-12", "Monday Night NA", "2026-03-09", "19:00", "2026-03-09T23:00:00Z"),
                ("2026-03-12", "Soho Wednesday AA", "2026-03-11", "18:00", "2026-03-11T18:00:00Z"),
                ("2026-03-12", "Early Bird CMA", "2026-03-15", "02:30", "2026-03-15T06:30:00Z"),
                ("2026-03-12", "Sunday Serenity CA", "2026-03-15", "19:00", "2026-03-15T23:00:00Z"),
            ],
        ),
        (
            // London changes on Sunday 2026-03-29: still GMT on that Wednesday.
            "2026-03-23",
            [
                ("2026-03-23", "Monday Night NA", "2026-03-23", "19:00", "2026-03-23T23:00:00Z"),
                ("2026-03-23", "Soho Wednesday AA", "2026-03-25", "18:00", "2026-03-25T18:00:00Z"),
                ("2026-03-23", "Early Bird CMA", "2026-03-29", "02:30", "2026-03-29T06:30:00Z"),
                ("2026-03-23", "Sunday Serenity CA", "2026-03-29", "19:00", "2026-03-29T23:00:00Z"),
            ],
        ),
        (
            // … and BST the week after: 18:00 in London is 17:00 UTC.
            "2026-03-30",
            [
                ("2026-03-30", "Monday Night NA", "2026-03-30", "19:00", "2026-03-30T23:00:00Z"),
                ("2026-03-30", "Soho Wednesday AA", "2026-04-01", "18:00", "2026-04-01T17:00:00Z"),
                ("2026-03-30", "Early Bird CMA", "2026-04-05", "02:30", "2026-04-05T06:30:00Z"),
                ("2026-03-30", "Sunday Serenity CA", "2026-04-05", "19:00", "2026-04-05T23:00:00Z"),
            ],
        ),
        (
            // The fall change in New York on Sunday 2026-11-01: EDT on Monday, EST on Sunday.
            "2026-10-26",
            [
                ("2026-10-26", "Monday Night NA", "2026-10-26", "19:00", "2026-10-26T23:00:00Z"),
                ("2026-10-26", "Soho Wednesday AA", "2026-10-28", "18:00", "2026-10-28T18:00:00Z"),
                ("2026-10-26", "Early Bird CMA", "2026-11-01", "02:30", "2026-11-01T07:30:00Z"),
                ("2026-10-26", "Sunday Serenity CA", "2026-11-01", "19:00", "2026-11-02T00:00:00Z"),
            ],
        ),
    ];
    for (week_of, rows) in weeks {
        let week = schedule(&app, &me.access, &client, week_of).await;
        let got: Vec<(String, String, String, DateTime<Utc>)> = week
            .iter()
            .map(|m| (s(&m["meeting"]["name"]), s(&m["date"]), s(&m["localStart"]), instant(&m["startsAt"])))
            .collect();
        let want: Vec<(String, String, String, DateTime<Utc>)> = rows
            .iter()
            .map(|(_, name, date, local, at)| ((*name).into(), (*date).into(), (*local).into(), utc(at)))
            .collect();
        assert_eq!(got, want, "the week of {week_of}");
        for m in &week {
            let starts = instant(&m["startsAt"]);
            assert_eq!(
                instant(&m["endsAt"]) - starts,
                chrono::Duration::minutes(if m["meeting"]["name"] == "Early Bird CMA" { 30 } else { 60 })
            );
            assert_eq!(m["programDate"], starts.date_naive().to_string(), "UTC is the program's zone: {m}");
            assert_eq!(m["programStart"], starts.format("%H:%M").to_string(), "{m}");
            assert_eq!(m["overlaps"], false, "{m}");
        }
    }
}

#[tokio::test]
async fn adherence_is_attended_over_expected_since_a_two_week_old_referral() {
    let app = TestApp::spawn().await;
    let email = "adherence-counselor@continuum.test";
    app.create_staff(email, "Ada Herence", Role::Counselor, None).await;
    let me = app.session(email, PASSWORD).await;
    let na = meeting(&app, "NA", "Noon NA", "IN_PERSON", 3, "12:00", 60, "America/Chicago").await;
    let aa = meeting(&app, "AA", "Evening AA", "IN_PERSON", 4, "19:00", 60, "America/Chicago").await;
    let smart = meeting(&app, "SMART", "SMART Weekend", "ONLINE", 6, "10:00", 60, "America/Chicago").await;

    let client = client("Kai", "Moreno").register(&app, &me.access).await;
    admission(&client, "REHAB").level("L1").admit(&app, &me.access).await;
    // Goals above one a week go with referrals to a group, not to one weekly meeting.
    let goal = refer_to_group(&app, &me.access, &client, &na.0, "REFERRED", Some(3)).await;
    assert_eq!(goal["weeklyGoal"], 3, "the goal set with the referral");
    let no_goal = refer(&app, &me.access, &client, &aa, "REFERRED", None).await;
    let planned = refer_to_group(&app, &me.access, &client, &smart.0, "PLANNED", Some(2)).await;
    let referred_on = app.state.today();

    // Two weeks on: five meetings attended within the fortnight, at a goal of three a week.
    app.clock.advance(chrono::Duration::days(14));
    let me = app.session(email, PASSWORD).await;
    let today = app.state.today();
    assert_eq!(today, referred_on + Days::new(14));
    let days_ago = |n: u64| (today - Days::new(n)).to_string();
    let before_referral = app
        .gql(Some(&me.access), ATTEND, json!({ "i": { "referralId": goal["id"], "attendedOn": days_ago(15) } }))
        .await;
    assert_code(&before_referral, "BAD_USER_INPUT");
    assert_eq!(error_field(&before_referral), Some("attendedOn"), "not before the referral");
    for n in [13, 10, 7, 4, 1] {
        let input = json!({ "referralId": goal["id"], "attendedOn": days_ago(n), "verified": n % 2 == 1 });
        app.gql_ok(Some(&me.access), ATTEND, json!({ "i": input })).await;
    }
    // Attendance at a referral without a goal counts for nothing here.
    let input = json!({ "referralId": no_goal["id"], "attendedOn": days_ago(2) });
    app.gql_ok(Some(&me.access), ATTEND, json!({ "i": input })).await;

    let read = app.gql_ok(Some(&me.access), PLAN, json!({ "id": client })).await;
    let plan = &read["client"]["aftercarePlan"];
    let referrals = plan["referrals"].as_array().expect("referrals");
    assert_eq!(referrals.len(), 3);
    let of = |id: &Value| referrals.iter().find(|r| r["referral"]["id"] == *id).cloned().expect("on the plan");

    let with_goal = of(&goal["id"]);
    assert_eq!(with_goal["meetingsPerWeek"], 3);
    assert_eq!(with_goal["referral"]["status"], "ENGAGED");
    let adherence = &with_goal["adherence"];
    assert_eq!(adherence["attended"], 5);
    assert_eq!(adherence["expected"], 6.0, "3 a week × 14 days ÷ 7");
    assert_eq!(adherence["rate"], 0.83, "5 ÷ 6, two decimals");
    assert_eq!(adherence["windowDays"], 14, "the window starts at the referral");
    assert_eq!(adherence["windowStart"], referred_on.to_string());

    assert_eq!(of(&no_goal["id"])["adherence"], Value::Null, "no goal, no adherence");
    let planned = of(&planned["id"]);
    assert_eq!(planned["meetingsPerWeek"], 2);
    assert_eq!(planned["adherence"], Value::Null, "a PLANNED referral is not yet active");

    let client_level = &plan["adherence"];
    assert_eq!(
        (client_level["attended"].clone(), client_level["expected"].clone(), client_level["rate"].clone()),
        (json!(5), json!(6.0), json!(0.83)),
        "the client's adherence: only the active referral with a goal counts"
    );

    // Three weeks later the window is the last 28 days: three of the five meetings are in it.
    app.clock.advance(chrono::Duration::days(21));
    let me = app.session(email, PASSWORD).await;
    let later = app.state.today();
    let read = app.gql_ok(Some(&me.access), PLAN, json!({ "id": client })).await;
    let plan = &read["client"]["aftercarePlan"];
    let with_goal =
        plan["referrals"].as_array().expect("referrals").iter().find(|r| r["referral"]["id"] == goal["id"]).cloned();
    let adherence = &with_goal.expect("on the plan")["adherence"];
    assert_eq!(adherence["windowDays"], 28);
    assert_eq!(adherence["windowStart"], (later - Days::new(28)).to_string());
    assert_eq!(adherence["attended"], 3, "the meetings 7, 4 and 1 days before the first reading");
    assert_eq!(adherence["expected"], 12.0);
    assert_eq!(adherence["rate"], 0.25);
}

#[tokio::test]
async fn the_printed_plan_holds_the_meetings_the_follow_up_dates_and_the_counselor() {
    let app = TestApp::spawn().await;
    let email = "morgan-print@continuum.test";
    app.create_staff(email, "Morgan Lee", Role::Counselor, None).await;
    let me = app.session(email, PASSWORD).await;
    let na = meeting(&app, "NA", "Harbor Group NA", "IN_PERSON", 2, "19:00", 60, "America/New_York").await;
    let smart = meeting(&app, "SMART", "SMART Online Lunch", "ONLINE", 4, "12:00", 60, "Europe/London").await;
    let client = client("Jamie", "Rivera").register(&app, &me.access).await;
    let Episode { id: episode, version, .. } = admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    let na_referral = refer(&app, &me.access, &client, &na, "PLANNED", None).await;
    refer(&app, &me.access, &client, &smart, "PLANNED", Some(1)).await;
    // Internal notes, and a note for the client.
    let internal = "Naltrexone discussed with MD";
    let for_client = "Call Morgan after any missed week. <script>alert('x')</script>";
    let mut input = update_input(&client, 0, Some(internal), &[(s(&na_referral["id"]).as_str(), Some(1))]);
    input["i"]["clientNote"] = json!(for_client);
    app.gql_ok(Some(&me.access), UPDATE_PLAN, input).await;
    app.gql_ok(
        Some(&me.access),
        CHANGE_STAGE,
        json!({ "i": { "episodeId": episode, "expectedVersion": version, "stage": "AFTERCARE" } }),
    )
    .await;
    let today = app.state.today();
    let due: Vec<String> = [7u64, 30, 90, 180, 365].iter().map(|d| (today + Days::new(*d)).to_string()).collect();

    let path = format!("/clients/{client}/aftercare-plan");
    let (status, html) = app.get(&path, Some(&me.access)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!html.to_lowercase().contains("<script"), "no scripts, and notes are escaped: {html}");
    assert!(html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"), "the note, escaped: {html}");
    assert!(!html.contains("Naltrexone"), "the counselor's internal notes never reach the client's sheet: {html}");
    assert!(html.contains("call or text 988"), "the crisis line: {html}");
    for expected in ["Harbor Group NA", "SMART Online Lunch", "Morgan Lee", "Jamie Rivera", "Your goal: 1"] {
        assert!(html.contains(expected), "the page holds {expected}");
    }
    for date in &due {
        assert!(html.contains(date.as_str()), "the page lists the follow-up on {date}");
    }
    let request = Request::get(&path)
        .header(header::AUTHORIZATION, format!("Bearer {}", me.access))
        .body(Body::empty())
        .expect("request");
    let (_, headers, _) = app.request(request).await;
    let csp = headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("default-src 'none'"), "a policy that forbids scripts: {csp}");

    let Some(text) = print_to_text(&html) else { return };
    for expected in ["Aftercare plan for Jamie Rivera", "Harbor Group NA", "SMART Online Lunch", "Morgan Lee"] {
        assert!(text.contains(expected), "the PDF holds {expected:?}: {text}");
    }
    for date in &due {
        assert!(text.contains(date.as_str()), "the PDF lists the follow-up on {date}: {text}");
    }
    assert!(text.contains("America/New_York") && text.contains("Europe/London"), "each meeting's zone: {text}");
}

#[tokio::test]
async fn the_plan_page_is_for_the_clients_own_counselor_only() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = client("Noor", "Haddad").register(&app, &me.access).await;
    admission(&client, "REHAB").level("L2_5").admit(&app, &me.access).await;
    let path = format!("/clients/{client}/aftercare-plan");

    let (status, html) = app.get(&path, Some(&me.access)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Noor Haddad"));
    assert!(html.contains("No meetings planned this week."), "nothing planned yet");
    // Before aftercare the only check-in is the GPRA interview, 6 months after intake.
    let gpra = continuum::domain::measures::gpra_window(app.state.today()).1.to_string();
    assert!(html.contains(&gpra), "the GPRA interview on {gpra} is the one check-in: {html}");

    let (status, _) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token");
    let (status, _) = app.get(&path, Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a bad token");

    let other = app.login_as(Role::Counselor).await;
    let (status, body) = app.get(&path, Some(&other.access)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another counselor's client does not exist for them");
    assert!(!body.contains("Noor"), "and nothing of it is shown: {body}");

    let (status, _) = app.get(&format!("/clients/{}/aftercare-plan", uuid::Uuid::new_v4()), Some(&me.access)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a client that does not exist");
    let (status, _) = app.get("/clients/not-a-uuid/aftercare-plan", Some(&me.access)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an id that is not one");

    let admin = app.admin().await;
    let (status, _) = app.get(&path, Some(&admin.access)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "administrators have no access to client records");
}

#[tokio::test]
async fn a_spanish_speaker_gets_the_plan_in_spanish_with_the_programs_phone() {
    let app = TestApp::spawn_with(&[("CONTINUUM_PROGRAM_PHONE", "+1 555 0100")]).await;
    let me = app.login_as(Role::Counselor).await;
    let na = meeting(&app, "NA", "Grupo Esperanza", "IN_PERSON", 2, "19:00", 60, "America/New_York").await;
    let client = client("Lucía", "Ortega").language("es-MX").register(&app, &me.access).await;
    admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    let referral = refer(&app, &me.access, &client, &na, "REFERRED", Some(1)).await;
    let internal = "Naltrexone discussed with MD";
    let mut input = update_input(&client, 0, Some(internal), &[(s(&referral["id"]).as_str(), Some(1))]);
    input["i"]["clientNote"] = json!("Llame a su consejera si falta una semana.");
    app.gql_ok(Some(&me.access), UPDATE_PLAN, input).await;
    let (status, html) = app.get(&format!("/clients/{client}/aftercare-plan"), Some(&me.access)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    for expected in [
        "Plan de seguimiento para Lucía Ortega",
        "Sus reuniones",
        "martes",
        "Grupo Esperanza",
        "llame o envíe un mensaje de texto al 988",
        "+1 555 0100",
    ] {
        assert!(html.contains(expected), "the sheet says {expected}: {html}");
    }
    assert!(!html.contains("Your meetings"), "no English left on it");
    assert!(!html.contains("Naltrexone"), "the internal note stays internal");

    // Printed as the client gets it.
    let Some(text) = print_to_text(&html) else { return };
    for expected in [
        "Plan de seguimiento para Lucía Ortega",
        "Sus reuniones",
        "Sus grupos de apoyo",
        "Grupo Esperanza",
        "988",
        "+1 555 0100",
        "Llame a su consejera si falta una semana.",
    ] {
        assert!(text.contains(expected), "the printed plan holds {expected:?}: {text}");
    }
    assert!(!text.contains("Naltrexone"), "the printed plan never holds the internal note: {text}");
    assert!(!text.contains("Your meetings"), "nor English headings: {text}");
}
