//! The funder measures as a reviewer would recompute them: a caseload built on the
//! controllable clock, every figure worked out by hand below.
//!
//! The program's time zone is UTC. `D` is tomorrow's date; times are on the service clock.
//!
//! | client | course of care                                                           |
//! |--------|--------------------------------------------------------------------------|
//! | Ada    | DETOX WM_3_2 from D−3; discharged COMPLETED at D 08:40; reached D+7 15:00 |
//! | Ben    | DETOX WM_2 from D−2; left against advice D 09:00; reached D 17:00 only     |
//! | Cy     | REHAB L3_5 from D−20; left D 10:00; readmitted REHAB L3_5 D+10; out D+20  |
//! | Eve    | REHAB L2_1 from D 08:40; discharged at D+2 months; GPRA interview at D+6m  |
//! | Fay    | REHAB L2_1 from D 08:40; GPRA interview at D+9 months                     |
//!
//!
//! FUI over exits on D (all windows closed by the time of the report):
//! - Ada: exit D (08:40), contact on D+7 at 15:00 — 174 hours later, but calendar day +7:
//!   counts for 7 and 30 days.
//! - Ben: a detox-only exit with no aftercare is in the denominator; his only contact is on
//!   the exit date, which never counts: 0 for 7 and 30.
//! - Cy: exit D; readmission into residential care on D+10 is a follow-up service within 30
//!   days (not 7); his second exit (D+20) is within 31 days of the first and counts not at all.
//! - Eve and Fay never were in high-intensity care: no exits.
//!   → 7-day: 1 of 3; 30-day: 2 of 3. Over [D, D+30] still 3 exits (Cy once).
//!   At D+3 the same exits are pending: 3 pending, 0 eligible.
//!
//! GPRA (window months 5–8 after intake):
//! - over the single day Eve's and Fay's windows close (D+8m): Eve, discharged at month 2 and
//!   interviewed at month 6, counts; Fay, interviewed at month 9, does not → 1 of 2.
//! - over [D, D+9m]: also Ada's, Ben's and both of Cy's intakes, never interviewed → 1 of 6.

use chrono::{DateTime, Days, Duration, Months, NaiveDate, Utc};
use continuum::domain::{Role, measures::gpra_window};
use serde_json::{Value, json};

use crate::documents::{DISCHARGE, RECORD_FOLLOW_UP};
use crate::fixtures::*;
use crate::helpers::*;

const EMAIL: &str = "fui@measures.test";

const REPORT: &str = "query($f: Date!, $t: Date!) { followUpReport(from: $f, to: $t) { total {
    sevenDayEligible sevenDayCompleted sevenDayRate sevenDayPending
    thirtyDayEligible thirtyDayCompleted thirtyDayRate thirtyDayPending
    sixMonthDue sixMonthCompleted sixMonthRate sixMonthPending meetsGpraTarget
} } }";

const CONTACTS: &str = "query($id: ID!) { client(id: $id) { followUps { id version kind status dueOn } } }";

struct Clinic<'a> {
    app: &'a TestApp,
    token: String,
}

impl Clinic<'_> {
    /// Moves the service clock forward to `at` and signs in again.
    async fn at(&mut self, at: DateTime<Utc>) {
        let by = at - self.app.state.now();
        assert!(by > Duration::zero(), "the clock only moves forward");
        self.app.clock.advance(by);
        self.token = self.app.session(EMAIL, PASSWORD).await.access;
    }

    async fn discharge(&self, episode: &Episode, reason: &str) {
        let input = json!({ "episodeId": episode.id, "expectedVersion": episode.version, "reason": reason });
        self.app.gql_ok(Some(&self.token), DISCHARGE, json!({ "i": input })).await;
    }

    /// Records the client's first scheduled contact of `kind` as reached, now.
    async fn reach(&self, client: &str, kind: &str) {
        let data = self.app.gql_ok(Some(&self.token), CONTACTS, json!({ "id": client })).await;
        let contact = data["client"]["followUps"]
            .as_array()
            .expect("contacts")
            .iter()
            .filter(|f| f["kind"] == kind && f["status"] == "SCHEDULED")
            .min_by_key(|f| f["dueOn"].as_str().unwrap_or_default().to_owned())
            .cloned()
            .unwrap_or_else(|| panic!("a scheduled {kind} contact: {data}"));
        let input = json!({ "followUpId": contact["id"], "expectedVersion": contact["version"], "status": "COMPLETED",
            "outcome": "ABSTINENT" });
        self.app.gql_ok(Some(&self.token), RECORD_FOLLOW_UP, json!({ "i": input })).await;
    }

    async fn report(&self, from: NaiveDate, to: NaiveDate) -> Value {
        let vars = json!({ "f": from.to_string(), "t": to.to_string() });
        self.app.gql_ok(Some(&self.token), REPORT, vars).await["followUpReport"]["total"].clone()
    }
}

fn at(day: NaiveDate, hh: u32, mm: u32) -> DateTime<Utc> {
    day.and_hms_opt(hh, mm, 0).expect("a time").and_utc()
}

#[tokio::test]
async fn fui_and_gpra_match_a_caseload_worked_out_by_hand() {
    let app = TestApp::spawn().await;
    app.create_staff(EMAIL, "Fui Counselor", Role::Counselor, None).await;
    let d = app.state.today() + Days::new(1);
    let mut clinic = Clinic { app: &app, token: String::new() };
    clinic.at(at(d, 8, 40)).await;
    let t = clinic.token.clone();

    let ada = client("Ada", "Exit").using(&["BENZODIAZEPINES"]).register(&app, &t).await;
    let ben = client("Ben", "Exit").using(&["ALCOHOL"]).register(&app, &t).await;
    let cy = client("Cy", "Exit").using(&["OPIOIDS"]).register(&app, &t).await;
    let eve = client("Eve", "Intake").register(&app, &t).await;
    let fay = client("Fay", "Intake").register(&app, &t).await;
    let ada_episode = admission(&ada, "DETOX").level("WM_3_2").at(at(d - Days::new(3), 8, 0)).admit(&app, &t).await;
    let ben_episode = admission(&ben, "DETOX").level("WM_2").at(at(d - Days::new(2), 8, 0)).admit(&app, &t).await;
    let cy_episode = admission(&cy, "REHAB").level("L3_5").at(at(d - Days::new(20), 8, 0)).admit(&app, &t).await;
    let eve_episode = admission(&eve, "REHAB").level("L2_1").admit(&app, &t).await;
    admission(&fay, "REHAB").level("L2_1").admit(&app, &t).await;

    // D: three exits from high-intensity care.
    clinic.discharge(&ada_episode, "COMPLETED").await;
    clinic.at(at(d, 9, 0)).await;
    clinic.discharge(&ben_episode, "LEFT_AGAINST_ADVICE").await;
    clinic.at(at(d, 10, 0)).await;
    clinic.discharge(&cy_episode, "LEFT_AGAINST_ADVICE").await;
    clinic.at(at(d, 17, 0)).await;
    clinic.reach(&ben, "POST_DISCHARGE").await;

    // D+3: every window is open: pending, not counted.
    clinic.at(at(d + Days::new(3), 9, 0)).await;
    let early = clinic.report(d, d).await;
    assert_eq!(
        (&early["sevenDayEligible"], &early["sevenDayPending"], &early["thirtyDayPending"]),
        (&json!(0), &json!(3), &json!(3)),
        "{early}"
    );

    // D+7 15:00: Ada is reached, 174 hours after her 08:40 exit: calendar day 7.
    clinic.at(at(d + Days::new(7), 15, 0)).await;
    clinic.reach(&ada, "POST_DISCHARGE").await;
    // D+10: Cy back in residential care; D+20 out again.
    clinic.at(at(d + Days::new(10), 11, 0)).await;
    let cy_again = admission(&cy, "REHAB").level("L3_5").admit(&app, &clinic.token).await;
    clinic.at(at(d + Days::new(20), 11, 0)).await;
    clinic.discharge(&cy_again, "COMPLETED").await;

    // Eve: discharged at month 2, interviewed at month 6. Fay: interviewed at month 9.
    clinic.at(at(d + Months::new(2), 10, 0)).await;
    clinic.discharge(&eve_episode, "COMPLETED").await;
    clinic.at(at(d + Months::new(6), 10, 0)).await;
    clinic.reach(&eve, "GPRA").await;
    clinic.at(at(d + Months::new(9), 10, 0)).await;
    clinic.reach(&fay, "GPRA").await;
    clinic.at(at(d + Months::new(9) + Days::new(1), 10, 0)).await;

    let fui = clinic.report(d, d).await;
    let expected_fui = json!({
        "sevenDayEligible": 3, "sevenDayCompleted": 1, "sevenDayPending": 0,
        "thirtyDayEligible": 3, "thirtyDayCompleted": 2, "thirtyDayPending": 0,
    });
    for (field, value) in expected_fui.as_object().expect("figures") {
        assert_eq!(&fui[field], value, "{field}: {fui}");
    }
    assert!((fui["sevenDayRate"].as_f64().unwrap_or(-1.0) - 1.0 / 3.0).abs() < 1e-9, "{fui}");
    assert!((fui["thirtyDayRate"].as_f64().unwrap_or(-1.0) - 2.0 / 3.0).abs() < 1e-9, "{fui}");
    let month = clinic.report(d, d + Days::new(30)).await;
    assert_eq!(month["sevenDayEligible"], 3, "Cy's second exit, 20 days after his first, counts once: {month}");

    let closes = gpra_window(d).2;
    assert_eq!(closes, d + Months::new(8));
    let gpra = clinic.report(closes, closes).await;
    assert_eq!(
        (&gpra["sixMonthDue"], &gpra["sixMonthCompleted"], &gpra["sixMonthRate"], &gpra["meetsGpraTarget"]),
        (&json!(2), &json!(1), &json!(0.5), &json!(false)),
        "Eve counts, Fay (month 9) does not: {gpra}"
    );
    let wide = clinic.report(d, d + Months::new(9)).await;
    assert_eq!((&wide["sixMonthDue"], &wide["sixMonthCompleted"]), (&json!(6), &json!(1)), "{wide}");
}

/// The TEDS extract of a small caseload against the files in `tests/api/expected/`, written
/// by hand from the codebook (`{…}` stands for ids and dates the test makes):
///
/// - Hal: 42 at admission (AGE 8), sex not given (-9), REHAB L3_5 from D−45 (SERVICES 4,
///   short-term residential at admission); alcohol, oral, daily, first at 14 (2 1 3 2); no
///   secondary or tertiary substance (SUB 1, the rest -9); no prior treatment (0); came on
///   his own (PSOURCE 1); went to self-help before, how often unknown (5). Discharged
///   COMPLETED on D (REASON 1) after 45 days (LOS 31; SERVICES_D 5, long-term residential);
///   AA attendance on D−44 (outside the 30 days), D−20, D−10, D−3 and D−1: 4 (code 3).
/// - Gia: 36 (7), a woman (2), DETOX WM_3_2 from D−4 (2); opioids by injection, daily, first
///   at 19 (7 4 3 4); benzodiazepines orally, some use, first at 23 (13 1 2 5); two prior
///   episodes (2); referred by a court (7); no self-help before (1). Left against advice on
///   D (2) after 4 days (LOS 4, SERVICES_D 2); no attendance (1).
/// - Ivy: 18 (3), REHAB L2_1 from D (6), admitted without the TEDS intake: every intake
///   element missing (-9). Still in care: no discharge record.
#[tokio::test]
async fn the_teds_extract_matches_the_hand_written_files() {
    let app = TestApp::spawn().await;
    app.create_staff(EMAIL, "Fui Counselor", Role::Counselor, None).await;
    let d = app.state.today() + Days::new(46);
    let mut clinic = Clinic { app: &app, token: String::new() };
    let years_before =
        |on: NaiveDate, years: u32, days: u64| ((on - Months::new(12 * years)) - Days::new(days)).to_string();

    // D−45: Hal is admitted and referred to AA.
    clinic.at(at(d - Days::new(45), 10, 0)).await;
    let t = clinic.token.clone();
    let hal = client("Hal", "Teds").born(&years_before(d - Days::new(45), 42, 100)).register(&app, &t).await;
    let intake = json!({ "substances": [{ "substance": "ALCOHOL", "route": "ORAL", "frequency": "DAILY", "ageAtFirstUse": 14 }],
        "priorTreatmentEpisodes": 0, "referralSource": "INDIVIDUAL", "selfHelpMeetings30Days": null });
    let admit = "mutation($i: AdmitClientInput!) { admitClient(input: $i) { id version stage } }";
    let hal_episode: Episode = serde_json::from_value(
        app.gql_ok(
            Some(&t),
            admit,
            json!({ "i": { "clientId": hal, "stage": "REHAB", "levelOfCare": "L3_5", "intake": intake } }),
        )
        .await["admitClient"]
            .clone(),
    )
    .expect("an episode");
    let aa = group_id(&app, &t, "AA").await;
    let referral = app
        .gql_ok(Some(&t), crate::documents::REFER, json!({ "i": { "clientId": hal, "supportGroupId": aa } }))
        .await["referToSupportGroup"]["id"]
        .clone();

    // D: Gia (admitted four days ago) and Ivy arrive; Hal's attendance is recorded; Hal and
    // Gia leave.
    clinic.at(at(d, 10, 0)).await;
    let t = clinic.token.clone();
    for back in [44, 20, 10, 3, 1] {
        let input = json!({ "i": { "referralId": referral, "attendedOn": (d - Days::new(back)).to_string() } });
        app.gql_ok(Some(&t), crate::documents::ATTEND, input).await;
    }
    let gia =
        client("Gia", "Teds").born(&years_before(d - Days::new(4), 36, 50)).gender("WOMAN").register(&app, &t).await;
    let intake = json!({ "substances": [
            { "substance": "OPIOIDS", "route": "INJECTION", "frequency": "DAILY", "ageAtFirstUse": 19 },
            { "substance": "BENZODIAZEPINES", "route": "ORAL", "frequency": "SOME_USE", "ageAtFirstUse": 23 }],
        "priorTreatmentEpisodes": 2, "referralSource": "CRIMINAL_JUSTICE", "selfHelpMeetings30Days": 0 });
    let admitted = at(d - Days::new(4), 9, 0).to_rfc3339();
    let gia_episode: Episode = serde_json::from_value(
        app.gql_ok(
            Some(&t),
            admit,
            json!({ "i": { "clientId": gia, "stage": "DETOX", "levelOfCare": "WM_3_2", "admittedAt": admitted, "intake": intake } }),
        )
        .await["admitClient"]
        .clone(),
    )
    .expect("an episode");
    let ivy = client("Ivy", "Teds").born(&years_before(d, 18, 10)).register(&app, &t).await;
    let ivy_episode = admission(&ivy, "REHAB").level("L2_1").admit(&app, &t).await;
    clinic.discharge(&hal_episode, "COMPLETED").await;
    clinic.discharge(&gia_episode, "LEFT_AGAINST_ADVICE").await;

    let fill = |template: &str| {
        template
            .replace("{hal}", &hal_episode.id)
            .replace("{gia}", &gia_episode.id)
            .replace("{ivy}", &ivy_episode.id)
            .replace("{D-45}", &(d - Days::new(45)).to_string())
            .replace("{D-4}", &(d - Days::new(4)).to_string())
            .replace("{D}", &d.to_string())
    };
    let range = format!("from={}&to={}", d - Days::new(45), d);
    for (path, expected) in [
        ("teds-admissions", include_str!("expected/teds-admissions.csv")),
        ("teds-discharges", include_str!("expected/teds-discharges.csv")),
    ] {
        let (status, body) = app.get(&format!("/reports/{path}.csv?{range}"), Some(&t)).await;
        assert_eq!(status, axum::http::StatusCode::OK, "{body}");
        let expected = fill(expected);
        let rows = |text: &str| -> Vec<Vec<String>> {
            text.lines().map(|l| l.split(',').map(str::to_owned).collect()).collect()
        };
        let (got, want) = (rows(&body), rows(&expected));
        assert_eq!(got.len(), want.len(), "{path}: rows\n{body}");
        for (r, (g, w)) in got.iter().zip(&want).enumerate() {
            for (c, (gc, wc)) in g.iter().zip(w).enumerate() {
                assert_eq!(gc, wc, "{path}: row {r}, column {} ({})", c, want[0][c]);
            }
            assert_eq!(g.len(), w.len(), "{path}: row {r} has every column");
        }
    }

    // Same visibility as everything else: another counselor's file is empty, the admin's
    // refused.
    let other = app.login_as(Role::Counselor).await;
    let (status, body) = app.get(&format!("/reports/teds-admissions.csv?{range}"), Some(&other.access)).await;
    assert_eq!((status, body.lines().count()), (axum::http::StatusCode::OK, 1), "only the header: {body}");
    let admin = app.admin().await;
    let (status, _) = app.get(&format!("/reports/teds-discharges.csv?{range}"), Some(&admin.access)).await;
    assert_eq!(status, axum::http::StatusCode::FORBIDDEN);

    // The same records through GraphQL.
    let query = "query($f: Date!, $t: Date!) { tedsExtract(from: $f, to: $t) {
        admissions { caseId sub1 sub2 freqAtndSelfHelp } discharges { caseId los freqAtndSelfHelpD } } }";
    let vars = json!({ "f": (d - Days::new(45)).to_string(), "t": d.to_string() });
    let extract = app.gql_ok(Some(&t), query, vars).await["tedsExtract"].clone();
    assert_eq!(
        extract["admissions"][1],
        json!({ "caseId": gia_episode.id, "sub1": 7, "sub2": 13, "freqAtndSelfHelp": 1 })
    );
    assert_eq!(extract["discharges"][0], json!({ "caseId": hal_episode.id, "los": 31, "freqAtndSelfHelpD": 3 }));
}
