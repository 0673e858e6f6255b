//! The whole story of one episode, through GraphQL, as a counselor lives it.

use chrono::{Days, Utc};
use continuum::domain::Role;
use serde_json::{Value, json};

use crate::helpers::*;

async fn group_id(app: &TestApp, token: &str, abbreviation: &str) -> String {
    let data = app.gql_ok(Some(token), "{ supportGroups { id abbreviation } }", json!({})).await;
    data["supportGroups"]
        .as_array()
        .and_then(|groups| groups.iter().find(|g| g["abbreviation"] == abbreviation))
        .and_then(|g| g["id"].as_str())
        .unwrap_or_else(|| panic!("{abbreviation} is seeded"))
        .to_owned()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_client_goes_from_detox_through_rehab_and_aftercare_to_discharge() {
    let app = TestApp::spawn().await;
    let supervisor_id = app.create_staff("sue@clinic.test", "Sue Supervisor", Role::Supervisor, None).await;
    let a_id = app.create_staff("ann@clinic.test", "Ann Counselor", Role::Counselor, Some(&supervisor_id)).await;
    app.create_staff("bob@clinic.test", "Bob Counselor", Role::Counselor, Some(&supervisor_id)).await;
    let a = app.session("ann@clinic.test", PASSWORD).await;
    let token = Some(a.access.as_str());

    let client = app
        .gql_ok(
            token,
            "mutation($i: RegisterClientInput!) { registerClient(input: $i) { id version primaryCounselor { id } substances } }",
            json!({ "i": { "firstName": "Dana", "lastName": "Reyes", "dateOfBirth": "1988-03-14",
                           "gender": "WOMAN", "substances": ["OPIOIDS", "ALCOHOL"], "language": "en" } }),
        )
        .await;
    let client_id = s(&client["registerClient"]["id"]);
    assert_eq!(client["registerClient"]["primaryCounselor"]["id"], a_id.as_str(), "the registering counselor");
    assert_eq!(client["registerClient"]["substances"], json!(["ALCOHOL", "OPIOIDS"]));

    let admitted = app
        .gql_ok(
            token,
            "mutation($c: ID!) { admitClient(input: { clientId: $c, stage: DETOX, levelOfCare: WM_3_2 }) { id version stage levelOfCare open } }",
            json!({ "c": client_id }),
        )
        .await;
    let episode = &admitted["admitClient"];
    assert_eq!(
        (episode["stage"].clone(), episode["levelOfCare"].clone(), episode["open"].clone()),
        (json!("DETOX"), json!("WM_3_2"), json!(true))
    );
    let episode_id = s(&episode["id"]);

    let change = "mutation($i: ChangeStageInput!) { changeStage(input: $i) { version stage levelOfCare } }";
    let rehab = app
        .gql_ok(token, change, json!({ "i": { "episodeId": episode_id, "expectedVersion": episode["version"], "stage": "REHAB", "levelOfCare": "L3_5", "reason": "withdrawal complete" } }))
        .await;
    assert_eq!(rehab["changeStage"]["stage"], "REHAB");
    let version = rehab["changeStage"]["version"].clone();

    let refer = "mutation($i: ReferToSupportGroupInput!) { referToSupportGroup(input: $i) { id version status stageAtReferral supportGroup { abbreviation } } }";
    let na = app
        .gql_ok(
            token,
            refer,
            json!({ "i": { "clientId": client_id, "supportGroupId": group_id(&app, &a.access, "NA").await } }),
        )
        .await;
    assert_eq!(na["referToSupportGroup"]["status"], "REFERRED");
    assert_eq!(na["referToSupportGroup"]["stageAtReferral"], "REHAB");
    let smart = app
        .gql_ok(token, refer, json!({ "i": { "clientId": client_id, "supportGroupId": group_id(&app, &a.access, "SMART").await, "status": "PLANNED" } }))
        .await;
    assert_eq!(smart["referToSupportGroup"]["status"], "PLANNED");

    let today = Utc::now().date_naive();
    let attended = app
        .gql_ok(
            token,
            "mutation($i: RecordAttendanceInput!) { recordAttendance(input: $i) { status attendanceCount attendance { attendedOn verified recordedBy { id } } } }",
            json!({ "i": { "referralId": na["referToSupportGroup"]["id"], "attendedOn": today.to_string(), "verified": true } }),
        )
        .await;
    assert_eq!(attended["recordAttendance"]["status"], "ENGAGED", "the first attendance engages");
    assert_eq!(attended["recordAttendance"]["attendanceCount"], 1);
    assert_eq!(attended["recordAttendance"]["attendance"][0]["recordedBy"]["id"], a_id.as_str());

    let aftercare = app
        .gql_ok(
            token,
            change,
            json!({ "i": { "episodeId": episode_id, "expectedVersion": version, "stage": "AFTERCARE" } }),
        )
        .await;
    assert_eq!(aftercare["changeStage"]["stage"], "AFTERCARE");
    assert_eq!(aftercare["changeStage"]["levelOfCare"], Value::Null);

    let read = "query($id: ID!) { client(id: $id) {
        followUps(kind: AFTERCARE) { id version dueOn status overdue scheduleDays }
        referrals { status supportGroup { abbreviation } }
        nextFollowUp { dueOn }
        currentEpisode { id version stage }
    } }";
    let now = app.gql_ok(token, read, json!({ "id": client_id })).await;
    let follow_ups = now["client"]["followUps"].as_array().cloned().unwrap_or_default();
    let due: Vec<String> = follow_ups.iter().map(|f| s(&f["dueOn"])).collect();
    let expected: Vec<String> = [7u64, 30, 90, 180, 365].iter().map(|d| (today + Days::new(*d)).to_string()).collect();
    assert_eq!(due, expected, "five follow-ups at +7/+30/+90/+180/+365 days");
    assert!(follow_ups.iter().all(|f| f["status"] == "SCHEDULED" && f["overdue"] == false));
    assert_eq!(now["client"]["nextFollowUp"]["dueOn"], expected[0].as_str());
    let statuses: Vec<(String, String)> = now["client"]["referrals"]
        .as_array()
        .map(|rs| rs.iter().map(|r| (s(&r["supportGroup"]["abbreviation"]), s(&r["status"]))).collect())
        .unwrap_or_default();
    assert_eq!(
        statuses,
        vec![("NA".into(), "ENGAGED".into()), ("SMART".into(), "REFERRED".into())],
        "entering aftercare puts the planned referral into effect"
    );

    let seven_day = &follow_ups[0];
    let recorded = app
        .gql_ok(
            token,
            "mutation($i: RecordFollowUpInput!) { recordFollowUp(input: $i) { status outcome attendingSupportGroup contactedAt recordedBy { id } } }",
            json!({ "i": { "followUpId": seven_day["id"], "expectedVersion": seven_day["version"], "status": "COMPLETED", "outcome": "ABSTINENT", "attendingSupportGroup": true } }),
        )
        .await;
    assert_eq!(recorded["recordFollowUp"]["status"], "COMPLETED");
    assert_eq!(recorded["recordFollowUp"]["outcome"], "ABSTINENT");
    assert_eq!(recorded["recordFollowUp"]["recordedBy"]["id"], a_id.as_str());
    assert!(recorded["recordFollowUp"]["contactedAt"].is_string());

    let episode_now = app.gql_ok(token, read, json!({ "id": client_id })).await;
    let discharged = app
        .gql_ok(
            token,
            "mutation($i: DischargeClientInput!) { dischargeClient(input: $i) { open dischargeReason dischargedAt stageHistory { from to levelOfCare at reason by { id name } } } }",
            json!({ "i": { "episodeId": episode_id, "expectedVersion": episode_now["client"]["currentEpisode"]["version"], "reason": "COMPLETED", "note": "completed the program" } }),
        )
        .await;
    let episode = &discharged["dischargeClient"];
    assert_eq!(episode["open"], false);
    assert_eq!(episode["dischargeReason"], "COMPLETED");
    let history = episode["stageHistory"].as_array().cloned().unwrap_or_default();
    let moves: Vec<(Value, Value, Value)> =
        history.iter().map(|h| (h["from"].clone(), h["to"].clone(), h["levelOfCare"].clone())).collect();
    assert_eq!(
        moves,
        vec![
            (Value::Null, json!("DETOX"), json!("WM_3_2")),
            (json!("DETOX"), json!("REHAB"), json!("L3_5")),
            (json!("REHAB"), json!("AFTERCARE"), Value::Null),
        ]
    );
    assert!(
        history.iter().all(|h| h["by"]["name"] == "Ann Counselor" && h["at"].is_string()),
        "who and when: {history:?}"
    );
    assert_eq!(history[1]["reason"], "withdrawal complete");

    let after = app.gql_ok(token, read, json!({ "id": client_id })).await;
    assert_eq!(after["client"]["currentEpisode"], Value::Null, "no open episode after discharge");
    let scheduled =
        after["client"]["followUps"].as_array().map(|f| f.iter().filter(|f| f["status"] == "SCHEDULED").count());
    assert_eq!(scheduled, Some(4), "follow-ups go on after an ordinary discharge");
}
