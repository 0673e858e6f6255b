//! HTTP: the GraphQL endpoint and GraphiQL, health and readiness, metrics.

pub mod aftercare_page;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod reports;
pub mod request;
pub mod ws;

use axum::{Router, extract::DefaultBodyLimit, routing::get};

use crate::{
    graphql::{ContinuumSchema, Limits, build_schema},
    state::AppState,
};

/// Requests larger than this are refused with 413 before they are read whole.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: ContinuumSchema,
}

/// The one router: the server and the tests use the same.
pub fn build_router(app: AppState) -> Router {
    let schema = build_schema(app.clone(), Limits::default());
    let state = HttpState { app, schema };
    Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::graphql))
        .route("/graphql/ws", get(ws::graphql_ws))
        .route("/reports/follow-ups.csv", get(reports::follow_ups_csv))
        .route("/clients/{id}/aftercare-plan", get(aftercare_page::page))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(request::observe))
        .with_state(state)
}
