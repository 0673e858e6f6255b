//! Automatic logoff, on the service clock rather than by sleeping: a session ends after
//! the idle limit without use and after the absolute limit whatever the use; access tokens
//! expire on their own; both limits are settings.

use chrono::Duration;
use continuum::domain::Role;
use serde_json::{Value, json};

use crate::helpers::*;

const ME: &str = "{ me { id role } }";
const REFRESH: &str =
    "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken expiresAt staff { id } } }";

/// Exchanges the refresh token: the new (access, refresh) pair, or the whole error response.
async fn refresh(app: &TestApp, token: &str) -> Result<(String, String), Value> {
    let response = app.gql(None, REFRESH, json!({ "t": token })).await;
    match response["data"]["refreshSession"]["refreshToken"].as_str() {
        Some(refresh) if response["errors"].is_null() => {
            let access = response["data"]["refreshSession"]["accessToken"].as_str().unwrap_or_default();
            Ok((access.to_owned(), refresh.to_owned()))
        }
        _ => Err(response),
    }
}

#[track_caller]
fn assert_ended(result: Result<(String, String), Value>) {
    match result {
        Ok(_) => panic!("the session should have ended"),
        Err(response) => assert_code(&response, "UNAUTHENTICATED"),
    }
}

async fn me_ok(app: &TestApp, access: &str) -> bool {
    let response = app.gql(Some(access), ME, json!({})).await;
    response["errors"].is_null() && response["data"]["me"]["id"].is_string()
}

async fn revocations(app: &TestApp, staff_id: &str) -> Vec<String> {
    let admin = app.admin().await;
    let data = app
        .gql_ok(
            Some(&admin.access),
            "query($s: ID!) { auditEvents(filter: { staffId: $s }, first: 100) { nodes { action detail } } }",
            json!({ "s": staff_id }),
        )
        .await;
    let events = data["auditEvents"]["nodes"].as_array().cloned().unwrap_or_default();
    events
        .iter()
        .filter(|e| e["action"] == "sessionRevoked")
        .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_session_unused_for_the_idle_limit_cannot_be_refreshed() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    app.clock.advance(Duration::minutes(16));
    assert_ended(refresh(&app, &me.refresh).await);
    assert!(!me_ok(&app, &me.access).await, "the access token is no good either");
    // Once ended, it stays ended even if the clock allowed it.
    assert_ended(refresh(&app, &me.refresh).await);
    assert_eq!(revocations(&app, &me.staff_id).await, ["idle timeout"]);
}

#[tokio::test]
async fn a_session_used_within_the_idle_limit_lives_on() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    app.clock.advance(Duration::minutes(10));
    let (access, token) = refresh(&app, &me.refresh).await.expect("used within the limit");
    assert!(me_ok(&app, &access).await);
    app.clock.advance(Duration::minutes(10));
    let (access, _) = refresh(&app, &token).await.expect("20 minutes in, used every 10");
    assert!(me_ok(&app, &access).await);
}

#[tokio::test]
async fn using_the_access_token_counts_as_use() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    app.clock.advance(Duration::minutes(10));
    assert!(me_ok(&app, &me.access).await, "the access token is good for 15 minutes");
    app.clock.advance(Duration::minutes(10));
    // 20 minutes after sign-in, 10 after the last request: not idle.
    refresh(&app, &me.refresh).await.expect("a request 10 minutes ago keeps the session alive");
}

#[tokio::test]
async fn the_absolute_limit_ends_every_session_however_busy() {
    let app = TestApp::spawn().await;
    app.create_staff("busy@sessions.test", "Busy Counselor", Role::Counselor, None).await;
    let me = app.session("busy@sessions.test", PASSWORD).await;
    let mut token = me.refresh.clone();
    for step in 1..=47 {
        app.clock.advance(Duration::minutes(10));
        token = refresh(&app, &token).await.unwrap_or_else(|e| panic!("refresh at {} min: {e}", step * 10)).1;
    }
    app.clock.advance(Duration::minutes(9));
    let (access, token) = refresh(&app, &token).await.expect("refresh at 479 min");
    assert!(me_ok(&app, &access).await, "still within 8 hours");

    // Two minutes later, past 8 hours, with the session busy and the access token fresh.
    app.clock.advance(Duration::minutes(2));
    assert!(!me_ok(&app, &access).await, "the latest access token is refused after 8 hours");
    assert_ended(refresh(&app, &token).await);
    assert!(!me_ok(&app, &access).await);
    assert_eq!(revocations(&app, &me.staff_id).await, ["absolute timeout"]);

    // Signing in again opens a new session.
    let again = app.session("busy@sessions.test", PASSWORD).await;
    assert!(me_ok(&app, &again.access).await);
}

#[tokio::test]
async fn the_idle_limit_is_a_setting() {
    let app = TestApp::spawn_with(&[("CONTINUUM_SESSION_IDLE_MINUTES", "5")]).await;
    let idle = app.login_as(Role::Counselor).await;
    let busy = app.login_as(Role::Counselor).await;
    app.clock.advance(Duration::minutes(4));
    let (_, busy_token) = refresh(&app, &busy.refresh).await.expect("4 minutes is within 5");
    app.clock.advance(Duration::minutes(2));
    assert_ended(refresh(&app, &idle.refresh).await);
    assert!(!me_ok(&app, &idle.access).await, "6 minutes idle ends the session");
    refresh(&app, &busy_token).await.expect("2 minutes since the last use");
}

#[tokio::test]
async fn the_absolute_limit_is_a_setting() {
    let app = TestApp::spawn_with(&[("CONTINUUM_SESSION_ABSOLUTE_HOURS", "1")]).await;
    let me = app.login_as(Role::Counselor).await;
    let mut token = me.refresh.clone();
    for _ in 0..5 {
        app.clock.advance(Duration::minutes(10));
        token = refresh(&app, &token).await.expect("within the hour").1;
    }
    app.clock.advance(Duration::minutes(9));
    let (access, token) = refresh(&app, &token).await.expect("59 minutes");
    app.clock.advance(Duration::minutes(2));
    assert!(!me_ok(&app, &access).await);
    assert_ended(refresh(&app, &token).await);
}

#[tokio::test]
async fn an_expired_access_token_is_unauthenticated() {
    // A long idle limit, so that only the token's own 15 minutes are at stake.
    let app = TestApp::spawn_with(&[("CONTINUUM_SESSION_IDLE_MINUTES", "60")]).await;
    let me = app.login_as(Role::Counselor).await;
    assert!(me_ok(&app, &me.access).await);
    app.clock.advance(Duration::minutes(16));
    let expired = app.gql(Some(&me.access), ME, json!({})).await;
    assert_code(&expired, "UNAUTHENTICATED");
    assert_eq!(expired["data"], Value::Null, "{expired}");
    // The session itself is alive: a refresh brings a token that works.
    let (access, _) = refresh(&app, &me.refresh).await.expect("the session outlives the access token");
    assert!(me_ok(&app, &access).await);
}

#[tokio::test]
async fn an_expired_access_token_is_unauthenticated_with_default_settings() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    app.clock.advance(Duration::minutes(16));
    assert_code(&app.gql(Some(&me.access), ME, json!({})).await, "UNAUTHENTICATED");
}
