//! The audit trail (HIPAA 164.312(b)): one event for every read or change of a client's
//! record, allowed or denied, and for sign-ins, sign-outs, session revocations and staff
//! changes. Events are appended in the same transaction as the change they record, each
//! carrying the hash of the one before it in its chain, so a change never exists without
//! its event and a row edited behind the database's back breaks the chain (`continuum
//! audit verify`). The trail is [`CHAINS`] chains appended side by side: a chain's head is
//! locked from the append to the commit, and with one chain every audited change in the
//! system waited for the one before it. A client's changes always go to the same chain.
//! The table itself refuses UPDATE and DELETE (triggers, on both databases).

use std::{collections::HashSet, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    db,
    domain::Role,
    entity::{audit_event, audit_head, emergency_grant},
    error::{AppError, AppResult},
    service::pagination::{Page, PageRequest},
    state::AppState,
};

/// How many chains the trail has, and the value the first event of a chain points back at
/// (distinct per chain, so an event moved to another chain breaks both): defined with the
/// migration that made the chains' heads.
pub use migration::{AUDIT_CHAINS as CHAINS, genesis};

/// The chain a set of events goes to: the client's when they are all about one client (so
/// one client's events are in order in one chain), else any.
fn chain_for(events: &[Event]) -> i32 {
    let one_client =
        events.first().and_then(|e| e.client_id).filter(|c| events.iter().all(|e| e.client_id == Some(*c)));
    let key = one_client.map_or_else(rand::random::<u128>, |c| c.as_u128());
    let chains = u128::try_from(CHAINS).unwrap_or(1);
    i32::try_from(key % chains).unwrap_or(0) + 1
}

pub use crate::domain::privacy::AuditOutcome;

/// An event before it takes its place in the chain.
#[derive(Debug, Clone)]
pub struct Event {
    pub staff_id: Option<Uuid>,
    pub staff_role: Option<Role>,
    /// The operation: a GraphQL field (`changeStage`, `clients`) or an HTTP report.
    pub action: String,
    /// Where in the request the client was touched (the root field or path).
    pub field: Option<String>,
    pub client_id: Option<Uuid>,
    pub outcome: AuditOutcome,
    pub request_id: Option<String>,
    /// A short, content-free note (never names or record text).
    pub detail: Option<String>,
}

impl Event {
    pub fn by(viewer: &Viewer, action: &str, client_id: Option<Uuid>, outcome: AuditOutcome) -> Self {
        Event {
            staff_id: Some(viewer.staff_id),
            staff_role: Some(viewer.role),
            action: action.to_owned(),
            field: Some(action.to_owned()),
            client_id,
            outcome,
            request_id: viewer.request_id.clone(),
            detail: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Records an allowed change inside the caller's transaction.
pub async fn change(
    conn: &impl ConnectionTrait,
    state: &AppState,
    viewer: &Viewer,
    action: &str,
    client_id: Uuid,
) -> AppResult<()> {
    append(conn, state, vec![Event::by(viewer, action, Some(client_id), AuditOutcome::Allowed)]).await
}

/// The chain's link: the hash over the previous hash and every field of the event.
pub fn link(prev: &str, row: &audit_event::Model) -> String {
    let mut h = Sha256::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    for part in [
        prev.to_owned(),
        row.seq.to_string(),
        row.id.to_string(),
        row.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        row.staff_id.map(|s| s.to_string()).unwrap_or_default(),
        opt(&row.staff_role),
        row.action.clone(),
        opt(&row.field),
        row.client_id.map(|c| c.to_string()).unwrap_or_default(),
        row.outcome.clone(),
        opt(&row.request_id),
        row.emergency.to_string(),
        opt(&row.detail),
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// Appends events to the chain. Call inside a write transaction (`db::begin_write`): on
/// PostgreSQL the head row is locked until commit, so the chain never forks.
pub async fn append(conn: &impl ConnectionTrait, state: &AppState, events: Vec<Event>) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    // Microsecond precision: what both databases store, so the hash can be recomputed.
    let at = truncate_micros(state.now());
    // Before the head is locked: the lock is held from here to commit, so as briefly as can be.
    let emergency = emergency_pairs(conn, &events, at).await?;
    let chain = chain_for(&events);
    let mut head = audit_head::Entity::find_by_id(chain);
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        head = head.lock_exclusive();
    }
    let head = head.one(conn).await?.ok_or_else(|| AppError::internal(anyhow::anyhow!("audit head missing")))?;
    let mut prev = head.hash;
    let mut seq = head.seq;
    let mut rows = Vec::with_capacity(events.len());
    for e in events {
        seq += 1;
        let mut row = audit_event::Model {
            id: Uuid::now_v7(),
            chain,
            seq,
            at,
            staff_id: e.staff_id,
            staff_role: e.staff_role.map(|r| r.as_str().to_owned()),
            action: e.action,
            field: e.field,
            client_id: e.client_id,
            outcome: e.outcome.as_str().to_owned(),
            request_id: e.request_id,
            emergency: matches!((e.staff_id, e.client_id), (Some(s), Some(c)) if emergency.contains(&(s, c))),
            detail: e.detail,
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        row.hash = link(&prev, &row);
        prev = row.hash.clone();
        rows.push(row);
    }
    // 100 rows per statement: a page of the largest size is one statement.
    for chunk in rows.chunks(100) {
        let models: Vec<audit_event::ActiveModel> = chunk.iter().cloned().map(active).collect();
        audit_event::Entity::insert_many(models).exec(conn).await?;
    }
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::value(seq))
        .col_expr(audit_head::Column::Hash, Expr::value(prev))
        .filter(audit_head::Column::Id.eq(chain))
        .exec(conn)
        .await?;
    Ok(())
}

fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

fn active(m: audit_event::Model) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: Set(m.id),
        chain: Set(m.chain),
        seq: Set(m.seq),
        at: Set(m.at),
        staff_id: Set(m.staff_id),
        staff_role: Set(m.staff_role),
        action: Set(m.action),
        field: Set(m.field),
        client_id: Set(m.client_id),
        outcome: Set(m.outcome),
        request_id: Set(m.request_id),
        emergency: Set(m.emergency),
        detail: Set(m.detail),
        prev_hash: Set(m.prev_hash),
        hash: Set(m.hash),
    }
}

/// (staff, client) pairs among the events that an emergency grant covers right now: those
/// uses are flagged for review.
async fn emergency_pairs(
    conn: &impl ConnectionTrait,
    events: &[Event],
    at: DateTime<Utc>,
) -> AppResult<HashSet<(Uuid, Uuid)>> {
    let staff: HashSet<Uuid> = events.iter().filter_map(|e| e.staff_id.filter(|_| e.client_id.is_some())).collect();
    if staff.is_empty() {
        return Ok(HashSet::new());
    }
    let clients: HashSet<Uuid> = events.iter().filter_map(|e| e.client_id).collect();
    let grants = emergency_grant::Entity::find()
        .filter(emergency_grant::Column::StaffId.is_in(staff))
        .filter(emergency_grant::Column::ClientId.is_in(clients))
        .filter(emergency_grant::Column::GrantedAt.lte(at))
        .filter(emergency_grant::Column::ExpiresAt.gt(at))
        .all(conn)
        .await?;
    Ok(grants.into_iter().map(|g| (g.staff_id, g.client_id)).collect())
}

/// Appends events that belong to no change of their own (reads, denials, sign-in failures)
/// and returns once they are committed. Concurrent callers share one transaction.
pub async fn record(state: &AppState, events: Vec<Event>) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    state.audit.submit(state, events).await
}

/// Group commit for [`record`]: events from requests running at the same time are appended
/// in one transaction — one lock of the chain's head and one commit for the lot instead of
/// one per request — and every request still waits until its own events are on record
/// before its response leaves. A batch that cannot be written fails every request in it.
#[derive(Debug, Default)]
pub struct AuditWriter {
    queue: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Pending>>,
}

#[derive(Debug)]
struct Pending {
    state: AppState,
    events: Vec<Event>,
    done: tokio::sync::oneshot::Sender<Result<(), Failure>>,
}

/// Why a batch failed, for each request in it.
#[derive(Debug, Clone, Copy)]
enum Failure {
    Unavailable,
    Internal,
}

/// Events in one transaction at most; more wait for the next.
const BATCH_EVENTS: usize = 5_000;
/// Batches being written at once: one can be committing while the next is prepared.
const IN_FLIGHT: usize = 2;

impl AuditWriter {
    async fn submit(&self, state: &AppState, events: Vec<Event>) -> AppResult<()> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(run_writer(rx));
            tx
        });
        let (done, answer) = tokio::sync::oneshot::channel();
        queue
            .send(Pending { state: state.clone(), events, done })
            .map_err(|_| AppError::internal(anyhow::anyhow!("the audit writer has stopped")))?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(Failure::Unavailable)) => Err(AppError::Unavailable),
            Ok(Err(Failure::Internal)) | Err(_) => {
                Err(AppError::internal(anyhow::anyhow!("the audit trail could not be written")))
            }
        }
    }
}

async fn run_writer(mut rx: tokio::sync::mpsc::UnboundedReceiver<Pending>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        // Wait for the first request, then take whatever else has queued up meanwhile.
        let Some(first) = rx.recv().await else { return };
        let mut count = first.events.len();
        let mut batch = vec![first];
        while count < BATCH_EVENTS {
            match rx.try_recv() {
                Ok(next) => {
                    count += next.events.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        tokio::spawn(async move {
            let state = batch[0].state.clone();
            let mut events = Vec::with_capacity(count);
            let mut waiting = Vec::with_capacity(batch.len());
            for pending in batch {
                events.extend(pending.events);
                waiting.push(pending.done);
            }
            let outcome = db::retrying(|| write_now(&state, events.clone())).await.map_err(|err| {
                tracing::error!(error = ?err, events = events.len(), "audit events could not be written");
                match err {
                    AppError::Unavailable | AppError::Contention | AppError::Timeout => Failure::Unavailable,
                    _ => Failure::Internal,
                }
            });
            for done in waiting {
                let _ = done.send(outcome);
            }
            drop(slot);
        });
    }
}

async fn write_now(state: &AppState, events: Vec<Event>) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    append(&txn, state, events).await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub staff_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub outcome: Option<AuditOutcome>,
    pub emergency: Option<bool>,
}

/// ADMIN: the trail, newest first, by staff member, client, time range and outcome.
pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    filter: &AuditFilter,
    page: PageRequest,
    want_total: bool,
) -> AppResult<Page<audit_event::Model>> {
    viewer.require_admin()?;
    let mut c = Condition::all();
    if let Some(id) = filter.staff_id {
        c = c.add(audit_event::Column::StaffId.eq(id));
    }
    if let Some(id) = filter.client_id {
        c = c.add(audit_event::Column::ClientId.eq(id));
    }
    if let Some(from) = filter.from {
        c = c.add(audit_event::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        c = c.add(audit_event::Column::At.lt(to));
    }
    if let Some(outcome) = filter.outcome {
        c = c.add(audit_event::Column::Outcome.eq(outcome.as_str()));
    }
    if let Some(emergency) = filter.emergency {
        c = c.add(audit_event::Column::Emergency.eq(emergency));
    }
    let total =
        if want_total { Some(audit_event::Entity::find().filter(c.clone()).count(&state.db).await?) } else { None };
    let mut q = audit_event::Entity::find().filter(c);
    if let Some(after) = page.after {
        q = q.filter(audit_event::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(audit_event::Column::Id).limit(page.first + 1).all(&state.db).await?;
    Ok(Page::from_rows(rows, page, total))
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    Intact { events: u64 },
    Broken { chain: i32, seq: i64, id: Uuid, why: &'static str },
}

/// Walks every chain from its start and reports the first broken link.
pub async fn verify(db: &sea_orm::DatabaseConnection) -> Result<Verification, sea_orm::DbErr> {
    let heads = audit_head::Entity::find().order_by_asc(audit_head::Column::Id).all(db).await?;
    let chains: Vec<i32> = heads.iter().map(|h| h.id).collect();
    let mut count = 0u64;
    for head in heads {
        match verify_chain(db, &head).await? {
            Ok(events) => count += events,
            Err(broken) => return Ok(broken),
        }
    }
    // Every event is in some chain that has a head.
    let all = audit_event::Entity::find().count(db).await?;
    if all != count {
        let stray = audit_event::Entity::find().filter(audit_event::Column::Chain.is_not_in(chains)).one(db).await?;
        return Ok(Verification::Broken {
            chain: stray.as_ref().map_or(0, |e| e.chain),
            seq: stray.as_ref().map_or(0, |e| e.seq),
            id: stray.map_or(Uuid::nil(), |e| e.id),
            why: "an event belongs to no chain",
        });
    }
    Ok(Verification::Intact { events: count })
}

async fn verify_chain(
    db: &sea_orm::DatabaseConnection,
    head: &audit_head::Model,
) -> Result<Result<u64, Verification>, sea_orm::DbErr> {
    let chain = head.id;
    let mut prev = genesis(chain);
    let mut expected_seq = 1i64;
    let mut last_seq = 0i64;
    let mut count = 0u64;
    let broken = |row: &audit_event::Model, why| Verification::Broken { chain, seq: row.seq, id: row.id, why };
    loop {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::Chain.eq(chain))
            .filter(audit_event::Column::Seq.gt(last_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(1000)
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            if row.seq != expected_seq {
                return Ok(Err(broken(&row, "a sequence number is missing before this event")));
            }
            if row.prev_hash != prev {
                return Ok(Err(broken(&row, "it does not point at the event before it")));
            }
            if link(&prev, &row) != row.hash {
                return Ok(Err(broken(&row, "its content does not match its hash")));
            }
            prev = row.hash;
            last_seq = row.seq;
            expected_seq += 1;
            count += 1;
        }
    }
    if head.seq != last_seq || head.hash != prev {
        return Ok(Err(Verification::Broken {
            chain,
            seq: head.seq,
            id: Uuid::nil(),
            why: "events at the end of the chain are missing",
        }));
    }
    Ok(Ok(count))
}

/// What a refused request was aimed at, to find the client for the audit record.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Client(Uuid),
    Episode(Uuid),
    Referral(Uuid),
    FollowUp(Uuid),
    Consent(Uuid),
    Nothing,
}

/// The client behind a target, looked up without the caller's scope: only ever written to
/// the audit trail, never returned to the caller.
pub async fn client_of(db: &sea_orm::DatabaseConnection, target: Target) -> Option<Uuid> {
    use crate::entity::{consent, episode, follow_up, referral};
    match target {
        Target::Client(id) => Some(id),
        Target::Episode(id) => episode::Entity::find_by_id(id).one(db).await.ok().flatten().map(|e| e.client_id),
        Target::Referral(id) => referral::Entity::find_by_id(id).one(db).await.ok().flatten().map(|r| r.client_id),
        Target::FollowUp(id) => follow_up::Entity::find_by_id(id).one(db).await.ok().flatten().map(|f| f.client_id),
        Target::Consent(id) => consent::Entity::find_by_id(id).one(db).await.ok().flatten().map(|c| c.client_id),
        Target::Nothing => None,
    }
}
