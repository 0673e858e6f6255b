//! Refetching any record by its id alone (`node(id:)`): one statement finds which table
//! holds the id (ids are UUIDv7, unique across tables), then the record is read through
//! the same visibility rule its own lookup uses. An id that is absent and one the caller
//! may not see get the same answer: `None`.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait,
    sea_query::{Alias, Expr, Query, SelectStatement, UnionType},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    entity::{
        client, consent, disclosure, emergency_grant, episode, follow_up, meeting, referral, staff, support_group,
    },
    error::AppResult,
    service::{client as clients, episode as episodes, follow_up as follow_ups, privacy, referral as referrals},
    state::AppState,
};

/// A record found by `node(id:)`, with the client it belongs to (for the audit trail).
pub enum Found {
    Client(client::Model),
    Staff(staff::Model),
    Episode(episode::Model),
    Referral(referral::Model),
    FollowUp(follow_up::Model),
    SupportGroup(support_group::Model),
    Meeting(meeting::Model),
    /// Boxed: a consent row is twice the size of any other.
    Consent(Box<consent::Model>),
    Disclosure(disclosure::Model),
    EmergencyGrant(emergency_grant::Model),
}

impl Found {
    /// The client whose record this is, if any: reading it is a read of that client.
    pub fn client_id(&self) -> Option<Uuid> {
        match self {
            Found::Client(m) => Some(m.id),
            Found::Episode(m) => Some(m.client_id),
            Found::Referral(m) => Some(m.client_id),
            Found::FollowUp(m) => Some(m.client_id),
            Found::Consent(m) => Some(m.client_id),
            Found::Disclosure(m) => Some(m.client_id),
            Found::EmergencyGrant(_) | Found::Staff(_) | Found::SupportGroup(_) | Found::Meeting(_) => None,
        }
    }
}

fn holds<E: EntityTrait>(table: E, id_column: E::Column, kind: &str, id: Uuid) -> SelectStatement {
    Query::select().expr_as(Expr::val(kind), Alias::new("kind")).from(table).and_where(id_column.eq(id)).to_owned()
}

/// Which table holds `id`, in one statement.
async fn kind_of(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<String>> {
    let mut query = holds(client::Entity, client::Column::Id, "client", id);
    for part in [
        holds(staff::Entity, staff::Column::Id, "staff", id),
        holds(episode::Entity, episode::Column::Id, "episode", id),
        holds(referral::Entity, referral::Column::Id, "referral", id),
        holds(follow_up::Entity, follow_up::Column::Id, "follow_up", id),
        holds(support_group::Entity, support_group::Column::Id, "support_group", id),
        holds(meeting::Entity, meeting::Column::Id, "meeting", id),
        holds(consent::Entity, consent::Column::Id, "consent", id),
        holds(disclosure::Entity, disclosure::Column::Id, "disclosure", id),
        holds(emergency_grant::Entity, emergency_grant::Column::Id, "emergency_grant", id),
    ] {
        query.union(UnionType::All, part);
    }
    let Some(row) = db.query_one(&query).await? else { return Ok(None) };
    Ok(row.try_get::<String>("", "kind").ok())
}

/// A client-owned row, shown only when its client is visible to the (clinical) caller now.
async fn if_client_visible<T>(
    state: &AppState,
    viewer: &Viewer,
    row: Option<T>,
    client_of: impl Fn(&T) -> Uuid,
) -> AppResult<Option<T>> {
    let Some(row) = row else { return Ok(None) };
    Ok(clients::get(state, viewer, client_of(&row)).await?.map(|_| row))
}

/// The record with this id, if it exists and the caller may see it.
pub async fn find(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<Found>> {
    let db = &state.db;
    let Some(kind) = kind_of(db, id).await? else { return Ok(None) };
    // Client records are for clinical roles only; asking the scope as another role is an error.
    let clinical = viewer.require_clinical().is_ok();
    Ok(match kind.as_str() {
        "client" if clinical => clients::get(state, viewer, id).await?.map(Found::Client),
        "staff" => crate::service::staff::get(state, viewer, id).await?.map(Found::Staff),
        "episode" if clinical => episodes::get(state, viewer, id).await?.map(Found::Episode),
        "referral" if clinical => referrals::get(state, viewer, id).await?.map(Found::Referral),
        "follow_up" if clinical => follow_ups::get(state, viewer, id).await?.map(Found::FollowUp),
        "support_group" => crate::service::directory::group(state, id).await?.map(Found::SupportGroup),
        "meeting" => meeting::Entity::find_by_id(id).one(db).await?.map(Found::Meeting),
        "consent" if clinical => {
            let row = privacy::consent_row(state, id).await?;
            if_client_visible(state, viewer, row, |c| c.client_id).await?.map(|c| Found::Consent(Box::new(c)))
        }
        "disclosure" if clinical => {
            let row = privacy::disclosure_row(state, id).await?;
            if_client_visible(state, viewer, row, |d| d.client_id).await?.map(Found::Disclosure)
        }
        "emergency_grant" => privacy::grant(state, viewer, id).await?.map(Found::EmergencyGrant),
        _ => None,
    })
}
