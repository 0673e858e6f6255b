//! GraphiQL, served from the binary: the page and its scripts (GraphiQL 3.9.0, React 18.3.1
//! production builds, graphql-ws 5.16.2, their licences in `assets/graphiql/LICENSES.txt`)
//! are compiled in, so it works with no network and no CDN, and the page's policy lets it
//! load nothing from anywhere else. Not served in production.

use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::HttpState;

/// Where the assets are served; the version in the path lets browsers keep them for good.
pub const ASSETS: &str = "/graphiql/3.9.0";

const FILES: &[(&str, &str, &[u8])] = &[
    ("graphiql.min.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/graphiql/graphiql.min.js")),
    ("graphiql.min.css", "text/css; charset=utf-8", include_bytes!("../../assets/graphiql/graphiql.min.css")),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    ("graphql-ws.min.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/graphiql/graphql-ws.min.js")),
    ("init.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/graphiql/init.js")),
    ("LICENSES.txt", "text/plain; charset=utf-8", include_bytes!("../../assets/graphiql/LICENSES.txt")),
];

/// Scripts from this server only; GraphiQL styles itself inline; requests to this origin
/// (the socket included).
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'none'";

pub async fn page(State(state): State<HttpState>) -> Response {
    if state.app.config.is_production() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Continuum GraphiQL</title>
<link rel="stylesheet" href="{ASSETS}/graphiql.min.css">
<style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="{ASSETS}/react.production.min.js"></script>
<script src="{ASSETS}/react-dom.production.min.js"></script>
<script src="{ASSETS}/graphql-ws.min.js"></script>
<script src="{ASSETS}/graphiql.min.js"></script>
<script src="{ASSETS}/init.js"></script>
</body>
</html>
"#
    );
    ([(header::CONTENT_SECURITY_POLICY, PAGE_POLICY), (header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

pub async fn asset(State(state): State<HttpState>, Path(file): Path<String>) -> Response {
    let found = FILES.iter().find(|(name, _, _)| *name == file);
    match found {
        Some((_, content_type, bytes)) if !state.app.config.is_production() => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
