//! Nested fields load per *sibling set*: when a resolver returns a list, every item shares
//! one set, and the first item to need a relation loads it for all siblings in one
//! statement; the others await the same result. Unlike a timer-based DataLoader, the
//! number of statements is fixed by the shape of the query alone — one per relation and
//! level, whatever the page size and however busy the machine.
//!
//! Rows reached this way hang off an object the caller was already allowed to see, so the
//! loads apply no visibility scope of their own.

use std::{collections::HashMap, future::Future, sync::Arc};

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Func},
};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::{
    entity::{attendance, client, episode, follow_up, meeting, referral, staff, stage_change, support_group},
    error::{AppError, AppResult},
};

/// One relation, loaded at most once for a whole sibling set.
pub struct Batch<V>(OnceCell<Arc<HashMap<Uuid, V>>>);

impl<V> Default for Batch<V> {
    fn default() -> Self {
        Batch(OnceCell::new())
    }
}

impl<V: Send + Sync> Batch<V> {
    /// The loaded map, loading it with `load` if no sibling has yet. The load runs boxed:
    /// a database query's future is large, and every field resolver of the object embeds
    /// its callees' futures, which async-graphql moves into a box of their own per field.
    pub async fn get<F, Fut>(&self, load: F) -> AppResult<Arc<HashMap<Uuid, V>>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<HashMap<Uuid, V>, DbErr>>,
    {
        self.0.get_or_try_init(|| async { Box::pin(load()).await.map(Arc::new) }).await.cloned().map_err(AppError::from)
    }

    /// The same, for a load through the service layer.
    pub async fn get_with<F, Fut>(&self, load: F) -> AppResult<Arc<HashMap<Uuid, V>>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<HashMap<Uuid, V>>>,
    {
        self.0.get_or_try_init(|| async { Box::pin(load()).await.map(Arc::new) }).await.cloned()
    }
}

/// One relation per argument value (`meetingSchedule(weekOf:)`): siblings asking with the
/// same argument share one load.
pub struct BatchBy<K, V>(std::sync::Mutex<HashMap<K, Arc<Batch<V>>>>);

impl<K, V> Default for BatchBy<K, V> {
    fn default() -> Self {
        BatchBy(std::sync::Mutex::new(HashMap::new()))
    }
}

impl<K: std::hash::Hash + Eq, V> BatchBy<K, V> {
    pub fn for_key(&self, key: K) -> Arc<Batch<V>> {
        match self.0.lock() {
            Ok(mut map) => map.entry(key).or_insert_with(|| Arc::new(Batch::default())).clone(),
            // A poisoned lock only costs the sharing.
            Err(_) => Arc::new(Batch::default()),
        }
    }
}

/// The distinct ids of a set, in first-seen order.
pub fn distinct(ids: impl IntoIterator<Item = Uuid>) -> Arc<[Uuid]> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect::<Vec<_>>().into()
}

fn by_id<T>(rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    rows.into_iter().map(|r| (id(&r), r)).collect()
}

fn grouped<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut map: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

pub async fn staff(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, staff::Model>, DbErr> {
    Ok(by_id(staff::Entity::find().filter(staff::Column::Id.is_in(ids.iter().copied())).all(db).await?, |r| r.id))
}

pub async fn clients(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, client::Model>, DbErr> {
    Ok(by_id(client::Entity::find().filter(client::Column::Id.is_in(ids.iter().copied())).all(db).await?, |r| r.id))
}

/// Episodes per client, newest first.
pub async fn episodes_by_client(
    db: &DatabaseConnection,
    client_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<episode::Model>>, DbErr> {
    let rows = episode::Entity::find()
        .filter(episode::Column::ClientId.is_in(client_ids.iter().copied()))
        .order_by_desc(episode::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, |r| r.client_id))
}

/// Stage history per episode, oldest first.
pub async fn history_by_episode(
    db: &DatabaseConnection,
    episode_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<stage_change::Model>>, DbErr> {
    let rows = stage_change::Entity::find()
        .filter(stage_change::Column::EpisodeId.is_in(episode_ids.iter().copied()))
        .order_by_asc(stage_change::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, |r| r.episode_id))
}

/// Referrals per client, oldest first.
pub async fn referrals_by_client(
    db: &DatabaseConnection,
    client_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<referral::Model>>, DbErr> {
    let rows = referral::Entity::find()
        .filter(referral::Column::ClientId.is_in(client_ids.iter().copied()))
        .order_by_asc(referral::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, |r| r.client_id))
}

/// Attendance per referral, by date.
pub async fn attendance_by_referral(
    db: &DatabaseConnection,
    referral_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<attendance::Model>>, DbErr> {
    let rows = attendance::Entity::find()
        .filter(attendance::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_asc(attendance::Column::AttendedOn)
        .order_by_asc(attendance::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, |r| r.referral_id))
}

/// How many meetings each referral's client attended: counted in the database, for when
/// the rows themselves are not asked for.
pub async fn attendance_counts(db: &DatabaseConnection, referral_ids: &[Uuid]) -> Result<HashMap<Uuid, i64>, DbErr> {
    let rows: Vec<(Uuid, i64)> = attendance::Entity::find()
        .select_only()
        .column(attendance::Column::ReferralId)
        .column_as(Expr::expr(Func::count(Expr::col((attendance::Entity, attendance::Column::Id)))), "n")
        .filter(attendance::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .group_by(attendance::Column::ReferralId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Follow-ups per client, by due date.
pub async fn follow_ups_by_client(
    db: &DatabaseConnection,
    client_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<follow_up::Model>>, DbErr> {
    let rows = follow_up::Entity::find()
        .filter(follow_up::Column::ClientId.is_in(client_ids.iter().copied()))
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, |r| r.client_id))
}

pub async fn support_groups(
    db: &DatabaseConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, support_group::Model>, DbErr> {
    Ok(by_id(
        support_group::Entity::find().filter(support_group::Column::Id.is_in(ids.iter().copied())).all(db).await?,
        |r| r.id,
    ))
}

pub async fn meetings(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, meeting::Model>, DbErr> {
    Ok(by_id(meeting::Entity::find().filter(meeting::Column::Id.is_in(ids.iter().copied())).all(db).await?, |r| r.id))
}

/// Meetings per group, Monday first.
pub async fn meetings_by_group(
    db: &DatabaseConnection,
    group_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<meeting::Model>>, DbErr> {
    let rows = meeting::Entity::find()
        .filter(meeting::Column::SupportGroupId.is_in(group_ids.iter().copied()))
        .order_by_asc(meeting::Column::DayOfWeek)
        .order_by_asc(meeting::Column::StartTime)
        .all(db)
        .await?;
    Ok(grouped(rows, |r| r.support_group_id))
}

/// Wraps grouped rows so that all of them, across every parent, share one sibling set.
pub fn regroup<M, T>(
    groups: HashMap<Uuid, Vec<M>>,
    list: impl FnOnce(Vec<M>) -> Vec<T>,
    parent_of: impl Fn(&T) -> Uuid,
) -> HashMap<Uuid, Vec<T>> {
    let rows: Vec<M> = groups.into_values().flatten().collect();
    let mut out: HashMap<Uuid, Vec<T>> = HashMap::new();
    for item in list(rows) {
        out.entry(parent_of(&item)).or_default().push(item);
    }
    out
}

/// A row that must exist because a foreign key points at it.
pub fn required<V: Clone>(map: &HashMap<Uuid, V>, id: Uuid, what: &str) -> AppResult<V> {
    map.get(&id).cloned().ok_or_else(|| AppError::internal(anyhow::anyhow!("{what} {id} missing")))
}
