//! Batched loads by id: one statement for a whole set of parents, whatever their number.
//! Keys are typed (`entity::Id`): each load takes the ids of one table and answers a map
//! keyed by them, so a set of referral ids cannot reach the client load.
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
        Id, attendance, client, consent, episode, follow_up, follow_up_attempt, meeting, referral, staff, stage_change,
        support_group,
    },
    error::{AppError, AppResult},
};

/// Rows of `E`'s table by their id.
pub type ById<E, T> = HashMap<Id<E>, T>;
/// Rows grouped by the id of the parent (of table `P`) they point at.
pub type ByParent<P, T> = HashMap<Id<P>, Vec<T>>;

fn by_id<E, T>(rows: Vec<T>, id: impl Fn(&T) -> Id<E>) -> ById<E, T> {
    rows.into_iter().map(|r| (id(&r), r)).collect()
}

fn grouped<P, T>(rows: Vec<T>, key: impl Fn(&T) -> Id<P>) -> ByParent<P, T> {
    let mut map: ByParent<P, T> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

fn uuids<E>(ids: &[Id<E>]) -> impl Iterator<Item = Uuid> + '_ {
    ids.iter().map(|id| id.uuid())
}

pub async fn staff(db: &DatabaseConnection, ids: &[Id<staff::Entity>]) -> AppResult<ById<staff::Entity, staff::Model>> {
    Ok(by_id(staff::Entity::find().filter(staff::Column::Id.is_in(uuids(ids))).all(db).await?, staff::Model::key))
}

pub async fn clients(
    db: &DatabaseConnection,
    ids: &[Id<client::Entity>],
) -> AppResult<ById<client::Entity, client::Model>> {
    Ok(by_id(client::Entity::find().filter(client::Column::Id.is_in(uuids(ids))).all(db).await?, client::Model::key))
}

/// The clients among `ids` the viewer may see now (their caseload, team or an emergency
/// grant in force), in one statement: a record that points at a client the viewer may not
/// see shows no client. A role that sees no client records (ADMIN) gets none.
pub async fn visible_clients(
    db: &DatabaseConnection,
    viewer: &crate::auth::Viewer,
    ids: &[Id<client::Entity>],
) -> AppResult<ById<client::Entity, client::Model>> {
    let scope = match crate::service::scope::visible_clients(viewer) {
        Ok(scope) => scope,
        Err(AppError::Forbidden(_)) => return Ok(HashMap::new()),
        Err(other) => return Err(other),
    };
    let rows = client::Entity::find().filter(client::Column::Id.is_in(uuids(ids))).filter(scope).all(db).await?;
    Ok(by_id(rows, client::Model::key))
}

pub async fn consents(
    db: &DatabaseConnection,
    ids: &[Id<consent::Entity>],
) -> AppResult<ById<consent::Entity, consent::Model>> {
    Ok(by_id(consent::Entity::find().filter(consent::Column::Id.is_in(uuids(ids))).all(db).await?, consent::Model::key))
}

pub async fn episodes(
    db: &DatabaseConnection,
    ids: &[Id<episode::Entity>],
) -> AppResult<ById<episode::Entity, episode::Model>> {
    Ok(by_id(episode::Entity::find().filter(episode::Column::Id.is_in(uuids(ids))).all(db).await?, episode::Model::key))
}

/// Outreach attempts per follow-up, oldest first.
pub async fn attempts_by_follow_up(
    db: &DatabaseConnection,
    follow_up_ids: &[Id<follow_up::Entity>],
) -> AppResult<ByParent<follow_up::Entity, follow_up_attempt::Model>> {
    let rows = follow_up_attempt::Entity::find()
        .filter(follow_up_attempt::Column::FollowUpId.is_in(uuids(follow_up_ids)))
        .order_by_asc(follow_up_attempt::Column::AttemptedAt)
        .order_by_asc(follow_up_attempt::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, follow_up_attempt::Model::follow_up_key))
}

/// Episodes per client, newest first.
pub async fn episodes_by_client(
    db: &DatabaseConnection,
    client_ids: &[Id<client::Entity>],
) -> AppResult<ByParent<client::Entity, episode::Model>> {
    let rows = episode::Entity::find()
        .filter(episode::Column::ClientId.is_in(uuids(client_ids)))
        .order_by_desc(episode::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, episode::Model::client_key))
}

/// Stage history per episode, oldest first.
pub async fn history_by_episode(
    db: &DatabaseConnection,
    episode_ids: &[Id<episode::Entity>],
) -> AppResult<ByParent<episode::Entity, stage_change::Model>> {
    let rows = stage_change::Entity::find()
        .filter(stage_change::Column::EpisodeId.is_in(uuids(episode_ids)))
        .order_by_asc(stage_change::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, stage_change::Model::episode_key))
}

/// Referrals per client, oldest first.
pub async fn referrals_by_client(
    db: &DatabaseConnection,
    client_ids: &[Id<client::Entity>],
) -> AppResult<ByParent<client::Entity, referral::Model>> {
    let rows = referral::Entity::find()
        .filter(referral::Column::ClientId.is_in(uuids(client_ids)))
        .order_by_asc(referral::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, referral::Model::client_key))
}

/// Attendance per referral, by date.
pub async fn attendance_by_referral(
    db: &DatabaseConnection,
    referral_ids: &[Id<referral::Entity>],
) -> AppResult<ByParent<referral::Entity, attendance::Model>> {
    let rows = attendance::Entity::find()
        .filter(attendance::Column::ReferralId.is_in(uuids(referral_ids)))
        .order_by_asc(attendance::Column::AttendedOn)
        .order_by_asc(attendance::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, attendance::Model::referral_key))
}

/// How many meetings each referral's client attended: counted in the database, for when
/// the rows themselves are not asked for.
pub async fn attendance_counts(
    db: &DatabaseConnection,
    referral_ids: &[Id<referral::Entity>],
) -> AppResult<ById<referral::Entity, i64>> {
    let rows: Vec<(Uuid, i64)> = attendance::Entity::find()
        .select_only()
        .column(attendance::Column::ReferralId)
        .column_as(Expr::expr(Func::count(Expr::col((attendance::Entity, attendance::Column::Id)))), "n")
        .filter(attendance::Column::ReferralId.is_in(uuids(referral_ids)))
        .group_by(attendance::Column::ReferralId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (Id::from_input(id), n)).collect())
}

/// Follow-ups per client, by due date.
pub async fn follow_ups_by_client(
    db: &DatabaseConnection,
    client_ids: &[Id<client::Entity>],
) -> AppResult<ByParent<client::Entity, follow_up::Model>> {
    let rows = follow_up::Entity::find()
        .filter(follow_up::Column::ClientId.is_in(uuids(client_ids)))
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
        .all(db)
        .await?;
    Ok(grouped(rows, follow_up::Model::client_key))
}

pub async fn support_groups(
    db: &DatabaseConnection,
    ids: &[Id<support_group::Entity>],
) -> AppResult<ById<support_group::Entity, support_group::Model>> {
    Ok(by_id(
        support_group::Entity::find().filter(support_group::Column::Id.is_in(uuids(ids))).all(db).await?,
        support_group::Model::key,
    ))
}

pub async fn meetings(
    db: &DatabaseConnection,
    ids: &[Id<meeting::Entity>],
) -> AppResult<ById<meeting::Entity, meeting::Model>> {
    Ok(by_id(meeting::Entity::find().filter(meeting::Column::Id.is_in(uuids(ids))).all(db).await?, meeting::Model::key))
}

/// Meetings per group, Monday first.
pub async fn meetings_by_group(
    db: &DatabaseConnection,
    group_ids: &[Id<support_group::Entity>],
) -> AppResult<ByParent<support_group::Entity, meeting::Model>> {
    let rows = meeting::Entity::find()
        .filter(meeting::Column::SupportGroupId.is_in(uuids(group_ids)))
        .order_by_asc(meeting::Column::DayOfWeek)
        .order_by_asc(meeting::Column::StartTime)
        .all(db)
        .await?;
    Ok(grouped(rows, meeting::Model::group_key))
}

/// A row that must exist because a foreign key points at it.
pub fn required<E, V: Clone>(map: &HashMap<Id<E>, V>, id: Id<E>, what: &str) -> AppResult<V> {
    map.get(&id).cloned().ok_or_else(|| AppError::internal(anyhow::anyhow!("{what} {id} missing")))
}
