//! HTTP: the GraphQL endpoint and GraphiQL, health and readiness, metrics.

pub mod aftercare_page;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod origin;
pub mod privacy_pages;
pub mod reports;
pub mod request;
pub mod scope;
pub mod ws;

use axum::http::{HeaderValue, header};
use axum::{
    Router,
    extract::DefaultBodyLimit,
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::{
    catch_panic::CatchPanicLayer, limit::RequestBodyLimitLayer, set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
};

use crate::{
    graphql::{ContinuumSchema, build_schema},
    state::AppState,
};

#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: ContinuumSchema,
    /// Where introspection-only documents run outside production (`None` in production).
    pub introspection: Option<ContinuumSchema>,
    /// Permits to execute a GraphQL request (`CONTINUUM_MAX_CONCURRENT_REQUESTS`).
    pub executing: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The one router: the server and the tests use the same.
pub fn build_router(app: AppState) -> Router {
    let schema = build_schema(app.clone());
    let max_body = app.config.limits.max_body_bytes;
    let executing = std::sync::Arc::new(tokio::sync::Semaphore::new(app.config.max_concurrent_requests as usize));
    let cors = origin::cors(&app.config);
    let timeout = app.config.limits.request_timeout;
    let introspection = (!app.config.is_production()).then(|| crate::graphql::build_introspection_schema(app.clone()));
    let state = HttpState { app, schema, introspection, executing };
    Router::new()
        .route(
            "/graphql",
            get(graphiql::page).post(graphql::graphql).layer(axum::middleware::from_fn(graphql::require_json)),
        )
        .route("/graphiql/3.9.0/{file}", get(graphiql::asset))
        .route("/graphql/ws", get(ws::graphql_ws))
        // The request time limit holds for the CSV and the pages too (408 past it).
        .route(
            "/reports/follow-ups.csv",
            get(reports::follow_ups_csv)
                .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout)),
        )
        .route(
            "/reports/teds-admissions.csv",
            get(|s, r, a, h, q| reports::teds_csv(reports::TedsFile::Admissions, s, r, a, h, q))
                .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout)),
        )
        .route(
            "/reports/teds-discharges.csv",
            get(|s, r, a, h, q| reports::teds_csv(reports::TedsFile::Discharges, s, r, a, h, q))
                .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout)),
        )
        .route(
            "/clients/{id}/aftercare-plan",
            get(aftercare_page::page)
                .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout)),
        )
        .route(
            "/consents/{id}/form",
            get(privacy_pages::consent_form)
                .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout)),
        )
        .route(
            "/disclosures/{id}/record",
            get(privacy_pages::disclosure_record)
                .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout)),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route_layer(axum::middleware::from_fn(request::record_latency))
        // Bodies over the limit are refused with 413 before they are read whole.
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(CatchPanicLayer::custom(panic_response))
        // Client records must not linger in caches, be sniffed into another type, leak
        // through a Referer or be framed by another site.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(cors)
        .layer(axum::middleware::from_fn(request::observe))
        .with_state(state)
}

/// A panic outside GraphQL execution (which catches its own) becomes a plain 500 that
/// says nothing about the cause; the server keeps serving.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
}
