//! `POST /graphql` (single or batched operations) and GraphiQL on `GET /graphql`.

use std::panic::AssertUnwindSafe;

use async_graphql::ParseRequestError;
use async_graphql::{BatchRequest, BatchResponse, Response as GqlResponse, ServerError, http::GraphiQLSource};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse, rejection::GraphQLRejection};
use axum::{
    Extension,
    extract::State,
    http::{HeaderMap, StatusCode, header::AUTHORIZATION},
    response::{Html, IntoResponse, Response},
};
use futures_util::FutureExt;

use super::{HttpState, request::RequestId};
use crate::{
    auth::Auth,
    error::AppError,
    graphql::{
        context::{AuditTrail, ClientAddress},
        extensions,
    },
    service::{audit, session},
};

pub async fn graphiql(State(state): State<HttpState>) -> Response {
    if state.app.config.is_production() {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").finish()).into_response()
}

pub async fn graphql(
    State(state): State<HttpState>,
    Extension(request_id): Extension<RequestId>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    request: Result<GraphQLBatchRequest, GraphQLRejection>,
) -> Response {
    let request = match request {
        Ok(request) => request,
        Err(rejection) => return rejected(rejection),
    };
    execute(state, request_id, address, headers, request).await.into_response()
}

/// A body that is not a GraphQL request: 413 when it is too large (even when it came
/// without a length and was cut off while streaming), else 400 with a coded error.
fn rejected(rejection: GraphQLRejection) -> Response {
    let too_large = match &rejection.0 {
        ParseRequestError::PayloadTooLarge => true,
        ParseRequestError::Io(e) => e.to_string().contains("length limit exceeded"),
        _ => false,
    };
    if too_large {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response();
    }
    let body = serde_json::json!({ "errors": [{ "message": "not a valid GraphQL request", "extensions": { "code": "BAD_USER_INPUT" } }] });
    (StatusCode::BAD_REQUEST, [(axum::http::header::CONTENT_TYPE, "application/json")], body.to_string())
        .into_response()
}

async fn execute(
    state: HttpState,
    request_id: RequestId,
    address: ClientAddress,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> GraphQLResponse {
    // Wait in line for a turn: past the request time limit the answer is UNAVAILABLE.
    let limits = state.app.config.limits;
    let Ok(Ok(_turn)) = tokio::time::timeout(limits.request_timeout, state.executing.clone().acquire_owned()).await
    else {
        return single_error(AppError::Unavailable);
    };
    let header = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or_default());
    let auth = match session::authenticate(&state.app, header).await {
        Ok(Auth::Staff(mut viewer)) => {
            viewer.request_id = Some(request_id.0.clone());
            Auth::Staff(viewer)
        }
        Ok(other) => other,
        Err(err) => return single_error(err),
    };
    let mut request = request.into_inner();
    let has_nul = match &request {
        BatchRequest::Single(r) => carries_nul(r),
        BatchRequest::Batch(rs) => rs.iter().any(carries_nul),
    };
    if has_nul {
        return single_error(AppError::bad_input("text may not contain the NUL character (U+0000)"));
    }
    if let BatchRequest::Batch(operations) = &request
        && operations.len() > limits.max_batch
    {
        return single_error(AppError::bad_input(format!("a batch holds at most {} operations", limits.max_batch)));
    }
    // Parsed here once (execution reuses the document): the alias limit and the metrics.
    let inspected: Vec<Result<&'static str, ServerError>> = match &mut request {
        BatchRequest::Single(r) => vec![extensions::inspect(r, limits.max_aliases)],
        BatchRequest::Batch(rs) => rs.iter_mut().map(|r| extensions::inspect(r, limits.max_aliases)).collect(),
    };
    if let Some(refused) = inspected.iter().find_map(|i| i.as_ref().err()) {
        let mut response = GqlResponse::from_errors(vec![refused.clone()]);
        add_default_codes(&mut response);
        extensions::count_request("invalid", &response);
        return response.into();
    }
    let trail = AuditTrail::default();
    let request = request.data(auth).data(request_id).data(address).data(trail.clone());
    // A panic in a resolver ends this request with INTERNAL, not the connection or the
    // server; a request over the time limit ends with TIMEOUT instead of hanging.
    let execution = AssertUnwindSafe(state.schema.execute_batch(request)).catch_unwind();
    let mut response = match tokio::time::timeout(limits.request_timeout, execution).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) => {
            tracing::error!("a resolver panicked");
            return single_error(AppError::internal(anyhow::anyhow!("resolver panicked")));
        }
        Err(_) => return single_error(AppError::Timeout),
    };
    // Nothing read leaves without its audit events on record.
    if let Err(err) = audit::record(&state.app, trail.take()).await {
        return single_error(err);
    }
    let types = inspected.into_iter().map(|i| i.unwrap_or("invalid"));
    match &mut response {
        BatchResponse::Single(r) => {
            add_default_codes(r);
            types.take(1).for_each(|ty| extensions::count_request(ty, r));
        }
        BatchResponse::Batch(rs) => {
            for (r, ty) in rs.iter_mut().zip(types) {
                add_default_codes(r);
                extensions::count_request(ty, r);
            }
        }
    }
    response.into()
}

/// NUL is never meaningful in a name, a note or a key, and PostgreSQL cannot store it:
/// refuse it up front, for both databases alike.
fn carries_nul(request: &async_graphql::Request) -> bool {
    fn in_value(value: &async_graphql::Value) -> bool {
        match value {
            async_graphql::Value::String(s) => s.contains('\0'),
            async_graphql::Value::List(items) => items.iter().any(in_value),
            async_graphql::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || in_value(v)),
            _ => false,
        }
    }
    let query = request.query.to_ascii_lowercase();
    query.contains('\0')
        || query.contains("\\u0000")
        || query.contains("\\u{0}")
        || query.contains("\\u{00}")
        || query.contains("\\u{000}")
        || query.contains("\\u{0000}")
        || request.variables.iter().any(|(_, v)| in_value(v))
}

fn single_error(err: AppError) -> GraphQLResponse {
    let err: async_graphql::Error = err.into();
    GqlResponse::from_errors(vec![err.into_server_error(async_graphql::Pos::default())]).into()
}

/// Errors raised by async-graphql itself (syntax, validation, limits, bad variables) carry
/// no code: they are all the client's input.
fn add_default_codes(response: &mut GqlResponse) {
    for error in &mut response.errors {
        let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if !has_code {
            set_code(error, "BAD_USER_INPUT");
        }
    }
}

fn set_code(error: &mut ServerError, code: &str) {
    error.extensions.get_or_insert_with(Default::default).set("code", code);
}
