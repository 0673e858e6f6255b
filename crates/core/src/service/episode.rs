//! Treatment episodes: admission, stage moves (appended to the history) and discharge.
//! Entering AFTERCARE schedules the follow-ups and puts the plan into effect; leaving it
//! for a return to treatment cancels the follow-ups still pending; discharge as DECEASED
//! closes every open follow-up and referral.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, SqlErr,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{
        DischargeReason, FollowUpStatus, LevelOfCare, ReferralStatus, RuleViolation, Stage,
        client::{MAX_NOTE_CHARS, MAX_REASON_CHARS, check_text},
        episode::{check_level, check_move},
        follow_up::schedule,
    },
    entity::{episode, follow_up, referral, stage_change},
    error::{AppError, AppResult},
    events::CaseloadEventKind,
    service::{
        audit::Target,
        client::stale,
        scope,
        write::{Tx, Who, Write, write},
    },
    state::AppState,
};

#[derive(Clone)]
pub struct Admission {
    pub id: Option<Uuid>,
    pub client_id: Uuid,
    pub stage: Stage,
    pub level_of_care: Option<LevelOfCare>,
    pub admitted_at: Option<DateTime<Utc>>,
}

#[derive(Clone)]
pub struct StageMove {
    pub episode_id: Uuid,
    pub expected_version: i32,
    pub stage: Stage,
    pub level_of_care: Option<LevelOfCare>,
    pub reason: Option<String>,
}

#[derive(Clone)]
pub struct Discharge {
    pub episode_id: Uuid,
    pub expected_version: i32,
    pub reason: DischargeReason,
    pub note: Option<String>,
}

/// The episode if its client is visible to the caller; `NOT_FOUND` otherwise.
pub async fn find_visible(conn: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<episode::Model> {
    episode::Entity::find_by_id(id)
        .filter(episode::Column::ClientId.in_subquery(scope::visible_client_ids(viewer)?))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn admit(state: &AppState, viewer: &Viewer, input: Admission) -> AppResult<episode::Model> {
    let spec = Write::new("admitClient", Who::Clinical, Target::Client(input.client_id));
    write(state, viewer, spec, |tx| admit_in(tx, input.clone())).await
}

async fn admit_in(mut tx: Tx, input: Admission) -> AppResult<(Tx, episode::Model)> {
    check_level(input.stage, input.level_of_care)?;
    let now = tx.now();
    let admitted_at = input.admitted_at.unwrap_or(now);
    if admitted_at > now + chrono::Duration::minutes(5) || admitted_at < now - chrono::Duration::days(366) {
        return Err(AppError::bad_field(
            "admittedAt",
            "the admission time must be within the past year and not in the future",
        ));
    }
    let viewer = tx.viewer()?.clone();
    let client = crate::service::client::find_visible(tx.conn(), &viewer, input.client_id).await?;
    let open = episode::Entity::find()
        .filter(episode::Column::ClientId.eq(client.id))
        .filter(episode::Column::DischargedAt.is_null())
        .one(tx.conn())
        .await?;
    if open.is_some() {
        return Err(one_open_episode());
    }
    let inserted = episode::ActiveModel {
        id: Set(input.id.unwrap_or_else(Uuid::now_v7)),
        version: Set(1),
        client_id: Set(client.id),
        stage: Set(input.stage),
        level_of_care: Set(input.level_of_care),
        stage_entered_at: Set(admitted_at),
        admitted_at: Set(admitted_at),
        discharged_at: Set(None),
        discharge_reason: Set(None),
        discharge_note: Set(None),
        created_by: Set(viewer.staff_id),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await;
    let episode = match inserted {
        Ok(e) => e,
        // Two admissions racing: the partial unique index lets only one through.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => return Err(one_open_episode()),
        Err(e) => return Err(e.into()),
    };
    append_history(tx.conn(), &episode, None, viewer.staff_id, admitted_at, Some("admission".into())).await?;
    if input.stage == Stage::Aftercare {
        enter_aftercare(tx.state(), tx.conn(), &episode, viewer.staff_id, admitted_at).await?;
    }
    tx.changed(Some(episode.client_id))?;
    tx.publish(CaseloadEventKind::Admitted, episode.client_id, Some(episode.id))?;
    Ok((tx, episode))
}

fn one_open_episode() -> AppError {
    RuleViolation::new(
        "ONE_OPEN_EPISODE",
        Some("clientId"),
        "this client already has an open episode: move its stage or discharge it first",
    )
    .into()
}

fn episode_closed() -> AppError {
    RuleViolation::new("EPISODE_CLOSED", Some("episodeId"), "this episode has been discharged").into()
}

async fn append_history(
    conn: &impl ConnectionTrait,
    episode: &episode::Model,
    from: Option<Stage>,
    by: Uuid,
    at: DateTime<Utc>,
    reason: Option<String>,
) -> AppResult<()> {
    stage_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        episode_id: Set(episode.id),
        from_stage: Set(from),
        to_stage: Set(episode.stage),
        level_of_care: Set(episode.level_of_care),
        at: Set(at),
        by_staff_id: Set(by),
        reason: Set(reason),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Schedules the follow-up contacts and turns the plan's PLANNED referrals into REFERRED.
async fn enter_aftercare(
    state: &AppState,
    conn: &impl ConnectionTrait,
    episode: &episode::Model,
    by: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let start = state.local_date(at);
    let days = &state.config.follow_up_schedule_days;
    let rows: Vec<follow_up::ActiveModel> = schedule(start, days)
        .into_iter()
        .zip(days)
        .map(|(due_on, d)| follow_up::ActiveModel {
            id: Set(Uuid::now_v7()),
            version: Set(1),
            client_id: Set(episode.client_id),
            episode_id: Set(Some(episode.id)),
            due_on: Set(due_on),
            schedule_days: Set(Some(*d as i32)),
            status: Set(FollowUpStatus::Scheduled),
            outcome: Set(None),
            attending_support_group: Set(None),
            contacted_at: Set(None),
            note: Set(None),
            recorded_by: Set(None),
            created_by: Set(by),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .collect();
    if !rows.is_empty() {
        follow_up::Entity::insert_many(rows).exec(conn).await?;
    }
    referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::value(ReferralStatus::Referred))
        .col_expr(referral::Column::ReferredAt, Expr::value(Some(at)))
        .col_expr(referral::Column::Version, Expr::col(referral::Column::Version).add(1))
        .col_expr(referral::Column::UpdatedAt, Expr::value(at))
        .filter(referral::Column::EpisodeId.eq(episode.id))
        .filter(referral::Column::Status.eq(ReferralStatus::Planned))
        .exec(conn)
        .await?;
    crate::service::aftercare::put_into_effect(conn, episode.id, at).await
}

/// A return to treatment from aftercare: the pending scheduled contacts no longer apply.
async fn leave_aftercare(
    conn: &impl ConnectionTrait,
    episode: &episode::Model,
    to: Stage,
    at: DateTime<Utc>,
) -> AppResult<()> {
    follow_up::Entity::update_many()
        .col_expr(follow_up::Column::Status, Expr::value(FollowUpStatus::Cancelled))
        .col_expr(follow_up::Column::Note, Expr::value(format!("cancelled: returned to {}", to.as_str())))
        .col_expr(follow_up::Column::Version, Expr::col(follow_up::Column::Version).add(1))
        .col_expr(follow_up::Column::UpdatedAt, Expr::value(at))
        .filter(follow_up::Column::EpisodeId.eq(episode.id))
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Scheduled))
        .filter(follow_up::Column::ScheduleDays.is_not_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// The visible, still open episode at the version the caller last read.
async fn open_at_version(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
    expected_version: i32,
) -> AppResult<episode::Model> {
    let current = find_visible(conn, viewer, id).await?;
    if current.discharged_at.is_some() {
        return Err(episode_closed());
    }
    if current.version != expected_version {
        return Err(stale("episode"));
    }
    Ok(current)
}

/// Writes `changes` and the next version, only if nobody has written the episode since the
/// caller read it (a racing writer makes this one a `CONFLICT`); returns the row as saved.
async fn save_next_version(
    conn: &impl ConnectionTrait,
    current: &episode::Model,
    changes: sea_orm::UpdateMany<episode::Entity>,
    now: DateTime<Utc>,
) -> AppResult<episode::Model> {
    let updated = changes
        .col_expr(episode::Column::Version, Expr::value(current.version + 1))
        .col_expr(episode::Column::UpdatedAt, Expr::value(now))
        .filter(episode::Column::Id.eq(current.id))
        .filter(episode::Column::Version.eq(current.version))
        .exec(conn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(stale("episode"));
    }
    episode::Entity::find_by_id(current.id).one(conn).await?.ok_or(AppError::NotFound)
}

pub async fn change_stage(state: &AppState, viewer: &Viewer, input: StageMove) -> AppResult<episode::Model> {
    let spec = Write::new("changeStage", Who::Clinical, Target::Episode(input.episode_id));
    write(state, viewer, spec, |tx| change_stage_in(tx, input.clone())).await
}

async fn change_stage_in(mut tx: Tx, input: StageMove) -> AppResult<(Tx, episode::Model)> {
    if let Some(reason) = &input.reason {
        check_text("reason", reason, MAX_REASON_CHARS)?;
    }
    let now = tx.now();
    let viewer = tx.viewer()?.clone();
    let current = open_at_version(tx.conn(), &viewer, input.episode_id, input.expected_version).await?;
    check_move(current.stage, input.stage)?;
    check_level(input.stage, input.level_of_care)?;

    let changes = episode::Entity::update_many()
        .col_expr(episode::Column::Stage, Expr::value(input.stage))
        .col_expr(episode::Column::LevelOfCare, Expr::value(input.level_of_care))
        .col_expr(episode::Column::StageEnteredAt, Expr::value(now));
    let episode = save_next_version(tx.conn(), &current, changes, now).await?;
    append_history(tx.conn(), &episode, Some(current.stage), viewer.staff_id, now, input.reason).await?;
    if current.stage == Stage::Aftercare {
        leave_aftercare(tx.conn(), &episode, input.stage, now).await?;
    }
    if input.stage == Stage::Aftercare {
        enter_aftercare(tx.state(), tx.conn(), &episode, viewer.staff_id, now).await?;
    }
    tx.changed(Some(episode.client_id))?;
    tx.publish(CaseloadEventKind::StageChanged, episode.client_id, Some(episode.id))?;
    Ok((tx, episode))
}

pub async fn discharge(state: &AppState, viewer: &Viewer, input: Discharge) -> AppResult<episode::Model> {
    let spec = Write::new("dischargeClient", Who::Clinical, Target::Episode(input.episode_id));
    write(state, viewer, spec, |tx| discharge_in(tx, input.clone())).await
}

async fn discharge_in(mut tx: Tx, input: Discharge) -> AppResult<(Tx, episode::Model)> {
    if let Some(note) = &input.note {
        check_text("note", note, MAX_NOTE_CHARS)?;
    }
    let now = tx.now();
    let current = open_at_version(tx.conn(), tx.viewer()?, input.episode_id, input.expected_version).await?;
    let changes = episode::Entity::update_many()
        .col_expr(episode::Column::DischargedAt, Expr::value(now))
        .col_expr(episode::Column::DischargeReason, Expr::value(input.reason))
        .col_expr(episode::Column::DischargeNote, Expr::value(input.note));
    let episode = save_next_version(tx.conn(), &current, changes, now).await?;
    if input.reason == DischargeReason::Deceased {
        close_everything_open(tx.conn(), current.client_id, now).await?;
    }
    tx.changed(Some(episode.client_id))?;
    tx.publish(CaseloadEventKind::Discharged, episode.client_id, Some(episode.id))?;
    Ok((tx, episode))
}

async fn close_everything_open(conn: &impl ConnectionTrait, client_id: Uuid, at: DateTime<Utc>) -> AppResult<()> {
    follow_up::Entity::update_many()
        .col_expr(follow_up::Column::Status, Expr::value(FollowUpStatus::Cancelled))
        .col_expr(follow_up::Column::Note, Expr::value("cancelled: client deceased"))
        .col_expr(follow_up::Column::Version, Expr::col(follow_up::Column::Version).add(1))
        .col_expr(follow_up::Column::UpdatedAt, Expr::value(at))
        .filter(follow_up::Column::ClientId.eq(client_id))
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Scheduled))
        .exec(conn)
        .await?;
    referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::value(ReferralStatus::Cancelled))
        .col_expr(referral::Column::StatusReason, Expr::value("client deceased"))
        .col_expr(referral::Column::Version, Expr::col(referral::Column::Version).add(1))
        .col_expr(referral::Column::UpdatedAt, Expr::value(at))
        .filter(referral::Column::ClientId.eq(client_id))
        .filter(referral::Column::Status.is_in(ReferralStatus::OPEN))
        .exec(conn)
        .await?;
    Ok(())
}

/// An episode the caller may see, or `None`.
pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<episode::Model>> {
    match find_visible(&state.db, viewer, id).await {
        Ok(found) => Ok(Some(found)),
        Err(AppError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}
