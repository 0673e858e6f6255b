//! What a portal developer relies on beyond the data: response keys in the order of the
//! query (fragments and aliases included, the same for every item of a list, in batches
//! too), and an `UNAUTHENTICATED` error that says whether to sign in or refresh.

use axum::{
    body::Body,
    http::{Request, header},
};
use chrono::Duration;
use continuum::domain::Role;
use serde_json::{Value as Json, json};

use crate::documents::REFER;
use crate::fixtures::*;
use crate::helpers::*;

/// The response body with its maps in the order they were written (async-graphql's `Value`
/// keeps object keys in order; serde_json's does not).
async fn ordered(app: &TestApp, token: &str, body: Json) -> async_graphql::Value {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .expect("request");
    let (_, _, bytes) = app.request(request).await;
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

fn keys(value: &async_graphql::Value) -> Vec<String> {
    match value {
        async_graphql::Value::Object(map) => map.keys().map(|k| k.to_string()).collect(),
        other => panic!("an object: {other}"),
    }
}

fn field<'a>(value: &'a async_graphql::Value, name: &str) -> &'a async_graphql::Value {
    match value {
        async_graphql::Value::Object(map) => map.get(name).unwrap_or_else(|| panic!("{name} in {value}")),
        other => panic!("an object: {other}"),
    }
}

fn items(value: &async_graphql::Value) -> &[async_graphql::Value] {
    match value {
        async_graphql::Value::List(items) => items,
        other => panic!("a list: {other}"),
    }
}

const CASELOAD: &str = "query Caseload {
    clients(first: 10) {
        totalCount
        nodes {
            id
            ...Names
            upcoming: nextFollowUp { status dueOn id }
            referrals { supportGroup { abbreviation name } status id }
            ... on Client { version language }
            currentEpisode { stageHistory { to at } stage id }
        }
        pageInfo { hasNextPage endCursor }
    }
}
fragment Names on Client { lastName firstName }";

#[tokio::test]
async fn response_keys_come_back_in_the_order_of_the_query_for_every_item() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let aa = group_id(&app, &me.access, "AA").await;
    for first in ["Ana", "Ben", "Cy", "Di", "Ed"] {
        let client = client(first, "Order").register(&app, &me.access).await;
        admission(&client, "REHAB").level("L3_5").admit(&app, &me.access).await;
        app.gql_ok(Some(&me.access), REFER, json!({ "i": { "clientId": client, "supportGroupId": aa } })).await;
    }

    let expected_node =
        ["id", "lastName", "firstName", "upcoming", "referrals", "version", "language", "currentEpisode"];
    let check = |response: &async_graphql::Value| {
        let data = field(response, "data");
        let clients = field(data, "clients");
        assert_eq!(keys(clients), ["totalCount", "nodes", "pageInfo"]);
        assert_eq!(keys(field(clients, "pageInfo")), ["hasNextPage", "endCursor"]);
        let nodes = items(field(clients, "nodes"));
        assert_eq!(nodes.len(), 5);
        for node in nodes {
            assert_eq!(keys(node), expected_node, "{node}");
            assert_eq!(keys(field(node, "upcoming")), ["status", "dueOn", "id"]);
            for referral in items(field(node, "referrals")) {
                assert_eq!(keys(referral), ["supportGroup", "status", "id"]);
                assert_eq!(keys(field(referral, "supportGroup")), ["abbreviation", "name"]);
            }
            let episode = field(node, "currentEpisode");
            assert_eq!(keys(episode), ["stageHistory", "stage", "id"]);
            for change in items(field(episode, "stageHistory")) {
                assert_eq!(keys(change), ["to", "at"]);
            }
        }
    };
    for _ in 0..3 {
        check(&ordered(&app, &me.access, json!({ "query": CASELOAD })).await);
    }
    // Each operation of a batch in its own order.
    let batch = ordered(
        &app,
        &me.access,
        json!([{ "query": CASELOAD }, { "query": "{ me { role name id } }" }, { "query": CASELOAD }]),
    )
    .await;
    let answers = items(&batch);
    check(&answers[0]);
    assert_eq!(keys(field(field(&answers[1], "data"), "me")), ["role", "name", "id"]);
    check(&answers[2]);
}

const ME: &str = "{ me { id } }";

fn reason(response: &Json) -> (&str, &str) {
    let ext = &response["errors"][0]["extensions"];
    (ext["code"].as_str().unwrap_or_default(), ext["reason"].as_str().unwrap_or_default())
}

#[tokio::test]
async fn unauthenticated_says_whether_to_sign_in_or_to_refresh() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;

    assert_eq!(reason(&app.gql(None, ME, json!({})).await), ("UNAUTHENTICATED", "TOKEN_MISSING"));
    assert_eq!(reason(&app.gql(Some("not-a-token"), ME, json!({})).await), ("UNAUTHENTICATED", "TOKEN_INVALID"));
    let mut forged = me.access.clone();
    forged.pop();
    forged.push(if me.access.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(reason(&app.gql(Some(&forged), ME, json!({})).await), ("UNAUTHENTICATED", "TOKEN_INVALID"));
    app.gql_ok(Some(&me.access), ME, json!({})).await;

    // Past the access token's 15 minutes (the session is still within its idle limit
    // because the refresh below keeps it alive): refresh, not sign in.
    app.clock.advance(Duration::minutes(14));
    app.gql_ok(Some(&me.access), ME, json!({})).await;
    app.clock.advance(Duration::minutes(2));
    let expired = app.gql(Some(&me.access), ME, json!({})).await;
    assert_eq!(reason(&expired), ("UNAUTHENTICATED", "TOKEN_EXPIRED"), "{expired}");
    assert!(expired["errors"][0]["message"].as_str().is_some_and(|m| m.contains("refreshSession")), "{expired}");
    let refreshed = app
        .gql(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }",
            json!({ "t": me.refresh }),
        )
        .await;
    let access = refreshed["data"]["refreshSession"]["accessToken"].as_str().expect("a new token").to_owned();
    app.gql_ok(Some(&access), ME, json!({})).await;

    // Signed out: the token is still well-formed and unexpired, but its session has ended.
    let refresh = refreshed["data"]["refreshSession"]["refreshToken"].as_str().expect("a refresh token").to_owned();
    app.gql_ok(None, "mutation($t: String!) { logout(refreshToken: $t) }", json!({ "t": refresh })).await;
    let ended = app.gql(Some(&access), ME, json!({})).await;
    assert_eq!(reason(&ended), ("UNAUTHENTICATED", "SESSION_ENDED"), "{ended}");
    let again = app
        .gql(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": refresh }),
        )
        .await;
    assert_eq!(reason(&again).0, "UNAUTHENTICATED");
    assert!(matches!(reason(&again).1, "SESSION_ENDED" | "TOKEN_INVALID"), "{again}");
}

#[tokio::test]
async fn a_variable_left_out_is_named_and_said_to_be_missing() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let response = app.gql(Some(&me.access), "query One($id: ID!) { client(id: $id) { id } }", json!({})).await;
    let message = response["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("$id") && message.contains("not provided"), "{response}");
    assert_eq!(response["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{response}");
    let response =
        app.gql(Some(&me.access), "query One($id: ID!) { client(id: $id) { id } }", json!({ "id": null })).await;
    let message = response["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("$id"), "{response}");
}
