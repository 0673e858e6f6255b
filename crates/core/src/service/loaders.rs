//! Batched loads by id: one statement for a whole set of parents, whatever their number.
//! The GraphQL layer calls these once per sibling set (`graphql::batch`); the reports use
//! them for the rows their figures point at. Rows reached this way hang off records the
//! caller was already allowed to see, so the loads apply no visibility scope of their own.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Func},
};
use uuid::Uuid;

use crate::{
    entity::{
        attendance, client, episode, follow_up, follow_up_attempt, meeting, referral, staff, stage_change,
        support_group,
    },
    error::{AppError, AppResult},
};

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

pub async fn staff(db: &DatabaseConnection, ids: &[Uuid]) -> AppResult<HashMap<Uuid, staff::Model>> {
    Ok(by_id(staff::Entity::find().filter(staff::Column::Id.is_in(ids.iter().copied())).all(db).await?, |r| r.id))
}

pub async fn clients(db: &DatabaseConnection, ids: &[Uuid]) -> AppResult<HashMap<Uuid, client::Model>> {
    Ok(by_id(client::Entity::find().filter(client::Column::Id.is_in(ids.iter().copied())).all(db).await?, |r| r.id))
}

pub async fn episodes(db: &DatabaseConnection, ids: &[Uuid]) -> AppResult<HashMap<Uuid, episode::Model>> {
    Ok(by_id(episode::Entity::find().filter(episode::Column::Id.is_in(ids.iter().copied())).all(db).await?, |r| r.id))
}

/// Outreach attempts per follow-up, oldest first.
pub async fn attempts_by_follow_up(
    db: &DatabaseConnection,
    follow_up_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<follow_up_attempt::Model>>> {
    let rows = follow_up_attempt::Entity::find()
        .filter(follow_up_attempt::Column::FollowUpId.is_in(follow_up_ids.iter().copied()))
        .order_by_asc(follow_up_attempt::Column::AttemptedAt)
        .order_by_asc(follow_up_attempt::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, |r| r.follow_up_id))
}

/// Episodes per client, newest first.
pub async fn episodes_by_client(
    db: &DatabaseConnection,
    client_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<episode::Model>>> {
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
) -> AppResult<HashMap<Uuid, Vec<stage_change::Model>>> {
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
) -> AppResult<HashMap<Uuid, Vec<referral::Model>>> {
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
) -> AppResult<HashMap<Uuid, Vec<attendance::Model>>> {
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
pub async fn attendance_counts(db: &DatabaseConnection, referral_ids: &[Uuid]) -> AppResult<HashMap<Uuid, i64>> {
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
) -> AppResult<HashMap<Uuid, Vec<follow_up::Model>>> {
    let rows = follow_up::Entity::find()
        .filter(follow_up::Column::ClientId.is_in(client_ids.iter().copied()))
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, |r| r.client_id))
}

pub async fn support_groups(db: &DatabaseConnection, ids: &[Uuid]) -> AppResult<HashMap<Uuid, support_group::Model>> {
    Ok(by_id(
        support_group::Entity::find().filter(support_group::Column::Id.is_in(ids.iter().copied())).all(db).await?,
        |r| r.id,
    ))
}

pub async fn meetings(db: &DatabaseConnection, ids: &[Uuid]) -> AppResult<HashMap<Uuid, meeting::Model>> {
    Ok(by_id(meeting::Entity::find().filter(meeting::Column::Id.is_in(ids.iter().copied())).all(db).await?, |r| r.id))
}

/// Meetings per group, Monday first.
pub async fn meetings_by_group(
    db: &DatabaseConnection,
    group_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<meeting::Model>>> {
    let rows = meeting::Entity::find()
        .filter(meeting::Column::SupportGroupId.is_in(group_ids.iter().copied()))
        .order_by_asc(meeting::Column::DayOfWeek)
        .order_by_asc(meeting::Column::StartTime)
        .all(db)
        .await?;
    Ok(grouped(rows, |r| r.support_group_id))
}

/// A row that must exist because a foreign key points at it.
pub fn required<V: Clone>(map: &HashMap<Uuid, V>, id: Uuid, what: &str) -> AppResult<V> {
    map.get(&id).cloned().ok_or_else(|| AppError::internal(anyhow::anyhow!("{what} {id} missing")))
}
