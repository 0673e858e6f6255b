//! Sign-in, access tokens and refresh sessions.

use base64::Engine;
use continuum::domain::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::*;

const ME: &str = "{ me { id role } }";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The claims of a genuine token, to be altered one at a time.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64");
    serde_json::from_slice(&bytes).expect("json claims")
}

fn sign(alg: Algorithm, secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret.as_bytes())).expect("encode")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn me_code(app: &TestApp, token: &str) -> Option<String> {
    let response = app.gql(Some(token), ME, json!({})).await;
    error_code(&response).map(str::to_owned)
}

#[tokio::test]
async fn first_admin_signs_in_and_is_admin() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let data = app.gql_ok(Some(&admin.access), ME, json!({})).await;
    assert_eq!(data["me"]["role"], "ADMIN");
}

#[tokio::test]
async fn generated_first_admin_password_works() {
    let database = TestDatabase::create().await;
    let mut config = test_config(&database.url, &[]);
    config.admin_password = None;
    let (conn, statements) = continuum::db::connect(&database.url, 2).await.expect("connect");
    continuum::db::migrate(&conn).await.expect("migrate");
    let state = continuum::state::AppState::new(config, conn, statements);
    let created = continuum::service::staff::bootstrap_admin(&state).await.expect("bootstrap");
    let (email, password) = match created {
        Some((email, Some(password))) => (email, password),
        _ => panic!("a password is generated when none is configured"),
    };
    // A second start creates nobody.
    assert!(matches!(continuum::service::staff::bootstrap_admin(&state).await, Ok(None)));
    let app = TestApp {
        router: continuum::build_router(state.clone()),
        clock: Default::default(),
        statements: state.statements.clone(),
        state,
        db: database,
    };
    let response = app.login(&email, &password).await;
    assert_eq!(response["data"]["login"]["staff"]["role"], "ADMIN", "{response}");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let unknown = app.login("nobody@continuum.test", ADMIN_PASSWORD).await;
    let wrong = app.login(ADMIN_EMAIL, "not-the-password").await;
    assert_code(&unknown, "UNAUTHENTICATED");
    assert_eq!(unknown["errors"][0]["message"], wrong["errors"][0]["message"]);
    assert_eq!(unknown["errors"][0]["extensions"], wrong["errors"][0]["extensions"]);
}

#[tokio::test]
async fn emails_sign_in_case_insensitively() {
    let app = TestApp::spawn().await;
    let response = app.login(&ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD).await;
    assert_eq!(response["data"]["login"]["staff"]["role"], "ADMIN", "{response}");
}

#[tokio::test]
async fn no_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    assert_code(&app.gql(None, ME, json!({})).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn malformed_authorization_headers_are_unauthenticated() {
    let app = TestApp::spawn().await;
    for header in ["Bearer", "Bearer not.a.jwt", "Basic YWRtaW46YWRtaW4=", "Bearer ....", "Token abc"] {
        let (_, response) = app.post_graphql(Some(header), json!({ "query": ME })).await;
        assert_code(&response, "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn forged_and_stale_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    assert_eq!(me_code(&app, &admin.access).await, None, "the genuine token works");
    let genuine = claims_of(&admin.access);

    let with = |key: &str, value: Value| {
        let mut c = genuine.clone();
        c[key] = value;
        c
    };
    let mut cases: Vec<(&str, String)> = vec![
        ("signed with another key", sign(Algorithm::HS256, "another-secret-another-secret-0123456", &genuine)),
        ("HS512", sign(Algorithm::HS512, JWT_SECRET, &genuine)),
        ("expired", sign(Algorithm::HS256, JWT_SECRET, &with("exp", json!(now() - 120)))),
        ("wrong aud", sign(Algorithm::HS256, JWT_SECRET, &with("aud", json!("someone-else")))),
        ("wrong iss", sign(Algorithm::HS256, JWT_SECRET, &with("iss", json!("someone-else")))),
        ("future nbf", sign(Algorithm::HS256, JWT_SECRET, &with("nbf", json!(now() + 600)))),
        ("wrong auth version", sign(Algorithm::HS256, JWT_SECRET, &with("ver", json!(99)))),
        ("refresh token as bearer", admin.refresh.clone()),
    ];
    for missing in ["iat", "jti", "exp", "nbf", "sub", "aud", "iss", "sid"] {
        let mut c = genuine.clone();
        c.as_object_mut().expect("object").remove(missing);
        cases.push((missing, sign(Algorithm::HS256, JWT_SECRET, &c)));
    }
    let body = b64(genuine.to_string().as_bytes());
    // alg: none, unsigned.
    cases.push(("alg none", format!("{}.{body}.", b64(br#"{"alg":"none","typ":"JWT"}"#))));
    // RS256 header whose "signature" is an HMAC with our secret: the classic key confusion.
    let rs_header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
    let signing_input = format!("{rs_header}.{body}");
    let hs = sign(Algorithm::HS256, JWT_SECRET, &genuine);
    let signature = hs.rsplit('.').next().unwrap_or_default();
    cases.push(("RS256", format!("{signing_input}.{signature}")));

    for (name, token) in cases {
        assert_eq!(me_code(&app, &token).await.as_deref(), Some("UNAUTHENTICATED"), "{name} must be refused");
    }
}

#[tokio::test]
async fn a_deactivated_staff_members_token_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let counselor = app.login_as(Role::Counselor).await;
    assert_eq!(me_code(&app, &counselor.access).await, None);
    let admin = app.admin().await;
    app.gql_ok(
        Some(&admin.access),
        "mutation($id: ID!) { updateStaff(id: $id, input: { active: false }) { active } }",
        json!({ "id": counselor.staff_id }),
    )
    .await;
    assert_eq!(me_code(&app, &counselor.access).await.as_deref(), Some("UNAUTHENTICATED"));
    let refreshed = app
        .gql(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": counselor.refresh }),
        )
        .await;
    assert_code(&refreshed, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_role_change_ends_existing_tokens() {
    let app = TestApp::spawn().await;
    let counselor = app.login_as(Role::Counselor).await;
    let admin = app.admin().await;
    app.gql_ok(
        Some(&admin.access),
        "mutation($id: ID!) { updateStaff(id: $id, input: { role: SUPERVISOR }) { role } }",
        json!({ "id": counselor.staff_id }),
    )
    .await;
    assert_eq!(me_code(&app, &counselor.access).await.as_deref(), Some("UNAUTHENTICATED"));
}

const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }";

#[tokio::test]
async fn refresh_rotates_the_token_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let first = app.admin().await;

    let rotated = app.gql_ok(None, REFRESH, json!({ "t": first.refresh })).await;
    let second_access = rotated["refreshSession"]["accessToken"].as_str().expect("access").to_owned();
    let second_refresh = rotated["refreshSession"]["refreshToken"].as_str().expect("refresh").to_owned();
    assert_ne!(second_refresh, first.refresh, "a new refresh token every time");
    assert_eq!(me_code(&app, &second_access).await, None, "the new access token works");

    // Presenting the already-rotated token again: refused, and the whole family ends.
    assert_code(&app.gql(None, REFRESH, json!({ "t": first.refresh })).await, "UNAUTHENTICATED");
    assert_code(&app.gql(None, REFRESH, json!({ "t": second_refresh })).await, "UNAUTHENTICATED");
    assert_eq!(me_code(&app, &second_access).await.as_deref(), Some("UNAUTHENTICATED"));
    assert_eq!(me_code(&app, &first.access).await.as_deref(), Some("UNAUTHENTICATED"));

    // Other sessions of the same person are untouched.
    let other = app.admin().await;
    assert_eq!(me_code(&app, &other.access).await, None);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let session = app.admin().await;
    let data =
        app.gql_ok(None, "mutation($t: String!) { logout(refreshToken: $t) }", json!({ "t": session.refresh })).await;
    assert_eq!(data["logout"], true);
    assert_code(&app.gql(None, REFRESH, json!({ "t": session.refresh })).await, "UNAUTHENTICATED");
    assert_eq!(me_code(&app, &session.access).await.as_deref(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn an_unknown_refresh_token_is_unauthenticated() {
    let app = TestApp::spawn().await;
    assert_code(&app.gql(None, REFRESH, json!({ "t": "made-up" })).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn change_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let here = app.admin().await;
    let elsewhere = app.admin().await;
    let wrong = app
        .gql(Some(&here.access), "mutation { changePassword(currentPassword: \"wrong-wrong-wrong\", newPassword: \"sable-orchid-compass-77\") }", json!({}))
        .await;
    assert_code(&wrong, "BAD_USER_INPUT");
    assert_eq!(error_field(&wrong), Some("currentPassword"));

    let changed = app
        .gql_ok(
            Some(&here.access),
            "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: \"sable-orchid-compass-77\") }",
            json!({ "c": ADMIN_PASSWORD }),
        )
        .await;
    assert_eq!(changed["changePassword"], true);
    assert_eq!(me_code(&app, &here.access).await, None, "this session goes on");
    assert_eq!(me_code(&app, &elsewhere.access).await.as_deref(), Some("UNAUTHENTICATED"));
    assert_code(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, "UNAUTHENTICATED");
    app.session(ADMIN_EMAIL, "sable-orchid-compass-77").await;
}
