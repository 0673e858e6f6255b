//! The guards every path shares: cross-site requests, CORS from one allow-list, response
//! headers, sign-in and current-password throttling that cannot be raced, password
//! strength, and the refusals that must leave an audit event or must not tell ids apart.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::REGISTER;
use crate::helpers::*;

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";

async fn post_raw(app: &TestApp, content_type: &str, body: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_owned()))
        .expect("request");
    let (status, headers, body) = app.request(request).await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

async fn audit_count(app: &TestApp, admin: &str, action: &str, outcome: &str) -> usize {
    let data = app
        .gql_ok(Some(admin), "{ auditEvents(first: 100) { edges { node { action outcome detail } } } }", json!({}))
        .await;
    data["auditEvents"]["edges"]
        .as_array()
        .map(|edges| edges.iter().filter(|e| e["node"]["action"] == action && e["node"]["outcome"] == outcome).count())
        .unwrap_or_default()
}

#[tokio::test]
async fn only_json_bodies_are_executed_so_a_page_elsewhere_cannot_forge_a_request() {
    let app = TestApp::spawn().await;
    let mutation = json!({ "query": LOGIN, "variables": { "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD } }).to_string();
    for content_type in
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/graphql"]
    {
        let (status, _, body) = post_raw(&app, content_type, &mutation).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}: {body}");
        let json: Value = serde_json::from_str(&body).expect("a JSON error");
        assert_code(&json, "BAD_USER_INPUT");
    }
    let request = Request::post("/graphql").body(Body::from(mutation.clone())).expect("request");
    assert_eq!(app.request(request).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type at all");
    // Nothing ran: the only sign-in on record is the one below.
    for content_type in ["application/json", "application/json; charset=utf-8", "application/graphql-response+json"] {
        let (status, _, body) = post_raw(&app, content_type, &mutation).await;
        assert_eq!(status, StatusCode::OK, "{content_type}");
        assert!(body.contains("accessToken"), "{content_type}: {body}");
    }
    let admin = app.admin().await;
    assert_eq!(audit_count(&app, &admin.access, "login", "ALLOWED").await, 4, "three JSON sign-ins and this one");
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_gets_cors_headers_and_another_does_not() {
    let app = TestApp::spawn_with(&[("CONTINUUM_ALLOWED_ORIGINS", "https://portal.clinic.test")]).await;
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/graphql")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization, content-type")
            .body(Body::empty())
            .expect("request")
    };
    let (status, headers, _) = app.request(preflight("https://portal.clinic.test")).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(
        headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).and_then(|v| v.to_str().ok()),
        Some("https://portal.clinic.test")
    );
    let allowed = headers.get(header::ACCESS_CONTROL_ALLOW_HEADERS).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none(), "no cookies, bearer tokens only");

    let (_, headers, _) = app.request(preflight("https://evil.example")).await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "another origin gets no CORS headers");
}

#[tokio::test]
async fn responses_carrying_records_are_not_cached_sniffed_referred_or_framed() {
    let app = TestApp::spawn().await;
    let counselor = app.login_as(Role::Counselor).await;
    let body = json!({ "query": "{ clients { totalCount } }" }).to_string();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", counselor.access))
        .body(Body::from(body))
        .expect("request");
    let (_, graphql, _) = app.request(request).await;
    let csv = Request::get("/reports/follow-ups.csv?from=2026-01-01&to=2026-12-31")
        .header(header::AUTHORIZATION, format!("Bearer {}", counselor.access))
        .body(Body::empty())
        .expect("request");
    let (csv_status, csv, _) = app.request(csv).await;
    assert_eq!(csv_status, StatusCode::OK);
    let page = Request::get(format!("/clients/{}/aftercare-plan", uuid::Uuid::now_v7()))
        .header(header::AUTHORIZATION, format!("Bearer {}", counselor.access))
        .body(Body::empty())
        .expect("request");
    let (_, page, _) = app.request(page).await;
    let (_, graphiql, _) = app.request(Request::get("/graphql").body(Body::empty()).expect("request")).await;
    for (what, headers) in
        [("POST /graphql", &graphql), ("the CSV", &csv), ("the plan page", &page), ("GraphiQL", &graphiql)]
    {
        let get =
            |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(get(header::CACHE_CONTROL), "no-store", "{what}");
        assert_eq!(get(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{what}");
        assert_eq!(get(header::REFERRER_POLICY), "no-referrer", "{what}");
        assert!(get(header::CONTENT_SECURITY_POLICY).contains("frame-ancestors 'none'"), "{what}");
    }
}

#[tokio::test]
async fn a_batch_of_guesses_is_counted_before_the_passwords_are_checked() {
    let app = TestApp::spawn().await;
    app.create_staff("target@continuum.test", "Tara Target", Role::Counselor, None).await;
    let guess = |i: usize| json!({ "query": LOGIN, "variables": { "e": "target@continuum.test", "p": format!("guess-number-{i}") } });
    // Four batches of ten at once: forty guesses sent, five checked.
    let batches = (0..4).map(|b| {
        let body = Value::Array((0..10).map(|i| guess(b * 10 + i)).collect());
        app.post_graphql(None, body)
    });
    let answers = futures_util::future::join_all(batches).await;
    let codes: Vec<String> = answers
        .iter()
        .flat_map(|(_, json)| json.as_array().cloned().unwrap_or_default())
        .map(|r| r["errors"][0]["extensions"]["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(codes.len(), 40);
    assert_eq!(codes.iter().filter(|c| *c == "UNAUTHENTICATED").count(), 5, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| *c == "RATE_LIMITED").count(), 35, "{codes:?}");

    // The refused guesses are on record, and the account waits longer after each failure.
    let admin = app.admin().await;
    assert_eq!(audit_count(&app, &admin.access, "login", "DENIED").await, 35);
    assert_eq!(audit_count(&app, &admin.access, "login", "FAILED").await, 5);
    app.clock.advance(chrono::Duration::seconds(61));
    assert_code(&app.login("target@continuum.test", "guess-after-a-minute").await, "UNAUTHENTICATED");
    let waited = app.login("target@continuum.test", PASSWORD).await;
    assert_code(&waited, "RATE_LIMITED");
    assert_eq!(waited["errors"][0]["extensions"]["retryAfter"], 2, "the delay doubles: {waited}");
    app.clock.advance(chrono::Duration::seconds(2));
    app.session("target@continuum.test", PASSWORD).await;
}

#[tokio::test]
async fn guessing_the_current_password_is_throttled_and_ends_the_session() {
    let app = TestApp::spawn().await;
    let counselor = app.login_as(Role::Counselor).await;
    // Thirty aliased guesses with one access token.
    let guesses: String = (0..30)
        .map(|i| {
            format!(
                "g{i}: changePassword(currentPassword: \"guess-number-{i}\", newPassword: \"sable-orchid-compass-77\") "
            )
        })
        .collect();
    let response = app.gql(Some(&counselor.access), &format!("mutation {{ {guesses} }}"), json!({})).await;
    let errors = response["errors"].as_array().cloned().unwrap_or_default();
    let count = |code: &str| errors.iter().filter(|e| e["extensions"]["code"] == code).count();
    assert_eq!(count("BAD_USER_INPUT") + count("UNAUTHENTICATED"), 5, "five guesses checked: {response}");
    assert_eq!(count("RATE_LIMITED"), 25, "{response}");
    // The fifth wrong answer ended the session.
    assert_code(&app.gql(Some(&counselor.access), "{ me { id } }", json!({})).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn common_guessable_and_personal_passwords_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for weak in ["aaaaaaaaaaaa", "passwordpassword", "123456789012", "nora.quill@clinic.test", "noraquill-2026!"] {
        let input =
            json!({ "email": "nora.quill@clinic.test", "name": "Nora Quill", "role": "COUNSELOR", "password": weak });
        let refused = app
            .gql(
                Some(&admin.access),
                "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        assert_code(&refused, "BAD_USER_INPUT");
        assert_eq!(error_field(&refused), Some("password"), "{weak}: {refused}");
    }
    let me = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let refused = app
        .gql(
            Some(&me.access),
            "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: \"qwertyuiopasdf\") }",
            json!({ "c": ADMIN_PASSWORD }),
        )
        .await;
    assert_eq!(error_field(&refused), Some("newPassword"), "{refused}");
}

#[tokio::test]
async fn another_teams_counselor_and_a_made_up_id_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let other_team = app.create_staff("other@continuum.test", "Otto Other", Role::Counselor, None).await;
    let counselor = app.login_as(Role::Counselor).await;
    let supervisor = app.login_as(Role::Supervisor).await;
    let client = |counselor_id: &str| json!({ "i": { "firstName": "Ada", "lastName": "Probe", "dateOfBirth": "1980-01-01", "substances": ["OPIOIDS"], "primaryCounselorId": counselor_id } });
    for session in [&counselor, &supervisor] {
        let real = app.gql(Some(&session.access), REGISTER, client(&other_team)).await;
        let made_up = app.gql(Some(&session.access), REGISTER, client(&uuid::Uuid::now_v7().to_string())).await;
        assert_eq!(real["errors"][0]["extensions"], made_up["errors"][0]["extensions"], "{real} / {made_up}");
        assert_eq!(real["errors"][0]["message"], made_up["errors"][0]["message"]);
    }
}

#[tokio::test]
async fn a_refused_plan_update_on_another_counselors_client_is_audited() {
    let app = TestApp::spawn().await;
    let ann = app.login_as(Role::Counselor).await;
    let bob = app.login_as(Role::Counselor).await;
    let input =
        json!({ "firstName": "Ada", "lastName": "Plan", "dateOfBirth": "1980-01-01", "substances": ["OPIOIDS"] });
    let client = app.gql_ok(Some(&ann.access), REGISTER, json!({ "i": input })).await["registerClient"]["id"].clone();
    let refused = app
        .gql(
            Some(&bob.access),
            "mutation($i: UpdateAftercarePlanInput!) { updateAftercarePlan(input: $i) { version } }",
            json!({ "i": { "clientId": client, "expectedVersion": 1, "notes": "not mine", "goals": [] } }),
        )
        .await;
    assert_code(&refused, "NOT_FOUND");
    let admin = app.admin().await;
    let data = app
        .gql_ok(
            Some(&admin.access),
            "query($c: ID!) { auditEvents(filter: { clientId: $c, outcome: DENIED }) { edges { node { field staffId } } } }",
            json!({ "c": client }),
        )
        .await;
    let edges = data["auditEvents"]["edges"].as_array().cloned().unwrap_or_default();
    assert_eq!(edges.len(), 1, "{data}");
    assert_eq!(edges[0]["node"]["field"], "updateAftercarePlan");
    assert_eq!(edges[0]["node"]["staffId"], bob.staff_id.as_str());
}

#[tokio::test]
async fn grants_no_supervisor_can_review_go_to_an_administrator() {
    let app = TestApp::spawn().await;
    let supervisor = app.login_as(Role::Supervisor).await;
    let input =
        json!({ "firstName": "Ada", "lastName": "Grant", "dateOfBirth": "1980-01-01", "substances": ["OPIOIDS"] });
    // A counselor without a supervisor registers a client; the supervisor opens it in an emergency.
    let loner = app.login_as(Role::Counselor).await;
    let client = app.gql_ok(Some(&loner.access), REGISTER, json!({ "i": input })).await["registerClient"]["id"].clone();
    let grant = app
        .gql_ok(
            Some(&supervisor.access),
            "mutation($c: ID!) { requestEmergencyAccess(clientId: $c, reason: \"overdose call, chart needed\") { id } }",
            json!({ "c": client }),
        )
        .await["requestEmergencyAccess"]["id"]
        .clone();
    let admin = app.admin().await;
    let queue = app.gql_ok(Some(&admin.access), "{ emergencyAccessGrants(reviewed: false) { id } }", json!({})).await;
    assert_eq!(queue["emergencyAccessGrants"], json!([{ "id": grant }]), "{queue}");
    let reviewed = app
        .gql_ok(
            Some(&admin.access),
            "mutation($g: ID!) { reviewEmergencyAccess(grantId: $g, note: \"call log checked\") { reviewedAt } }",
            json!({ "g": grant }),
        )
        .await;
    assert!(reviewed["reviewEmergencyAccess"]["reviewedAt"].is_string());
    // The supervisor cannot review their own grant.
    let own = app
        .gql(
            Some(&supervisor.access),
            "mutation($g: ID!) { reviewEmergencyAccess(grantId: $g, note: \"mine\") { id } }",
            json!({ "g": grant }),
        )
        .await;
    assert!(own["errors"].is_array(), "{own}");
}
