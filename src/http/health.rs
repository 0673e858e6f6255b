use axum::{extract::State, http::StatusCode};

use super::HttpState;

/// 200 while the process runs.
pub async fn healthz() -> &'static str {
    "ok"
}

/// 200 when the database answers within two seconds, else 503.
pub async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    if crate::db::ping(&state.app.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}
