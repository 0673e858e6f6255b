//! Clients: registration, updates, reassignment and the caseload lists.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
    sea_query::{Expr, ExprTrait, LikeExpr},
};
use uuid::Uuid;

use crate::service::{
    audit::Target,
    write::{Tx, Who, Write, write},
};
use crate::{
    auth::Viewer,
    domain::{
        FollowUpStatus, Gender, Stage, Substance,
        client::{check_date_of_birth, check_language, check_person_name, check_substances, encode_substances},
    },
    entity::{client, episode, follow_up, staff},
    error::{AppError, AppResult},
    events::CaseloadEventKind,
    service::{
        pagination::{self, Order, Page, PageRequest},
        scope,
    },
    state::AppState,
};

#[derive(Clone)]
pub struct NewClient {
    /// The id to create under (reserved by an idempotency key), or a new one.
    pub id: Option<Uuid>,
    pub first_name: String,
    pub last_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub gender: Option<Gender>,
    pub substances: Vec<Substance>,
    pub co_occurring_mental_health: bool,
    pub prefers_secular: bool,
    pub language: Option<String>,
    pub primary_counselor_id: Option<Uuid>,
    /// Registers even when likely duplicates were found (the counselor checked them).
    pub confirm_not_duplicate: bool,
}

#[derive(Default, Clone)]
pub struct ClientChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `Some(None)` clears it.
    pub preferred_name: Option<Option<String>>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: Option<Option<Gender>>,
    pub substances: Option<Vec<Substance>>,
    pub co_occurring_mental_health: Option<bool>,
    pub prefers_secular: Option<bool>,
    pub language: Option<Option<String>>,
}

#[derive(Default, Clone)]
pub struct ClientFilter {
    pub stage: Option<Stage>,
    pub search: Option<String>,
    pub counselor_id: Option<Uuid>,
    pub has_overdue_follow_up: Option<bool>,
    pub date_of_birth: Option<NaiveDate>,
}

fn optional_name(field: &'static str, value: Option<String>) -> AppResult<Option<String>> {
    value.filter(|v| !v.trim().is_empty()).map(|v| check_person_name(field, &v)).transpose().map_err(Into::into)
}

fn optional_language(value: Option<String>) -> AppResult<Option<String>> {
    value.filter(|v| !v.trim().is_empty()).map(|v| check_language(&v)).transpose().map_err(Into::into)
}

/// The client if the caller may see it; `NOT_FOUND` otherwise, exactly as if absent.
pub async fn find_visible(conn: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<client::Model> {
    client::Entity::find_by_id(id).filter(scope::visible_clients(viewer)?).one(conn).await?.ok_or(AppError::NotFound)
}

pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<client::Model>> {
    Ok(client::Entity::find_by_id(id).filter(scope::visible_clients(viewer)?).one(&state.db).await?)
}

/// The same answer for a staff id that does not exist and one that is not the caller's to
/// assign, so that staff ids cannot be probed.
async fn check_counselor(conn: &impl ConnectionTrait, viewer: &Viewer, counselor_id: Uuid) -> AppResult<()> {
    if viewer.role == crate::domain::Role::Counselor && counselor_id != viewer.staff_id {
        return Err(AppError::Forbidden("a counselor registers clients onto their own caseload"));
    }
    let counselor = staff::Entity::find_by_id(counselor_id).one(conn).await?;
    match counselor {
        Some(c) if scope::may_assign_to(viewer, &c) => Ok(()),
        _ => {
            Err(AppError::bad_field("counselorId", "the counselor must be an active member of your team (or yourself)"))
        }
    }
}

pub async fn register(state: &AppState, viewer: &Viewer, input: NewClient) -> AppResult<client::Model> {
    let spec = Write::new("registerClient", Who::Clinical, Target::Nothing);
    write(state, viewer, spec, |tx| register_in(tx, input.clone())).await
}

async fn register_in(mut tx: Tx, input: NewClient) -> AppResult<(Tx, client::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let first_name = check_person_name("firstName", &input.first_name)?;
    let last_name = check_person_name("lastName", &input.last_name)?;
    let preferred_name = optional_name("preferredName", input.preferred_name)?;
    check_date_of_birth(input.date_of_birth, state.today())?;
    check_substances(&input.substances)?;
    let language = optional_language(input.language)?;
    let counselor_id = input.primary_counselor_id.unwrap_or(viewer.staff_id);

    let now = state.now();
    // Likely duplicates among the clients the caller may see (never beyond: a match outside
    // the scope must not tell that such a person is in treatment here).
    if !input.confirm_not_duplicate {
        let candidates: Vec<Uuid> = client::Entity::find()
            .filter(scope::visible_clients(viewer)?)
            .filter(client::Column::DateOfBirth.eq(input.date_of_birth))
            .all(tx.conn())
            .await?
            .into_iter()
            .filter(|c| {
                crate::domain::client::likely_same_person((&first_name, &last_name), (&c.first_name, &c.last_name))
            })
            .map(|c| c.id)
            .collect();
        if !candidates.is_empty() {
            return Err(AppError::LikelyDuplicate { candidates });
        }
    }
    if counselor_id != viewer.staff_id {
        check_counselor(tx.conn(), viewer, counselor_id).await.map_err(|e| match e {
            AppError::BadInput { message, .. } => AppError::bad_field("primaryCounselorId", message),
            other => other,
        })?;
    }
    let name_key = crate::domain::client::name_key(&[&first_name, preferred_name.as_deref().unwrap_or(""), &last_name]);
    let created = client::ActiveModel {
        id: Set(input.id.unwrap_or_else(Uuid::now_v7)),
        version: Set(1),
        first_name: Set(first_name),
        last_name: Set(last_name),
        preferred_name: Set(preferred_name),
        date_of_birth: Set(input.date_of_birth),
        gender: Set(input.gender),
        substances: Set(encode_substances(&input.substances)),
        co_occurring_mental_health: Set(input.co_occurring_mental_health),
        prefers_secular: Set(input.prefers_secular),
        language: Set(language),
        primary_counselor_id: Set(counselor_id),
        name_key: Set(name_key),
        created_by: Set(viewer.staff_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?;
    tx.changed(Some(created.id))?;
    tx.publish(CaseloadEventKind::ClientRegistered, created.id, None)?;
    Ok((tx, created))
}

pub async fn update(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    expected_version: i32,
    changes: ClientChanges,
) -> AppResult<client::Model> {
    let spec = Write::new("updateClient", Who::Clinical, Target::Client(id));
    write(state, viewer, spec, |tx| update_in(tx, id, expected_version, changes.clone())).await
}

async fn update_in(
    mut tx: Tx,
    id: Uuid,
    expected_version: i32,
    changes: ClientChanges,
) -> AppResult<(Tx, client::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let current = find_visible(tx.conn(), viewer, id).await?;
    if current.version != expected_version {
        return Err(stale("client"));
    }
    let mut model: client::ActiveModel = current.clone().into();
    let (mut first, mut last, mut preferred) =
        (current.first_name.clone(), current.last_name.clone(), current.preferred_name.clone());
    if let Some(v) = changes.first_name {
        first = check_person_name("firstName", &v)?;
        model.first_name = Set(first.clone());
    }
    if let Some(v) = changes.last_name {
        last = check_person_name("lastName", &v)?;
        model.last_name = Set(last.clone());
    }
    if let Some(v) = changes.preferred_name {
        preferred = optional_name("preferredName", v)?;
        model.preferred_name = Set(preferred.clone());
    }
    if let Some(v) = changes.date_of_birth {
        check_date_of_birth(v, state.today())?;
        model.date_of_birth = Set(v);
    }
    if let Some(v) = changes.gender {
        model.gender = Set(v);
    }
    if let Some(v) = changes.substances {
        check_substances(&v)?;
        model.substances = Set(encode_substances(&v));
    }
    if let Some(v) = changes.co_occurring_mental_health {
        model.co_occurring_mental_health = Set(v);
    }
    if let Some(v) = changes.prefers_secular {
        model.prefers_secular = Set(v);
    }
    if let Some(v) = changes.language {
        model.language = Set(optional_language(v)?);
    }
    model.name_key = Set(crate::domain::client::name_key(&[&first, preferred.as_deref().unwrap_or(""), &last]));
    let updated = save_versioned(tx.conn(), id, model, current.version, state.now()).await?;
    tx.changed(Some(updated.id))?;
    tx.publish(CaseloadEventKind::ClientUpdated, updated.id, None)?;
    Ok((tx, updated))
}

/// Writes the row only if it is still at `expected`: a racing writer that got there first
/// makes this one a `CONFLICT`, on both databases.
async fn save_versioned(
    conn: &impl ConnectionTrait,
    id: Uuid,
    mut model: client::ActiveModel,
    expected: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<client::Model> {
    model.version = Set(expected + 1);
    model.updated_at = Set(now);
    let result = client::Entity::update_many()
        .set(model)
        .filter(client::Column::Id.eq(id))
        .filter(client::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if result.rows_affected != 1 {
        return Err(stale("client"));
    }
    client::Entity::find_by_id(id).one(conn).await?.ok_or(AppError::NotFound)
}

pub fn stale(what: &str) -> AppError {
    AppError::conflict(format!("this {what} was changed by someone else: reload it and try again"))
}

/// Moves a client to another counselor inside the supervisor's team.
pub async fn reassign(
    state: &AppState,
    viewer: &Viewer,
    client_id: Uuid,
    counselor_id: Uuid,
) -> AppResult<client::Model> {
    let spec = Write::new("reassignClient", Who::Clinical, Target::Client(client_id));
    write(state, viewer, spec, |tx| reassign_in(tx, client_id, counselor_id)).await
}

async fn reassign_in(mut tx: Tx, client_id: Uuid, counselor_id: Uuid) -> AppResult<(Tx, client::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let current = find_visible(tx.conn(), viewer, client_id).await?;
    if viewer.role != crate::domain::Role::Supervisor {
        return Err(AppError::Forbidden("only a supervisor reassigns clients"));
    }
    check_counselor(tx.conn(), viewer, counselor_id).await?;
    let version = current.version;
    let mut model: client::ActiveModel = current.into();
    model.primary_counselor_id = Set(counselor_id);
    let updated = save_versioned(tx.conn(), client_id, model, version, state.now()).await?;
    tx.changed(Some(updated.id))?;
    tx.publish(CaseloadEventKind::ClientReassigned, updated.id, None)?;
    Ok((tx, updated))
}

/// Moves every client of one counselor to another, in one transaction, one audit event per
/// client: the hand-over when a counselor leaves or goes on leave. Only the counselor's
/// supervisor can do it, within their own team.
pub async fn reassign_caseload(
    state: &AppState,
    viewer: &Viewer,
    from_counselor_id: Uuid,
    to_counselor_id: Uuid,
) -> AppResult<Vec<client::Model>> {
    let spec = Write::new("reassignCaseload", Who::Clinical, Target::Nothing);
    write(state, viewer, spec, |tx| reassign_caseload_in(tx, from_counselor_id, to_counselor_id)).await
}

async fn reassign_caseload_in(mut tx: Tx, from: Uuid, to: Uuid) -> AppResult<(Tx, Vec<client::Model>)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    if viewer.role != crate::domain::Role::Supervisor {
        return Err(AppError::Forbidden("only a supervisor reassigns clients"));
    }
    if from == to {
        return Err(AppError::bad_field("toCounselorId", "the caseload is already this counselor's"));
    }
    // The counselor handing over must be on the caller's team; the same answer otherwise.
    let giver = staff::Entity::find_by_id(from).one(tx.conn()).await?;
    if !giver.is_some_and(|g| g.supervisor_id == Some(viewer.staff_id) || g.id == viewer.staff_id) {
        return Err(AppError::bad_field("fromCounselorId", "the counselor must be a member of your team"));
    }
    check_counselor(tx.conn(), viewer, to).await.map_err(|_| {
        AppError::bad_field("toCounselorId", "the counselor must be an active member of your team (or yourself)")
    })?;
    let now = state.now();
    let clients = client::Entity::find()
        .filter(scope::visible_clients(viewer)?)
        .filter(client::Column::PrimaryCounselorId.eq(from))
        .order_by_asc(client::Column::Id)
        .all(tx.conn())
        .await?;
    let mut moved = Vec::with_capacity(clients.len());
    for current in clients {
        let (id, version) = (current.id, current.version);
        let mut model: client::ActiveModel = current.into();
        model.primary_counselor_id = Set(to);
        let updated = save_versioned(tx.conn(), id, model, version, now).await?;
        tx.changed(Some(updated.id))?;
        tx.publish(CaseloadEventKind::ClientReassigned, updated.id, None)?;
        moved.push(updated);
    }
    Ok((tx, moved))
}

/// Clients of the counselor still in care: an open episode or a contact still to make.
/// A counselor cannot be deactivated while any remain (they would be left with nobody).
pub async fn active_caseload(conn: &impl ConnectionTrait, counselor_id: Uuid) -> AppResult<u64> {
    let open_episode = sea_orm::sea_query::Query::select()
        .column(episode::Column::ClientId)
        .from(episode::Entity)
        .and_where(episode::Column::DischargedAt.is_null())
        .to_owned();
    let pending_contact = sea_orm::sea_query::Query::select()
        .column(crate::entity::follow_up::Column::ClientId)
        .from(crate::entity::follow_up::Entity)
        .and_where(crate::entity::follow_up::Column::Status.eq(crate::domain::FollowUpStatus::Scheduled))
        .to_owned();
    Ok(client::Entity::find()
        .filter(client::Column::PrimaryCounselorId.eq(counselor_id))
        .filter(
            Condition::any()
                .add(client::Column::Id.in_subquery(open_episode))
                .add(client::Column::Id.in_subquery(pending_contact)),
        )
        .count(conn)
        .await?)
}

/// Escapes LIKE wildcards so a search for `50%` finds "50%" and not everything.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn filter_condition(state: &AppState, viewer: &Viewer, filter: &ClientFilter) -> AppResult<Condition> {
    let mut condition = Condition::all().add(scope::visible_clients(viewer)?);
    if let Some(stage) = filter.stage {
        condition = condition.add(
            client::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(episode::Column::ClientId)
                    .from(episode::Entity)
                    .and_where(episode::Column::DischargedAt.is_null())
                    .and_where(episode::Column::Stage.eq(stage))
                    .to_owned(),
            ),
        );
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        if search.chars().count() > 100 {
            return Err(AppError::bad_field("search", "search may have at most 100 characters"));
        }
        // Accent- and case-insensitive, any part of first, preferred or last name.
        let pattern = like_pattern(&crate::domain::client::name_key(&[search]));
        condition = condition.add(Expr::col(client::Column::NameKey).like(LikeExpr::new(pattern).escape('\\')));
    }
    if let Some(counselor_id) = filter.counselor_id {
        condition = condition.add(client::Column::PrimaryCounselorId.eq(counselor_id));
    }
    if let Some(born) = filter.date_of_birth {
        condition = condition.add(client::Column::DateOfBirth.eq(born));
    }
    if let Some(overdue) = filter.has_overdue_follow_up {
        let with_overdue = sea_orm::sea_query::Query::select()
            .column(follow_up::Column::ClientId)
            .from(follow_up::Entity)
            .and_where(follow_up::Column::Status.eq(FollowUpStatus::Scheduled))
            .and_where(follow_up::Column::DueOn.lt(state.today()))
            .to_owned();
        condition = condition.add(if overdue {
            client::Column::Id.in_subquery(with_overdue)
        } else {
            client::Column::Id.not_in_subquery(with_overdue)
        });
    }
    Ok(condition)
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    filter: &ClientFilter,
    page: PageRequest,
    want_total: bool,
) -> AppResult<Page<client::Model>> {
    let condition = filter_condition(state, viewer, filter)?;
    let query = client::Entity::find().filter(condition);
    pagination::fetch(&state.db, query, client::Column::Id, Order::OldestFirst, page, want_total).await
}
