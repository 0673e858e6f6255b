//! Who sees which clients: the one visibility scope that single lookups, lists, counts,
//! reports and nested fields all use, applied in SQL.
//!
//! - COUNSELOR: clients whose primary counselor they are.
//! - SUPERVISOR: those of every counselor they supervise, and their own.
//! - ADMIN: none (`FORBIDDEN`): IT is not treatment.

use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::Role,
    entity::{client, staff},
    error::AppResult,
};

/// The condition on the `clients` table for the caller's visible clients.
pub fn visible_clients(viewer: &Viewer) -> AppResult<Condition> {
    viewer.require_clinical()?;
    Ok(match viewer.role {
        Role::Supervisor => Condition::any()
            .add(client::Column::PrimaryCounselorId.eq(viewer.staff_id))
            .add(client::Column::PrimaryCounselorId.in_subquery(team_of(viewer.staff_id))),
        _ => Condition::all().add(client::Column::PrimaryCounselorId.eq(viewer.staff_id)),
    })
}

/// `SELECT id FROM clients WHERE <visible>`, for tables that hang off a client.
pub fn visible_client_ids(viewer: &Viewer) -> AppResult<SelectStatement> {
    let condition = visible_clients(viewer)?;
    Ok(client::Entity::find().select_only().column(client::Column::Id).filter(condition).into_query())
}

/// The counselors a supervisor supervises.
pub fn team_of(supervisor_id: Uuid) -> SelectStatement {
    Query::select()
        .column(staff::Column::Id)
        .from(staff::Entity)
        .and_where(staff::Column::SupervisorId.eq(supervisor_id))
        .to_owned()
}

/// Whether `counselor_id` is on the caller's side: themselves, or (for a supervisor) a
/// member of their team.
pub fn may_assign_to(viewer: &Viewer, counselor: &staff::Model) -> bool {
    counselor.active
        && matches!(counselor.role, Role::Counselor | Role::Supervisor)
        && (counselor.id == viewer.staff_id
            || (viewer.role == Role::Supervisor && counselor.supervisor_id == Some(viewer.staff_id)))
}
