//! Prometheus text format. The recorder is process-wide (the `metrics` facade is global),
//! installed once however many servers a process runs.

use std::sync::OnceLock;

use axum::{extract::State, http::header, response::IntoResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::HttpState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

pub async fn render(State(state): State<HttpState>) -> impl IntoResponse {
    record_pool(&state);
    let body = handle().map(PrometheusHandle::render).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

fn record_pool(state: &HttpState) {
    let (size, idle) = crate::db::pool_use(&state.app.db);
    metrics::gauge!("continuum_db_pool_connections", "state" => "open").set(f64::from(size));
    metrics::gauge!("continuum_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("continuum_db_pool_connections", "state" => "in_use")
        .set(f64::from(size).max(idle as f64) - idle as f64);
    metrics::gauge!("continuum_sql_statements_total").set(state.app.statements.get() as f64);
}
