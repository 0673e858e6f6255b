//! Follow-up contacts: scheduled by hand, on entering aftercare or after leaving
//! high-intensity care; outreach attempts logged against them; recorded once.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
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
        AttemptMethod, AttemptResult, DischargeReason, DischargedTo, FollowUpKind, FollowUpOutcome, FollowUpStatus,
        RuleViolation,
        client::{MAX_NOTE_CHARS, check_text},
        follow_up::{check_record, check_unreachable},
    },
    entity::{client, episode, follow_up, follow_up_attempt},
    error::{AppError, AppResult},
    events::CaseloadEventKind,
    service::{
        client::stale,
        pagination::{self, Order, Page, PageRequest},
        scope,
    },
    state::AppState,
};

#[derive(Clone)]
pub struct NewFollowUp {
    pub id: Option<Uuid>,
    pub client_id: Uuid,
    pub due_on: NaiveDate,
    pub note: Option<String>,
}

/// A contact to schedule: by hand, or from a schedule (aftercare, post-discharge, GPRA).
pub(crate) struct NewContact {
    pub id: Option<Uuid>,
    pub kind: FollowUpKind,
    pub due_on: NaiveDate,
    pub schedule_days: Option<i32>,
    pub note: Option<String>,
}

impl NewContact {
    /// The row of a new, scheduled contact of the client (and episode), made by `by` at `at`.
    pub fn row(self, client_id: Uuid, episode_id: Option<Uuid>, by: Uuid, at: DateTime<Utc>) -> follow_up::ActiveModel {
        follow_up::ActiveModel {
            id: Set(self.id.unwrap_or_else(Uuid::now_v7)),
            version: Set(1),
            client_id: Set(client_id),
            episode_id: Set(episode_id),
            due_on: Set(self.due_on),
            schedule_days: Set(self.schedule_days),
            kind: Set(self.kind),
            status: Set(FollowUpStatus::Scheduled),
            outcome: Set(None),
            attending_support_group: Set(None),
            contacted_at: Set(None),
            note: Set(self.note),
            recorded_by: Set(None),
            created_by: Set(by),
            created_at: Set(at),
            updated_at: Set(at),
        }
    }
}

#[derive(Clone)]
pub struct Contact {
    pub follow_up_id: Uuid,
    pub expected_version: i32,
    pub status: FollowUpStatus,
    pub outcome: Option<FollowUpOutcome>,
    pub attending_support_group: Option<bool>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

#[derive(Clone)]
pub struct Attempt {
    pub follow_up_id: Uuid,
    pub attempted_at: Option<DateTime<Utc>>,
    pub method: AttemptMethod,
    pub result: AttemptResult,
    pub note: Option<String>,
}

#[derive(Default, Clone)]
pub struct FollowUpFilter {
    pub status: Option<Vec<FollowUpStatus>>,
    pub overdue: Option<bool>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub counselor_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
}

pub async fn find_visible(conn: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<follow_up::Model> {
    follow_up::Entity::find_by_id(id)
        .filter(follow_up::Column::ClientId.in_subquery(scope::visible_client_ids(viewer)?))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn schedule(state: &AppState, viewer: &Viewer, input: NewFollowUp) -> AppResult<follow_up::Model> {
    let spec = Write::new("scheduleFollowUp", Who::Clinical, Target::Client(input.client_id));
    write(state, viewer, spec, |tx| schedule_in(tx, input.clone())).await
}

async fn schedule_in(mut tx: Tx, input: NewFollowUp) -> AppResult<(Tx, follow_up::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let today = state.today();
    if input.due_on < today || input.due_on > today + chrono::Days::new(2 * 366) {
        return Err(AppError::bad_field("dueOn", "a follow-up is due between today and two years from now"));
    }
    if let Some(note) = &input.note {
        check_text("note", note, MAX_NOTE_CHARS)?;
    }
    let now = state.now();
    let client = crate::service::client::find_visible(tx.conn(), viewer, input.client_id).await?;
    // Attached to the client's open or most recent episode, if any.
    let episode = episode::Entity::find()
        .filter(episode::Column::ClientId.eq(client.id))
        .order_by_desc(episode::Column::Id)
        .one(tx.conn())
        .await?;
    let contact = NewContact {
        id: input.id,
        kind: FollowUpKind::Manual,
        due_on: input.due_on,
        schedule_days: None,
        note: input.note,
    };
    let created = contact.row(client.id, episode.map(|e| e.id), viewer.staff_id, now).insert(tx.conn()).await?;
    tx.changed(Some(created.client_id))?;
    tx.publish(CaseloadEventKind::FollowUpScheduled, created.client_id, Some(created.id))?;
    Ok((tx, created))
}

pub async fn record(state: &AppState, viewer: &Viewer, input: Contact) -> AppResult<follow_up::Model> {
    let spec = Write::new("recordFollowUp", Who::Clinical, Target::FollowUp(input.follow_up_id));
    write(state, viewer, spec, |tx| record_in(tx, input.clone())).await
}

async fn record_in(mut tx: Tx, input: Contact) -> AppResult<(Tx, follow_up::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    if let Some(note) = &input.note {
        check_text("note", note, MAX_NOTE_CHARS)?;
    }
    let now = state.now();
    let current = find_visible(tx.conn(), viewer, input.follow_up_id).await?;
    if current.version != input.expected_version {
        return Err(stale("follow-up"));
    }
    check_record(current.status, input.status, input.outcome)?;
    let episode = episode_of(tx.conn(), &current).await?;
    let contacted_at = input.contacted_at.unwrap_or(now);
    check_when(&episode, &current, contacted_at, now, "contactedAt")?;
    let today = state.today();
    match input.status {
        FollowUpStatus::Cancelled if current.due_on < today => {
            return Err(RuleViolation::new(
                "FOLLOW_UP_OVERDUE",
                Some("status"),
                format!(
                    "this contact was due on {} and is overdue: record it COMPLETED or UNREACHABLE, not CANCELLED",
                    current.due_on
                ),
            )
            .into());
        }
        FollowUpStatus::Unreachable => {
            let days = attempt_days(state, tx.conn(), current.id).await?;
            let closes = window_closes_on(state, &current, episode.as_ref());
            check_unreachable(&days, state.config.unreachable_attempts, closes, today)?;
        }
        _ => {}
    }
    let contacted = input.status != FollowUpStatus::Cancelled;
    let changes = follow_up::Entity::update_many()
        .col_expr(follow_up::Column::Status, Expr::value(input.status))
        .col_expr(follow_up::Column::Outcome, Expr::value(input.outcome))
        .col_expr(follow_up::Column::AttendingSupportGroup, Expr::value(input.attending_support_group))
        .col_expr(follow_up::Column::ContactedAt, Expr::value(contacted.then_some(contacted_at)))
        .col_expr(follow_up::Column::Note, Expr::value(input.note.or(current.note.clone())))
        .col_expr(follow_up::Column::RecordedBy, Expr::value(Some(viewer.staff_id)));
    save_next_version(tx.conn(), &current, changes, now).await?;
    // A death learned at follow-up closes the open episode in the same transaction, as a
    // discharge DECEASED would: nobody is left scheduled to call.
    if input.outcome == Some(FollowUpOutcome::Deceased) {
        let open = episode::Entity::find()
            .filter(episode::Column::ClientId.eq(current.client_id))
            .filter(episode::Column::DischargedAt.is_null())
            .one(tx.conn())
            .await?;
        if let Some(open) = open {
            let note = Some("deceased: learned at follow-up".to_owned());
            let closed = crate::service::episode::close(
                state,
                tx.conn(),
                &open,
                DischargeReason::Deceased,
                Some(DischargedTo::Other),
                note,
                viewer.staff_id,
                now,
            )
            .await?;
            tx.publish(CaseloadEventKind::Discharged, closed.client_id, Some(closed.id))?;
        } else {
            crate::service::episode::close_everything_open(tx.conn(), current.client_id, now).await?;
        }
    }
    let follow_up = follow_up::Entity::find_by_id(current.id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;
    tx.changed(Some(follow_up.client_id))?;
    tx.publish(CaseloadEventKind::FollowUpRecorded, follow_up.client_id, Some(follow_up.id))?;
    Ok((tx, follow_up))
}

/// Writes `changes` and the next version, only if nobody has written the contact since the
/// caller read it (a racing writer makes this one a `CONFLICT`); returns the row as saved.
async fn save_next_version(
    conn: &impl ConnectionTrait,
    current: &follow_up::Model,
    changes: sea_orm::UpdateMany<follow_up::Entity>,
    now: DateTime<Utc>,
) -> AppResult<follow_up::Model> {
    let updated = changes
        .col_expr(follow_up::Column::Version, Expr::value(current.version + 1))
        .col_expr(follow_up::Column::UpdatedAt, Expr::value(now))
        .filter(follow_up::Column::Id.eq(current.id))
        .filter(follow_up::Column::Version.eq(current.version))
        .exec(conn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(stale("follow-up"));
    }
    follow_up::Entity::find_by_id(current.id).one(conn).await?.ok_or(AppError::NotFound)
}

/// The episode a contact follows, if it has one.
async fn episode_of(conn: &impl ConnectionTrait, f: &follow_up::Model) -> AppResult<Option<episode::Model>> {
    match f.episode_id {
        Some(id) => Ok(episode::Entity::find_by_id(id).one(conn).await?),
        None => Ok(None),
    }
}

/// A contact or an attempt happens after the episode began (or the contact was made, for
/// one outside any episode) and not in the future.
fn check_when(
    episode: &Option<episode::Model>,
    f: &follow_up::Model,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    field: &'static str,
) -> AppResult<()> {
    if at > now + chrono::Duration::minutes(5) {
        return Err(AppError::bad_field(field, "the time cannot be in the future"));
    }
    let began = episode.as_ref().map_or(f.created_at, |e| e.admitted_at);
    if at < began {
        return Err(AppError::bad_field(field, format!("the time cannot be before the episode began ({began})")));
    }
    Ok(())
}

/// The last day a contact may still be made before it can be given up whatever the attempts:
/// for the GPRA interview the end of month 8 after intake (the episode's admission), for
/// every other contact `CONTINUUM_FOLLOW_UP_WINDOW_DAYS` after its due date.
pub fn window_closes_on(state: &AppState, f: &follow_up::Model, episode: Option<&episode::Model>) -> NaiveDate {
    match (f.kind, episode) {
        (FollowUpKind::Gpra, Some(e)) => crate::domain::measures::gpra_window(state.local_date(e.admitted_at)).2,
        _ => f.due_on + chrono::Days::new(u64::from(state.config.follow_up_window_days)),
    }
}

/// The local days on which outreach for the contact was tried and did not reach the client.
async fn attempt_days(state: &AppState, conn: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<NaiveDate>> {
    let times: Vec<DateTime<Utc>> = follow_up_attempt::Entity::find()
        .select_only()
        .column(follow_up_attempt::Column::AttemptedAt)
        .filter(follow_up_attempt::Column::FollowUpId.eq(id))
        .filter(follow_up_attempt::Column::Result.ne(AttemptResult::Reached))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(times.into_iter().map(|t| state.local_date(t)).collect())
}

pub async fn record_attempt(state: &AppState, viewer: &Viewer, input: Attempt) -> AppResult<follow_up::Model> {
    let spec = Write::new("recordFollowUpAttempt", Who::Clinical, Target::FollowUp(input.follow_up_id));
    write(state, viewer, spec, |tx| record_attempt_in(tx, input.clone())).await
}

/// Logs one outreach attempt on a scheduled contact and moves the contact to its next
/// version (so a decision taken on the old attempt count is a `CONFLICT`).
async fn record_attempt_in(mut tx: Tx, input: Attempt) -> AppResult<(Tx, follow_up::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    if let Some(note) = &input.note {
        check_text("note", note, MAX_NOTE_CHARS)?;
    }
    let now = state.now();
    let current = find_visible(tx.conn(), viewer, input.follow_up_id).await?;
    if current.status != FollowUpStatus::Scheduled {
        return Err(RuleViolation::new(
            "FOLLOW_UP_CLOSED",
            Some("followUpId"),
            "attempts are logged on a scheduled contact; this one has been recorded, missed or cancelled",
        )
        .into());
    }
    let attempted_at = input.attempted_at.unwrap_or(now);
    let episode = episode_of(tx.conn(), &current).await?;
    check_when(&episode, &current, attempted_at, now, "attemptedAt")?;
    follow_up_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        follow_up_id: Set(current.id),
        client_id: Set(current.client_id),
        attempted_at: Set(attempted_at),
        method: Set(input.method),
        result: Set(input.result),
        note: Set(input.note),
        recorded_by: Set(viewer.staff_id),
        created_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    let follow_up = save_next_version(tx.conn(), &current, follow_up::Entity::update_many(), now).await?;
    tx.changed(Some(follow_up.client_id))?;
    tx.publish(CaseloadEventKind::FollowUpRecorded, follow_up.client_id, Some(follow_up.id))?;
    Ok((tx, follow_up))
}

fn filter_condition(state: &AppState, viewer: &Viewer, filter: &FollowUpFilter) -> AppResult<Condition> {
    let mut condition =
        Condition::all().add(follow_up::Column::ClientId.in_subquery(scope::visible_client_ids(viewer)?));
    if let Some(statuses) = filter.status.as_ref().filter(|s| !s.is_empty()) {
        condition = condition.add(follow_up::Column::Status.is_in(statuses.iter().copied()));
    }
    let today = state.today();
    match filter.overdue {
        Some(true) => {
            condition = condition
                .add(follow_up::Column::Status.eq(FollowUpStatus::Scheduled))
                .add(follow_up::Column::DueOn.lt(today));
        }
        Some(false) => {
            condition = condition.add(
                Condition::any()
                    .add(follow_up::Column::Status.ne(FollowUpStatus::Scheduled))
                    .add(follow_up::Column::DueOn.gte(today)),
            );
        }
        None => {}
    }
    if let Some(from) = filter.due_from {
        condition = condition.add(follow_up::Column::DueOn.gte(from));
    }
    if let Some(to) = filter.due_to {
        condition = condition.add(follow_up::Column::DueOn.lte(to));
    }
    if let Some(counselor_id) = filter.counselor_id {
        condition = condition.add(
            follow_up::Column::ClientId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(client::Column::Id)
                    .from(client::Entity)
                    .and_where(client::Column::PrimaryCounselorId.eq(counselor_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(client_id) = filter.client_id {
        condition = condition.add(follow_up::Column::ClientId.eq(client_id));
    }
    Ok(condition)
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    filter: &FollowUpFilter,
    page: PageRequest,
    want_total: bool,
) -> AppResult<Page<follow_up::Model>> {
    let condition = filter_condition(state, viewer, filter)?;
    let query = follow_up::Entity::find().filter(condition);
    pagination::fetch(&state.db, query, follow_up::Column::Id, Order::OldestFirst, page, want_total).await
}

/// A follow-up the caller may see, or `None`.
pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<follow_up::Model>> {
    match find_visible(&state.db, viewer, id).await {
        Ok(found) => Ok(Some(found)),
        Err(AppError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}
