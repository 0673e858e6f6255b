//! The client's locator: saved and read back (normalised), refused when malformed with
//! nothing saved, absent for staff who do not see the client, and never in the audit trail.

use continuum::domain::Role;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::helpers::*;

const UPDATE: &str = "mutation($i: UpdateClientLocatorInput!) { updateClientLocator(input: $i) {
    version phones { number kind messagesAllowed } email
    address { line1 line2 city region postalCode country }
    emergencyContact { name relationship phone }
    preferredMethod preferredTimes consentToContact consentRecordedAt } }";
const READ: &str = "query($id: ID!) { client(id: $id) { id locator {
    version phones { number kind messagesAllowed } email address { line1 city postalCode country }
    emergencyContact { name phone } preferredMethod preferredTimes consentToContact consentRecordedAt } } }";

const MOBILE: &str = "(202) 555-0143";
const MOBILE_E164: &str = "+12025550143";
const HOME_E164: &str = "+12025550188";
const EMAIL: &str = "r.alvarez@example.org";
const STREET: &str = "4417 Larkspur Avenue";
const CONTACT: &str = "Teodora Alvarez";

fn locator(client: &str, version: i64) -> Value {
    json!({ "i": {
        "clientId": client, "expectedVersion": version,
        "phones": [
            { "number": MOBILE, "kind": "MOBILE", "messagesAllowed": true },
            { "number": "+1 202 555 0188", "kind": "HOME", "messagesAllowed": false },
        ],
        "email": format!(" {EMAIL} "),
        "address": { "line1": STREET, "city": "Springfield", "region": "IL", "postalCode": "62701", "country": "us" },
        "emergencyContact": { "name": CONTACT, "relationship": "sister", "phone": "202-555-0199" },
        "preferredMethod": "TEXT_MESSAGE",
        "preferredTimes": "weekday evenings after 6",
        "consentToContact": true,
    } })
}

/// Everything a locator holds that must never appear outside the client's record.
const SECRETS: [&str; 7] = [MOBILE_E164, HOME_E164, "2025550143", EMAIL, STREET, CONTACT, "+12025550199"];

#[tokio::test]
async fn a_locator_is_saved_normalised_and_read_back_with_the_client() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = client("Rosa", "Alvarez").register(&app, &me.access).await;

    let none = app.gql_ok(Some(&me.access), READ, json!({ "id": client })).await;
    assert_eq!(none["client"]["locator"], Value::Null, "none until entered");

    let saved = app.gql_ok(Some(&me.access), UPDATE, locator(&client, 0)).await["updateClientLocator"].clone();
    assert_eq!(saved["version"], 1);
    assert_eq!(
        saved["phones"],
        json!([
            { "number": MOBILE_E164, "kind": "MOBILE", "messagesAllowed": true },
            { "number": HOME_E164, "kind": "HOME", "messagesAllowed": false },
        ]),
        "E.164, with whether a message may be left"
    );
    assert_eq!(saved["email"], EMAIL);
    assert_eq!(saved["address"]["country"], "US");
    assert_eq!(saved["address"]["line2"], Value::Null);
    assert_eq!(saved["emergencyContact"]["phone"], "+12025550199");
    assert_eq!(saved["preferredMethod"], "TEXT_MESSAGE");
    assert!(saved["consentRecordedAt"].is_string(), "{saved}");

    let read = app.gql_ok(Some(&me.access), READ, json!({ "id": client })).await;
    let read = &read["client"]["locator"];
    assert_eq!(read["phones"], saved["phones"]);
    assert_eq!(read["address"]["line1"], STREET);
    assert_eq!(read["consentRecordedAt"], saved["consentRecordedAt"]);

    // The whole locator is replaced; the consent's date stands while the consent does.
    let mut second = locator(&client, 1);
    second["i"]["phones"] = json!([{ "number": "+1 202 555 0188", "kind": "HOME" }]);
    second["i"]["preferredMethod"] = json!("PHONE_CALL");
    second["i"]["email"] = Value::Null;
    let again = app.gql_ok(Some(&me.access), UPDATE, second.clone()).await["updateClientLocator"].clone();
    assert_eq!(again["version"], 2);
    assert_eq!(again["phones"], json!([{ "number": HOME_E164, "kind": "HOME", "messagesAllowed": false }]));
    assert_eq!(again["email"], Value::Null);
    assert_eq!(again["consentRecordedAt"], saved["consentRecordedAt"]);
    // Stale: someone saved in between.
    assert_code(&app.gql(Some(&me.access), UPDATE, second).await, "CONFLICT");
    // Withdrawn consent clears its date.
    let mut withdrawn = locator(&client, 2);
    withdrawn["i"]["consentToContact"] = json!(false);
    let withdrawn = app.gql_ok(Some(&me.access), UPDATE, withdrawn).await["updateClientLocator"].clone();
    assert_eq!((withdrawn["consentToContact"].as_bool(), &withdrawn["consentRecordedAt"]), (Some(false), &Value::Null));
}

#[tokio::test]
async fn a_malformed_locator_is_refused_by_field_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = client("Rosa", "Alvarez").register(&app, &me.access).await;
    app.gql_ok(Some(&me.access), UPDATE, locator(&client, 0)).await;

    let cases: [(&str, Value, &str); 7] = [
        ("a phone number that is none", json!([{ "number": "call my cousin", "kind": "MOBILE" }]), "phones"),
        ("too short", json!([{ "number": "555-01", "kind": "MOBILE" }]), "phones"),
        ("no such country code", json!([{ "number": "+999 1234 5678", "kind": "HOME" }]), "phones"),
        (
            "the same number twice",
            json!([{ "number": MOBILE, "kind": "MOBILE" }, { "number": MOBILE_E164, "kind": "HOME" }]),
            "phones",
        ),
        (
            "five numbers",
            json!(
                (0..5)
                    .map(|i| json!({ "number": format!("+1 202 555 01{i:02}"), "kind": "OTHER" }))
                    .collect::<Vec<_>>()
            ),
            "phones",
        ),
        ("texts without a mobile", json!([{ "number": "+1 202 555 0188", "kind": "HOME" }]), "preferredMethod"),
        ("no number at all for texts", json!([]), "preferredMethod"),
    ];
    for (what, phones, field) in cases {
        let mut input = locator(&client, 1);
        input["i"]["phones"] = phones;
        let refused = app.gql(Some(&me.access), UPDATE, input).await;
        assert_code(&refused, "BAD_USER_INPUT");
        assert_eq!(error_field(&refused), Some(field), "{what}: {refused}");
    }
    for (key, value, field) in [
        ("email", json!("rosa@"), "email"),
        ("address", json!({ "line1": "", "city": "X", "postalCode": "1", "country": "US" }), "address.line1"),
        ("address", json!({ "line1": "1 A St", "city": "X", "postalCode": "1", "country": "USA" }), "address.country"),
        ("emergencyContact", json!({ "name": "T", "relationship": "aunt", "phone": "nope" }), "emergencyContact.phone"),
        ("preferredTimes", json!("x".repeat(201)), "preferredTimes"),
    ] {
        let mut input = locator(&client, 1);
        input["i"][key] = value;
        let refused = app.gql(Some(&me.access), UPDATE, input).await;
        assert_code(&refused, "BAD_USER_INPUT");
        assert_eq!(error_field(&refused), Some(field), "{key}: {refused}");
        let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains("rosa@") && !message.contains("nope"),
            "the message never repeats the value: {message}"
        );
    }
    let read = app.gql_ok(Some(&me.access), READ, json!({ "id": client })).await;
    assert_eq!(read["client"]["locator"]["version"], 1, "nothing was saved by the refusals");
    assert_eq!(read["client"]["locator"]["email"], EMAIL);
}

#[tokio::test]
async fn the_locator_is_absent_for_staff_outside_the_scope() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = client("Rosa", "Alvarez").register(&app, &me.access).await;
    app.gql_ok(Some(&me.access), UPDATE, locator(&client, 0)).await;

    let other = app.login_as(Role::Counselor).await;
    let read = app.gql(Some(&other.access), READ, json!({ "id": client })).await;
    assert_eq!(read["data"]["client"], Value::Null, "another counselor's client does not exist for them: {read}");
    let write = app.gql(Some(&other.access), UPDATE, locator(&client, 1)).await;
    assert_code(&write, "NOT_FOUND");
    let missing = app.gql(Some(&me.access), UPDATE, locator(&uuid::Uuid::now_v7().to_string(), 0)).await;
    assert_code(&missing, "NOT_FOUND");
    assert_eq!(
        write["errors"][0]["message"], missing["errors"][0]["message"],
        "the same answer for absent and not yours"
    );
    let admin = app.admin().await;
    assert_code(&app.gql(Some(&admin.access), READ, json!({ "id": client })).await, "FORBIDDEN");
    assert_code(&app.gql(Some(&admin.access), UPDATE, locator(&client, 1)).await, "FORBIDDEN");
    for response in [read, write] {
        let text = response.to_string();
        for secret in SECRETS {
            assert!(!text.contains(secret), "nothing of the locator in a refusal: {text}");
        }
    }
    let read = app.gql_ok(Some(&me.access), READ, json!({ "id": client })).await;
    assert_eq!(read["client"]["locator"]["version"], 1, "the refused writes changed nothing");
}

#[tokio::test]
async fn the_audit_trail_records_who_touched_the_locator_but_never_what_it_holds() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let client = client("Rosa", "Alvarez").register(&app, &me.access).await;
    app.gql_ok(Some(&me.access), UPDATE, locator(&client, 0)).await;
    app.gql_ok(Some(&me.access), READ, json!({ "id": client })).await;
    let mut refused = locator(&client, 1);
    refused["i"]["emergencyContact"]["phone"] = json!("+1 202 555 01999");
    app.gql(Some(&me.access), UPDATE, refused).await;
    // And an attempt from outside the scope, which is audited as denied.
    let other = app.login_as(Role::Counselor).await;
    assert_code(&app.gql(Some(&other.access), UPDATE, locator(&client, 1)).await, "NOT_FOUND");

    // Every column of every audit row, straight from the table.
    use sea_orm::{EntityTrait, QueryOrder};
    let rows = continuum::entity::audit_event::Entity::find()
        .order_by_asc(continuum::entity::audit_event::Column::Seq)
        .all(&app.state.db)
        .await
        .expect("the audit trail");
    let mine: Vec<String> = rows
        .iter()
        .filter(|r| r.client_id.map(|c| c.to_string()) == Some(client.clone()))
        .map(|r| format!("{r:?}"))
        .collect();
    assert!(
        mine.iter().any(|r| r.contains("\"updateClientLocator\"") && r.contains("\"ALLOWED\"")),
        "the change is audited: {mine:#?}"
    );
    assert!(mine.iter().any(|r| r.contains("\"read\"")), "and the read: {mine:#?}");
    let everything = format!("{rows:?}");
    for secret in SECRETS.iter().chain(&["01999", "sister", "Larkspur"]) {
        assert!(!everything.contains(secret), "{secret} is not in the audit trail");
    }
}
