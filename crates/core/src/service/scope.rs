//! Who sees which clients: the one visibility scope that single lookups, lists, counts,
//! reports and nested fields all use, applied in SQL.
//!
//! - COUNSELOR: clients whose primary counselor they are.
//! - SUPERVISOR: those of every counselor they supervise, and their own.
//! - ADMIN: none (`FORBIDDEN`): IT is not treatment.
//! - Anyone clinical: also the clients an emergency-access grant opens to them, while it lasts.

use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Query, SelectStatement, UnionType},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::Role,
    entity::{client, emergency_grant, staff},
    error::AppResult,
};

/// The condition on the `clients` table for the caller's visible clients.
///
/// Written as `id IN (own caseload UNION emergency grants)` rather than with `OR`: an `OR`
/// with a subquery keeps PostgreSQL from using any index, so every lookup scanned the whole
/// table; this way the work follows the caller's caseload, however large the table grows.
pub fn visible_clients(viewer: &Viewer) -> AppResult<Condition> {
    let mut ids = own_client_ids(viewer)?;
    ids.union(UnionType::Distinct, emergency_clients(viewer));
    Ok(Condition::all().add(client::Column::Id.in_subquery(ids)))
}

/// `SELECT id FROM clients` of the caller's own caseload (or team).
fn own_client_ids(viewer: &Viewer) -> AppResult<SelectStatement> {
    Ok(Query::select().column(client::Column::Id).from(client::Entity).cond_where(own_clients(viewer)?).to_owned())
}

/// Clients opened to the caller by an emergency-access grant in force now.
pub fn emergency_clients(viewer: &Viewer) -> SelectStatement {
    Query::select()
        .column(emergency_grant::Column::ClientId)
        .from(emergency_grant::Entity)
        .and_where(emergency_grant::Column::StaffId.eq(viewer.staff_id))
        .and_where(emergency_grant::Column::GrantedAt.lte(viewer.at))
        .and_where(emergency_grant::Column::ExpiresAt.gt(viewer.at))
        .to_owned()
}

/// The caller's own caseload (or team), without emergency grants.
pub fn own_clients(viewer: &Viewer) -> AppResult<Condition> {
    viewer.require_clinical()?;
    Ok(match viewer.role {
        // Themselves and their team, as one indexable `IN`.
        Role::Supervisor => Condition::all().add(
            client::Column::PrimaryCounselorId.in_subquery(
                Query::select()
                    .column(staff::Column::Id)
                    .from(staff::Entity)
                    .cond_where(
                        Condition::any()
                            .add(staff::Column::Id.eq(viewer.staff_id))
                            .add(staff::Column::SupervisorId.eq(viewer.staff_id)),
                    )
                    .to_owned(),
            ),
        ),
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
