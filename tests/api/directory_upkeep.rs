//! Directory upkeep: the admin edits and retires groups and meetings; a retired meeting
//! leaves the schedules and the recommendations and its open referrals come up on the
//! worklist; a group the admin adds is recommended on its attributes; meetings in the
//! client's language raise a group.

use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::REFER;
use crate::fixtures::*;
use crate::helpers::*;

const CREATE_GROUP: &str = "mutation($i: SupportGroupInput!) { createSupportGroup(input: $i) {
    id version abbreviation openTo secular forCoOccurring substanceFocus languages retiredAt } }";
const UPDATE_GROUP: &str = "mutation($i: UpdateSupportGroupInput!) { updateSupportGroup(input: $i) {
    id version name openTo secular substanceFocus languages } }";
const RETIRE_GROUP: &str = "mutation($i: RetireInput!) { retireSupportGroup(input: $i) { id version retiredAt meetings(includeRetired: true) { retiredAt } } }";
const CREATE_MEETING: &str = "mutation($i: MeetingInput!) { createMeeting(input: $i) { id version language } }";
const UPDATE_MEETING: &str = "mutation($i: UpdateMeetingInput!) { updateMeeting(input: $i) { id version name dayOfWeek startTime address url } }";
const RETIRE_MEETING: &str = "mutation($i: RetireInput!) { retireMeeting(input: $i) { id version retiredAt } }";
const RECOMMEND: &str = "query($c: ID!) { recommendSupportGroups(clientId: $c) {
    supportGroup { abbreviation } reasons meetings { id language } } }";
const SCHEDULE: &str = "query($id: ID!, $week: Date!) { client(id: $id) {
    meetingSchedule(weekOf: $week) { meeting { id name } } } }";
const WORKLIST: &str = "{ worklist(first: 100) { nodes { kind reason client { id } referral { id } } } }";
const DIRECTORY: &str = "query($all: Boolean!) { supportGroups(includeRetired: $all) {
    abbreviation retiredAt meetings { id } all: meetings(includeRetired: true) { id } } }";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("a string: {v}")).to_owned()
}

async fn meeting(app: &TestApp, admin: &str, group: &str, name: &str, day: i64, language: &str) -> String {
    let input = json!({ "supportGroupId": group, "name": name, "format": "ONLINE", "dayOfWeek": day,
        "startTime": "19:00", "timeZone": "America/Chicago", "url": "https://meetings.example.org/j", "language": language });
    s(&app.gql_ok(Some(admin), CREATE_MEETING, json!({ "i": input })).await["createMeeting"]["id"])
}

async fn recommend(app: &TestApp, token: &str, client: &str) -> Vec<Value> {
    let data = app.gql_ok(Some(token), RECOMMEND, json!({ "c": client })).await;
    data["recommendSupportGroups"].as_array().cloned().unwrap_or_default()
}

fn ranked(found: &[Value]) -> Vec<String> {
    found.iter().map(|r| s(&r["supportGroup"]["abbreviation"])).collect()
}

fn reasons_of<'a>(found: &'a [Value], abbreviation: &str) -> Vec<&'a str> {
    found
        .iter()
        .find(|r| r["supportGroup"]["abbreviation"] == abbreviation)
        .and_then(|r| r["reasons"].as_array())
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_else(|| panic!("{abbreviation} is recommended: {found:?}"))
}

#[tokio::test]
async fn an_admin_added_secular_group_for_women_is_recommended_to_a_woman_who_prefers_secular_help() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let input = json!({ "name": "Her Own Way", "abbreviation": "HOW", "twelveStep": false, "secular": true,
        "openTo": "WOMEN", "languages": ["en", "es-MX", "es"],
        "audience": "women rebuilding their lives without a higher power",
        "description": "A peer circle for women, with no higher power in its program." });
    let created =
        app.gql_ok(Some(&admin.access), CREATE_GROUP, json!({ "i": input })).await["createSupportGroup"].clone();
    assert_eq!(created["openTo"], "WOMEN");
    assert_eq!(created["secular"], true);
    assert_eq!(created["substanceFocus"], json!([]), "open to any substance");
    assert_eq!(created["languages"], json!(["en", "es"]), "primary subtags, once each");
    assert_eq!(created["version"], 1);

    let me = app.login_as(Role::Counselor).await;
    let woman = client("Ada", "Moreno").gender("WOMAN").register(&app, &me.access).await;
    let mut input = json!({ "prefersSecular": true });
    let update =
        "mutation($id: ID!, $i: UpdateClientInput!) { updateClient(id: $id, expectedVersion: 1, input: $i) { id } }";
    app.gql_ok(Some(&me.access), update, json!({ "id": woman, "i": input })).await;
    let found = recommend(&app, &me.access, &woman).await;
    let order = ranked(&found);
    let how = order.iter().position(|a| a == "HOW").unwrap_or_else(|| panic!("HOW is recommended: {order:?}"));
    let aa = order.iter().position(|a| a == "AA").expect("AA, for alcohol");
    assert!(how < aa, "a secular group above the 12-step ones for a client who prefers secular help: {order:?}");
    let reasons = reasons_of(&found, "HOW");
    assert!(reasons[0].contains("for women") && reasons[0].contains("secular"), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("no meetings listed")),
        "and it says it has no meetings yet: {reasons:?}"
    );

    // Not for a man, whatever his preference.
    let man = client("Ben", "Moreno").gender("MAN").register(&app, &me.access).await;
    input = json!({ "prefersSecular": true });
    app.gql_ok(Some(&me.access), update, json!({ "id": man, "i": input })).await;
    assert!(!ranked(&recommend(&app, &me.access, &man).await).contains(&"HOW".to_owned()));

    // Edited: a group for alcohol only no longer fits a client who uses only cocaine.
    let edit = json!({ "id": created["id"], "expectedVersion": 1, "substanceFocus": ["ALCOHOL"], "name": "Her Own Way Circle" });
    let edited =
        app.gql_ok(Some(&admin.access), UPDATE_GROUP, json!({ "i": edit.clone() })).await["updateSupportGroup"].clone();
    assert_eq!((edited["version"].as_i64(), edited["name"].as_str()), (Some(2), Some("Her Own Way Circle")));
    assert_eq!(edited["openTo"], "WOMEN", "what was left out stays");
    let stale = app.gql(Some(&admin.access), UPDATE_GROUP, json!({ "i": edit })).await;
    assert_code(&stale, "CONFLICT");
    let cocaine = client("Cora", "Moreno").gender("WOMAN").using(&["COCAINE"]).register(&app, &me.access).await;
    app.gql_ok(Some(&me.access), update, json!({ "id": cocaine, "i": { "prefersSecular": true } })).await;
    assert!(!ranked(&recommend(&app, &me.access, &cocaine).await).contains(&"HOW".to_owned()));

    // Bad input names its field and changes nothing; counselors cannot edit the directory.
    let both = json!({ "id": created["id"], "expectedVersion": 2, "twelveStep": true });
    assert_eq!(error_field(&app.gql(Some(&admin.access), UPDATE_GROUP, json!({ "i": both })).await), Some("secular"));
    let bad_language = json!({ "id": created["id"], "expectedVersion": 2, "languages": ["spanish!"] });
    assert_eq!(
        error_field(&app.gql(Some(&admin.access), UPDATE_GROUP, json!({ "i": bad_language })).await),
        Some("languages")
    );
    let by_counselor = json!({ "id": created["id"], "expectedVersion": 2, "name": "Mine" });
    assert_code(&app.gql(Some(&me.access), UPDATE_GROUP, json!({ "i": by_counselor })).await, "FORBIDDEN");
    let data = app.gql_ok(Some(&admin.access), DIRECTORY, json!({ "all": false })).await;
    let how = data["supportGroups"].as_array().and_then(|g| g.iter().find(|g| g["abbreviation"] == "HOW")).cloned();
    assert!(how.is_some(), "still listed: {data}");
}

#[tokio::test]
async fn for_a_spanish_speaker_a_group_with_a_spanish_meeting_ranks_above_one_without_and_says_so() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let na = group_id(&app, &admin.access, "NA").await;
    let ca = group_id(&app, &admin.access, "CA").await;
    // Cocaine: CA ranks above NA by the rules, until meetings decide among them.
    meeting(&app, &admin.access, &ca, "CA Downtown", 2, "en").await;
    meeting(&app, &admin.access, &ca, "CA Thursday", 4, "en").await;
    meeting(&app, &admin.access, &na, "NA Grupo Esperanza", 3, "es").await;

    let me = app.login_as(Role::Counselor).await;
    let english = client("Ana", "Ruiz").using(&["COCAINE"]).language("en").register(&app, &me.access).await;
    assert_eq!(ranked(&recommend(&app, &me.access, &english).await)[..2], ["CA", "NA"]);

    let spanish = client("Ana", "Ruiz").using(&["COCAINE"]).language("es-MX").register(&app, &me.access).await;
    let found = recommend(&app, &me.access, &spanish).await;
    assert_eq!(ranked(&found)[..2], ["NA", "CA"], "the Spanish meeting raises NA: {found:?}");
    let na_reasons = reasons_of(&found, "NA");
    assert!(
        na_reasons.iter().any(|r| r.contains("1 meeting(s) a week in the client's language (es)")),
        "{na_reasons:?}"
    );
    let ca_reasons = reasons_of(&found, "CA");
    assert!(
        ca_reasons
            .iter()
            .any(|r| r.contains("no meeting in the client's language (es)") && r.contains("2 in other languages")),
        "{ca_reasons:?}"
    );
    for r in found.iter().flat_map(|r| r["reasons"].as_array().cloned().unwrap_or_default()) {
        assert!(!s(&r).contains('\n') && !s(&r).trim().is_empty(), "one line each: {r}");
    }
}

#[tokio::test]
async fn a_retired_meeting_leaves_schedules_and_recommendations_and_its_referrals_come_up_on_the_worklist() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let smart = group_id(&app, &admin.access, "SMART").await;
    let today = app.state.today();
    let day = i64::from(chrono::Datelike::weekday(&today).number_from_monday());
    let retiring = meeting(&app, &admin.access, &smart, "SMART Evening", day, "en").await;
    let staying = meeting(&app, &admin.access, &smart, "SMART Morning", day, "en").await;

    let me = app.login_as(Role::Counselor).await;
    let client = client("Lee", "Park").register(&app, &me.access).await;
    admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    let refer = |meeting: &str| {
        json!({ "i": { "clientId": client, "supportGroupId": smart, "meetingId": meeting,
        "status": "REFERRED" } })
    };
    let referral = s(&app.gql_ok(Some(&me.access), REFER, refer(&retiring)).await["referToSupportGroup"]["id"]);

    let schedule = |week: chrono::NaiveDate| json!({ "id": client, "week": week.to_string() });
    let names = |data: &Value| -> Vec<String> {
        data["client"]["meetingSchedule"]
            .as_array()
            .expect("a schedule")
            .iter()
            .map(|m| s(&m["meeting"]["name"]))
            .collect()
    };
    let next_week = today + chrono::Days::new(7);
    let before = app.gql_ok(Some(&me.access), SCHEDULE, schedule(next_week)).await;
    assert_eq!(names(&before), ["SMART Evening"]);
    let worklist_kinds = |data: &Value| -> Vec<String> {
        data["worklist"]["nodes"].as_array().expect("nodes").iter().map(|n| s(&n["kind"])).collect()
    };
    let listed = app.gql_ok(Some(&me.access), WORKLIST, json!({})).await;
    assert!(!worklist_kinds(&listed).contains(&"REFERRAL_MEETING_RETIRED".to_owned()), "{listed}");

    // Edited first (a new start time), then retired at the version it has now.
    let edit = json!({ "id": retiring, "expectedVersion": 1, "startTime": "18:30", "address": null });
    let edited = app.gql_ok(Some(&admin.access), UPDATE_MEETING, json!({ "i": edit })).await["updateMeeting"].clone();
    assert_eq!((edited["startTime"].as_str(), edited["version"].as_i64()), (Some("18:30"), Some(2)));
    let bad = json!({ "id": retiring, "expectedVersion": 2, "dayOfWeek": 9 });
    assert_eq!(
        error_field(&app.gql(Some(&admin.access), UPDATE_MEETING, json!({ "i": bad })).await),
        Some("dayOfWeek")
    );
    let stale =
        app.gql(Some(&admin.access), RETIRE_MEETING, json!({ "i": { "id": retiring, "expectedVersion": 1 } })).await;
    assert_code(&stale, "CONFLICT");
    let retired = app
        .gql_ok(Some(&admin.access), RETIRE_MEETING, json!({ "i": { "id": retiring, "expectedVersion": 2 } }))
        .await["retireMeeting"]
        .clone();
    assert!(retired["retiredAt"].is_string(), "{retired}");
    let again =
        app.gql_ok(Some(&admin.access), RETIRE_MEETING, json!({ "i": { "id": retiring, "expectedVersion": 3 } })).await;
    assert_eq!(again["retireMeeting"]["version"], 3, "retiring twice changes nothing");
    let edit_retired = json!({ "id": retiring, "expectedVersion": 3, "name": "Back" });
    assert_rule(&app.gql(Some(&admin.access), UPDATE_MEETING, json!({ "i": edit_retired })).await, "MEETING_RETIRED");

    // Gone from the schedule (from today), the directory and the recommendations.
    let after = app.gql_ok(Some(&me.access), SCHEDULE, schedule(next_week)).await;
    assert_eq!(names(&after), Vec::<String>::new(), "a retired meeting is in no schedule");
    let last_week = app.gql_ok(Some(&me.access), SCHEDULE, schedule(today - chrono::Days::new(7))).await;
    assert_eq!(names(&last_week), ["SMART Evening"], "the weeks before it was retired keep it");
    let found = recommend(&app, &me.access, &client).await;
    let smart_meetings: Vec<String> = found
        .iter()
        .find(|r| r["supportGroup"]["abbreviation"] == "SMART")
        .and_then(|r| r["meetings"].as_array())
        .map(|m| m.iter().map(|m| s(&m["id"])).collect())
        .unwrap_or_default();
    assert_eq!(smart_meetings, std::slice::from_ref(&staying), "only the meeting that still runs is recommended");
    let directory = app.gql_ok(Some(&me.access), DIRECTORY, json!({ "all": false })).await;
    let listed_smart = directory["supportGroups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["abbreviation"] == "SMART"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(listed_smart["meetings"], json!([{ "id": staying }]));
    assert_eq!(listed_smart["all"].as_array().map(Vec::len), Some(2), "still there when asked for");

    // Its open referral comes up on the worklist, pointing at the referral.
    let listed = app.gql_ok(Some(&me.access), WORKLIST, json!({})).await;
    let item = listed["worklist"]["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["kind"] == "REFERRAL_MEETING_RETIRED"))
        .cloned()
        .unwrap_or_else(|| panic!("the referral is on the worklist: {listed}"));
    assert_eq!(item["referral"]["id"], referral);
    assert_eq!(item["client"]["id"], client);
    assert!(s(&item["reason"]).contains("SMART Evening is no longer running"), "{item}");

    // No new referral to it.
    let refused = app.gql(Some(&me.access), REFER, refer(&retiring)).await;
    assert_eq!(error_field(&refused), Some("meetingId"), "{refused}");

    // Another counselor's worklist does not show it.
    let other = app.login_as(Role::Counselor).await;
    let theirs = app.gql_ok(Some(&other.access), WORKLIST, json!({})).await;
    assert!(!worklist_kinds(&theirs).contains(&"REFERRAL_MEETING_RETIRED".to_owned()), "{theirs}");
}

#[tokio::test]
async fn a_retired_group_takes_its_meetings_with_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let sos = group_id(&app, &admin.access, "SOS").await;
    meeting(&app, &admin.access, &sos, "SOS Monday", 1, "en").await;
    let me = app.login_as(Role::Counselor).await;
    let client = client("Kim", "Vo").register(&app, &me.access).await;
    admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
    let referral = json!({ "i": { "clientId": client, "supportGroupId": sos, "status": "REFERRED" } });
    app.gql_ok(Some(&me.access), REFER, referral.clone()).await;

    let retired = app
        .gql_ok(Some(&admin.access), RETIRE_GROUP, json!({ "i": { "id": sos, "expectedVersion": 1 } }))
        .await["retireSupportGroup"]
        .clone();
    assert!(retired["retiredAt"].is_string(), "{retired}");
    assert!(retired["meetings"].as_array().is_some_and(|m| m.iter().all(|m| m["retiredAt"].is_string())), "{retired}");

    assert!(!ranked(&recommend(&app, &me.access, &client).await).contains(&"SOS".to_owned()));
    let listed = app.gql_ok(Some(&me.access), DIRECTORY, json!({ "all": false })).await;
    assert!(!listed.to_string().contains("\"SOS\""), "not listed: {listed}");
    let all = app.gql_ok(Some(&me.access), DIRECTORY, json!({ "all": true })).await;
    assert!(all.to_string().contains("\"SOS\""), "listed when asked for: {all}");
    let worklist = app.gql_ok(Some(&me.access), WORKLIST, json!({})).await;
    let item = worklist["worklist"]["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["kind"] == "REFERRAL_MEETING_RETIRED"))
        .cloned()
        .unwrap_or_else(|| panic!("{worklist}"));
    assert!(s(&item["reason"]).contains("Secular Organizations for Sobriety has left the directory"), "{item}");
    // A second referral to it is refused.
    let two = app.gql(Some(&me.access), REFER, referral).await;
    assert_eq!(error_field(&two), Some("supportGroupId"), "{two}");
}
