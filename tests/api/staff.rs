//! Staff management: only the admin manages staff; everyone sees what their role allows.

use continuum::domain::Role;
use serde_json::json;

use crate::helpers::*;

const CREATE: &str =
    "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id email name role active supervisor { id } } }";

fn input(email: &str, role: &str) -> serde_json::Value {
    json!({ "i": { "email": email, "name": "  Ann Lee  ", "role": role, "password": PASSWORD } })
}

#[tokio::test]
async fn a_counselor_calling_create_staff_is_forbidden() {
    let app = TestApp::spawn().await;
    let counselor = app.login_as(Role::Counselor).await;
    let response = app.gql(Some(&counselor.access), CREATE, input("new@continuum.test", "COUNSELOR")).await;
    assert_code(&response, "FORBIDDEN");
}

#[tokio::test]
async fn a_supervisor_calling_update_staff_is_forbidden() {
    let app = TestApp::spawn().await;
    let supervisor = app.login_as(Role::Supervisor).await;
    let response = app
        .gql(
            Some(&supervisor.access),
            "mutation($id: ID!) { updateStaff(id: $id, input: { name: \"X\" }) { id } }",
            json!({ "id": supervisor.staff_id }),
        )
        .await;
    assert_code(&response, "FORBIDDEN");
}

#[tokio::test]
async fn admin_creates_staff_with_trimmed_names_and_a_supervisor() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let supervisor = app.gql_ok(Some(&admin.access), CREATE, input("sup@continuum.test", "SUPERVISOR")).await;
    let supervisor_id = supervisor["createStaff"]["id"].as_str().expect("id");
    let mut vars = input("Counselor@Continuum.test", "COUNSELOR");
    vars["i"]["supervisorId"] = json!(supervisor_id);
    let created = app.gql_ok(Some(&admin.access), CREATE, vars).await;
    assert_eq!(created["createStaff"]["name"], "Ann Lee");
    assert_eq!(created["createStaff"]["email"], "Counselor@Continuum.test");
    assert_eq!(created["createStaff"]["supervisor"]["id"], supervisor_id);
    assert_eq!(created["createStaff"]["active"], true);
}

#[tokio::test]
async fn emails_are_unique_case_insensitively() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.gql_ok(Some(&admin.access), CREATE, input("ann@continuum.test", "COUNSELOR")).await;
    let duplicate = app.gql(Some(&admin.access), CREATE, input("ANN@continuum.TEST", "COUNSELOR")).await;
    assert_code(&duplicate, "BAD_USER_INPUT");
    assert_eq!(error_field(&duplicate), Some("email"));
}

#[tokio::test]
async fn bad_staff_input_names_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let cases = [
        (json!({ "email": "not-an-email", "name": "A", "role": "COUNSELOR", "password": PASSWORD }), "email"),
        (json!({ "email": "a@b.org", "name": "   ", "role": "COUNSELOR", "password": PASSWORD }), "name"),
        (json!({ "email": "a@b.org", "name": "A", "role": "COUNSELOR", "password": "short" }), "password"),
        (
            json!({ "email": "a@b.org", "name": "A", "role": "SUPERVISOR", "password": PASSWORD, "supervisorId": admin.staff_id }),
            "supervisorId",
        ),
        (
            json!({ "email": "a@b.org", "name": "A", "role": "COUNSELOR", "password": PASSWORD, "supervisorId": admin.staff_id }),
            "supervisorId",
        ),
    ];
    for (i, field) in cases {
        let response = app.gql(Some(&admin.access), CREATE, json!({ "i": i })).await;
        assert_code(&response, "BAD_USER_INPUT");
        assert_eq!(error_field(&response), Some(field), "{response}");
    }
    let listed = app.gql_ok(Some(&admin.access), "{ staffMembers { totalCount } }", json!({})).await;
    assert_eq!(listed["staffMembers"]["totalCount"], 1, "nothing was created");
}

#[tokio::test]
async fn who_sees_which_staff() {
    let app = TestApp::spawn().await;
    let supervisor_id = app.create_staff("sup@continuum.test", "Sue", Role::Supervisor, None).await;
    let a = app.create_staff("a@continuum.test", "Ann", Role::Counselor, Some(&supervisor_id)).await;
    let b = app.create_staff("b@continuum.test", "Bob", Role::Counselor, None).await;
    let admin = app.admin().await;
    let supervisor = app.session("sup@continuum.test", PASSWORD).await;
    let ann = app.session("a@continuum.test", PASSWORD).await;

    let total = |data: serde_json::Value| data["staffMembers"]["totalCount"].as_u64();
    let q = "{ staffMembers(first: 50) { totalCount edges { node { id } } } }";
    assert_eq!(total(app.gql_ok(Some(&admin.access), q, json!({})).await), Some(4));
    assert_eq!(total(app.gql_ok(Some(&supervisor.access), q, json!({})).await), Some(2), "self and team");
    assert_eq!(total(app.gql_ok(Some(&ann.access), q, json!({})).await), Some(2), "self and supervisor");

    let one = "query($id: ID!) { staffMember(id: $id) { id name } }";
    assert_eq!(app.gql_ok(Some(&ann.access), one, json!({ "id": b })).await["staffMember"], json!(null));
    assert_eq!(app.gql_ok(Some(&ann.access), one, json!({ "id": supervisor_id })).await["staffMember"]["name"], "Sue");
    assert_eq!(app.gql_ok(Some(&supervisor.access), one, json!({ "id": a })).await["staffMember"]["name"], "Ann");
    assert_eq!(app.gql_ok(Some(&admin.access), one, json!({ "id": "not-a-uuid" })).await["staffMember"], json!(null));
}

#[tokio::test]
async fn staff_pages_have_stable_cursors() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.create_staff(&format!("c{i}@continuum.test"), &format!("C{i}"), Role::Counselor, None).await;
    }
    let admin = app.admin().await;
    let q = "query($after: String) { staffMembers(first: 4, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }";
    let page1 = app.gql_ok(Some(&admin.access), q, json!({})).await;
    assert_eq!(page1["staffMembers"]["edges"].as_array().map(Vec::len), Some(4));
    assert_eq!(page1["staffMembers"]["pageInfo"]["hasNextPage"], true);
    let cursor = page1["staffMembers"]["pageInfo"]["endCursor"].clone();
    let page2 = app.gql_ok(Some(&admin.access), q, json!({ "after": cursor })).await;
    assert_eq!(page2["staffMembers"]["edges"].as_array().map(Vec::len), Some(2));
    assert_eq!(page2["staffMembers"]["pageInfo"]["hasNextPage"], false);
    let bad = app.gql(Some(&admin.access), q, json!({ "after": "%%%" })).await;
    assert_code(&bad, "BAD_USER_INPUT");
}

#[tokio::test]
async fn the_last_admin_cannot_be_deactivated() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let response = app
        .gql(
            Some(&admin.access),
            "mutation($id: ID!) { updateStaff(id: $id, input: { active: false }) { id } }",
            json!({ "id": admin.staff_id }),
        )
        .await;
    assert_code(&response, "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_supervisor_with_a_team_cannot_be_demoted() {
    let app = TestApp::spawn().await;
    let supervisor_id = app.create_staff("sup@continuum.test", "Sue", Role::Supervisor, None).await;
    app.create_staff("a@continuum.test", "Ann", Role::Counselor, Some(&supervisor_id)).await;
    let admin = app.admin().await;
    let response = app
        .gql(
            Some(&admin.access),
            "mutation($id: ID!) { updateStaff(id: $id, input: { role: COUNSELOR }) { id } }",
            json!({ "id": supervisor_id }),
        )
        .await;
    assert_code(&response, "BAD_USER_INPUT");
}
