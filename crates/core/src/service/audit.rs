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
use hmac::{Hmac, Mac as _, digest::KeyInit};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    db,
    domain::Role,
    entity::{audit_event, audit_head, emergency_grant},
    error::{AppError, AppResult},
    service::pagination::{self, Order, Page, PageRequest},
    state::AppState,
};

/// How many chains the trail has, and the value the first event of a chain points back at
/// (distinct per chain, so an event moved to another chain breaks both): defined with the
/// migration that made the chains' heads.
pub use migration::{AUDIT_CHAINS as CHAINS, genesis};

/// The chain of a client's events: always the same one, so one client's events are in order
/// in one chain.
fn chain_of_client(client: Uuid) -> i32 {
    let chains = u128::try_from(CHAINS).unwrap_or(1);
    i32::try_from(client.as_u128() % chains).unwrap_or(0) + 1
}

/// Splits a set of events (one request's, or a group commit's) by chain: each client's go to
/// that client's chain; events about no client join the first chain used, or a random one.
fn by_chain(events: Vec<Event>) -> Vec<(i32, Vec<Event>)> {
    let mut buckets: std::collections::BTreeMap<i32, Vec<Event>> = std::collections::BTreeMap::new();
    let mut loose = Vec::new();
    for e in events {
        match e.client_id {
            Some(c) => buckets.entry(chain_of_client(c)).or_default().push(e),
            None => loose.push(e),
        }
    }
    if !loose.is_empty() {
        let chain = buckets.keys().next().copied().unwrap_or_else(|| {
            let chains = u128::try_from(CHAINS).unwrap_or(1);
            i32::try_from(rand::random::<u128>() % chains).unwrap_or(0) + 1
        });
        buckets.entry(chain).or_default().extend(loose);
    }
    // Ascending chain order: two writers lock heads in the same order and never deadlock.
    buckets.into_iter().collect()
}

type Mac = Hmac<Sha256>;

/// HMAC-SHA256 under the audit key, hex.
fn mac_of(key: &SecretString, parts: &[&str]) -> String {
    let mut mac = <Mac as KeyInit>::new_from_slice(key.expose_secret().as_bytes()).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this cannot happen.
        <Mac as KeyInit>::new_from_slice(b"\0").unwrap_or_else(|_| unreachable!())
    });
    for part in parts {
        mac.update(part.as_bytes());
        mac.update(&[0x1f]);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// An event's MAC: over its chain hash, which covers the event and every one before it.
pub fn event_mac(key: &SecretString, hash: &str) -> String {
    mac_of(key, &["event", hash])
}

/// A head's seal: where the keyed part of its chain begins and where the chain ends.
pub fn head_mac(key: &SecretString, chain: i32, seq: i64, hash: &str, keyed_from: i64) -> String {
    mac_of(key, &["head", &chain.to_string(), &seq.to_string(), hash, &keyed_from.to_string()])
}

/// Seals every chain that is not sealed yet (after the keyed-audit migration, before any
/// event of it is keyed): its next event is the first keyed one. Run at every start.
pub async fn seal_heads(db: &sea_orm::DatabaseConnection, key: &SecretString) -> Result<(), sea_orm::DbErr> {
    for head in audit_head::Entity::find().filter(audit_head::Column::KeyedFrom.is_null()).all(db).await? {
        let keyed_from = head.seq + 1;
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::KeyedFrom, Expr::value(keyed_from))
            .col_expr(audit_head::Column::Mac, Expr::value(head_mac(key, head.id, head.seq, &head.hash, keyed_from)))
            .filter(audit_head::Column::Id.eq(head.id))
            .filter(audit_head::Column::Seq.eq(head.seq))
            .filter(audit_head::Column::KeyedFrom.is_null())
            .exec(db)
            .await?;
    }
    Ok(())
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

/// Appends events to their chains. Call inside a write transaction (`db::begin_write`): on
/// PostgreSQL the heads are locked until commit, so no chain forks. Whatever the number of
/// chains the events go to, the heads are read in one statement, the events inserted 100 to
/// a statement and the heads moved in one more.
pub async fn append(conn: &impl ConnectionTrait, state: &AppState, events: Vec<Event>) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    // Microsecond precision: what both databases store, so the hash can be recomputed.
    let at = truncate_micros(state.now());
    // Before the heads are locked: a lock is held from there to commit, so as briefly as can be.
    let emergency = emergency_pairs(conn, &events, at).await?;
    let key = &state.config.audit_key;
    let buckets = by_chain(events);
    // In ascending id order: two writers lock shared heads in the same order, never crosswise.
    let mut heads = audit_head::Entity::find()
        .filter(audit_head::Column::Id.is_in(buckets.iter().map(|(chain, _)| *chain)))
        .order_by_asc(audit_head::Column::Id);
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        heads = heads.lock_exclusive();
    }
    let heads = heads.all(conn).await?;
    let mut rows = Vec::new();
    let mut moved = Vec::with_capacity(buckets.len());
    for (chain, events) in buckets {
        let head = heads
            .iter()
            .find(|h| h.id == chain)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("audit head {chain} missing")))?;
        let keyed_from = head.keyed_from.unwrap_or(head.seq + 1);
        let mut prev = head.hash.clone();
        let mut seq = head.seq;
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
                mac: None,
            };
            row.hash = link(&prev, &row);
            row.mac = Some(event_mac(key, &row.hash));
            prev = row.hash.clone();
            rows.push(row);
        }
        let mac = head_mac(key, chain, seq, &prev, keyed_from);
        moved.push(Moved { chain, seq, hash: prev, keyed_from, mac });
    }
    // 100 rows per statement: a page of the largest size is one statement.
    for chunk in rows.chunks(100) {
        let models: Vec<audit_event::ActiveModel> = chunk.iter().cloned().map(active).collect();
        audit_event::Entity::insert_many(models).exec(conn).await?;
    }
    // Every moved head in one statement: `CASE id WHEN … THEN …` per column.
    let column = |value: &dyn Fn(&Moved) -> sea_orm::Value, otherwise: audit_head::Column| {
        let mut case = sea_orm::sea_query::CaseStatement::new();
        for m in &moved {
            case = case.case(audit_head::Column::Id.eq(m.chain), Expr::val(value(m)));
        }
        Expr::Case(Box::new(case.finally(Expr::col(otherwise))))
    };
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, column(&|m| m.seq.into(), audit_head::Column::Seq))
        .col_expr(audit_head::Column::Hash, column(&|m| m.hash.clone().into(), audit_head::Column::Hash))
        .col_expr(audit_head::Column::KeyedFrom, column(&|m| m.keyed_from.into(), audit_head::Column::KeyedFrom))
        .col_expr(audit_head::Column::Mac, column(&|m| m.mac.clone().into(), audit_head::Column::Mac))
        .filter(audit_head::Column::Id.is_in(moved.iter().map(|m| m.chain)))
        .exec(conn)
        .await?;
    Ok(())
}

/// Where a chain's head moves to in an append.
struct Moved {
    chain: i32,
    seq: i64,
    hash: String,
    keyed_from: i64,
    mac: String,
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
        mac: Set(m.mac),
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
    let query = audit_event::Entity::find().filter(c);
    pagination::fetch(&state.db, query, audit_event::Column::Id, Order::NewestFirst, page, want_total).await
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every chain checks out: `keyed` of the `events` carry a valid MAC (the others were
    /// written before the audit key and are checked by their hashes alone).
    Intact {
        events: u64,
        keyed: u64,
    },
    Broken {
        chain: i32,
        seq: i64,
        id: Uuid,
        why: &'static str,
    },
}

/// Walks every chain from its start and reports the first broken link. It reads one
/// consistent snapshot (a read-only, repeatable-read transaction on PostgreSQL; a read
/// transaction on SQLite) and stops at the heads it read first, so writers appending while
/// it runs are neither seen half-done nor mistaken for damage.
pub async fn verify(db: &sea_orm::DatabaseConnection, key: &SecretString) -> Result<Verification, sea_orm::DbErr> {
    use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};
    let txn = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        _ => db.begin().await?,
    };
    let verified = verify_in(&txn, key).await;
    txn.rollback().await?;
    verified
}

async fn verify_in(db: &impl ConnectionTrait, key: &SecretString) -> Result<Verification, sea_orm::DbErr> {
    let heads = audit_head::Entity::find().order_by_asc(audit_head::Column::Id).all(db).await?;
    let chains: Vec<i32> = heads.iter().map(|h| h.id).collect();
    let (mut count, mut keyed) = (0u64, 0u64);
    for head in &heads {
        match verify_chain(db, key, head).await? {
            Ok((events, with_mac)) => {
                count += events;
                keyed += with_mac;
            }
            Err(broken) => return Ok(broken),
        }
    }
    // Every event is in some chain that has a head, and none lies past its head.
    let all = audit_event::Entity::find().count(db).await?;
    if all != count {
        let mut beyond = Condition::any().add(audit_event::Column::Chain.is_not_in(chains));
        for head in &heads {
            beyond = beyond.add(
                Condition::all().add(audit_event::Column::Chain.eq(head.id)).add(audit_event::Column::Seq.gt(head.seq)),
            );
        }
        let stray = audit_event::Entity::find().filter(beyond).one(db).await?;
        return Ok(Verification::Broken {
            chain: stray.as_ref().map_or(0, |e| e.chain),
            seq: stray.as_ref().map_or(0, |e| e.seq),
            id: stray.map_or(Uuid::nil(), |e| e.id),
            why: "an event belongs to no chain, or lies past its chain's head",
        });
    }
    Ok(Verification::Intact { events: count, keyed })
}

async fn verify_chain(
    db: &impl ConnectionTrait,
    key: &SecretString,
    head: &audit_head::Model,
) -> Result<Result<(u64, u64), Verification>, sea_orm::DbErr> {
    let chain = head.id;
    let at_head = |why| Verification::Broken { chain, seq: head.seq, id: Uuid::nil(), why };
    // The seal says where the keyed part begins; without the key it cannot be forged, moved
    // or removed unseen (an unsealed head with events is itself a finding).
    let keyed_from = match (head.keyed_from, head.mac.as_deref()) {
        (Some(from), Some(mac)) if head_mac(key, chain, head.seq, &head.hash, from) == mac => from,
        (Some(_), Some(_)) => {
            return Ok(Err(at_head(
                "the chain's head does not match its seal (or the audit key is not the one it was written with)",
            )));
        }
        _ if head.seq == 0 => 1,
        _ => return Ok(Err(at_head("the chain's head is not sealed with the audit key"))),
    };
    let mut prev = genesis(chain);
    let mut expected_seq = 1i64;
    let mut last_seq = 0i64;
    let (mut count, mut keyed) = (0u64, 0u64);
    let broken = |row: &audit_event::Model, why| Verification::Broken { chain, seq: row.seq, id: row.id, why };
    while last_seq < head.seq {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::Chain.eq(chain))
            .filter(audit_event::Column::Seq.gt(last_seq))
            .filter(audit_event::Column::Seq.lte(head.seq))
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
            if row.seq >= keyed_from {
                if row.mac.as_deref() != Some(event_mac(key, &row.hash).as_str()) {
                    return Ok(Err(broken(
                        &row,
                        "its MAC does not match: the event was rewritten without the audit key",
                    )));
                }
                keyed += 1;
            }
            prev = row.hash;
            last_seq = row.seq;
            expected_seq += 1;
            count += 1;
        }
    }
    if head.seq != last_seq || head.hash != prev {
        return Ok(Err(at_head("events at the end of the chain are missing")));
    }
    Ok(Ok((count, keyed)))
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
