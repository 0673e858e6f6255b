//! Which browser pages may call the API: the server's own, and those named in
//! `CONTINUUM_ALLOWED_ORIGINS`. CORS (`POST /graphql`, the CSV, the printable pages) and the
//! WebSocket `Origin` check read the same list, so a portal on another origin works on
//! every path and a hostile page on none.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Config;

/// A request with no `Origin` does not come from a page script (a native client, curl, a
/// server); one with an `Origin` must be the server's own or on the list.
pub fn allowed(config: &Config, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Ok(origin) = origin.to_str() else { return false };
    let origin = origin.to_ascii_lowercase();
    if config.allowed_origins.contains(&origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_ascii_lowercase);
    host.is_some_and(|host| origin == format!("http://{host}") || origin == format!("https://{host}"))
}

/// Answers preflights and adds the CORS headers for the listed origins only. Bearer tokens
/// travel in a header, so credentials (cookies) are never allowed.
pub fn cors(config: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> =
        config.allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(600))
}
