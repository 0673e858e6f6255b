//! Per-request plumbing: a request id (taken from `x-request-id` when it is sane, else a new
//! UUIDv7), a tracing span carrying it, one log line per request, the latency histogram.

use std::{net::SocketAddr, time::Instant};

use axum::{
    extract::{ConnectInfo, MatchedPath, Request},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

use crate::graphql::context::ClientAddress;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn incoming_id(request: &Request) -> Option<String> {
    let value = request.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let sane = !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    sane.then(|| value.to_owned())
}

pub async fn observe(mut request: Request, next: Next) -> Response {
    let id = incoming_id(&request).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    // The socket peer, for sign-in throttling. Behind a reverse proxy every request shares
    // the proxy's address: throttle there too, or put Continuum where it sees clients.
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    request.extensions_mut().insert(ClientAddress(peer));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    span.in_scope(|| {
        tracing::info!(%method, %path, status = response.status().as_u16(), duration_ms = elapsed.as_secs_f64() * 1e3, "request");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    response
}

/// The latency histogram, labelled by the route that matched (`/clients/{id}/aftercare-plan`,
/// not the path with its id: a series per client would be unbounded). A `route_layer`, so
/// it runs after routing and only for the server's own routes.
pub async fn record_latency(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics::histogram!("continuum_http_request_duration_seconds", "path" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
