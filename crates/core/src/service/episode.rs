//! Treatment episodes: admission, stage moves (appended to the history) and discharge.
//!
//! What a move or a discharge does to the follow-up contacts:
//! - entering AFTERCARE schedules the continuing-care contacts and puts the plan into effect;
//! - leaving high-intensity care — by discharge (except DECEASED) or by a step down — schedules
//!   the post-discharge contacts (7 and 30 days), skipping a day already covered;
//! - going back from AFTERCARE to treatment, or back into high-intensity care, settles the
//!   contacts of the schedule that no longer applies: those overdue become MISSED (they
//!   stay in the figures), those not yet due are CANCELLED, those due today stay open;
//! - discharge as DECEASED closes every open contact and referral.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{
        DischargeReason, DischargedTo, FollowUpKind, FollowUpStatus, LevelOfCare, Placement, ReferralStatus,
        RuleViolation, Stage,
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
        follow_up::NewContact,
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
    /// The TEDS intake elements, when asked.
    pub intake: Option<crate::domain::teds::Intake>,
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
    pub discharged_to: Option<DischargedTo>,
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
    if let Some(intake) = &input.intake {
        crate::domain::teds::check_intake(intake)?;
    }
    let intake = input.intake.as_ref().map(serde_json::to_string).transpose().map_err(AppError::internal)?;
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
    // The client's latest episode: still open means no second one; closed, this one is a
    // readmission and links to it.
    let previous = episode::Entity::find()
        .filter(episode::Column::ClientId.eq(client.id))
        .order_by_desc(episode::Column::AdmittedAt)
        .order_by_desc(episode::Column::Id)
        .one(tx.conn())
        .await?;
    if previous.as_ref().is_some_and(|p| p.discharged_at.is_none()) {
        return Err(one_open_episode());
    }
    if let Some(discharged_at) = previous.as_ref().and_then(|p| p.discharged_at)
        && admitted_at < discharged_at
    {
        return Err(AppError::bad_field(
            "admittedAt",
            format!("the client's last episode ended at {discharged_at}: a new admission comes after it"),
        ));
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
        discharged_to: Set(None),
        previous_episode_id: Set(previous.map(|p| p.id)),
        intake: Set(intake),
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
    gpra_interview(tx.state(), tx.conn(), &episode, viewer.staff_id, now).await?;
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

/// Schedules contacts of one kind at `days` after `from`, skipping any day on which the
/// episode already has a contact scheduled or made (a step down into aftercare would
/// otherwise get two contacts at 7 and at 30 days).
#[allow(clippy::too_many_arguments)]
async fn schedule_contacts(
    conn: &impl ConnectionTrait,
    episode: &episode::Model,
    kind: FollowUpKind,
    from: chrono::NaiveDate,
    days: &[u32],
    by: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let taken: Vec<chrono::NaiveDate> = follow_up::Entity::find()
        .select_only()
        .column(follow_up::Column::DueOn)
        .filter(follow_up::Column::EpisodeId.eq(episode.id))
        .filter(follow_up::Column::Status.is_in([FollowUpStatus::Scheduled, FollowUpStatus::Completed]))
        .into_tuple()
        .all(conn)
        .await?;
    let rows: Vec<follow_up::ActiveModel> = schedule(from, days)
        .into_iter()
        .zip(days)
        .filter(|(due_on, _)| !taken.contains(due_on))
        .map(|(due_on, d)| {
            let contact = NewContact { id: None, kind, due_on, schedule_days: Some(*d as i32), note: None };
            contact.row(episode.client_id, Some(episode.id), by, at)
        })
        .collect();
    if !rows.is_empty() {
        follow_up::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

/// The GPRA 6-month follow-up interview of this intake: due 6 months after admission, its
/// window months 5 to 8. Nothing but a death cancels it.
async fn gpra_interview(
    state: &AppState,
    conn: &impl ConnectionTrait,
    episode: &episode::Model,
    by: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let (_, due_on, _) = crate::domain::measures::gpra_window(state.local_date(episode.admitted_at));
    let contact = NewContact { id: None, kind: FollowUpKind::Gpra, due_on, schedule_days: None, note: None };
    contact.row(episode.client_id, Some(episode.id), by, at).insert(conn).await?;
    Ok(())
}

/// Schedules the continuing-care contacts and turns the plan's PLANNED referrals into REFERRED.
async fn enter_aftercare(
    state: &AppState,
    conn: &impl ConnectionTrait,
    episode: &episode::Model,
    by: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let start = state.local_date(at);
    let days = &state.config.follow_up_schedule_days;
    schedule_contacts(conn, episode, FollowUpKind::Aftercare, start, days, by, at).await?;
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

/// The post-discharge contacts after leaving high-intensity care on `at`'s local date.
async fn after_exit(
    state: &AppState,
    conn: &impl ConnectionTrait,
    episode: &episode::Model,
    by: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let exit = state.local_date(at);
    let days = &state.config.post_discharge_days;
    schedule_contacts(conn, episode, FollowUpKind::PostDischarge, exit, days, by, at).await
}

/// The schedule of `kind` no longer applies: what was overdue was missed and stays so; what
/// was not yet due is cancelled; what is due today stays open (it can still be made).
async fn settle(
    conn: &impl ConnectionTrait,
    episode: &episode::Model,
    kind: FollowUpKind,
    today: chrono::NaiveDate,
    why: &str,
    at: DateTime<Utc>,
) -> AppResult<()> {
    for (status, due) in [
        (FollowUpStatus::Missed, follow_up::Column::DueOn.lt(today)),
        (FollowUpStatus::Cancelled, follow_up::Column::DueOn.gt(today)),
    ] {
        let note = match status {
            FollowUpStatus::Missed => format!("missed: not made before the client {why}"),
            _ => format!("cancelled: the client {why} before it was due"),
        };
        follow_up::Entity::update_many()
            .col_expr(follow_up::Column::Status, Expr::value(status))
            .col_expr(follow_up::Column::Note, Expr::value(note))
            .col_expr(follow_up::Column::Version, Expr::col(follow_up::Column::Version).add(1))
            .col_expr(follow_up::Column::UpdatedAt, Expr::value(at))
            .filter(follow_up::Column::EpisodeId.eq(episode.id))
            .filter(follow_up::Column::Status.eq(FollowUpStatus::Scheduled))
            .filter(follow_up::Column::Kind.eq(kind))
            .filter(due)
            .exec(conn)
            .await?;
    }
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
    let from = Placement::new(current.stage, current.level_of_care);
    let to = Placement::new(input.stage, input.level_of_care);
    check_move(from, to)?;

    let changes = episode::Entity::update_many()
        .col_expr(episode::Column::Stage, Expr::value(input.stage))
        .col_expr(episode::Column::LevelOfCare, Expr::value(input.level_of_care))
        .col_expr(episode::Column::StageEnteredAt, Expr::value(now));
    let episode = save_next_version(tx.conn(), &current, changes, now).await?;
    append_history(tx.conn(), &episode, Some(current.stage), viewer.staff_id, now, input.reason).await?;
    let state = tx.state().clone();
    let today = state.local_date(now);
    let back_to = format!("went back to {}", to.stage.as_str());
    if from.stage == Stage::Aftercare && to.stage != Stage::Aftercare {
        settle(tx.conn(), &episode, FollowUpKind::Aftercare, today, &back_to, now).await?;
    }
    if to.is_high_intensity() && !from.is_high_intensity() {
        settle(tx.conn(), &episode, FollowUpKind::PostDischarge, today, &back_to, now).await?;
    }
    if to.stage == Stage::Aftercare && from.stage != Stage::Aftercare {
        enter_aftercare(&state, tx.conn(), &episode, viewer.staff_id, now).await?;
    }
    if from.is_high_intensity() && !to.is_high_intensity() {
        after_exit(&state, tx.conn(), &episode, viewer.staff_id, now).await?;
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
    let by = tx.viewer()?.staff_id;
    let current = open_at_version(tx.conn(), tx.viewer()?, input.episode_id, input.expected_version).await?;
    let state = tx.state().clone();
    let episode = close(&state, tx.conn(), &current, input.reason, input.discharged_to, input.note, by, now).await?;
    tx.changed(Some(episode.client_id))?;
    tx.publish(CaseloadEventKind::Discharged, episode.client_id, Some(episode.id))?;
    Ok((tx, episode))
}

/// Closes the open episode for the reason. Every discharge but DECEASED is followed up:
/// the post-discharge contacts are scheduled whatever the stage (a client who leaves detox
/// on day 3 is the one most at risk); DECEASED closes every open contact and referral.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn close(
    state: &AppState,
    conn: &impl ConnectionTrait,
    current: &episode::Model,
    reason: DischargeReason,
    discharged_to: Option<DischargedTo>,
    note: Option<String>,
    by: Uuid,
    now: DateTime<Utc>,
) -> AppResult<episode::Model> {
    let changes = episode::Entity::update_many()
        .col_expr(episode::Column::DischargedAt, Expr::value(now))
        .col_expr(episode::Column::DischargeReason, Expr::value(reason))
        .col_expr(episode::Column::DischargedTo, Expr::value(Some(discharged_to.unwrap_or(DischargedTo::Unknown))))
        .col_expr(episode::Column::DischargeNote, Expr::value(note));
    let episode = save_next_version(conn, current, changes, now).await?;
    if reason == DischargeReason::Deceased {
        close_everything_open(conn, current.client_id, now).await?;
    } else {
        after_exit(state, conn, &episode, by, now).await?;
    }
    Ok(episode)
}

pub(crate) async fn close_everything_open(
    conn: &impl ConnectionTrait,
    client_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
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
