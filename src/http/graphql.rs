//! `POST /graphql` (single or batched operations) and GraphiQL on `GET /graphql`.

use std::panic::AssertUnwindSafe;

use async_graphql::ParseRequestError;
use async_graphql::{BatchRequest, BatchResponse, Response as GqlResponse, ServerError};

use crate::graphql::order::Plan;
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse, rejection::GraphQLRejection};
use axum::{
    Extension,
    extract::State,
    http::{HeaderMap, StatusCode, header::AUTHORIZATION},
    response::{IntoResponse, Response},
};
use futures_util::FutureExt;

use super::{HttpState, request::RequestId, scope::RequestScope};
use crate::{
    config::Limits,
    error::{AppError, AppResult},
    graphql::{
        admission::{self, OperationKind},
        context::ClientAddress,
        extensions,
    },
};

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
    let mut scope = match RequestScope::begin(&state, request_id, address).await {
        Ok(scope) => scope,
        Err(err) => return single_error(err),
    };
    // One deadline for the whole request: admission, authentication, execution and the
    // audit flush.
    let deadline = scope.deadline;
    let work = admitted(&state, &mut scope, headers, request);
    match tokio::time::timeout_at(deadline, work).await.unwrap_or(Err(AppError::Timeout)) {
        Ok(response) => response,
        Err(err) => single_error(err),
    }
}

/// Documents this large are parsed and measured on the blocking pool, so that the runtime
/// workers keep answering other requests (health checks among them) meanwhile.
const PARSE_OFF_RUNTIME_BYTES: usize = 8 * 1024;

type Verdicts = Vec<Result<OperationKind, ServerError>>;

/// Admits every operation ([`admission::admit`]); the parsed documents are kept for
/// execution. Large documents are handled off the runtime.
async fn admit_all(mut request: BatchRequest, limits: Limits) -> (BatchRequest, Verdicts) {
    fn run(request: &mut BatchRequest, limits: &Limits) -> Verdicts {
        match request {
            BatchRequest::Single(r) => vec![admission::admit(r, limits)],
            BatchRequest::Batch(rs) => rs.iter_mut().map(|r| admission::admit(r, limits)).collect(),
        }
    }
    let size: usize = request.iter().map(|r| r.query.len()).sum();
    if size < PARSE_OFF_RUNTIME_BYTES {
        let verdicts = run(&mut request, &limits);
        return (request, verdicts);
    }
    match tokio::task::spawn_blocking(move || {
        let verdicts = run(&mut request, &limits);
        (request, verdicts)
    })
    .await
    {
        Ok(done) => done,
        Err(_) => (BatchRequest::Batch(Vec::new()), vec![Err(internal_error())]),
    }
}

fn internal_error() -> ServerError {
    let err = crate::graphql::error::to_graphql(AppError::internal(anyhow::anyhow!("admission panicked")));
    err.into_server_error(async_graphql::Pos::default())
}

async fn admitted(
    state: &HttpState,
    scope: &mut RequestScope,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> AppResult<GraphQLResponse> {
    let limits = state.app.config.limits;
    let request = request.into_inner();
    if let BatchRequest::Batch(operations) = &request
        && operations.len() > limits.max_batch
    {
        return Err(AppError::bad_input(format!("a batch holds at most {} operations", limits.max_batch)));
    }
    // Bounded before anything is parsed deeply, validated or executed.
    let (request, verdicts) = admit_all(request, limits).await;
    if let Some(refused) = verdicts.iter().find_map(|v| v.as_ref().err()) {
        let mut response = GqlResponse::from_errors(vec![refused.clone()]);
        add_default_codes(&mut response);
        extensions::count_request("invalid", &response);
        return Ok(response.into());
    }
    let mut request = request;
    let mut requests: Vec<&mut async_graphql::Request> = match &mut request {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(rs) => rs.iter_mut().collect(),
    };
    if state.introspection.is_none() && requests.iter_mut().any(|r| admission::asks_for_schema(r)) {
        let mut response = GqlResponse::from_errors(vec![admission::introspection_refused()]);
        extensions::count_request("invalid", &response);
        add_default_codes(&mut response);
        return Ok(response.into());
    }
    let schema = match &state.introspection {
        Some(unlimited) if requests.iter_mut().all(|r| admission::introspection_only(r)) => unlimited,
        _ => &state.schema,
    };
    let header = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or_default());
    scope.authenticate(&state.app, header).await?;
    // The order each response's keys go back in, from the documents admission parsed.
    let plans: Vec<Option<Plan>> = match &mut request {
        BatchRequest::Single(r) => vec![plan_of(r)],
        BatchRequest::Batch(rs) => rs.iter_mut().map(plan_of).collect(),
    };
    let request = scope.attach(request);
    // A panic in a resolver ends this request with INTERNAL, not the connection or the
    // server.
    let execution = AssertUnwindSafe(schema.execute_batch(request)).catch_unwind();
    let mut response = execution.await.map_err(|_| {
        tracing::error!("a resolver panicked");
        AppError::internal(anyhow::anyhow!("resolver panicked"))
    })?;
    scope.finish(&state.app).await?;
    let kinds = verdicts.into_iter().map(|v| v.map_or("invalid", OperationKind::label));
    match &mut response {
        BatchResponse::Single(r) => {
            add_default_codes(r);
            kinds.take(1).for_each(|kind| extensions::count_request(kind, r));
            if let Some(Some(plan)) = plans.first() {
                plan.apply(&mut r.data);
            }
        }
        BatchResponse::Batch(rs) => {
            for ((r, kind), plan) in rs.iter_mut().zip(kinds).zip(&plans) {
                add_default_codes(r);
                extensions::count_request(kind, r);
                if let Some(plan) = plan {
                    plan.apply(&mut r.data);
                }
            }
        }
    }
    Ok(response.into())
}

/// The selection order of an admitted (so already parsed) request.
pub fn plan_of(request: &mut async_graphql::Request) -> Option<Plan> {
    let name = request.operation_name.clone();
    request.parsed_query().ok().and_then(|document| Plan::of(document, name.as_deref()))
}

/// `POST /graphql` executes JSON bodies only. A page on any site can make a browser send
/// `text/plain`, form or multipart bodies without a preflight (a cross-site request
/// forgery); JSON needs a preflight, which CORS answers for the allowed origins only.
pub async fn require_json(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let essence = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json" | "application/graphql-response+json") => next.run(request).await,
        _ => {
            let body = serde_json::json!({ "errors": [{
                "message": "POST /graphql takes a JSON body (Content-Type: application/json)",
                "extensions": { "code": "BAD_USER_INPUT" }
            }] });
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
        }
    }
}

fn single_error(err: AppError) -> GraphQLResponse {
    let err = crate::graphql::error::to_graphql(err);
    GqlResponse::from_errors(vec![err.into_server_error(async_graphql::Pos::default())]).into()
}

/// Errors raised by async-graphql itself (syntax, validation, limits, bad variables) carry
/// no code: they are all the client's input.
pub fn add_default_codes(response: &mut GqlResponse) {
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
