//! Reaching request data from a resolver without `unwrap`, and noting what the request
//! read for the audit trail.

use std::sync::{Arc, Mutex};

use async_graphql::Context;
use uuid::Uuid;

use crate::{
    auth::{Auth, Viewer},
    error::{AppError, AppResult},
    http::request::RequestId,
    service::audit::{AuditOutcome, Event},
    state::AppState,
};

/// The audit events a request collects while it runs; the HTTP handler appends them to the
/// trail before the response leaves, and answers with an error if it cannot.
#[derive(Clone, Default)]
pub struct AuditTrail(Arc<Mutex<Vec<Event>>>);

impl AuditTrail {
    pub fn push(&self, event: Event) {
        if let Ok(mut events) = self.0.lock() {
            events.push(event);
        }
    }

    pub fn take(&self) -> Vec<Event> {
        self.0.lock().map(|mut e| std::mem::take(&mut *e)).unwrap_or_default()
    }
}

/// The network address a request came from, if known.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

pub trait ContextExt {
    fn state(&self) -> AppResult<&AppState>;
    fn viewer(&self) -> AppResult<&Viewer>;
    fn request_id(&self) -> Option<String>;
    /// The field's arguments, variables resolved, as canonical JSON: what an idempotency
    /// key's request is compared by.
    fn arguments_json(&self) -> AppResult<String>;
    fn client_address(&self) -> Option<std::net::IpAddr>;
    /// Notes that the request read these clients' records through `field`.
    fn audit_reads(&self, field: &str, client_ids: impl IntoIterator<Item = Uuid>);
    /// Notes a refused attempt on a client's record (`client_id` when known).
    fn audit_denied(&self, field: &str, client_id: Option<Uuid>);
    /// Notes a report over the caller's clients (no single client).
    fn audit_aggregate(&self, field: &str);
}

impl ContextExt for Context<'_> {
    fn state(&self) -> AppResult<&AppState> {
        self.data::<AppState>().map_err(|_| AppError::internal(anyhow::anyhow!("AppState missing from schema data")))
    }

    fn viewer(&self) -> AppResult<&Viewer> {
        self.data_opt::<Auth>().ok_or(AppError::Unauthenticated(crate::auth::TokenProblem::Missing))?.viewer()
    }

    fn request_id(&self) -> Option<String> {
        self.data_opt::<RequestId>().map(|r| r.0.clone())
    }

    fn arguments_json(&self) -> AppResult<String> {
        let arguments = self.field().arguments().map_err(|e| AppError::bad_input(e.message))?;
        let map: std::collections::BTreeMap<String, async_graphql::Value> =
            arguments.into_iter().map(|(name, value)| (name.to_string(), value)).collect();
        serde_json::to_string(&map).map_err(AppError::internal)
    }

    fn client_address(&self) -> Option<std::net::IpAddr> {
        self.data_opt::<ClientAddress>().and_then(|a| a.0)
    }

    fn audit_reads(&self, field: &str, client_ids: impl IntoIterator<Item = Uuid>) {
        let (Ok(viewer), Some(trail)) = (self.viewer(), self.data_opt::<AuditTrail>()) else { return };
        let mut seen = std::collections::HashSet::new();
        for id in client_ids.into_iter().filter(|id| seen.insert(*id)) {
            trail.push(Event::by(viewer, "read", Some(id), AuditOutcome::Allowed).with_field(field));
        }
    }

    fn audit_aggregate(&self, field: &str) {
        if let (Ok(viewer), Some(trail)) = (self.viewer(), self.data_opt::<AuditTrail>()) {
            trail.push(Event::by(viewer, field, None, AuditOutcome::Allowed));
        }
    }

    fn audit_denied(&self, field: &str, client_id: Option<Uuid>) {
        let Some(trail) = self.data_opt::<AuditTrail>() else { return };
        if let Ok(viewer) = self.viewer() {
            trail.push(Event::by(viewer, field, client_id, AuditOutcome::Denied));
        }
    }
}
