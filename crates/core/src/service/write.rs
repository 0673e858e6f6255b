//! The one write path. Every mutation runs through [`write`] (or, for sign-in flows that
//! have no caller yet, [`transact`]):
//!
//! 1. the caller's role is checked against the operation's [`Who`]; a refusal is audited
//!    as `DENIED` and nothing is opened;
//! 2. a write transaction begins (`BEGIN IMMEDIATE` on SQLite);
//! 3. the body loads, checks versions and rules, and writes, through a [`Tx`] on which it
//!    notes the audit events and caseload events of the change;
//! 4. the audit events are appended to the chain and the transaction commits — the change
//!    and its record stand or fall together;
//! 5. only then are the caseload events published;
//! 6. a transaction that lost a race the database could not serialize is run again, whole
//!    (up to five attempts); a refusal from the scope (`NOT_FOUND`, `FORBIDDEN`, no
//!    consent) is rolled back and audited as `DENIED` against the client it was aimed at.

use std::future::Future;

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::{
    auth::Viewer,
    db,
    error::{AppError, AppResult},
    events::{CaseloadEvent, CaseloadEventKind},
    service::audit::{self, AuditOutcome, Event, Target, client_of},
    state::AppState,
};

/// Who may run an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Treatment staff (supervisors and counselors): client records are theirs, not IT's.
    Clinical,
    Admin,
    /// Anyone signed in (their own account).
    SignedIn,
}

impl Who {
    pub fn check(self, viewer: &Viewer) -> AppResult<()> {
        match self {
            Who::Clinical => viewer.require_clinical(),
            Who::Admin => viewer.require_admin(),
            Who::SignedIn => Ok(()),
        }
    }
}

/// What a write is: its name in the audit trail, who may run it, and the record it aims at
/// (for the audit event of a refusal).
#[derive(Debug, Clone, Copy)]
pub struct Write {
    pub action: &'static str,
    pub who: Who,
    pub target: Target,
}

impl Write {
    pub fn new(action: &'static str, who: Who, target: Target) -> Self {
        Write { action, who, target }
    }
}

/// A write in progress: the transaction, and what the change will record and announce.
pub struct Tx {
    txn: DatabaseTransaction,
    state: AppState,
    viewer: Option<Viewer>,
    action: &'static str,
    audit: Vec<Event>,
    events: Vec<CaseloadEvent>,
}

impl Tx {
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The caller. Sign-in flows (no caller) never ask.
    pub fn viewer(&self) -> AppResult<&Viewer> {
        self.viewer.as_ref().ok_or(AppError::Unauthenticated(crate::auth::TokenProblem::Missing))
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.now()
    }

    /// The change's own `ALLOWED` event on `client_id`.
    pub fn changed(&mut self, client_id: Option<Uuid>) -> AppResult<()> {
        let event = Event::by(self.viewer()?, self.action, client_id, AuditOutcome::Allowed);
        self.audit.push(event);
        Ok(())
    }

    /// Any other event the change records (with a detail, another action, or no caller).
    pub fn audit(&mut self, event: Event) {
        self.audit.push(event);
    }

    /// Announced to subscribers once the transaction has committed.
    pub fn publish(&mut self, kind: CaseloadEventKind, client_id: Uuid, subject_id: Option<Uuid>) -> AppResult<()> {
        let actor = self.viewer()?.staff_id;
        self.events.push(CaseloadEvent::new(kind, client_id, actor, subject_id, self.state.now()));
        Ok(())
    }

    async fn commit(self) -> AppResult<(AppState, Vec<CaseloadEvent>)> {
        if !self.audit.is_empty() {
            audit::append(&self.txn, &self.state, self.audit).await?;
        }
        // The retry tests make a write lose its race here, at the last moment, with the
        // change and its audit events written but not committed.
        if self.state.config.fault_injection && self.state.contention.take() {
            return Err(AppError::Contention);
        }
        self.txn.commit().await?;
        Ok((self.state, self.events))
    }
}

const ATTEMPTS: u32 = 5;

/// Runs `body` in a write transaction: append its audit events, commit, publish its events;
/// again, whole, when it lost a race.
pub async fn transact<T, F, Fut>(
    state: &AppState,
    viewer: Option<&Viewer>,
    action: &'static str,
    mut body: F,
) -> AppResult<T>
where
    F: FnMut(Tx) -> Fut,
    Fut: Future<Output = AppResult<(Tx, T)>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        let attempt = async {
            let txn = db::begin_write(&state.db).await?;
            let tx = Tx {
                txn,
                state: state.clone(),
                viewer: viewer.cloned(),
                action,
                audit: Vec::new(),
                events: Vec::new(),
            };
            let (tx, value) = body(tx).await?;
            let (state, events) = tx.commit().await?;
            Ok::<_, AppError>((state, events, value))
        };
        match attempt.await {
            Ok((state, events, value)) => {
                for event in events {
                    state.events.publish(event).await;
                }
                return Ok(value);
            }
            Err(AppError::Contention) if tries < ATTEMPTS => {
                let jitter = u64::from(rand::random::<u8>() % 20);
                tokio::time::sleep(std::time::Duration::from_millis(10 * u64::from(tries) + jitter)).await;
                tracing::debug!(tries, action, "retrying a write that lost a race");
            }
            Err(err) => return Err(err),
        }
    }
}

/// Runs a mutation of `viewer`'s: the role check, then [`transact`]; a refusal at either
/// step leaves one `DENIED` event.
pub async fn write<T, F, Fut>(state: &AppState, viewer: &Viewer, write: Write, body: F) -> AppResult<T>
where
    F: FnMut(Tx) -> Fut,
    Fut: Future<Output = AppResult<(Tx, T)>>,
{
    authorize(state, viewer, write).await?;
    let result = transact(state, Some(viewer), write.action, body).await;
    if let Err(refusal) = &result {
        denied(state, viewer, write, refusal).await?;
    }
    result
}

/// The role check alone, audited when it refuses: for a mutation with slow work to do
/// before its transaction (hashing a password), so that the work is not done for a caller
/// who may not ask. [`write`] checks again.
pub async fn authorize(state: &AppState, viewer: &Viewer, write: Write) -> AppResult<()> {
    let checked = write.who.check(viewer);
    if let Err(refusal) = &checked {
        denied(state, viewer, write, refusal).await?;
    }
    checked
}

/// A refusal from the role or the scope goes into the trail against the client it was
/// aimed at; other errors (bad input, conflicts) are the caller's to fix, not denials.
async fn denied(state: &AppState, viewer: &Viewer, write: Write, refusal: &AppError) -> AppResult<()> {
    if !matches!(refusal, AppError::NotFound | AppError::Forbidden(_) | AppError::ConsentRequired(_)) {
        return Ok(());
    }
    let client = client_of(&state.db, write.target).await;
    let event = Event::by(viewer, write.action, client, AuditOutcome::Denied).with_detail(refusal.public_message());
    audit::record(state, vec![event]).await
}
