//! Reports: every figure of `followUpReport`, `referralReport` and `stageCensus` against a
//! caseload built by hand through GraphQL, worked out here; the funders' CSV agrees with the
//! GraphQL figures; the statement count does not grow with the data; bad ranges and admins
//! are refused.

use std::collections::BTreeMap;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use continuum::{
    domain::{FollowUpKind, FollowUpOutcome, FollowUpStatus, Role},
    entity::follow_up,
};
use sea_orm::{EntityTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::documents::{ATTEND, DISCHARGE, RECORD_FOLLOW_UP, REFER, REFERRAL_STATUS, SCHEDULE_FOLLOW_UP};
use crate::fixtures::*;
use crate::helpers::*;

const FOLLOW_UPS: &str =
    "query($id: ID!) { client(id: $id) { followUps { id version kind dueOn status scheduleDays } } }";

const FOLLOW_UP_REPORT: &str = "query($from: Date!, $to: Date!, $c: ID) {
    followUpReport(from: $from, to: $to, counselorId: $c) {
        from to gpraTarget
        total { ...F }
        byCounselor { counselor { id name } figures { ...F } }
    }
}
fragment F on FollowUpFigures {
    due scheduled completed unreachable missed cancelled overdue completionRate
    sevenDayPending thirtyDayPending sixMonthPending
    outcomes { outcome count }
    attendingSupportGroup
    sevenDayEligible sevenDayCompleted sevenDayRate
    thirtyDayEligible thirtyDayCompleted thirtyDayRate
    sixMonthDue sixMonthCompleted sixMonthRate meetsGpraTarget
}";

const REFERRAL_REPORT: &str = "query($from: Date!, $to: Date!) {
    referralReport(from: $from, to: $to) {
        from to
        total { ...R }
        bySupportGroup { supportGroup { id abbreviation } figures { ...R } }
        byStage { stage figures { ...R } }
    }
}
fragment R on ReferralFigures { referred planned engaged completed declined discontinued cancelled engagementRate }";

const CENSUS: &str = "{ stageCensus { stage clients } }";

const OUTCOME_NAMES: [&str; 6] =
    ["ABSTINENT", "RETURN_TO_USE", "READMITTED", "DECLINED_TO_ANSWER", "INCARCERATED", "DECEASED"];

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

// ---------------------------------------------------------------------------------------
// Expected figures, written out by hand in each test.

/// One `FollowUpFigures`, as the test works it out.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    due: i64,
    scheduled: i64,
    completed: i64,
    unreachable: i64,
    /// Due, not made, then overtaken by a return to treatment (none in this caseload).
    missed: i64,
    cancelled: i64,
    overdue: i64,
    completion_rate: Option<f64>,
    /// In the order of `OUTCOME_NAMES`.
    outcomes: [i64; 6],
    attending: i64,
    /// (eligible, completed, rate)
    seven: (i64, i64, Option<f64>),
    thirty: (i64, i64, Option<f64>),
    /// (due, completed, rate)
    six: (i64, i64, Option<f64>),
    meets_gpra: Option<bool>,
}

fn same_rate(actual: &Value, expected: Option<f64>) -> bool {
    match (actual.as_f64(), expected) {
        (None, None) => actual.is_null(),
        (Some(a), Some(e)) => (a - e).abs() < 1e-9,
        _ => false,
    }
}

#[track_caller]
fn assert_rate(actual: &Value, expected: Option<f64>, what: &str) {
    assert!(same_rate(actual, expected), "{what}: expected {expected:?}, got {actual}");
}

#[track_caller]
fn assert_figures(actual: &Value, expected: &Figures, label: &str) {
    let int = |field: &str| actual[field].as_i64().unwrap_or_else(|| panic!("{label}.{field} missing: {actual}"));
    let counts = [
        ("due", expected.due),
        ("scheduled", expected.scheduled),
        ("completed", expected.completed),
        ("unreachable", expected.unreachable),
        ("missed", expected.missed),
        ("cancelled", expected.cancelled),
        ("overdue", expected.overdue),
        ("attendingSupportGroup", expected.attending),
        ("sevenDayEligible", expected.seven.0),
        ("sevenDayCompleted", expected.seven.1),
        ("thirtyDayEligible", expected.thirty.0),
        ("thirtyDayCompleted", expected.thirty.1),
        ("sixMonthDue", expected.six.0),
        ("sixMonthCompleted", expected.six.1),
    ];
    for (field, want) in counts {
        assert_eq!(int(field), want, "{label}.{field}: {actual}");
    }
    assert_rate(&actual["completionRate"], expected.completion_rate, &format!("{label}.completionRate"));
    assert_rate(&actual["sevenDayRate"], expected.seven.2, &format!("{label}.sevenDayRate"));
    assert_rate(&actual["thirtyDayRate"], expected.thirty.2, &format!("{label}.thirtyDayRate"));
    assert_rate(&actual["sixMonthRate"], expected.six.2, &format!("{label}.sixMonthRate"));
    assert_eq!(actual["meetsGpraTarget"], json!(expected.meets_gpra), "{label}.meetsGpraTarget: {actual}");

    let outcomes: BTreeMap<String, i64> = actual["outcomes"]
        .as_array()
        .unwrap_or_else(|| panic!("{label}.outcomes: {actual}"))
        .iter()
        .map(|o| (s(&o["outcome"]), o["count"].as_i64().unwrap_or(-1)))
        .collect();
    let want: BTreeMap<String, i64> =
        OUTCOME_NAMES.iter().zip(expected.outcomes).map(|(n, c)| ((*n).to_owned(), c)).collect();
    assert_eq!(outcomes, want, "{label}.outcomes: every outcome listed, zeros included");
}

/// One `ReferralFigures`: (referred, planned, engaged, completed, declined, discontinued,
/// cancelled, engagement rate).
type Referrals = (i64, i64, i64, i64, i64, i64, i64, Option<f64>);

#[track_caller]
fn assert_referrals(actual: &Value, expected: Referrals, label: &str) {
    let (referred, planned, engaged, completed, declined, discontinued, cancelled, rate) = expected;
    let got = |f: &str| actual[f].as_i64().unwrap_or(-1);
    assert_eq!(
        [
            got("referred"),
            got("planned"),
            got("engaged"),
            got("completed"),
            got("declined"),
            got("discontinued"),
            got("cancelled")
        ],
        [referred, planned, engaged, completed, declined, discontinued, cancelled],
        "{label} (referred, planned, engaged, completed, declined, discontinued, cancelled): {actual}"
    );
    assert_rate(&actual["engagementRate"], rate, &format!("{label}.engagementRate"));
}

// ---------------------------------------------------------------------------------------
// Building the caseload through GraphQL.

async fn group_ids(app: &TestApp, token: &str) -> BTreeMap<String, String> {
    let data = app.gql_ok(Some(token), "{ supportGroups { id abbreviation } }", json!({})).await;
    data["supportGroups"].as_array().expect("groups").iter().map(|g| (s(&g["abbreviation"]), s(&g["id"]))).collect()
}

/// Refers; returns (referral id, version, status).
async fn refer(app: &TestApp, token: &str, client: &str, group: &str, status: Option<&str>) -> (String, i64, String) {
    let input = json!({ "clientId": client, "supportGroupId": group, "status": status });
    let r = app.gql_ok(Some(token), REFER, json!({ "i": input })).await["referToSupportGroup"].clone();
    (s(&r["id"]), r["version"].as_i64().expect("version"), s(&r["status"]))
}

/// Moves a referral; returns the new version.
async fn move_referral(app: &TestApp, token: &str, id: &str, version: i64, status: &str, reason: Option<&str>) -> i64 {
    let input = json!({ "referralId": id, "expectedVersion": version, "status": status, "reason": reason });
    let r = app.gql_ok(Some(token), REFERRAL_STATUS, json!({ "i": input })).await["updateReferralStatus"].clone();
    assert_eq!(r["status"], status);
    r["version"].as_i64().expect("version")
}

/// Records attendance on a REFERRED referral (which makes it ENGAGED); returns the version.
async fn attend(app: &TestApp, token: &str, id: &str, on: NaiveDate) -> i64 {
    let input = json!({ "referralId": id, "attendedOn": on.to_string() });
    let r = app.gql_ok(Some(token), ATTEND, json!({ "i": input })).await["recordAttendance"].clone();
    assert_eq!(r["status"], "ENGAGED", "the first attendance engages");
    r["version"].as_i64().expect("version")
}

/// The client's follow-up from the aftercare schedule with these days.
async fn scheduled(app: &TestApp, token: &str, client: &str, days: i64) -> Value {
    let data = app.gql_ok(Some(token), FOLLOW_UPS, json!({ "id": client })).await;
    data["client"]["followUps"]
        .as_array()
        .expect("follow-ups")
        .iter()
        .find(|f| f["scheduleDays"] == days)
        .unwrap_or_else(|| panic!("a {days}-day follow-up: {data}"))
        .clone()
}

async fn due_dates(app: &TestApp, token: &str, client: &str) -> Vec<String> {
    let data = app.gql_ok(Some(token), FOLLOW_UPS, json!({ "id": client })).await;
    let list = data["client"]["followUps"].as_array().expect("follow-ups");
    // The aftercare schedule's (and hand-made) contacts; the GPRA interview has its own measure.
    list.iter().filter(|f| f["kind"] != "GPRA").map(|f| s(&f["dueOn"])).collect()
}

/// Records the `days`-day follow-up of the client.
#[allow(clippy::too_many_arguments)]
async fn record(
    app: &TestApp,
    token: &str,
    client: &str,
    days: i64,
    status: &str,
    outcome: Option<&str>,
    attending: Option<bool>,
    contacted_at: Option<DateTime<Utc>>,
) {
    let f = scheduled(app, token, client, days).await;
    let mut version = f["version"].as_i64().expect("version");
    if status == "UNREACHABLE" {
        // Given up only after three calls on different days.
        let id = f["id"].as_str().expect("id");
        version = unanswered_calls(app, token, id, app.state.now(), &[2, 1, 0]).await;
    }
    let input = json!({ "followUpId": f["id"], "expectedVersion": version, "status": status, "outcome": outcome,
        "attendingSupportGroup": attending, "contactedAt": contacted_at.map(|t| t.to_rfc3339()) });
    let data = app.gql_ok(Some(token), RECORD_FOLLOW_UP, json!({ "i": input })).await;
    assert_eq!(data["recordFollowUp"]["status"], status);
}

const SUE: &str = "sue@reports.test";
const ANN: &str = "ann@reports.test";
const BOB: &str = "bob@reports.test";

/// The hand-built caseload: supervisor Sue, counselors Ann and Bob (on Sue's team).
///
/// Times are relative to `t0` (the service clock at the start) and dates to `d` (its day;
/// the program's time zone is UTC in the tests).
///
/// | client | counselor | episode                                    | follow-ups (due; status)                                   |
/// |--------|-----------|--------------------------------------------|------------------------------------------------------------|
/// | A1     | Ann       | AFTERCARE since t0−40d                     | 7d d−33 COMPLETED ABSTINENT attending, contact t0−35d (+5d) |
/// |        |           |                                            | 30d d−10 COMPLETED RETURN_TO_USE not attending, t0−11d      |
/// |        |           |                                            | 90d d+50, 180d d+140, 365d d+325 SCHEDULED                  |
/// | A2     | Ann       | REHAB since t0−20d, AFTERCARE at t0        | 7d d+7 UNREACHABLE; 30d d+30, 90d d+90, 180d d+180, 365d d+365 SCHEDULED |
/// | A3     | Ann       | AFTERCARE since t0−10d                     | 7d d−3 SCHEDULED (overdue); 30d d+20 CANCELLED; 90d d+80, 180d d+170, 365d d+355 SCHEDULED |
/// | A4     | Ann       | REHAB L3_5, discharged COMPLETED at t0     | post-discharge 7d d+7, 30d d+30 SCHEDULED                  |
/// | A5     | Ann       | never admitted                             | —                                                          |
/// | B1     | Bob       | AFTERCARE since t0−35d                     | 7d d−28 COMPLETED ABSTINENT attending, contact t0−25d (+10d) |
/// |        |           |                                            | 30d d−5 UNREACHABLE; 90d d+55, 180d d+145, 365d d+330 SCHEDULED |
/// | B2     | Bob       | DETOX                                      | by hand: d+3 SCHEDULED                                     |
/// | B3     | Bob       | REHAB                                      | —                                                          |
///
/// Referrals, all made today (stage at referral; final status):
/// NA: B2 (DETOX; REFERRED→DECLINED), B3 (REHAB; REFERRED→ENGAGED→COMPLETED), A3 (AFTERCARE; PLANNED→REFERRED)
/// AA: B2 (DETOX; PLANNED), A1 (AFTERCARE; REFERRED→ENGAGED)
/// SMART: B3 (REHAB; REFERRED→DISCONTINUED), A1 (AFTERCARE; PLANNED→CANCELLED),
///        A2 (REHAB; PLANNED, made REFERRED by entering aftercare)
struct Caseload {
    d: NaiveDate,
    sue: Session,
    ann: Session,
    bob: Session,
    a: [String; 5],
    b: [String; 3],
    groups: BTreeMap<String, String>,
}

impl Caseload {
    fn day(&self, offset: i64) -> String {
        let date =
            if offset >= 0 { self.d + Days::new(offset as u64) } else { self.d - Days::new(offset.unsigned_abs()) };
        date.to_string()
    }
}

async fn build_caseload(app: &TestApp) -> Caseload {
    let sue_id = app.create_staff(SUE, "Sue Supervisor", Role::Supervisor, None).await;
    app.create_staff(ANN, "Ann Counselor", Role::Counselor, Some(&sue_id)).await;
    app.create_staff(BOB, "Bob Counselor", Role::Counselor, Some(&sue_id)).await;
    let sue = app.session(SUE, PASSWORD).await;
    let ann = app.session(ANN, PASSWORD).await;
    let bob = app.session(BOB, PASSWORD).await;
    let (a_tok, b_tok) = (ann.access.clone(), bob.access.clone());
    let t0 = app.state.now();
    let d = app.state.today();
    let ago = |days: i64| t0 - Duration::days(days);
    let groups = group_ids(app, &a_tok).await;
    let (na, aa, smart) = (&groups["NA"], &groups["AA"], &groups["SMART"]);

    let a1 = client("Alma", "One").register(app, &a_tok).await;
    let a2 = client("Arlo", "Two").register(app, &a_tok).await;
    let a3 = client("Ava", "Three").register(app, &a_tok).await;
    let a4 = client("Axel", "Four").register(app, &a_tok).await;
    let a5 = client("Aida", "Five").register(app, &a_tok).await;
    let b1 = client("Bea", "One").register(app, &b_tok).await;
    let b2 = client("Ben", "Two").register(app, &b_tok).await;
    let b3 = client("Bo", "Three").register(app, &b_tok).await;

    // A1: in aftercare since 40 days ago; the 7- and 30-day contacts were made.
    admission(&a1, "AFTERCARE").at(ago(40)).admit(app, &a_tok).await;
    let c = Caseload { d, sue, ann, bob, a: Default::default(), b: Default::default(), groups: BTreeMap::new() };
    assert_eq!(
        due_dates(app, &a_tok, &a1).await,
        [c.day(-33), c.day(-10), c.day(50), c.day(140), c.day(325)],
        "the schedule counts from the day aftercare began"
    );
    record(app, &a_tok, &a1, 7, "COMPLETED", Some("ABSTINENT"), Some(true), Some(ago(35))).await;
    record(app, &a_tok, &a1, 30, "COMPLETED", Some("RETURN_TO_USE"), Some(false), Some(ago(11))).await;

    // A2: in rehab for 20 days with a planned SMART referral, then aftercare today.
    let Episode { id: a2_episode, version, .. } =
        admission(&a2, "REHAB").level("L3_5").at(ago(20)).admit(app, &a_tok).await;
    let (_, _, status) = refer(app, &a_tok, &a2, smart, Some("PLANNED")).await;
    assert_eq!(status, "PLANNED");
    change_stage(app, &a_tok, &a2_episode, version, "AFTERCARE", None).await;
    assert_eq!(due_dates(app, &a_tok, &a2).await, [c.day(7), c.day(30), c.day(90), c.day(180), c.day(365)]);
    record(app, &a_tok, &a2, 7, "UNREACHABLE", None, None, None).await;

    // A3: in aftercare since 10 days ago; the 7-day contact is overdue, the 30-day cancelled.
    admission(&a3, "AFTERCARE").at(ago(10)).admit(app, &a_tok).await;
    assert_eq!(due_dates(app, &a_tok, &a3).await, [c.day(-3), c.day(20), c.day(80), c.day(170), c.day(355)]);
    record(app, &a_tok, &a3, 30, "CANCELLED", None, None, None).await;

    // A4: admitted and discharged; A5: never admitted.
    let Episode { id: a4_episode, version, .. } = admission(&a4, "REHAB").level("L3_5").admit(app, &a_tok).await;
    let input = json!({ "episodeId": a4_episode, "expectedVersion": version, "reason": "COMPLETED" });
    assert_eq!(app.gql_ok(Some(&a_tok), DISCHARGE, json!({ "i": input })).await["dischargeClient"]["open"], false);

    // B1: in aftercare since 35 days ago; the 7-day contact was made late (day 10), the
    // 30-day one unreachable.
    admission(&b1, "AFTERCARE").at(ago(35)).admit(app, &b_tok).await;
    assert_eq!(due_dates(app, &b_tok, &b1).await, [c.day(-28), c.day(-5), c.day(55), c.day(145), c.day(330)]);
    record(app, &b_tok, &b1, 7, "COMPLETED", Some("ABSTINENT"), Some(true), Some(ago(25))).await;
    record(app, &b_tok, &b1, 30, "UNREACHABLE", None, None, None).await;

    // B2: in detox, with one follow-up scheduled by hand; B3: in rehab.
    admission(&b2, "DETOX").level("WM_3_2").admit(app, &b_tok).await;
    let input = json!({ "clientId": b2, "dueOn": c.day(3) });
    assert_eq!(
        app.gql_ok(Some(&b_tok), SCHEDULE_FOLLOW_UP, json!({ "i": input })).await["scheduleFollowUp"]["dueOn"],
        c.day(3)
    );
    admission(&b3, "REHAB").level("L3_5").admit(app, &b_tok).await;

    // Referrals.
    let (id, v, _) = refer(app, &b_tok, &b2, na, None).await;
    move_referral(app, &b_tok, &id, v, "DECLINED", Some("not ready")).await;
    let (_, _, status) = refer(app, &b_tok, &b2, aa, Some("PLANNED")).await;
    assert_eq!(status, "PLANNED");
    let (id, _, _) = refer(app, &b_tok, &b3, na, None).await;
    let v = attend(app, &b_tok, &id, d).await;
    move_referral(app, &b_tok, &id, v, "COMPLETED", None).await;
    let (id, v, _) = refer(app, &b_tok, &b3, smart, None).await;
    move_referral(app, &b_tok, &id, v, "DISCONTINUED", Some("stopped going")).await;
    let (id, _, _) = refer(app, &a_tok, &a1, aa, None).await;
    attend(app, &a_tok, &id, d).await;
    let (id, v, _) = refer(app, &a_tok, &a1, smart, Some("PLANNED")).await;
    move_referral(app, &a_tok, &id, v, "CANCELLED", Some("changed the plan")).await;
    let (id, v, _) = refer(app, &a_tok, &a3, na, Some("PLANNED")).await;
    move_referral(app, &a_tok, &id, v, "REFERRED", None).await;

    Caseload { a: [a1, a2, a3, a4, a5], b: [b1, b2, b3], groups, ..c }
}

async fn follow_up_report(app: &TestApp, token: &str, from: &str, to: &str, counselor: Option<&str>) -> Value {
    let vars = json!({ "from": from, "to": to, "c": counselor });
    app.gql_ok(Some(token), FOLLOW_UP_REPORT, vars).await["followUpReport"].clone()
}

/// The counselor ids of the rows, in order.
fn row_ids(report: &Value) -> Vec<String> {
    report["byCounselor"].as_array().expect("rows").iter().map(|r| s(&r["counselor"]["id"])).collect()
}

fn row<'a>(report: &'a Value, counselor_id: &str) -> &'a Value {
    let rows = report["byCounselor"].as_array().expect("rows");
    &rows.iter().find(|r| r["counselor"]["id"] == counselor_id).unwrap_or_else(|| panic!("a row for {counselor_id}"))["figures"]
}

/// Today's figures over the wide range [d−60, d+400], which holds every follow-up above.
/// Outcomes are in the order ABSTINENT, RETURN_TO_USE, READMITTED, DECLINED_TO_ANSWER,
/// INCARCERATED, DECEASED.
fn wide_range_today() -> (Figures, Figures, Figures) {
    // Ann: A1, A2, A3 have five follow-ups each, A4 its two post-discharge contacts = 17 due.
    //   (A2's step down from L3_5 into aftercare adds none: its 7 and 30 days are aftercare's.)
    //   completed 2 (A1 7d, A1 30d); unreachable 1 (A2 7d); cancelled 1 (A3 30d);
    //   scheduled 17 − 2 − 1 − 1 = 13; overdue 1 (A3 7d, due d−3; the rest are due later).
    //   completion 2 / (17 − 1) = 2/16.
    //   attending 1 (A1 7d).
    //   FUI: the exits from high-intensity care are A2's step down from L3_5 into aftercare
    //     (d) and A4's discharge from L3_5 (d); A1, A3 and B1 were admitted straight into
    //     aftercare, so they have none. Both windows are open today: 0 eligible (2 pending).
    //   GPRA: every intake's window closes 8 months on, after today: 0 due (all pending).
    let ann = Figures {
        due: 17,
        scheduled: 13,
        completed: 2,
        unreachable: 1,
        missed: 0,
        cancelled: 1,
        overdue: 1,
        completion_rate: Some(2.0 / 16.0),
        outcomes: [1, 1, 0, 0, 0, 0],
        attending: 1,
        seven: (0, 0, None),
        thirty: (0, 0, None),
        six: (0, 0, None),
        meets_gpra: None,
    };
    // Bob: B1 five + B2's one by hand = 6 due.
    //   completed 1 (B1 7d); unreachable 1 (B1 30d); cancelled 0; scheduled 6 − 1 − 1 = 4;
    //   overdue 0 (B1's 90/180/365 and B2's d+3 are all due later).
    //   completion 1 / (6 − 0) = 1/6; attending 1.
    //   FUI: no exits (B1 was admitted into aftercare; B2 and B3 are still in care). GPRA:
    //   all pending.
    let bob = Figures {
        due: 6,
        scheduled: 4,
        completed: 1,
        unreachable: 1,
        missed: 0,
        cancelled: 0,
        overdue: 0,
        completion_rate: Some(1.0 / 6.0),
        outcomes: [1, 0, 0, 0, 0, 0],
        attending: 1,
        seven: (0, 0, None),
        thirty: (0, 0, None),
        six: (0, 0, None),
        meets_gpra: None,
    };
    // Total = Ann + Bob: due 23, scheduled 17, completed 3, unreachable 2, cancelled 1,
    //   overdue 1; completion 3 / (23 − 1) = 3/22; attending 2.
    //   FUI and GPRA: nothing counted yet.
    let total = Figures {
        due: 23,
        scheduled: 17,
        completed: 3,
        unreachable: 2,
        missed: 0,
        cancelled: 1,
        overdue: 1,
        completion_rate: Some(3.0 / 22.0),
        outcomes: [2, 1, 0, 0, 0, 0],
        attending: 2,
        seven: (0, 0, None),
        thirty: (0, 0, None),
        six: (0, 0, None),
        meets_gpra: None,
    };
    (ann, bob, total)
}

#[tokio::test]
async fn the_reports_match_a_caseload_built_by_hand() {
    let app = TestApp::spawn().await;
    let c = build_caseload(&app).await;
    let (sue, ann_id, bob_id) = (c.sue.access.clone(), c.ann.staff_id.clone(), c.bob.staff_id.clone());
    let mut counselors = vec![ann_id.clone(), bob_id.clone()];
    counselors.sort();

    // --- The follow-up report today, over a range that holds every follow-up.
    let report = follow_up_report(&app, &sue, &c.day(-60), &c.day(400), None).await;
    assert_eq!((s(&report["from"]), s(&report["to"])), (c.day(-60), c.day(400)));
    assert_rate(&report["gpraTarget"], Some(0.8), "gpraTarget");
    assert_eq!(row_ids(&report), counselors, "one row per counselor with follow-ups, by counselor id; none for Sue");
    let (ann, bob, total) = wide_range_today();
    assert_figures(row(&report, &ann_id), &ann, "today/Ann");
    assert_figures(row(&report, &bob_id), &bob, "today/Bob");
    assert_figures(&report["total"], &total, "today/total");
    let names: Vec<String> =
        report["byCounselor"].as_array().expect("rows").iter().map(|r| s(&r["counselor"]["name"])).collect();
    assert!(names.contains(&"Ann Counselor".to_owned()) && names.contains(&"Bob Counselor".to_owned()), "{names:?}");

    // --- A narrower range [d−35, d]: only the follow-ups due in it, only the exits in it.
    let narrow = follow_up_report(&app, &sue, &c.day(-35), &c.day(0), None).await;
    // Ann: due in range A1 7d (d−33, COMPLETED), A1 30d (d−10, COMPLETED), A3 7d (d−3,
    //   SCHEDULED, overdue) = 3; completion 2 / 3.
    //   Exits in range: A2 and A4 today, windows open → no FUI rate. No GPRA window closes in
    //   range → no 6-month rate, no GPRA verdict.
    let ann_narrow = Figures {
        due: 3,
        scheduled: 1,
        completed: 2,
        overdue: 1,
        completion_rate: Some(2.0 / 3.0),
        outcomes: [1, 1, 0, 0, 0, 0],
        attending: 1,
        seven: (0, 0, None),
        thirty: (0, 0, None),
        six: (0, 0, None),
        meets_gpra: None,
        ..Figures::default()
    };
    // Bob: B1 7d (d−28, COMPLETED), B1 30d (d−5, UNREACHABLE) = 2; completion 1/2.
    //   No exits (B1 was admitted into aftercare).
    let bob_narrow = Figures {
        due: 2,
        completed: 1,
        unreachable: 1,
        completion_rate: Some(1.0 / 2.0),
        outcomes: [1, 0, 0, 0, 0, 0],
        attending: 1,
        seven: (0, 0, None),
        thirty: (0, 0, None),
        six: (0, 0, None),
        meets_gpra: None,
        ..Figures::default()
    };
    // Total: due 5, scheduled 1, completed 3, unreachable 1, overdue 1; completion 3/5;
    //   7-day 0 of 2; 30-day 1 of 1.
    let total_narrow = Figures {
        due: 5,
        scheduled: 1,
        completed: 3,
        unreachable: 1,
        overdue: 1,
        completion_rate: Some(3.0 / 5.0),
        outcomes: [2, 1, 0, 0, 0, 0],
        attending: 2,
        seven: (0, 0, None),
        thirty: (0, 0, None),
        six: (0, 0, None),
        meets_gpra: None,
        ..Figures::default()
    };
    assert_eq!(row_ids(&narrow), counselors);
    assert_figures(row(&narrow, &ann_id), &ann_narrow, "narrow/Ann");
    assert_figures(row(&narrow, &bob_id), &bob_narrow, "narrow/Bob");
    assert_figures(&narrow["total"], &total_narrow, "narrow/total");

    // A range with nothing in it: no rows, zeros, no rates.
    let empty = follow_up_report(&app, &sue, &c.day(-200), &c.day(-100), None).await;
    assert_eq!(row_ids(&empty), Vec::<String>::new());
    assert_figures(&empty["total"], &Figures::default(), "empty/total: zeros, no rates");

    // --- The referral report: every referral was made today.
    let (na, aa, smart) = (&c.groups["NA"], &c.groups["AA"], &c.groups["SMART"]);
    let vars = json!({ "from": c.day(0), "to": c.day(0) });
    let referrals = app.gql_ok(Some(&sue), REFERRAL_REPORT, vars).await["referralReport"].clone();
    // NA: DECLINED + COMPLETED + REFERRED → referred 3 (none still planned), completed 1,
    //   declined 1; engagement (0 + 1) / 3.
    // AA: PLANNED + ENGAGED → referred 1 (the planned one has not gone out), planned 1,
    //   engaged 1; engagement (1 + 0) / 1.
    // SMART: DISCONTINUED + CANCELLED + REFERRED → referred 3, discontinued 1, cancelled 1;
    //   engagement 0 / 3.
    // Total: 8 referrals, 1 still planned → referred 7; engagement (1 + 1) / 7.
    assert_referrals(&referrals["total"], (7, 1, 1, 1, 1, 1, 1, Some(2.0 / 7.0)), "referrals/total");
    let by_group: BTreeMap<String, Value> = referrals["bySupportGroup"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| (s(&g["supportGroup"]["id"]), g["figures"].clone()))
        .collect();
    assert_eq!(by_group.len(), 3, "only the groups with referrals: {referrals}");
    assert_referrals(&by_group[na], (3, 0, 0, 1, 1, 0, 0, Some(1.0 / 3.0)), "referrals/NA");
    assert_referrals(&by_group[aa], (1, 1, 1, 0, 0, 0, 0, Some(1.0)), "referrals/AA");
    assert_referrals(&by_group[smart], (3, 0, 0, 0, 0, 1, 1, Some(0.0)), "referrals/SMART");
    let group_order: Vec<String> =
        referrals["bySupportGroup"].as_array().expect("groups").iter().map(|g| s(&g["supportGroup"]["id"])).collect();
    let mut sorted = group_order.clone();
    sorted.sort();
    assert_eq!(group_order, sorted, "groups in directory order");
    // By stage at referral:
    //   DETOX: B2 NA DECLINED, B2 AA PLANNED → referred 1, planned 1, declined 1; 0/1.
    //   REHAB: B3 NA COMPLETED, B3 SMART DISCONTINUED, A2 SMART REFERRED (planned in rehab,
    //     sent on entering aftercare; still counted at the stage it was made in) →
    //     referred 3, completed 1, discontinued 1; 1/3.
    //   AFTERCARE: A1 AA ENGAGED, A1 SMART CANCELLED, A3 NA REFERRED → referred 3, engaged 1,
    //     cancelled 1; 1/3.
    let stages: Vec<String> = referrals["byStage"].as_array().expect("stages").iter().map(|x| s(&x["stage"])).collect();
    assert_eq!(stages, ["DETOX", "REHAB", "AFTERCARE"]);
    assert_referrals(&referrals["byStage"][0]["figures"], (1, 1, 0, 0, 1, 0, 0, Some(0.0)), "referrals/DETOX");
    assert_referrals(&referrals["byStage"][1]["figures"], (3, 0, 0, 1, 0, 1, 0, Some(1.0 / 3.0)), "referrals/REHAB");
    assert_referrals(
        &referrals["byStage"][2]["figures"],
        (3, 0, 1, 0, 0, 0, 1, Some(1.0 / 3.0)),
        "referrals/AFTERCARE",
    );
    // Referrals are counted by the day they were made: none from tomorrow on.
    let later = app.gql_ok(Some(&sue), REFERRAL_REPORT, json!({ "from": c.day(1), "to": c.day(400) })).await;
    assert_referrals(&later["referralReport"]["total"], (0, 0, 0, 0, 0, 0, 0, None), "referrals/later");
    assert_eq!(later["referralReport"]["bySupportGroup"], json!([]));
    assert_eq!(later["referralReport"]["byStage"], json!([]));

    // --- The stage census: open episodes only (A4 was discharged, A5 never admitted).
    //   Sue's team: DETOX B2; REHAB B3; AFTERCARE A1, A2, A3, B1.
    let census = app.gql_ok(Some(&sue), CENSUS, json!({})).await;
    assert_eq!(
        census["stageCensus"],
        json!([{ "stage": "DETOX", "clients": 1 }, { "stage": "REHAB", "clients": 1 }, { "stage": "AFTERCARE", "clients": 4 }])
    );
    let census = app.gql_ok(Some(&c.ann.access), CENSUS, json!({})).await;
    assert_eq!(
        census["stageCensus"],
        json!([{ "stage": "DETOX", "clients": 0 }, { "stage": "REHAB", "clients": 0 }, { "stage": "AFTERCARE", "clients": 3 }]),
        "every stage listed, zeros included"
    );
    let census = app.gql_ok(Some(&c.bob.access), CENSUS, json!({})).await;
    assert_eq!(
        census["stageCensus"],
        json!([{ "stage": "DETOX", "clients": 1 }, { "stage": "REHAB", "clients": 1 }, { "stage": "AFTERCARE", "clients": 1 }])
    );

    // --- A3's 180-day contact is called off while it is still months away (an overdue one
    // could not be: it would hide a miss). Then, 200 days on, the others are due and recorded.
    record(&app, &c.ann.access, &c.a[2], 180, "CANCELLED", None, None, None).await;
    app.clock.advance(Duration::days(200));
    let sue = app.session(SUE, PASSWORD).await.access;
    let ann_tok = app.session(ANN, PASSWORD).await.access;
    let bob_tok = app.session(BOB, PASSWORD).await.access;
    assert_eq!(app.state.today().to_string(), c.day(200));
    let [a1, a2, ..] = &c.a;
    let [b1, ..] = &c.b;
    record(&app, &ann_tok, a1, 180, "COMPLETED", Some("ABSTINENT"), Some(true), None).await;
    record(&app, &ann_tok, a2, 180, "COMPLETED", Some("DECLINED_TO_ANSWER"), None, None).await;
    record(&app, &bob_tok, b1, 180, "UNREACHABLE", None, None, None).await;

    // Only the 180-day aftercare contacts are due in [d+140, d+180]: A1 (d+140), B1 (d+145),
    // A3 (d+170), A2 (d+180). No exit from high-intensity care in that range, and no GPRA
    // window closes in it (the first, A1's, closes 8 months after d−40, about d+203): the
    // 180-day aftercare contact is not the GPRA interview.
    // Ann: due 3: completed 2, cancelled 1 → completion 2 / (3 − 1) = 1.
    // Bob: due 1, unreachable → 0 / 1.
    let gpra = follow_up_report(&app, &sue, &c.day(140), &c.day(180), None).await;
    let ann_gpra = Figures {
        due: 3,
        completed: 2,
        cancelled: 1,
        completion_rate: Some(1.0),
        outcomes: [1, 0, 0, 1, 0, 0],
        attending: 1,
        six: (0, 0, None),
        meets_gpra: None,
        ..Figures::default()
    };
    let bob_gpra = Figures {
        due: 1,
        unreachable: 1,
        completion_rate: Some(0.0),
        six: (0, 0, None),
        meets_gpra: None,
        ..Figures::default()
    };
    let total_gpra = Figures {
        due: 4,
        completed: 2,
        unreachable: 1,
        missed: 0,
        cancelled: 1,
        completion_rate: Some(2.0 / 3.0),
        outcomes: [1, 0, 0, 1, 0, 0],
        attending: 1,
        six: (0, 0, None),
        meets_gpra: None,
        ..Figures::default()
    };
    assert_figures(row(&gpra, &ann_id), &ann_gpra, "gpra/Ann");
    assert_figures(row(&gpra, &bob_id), &bob_gpra, "gpra/Bob");
    assert_figures(&gpra["total"], &total_gpra, "gpra/total");

    // The wide range again, 200 days on (today is d+200).
    // Ann (17 due): completed 4 (A1 7d, 30d, 180d; A2 180d); unreachable 1 (A2 7d);
    //   cancelled 2 (A3 30d, 180d); scheduled 17 − 4 − 1 − 2 = 10: A1 90d (d+50), 365d (d+325);
    //   A2 30d (d+30), 90d (d+90), 365d (d+365); A3 7d (d−3), 90d (d+80), 365d (d+355);
    //   A4's post-discharge d+7 and d+30.
    //   overdue = those due before d+200: A1 90d, A2 30d, A2 90d, A3 7d, A3 90d, A4's two = 7.
    //   completion 4 / (17 − 2) = 4/15; attending 2 (A1 7d, A1 180d).
    //   FUI: A2's and A4's exits (d) have closed windows: A2's 7-day contact was unreachable
    //   and her 30-day one came on day 200; A4's post-discharge contacts were never made:
    //   7-day 0 of 2, 30-day 0 of 2.
    //   GPRA: every window closes after d+200 (A1's first, about d+203): nothing due yet.
    let ann_later = Figures {
        due: 17,
        scheduled: 10,
        completed: 4,
        unreachable: 1,
        missed: 0,
        cancelled: 2,
        overdue: 7,
        completion_rate: Some(4.0 / 15.0),
        outcomes: [2, 1, 0, 1, 0, 0],
        attending: 2,
        seven: (2, 0, Some(0.0)),
        thirty: (2, 0, Some(0.0)),
        six: (0, 0, None),
        meets_gpra: None,
    };
    // Bob (6 due): completed 1; unreachable 2 (B1 30d, 180d); scheduled 3: B1 90d (d+55),
    //   B1 365d (d+330), B2's d+3 → overdue 2 (d+55, d+3). completion 1/6; attending 1.
    //   No exits; no GPRA window closed yet.
    let bob_later = Figures {
        due: 6,
        scheduled: 3,
        completed: 1,
        unreachable: 2,
        missed: 0,
        cancelled: 0,
        overdue: 2,
        completion_rate: Some(1.0 / 6.0),
        outcomes: [1, 0, 0, 0, 0, 0],
        attending: 1,
        seven: (0, 0, None),
        thirty: (0, 0, None),
        six: (0, 0, None),
        meets_gpra: None,
    };
    // Total: due 23, scheduled 13, completed 5, unreachable 3, cancelled 2, overdue 9;
    //   completion 5 / 21; attending 3; FUI 7-day 0 of 2, 30-day 0 of 2; nothing due for GPRA.
    let total_later = Figures {
        due: 23,
        scheduled: 13,
        completed: 5,
        unreachable: 3,
        missed: 0,
        cancelled: 2,
        overdue: 9,
        completion_rate: Some(5.0 / 21.0),
        outcomes: [3, 1, 0, 1, 0, 0],
        attending: 3,
        seven: (2, 0, Some(0.0)),
        thirty: (2, 0, Some(0.0)),
        six: (0, 0, None),
        meets_gpra: None,
    };
    let later = follow_up_report(&app, &sue, &c.day(-60), &c.day(400), None).await;
    assert_eq!(row_ids(&later), counselors);
    assert_figures(row(&later, &ann_id), &ann_later, "later/Ann");
    assert_figures(row(&later, &bob_id), &bob_later, "later/Bob");
    assert_figures(&later["total"], &total_later, "later/total");

    // The referral report counts referrals by the day they were made, whatever the clock says.
    let referrals = app.gql_ok(Some(&sue), REFERRAL_REPORT, json!({ "from": c.day(0), "to": c.day(0) })).await;
    assert_referrals(&referrals["referralReport"]["total"], (7, 1, 1, 1, 1, 1, 1, Some(2.0 / 7.0)), "later/referrals");
}

#[tokio::test]
async fn a_counselor_report_holds_only_their_own_clients() {
    let app = TestApp::spawn().await;
    let c = build_caseload(&app).await;
    let (ann_id, bob_id) = (c.ann.staff_id.clone(), c.bob.staff_id.clone());
    let (ann, bob, total) = wide_range_today();
    let (from, to) = (c.day(-60), c.day(400));

    // Sue sees her whole team.
    let team = follow_up_report(&app, &c.sue.access, &from, &to, None).await;
    assert_eq!(row_ids(&team).len(), 2);
    assert_figures(&team["total"], &total, "Sue/total");

    // Ann sees only her own clients: one row, and a total that is her row.
    let own = follow_up_report(&app, &c.ann.access, &from, &to, None).await;
    assert_eq!(row_ids(&own), std::slice::from_ref(&ann_id));
    assert_figures(row(&own, &ann_id), &ann, "Ann/Ann");
    assert_figures(&own["total"], &ann, "Ann/total");
    let own = follow_up_report(&app, &c.bob.access, &from, &to, None).await;
    assert_eq!(row_ids(&own), std::slice::from_ref(&bob_id));
    assert_figures(&own["total"], &bob, "Bob/total");

    // Asking for another counselor's figures shows nothing rather than their clients.
    let other = follow_up_report(&app, &c.ann.access, &from, &to, Some(&bob_id)).await;
    assert_eq!(row_ids(&other), Vec::<String>::new(), "{other}");
    assert_figures(&other["total"], &Figures::default(), "Ann asking for Bob");
    // A supervisor may narrow to one counselor of the team.
    let one = follow_up_report(&app, &c.sue.access, &from, &to, Some(&bob_id)).await;
    assert_eq!(row_ids(&one), std::slice::from_ref(&bob_id));
    assert_figures(&one["total"], &bob, "Sue/Bob only");

    // The referral report and census follow the same scope.
    let referrals = app.gql_ok(Some(&c.ann.access), REFERRAL_REPORT, json!({ "from": c.day(0), "to": c.day(0) })).await;
    let referrals = &referrals["referralReport"];
    // Ann's referrals: A1 AA ENGAGED, A1 SMART CANCELLED, A2 SMART REFERRED, A3 NA REFERRED
    //   → referred 4, engaged 1, cancelled 1; engagement 1/4.
    assert_referrals(&referrals["total"], (4, 0, 1, 0, 0, 0, 1, Some(1.0 / 4.0)), "Ann/referrals");
    let stages: Vec<String> = referrals["byStage"].as_array().expect("stages").iter().map(|x| s(&x["stage"])).collect();
    assert_eq!(stages, ["REHAB", "AFTERCARE"], "no detox referrals of Ann's: {referrals}");
    let groups: Vec<String> = referrals["bySupportGroup"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| s(&g["supportGroup"]["abbreviation"]))
        .collect();
    assert_eq!(groups.len(), 3);
    for g in ["AA", "NA", "SMART"] {
        assert!(groups.contains(&g.to_owned()), "{groups:?}");
    }
    let census = app.gql_ok(Some(&c.ann.access), CENSUS, json!({})).await;
    let total_clients: i64 =
        census["stageCensus"].as_array().expect("census").iter().map(|x| x["clients"].as_i64().unwrap_or(0)).sum();
    assert_eq!(total_clients, 3, "Ann's open episodes only: {census}");
}

/// `GET /reports/follow-ups.csv` parsed into rows of cells.
fn parse_csv(body: &str) -> Vec<Vec<String>> {
    body.lines().filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

fn csv_rate(v: &Value) -> String {
    v.as_f64().map(|r| format!("{r:.4}")).unwrap_or_default()
}

/// The CSV cells that the GraphQL figures call for, after the id and name.
fn csv_cells(f: &Value) -> Vec<String> {
    let int = |k: &str| f[k].as_i64().expect("count").to_string();
    let outcome = |name: &str| {
        f["outcomes"]
            .as_array()
            .expect("outcomes")
            .iter()
            .find(|o| o["outcome"] == name)
            .map_or(0, |o| o["count"].as_i64().unwrap_or(0))
    };
    vec![
        int("due"),
        int("scheduled"),
        int("completed"),
        int("unreachable"),
        int("missed"),
        int("cancelled"),
        int("overdue"),
        csv_rate(&f["completionRate"]),
        int("attendingSupportGroup"),
        int("sevenDayEligible"),
        int("sevenDayCompleted"),
        csv_rate(&f["sevenDayRate"]),
        int("sevenDayPending"),
        int("thirtyDayEligible"),
        int("thirtyDayCompleted"),
        csv_rate(&f["thirtyDayRate"]),
        int("thirtyDayPending"),
        int("sixMonthDue"),
        int("sixMonthCompleted"),
        csv_rate(&f["sixMonthRate"]),
        int("sixMonthPending"),
        f["meetsGpraTarget"].as_bool().map(|b| b.to_string()).unwrap_or_default(),
        outcome("ABSTINENT").to_string(),
        outcome("RETURN_TO_USE").to_string(),
        outcome("READMITTED").to_string(),
        outcome("DECLINED_TO_ANSWER").to_string(),
        outcome("INCARCERATED").to_string(),
        outcome("DECEASED").to_string(),
    ]
}

#[tokio::test]
async fn the_follow_up_csv_matches_the_graphql_report() {
    let app = TestApp::spawn().await;
    let c = build_caseload(&app).await;
    // One more contact with an outcome the CSV folds into "other".
    record(&app, &c.ann.access, &c.a[1], 30, "COMPLETED", Some("INCARCERATED"), Some(false), None).await;
    let (from, to) = (c.day(-60), c.day(400));
    let report = follow_up_report(&app, &c.sue.access, &from, &to, None).await;

    let path = format!("/reports/follow-ups.csv?from={from}&to={to}");
    let (status, body) = app.get(&path, Some(&c.sue.access)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = parse_csv(&body);
    let header = [
        "counselor_id",
        "counselor",
        "due",
        "scheduled",
        "completed",
        "unreachable",
        "missed",
        "cancelled",
        "overdue",
        "completion_rate",
        "attending_support_group",
        "seven_day_eligible",
        "seven_day_completed",
        "seven_day_rate",
        "seven_day_pending",
        "thirty_day_eligible",
        "thirty_day_completed",
        "thirty_day_rate",
        "thirty_day_pending",
        "six_month_due",
        "six_month_completed",
        "six_month_rate",
        "six_month_pending",
        "meets_gpra_target",
        "outcome_abstinent",
        "outcome_return_to_use",
        "outcome_readmitted",
        "outcome_declined_to_answer",
        "outcome_incarcerated",
        "outcome_deceased",
    ];
    assert_eq!(rows[0], header, "the header row");
    assert!(rows.iter().all(|r| r.len() == header.len()), "every row has every column: {body}");
    let graphql_rows = report["byCounselor"].as_array().expect("rows");
    assert_eq!(rows.len(), 1 + graphql_rows.len() + 1, "header, one row per counselor, TOTAL: {body}");
    assert_eq!(graphql_rows.len(), 2);
    for (csv_row, gql_row) in rows[1..rows.len() - 1].iter().zip(graphql_rows) {
        assert_eq!(csv_row[0], s(&gql_row["counselor"]["id"]), "same counselor, same order");
        assert_eq!(csv_row[1], s(&gql_row["counselor"]["name"]));
        assert_eq!(csv_row[2..], csv_cells(&gql_row["figures"]), "row of {}", csv_row[1]);
    }
    let total = &rows[rows.len() - 1];
    assert_eq!(total[0], "TOTAL");
    assert_eq!(total[2..], csv_cells(&report["total"]), "the TOTAL row");
    // Spot checks against the worked-out figures (with A2's 30-day contact now completed:
    // due 23, completed 4, scheduled 16, completion 4/22; one INCARCERATED outcome).
    assert_eq!((total[2].as_str(), total[4].as_str(), total[3].as_str()), ("23", "4", "16"));
    assert_eq!(total[9], "0.1818");
    assert_eq!(total[23], "", "no GPRA window has closed: no verdict");
    assert_eq!(total[28], "1", "one INCARCERATED outcome, in a column of its own");

    // A spreadsheet-friendly download.
    let request = Request::get(&path)
        .header(header::AUTHORIZATION, format!("Bearer {}", c.sue.access))
        .body(Body::empty())
        .expect("request");
    let (status, headers, _) = app.request(request).await;
    assert_eq!(status, StatusCode::OK);
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("text/csv"), "{content_type}");

    // Narrowed to one counselor of the team.
    let (status, body) = app.get(&format!("{path}&counselorId={}", c.bob.staff_id), Some(&c.sue.access)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = parse_csv(&body);
    assert_eq!(rows.len(), 3, "header, Bob, TOTAL: {body}");
    assert_eq!(rows[1][0], c.bob.staff_id);
    assert_eq!(rows[1][2..], rows[2][2..]);
    let (status, _) = app.get(&format!("{path}&counselorId=not-an-id"), Some(&c.sue.access)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a malformed counselor id");

    // Ann's CSV has her row only.
    let (status, body) = app.get(&path, Some(&c.ann.access)).await;
    assert_eq!(status, StatusCode::OK);
    let rows = parse_csv(&body);
    assert_eq!(rows.len(), 3, "header, Ann, TOTAL: {body}");
    assert_eq!(rows[1][0], c.ann.staff_id);
    assert_eq!(rows[1][2..], rows[2][2..], "her total is her row");

    // Refusals.
    let (status, _) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token");
    let (status, _) = app.get(&path, Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a garbage token");
    let (status, body) =
        app.get(&format!("/reports/follow-ups.csv?from=2026-02-30&to={to}"), Some(&c.sue.access)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not a date: {body}");
    let (status, body) = app.get(&format!("/reports/follow-ups.csv?to={to}"), Some(&c.sue.access)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no from: {body}");
    let (status, body) = app.get(&format!("/reports/follow-ups.csv?from={to}&to={from}"), Some(&c.sue.access)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "to before from: {body}");
    let admin = app.admin().await;
    let (status, body) = app.get(&path, Some(&admin.access)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an admin does not see clinical figures: {body}");
}

/// Follow-ups made for the statement-count test, tallied as they are made.
#[derive(Default, Debug)]
struct Tally {
    due: i64,
    scheduled: i64,
    completed: i64,
    unreachable: i64,
    cancelled: i64,
    overdue: i64,
    abstinent: i64,
    return_to_use: i64,
    attending: i64,
    six_due: i64,
    six_completed: i64,
}

/// The `i`-th synthetic follow-up: statuses, outcomes and due dates in a fixed pattern.
fn synthetic(
    i: usize,
    client: Uuid,
    staff: Uuid,
    today: NaiveDate,
    now: DateTime<Utc>,
    t: &mut Tally,
) -> follow_up::ActiveModel {
    let due_on = today - Days::new(300) + Days::new((i % 600) as u64);
    let status = match i % 4 {
        0 => FollowUpStatus::Scheduled,
        1 => FollowUpStatus::Completed,
        2 => FollowUpStatus::Unreachable,
        _ => FollowUpStatus::Cancelled,
    };
    let outcome = (status == FollowUpStatus::Completed).then_some(if i % 8 == 1 {
        FollowUpOutcome::Abstinent
    } else {
        FollowUpOutcome::ReturnToUse
    });
    let attending = (status == FollowUpStatus::Completed).then_some(i.is_multiple_of(3));
    let six_month = i.is_multiple_of(5);
    t.due += 1;
    match status {
        FollowUpStatus::Scheduled => {
            t.scheduled += 1;
            if due_on < today {
                t.overdue += 1;
            }
        }
        FollowUpStatus::Completed => t.completed += 1,
        FollowUpStatus::Unreachable => t.unreachable += 1,
        FollowUpStatus::Cancelled => t.cancelled += 1,
        FollowUpStatus::Missed => panic!("the synthetic pattern makes no MISSED contacts"),
    }
    match outcome {
        Some(FollowUpOutcome::Abstinent) => t.abstinent += 1,
        Some(_) => t.return_to_use += 1,
        None => {}
    }
    if attending == Some(true) {
        t.attending += 1;
    }
    if six_month && status != FollowUpStatus::Cancelled {
        t.six_due += 1;
        if status == FollowUpStatus::Completed {
            t.six_completed += 1;
        }
    }
    follow_up::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        client_id: Set(client),
        episode_id: Set(None),
        due_on: Set(due_on),
        schedule_days: Set(six_month.then_some(180)),
        kind: Set(if six_month { FollowUpKind::Aftercare } else { FollowUpKind::Manual }),
        status: Set(status),
        outcome: Set(outcome),
        attending_support_group: Set(attending),
        contacted_at: Set((status != FollowUpStatus::Scheduled && status != FollowUpStatus::Cancelled).then_some(now)),
        note: Set(None),
        recorded_by: Set(None),
        created_by: Set(staff),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

async fn insert_synthetic(app: &TestApp, range: std::ops::Range<usize>, owners: &[(Uuid, Uuid)], tally: &mut Tally) {
    let (today, now) = (app.state.today(), app.state.now());
    let indexes: Vec<usize> = range.collect();
    for chunk in indexes.chunks(500) {
        let rows: Vec<follow_up::ActiveModel> = chunk
            .iter()
            .map(|&i| {
                let (client, staff) = owners[i % owners.len()];
                synthetic(i, client, staff, today, now, tally)
            })
            .collect();
        follow_up::Entity::insert_many(rows).exec(&app.state.db).await.expect("bulk insert");
    }
}

/// Statements that one `followUpReport` request runs (sign-in checks included), signing
/// in just before so that no session touch falls into the count.
async fn report_statements(app: &TestApp, email: &str, from: &str, to: &str) -> (u64, Value) {
    let token = app.session(email, PASSWORD).await.access;
    let before = app.statements.get();
    let report = follow_up_report(app, &token, from, to, None).await;
    (app.statements.get() - before, report)
}

#[tokio::test]
async fn the_follow_up_report_runs_as_many_statements_over_ten_thousand_follow_ups_as_over_ten() {
    let app = TestApp::spawn().await;
    let sue_id = app.create_staff(SUE, "Sue Supervisor", Role::Supervisor, None).await;
    let ann_id = app.create_staff(ANN, "Ann Counselor", Role::Counselor, Some(&sue_id)).await;
    let bob_id = app.create_staff(BOB, "Bob Counselor", Role::Counselor, Some(&sue_id)).await;
    let ann = app.session(ANN, PASSWORD).await;
    let bob = app.session(BOB, PASSWORD).await;
    let ann_client = client("Ada", "Bulk").register(&app, &ann.access).await;
    let bob_client = client("Bram", "Bulk").register(&app, &bob.access).await;
    let uuid = |s: &str| Uuid::parse_str(s).expect("uuid");
    let owners = [(uuid(&ann_client), uuid(&ann_id)), (uuid(&bob_client), uuid(&bob_id))];
    let today = app.state.today();
    let (from, to) = ((today - Days::new(366)).to_string(), (today + Days::new(400)).to_string());

    let mut tally = Tally::default();
    insert_synthetic(&app, 0..10, &owners, &mut tally).await;
    let (small, report) = report_statements(&app, SUE, &from, &to).await;
    assert_eq!(report["total"]["due"], 10);
    assert_eq!(row_ids(&report).len(), 2);

    insert_synthetic(&app, 10..10_000, &owners, &mut tally).await;
    let (large, report) = report_statements(&app, SUE, &from, &to).await;
    assert_eq!(small, large, "the statement count does not grow with the data ({small} vs {large})");
    // Signing in, the counts, the episodes around the range, their history, the contacts
    // after them, the GPRA interviews, their episodes, the clients, the counselors.
    assert!(small <= 12, "a handful of statements, not one per row: {small}");

    // The figures over the big set, tallied as the rows were made.
    assert_eq!(tally.due, 10_000);
    let expected = Figures {
        due: tally.due,
        scheduled: tally.scheduled,
        completed: tally.completed,
        unreachable: tally.unreachable,
        missed: 0,
        cancelled: tally.cancelled,
        overdue: tally.overdue,
        completion_rate: Some(tally.completed as f64 / (tally.due - tally.cancelled) as f64),
        outcomes: [tally.abstinent, tally.return_to_use, 0, 0, 0, 0],
        attending: tally.attending,
        seven: (0, 0, None),
        thirty: (0, 0, None),
        six: (0, 0, None),
        meets_gpra: None,
    };
    // With the pattern above: a quarter in each status; 1 250 abstinent and 1 250
    // return-to-use; 180-day aftercare contacts every fifth row (i ≡ 0 or 5 mod 10), of which
    // i ≡ 0 mod 4 (scheduled), 1 (completed), 2 (unreachable) are not cancelled. They are
    // ordinary contacts: the GPRA measure counts interviews of kind GPRA only (none here).
    assert_eq!((tally.scheduled, tally.completed, tally.unreachable, tally.cancelled), (2500, 2500, 2500, 2500));
    assert_eq!((tally.abstinent, tally.return_to_use), (1250, 1250));
    assert_eq!((tally.six_due, tally.six_completed), (1500, 500));
    assert_figures(&report["total"], &expected, "10 000 follow-ups");
    let ann_due = report["byCounselor"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["counselor"]["id"] == ann_id)
        .map(|r| r["figures"]["due"].clone());
    assert_eq!(ann_due, Some(json!(5000)), "every other row is Ann's");
}

#[tokio::test]
async fn a_range_that_ends_before_it_starts_is_bad_input_and_an_admin_is_forbidden() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;

    let vars = json!({ "from": "2026-03-10", "to": "2026-03-01" });
    let refused = app.gql(Some(&me.access), FOLLOW_UP_REPORT, vars.clone()).await;
    assert_code(&refused, "BAD_USER_INPUT");
    assert_eq!(error_field(&refused), Some("to"), "{refused}");
    let refused = app.gql(Some(&me.access), REFERRAL_REPORT, vars).await;
    assert_code(&refused, "BAD_USER_INPUT");
    assert_eq!(error_field(&refused), Some("to"), "{refused}");

    // More than five years at once is refused too; a single day is fine.
    let refused =
        app.gql(Some(&me.access), FOLLOW_UP_REPORT, json!({ "from": "2020-01-01", "to": "2026-01-01" })).await;
    assert_code(&refused, "BAD_USER_INPUT");
    assert_eq!(error_field(&refused), Some("to"));
    let one_day =
        app.gql_ok(Some(&me.access), FOLLOW_UP_REPORT, json!({ "from": "2026-03-01", "to": "2026-03-01" })).await;
    assert_eq!(one_day["followUpReport"]["total"]["due"], 0);

    // A malformed date never reaches the report.
    let refused =
        app.gql(Some(&me.access), FOLLOW_UP_REPORT, json!({ "from": "2026-02-30", "to": "2026-03-01" })).await;
    assert!(refused["errors"].is_array() && refused["data"].is_null(), "{refused}");

    let admin = app.admin().await;
    let vars = json!({ "from": "2026-03-01", "to": "2026-03-10" });
    assert_code(&app.gql(Some(&admin.access), FOLLOW_UP_REPORT, vars.clone()).await, "FORBIDDEN");
    assert_code(&app.gql(Some(&admin.access), REFERRAL_REPORT, vars).await, "FORBIDDEN");
    assert_code(&app.gql(Some(&admin.access), CENSUS, json!({})).await, "FORBIDDEN");

    let anonymous = app.gql(None, CENSUS, json!({})).await;
    assert_code(&anonymous, "UNAUTHENTICATED");
}

#[tokio::test]
async fn days_are_the_programs_local_days() {
    use chrono::TimeZone;
    let app = TestApp::spawn_with(&[("CONTINUUM_TIMEZONE", "America/Chicago")]).await;
    let chicago = chrono_tz::America::Chicago;
    // Move the clock to 22:30 in Chicago: already tomorrow in UTC (04:30 or 03:30).
    let now = app.state.now();
    let local = now.with_timezone(&chicago);
    let mut target = local.date_naive().and_hms_opt(22, 30, 0).expect("a time");
    if chicago.from_local_datetime(&target).single().is_none_or(|t| t <= now) {
        target += Duration::days(1);
    }
    let target = chicago.from_local_datetime(&target).single().expect("no DST gap at 22:30").with_timezone(&Utc);
    app.clock.advance(target - now);
    let today = app.state.today();
    assert_eq!(today, target.with_timezone(&chicago).date_naive());
    assert_ne!(today, app.state.now().date_naive(), "the UTC day is already the next one");

    let email = "local-days@reports.test";
    app.create_staff(email, "Lou Counselor", Role::Counselor, None).await;
    let me = app.session(email, PASSWORD).await;
    let day = |offset: i64| {
        if offset >= 0 { today + Days::new(offset as u64) } else { today - Days::new(offset.unsigned_abs()) }
            .to_string()
    };

    // Entered aftercare eight days ago at 22:30 local time (04:30 or 03:30 UTC the next day).
    let client = client("Lena", "Local").register(&app, &me.access).await;
    admission(&client, "AFTERCARE").at(app.state.now() - Duration::days(8)).admit(&app, &me.access).await;
    assert_eq!(due_dates(&app, &me.access, &client).await[0], day(-1), "7 local days after the local entry day");
    // An exit from detox now, at 22:30 local time, is an exit of today (local), not of
    // tomorrow (the UTC day): its window is open, so it is pending.
    let detox = crate::fixtures::client("Dex", "Local").register(&app, &me.access).await;
    let episode = admission(&detox, "DETOX")
        .level("WM_3_2")
        .at(app.state.now() - Duration::days(3))
        .admit(&app, &me.access)
        .await;
    discharge(&app, &me.access, &episode.id, episode.version, "LEFT_AGAINST_ADVICE").await;
    let exit_day = follow_up_report(&app, &me.access, &day(0), &day(0), None).await;
    assert_eq!(exit_day["total"]["sevenDayPending"], 1, "{exit_day}");
    let utc_day = follow_up_report(&app, &me.access, &day(1), &day(1), None).await;
    assert_eq!(utc_day["total"]["sevenDayPending"], 0, "{utc_day}");
    // The 7-day contact was due yesterday (local): overdue today.
    let due = follow_up_report(&app, &me.access, &day(-1), &day(-1), None).await;
    assert_eq!((due["total"]["due"].clone(), due["total"]["overdue"].clone()), (json!(1), json!(1)), "{due}");

    // A referral made now, at 22:30 local time, counts today, not tomorrow.
    let groups = group_ids(&app, &me.access).await;
    refer(&app, &me.access, &client, &groups["SMART"], None).await;
    let today_report = app.gql_ok(Some(&me.access), REFERRAL_REPORT, json!({ "from": day(0), "to": day(0) })).await;
    assert_referrals(&today_report["referralReport"]["total"], (1, 0, 0, 0, 0, 0, 0, Some(0.0)), "today (local)");
    let tomorrow = app.gql_ok(Some(&me.access), REFERRAL_REPORT, json!({ "from": day(1), "to": day(1) })).await;
    assert_referrals(&tomorrow["referralReport"]["total"], (0, 0, 0, 0, 0, 0, 0, None), "tomorrow (local)");
}
