//! Finding a client: search by any part of a name, accent- and case-insensitive, and by date
//! of birth, within the caller's scope; likely duplicates flagged at registration without
//! telling anyone about clients they may not see.

use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::REGISTER;
use crate::fixtures::*;
use crate::helpers::*;

const SEARCH: &str =
    "query($f: ClientFilter) { clients(filter: $f, first: 50) { totalCount edges { node { id firstName } } } }";

async fn found(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let data = app.gql_ok(Some(token), SEARCH, json!({ "f": filter })).await;
    let mut names: Vec<String> = data["clients"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["firstName"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn search_folds_accents_and_case_and_finds_by_date_of_birth_within_scope() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let other = app.login_as(Role::Counselor).await;
    client("Lucía", "García-López").born("1988-03-04").register(&app, &me.access).await;
    client("Luis", "Ortega").born("1975-11-30").register(&app, &me.access).await;
    client("Lucia", "Outsider").born("1988-03-04").register(&app, &other.access).await;

    assert_eq!(
        found(&app, &me.access, json!({ "search": "lucia" })).await,
        ["Lucía"],
        "accents folded; not the other caseload"
    );
    assert_eq!(found(&app, &me.access, json!({ "search": "GARCIA LOPEZ" })).await, ["Lucía"], "a hyphen is a space");
    assert_eq!(found(&app, &me.access, json!({ "search": "lu" })).await, ["Lucía", "Luis"], "partial");
    assert_eq!(found(&app, &me.access, json!({ "dateOfBirth": "1988-03-04" })).await, ["Lucía"]);
    assert_eq!(found(&app, &me.access, json!({ "dateOfBirth": "1988-03-05" })).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_likely_duplicate_needs_confirmation_and_nothing_leaks_across_caseloads() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let other = app.login_as(Role::Counselor).await;
    let first = client("Marta", "Ruiz").born("1990-07-01").register(&app, &me.access).await;

    // The same date of birth and a similar name on my caseload: refused, with the match.
    let again = json!({ "i": { "firstName": "MARTA", "lastName": "Ruíz Soto", "dateOfBirth": "1990-07-01",
        "substances": ["ALCOHOL"] } });
    let before = found(&app, &me.access, json!({})).await;
    let refused = app.gql(Some(&me.access), REGISTER, again.clone()).await;
    assert_rule(&refused, "LIKELY_DUPLICATE");
    assert_eq!(refused["errors"][0]["extensions"]["duplicates"], json!([first]));
    assert_eq!(refused["data"], Value::Null);
    assert_eq!(found(&app, &me.access, json!({})).await, before, "nothing was registered");

    // Another counselor registering the same person is not told she is in treatment here.
    let theirs = app.gql_ok(Some(&other.access), REGISTER, again.clone()).await;
    assert!(theirs["registerClient"]["id"].is_string());

    // A different person after all: confirmed, registered.
    let mut confirmed = again;
    confirmed["i"]["confirmNotDuplicate"] = json!(true);
    let data = app.gql_ok(Some(&me.access), REGISTER, confirmed).await;
    assert!(data["registerClient"]["id"].is_string());
    assert_eq!(found(&app, &me.access, json!({ "dateOfBirth": "1990-07-01" })).await.len(), 2);
}
