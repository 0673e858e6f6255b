//! Staff accounts. Only an administrator manages them; anyone signed in sees themselves,
//! a supervisor also sees their team, a counselor also sees their supervisor.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set, SqlErr,
};
use uuid::Uuid;

use crate::service::{
    audit::Target,
    write::{self, Tx, Who, Write},
};
use crate::{
    auth::{Viewer, password},
    domain::{
        Role,
        staff::{check_email, check_name, check_password, normalize_email},
    },
    entity::staff,
    error::{AppError, AppResult},
    service::{
        audit,
        pagination::{self, Order, Page, PageRequest},
        session,
    },
    state::AppState,
};

#[derive(Clone)]
pub struct NewStaff {
    pub id: Option<Uuid>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    pub supervisor_id: Option<Uuid>,
}

#[derive(Default, Clone)]
pub struct StaffChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// `Some(None)` clears the supervisor.
    pub supervisor_id: Option<Option<Uuid>>,
}

/// Which staff rows a viewer may look up.
fn visible_staff(viewer: &Viewer) -> Condition {
    match viewer.role {
        Role::Admin => Condition::all(),
        Role::Supervisor => Condition::any()
            .add(staff::Column::Id.eq(viewer.staff_id))
            .add(staff::Column::SupervisorId.eq(viewer.staff_id)),
        Role::Counselor => Condition::any().add(staff::Column::Id.eq(viewer.staff_id)).add(
            staff::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(staff::Column::SupervisorId)
                    .from(staff::Entity)
                    .and_where(staff::Column::Id.eq(viewer.staff_id))
                    .to_owned(),
            ),
        ),
    }
}

pub async fn me(state: &AppState, viewer: &Viewer) -> AppResult<staff::Model> {
    if let Some(member) = &viewer.member {
        return Ok(staff::Model::clone(member));
    }
    staff::Entity::find_by_id(viewer.staff_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::Unauthenticated(crate::auth::TokenProblem::SessionEnded))
}

pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<staff::Model>> {
    Ok(staff::Entity::find_by_id(id).filter(visible_staff(viewer)).one(&state.db).await?)
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    role: Option<Role>,
    page: PageRequest,
    want_total: bool,
) -> AppResult<Page<staff::Model>> {
    let mut scope = Condition::all().add(visible_staff(viewer));
    if let Some(role) = role {
        scope = scope.add(staff::Column::Role.eq(role));
    }
    let query = staff::Entity::find().filter(scope);
    pagination::fetch(&state.db, query, staff::Column::Id, Order::OldestFirst, page, want_total).await
}

async fn check_supervisor(conn: &impl ConnectionTrait, role: Role, supervisor_id: Option<Uuid>) -> AppResult<()> {
    let Some(supervisor_id) = supervisor_id else { return Ok(()) };
    if role != Role::Counselor {
        return Err(AppError::bad_field("supervisorId", "only a counselor has a supervisor"));
    }
    let supervisor = staff::Entity::find_by_id(supervisor_id).one(conn).await?;
    match supervisor {
        Some(s) if s.active && s.role == Role::Supervisor => Ok(()),
        _ => Err(AppError::bad_field("supervisorId", "the supervisor must be an active SUPERVISOR")),
    }
}

/// Creates a staff member. `by` is `None` for the command line and the first start.
pub async fn create(state: &AppState, by: Option<&Viewer>, input: NewStaff) -> AppResult<staff::Model> {
    let spec = Write::new("createStaff", Who::Admin, Target::Nothing);
    if let Some(viewer) = by {
        write::authorize(state, viewer, spec).await?;
    }
    check_email(&input.email).map_err(|m| AppError::bad_field("email", m))?;
    let name = check_name(&input.name).map_err(|m| AppError::bad_field("name", m))?;
    check_password(&input.password, &[&input.email, &name]).map_err(|m| AppError::bad_field("password", m))?;
    // Hashed once, before the transaction: the write lock is not held for it.
    let password_hash = password::hash(input.password.clone()).await?;
    let body = |tx| create_in(tx, input.clone(), name.clone(), password_hash.clone());
    let member = match by {
        Some(viewer) => write::write(state, viewer, spec, body).await?,
        None => write::transact(state, None, spec.action, body).await?,
    };
    tracing::info!(event = "staff_created", staff_id = %member.id, role = member.role.as_str(), "staff member created");
    Ok(member)
}

async fn create_in(mut tx: Tx, input: NewStaff, name: String, password_hash: String) -> AppResult<(Tx, staff::Model)> {
    let now = tx.now();
    check_supervisor(tx.conn(), input.role, input.supervisor_id).await?;
    let inserted = staff::ActiveModel {
        id: Set(input.id.unwrap_or_else(Uuid::now_v7)),
        email: Set(input.email.trim().to_owned()),
        email_normalized: Set(normalize_email(&input.email)),
        name: Set(name),
        role: Set(input.role),
        active: Set(true),
        supervisor_id: Set(input.supervisor_id),
        password_hash: Set(password_hash),
        auth_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await;
    let member = match inserted {
        Ok(member) => member,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::bad_field("email", "a staff member with this email already exists"));
        }
        Err(err) => return Err(err.into()),
    };
    if let Ok(viewer) = tx.viewer() {
        let event = audit::Event::by(viewer, "createStaff", None, audit::AuditOutcome::Allowed)
            .with_detail(format!("staff {}", member.id));
        tx.audit(event);
    }
    Ok((tx, member))
}

pub async fn update(state: &AppState, viewer: &Viewer, id: Uuid, changes: StaffChanges) -> AppResult<staff::Model> {
    let spec = Write::new("updateStaff", Who::Admin, Target::Nothing);
    write::write(state, viewer, spec, |tx| update_in(tx, id, changes.clone())).await
}

async fn update_in(mut tx: Tx, id: Uuid, changes: StaffChanges) -> AppResult<(Tx, staff::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let now = state.now();
    let current = staff::Entity::find_by_id(id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;

    let role = changes.role.unwrap_or(current.role);
    let active = changes.active.unwrap_or(current.active);
    let supervisor_id = match changes.supervisor_id {
        Some(new) => new,
        // A counselor promoted away from COUNSELOR leaves their supervisor behind.
        None if role != Role::Counselor => None,
        None => current.supervisor_id,
    };
    if changes.supervisor_id.is_some() || role != current.role {
        check_supervisor(tx.conn(), role, supervisor_id).await?;
    }
    if supervisor_id == Some(id) {
        return Err(AppError::bad_field("supervisorId", "nobody supervises themselves"));
    }

    let leaves_supervision = current.role == Role::Supervisor && (role != Role::Supervisor || !active);
    if leaves_supervision {
        let team = staff::Entity::find()
            .filter(staff::Column::SupervisorId.eq(id))
            .filter(staff::Column::Active.eq(true))
            .count(tx.conn())
            .await?;
        if team > 0 {
            return Err(AppError::bad_input(format!(
                "this supervisor still has {team} active team member(s): assign them another supervisor first"
            )));
        }
    }
    let leaves_caseload = current.role == Role::Counselor && current.active && (role != Role::Counselor || !active);
    if leaves_caseload {
        let clients = crate::service::client::active_caseload(tx.conn(), id).await?;
        if clients > 0 {
            return Err(crate::domain::RuleViolation::new(
                "CASELOAD_NOT_EMPTY",
                Some("active"),
                format!(
                    "this counselor still has {clients} client(s) in care: their supervisor moves them first \
                     (reassignCaseload)"
                ),
            )
            .into());
        }
    }
    let leaves_admin = current.role == Role::Admin && current.active && (role != Role::Admin || !active);
    if leaves_admin {
        let admins = staff::Entity::find()
            .filter(staff::Column::Role.eq(Role::Admin))
            .filter(staff::Column::Active.eq(true))
            .count(tx.conn())
            .await?;
        if admins <= 1 {
            return Err(AppError::bad_input("the last active administrator cannot be demoted or deactivated"));
        }
    }

    let ends_sessions = role != current.role || (current.active && !active);
    let mut model: staff::ActiveModel = current.clone().into();
    if let Some(name) = changes.name {
        model.name = Set(check_name(&name).map_err(|m| AppError::bad_field("name", m))?);
    }
    model.role = Set(role);
    model.active = Set(active);
    model.supervisor_id = Set(supervisor_id);
    model.updated_at = Set(now);
    if ends_sessions {
        model.auth_version = Set(current.auth_version + 1);
        session::revoke_all_for(tx.conn(), id, None, "role change or deactivation", now).await?;
    }
    let updated = model.update(tx.conn()).await?;
    let event = audit::Event::by(viewer, "updateStaff", None, audit::AuditOutcome::Allowed)
        .with_detail(format!("staff {id}{}", if ends_sessions { "; sessions revoked" } else { "" }));
    tx.audit(event);
    tracing::info!(event = "staff_updated", staff_id = %id, by = %viewer.staff_id, "staff member updated");
    Ok((tx, updated))
}

/// Changes the caller's own password and ends their other sessions.
/// Changes the caller's own password. The current password is throttled like a sign-in
/// (a stolen access token must not become a password oracle), and after as many
/// consecutive wrong answers as the sign-in limit the session itself is ended.
pub async fn change_password(
    state: &AppState,
    viewer: &Viewer,
    current: String,
    new: String,
    address: Option<std::net::IpAddr>,
) -> AppResult<bool> {
    let member = me(state, viewer).await?;
    check_password(&new, &[&member.email, &member.name]).map_err(|m| AppError::bad_field("newPassword", m))?;
    let policy = session::throttle_policy(state);
    let attempt = match state.login_throttle.begin(&member.email_normalized, address, policy, state.now()) {
        Ok(attempt) => attempt,
        Err(retry_after_secs) => {
            let event = audit::Event::by(viewer, "changePassword", None, audit::AuditOutcome::Denied)
                .with_detail("rate limited");
            audit::record(state, vec![event]).await?;
            return Err(AppError::RateLimited { retry_after_secs });
        }
    };
    if !password::verify(current, Some(member.password_hash.clone())).await? {
        let end_session = attempt.consecutive_failures >= policy.limit;
        write::transact(state, Some(viewer), "changePassword", |mut tx| async move {
            let viewer = tx.viewer()?.clone();
            tx.audit(
                audit::Event::by(&viewer, "changePassword", None, audit::AuditOutcome::Failed)
                    .with_detail("wrong current password"),
            );
            if end_session {
                let reason = "repeated wrong current password";
                session::revoke_family(tx.conn(), viewer.session_id, reason, tx.now()).await?;
                tx.audit(
                    audit::Event::by(&viewer, "sessionRevoked", None, audit::AuditOutcome::Allowed).with_detail(reason),
                );
            }
            Ok((tx, ()))
        })
        .await?;
        if end_session {
            return Err(AppError::Unauthenticated(crate::auth::TokenProblem::SessionEnded));
        }
        return Err(AppError::bad_field("currentPassword", "the current password is wrong"));
    }
    attempt.succeeded();
    let hash = password::hash(new).await?;
    let spec = Write::new("changePassword", Who::SignedIn, Target::Nothing);
    write::write(state, viewer, spec, |mut tx| {
        let (member, hash) = (member.clone(), hash.clone());
        async move {
            let viewer = tx.viewer()?.clone();
            let now = tx.now();
            let mut model: staff::ActiveModel = member.into();
            model.password_hash = Set(hash);
            model.updated_at = Set(now);
            model.update(tx.conn()).await?;
            session::revoke_all_for(tx.conn(), viewer.staff_id, Some(viewer.session_id), "password change", now)
                .await?;
            tx.changed(None)?;
            Ok((tx, true))
        }
    })
    .await
}

/// Staff names by id (for reports that show who a row is about).
pub async fn names(state: &AppState, ids: &[Uuid]) -> AppResult<std::collections::HashMap<Uuid, String>> {
    let rows = staff::Entity::find().filter(staff::Column::Id.is_in(ids.iter().copied())).all(&state.db).await?;
    Ok(rows.into_iter().map(|s| (s.id, s.name)).collect())
}

pub async fn count(state: &AppState) -> AppResult<u64> {
    Ok(staff::Entity::find().count(&state.db).await?)
}

/// On first start, when nobody can sign in yet, creates the first administrator.
/// Returns the generated password when none was configured, for the caller to print once.
pub async fn bootstrap_admin(state: &AppState) -> AppResult<Option<(String, Option<String>)>> {
    if count(state).await? > 0 {
        return Ok(None);
    }
    use secrecy::ExposeSecret;
    let (password, generated) = match &state.config.admin_password {
        Some(p) => (p.expose_secret().to_owned(), false),
        None => {
            let p = password::generate();
            (p.clone(), true)
        }
    };
    let email = state.config.admin_email.clone();
    create(
        state,
        None,
        NewStaff {
            id: None,
            email: email.clone(),
            name: "Administrator".into(),
            role: Role::Admin,
            password: password.clone(),
            supervisor_id: None,
        },
    )
    .await?;
    Ok(Some((email, generated.then_some(password))))
}

pub async fn find_by_email(state: &AppState, email: &str) -> AppResult<Option<staff::Model>> {
    Ok(staff::Entity::find().filter(staff::Column::EmailNormalized.eq(normalize_email(email))).one(&state.db).await?)
}

/// Some active administrator (for work done on the system's behalf, like the demo).
pub async fn any_admin(state: &AppState) -> AppResult<Option<staff::Model>> {
    Ok(staff::Entity::find()
        .filter(staff::Column::Role.eq(Role::Admin))
        .filter(staff::Column::Active.eq(true))
        .order_by_asc(staff::Column::Id)
        .one(&state.db)
        .await?)
}
