//! 42 CFR Part 2: nothing leaves the program without an active written consent that names
//! the recipient and covers what is shared; every disclosure carries the notice and is
//! accounted for; refusals store nothing and are audited.

use chrono::Days;
use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::REGISTER;
use crate::fixtures::{self, disclose_input};
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
    fixtures::consent_input(client, recipient, categories, &expires_on.to_string())
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

// 42 CFR § 2.31 elements, purposes and the 2024 notice (issue 18).

const RECORD_FULL: &str = "mutation($i: RecordConsentInput!) { recordConsent(input: $i) {
    id active recipientKind recipient purposes purpose expiry expiresOn expiryEvent expiryEventRecordedAt
    disclosingProgram signerName signerCapacity signatureMethod rightToRevoke needsReconsent } }";
const END_BY_EVENT: &str =
    "mutation($c: ID!) { recordConsentExpiryEvent(input: { consentId: $c }) { id active expiryEventRecordedAt } }";
const DISCLOSE_FULL: &str = "mutation($i: DiscloseInput!) { discloseToRecipient(input: $i) {
    id consentId purposeCode notice abbreviatedNotice } }";

async fn record(t: &Setup, input: Value) -> Value {
    t.app.gql_ok(Some(&t.me.access), RECORD_FULL, json!({ "i": input })).await["recordConsent"].clone()
}

fn for_purpose(purpose: &str) -> Value {
    let mut input = disclose_input("", RECIPIENT, &["ATTENDANCE"]);
    input["purposeCode"] = json!(purpose);
    input
}

#[tokio::test]
async fn a_disclosure_for_a_purpose_outside_the_consent_is_refused_and_one_inside_it_is_allowed() {
    let t = setup().await;
    let mut input = consent_input(&t.client, RECIPIENT, &["ATTENDANCE"], t.app.state.today() + Days::new(180));
    input["purposes"] = json!(["CARE_COORDINATION", "ATTENDANCE_VERIFICATION"]);
    input["purpose"] = json!("warm hand-off and attendance verification");
    let given = record(&t, input).await;
    assert_eq!(given["purposes"], json!(["CARE_COORDINATION", "ATTENDANCE_VERIFICATION"]));
    assert_eq!(given["disclosingProgram"], t.app.state.config.program_name.as_str(), "who may disclose");
    assert!(s(&given["rightToRevoke"]).contains("revoke"), "{given}");

    let mut outside = for_purpose("PATIENT_REQUEST");
    outside["clientId"] = json!(t.client);
    outside["purpose"] = json!("employment verification for her boss");
    let refused = t.app.gql(Some(&t.me.access), DISCLOSE_FULL, json!({ "i": outside.clone() })).await;
    assert_code(&refused, "FORBIDDEN");
    assert_eq!(refused["errors"][0]["extensions"]["rule"], "CONSENT_REQUIRED");
    let message = s(&refused["errors"][0]["message"]);
    assert!(
        message.contains("care coordination") && message.contains("not for at the request of the patient"),
        "a reason the counselor can read: {message}"
    );
    assert!(!message.contains("boss"), "and no record content: {message}");
    assert_refused(&t, &t.me.access, outside).await;

    let mut missing = for_purpose("CARE_COORDINATION");
    missing["clientId"] = json!(t.client);
    missing.as_object_mut().map(|o| o.remove("purposeCode"));
    let response = t.app.gql(Some(&t.me.access), DISCLOSE_FULL, json!({ "i": missing })).await;
    assert_eq!(error_field(&response), Some("purposeCode"), "{response}");

    let mut inside = for_purpose("ATTENDANCE_VERIFICATION");
    inside["clientId"] = json!(t.client);
    let shared =
        t.app.gql_ok(Some(&t.me.access), DISCLOSE_FULL, json!({ "i": inside })).await["discloseToRecipient"].clone();
    assert_eq!(shared["consentId"], given["id"]);
    assert_eq!(shared["purposeCode"], "ATTENDANCE_VERIFICATION");
    assert_eq!(shared["notice"], continuum::domain::privacy::NOTICE_2024, "the 2024 § 2.32 statement");
    assert!(
        s(&shared["notice"])
            .starts_with("This record which has been disclosed to you is protected by Federal confidentiality rules"),
        "{shared}"
    );
    assert!(s(&shared["notice"]).contains("45 CFR part 164, subparts A and E"));
    assert_eq!(shared["abbreviatedNotice"], "42 CFR part 2 prohibits unauthorized use or disclosure of these records.");
}

#[tokio::test]
async fn a_consent_for_legal_proceedings_stands_alone() {
    let t = setup().await;
    let expires = t.app.state.today() + Days::new(90);
    let mut combined = consent_input(&t.client, "County Court", &["TREATMENT_STATUS"], expires);
    combined["purposes"] = json!(["LEGAL_PROCEEDINGS", "TREATMENT"]);
    let refused = t.app.gql(Some(&t.me.access), RECORD_FULL, json!({ "i": combined.clone() })).await;
    assert_rule(&refused, "CONSENT_SEPARATE");
    assert_eq!(error_field(&refused), Some("purposes"));
    combined["purposes"] = json!(["LEGAL_PROCEEDINGS"]);
    let alone = record(&t, combined).await;
    assert_eq!(alone["purposes"], json!(["LEGAL_PROCEEDINGS"]));
    let mut court = for_purpose("LEGAL_PROCEEDINGS");
    court["clientId"] = json!(t.client);
    court["recipient"] = json!("County Court");
    court["categories"] = json!(["TREATMENT_STATUS"]);
    t.app.gql_ok(Some(&t.me.access), DISCLOSE_FULL, json!({ "i": court })).await;
}

#[tokio::test]
async fn an_event_based_expiry_stops_disclosures_once_the_event_is_recorded() {
    let t = setup().await;
    let mut input = consent_input(&t.client, RECIPIENT, &["ATTENDANCE"], t.app.state.today());
    input["expiry"] = json!("ON_EVENT");
    input.as_object_mut().map(|o| o.remove("expiresOn"));
    let refused = t.app.gql(Some(&t.me.access), RECORD_FULL, json!({ "i": input.clone() })).await;
    assert_eq!(error_field(&refused), Some("expiryEvent"), "the event must be named: {refused}");
    input["expiryEvent"] = json!("when I finish aftercare");
    let given = record(&t, input).await;
    assert_eq!((given["expiry"].as_str(), &given["expiresOn"]), (Some("ON_EVENT"), &Value::Null));
    assert_eq!(given["active"], true);
    let mut share = for_purpose("CARE_COORDINATION");
    share["clientId"] = json!(t.client);
    t.app.gql_ok(Some(&t.me.access), DISCLOSE_FULL, json!({ "i": share.clone() })).await;

    let ended = t.app.gql_ok(Some(&t.me.access), END_BY_EVENT, json!({ "c": given["id"] })).await;
    assert_eq!(ended["recordConsentExpiryEvent"]["active"], false);
    assert!(ended["recordConsentExpiryEvent"]["expiryEventRecordedAt"].is_string());
    let again = t.app.gql(Some(&t.me.access), END_BY_EVENT, json!({ "c": given["id"] })).await;
    assert_code(&again, "BAD_USER_INPUT");
    let refused = t.app.gql(Some(&t.me.access), DISCLOSE_FULL, json!({ "i": share })).await;
    assert_eq!(refused["errors"][0]["extensions"]["rule"], "CONSENT_REQUIRED", "{refused}");
    assert!(s(&refused["errors"][0]["message"]).contains("revoked or has expired"), "{refused}");
    // Another counselor cannot end it: the consent is not theirs to see.
    let other = t.app.login_as(Role::Counselor).await;
    assert_code(&t.app.gql(Some(&other.access), END_BY_EVENT, json!({ "c": given["id"] })).await, "NOT_FOUND");
}

#[tokio::test]
async fn each_missing_section_2_31_element_is_refused_with_its_field() {
    let t = setup().await;
    let base = consent_input(&t.client, RECIPIENT, &["ATTENDANCE"], t.app.state.today() + Days::new(30));
    let without = |key: &str| {
        let mut input = base.clone();
        input.as_object_mut().map(|o| o.remove(key));
        input
    };
    let with = |key: &str, value: Value| {
        let mut input = base.clone();
        input[key] = value;
        input
    };
    let cases = [
        ("who it goes to", without("recipient"), "recipient"),
        ("what may be disclosed", with("categories", json!([])), "categories"),
        ("the purpose", without("purposes"), "purposes"),
        ("the expiry date", without("expiresOn"), "expiresOn"),
        ("the signer", without("signerName"), "signerName"),
        ("the signer's capacity", without("signerCapacity"), "signerCapacity"),
        ("how it was signed", without("signatureMethod"), "signatureMethod"),
        ("the right to revoke", without("rightToRevokeExplained"), "rightToRevokeExplained"),
        ("no expiry outside TPO", with("expiry", json!("NONE")), "expiry"),
        ("a general designation outside TPO", with("recipientKind", json!("TREATING_PROVIDERS")), "recipientKind"),
    ];
    for (what, input, field) in cases {
        let refused = t.app.gql(Some(&t.me.access), RECORD_FULL, json!({ "i": input })).await;
        assert_rule(&refused, "CONSENT_ELEMENTS");
        assert_eq!(error_field(&refused), Some(field), "{what}: {refused}");
    }
    let data = t.app.gql_ok(Some(&t.me.access), CONSENTS, json!({ "id": t.client })).await;
    assert_eq!(data["client"]["consents"], json!([]), "nothing recorded");

    // A single consent for all future treatment, payment and health care operations, to the
    // general designation, with no expiry, as the 2024 rule allows.
    let mut tpo = with("recipientKind", json!("TREATING_PROVIDERS"));
    tpo["purposes"] = json!(["TREATMENT", "PAYMENT", "HEALTH_CARE_OPERATIONS"]);
    tpo["expiry"] = json!("NONE");
    tpo["signerCapacity"] = json!("GUARDIAN");
    tpo["signerName"] = json!("Marta Villanueva");
    tpo["signatureMethod"] = json!("ELECTRONIC");
    tpo.as_object_mut().map(|o| o.remove("recipient"));
    let given = record(&t, tpo).await;
    assert_eq!(given["recipientKind"], "TREATING_PROVIDERS");
    assert!(s(&given["recipient"]).contains("treating providers"), "{given}");
    assert_eq!((given["expiry"].as_str(), given["signerCapacity"].as_str()), (Some("NONE"), Some("GUARDIAN")));
    let mut payer = for_purpose("PAYMENT");
    payer["clientId"] = json!(t.client);
    payer["recipient"] = json!("Blue Valley Health Plan");
    let shared = t.app.gql_ok(Some(&t.me.access), DISCLOSE_FULL, json!({ "i": payer })).await;
    assert_eq!(shared["discloseToRecipient"]["consentId"], given["id"]);
    let mut verification = for_purpose("ATTENDANCE_VERIFICATION");
    verification["clientId"] = json!(t.client);
    verification["recipient"] = json!("Blue Valley Health Plan");
    let refused = t.app.gql(Some(&t.me.access), DISCLOSE_FULL, json!({ "i": verification })).await;
    assert_eq!(refused["errors"][0]["extensions"]["rule"], "CONSENT_REQUIRED", "outside TPO: {refused}");
}

/// Consents recorded before the § 2.31 elements are kept, need re-consent (on the worklist)
/// and carry no disclosure; disclosures made then keep the notice they were sent with.
#[tokio::test]
async fn consents_from_before_the_2024_elements_need_re_consent() {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{
        ConnectionTrait,
        sea_query::{Alias, Expr, ExprTrait, Query},
    };
    let t = setup().await;
    let given = consent(&t, RECIPIENT, &["ATTENDANCE"]).await;
    let shared = t
        .app
        .gql_ok(
            Some(&t.me.access),
            DISCLOSE_FULL,
            json!({ "i": disclose_input(&t.client, RECIPIENT, &["ATTENDANCE"]) }),
        )
        .await["discloseToRecipient"]
        .clone();
    let db = &t.app.state.db;
    let steps = Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261201_000015_consent_elements")
        .map(|p| p as u32 + 1)
        .expect("the consent-elements migration");
    Migrator::down(db, Some(steps)).await.expect("back to before the consent elements");
    db.execute(
        &Query::update()
            .table(Alias::new("disclosures"))
            .value(Alias::new("notice"), continuum::domain::privacy::REDISCLOSURE_NOTICE_2018)
            .and_where(Expr::col(Alias::new("id")).eq(uuid::Uuid::parse_str(&s(&shared["id"])).expect("a uuid")))
            .to_owned(),
    )
    .await
    .expect("the old notice, as it was sent then");
    Migrator::up(db, None).await.expect("migrate forward again");

    let read = "query($id: ID!) { client(id: $id) { consents { id active needsReconsent expiresOn purposes } } }";
    let data = t.app.gql_ok(Some(&t.me.access), read, json!({ "id": t.client })).await;
    let kept = &data["client"]["consents"][0];
    assert_eq!(kept["id"], given["id"], "kept: {data}");
    assert_eq!((kept["needsReconsent"].as_bool(), kept["active"].as_bool()), (Some(true), Some(false)));
    assert_eq!(kept["expiresOn"], given["expiresOn"], "its date is kept");
    let listed = disclosures(&t.app, &t.me.access, &t.client).await;
    assert_eq!(listed[0]["notice"], continuum::domain::privacy::REDISCLOSURE_NOTICE_2018, "the text it was sent with");

    let refused = t
        .app
        .gql(Some(&t.me.access), DISCLOSE, json!({ "i": disclose_input(&t.client, RECIPIENT, &["ATTENDANCE"]) }))
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["rule"], "CONSENT_REQUIRED");
    assert!(s(&refused["errors"][0]["message"]).contains("re-consent"), "{refused}");
    let worklist = t
        .app
        .gql_ok(Some(&t.me.access), "{ worklist(first: 50) { nodes { kind reason client { id } } } }", json!({}))
        .await;
    let item = worklist["worklist"]["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["kind"] == "CONSENT_NEEDS_RENEWAL"))
        .cloned()
        .unwrap_or_else(|| panic!("on the worklist: {worklist}"));
    assert_eq!(item["client"]["id"], t.client.as_str());
    assert!(s(&item["reason"]).contains(RECIPIENT), "{item}");

    // A new consent with the elements carries disclosures again.
    consent(&t, RECIPIENT, &["ATTENDANCE"]).await;
    t.app
        .gql_ok(Some(&t.me.access), DISCLOSE, json!({ "i": disclose_input(&t.client, RECIPIENT, &["ATTENDANCE"]) }))
        .await;
}

/// The printable consent form holds every § 2.31 element and the right to revoke, and
/// prints; the disclosure record holds the § 2.32 notice; both only for who sees the client.
#[tokio::test]
async fn the_consent_form_and_the_disclosure_record_print_with_every_element() {
    let t = setup().await;
    let mut input = consent_input(&t.client, RECIPIENT, &["ATTENDANCE", "REFERRAL_DETAILS"], t.app.state.today());
    input["expiry"] = json!("ON_EVENT");
    input["expiryEvent"] = json!("when I finish aftercare");
    input["signerName"] = json!("Marta Villanueva");
    input["signerCapacity"] = json!("GUARDIAN");
    input["signatureMethod"] = json!("ELECTRONIC");
    input["purpose"] = json!("warm hand-off");
    input.as_object_mut().map(|o| o.remove("expiresOn"));
    let given = record(&t, input).await;
    let mut share = for_purpose("ATTENDANCE_VERIFICATION");
    share["clientId"] = json!(t.client);
    let shared =
        t.app.gql_ok(Some(&t.me.access), DISCLOSE_FULL, json!({ "i": share })).await["discloseToRecipient"].clone();

    let form_path = format!("/consents/{}/form", s(&given["id"]));
    let (status, html) = t.app.get(&form_path, Some(&t.me.access)).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{html}");
    assert!(!html.to_lowercase().contains("<script"), "no scripts");
    let elements = [
        "Rosa Villanueva", // the patient
        "born 1990-06-30",
        t.app.state.config.program_name.as_str(), // who may disclose
        RECIPIENT,                                // to whom
        "attendance at meetings",                 // how much and what kind
        "referrals to support groups",
        "care coordination", // the purposes
        "verification of attendance",
        "warm hand-off",
        "when I finish aftercare",                             // expiry by event
        "Marta Villanueva",                                    // the signer
        "guardian",                                            // and capacity
        "electronic signature",                                // how signed
        "You may revoke this consent at any time, in writing", // the right to revoke
        "does not undo",
    ];
    let flat = html.split_whitespace().collect::<Vec<_>>().join(" ");
    for element in elements {
        assert!(flat.contains(element), "the form holds {element:?}: {flat}");
    }
    let record_path = format!("/disclosures/{}/record", s(&shared["id"]));
    let (status, record_html) = t.app.get(&record_path, Some(&t.me.access)).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{record_html}");
    let flat_record = record_html.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat_record.contains("These rules prohibit you from using or disclosing this record"), "{flat_record}");
    assert!(flat_record.contains("Attended four meetings"), "what was disclosed: {flat_record}");

    // Outside the scope, absent and malformed: one answer, nothing shown.
    let other = t.app.login_as(Role::Counselor).await;
    for path in [&form_path, &record_path] {
        let (status, body) = t.app.get(path, Some(&other.access)).await;
        assert_eq!(status, axum::http::StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains("Villanueva"), "{body}");
    }
    let (status, _) = t.app.get(&format!("/consents/{}/form", uuid::Uuid::now_v7()), Some(&t.me.access)).await;
    assert_eq!(status, axum::http::StatusCode::NOT_FOUND);
    let (status, _) = t.app.get("/disclosures/nope/record", Some(&t.me.access)).await;
    assert_eq!(status, axum::http::StatusCode::NOT_FOUND);
    let (status, _) = t.app.get(&form_path, None).await;
    assert_eq!(status, axum::http::StatusCode::UNAUTHORIZED);

    let Some(text) = crate::printing::print_to_text(&html) else { return };
    for element in elements {
        assert!(text.contains(element), "the printed form holds {element:?}: {text}");
    }
    let Some(text) = crate::printing::print_to_text(&record_html) else { return };
    assert!(text.contains("42 CFR part 2") && text.contains("45 CFR part 164"), "the printed notice: {text}");
}
