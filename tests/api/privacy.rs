//! 42 CFR Part 2: nothing leaves the program without an active written consent that names
//! the recipient and covers what is shared; every disclosure carries the notice and is
//! accounted for; refusals store nothing and are audited.

use chrono::Days;
use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::REGISTER;
use crate::helpers::*;

const RECORD_CONSENT: &str = "mutation($i: RecordConsentInput!) {
    recordConsent(input: $i) { id recipient purpose categories signedOn expiresOn revokedAt active } }";
const REVOKE_CONSENT: &str = "mutation($id: ID!, $r: String!) {
    revokeConsent(consentId: $id, reason: $r) { id revokedAt revokeReason active } }";
const DISCLOSE: &str = "mutation($i: DiscloseInput!) { discloseToRecipient(input: $i) {
    id clientId consentId recipient purpose categories content notice disclosedById disclosedAt } }";
const DISCLOSURES: &str = "query($c: ID!) { disclosures(clientId: $c) { id consentId recipient notice categories } }";
const CONSENTS: &str = "query($id: ID!) { client(id: $id) { consents { id recipient active categories revokedAt } } }";
const AUDIT: &str = "query($f: AuditFilter) { auditEvents(filter: $f, first: 100) {
    nodes { action outcome staffId clientId detail } } }";

const RECIPIENT: &str = "Hope House Recovery";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

struct Setup {
    app: TestApp,
    email: String,
    staff_id: String,
    me: Session,
    client: String,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let email = "pia@privacy.test".to_owned();
    let staff_id = app.create_staff(&email, "Pia Counselor", Role::Counselor, None).await;
    let me = app.session(&email, PASSWORD).await;
    let input = json!({ "firstName": "Rosa", "lastName": "Villanueva", "dateOfBirth": "1990-06-30",
        "substances": ["OPIOIDS"], "language": "en" });
    let client = s(&app.gql_ok(Some(&me.access), REGISTER, json!({ "i": input })).await["registerClient"]["id"]);
    Setup { app, email, staff_id, me, client }
}

fn consent_input(client: &str, recipient: &str, categories: &[&str], expires_on: chrono::NaiveDate) -> Value {
    json!({ "clientId": client, "recipient": recipient, "purpose": "coordinate continuing care",
            "categories": categories, "expiresOn": expires_on.to_string() })
}

fn disclose_input(client: &str, recipient: &str, categories: &[&str]) -> Value {
    json!({ "clientId": client, "recipient": recipient, "purpose": "coordinate continuing care",
            "categories": categories, "content": "Attended four meetings in the last two weeks." })
}

/// Records a consent valid for a year; returns it.
async fn consent(t: &Setup, recipient: &str, categories: &[&str]) -> Value {
    let expires = t.app.state.today() + Days::new(365);
    let data = t
        .app
        .gql_ok(
            Some(&t.me.access),
            RECORD_CONSENT,
            json!({ "i": consent_input(&t.client, recipient, categories, expires) }),
        )
        .await;
    let consent = data["recordConsent"].clone();
    assert_eq!(consent["active"], true, "{consent}");
    consent
}

async fn disclosures(app: &TestApp, token: &str, client: &str) -> Vec<Value> {
    let data = app.gql_ok(Some(token), DISCLOSURES, json!({ "c": client })).await;
    data["disclosures"].as_array().cloned().expect("a list")
}

/// The DENIED `discloseToRecipient` events on the client, as the admin sees them.
async fn denied_disclosures(app: &TestApp, client: &str) -> Vec<Value> {
    let admin = app.admin().await;
    let data =
        app.gql_ok(Some(&admin.access), AUDIT, json!({ "f": { "clientId": client, "outcome": "DENIED" } })).await;
    let events = data["auditEvents"]["nodes"].as_array().cloned().unwrap_or_default();
    events.into_iter().filter(|e| e["action"] == "discloseToRecipient").collect()
}

/// The disclosure is refused for want of consent, stores nothing and leaves one DENIED event.
async fn assert_refused(t: &Setup, token: &str, input: Value) {
    let before = denied_disclosures(&t.app, &t.client).await;
    let refused = t.app.gql(Some(token), DISCLOSE, json!({ "i": input })).await;
    assert_code(&refused, "FORBIDDEN");
    assert_eq!(refused["errors"][0]["extensions"]["rule"], "CONSENT_REQUIRED", "{refused}");
    assert_eq!(refused["data"], Value::Null, "{refused}");
    assert!(disclosures(&t.app, token, &t.client).await.is_empty(), "nothing was stored");
    let after = denied_disclosures(&t.app, &t.client).await;
    assert_eq!(after.len(), before.len() + 1, "one DENIED event: {after:?}");
    assert_eq!(after[0]["staffId"], t.staff_id.as_str());
    assert_eq!(after[0]["clientId"], t.client.as_str());
}

#[tokio::test]
async fn a_disclosure_without_any_consent_is_refused() {
    let t = setup().await;
    assert_refused(&t, &t.me.access, disclose_input(&t.client, RECIPIENT, &["ATTENDANCE"])).await;
}

#[tokio::test]
async fn a_disclosure_under_an_expired_consent_is_refused() {
    let t = setup().await;
    let tomorrow = t.app.state.today() + Days::new(1);
    let recorded = t
        .app
        .gql_ok(
            Some(&t.me.access),
            RECORD_CONSENT,
            json!({ "i": consent_input(&t.client, RECIPIENT, &["ATTENDANCE"], tomorrow) }),
        )
        .await;
    assert_eq!(recorded["recordConsent"]["active"], true);
    assert_eq!(recorded["recordConsent"]["expiresOn"], tomorrow.to_string());

    t.app.clock.advance(chrono::Duration::days(2));
    let me = t.app.session(&t.email, PASSWORD).await;
    let listed = t.app.gql_ok(Some(&me.access), CONSENTS, json!({ "id": t.client })).await;
    assert_eq!(listed["client"]["consents"][0]["active"], false, "expired: {listed}");
    assert_refused(&t, &me.access, disclose_input(&t.client, RECIPIENT, &["ATTENDANCE"])).await;
}

#[tokio::test]
async fn a_disclosure_under_a_revoked_consent_is_refused() {
    let t = setup().await;
    let given = consent(&t, RECIPIENT, &["ATTENDANCE", "TREATMENT_STATUS"]).await;
    let revoked = t
        .app
        .gql_ok(Some(&t.me.access), REVOKE_CONSENT, json!({ "id": given["id"], "r": "client withdrew consent" }))
        .await;
    assert_eq!(revoked["revokeConsent"]["active"], false);
    assert!(revoked["revokeConsent"]["revokedAt"].is_string());
    assert_eq!(revoked["revokeConsent"]["revokeReason"], "client withdrew consent");
    assert_refused(&t, &t.me.access, disclose_input(&t.client, RECIPIENT, &["ATTENDANCE"])).await;

    let again = t.app.gql(Some(&t.me.access), REVOKE_CONSENT, json!({ "id": given["id"], "r": "twice" })).await;
    assert_code(&again, "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_disclosure_to_a_recipient_the_consent_does_not_name_is_refused() {
    let t = setup().await;
    consent(&t, RECIPIENT, &["ATTENDANCE", "TREATMENT_STATUS"]).await;
    assert_refused(&t, &t.me.access, disclose_input(&t.client, "County Probation Office", &["ATTENDANCE"])).await;
    assert_refused(&t, &t.me.access, disclose_input(&t.client, "Hope House", &["ATTENDANCE"])).await;
}

#[tokio::test]
async fn a_disclosure_of_a_category_the_consent_does_not_cover_is_refused() {
    let t = setup().await;
    consent(&t, RECIPIENT, &["ATTENDANCE"]).await;
    assert_refused(&t, &t.me.access, disclose_input(&t.client, RECIPIENT, &["ATTENDANCE", "TREATMENT_STATUS"])).await;
    assert_refused(&t, &t.me.access, disclose_input(&t.client, RECIPIENT, &["FOLLOW_UP_OUTCOMES"])).await;
}

#[tokio::test]
async fn a_disclosure_under_a_valid_consent_carries_the_notice_and_is_accounted_for() {
    let t = setup().await;
    let given = consent(&t, RECIPIENT, &["ATTENDANCE", "REFERRAL_DETAILS"]).await;
    let data = t
        .app
        .gql_ok(Some(&t.me.access), DISCLOSE, json!({ "i": disclose_input(&t.client, RECIPIENT, &["ATTENDANCE"]) }))
        .await;
    let shared = &data["discloseToRecipient"];
    assert_eq!(shared["clientId"], t.client.as_str());
    assert_eq!(shared["consentId"], given["id"]);
    assert_eq!(shared["recipient"], RECIPIENT);
    assert_eq!(shared["categories"], json!(["ATTENDANCE"]));
    assert_eq!(shared["disclosedById"], t.staff_id.as_str());
    assert!(shared["disclosedAt"].is_string());
    let notice = s(&shared["notice"]);
    assert!(notice.contains("42 CFR part 2") && notice.contains("prohibit"), "the § 2.32 notice: {notice}");

    let listed = disclosures(&t.app, &t.me.access, &t.client).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], shared["id"]);
    assert_eq!(listed[0]["notice"], shared["notice"]);

    let admin = t.app.admin().await;
    let trail =
        t.app.gql_ok(Some(&admin.access), AUDIT, json!({ "f": { "clientId": t.client, "outcome": "ALLOWED" } })).await;
    let events = trail["auditEvents"]["nodes"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.iter().filter(|e| e["action"] == "discloseToRecipient").count(), 1, "{events:?}");
    assert!(denied_disclosures(&t.app, &t.client).await.is_empty());
}

#[tokio::test]
async fn recipients_match_ignoring_case_and_extra_spaces() {
    let t = setup().await;
    let given = consent(&t, "  Hope   House Recovery ", &["TREATMENT_STATUS"]).await;
    assert_eq!(given["recipient"], "Hope   House Recovery", "stored as written, trimmed: {given}");
    for recipient in ["hope house recovery", "  HOPE House   RECOVERY  ", "Hope\tHouse Recovery"] {
        let data = t
            .app
            .gql_ok(
                Some(&t.me.access),
                DISCLOSE,
                json!({ "i": disclose_input(&t.client, recipient, &["TREATMENT_STATUS"]) }),
            )
            .await;
        assert_eq!(data["discloseToRecipient"]["consentId"], given["id"], "{recipient:?}");
    }
    assert_eq!(disclosures(&t.app, &t.me.access, &t.client).await.len(), 3);
}

#[tokio::test]
async fn a_client_lists_their_consents_newest_first() {
    let t = setup().await;
    let first = consent(&t, RECIPIENT, &["ATTENDANCE", "REFERRAL_DETAILS"]).await;
    let second = consent(&t, "Dr. Amal Haddad", &["TREATMENT_STATUS"]).await;
    t.app.gql_ok(Some(&t.me.access), REVOKE_CONSENT, json!({ "id": second["id"], "r": "changed doctors" })).await;

    let data = t.app.gql_ok(Some(&t.me.access), CONSENTS, json!({ "id": t.client })).await;
    let consents = data["client"]["consents"].as_array().cloned().expect("consents");
    assert_eq!(consents.len(), 2, "{consents:?}");
    assert_eq!(consents[0]["id"], second["id"], "newest first");
    assert_eq!(consents[0]["recipient"], "Dr. Amal Haddad");
    assert_eq!(consents[0]["active"], false, "revoked");
    assert_eq!(consents[0]["categories"], json!(["TREATMENT_STATUS"]));
    assert_eq!(consents[1]["id"], first["id"]);
    assert_eq!(consents[1]["recipient"], RECIPIENT);
    assert_eq!(consents[1]["active"], true);
    let mut categories: Vec<String> = consents[1]["categories"].as_array().expect("categories").iter().map(s).collect();
    categories.sort();
    assert_eq!(categories, ["ATTENDANCE", "REFERRAL_DETAILS"]);
}

#[tokio::test]
async fn another_counselor_cannot_touch_the_consents_or_disclosures_of_a_client_not_theirs() {
    let t = setup().await;
    let given = consent(&t, RECIPIENT, &["ATTENDANCE"]).await;
    let other_id = t.app.create_staff("quinn@privacy.test", "Quinn Counselor", Role::Counselor, None).await;
    let other = t.app.session("quinn@privacy.test", PASSWORD).await;
    let expires = t.app.state.today() + Days::new(30);

    let record = t
        .app
        .gql(
            Some(&other.access),
            RECORD_CONSENT,
            json!({ "i": consent_input(&t.client, "Other Place", &["ATTENDANCE"], expires) }),
        )
        .await;
    assert_code(&record, "NOT_FOUND");
    let disclose = t
        .app
        .gql(Some(&other.access), DISCLOSE, json!({ "i": disclose_input(&t.client, RECIPIENT, &["ATTENDANCE"]) }))
        .await;
    assert_code(&disclose, "NOT_FOUND");
    let listed = t.app.gql(Some(&other.access), DISCLOSURES, json!({ "c": t.client })).await;
    assert_code(&listed, "NOT_FOUND");
    let revoke = t.app.gql(Some(&other.access), REVOKE_CONSENT, json!({ "id": given["id"], "r": "not mine" })).await;
    assert_code(&revoke, "NOT_FOUND");

    // Nothing changed for the client.
    assert!(disclosures(&t.app, &t.me.access, &t.client).await.is_empty());
    let data = t.app.gql_ok(Some(&t.me.access), CONSENTS, json!({ "id": t.client })).await;
    let consents = data["client"]["consents"].as_array().cloned().expect("consents");
    assert_eq!(consents.len(), 1, "{consents:?}");
    assert_eq!(consents[0]["active"], true);

    // Each attempt is on the trail as DENIED, naming the client.
    let admin = t.app.admin().await;
    let trail =
        t.app.gql_ok(Some(&admin.access), AUDIT, json!({ "f": { "staffId": other_id, "outcome": "DENIED" } })).await;
    let events = trail["auditEvents"]["nodes"].as_array().cloned().unwrap_or_default();
    for action in ["recordConsent", "discloseToRecipient", "disclosures", "revokeConsent"] {
        let found: Vec<&Value> = events.iter().filter(|e| e["action"] == action).collect();
        assert_eq!(found.len(), 1, "{action}: {events:?}");
        assert_eq!(found[0]["clientId"], t.client.as_str(), "{action}");
    }
}

#[tokio::test]
async fn bad_consent_and_disclosure_input_names_the_field() {
    let t = setup().await;
    let today = t.app.state.today();
    let next_year = today + Days::new(365);
    let mut signed_tomorrow = consent_input(&t.client, RECIPIENT, &["ATTENDANCE"], next_year);
    signed_tomorrow["signedOn"] = json!((today + Days::new(1)).to_string());
    let cases = [
        (consent_input(&t.client, "   ", &["ATTENDANCE"], next_year), "recipient"),
        (consent_input(&t.client, RECIPIENT, &["ATTENDANCE"], today - Days::new(1)), "expiresOn"),
        (consent_input(&t.client, RECIPIENT, &[], next_year), "categories"),
        (signed_tomorrow, "signedOn"),
        (consent_input(&t.client, RECIPIENT, &["ATTENDANCE"], today + Days::new(6 * 366)), "expiresOn"),
    ];
    for (input, field) in cases {
        let response = t.app.gql(Some(&t.me.access), RECORD_CONSENT, json!({ "i": input })).await;
        assert_code(&response, "BAD_USER_INPUT");
        assert_eq!(error_field(&response), Some(field), "{response}");
    }
    let data = t.app.gql_ok(Some(&t.me.access), CONSENTS, json!({ "id": t.client })).await;
    assert_eq!(data["client"]["consents"], json!([]), "nothing recorded");

    consent(&t, RECIPIENT, &["ATTENDANCE"]).await;
    let cases = [
        (disclose_input(&t.client, "", &["ATTENDANCE"]), "recipient"),
        (disclose_input(&t.client, RECIPIENT, &[]), "categories"),
    ];
    for (input, field) in cases {
        let response = t.app.gql(Some(&t.me.access), DISCLOSE, json!({ "i": input })).await;
        assert_code(&response, "BAD_USER_INPUT");
        assert_eq!(error_field(&response), Some(field), "{response}");
    }
    assert!(disclosures(&t.app, &t.me.access, &t.client).await.is_empty());
}
