//! Referrals to support groups and the attendance recorded against them.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, SqlErr, sea_query::Expr,
};
use uuid::Uuid;

use crate::service::{
    audit::Target,
    write::{Tx, Who, Write, write},
};
use crate::{
    auth::Viewer,
    domain::{
        ReferralStatus, RuleViolation,
        client::{MAX_NOTE_CHARS, MAX_REASON_CHARS, check_text},
        referral::check_move,
    },
    entity::{attendance, episode, meeting, referral, support_group},
    error::{AppError, AppResult},
    events::CaseloadEventKind,
    service::{client::stale, scope},
    state::AppState,
};

#[derive(Clone)]
pub struct NewReferral {
    pub id: Option<Uuid>,
    pub client_id: Uuid,
    pub support_group_id: Uuid,
    pub meeting_id: Option<Uuid>,
    pub status: Option<ReferralStatus>,
    pub note: Option<String>,
    /// Meetings per week the client aims for.
    pub weekly_goal: Option<i32>,
}

#[derive(Clone)]
pub struct StatusChange {
    pub referral_id: Uuid,
    pub expected_version: i32,
    pub status: ReferralStatus,
    pub reason: Option<String>,
}

#[derive(Clone)]
pub struct NewAttendance {
    /// The attendance row's id.
    pub id: Option<Uuid>,
    pub referral_id: Uuid,
    pub attended_on: NaiveDate,
    pub verified: bool,
    pub note: Option<String>,
}

pub async fn find_visible(conn: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<referral::Model> {
    referral::Entity::find_by_id(id)
        .filter(referral::Column::ClientId.in_subquery(scope::visible_client_ids(viewer)?))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)
}

fn no_such_group() -> AppError {
    AppError::bad_field("supportGroupId", "no such support group")
}

fn one_open_referral() -> AppError {
    RuleViolation::new(
        "ONE_OPEN_REFERRAL_PER_GROUP",
        Some("supportGroupId"),
        "this client already has an open referral to this group",
    )
    .into()
}

pub async fn refer(state: &AppState, viewer: &Viewer, input: NewReferral) -> AppResult<referral::Model> {
    let spec = Write::new("referToSupportGroup", Who::Clinical, Target::Client(input.client_id));
    write(state, viewer, spec, |tx| refer_in(tx, input.clone())).await
}

async fn refer_in(mut tx: Tx, input: NewReferral) -> AppResult<(Tx, referral::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let status = input.status.unwrap_or(ReferralStatus::Referred);
    if !matches!(status, ReferralStatus::Planned | ReferralStatus::Referred) {
        return Err(RuleViolation::new(
            "REFERRAL_INITIAL_STATUS",
            Some("status"),
            "a new referral is PLANNED or REFERRED",
        )
        .into());
    }
    if let Some(note) = &input.note {
        check_text("note", note, MAX_NOTE_CHARS)?;
    }
    if let Some(goal) = input.weekly_goal {
        crate::domain::aftercare::check_weekly_goal(goal, input.meeting_id.is_some())
            .map_err(|v| RuleViolation { field: Some("weeklyGoal"), ..v })?;
    }
    let now = state.now();
    let client = crate::service::client::find_visible(tx.conn(), viewer, input.client_id).await?;
    let Some(open_episode) = episode::Entity::find()
        .filter(episode::Column::ClientId.eq(client.id))
        .filter(episode::Column::DischargedAt.is_null())
        .one(tx.conn())
        .await?
    else {
        return Err(RuleViolation::new(
            "REFERRAL_NEEDS_OPEN_EPISODE",
            Some("clientId"),
            "referrals are made during an open treatment episode",
        )
        .into());
    };
    // The group must be in the directory (not retired); the partial unique index refuses a
    // second open referral to it.
    let group = support_group::Entity::find_by_id(input.support_group_id).one(tx.conn()).await?;
    if group.is_none_or(|g| g.retired_at.is_some()) {
        return Err(no_such_group());
    }
    if let Some(meeting_id) = input.meeting_id {
        let meeting = meeting::Entity::find_by_id(meeting_id).one(tx.conn()).await?;
        if meeting.is_none_or(|m| m.support_group_id != input.support_group_id || m.retired_at.is_some()) {
            return Err(AppError::bad_field("meetingId", "the meeting must be one the chosen group still runs"));
        }
    }
    let inserted = referral::ActiveModel {
        id: Set(input.id.unwrap_or_else(Uuid::now_v7)),
        version: Set(1),
        client_id: Set(client.id),
        episode_id: Set(open_episode.id),
        support_group_id: Set(input.support_group_id),
        meeting_id: Set(input.meeting_id),
        status: Set(status),
        status_reason: Set(None),
        stage_at_referral: Set(open_episode.stage),
        referred_by: Set(viewer.staff_id),
        note: Set(input.note),
        weekly_goal: Set(input.weekly_goal),
        referred_at: Set((status == ReferralStatus::Referred).then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await;
    let referral = match inserted {
        Ok(r) => r,
        Err(e) => {
            return Err(match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => one_open_referral(),
                // The client and the episode were just read, so it is the group.
                Some(SqlErr::ForeignKeyConstraintViolation(_)) => no_such_group(),
                _ => e.into(),
            });
        }
    };
    tx.changed(Some(referral.client_id))?;
    tx.publish(CaseloadEventKind::ReferralCreated, referral.client_id, Some(referral.id))?;
    Ok((tx, referral))
}

async fn set_status(
    conn: &impl ConnectionTrait,
    current: &referral::Model,
    status: ReferralStatus,
    reason: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<referral::Model> {
    let mut update = referral::Entity::update_many();
    if status == ReferralStatus::Referred && current.referred_at.is_none() {
        update = update.col_expr(referral::Column::ReferredAt, Expr::value(Some(now)));
    }
    let updated = update
        .col_expr(referral::Column::Status, Expr::value(status))
        .col_expr(referral::Column::StatusReason, Expr::value(reason))
        .col_expr(referral::Column::Version, Expr::value(current.version + 1))
        .col_expr(referral::Column::UpdatedAt, Expr::value(now))
        .filter(referral::Column::Id.eq(current.id))
        .filter(referral::Column::Version.eq(current.version))
        .exec(conn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(stale("referral"));
    }
    referral::Entity::find_by_id(current.id).one(conn).await?.ok_or(AppError::NotFound)
}

pub async fn update_status(state: &AppState, viewer: &Viewer, input: StatusChange) -> AppResult<referral::Model> {
    let spec = Write::new("updateReferralStatus", Who::Clinical, Target::Referral(input.referral_id));
    write(state, viewer, spec, |tx| update_status_in(tx, input.clone())).await
}

async fn update_status_in(mut tx: Tx, input: StatusChange) -> AppResult<(Tx, referral::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    if let Some(reason) = &input.reason {
        check_text("reason", reason, MAX_REASON_CHARS)?;
    }
    let current = find_visible(tx.conn(), viewer, input.referral_id).await?;
    if current.version != input.expected_version {
        return Err(stale("referral"));
    }
    check_move(current.status, input.status, input.reason.as_deref())?;
    let updated = set_status(tx.conn(), &current, input.status, input.reason, state.now()).await?;
    tx.changed(Some(updated.client_id))?;
    tx.publish(CaseloadEventKind::ReferralStatusChanged, updated.client_id, Some(updated.id))?;
    Ok((tx, updated))
}

/// Records one attended meeting. The first attendance of a REFERRED referral makes it ENGAGED.
pub async fn record_attendance(state: &AppState, viewer: &Viewer, input: NewAttendance) -> AppResult<referral::Model> {
    let spec = Write::new("recordAttendance", Who::Clinical, Target::Referral(input.referral_id));
    write(state, viewer, spec, |tx| record_attendance_in(tx, input.clone())).await
}

async fn record_attendance_in(mut tx: Tx, input: NewAttendance) -> AppResult<(Tx, referral::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    if let Some(note) = &input.note {
        check_text("note", note, MAX_NOTE_CHARS)?;
    }
    let now = state.now();
    let today = state.today();
    // Lock the referral: concurrent attendance on one referral queues here instead of
    // racing on its status (SQLite's write transaction is exclusive already).
    let mut query = referral::Entity::find_by_id(input.referral_id)
        .filter(referral::Column::ClientId.in_subquery(scope::visible_client_ids(viewer)?));
    if tx.conn().get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        query = query.lock_exclusive();
    }
    let current = query.one(tx.conn()).await?.ok_or(AppError::NotFound)?;
    if !matches!(current.status, ReferralStatus::Referred | ReferralStatus::Engaged) {
        return Err(RuleViolation::new(
            "ATTENDANCE_NEEDS_ACTIVE_REFERRAL",
            Some("referralId"),
            format!("attendance is recorded on a REFERRED or ENGAGED referral, not a {} one", current.status.as_str()),
        )
        .into());
    }
    if input.attended_on > today || input.attended_on < state.local_date(current.created_at) {
        return Err(AppError::bad_field("attendedOn", "the meeting date must be between the referral and today"));
    }
    let inserted = attendance::ActiveModel {
        id: Set(input.id.unwrap_or_else(Uuid::now_v7)),
        referral_id: Set(current.id),
        attended_on: Set(input.attended_on),
        verified: Set(input.verified),
        note: Set(input.note),
        recorded_by: Set(viewer.staff_id),
        created_at: Set(now),
    }
    .insert(tx.conn())
    .await;
    match inserted {
        Ok(_) => {}
        // One attendance per referral and day: a second would inflate adherence. (A retry
        // of the same request is answered by its idempotency key before it gets here.)
        Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            return Err(RuleViolation::new(
                "ATTENDANCE_DUPLICATE",
                Some("attendedOn"),
                format!("attendance on {} is already recorded for this referral", input.attended_on),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    let referral = if current.status == ReferralStatus::Referred {
        set_status(tx.conn(), &current, ReferralStatus::Engaged, None, now).await?
    } else {
        current
    };
    tx.changed(Some(referral.client_id))?;
    tx.publish(CaseloadEventKind::AttendanceRecorded, referral.client_id, Some(referral.id))?;
    Ok((tx, referral))
}

/// A referral the caller may see, or `None`.
pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<referral::Model>> {
    match find_visible(&state.db, viewer, id).await {
        Ok(found) => Ok(Some(found)),
        Err(AppError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The referral an attendance row belongs to, if the caller may see it.
pub async fn by_attendance(
    state: &AppState,
    viewer: &Viewer,
    attendance_id: Uuid,
) -> AppResult<Option<referral::Model>> {
    let Some(row) = attendance::Entity::find_by_id(attendance_id).one(&state.db).await? else { return Ok(None) };
    get(state, viewer, row.referral_id).await
}
