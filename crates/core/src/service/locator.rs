//! Client locators: how to reach a client, read and written with the same visibility as the
//! client record. Writes are audited like every client change (who, which client, when);
//! what the locator holds never goes into the audit trail, an event or a log line.

use std::collections::HashMap;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::locator::{ContactMethod, EmergencyContact, Locator, Phone, PostalAddress, check_locator},
    entity::{Id, client, client_locator},
    error::{AppError, AppResult},
    events::CaseloadEventKind,
    service::{
        audit::Target,
        client::{find_visible, stale},
        write::{Tx, Who, Write, write},
    },
    state::AppState,
};

/// The locators of clients the caller already sees, in one statement.
pub async fn of_clients(
    state: &AppState,
    client_ids: &[Id<client::Entity>],
) -> AppResult<HashMap<Id<client::Entity>, client_locator::Model>> {
    Ok(client_locator::Entity::find()
        .filter(client_locator::Column::ClientId.is_in(client_ids.iter().map(|id| id.uuid())))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| (row.client_key(), row))
        .collect())
}

fn corrupt(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("a stored locator's {what} does not decode"))
}

/// The stored row as the domain's locator.
pub fn decode(row: &client_locator::Model) -> AppResult<Locator> {
    let phones: Vec<Phone> = serde_json::from_str(&row.phones).map_err(|_| corrupt("phones"))?;
    let address: Option<PostalAddress> =
        row.address.as_deref().map(serde_json::from_str).transpose().map_err(|_| corrupt("address"))?;
    let emergency_contact: Option<EmergencyContact> = row
        .emergency_contact
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|_| corrupt("emergency contact"))?;
    Ok(Locator {
        phones,
        email: row.email.clone(),
        address,
        emergency_contact,
        preferred_method: row.preferred_method.as_deref().and_then(ContactMethod::parse),
        preferred_times: row.preferred_times.clone(),
        consent_to_contact: row.consent_to_contact,
    })
}

fn encode<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(|e| AppError::internal(anyhow::anyhow!("encoding a locator: {e}")))
}

/// Replaces a client's locator. `expected_version` is the locator's (0 when the client has
/// none yet). The consent's date is kept while it stands and cleared when it is withdrawn.
pub async fn set(
    state: &AppState,
    viewer: &Viewer,
    client_id: Uuid,
    expected_version: i32,
    locator: Locator,
) -> AppResult<client_locator::Model> {
    let spec = Write::new("updateClientLocator", Who::Clinical, Target::Client(client_id));
    write(state, viewer, spec, |tx| set_in(tx, client_id, expected_version, locator.clone())).await
}

async fn set_in(
    mut tx: Tx,
    client_id: Uuid,
    expected_version: i32,
    locator: Locator,
) -> AppResult<(Tx, client_locator::Model)> {
    let state = tx.state().clone();
    let viewer = tx.viewer()?.clone();
    let client = find_visible(tx.conn(), &viewer, client_id).await?;
    let locator = check_locator(locator, &state.config.phone_region)?;
    let current = client_locator::Entity::find_by_id(client.id).one(tx.conn()).await?;
    if current.as_ref().map_or(0, |c| c.version) != expected_version {
        return Err(stale("locator"));
    }
    let now = state.now();
    let consent_recorded_at = match (&current, locator.consent_to_contact) {
        (_, false) => None,
        (Some(c), true) if c.consent_to_contact => c.consent_recorded_at,
        _ => Some(now),
    };
    let row = client_locator::ActiveModel {
        client_id: Set(client.id),
        version: Set(expected_version + 1),
        phones: Set(encode(&locator.phones)?),
        email: Set(locator.email.clone()),
        address: Set(locator.address.as_ref().map(encode).transpose()?),
        emergency_contact: Set(locator.emergency_contact.as_ref().map(encode).transpose()?),
        preferred_method: Set(locator.preferred_method.map(|m| m.as_str().to_owned())),
        preferred_times: Set(locator.preferred_times.clone()),
        consent_to_contact: Set(locator.consent_to_contact),
        consent_recorded_at: Set(consent_recorded_at),
        updated_by: Set(viewer.staff_id),
        updated_at: Set(now),
    };
    let saved = match current {
        // A racing first write got there before this one: the same answer as a stale version.
        None => row.insert(tx.conn()).await.map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => stale("locator"),
            _ => e.into(),
        })?,
        Some(current) => {
            let result = client_locator::Entity::update_many()
                .set(row)
                .filter(client_locator::Column::ClientId.eq(client.id))
                .filter(client_locator::Column::Version.eq(current.version))
                .exec(tx.conn())
                .await?;
            if result.rows_affected != 1 {
                return Err(stale("locator"));
            }
            client_locator::Entity::find_by_id(client.id).one(tx.conn()).await?.ok_or(AppError::NotFound)?
        }
    };
    tx.changed(Some(client.id))?;
    tx.publish(CaseloadEventKind::ClientUpdated, client.id, None)?;
    Ok((tx, saved))
}
