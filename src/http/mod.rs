//! HTTP: the GraphQL endpoint and GraphiQL, health and readiness, metrics.

pub mod aftercare_page;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod reports;
pub mod request;
pub mod ws;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::{catch_panic::CatchPanicLayer, limit::RequestBodyLimitLayer};

use crate::{
    graphql::{ContinuumSchema, build_schema, build_ws_schema},
    state::AppState,
};

#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: ContinuumSchema,
    /// The same schema with the metrics and alias limit as extensions, for `/graphql/ws`.
    pub ws_schema: ContinuumSchema,
    /// Permits to execute a GraphQL request (`CONTINUUM_MAX_CONCURRENT_REQUESTS`).
    pub executing: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The one router: the server and the tests use the same.
pub fn build_router(app: AppState) -> Router {
    let schema = build_schema(app.clone());
    let ws_schema = build_ws_schema(app.clone());
    let max_body = app.config.limits.max_body_bytes;
    let executing = std::sync::Arc::new(tokio::sync::Semaphore::new(app.config.max_concurrent_requests as usize));
    let state = HttpState { app, schema, ws_schema, executing };
    Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::graphql))
        .route("/graphql/ws", get(ws::graphql_ws))
        .route("/reports/follow-ups.csv", get(reports::follow_ups_csv))
        .route("/clients/{id}/aftercare-plan", get(aftercare_page::page))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        // Bodies over the limit are refused with 413 before they are read whole.
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn(request::observe))
        .with_state(state)
}

/// A panic outside GraphQL execution (which catches its own) becomes a plain 500 that
/// says nothing about the cause; the server keeps serving.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
}
