//! Aftercare plans, adherence, and the client's week of meetings.

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
    sea_query::Expr,
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
        aftercare::{self, Adherence, Slot, check_weekly_goal},
        client::{MAX_NOTE_CHARS, check_text},
    },
    entity::{Id, aftercare_plan, attendance, client, episode, follow_up, meeting, referral},
    error::{AppError, AppResult},
    events::CaseloadEventKind,
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

#[derive(Clone)]
pub struct PlanUpdate {
    pub client_id: Uuid,
    pub expected_version: i32,
    pub notes: Option<String>,
    pub client_note: Option<String>,
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
    let id = episode.id;
    views(state, conn, vec![episode]).await?.remove(&id).ok_or(AppError::NotFound)
}

/// The plans of many episodes in five statements, whatever their number.
async fn views(
    state: &AppState,
    conn: &impl ConnectionTrait,
    episodes: Vec<episode::Model>,
) -> AppResult<HashMap<Uuid, PlanView>> {
    let episode_ids: Vec<Uuid> = episodes.iter().map(|e| e.id).collect();
    let mut plans: HashMap<Uuid, aftercare_plan::Model> = aftercare_plan::Entity::find()
        .filter(aftercare_plan::Column::EpisodeId.is_in(episode_ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.episode_id, p))
        .collect();
    let mut referrals: HashMap<Uuid, Vec<referral::Model>> = HashMap::new();
    for r in referral::Entity::find()
        .filter(referral::Column::EpisodeId.is_in(episode_ids.iter().copied()))
        .filter(referral::Column::Status.is_in(ReferralStatus::OPEN))
        .order_by_asc(referral::Column::Id)
        .all(conn)
        .await?
    {
        referrals.entry(r.episode_id).or_default().push(r);
    }
    let today = state.today();
    let referral_ids: Vec<Uuid> = referrals.values().flatten().map(|r| r.id).collect();
    let dates =
        attendance_dates(conn, &referral_ids, today - chrono::Days::new(aftercare::ADHERENCE_WINDOW_DAYS as u64))
            .await?;
    let mut follow_ups: HashMap<Uuid, Vec<follow_up::Model>> = HashMap::new();
    // The plan lists its own schedule (the continuing-care contacts); the GPRA interview and
    // post-discharge calls are on the client's follow-ups and the worklist.
    for f in follow_up::Entity::find()
        .filter(follow_up::Column::EpisodeId.is_in(episode_ids.iter().copied()))
        .filter(follow_up::Column::Kind.eq(crate::domain::FollowUpKind::Aftercare))
        .order_by_asc(follow_up::Column::DueOn)
        .all(conn)
        .await?
    {
        if let Some(episode_id) = f.episode_id {
            follow_ups.entry(episode_id).or_default().push(f);
        }
    }
    Ok(episodes
        .into_iter()
        .map(|episode| {
            let referrals = referrals.remove(&episode.id).unwrap_or_default();
            let adherence = adherence_of(&referrals, &dates, today, |t| state.local_date(t));
            let view = PlanView {
                plan: plans.remove(&episode.id),
                follow_ups: follow_ups.remove(&episode.id).unwrap_or_default(),
                referrals,
                adherence,
                episode,
            };
            (view.episode.id, view)
        })
        .collect())
}

/// The plans of the open episodes of clients the caller already sees (a sibling set of
/// `Client` objects): by client id, in a fixed number of statements.
pub async fn plans_of_clients(
    state: &AppState,
    client_ids: &[Id<client::Entity>],
) -> AppResult<HashMap<Id<client::Entity>, PlanView>> {
    let open = episode::Entity::find()
        .filter(episode::Column::ClientId.is_in(client_ids.iter().map(|id| id.uuid())))
        .filter(episode::Column::DischargedAt.is_null())
        .all(&state.db)
        .await?;
    Ok(views(state, &state.db, open).await?.into_values().map(|v| (v.episode.client_key(), v)).collect())
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
    let spec = Write::new("updateAftercarePlan", Who::Clinical, Target::Client(input.client_id));
    write(state, viewer, spec, |tx| update_in(tx, input.clone())).await
}

async fn update_in(mut tx: Tx, input: PlanUpdate) -> AppResult<(Tx, PlanView)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    if let Some(notes) = &input.notes {
        check_text("notes", notes, MAX_NOTE_CHARS)?;
    }
    if let Some(note) = &input.client_note {
        check_text("clientNote", note, MAX_NOTE_CHARS)?;
    }
    let now = state.now();
    let client = find_visible(tx.conn(), viewer, input.client_id).await?;
    let Some(episode) = open_episode(tx.conn(), client.id).await? else {
        return Err(RuleViolation::new(
            "AFTERCARE_PLAN_NEEDS_OPEN_EPISODE",
            Some("clientId"),
            "an aftercare plan belongs to an open episode",
        )
        .into());
    };
    let current =
        aftercare_plan::Entity::find().filter(aftercare_plan::Column::EpisodeId.eq(episode.id)).one(tx.conn()).await?;
    match current {
        None if input.expected_version == 0 => {
            let inserted = aftercare_plan::ActiveModel {
                id: Set(Uuid::now_v7()),
                version: Set(1),
                episode_id: Set(episode.id),
                client_id: Set(client.id),
                notes: Set(input.notes.clone().unwrap_or_default()),
                client_note: Set(input.client_note.clone().unwrap_or_default()),
                // A plan first written in aftercare has applied since the client entered it.
                effective_at: Set(
                    (episode.stage == crate::domain::Stage::Aftercare).then_some(episode.stage_entered_at)
                ),
                updated_by: Set(viewer.staff_id),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx.conn())
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
            if let Some(note) = &input.client_note {
                update = update.col_expr(aftercare_plan::Column::ClientNote, Expr::value(note.clone()));
            }
            if update.exec(tx.conn()).await?.rows_affected != 1 {
                return Err(stale("aftercare plan"));
            }
        }
        _ => return Err(stale("aftercare plan")),
    }
    let tied: std::collections::HashSet<Uuid> = referral::Entity::find()
        .select_only()
        .column(referral::Column::Id)
        .filter(referral::Column::Id.is_in(input.goals.iter().map(|(id, _)| *id)))
        .filter(referral::Column::MeetingId.is_not_null())
        .into_tuple::<Uuid>()
        .all(tx.conn())
        .await?
        .into_iter()
        .collect();
    for (referral_id, goal) in &input.goals {
        if let Some(goal) = goal {
            check_weekly_goal(*goal, tied.contains(referral_id))?;
        }
        let updated = referral::Entity::update_many()
            .col_expr(referral::Column::WeeklyGoal, Expr::value(*goal))
            .col_expr(referral::Column::UpdatedAt, Expr::value(now))
            .filter(referral::Column::Id.eq(*referral_id))
            .filter(referral::Column::EpisodeId.eq(episode.id))
            .filter(referral::Column::Status.is_in(ReferralStatus::OPEN))
            .exec(tx.conn())
            .await?;
        if updated.rows_affected != 1 {
            return Err(AppError::bad_field("goals", "each goal must name an open referral of this episode"));
        }
    }
    let result = view(state, tx.conn(), episode).await?;
    tx.changed(Some(client.id))?;
    tx.publish(CaseloadEventKind::AftercarePlanUpdated, client.id, result.plan.as_ref().map(|p| p.id))?;
    Ok((tx, result))
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
    let key = Id::from_input(client_id);
    Ok(weeks_of_clients(state, &[key], week_of).await?.remove(&key).unwrap_or_default())
}

/// The week's meetings of many clients (already visible to the caller) in two statements.
pub async fn weeks_of_clients(
    state: &AppState,
    client_ids: &[Id<client::Entity>],
    week_of: NaiveDate,
) -> AppResult<HashMap<Id<client::Entity>, Vec<ScheduledMeeting>>> {
    let referrals = referral::Entity::find()
        .filter(referral::Column::ClientId.is_in(client_ids.iter().map(|id| id.uuid())))
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
    let mut weeks: HashMap<Id<client::Entity>, Vec<ScheduledMeeting>> = HashMap::new();
    for referral in referrals {
        let Some(meeting) = referral.meeting_id.and_then(|id| meetings.get(&id)).cloned() else { continue };
        let Ok(tz) = meeting.time_zone.parse::<Tz>() else { continue };
        let Some(date) = aftercare::date_in_week(monday, meeting.day_of_week) else { continue };
        // A retired meeting leaves the schedule from the day it was retired.
        if meeting.retired_at.is_some_and(|at| state.local_date(at) <= date) {
            continue;
        }
        let starts_at = aftercare::local_instant(tz, date, meeting.start_time);
        let ends_at = starts_at + chrono::Duration::minutes(i64::from(meeting.duration_minutes));
        let item = ScheduledMeeting {
            meeting,
            date,
            slot: Slot { starts_at, ends_at },
            meeting_tz: tz,
            overlaps: false,
            referral,
        };
        weeks.entry(item.referral.client_key()).or_default().push(item);
    }
    for items in weeks.values_mut() {
        items.sort_by_key(|m| (m.slot.starts_at, m.meeting.id));
        let flags = aftercare::overlaps(&items.iter().map(|m| m.slot).collect::<Vec<_>>());
        for (item, overlaps) in items.iter_mut().zip(flags) {
            item.overlaps = overlaps;
        }
    }
    Ok(weeks)
}
