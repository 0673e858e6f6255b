//! Aftercare plans, adherence, and the client's week of meetings.

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    db,
    domain::{
        ReferralStatus, RuleViolation,
        aftercare::{self, Adherence, Slot, check_weekly_goal},
        client::{MAX_NOTE_CHARS, check_text},
    },
    entity::{aftercare_plan, attendance, episode, follow_up, meeting, referral},
    error::{AppError, AppResult},
    events::{CaseloadEvent, CaseloadEventKind},
    service::client::{find_visible, stale},
    state::AppState,
};

/// A plan as the portal sees it: the stored row (absent until first drafted) and what it
/// gathers from the episode.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub plan: Option<aftercare_plan::Model>,
    pub episode: episode::Model,
    /// PLANNED, REFERRED and ENGAGED referrals of the episode, oldest first.
    pub referrals: Vec<referral::Model>,
    pub adherence: HashMap<Uuid, Adherence>,
    /// The episode's follow-ups, by due date.
    pub follow_ups: Vec<follow_up::Model>,
}

impl PlanView {
    pub fn client_adherence(&self) -> Option<Adherence> {
        let items: Vec<Adherence> = self.referrals.iter().filter_map(|r| self.adherence.get(&r.id).copied()).collect();
        aftercare::roll_up(&items)
    }
}

pub struct PlanUpdate {
    pub client_id: Uuid,
    pub expected_version: i32,
    pub notes: Option<String>,
    /// Per referral: meetings per week, or `None` to clear the goal.
    pub goals: Vec<(Uuid, Option<i32>)>,
}

/// Adherence of each active referral that has a goal, from its attendance dates.
pub fn adherence_of(
    referrals: &[referral::Model],
    attendance: &HashMap<Uuid, Vec<NaiveDate>>,
    today: NaiveDate,
    local_date: impl Fn(chrono::DateTime<chrono::Utc>) -> NaiveDate,
) -> HashMap<Uuid, Adherence> {
    referrals
        .iter()
        .filter(|r| matches!(r.status, ReferralStatus::Referred | ReferralStatus::Engaged))
        .filter_map(|r| {
            let goal = r.weekly_goal?;
            let dates = attendance.get(&r.id).map(Vec::as_slice).unwrap_or_default();
            let since = local_date(r.referred_at.unwrap_or(r.created_at));
            Some((r.id, aftercare::adherence(goal, since, today, dates)))
        })
        .collect()
}

/// Attendance dates per referral, from `since` on.
pub async fn attendance_dates(
    conn: &impl ConnectionTrait,
    referral_ids: &[Uuid],
    since: NaiveDate,
) -> AppResult<HashMap<Uuid, Vec<NaiveDate>>> {
    let rows = attendance::Entity::find()
        .filter(attendance::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .filter(attendance::Column::AttendedOn.gte(since))
        .all(conn)
        .await?;
    let mut map: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
    for row in rows {
        map.entry(row.referral_id).or_default().push(row.attended_on);
    }
    Ok(map)
}

async fn open_episode(conn: &impl ConnectionTrait, client_id: Uuid) -> AppResult<Option<episode::Model>> {
    Ok(episode::Entity::find()
        .filter(episode::Column::ClientId.eq(client_id))
        .filter(episode::Column::DischargedAt.is_null())
        .one(conn)
        .await?)
}

async fn view(state: &AppState, conn: &impl ConnectionTrait, episode: episode::Model) -> AppResult<PlanView> {
    let plan =
        aftercare_plan::Entity::find().filter(aftercare_plan::Column::EpisodeId.eq(episode.id)).one(conn).await?;
    let referrals = referral::Entity::find()
        .filter(referral::Column::EpisodeId.eq(episode.id))
        .filter(referral::Column::Status.is_in(ReferralStatus::OPEN))
        .order_by_asc(referral::Column::Id)
        .all(conn)
        .await?;
    let today = state.today();
    let ids: Vec<Uuid> = referrals.iter().map(|r| r.id).collect();
    let dates =
        attendance_dates(conn, &ids, today - chrono::Days::new(aftercare::ADHERENCE_WINDOW_DAYS as u64)).await?;
    let adherence = adherence_of(&referrals, &dates, today, |t| state.local_date(t));
    let follow_ups = follow_up::Entity::find()
        .filter(follow_up::Column::EpisodeId.eq(episode.id))
        .order_by_asc(follow_up::Column::DueOn)
        .all(conn)
        .await?;
    Ok(PlanView { plan, episode, referrals, adherence, follow_ups })
}

/// The plan of the client's open episode; `None` without an open episode.
pub async fn plan_for_client(state: &AppState, viewer: &Viewer, client_id: Uuid) -> AppResult<Option<PlanView>> {
    let client = find_visible(&state.db, viewer, client_id).await?;
    match open_episode(&state.db, client.id).await? {
        Some(episode) => Ok(Some(view(state, &state.db, episode).await?)),
        None => Ok(None),
    }
}

pub async fn update(state: &AppState, viewer: &Viewer, input: PlanUpdate) -> AppResult<PlanView> {
    viewer.require_clinical()?;
    if let Some(notes) = &input.notes {
        check_text("notes", notes, MAX_NOTE_CHARS)?;
    }
    for (_, goal) in &input.goals {
        if let Some(goal) = goal {
            check_weekly_goal(*goal)?;
        }
    }
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let client = find_visible(&txn, viewer, input.client_id).await?;
    let Some(episode) = open_episode(&txn, client.id).await? else {
        return Err(RuleViolation::new(
            "AFTERCARE_PLAN_NEEDS_OPEN_EPISODE",
            Some("clientId"),
            "an aftercare plan belongs to an open episode",
        )
        .into());
    };
    let current =
        aftercare_plan::Entity::find().filter(aftercare_plan::Column::EpisodeId.eq(episode.id)).one(&txn).await?;
    match current {
        None if input.expected_version == 0 => {
            let inserted = aftercare_plan::ActiveModel {
                id: Set(Uuid::now_v7()),
                version: Set(1),
                episode_id: Set(episode.id),
                client_id: Set(client.id),
                notes: Set(input.notes.clone().unwrap_or_default()),
                // A plan first written in aftercare has applied since the client entered it.
                effective_at: Set(
                    (episode.stage == crate::domain::Stage::Aftercare).then_some(episode.stage_entered_at)
                ),
                updated_by: Set(viewer.staff_id),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await;
            match inserted {
                Ok(_) => {}
                // Two first drafts racing: the second is stale.
                Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    return Err(stale("aftercare plan"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Some(plan) if plan.version == input.expected_version => {
            let mut update = aftercare_plan::Entity::update_many()
                .col_expr(aftercare_plan::Column::Version, Expr::value(plan.version + 1))
                .col_expr(aftercare_plan::Column::UpdatedBy, Expr::value(viewer.staff_id))
                .col_expr(aftercare_plan::Column::UpdatedAt, Expr::value(now))
                .filter(aftercare_plan::Column::Id.eq(plan.id))
                .filter(aftercare_plan::Column::Version.eq(plan.version));
            if let Some(notes) = &input.notes {
                update = update.col_expr(aftercare_plan::Column::Notes, Expr::value(notes.clone()));
            }
            if update.exec(&txn).await?.rows_affected != 1 {
                return Err(stale("aftercare plan"));
            }
        }
        _ => return Err(stale("aftercare plan")),
    }
    for (referral_id, goal) in &input.goals {
        let updated = referral::Entity::update_many()
            .col_expr(referral::Column::WeeklyGoal, Expr::value(*goal))
            .col_expr(referral::Column::UpdatedAt, Expr::value(now))
            .filter(referral::Column::Id.eq(*referral_id))
            .filter(referral::Column::EpisodeId.eq(episode.id))
            .filter(referral::Column::Status.is_in(ReferralStatus::OPEN))
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(AppError::bad_field("goals", "each goal must name an open referral of this episode"));
        }
    }
    let result = view(state, &txn, episode).await?;
    crate::service::audit::change(&txn, state, viewer, "updateAftercarePlan", client.id).await?;
    txn.commit().await?;
    state
        .events
        .publish(CaseloadEvent::new(
            CaseloadEventKind::AftercarePlanUpdated,
            client.id,
            viewer.staff_id,
            result.plan.as_ref().map(|p| p.id),
            now,
        ))
        .await;
    Ok(result)
}

/// Marks the episode's plan as in effect (called when the episode enters AFTERCARE).
pub async fn put_into_effect(
    conn: &impl ConnectionTrait,
    episode_id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    aftercare_plan::Entity::update_many()
        .col_expr(aftercare_plan::Column::EffectiveAt, Expr::value(Some(at)))
        .filter(aftercare_plan::Column::EpisodeId.eq(episode_id))
        .exec(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct ScheduledMeeting {
    pub meeting: meeting::Model,
    pub referral: referral::Model,
    pub date: NaiveDate,
    pub slot: Slot,
    pub meeting_tz: Tz,
    pub overlaps: bool,
}

/// The concrete meetings of the week holding `week_of` (Monday to Sunday), from the
/// client's planned and active referrals that name a meeting, in order of start.
pub async fn week(
    state: &AppState,
    viewer: &Viewer,
    client_id: Uuid,
    week_of: NaiveDate,
) -> AppResult<Vec<ScheduledMeeting>> {
    let client = find_visible(&state.db, viewer, client_id).await?;
    week_of_client(state, client.id, week_of).await
}

/// As `week`, for a client already checked against the caller's scope.
pub async fn week_of_client(state: &AppState, client_id: Uuid, week_of: NaiveDate) -> AppResult<Vec<ScheduledMeeting>> {
    let referrals = referral::Entity::find()
        .filter(referral::Column::ClientId.eq(client_id))
        .filter(referral::Column::Status.is_in(ReferralStatus::OPEN))
        .filter(referral::Column::MeetingId.is_not_null())
        .all(&state.db)
        .await?;
    let meetings: HashMap<Uuid, meeting::Model> = meeting::Entity::find()
        .filter(meeting::Column::Id.is_in(referrals.iter().filter_map(|r| r.meeting_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let monday = aftercare::week_start(week_of);
    let mut items: Vec<ScheduledMeeting> = referrals
        .into_iter()
        .filter_map(|referral| {
            let meeting = meetings.get(&referral.meeting_id?)?.clone();
            let tz: Tz = meeting.time_zone.parse().ok()?;
            let date = aftercare::date_in_week(monday, meeting.day_of_week)?;
            let starts_at = aftercare::local_instant(tz, date, meeting.start_time);
            let ends_at = starts_at + chrono::Duration::minutes(i64::from(meeting.duration_minutes));
            Some(ScheduledMeeting {
                meeting,
                referral,
                date,
                slot: Slot { starts_at, ends_at },
                meeting_tz: tz,
                overlaps: false,
            })
        })
        .collect();
    items.sort_by_key(|m| (m.slot.starts_at, m.meeting.id));
    let flags = aftercare::overlaps(&items.iter().map(|m| m.slot).collect::<Vec<_>>());
    for (item, overlaps) in items.iter_mut().zip(flags) {
        item.overlaps = overlaps;
    }
    Ok(items)
}
