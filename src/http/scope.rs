//! One request scope for every transport: `POST /graphql`, each WebSocket operation, the CSV
//! and the printable page. It carries the caller, the request id, the client's address, the
//! audit trail of what the request read, the deadline and (for requests that execute) a
//! turn among the requests running at once. A guard added here holds on every path.

use async_graphql::{BatchRequest, Request};
use axum::http::{HeaderMap, header::AUTHORIZATION};
use tokio::{sync::OwnedSemaphorePermit, time::Instant};

use super::{HttpState, request::RequestId};
use crate::{
    auth::{Auth, Viewer},
    error::{AppError, AppResult},
    graphql::context::{AuditTrail, ClientAddress},
    service::{audit, session},
    state::AppState,
};

pub struct RequestScope {
    pub auth: Auth,
    pub request_id: RequestId,
    pub address: ClientAddress,
    pub trail: AuditTrail,
    pub deadline: Instant,
    _turn: Option<OwnedSemaphorePermit>,
}

impl RequestScope {
    /// A request that executes now: it waits for a turn among those running at once
    /// (`CONTINUUM_MAX_CONCURRENT_REQUESTS`), `UNAVAILABLE` past its deadline.
    pub async fn begin(http: &HttpState, request_id: RequestId, address: ClientAddress) -> AppResult<RequestScope> {
        let deadline = Instant::now() + http.app.config.limits.request_timeout;
        let turn = tokio::time::timeout_at(deadline, http.executing.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Unavailable)?
            .map_err(|_| AppError::Unavailable)?;
        Ok(RequestScope::new(request_id, address, deadline, Some(turn)))
    }

    /// A subscription on a socket: it lives as long as the subscriber listens, so it takes
    /// no turn and keeps no deadline of its own (the socket's watchdog ends it).
    pub fn subscription(request_id: RequestId, address: ClientAddress) -> RequestScope {
        let far = Instant::now() + std::time::Duration::from_secs(365 * 24 * 3600);
        RequestScope::new(request_id, address, far, None)
    }

    fn new(
        request_id: RequestId,
        address: ClientAddress,
        deadline: Instant,
        turn: Option<OwnedSemaphorePermit>,
    ) -> Self {
        RequestScope { auth: Auth::Anonymous, request_id, address, trail: AuditTrail::default(), deadline, _turn: turn }
    }

    /// The caller behind an `Authorization` value, checked on the service clock.
    pub async fn authenticate(&mut self, app: &AppState, authorization: Option<&str>) -> AppResult<()> {
        self.auth = match session::authenticate(app, authorization).await? {
            Auth::Staff(mut viewer) => {
                viewer.request_id = Some(self.request_id.0.clone());
                Auth::Staff(viewer)
            }
            other => other,
        };
        Ok(())
    }

    /// The signed-in caller, or `UNAUTHENTICATED`.
    pub fn viewer(&self) -> AppResult<&Viewer> {
        self.auth.viewer()
    }

    /// Notes an audit event of the request (flushed by [`RequestScope::finish`]).
    pub fn audit(&self, event: audit::Event) {
        self.trail.push(event);
    }

    /// Hands the scope to GraphQL execution: resolvers reach it through the context.
    pub fn attach(&self, request: BatchRequest) -> BatchRequest {
        match request {
            BatchRequest::Single(one) => BatchRequest::Single(self.attach_one(one)),
            BatchRequest::Batch(many) => BatchRequest::Batch(many.into_iter().map(|r| self.attach_one(r)).collect()),
        }
    }

    pub fn attach_one(&self, request: Request) -> Request {
        request.data(self.auth.clone()).data(self.request_id.clone()).data(self.address).data(self.trail.clone())
    }

    /// Runs `work` within the deadline: `TIMEOUT` past it.
    pub async fn within<T>(&self, work: impl Future<Output = AppResult<T>>) -> AppResult<T> {
        tokio::time::timeout_at(self.deadline, work).await.map_err(|_| AppError::Timeout)?
    }

    /// Nothing read leaves without its audit events on record: the response waits for them,
    /// and fails if they cannot be written.
    pub async fn finish(&self, app: &AppState) -> AppResult<()> {
        audit::record(app, self.trail.take()).await
    }
}

/// Runs a plain HTTP endpoint (the CSV, the printable page) in a scope: a turn, the caller
/// from its bearer token, the deadline, and the audit flush — also when the endpoint
/// refuses, so that its DENIED event is on record.
pub async fn plain<T>(
    http: &HttpState,
    request_id: RequestId,
    address: ClientAddress,
    headers: &HeaderMap,
    work: impl AsyncFnOnce(&RequestScope) -> AppResult<T>,
) -> AppResult<T> {
    let mut scope = RequestScope::begin(http, request_id, address).await?;
    let authorization = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or_default());
    scope.authenticate(&http.app, authorization).await?;
    let result = scope.within(work(&scope)).await;
    scope.finish(&http.app).await?;
    result
}
