//! Support-group recommendations through `recommendSupportGroups`: the rules of
//! `domain::recommend` (who may go to which program, in which order, and why) and the
//! meetings in the client's language first.

use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::REGISTER;
use crate::helpers::*;

const RECOMMEND: &str = "query($c: ID!) { recommendSupportGroups(clientId: $c) {
    supportGroup { abbreviation } reasons meetings { id language }
} }";
const CREATE_MEETING: &str = "mutation($i: MeetingInput!) { createMeeting(input: $i) { id language } }";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Registers a client with the given profile fields (merged over a plain default).
async fn client(app: &TestApp, token: &str, profile: Value) -> String {
    let mut input = json!({ "firstName": "Robin", "lastName": "Lee", "dateOfBirth": "1990-05-05", "substances": ["ALCOHOL"],
            "confirmNotDuplicate": true });
    if let (Some(base), Some(extra)) = (input.as_object_mut(), profile.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    let data = app.gql_ok(Some(token), REGISTER, json!({ "i": input })).await;
    s(&data["registerClient"]["id"])
}

async fn recommend(app: &TestApp, token: &str, client: &str) -> Vec<Value> {
    let data = app.gql_ok(Some(token), RECOMMEND, json!({ "c": client })).await;
    data["recommendSupportGroups"].as_array().cloned().unwrap_or_else(|| panic!("a list: {data}"))
}

fn ranked(recommendations: &[Value]) -> Vec<String> {
    recommendations.iter().map(|r| s(&r["supportGroup"]["abbreviation"])).collect()
}

fn position(order: &[String], abbreviation: &str) -> usize {
    order.iter().position(|a| a == abbreviation).unwrap_or_else(|| panic!("{abbreviation} in {order:?}"))
}

#[track_caller]
fn assert_every_reason_given(recommendations: &[Value]) {
    assert!(!recommendations.is_empty(), "something is recommended");
    for r in recommendations {
        let reasons = r["reasons"].as_array().unwrap_or_else(|| panic!("reasons: {r}"));
        assert!(!reasons.is_empty(), "at least one reason: {r}");
        assert!(reasons.iter().all(|x| x.as_str().is_some_and(|x| !x.trim().is_empty())), "no empty reason: {r}");
    }
}

#[tokio::test]
async fn a_woman_who_drinks_and_prefers_a_secular_approach_gets_wfs_smart_and_sos_above_aa() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let id = client(&app, &me.access, json!({ "gender": "WOMAN", "prefersSecular": true })).await;

    let found = recommend(&app, &me.access, &id).await;
    let order = ranked(&found);
    assert_eq!(order, ["WFS", "SMART", "SOS", "AA"], "the secular programs first, WFS for a woman");
    for secular in ["WFS", "SMART", "SOS"] {
        assert!(position(&order, secular) < position(&order, "AA"), "{secular} above AA: {order:?}");
    }
    assert_every_reason_given(&found);
    let smart = &found[1]["reasons"];
    assert!(
        smart.as_array().is_some_and(|r| r.iter().any(|x| s(x).contains("prefers"))),
        "the preference is named as a reason: {smart}"
    );

    // Without the preference, AA comes first and the secular programs follow (WFS still,
    // for a woman).
    let id = client(&app, &me.access, json!({ "gender": "WOMAN", "prefersSecular": false })).await;
    let found = recommend(&app, &me.access, &id).await;
    assert_eq!(ranked(&found), ["AA", "WFS", "SMART", "SOS"]);
    assert_every_reason_given(&found);
}

#[tokio::test]
async fn women_for_sobriety_is_recommended_to_women_only() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;

    let profiles = [
        ("a man", json!({ "gender": "MAN", "prefersSecular": true })),
        ("a non-binary client", json!({ "gender": "NON_BINARY", "prefersSecular": true })),
        ("a client of another gender", json!({ "gender": "OTHER", "prefersSecular": true })),
        ("a client who did not say", json!({ "gender": "UNDISCLOSED", "prefersSecular": true })),
        ("a client with no gender on record", json!({ "prefersSecular": true })),
        ("a man without the secular preference", json!({ "gender": "MAN" })),
        ("a non-binary client using drugs", json!({ "gender": "NON_BINARY", "substances": ["OPIOIDS", "COCAINE"] })),
    ];
    for (who, profile) in profiles {
        let id = client(&app, &me.access, profile).await;
        let found = recommend(&app, &me.access, &id).await;
        let order = ranked(&found);
        assert!(!order.contains(&"WFS".to_owned()), "no WFS for {who}: {order:?}");
        assert!(order.contains(&"SMART".to_owned()) && order.contains(&"SOS".to_owned()), "{who}: {order:?}");
        assert_every_reason_given(&found);
    }

    // The secular preference still puts SMART and SOS above AA for a man.
    let id = client(&app, &me.access, json!({ "gender": "MAN", "prefersSecular": true })).await;
    assert_eq!(ranked(&recommend(&app, &me.access, &id).await), ["SMART", "SOS", "AA"]);
}

#[tokio::test]
async fn a_co_occurring_condition_puts_dual_recovery_anonymous_first() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;

    for profile in [
        json!({ "coOccurringMentalHealth": true, "gender": "MAN", "substances": ["OPIOIDS"] }),
        json!({ "coOccurringMentalHealth": true, "gender": "WOMAN", "substances": ["ALCOHOL", "METHAMPHETAMINE"] }),
        json!({ "coOccurringMentalHealth": true, "substances": ["CANNABIS"] }),
    ] {
        let id = client(&app, &me.access, profile.clone()).await;
        let found = recommend(&app, &me.access, &id).await;
        assert_eq!(ranked(&found).first().map(String::as_str), Some("DRA"), "{profile}: {:?}", ranked(&found));
        assert_every_reason_given(&found);
    }

    // Without the condition, DRA is not recommended at all.
    let id = client(&app, &me.access, json!({ "gender": "MAN", "substances": ["OPIOIDS"] })).await;
    let order = ranked(&recommend(&app, &me.access, &id).await);
    assert!(!order.contains(&"DRA".to_owned()), "{order:?}");
}

#[tokio::test]
async fn methamphetamine_brings_cma_above_na_and_cocaine_brings_ca() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;

    let meth = client(&app, &me.access, json!({ "gender": "MAN", "substances": ["METHAMPHETAMINE"] })).await;
    let found = recommend(&app, &me.access, &meth).await;
    let order = ranked(&found);
    assert!(position(&order, "CMA") < position(&order, "NA"), "CMA ranks above NA: {order:?}");
    assert!(!order.contains(&"CA".to_owned()) && !order.contains(&"AA".to_owned()), "{order:?}");
    let cma = &found[position(&order, "CMA")]["reasons"];
    assert!(
        cma.as_array().is_some_and(|r| r.iter().any(|x| s(x).contains("meth"))),
        "the reason names the drug: {cma}"
    );
    assert_every_reason_given(&found);

    let cocaine = client(&app, &me.access, json!({ "gender": "WOMAN", "substances": ["COCAINE"] })).await;
    let found = recommend(&app, &me.access, &cocaine).await;
    let order = ranked(&found);
    assert!(position(&order, "CA") < position(&order, "NA"), "CA ranks above NA: {order:?}");
    assert!(!order.contains(&"CMA".to_owned()), "{order:?}");
    assert_every_reason_given(&found);

    // Both drugs and alcohol: the narrow drug fellowships (in the directory's order), NA,
    // then AA.
    let both =
        client(&app, &me.access, json!({ "gender": "MAN", "substances": ["COCAINE", "METHAMPHETAMINE", "ALCOHOL"] }))
            .await;
    let order = ranked(&recommend(&app, &me.access, &both).await);
    assert_eq!(order[..4], ["CA", "CMA", "NA", "AA"], "{order:?}");

    // Alcohol alone: AA, not NA.
    let alcohol = client(&app, &me.access, json!({ "gender": "MAN", "substances": ["ALCOHOL"] })).await;
    let order = ranked(&recommend(&app, &me.access, &alcohol).await);
    assert_eq!(order.first().map(String::as_str), Some("AA"));
    assert!(!order.contains(&"NA".to_owned()), "{order:?}");
}

async fn meeting(app: &TestApp, admin: &str, group: &str, name: &str, day: i64, time: &str, language: &str) -> String {
    let input = json!({ "supportGroupId": group, "name": name, "format": "ONLINE", "dayOfWeek": day,
        "startTime": time, "timeZone": "America/Chicago", "url": "https://meetings.example.org/join", "language": language });
    let data = app.gql_ok(Some(admin), CREATE_MEETING, json!({ "i": input })).await;
    assert_eq!(data["createMeeting"]["language"], language);
    s(&data["createMeeting"]["id"])
}

#[tokio::test]
async fn meetings_in_the_clients_language_come_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let groups = app.gql_ok(Some(&admin.access), "{ supportGroups { id abbreviation } }", json!({})).await;
    let smart = groups["supportGroups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["abbreviation"] == "SMART"))
        .map(|g| s(&g["id"]))
        .expect("SMART is seeded");
    // In week order: English on Monday, English (US) on Tuesday, Spanish on Thursday.
    let monday_en = meeting(&app, &admin.access, &smart, "SMART Monday", 1, "08:00", "en").await;
    let tuesday_en = meeting(&app, &admin.access, &smart, "SMART Tuesday", 2, "12:00", "en-US").await;
    let thursday_es = meeting(&app, &admin.access, &smart, "SMART Jueves", 4, "19:00", "es").await;

    let me = app.login_as(Role::Counselor).await;
    let smart_meetings = |found: &[Value]| -> (Vec<String>, Vec<String>) {
        let smart = found
            .iter()
            .find(|r| r["supportGroup"]["abbreviation"] == "SMART")
            .unwrap_or_else(|| panic!("SMART is recommended: {found:?}"));
        let meetings = smart["meetings"].as_array().expect("meetings");
        (
            meetings.iter().map(|m| s(&m["id"])).collect(),
            smart["reasons"].as_array().expect("reasons").iter().map(s).collect(),
        )
    };

    // A Spanish speaker (es-MX): the Spanish meeting first, then the rest in week order.
    let spanish = client(&app, &me.access, json!({ "language": "es-MX", "prefersSecular": true })).await;
    let found = recommend(&app, &me.access, &spanish).await;
    let (ids, reasons) = smart_meetings(&found);
    assert_eq!(ids, [thursday_es.clone(), monday_en.clone(), tuesday_en.clone()], "the client's language first");
    assert!(reasons.iter().any(|r| r.contains("(es)")), "a reason names the meetings in Spanish: {reasons:?}");
    let languages: Vec<String> = found
        .iter()
        .find(|r| r["supportGroup"]["abbreviation"] == "SMART")
        .map(|r| r["meetings"].as_array().expect("meetings").iter().map(|m| s(&m["language"])).collect())
        .unwrap_or_default();
    assert_eq!(languages, ["es", "en", "en-US"]);
    assert_every_reason_given(&found);

    // An English speaker: both English meetings (en and en-US) first, in week order.
    let english = client(&app, &me.access, json!({ "language": "en", "prefersSecular": true })).await;
    let (ids, _) = smart_meetings(&recommend(&app, &me.access, &english).await);
    assert_eq!(ids, [monday_en.clone(), tuesday_en.clone(), thursday_es.clone()]);

    // No language on record: week order.
    let unknown = client(&app, &me.access, json!({ "prefersSecular": true })).await;
    let (ids, reasons) = smart_meetings(&recommend(&app, &me.access, &unknown).await);
    assert_eq!(ids, [monday_en, tuesday_en, thursday_es]);
    assert!(!reasons.iter().any(|r| r.contains("language")), "no language reason without a language: {reasons:?}");

    // Groups without meetings are still recommended, with an empty list, below the group
    // that has a meeting in the client's language, and they say so.
    let found = recommend(&app, &me.access, &spanish).await;
    assert_eq!(ranked(&found)[0], "SMART", "the only group with a meeting in Spanish comes first: {found:?}");
    let sos = found.iter().find(|r| r["supportGroup"]["abbreviation"] == "SOS").expect("SOS");
    assert_eq!(sos["meetings"], json!([]));
    assert!(sos["reasons"].as_array().is_some_and(|r| r.iter().any(|x| s(x).contains("no meetings listed"))), "{sos}");
}

#[tokio::test]
async fn another_counselors_client_is_not_found_and_an_admin_is_forbidden() {
    let app = TestApp::spawn().await;
    let mine = app.login_as(Role::Counselor).await;
    let other = app.login_as(Role::Counselor).await;
    let id = client(&app, &mine.access, json!({ "gender": "WOMAN" })).await;

    let refused = app.gql(Some(&other.access), RECOMMEND, json!({ "c": id })).await;
    assert_code(&refused, "NOT_FOUND");
    assert_eq!(refused["data"], Value::Null, "{refused}");

    let missing = app.gql(Some(&mine.access), RECOMMEND, json!({ "c": uuid::Uuid::now_v7().to_string() })).await;
    assert_code(&missing, "NOT_FOUND");

    let admin = app.admin().await;
    let refused = app.gql(Some(&admin.access), RECOMMEND, json!({ "c": id })).await;
    assert_code(&refused, "FORBIDDEN");

    let anonymous = app.gql(None, RECOMMEND, json!({ "c": id })).await;
    assert_code(&anonymous, "UNAUTHENTICATED");

    // The owner still gets an answer.
    assert!(!recommend(&app, &mine.access, &id).await.is_empty());
}
