//! Idempotent creates. A key (≤ 255 characters, per staff member, kept at least 48 hours)
//! reserves the id of the row the mutation will create. Sent again with the same input, the
//! mutation finds that row and returns it; with different input, it is `CONFLICT`. Two
//! concurrent requests with one key race for the same primary key, so one row is created.

use std::future::Future;

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    entity::idempotency_key,
    error::{AppError, AppResult},
    state::AppState,
};

pub const MAX_KEY_CHARS: usize = 255;
/// Keys are kept this long (what the schema and the README promise).
pub const KEEP_HOURS: i64 = 48;

/// The id to create under, and whether the key had been seen before.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    pub id: Uuid,
    pub replay: bool,
}

pub fn fingerprint(input: &str) -> String {
    hex::encode(Sha256::digest(input.as_bytes()))
}

/// Reserves an id for `key`, or finds the one reserved before.
pub async fn claim(state: &AppState, viewer: &Viewer, operation: &str, key: &str, input: &str) -> AppResult<Claim> {
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
        return Err(AppError::bad_field("idempotencyKey", "an idempotency key has 1 to 255 characters"));
    }
    let fingerprint = fingerprint(input);
    let now = state.now();
    let id = Uuid::now_v7();
    let inserted = idempotency_key::ActiveModel {
        staff_id: Set(viewer.staff_id),
        key: Set(key.to_owned()),
        operation: Set(operation.to_owned()),
        fingerprint: Set(fingerprint.clone()),
        result_id: Set(id),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await;
    match inserted {
        Ok(_) => {
            // Now and then, forget keys past their keeping time.
            if id.as_bytes()[15] == 0 {
                let _ = idempotency_key::Entity::delete_many()
                    .filter(idempotency_key::Column::CreatedAt.lt(now - Duration::hours(KEEP_HOURS)))
                    .exec(&state.db)
                    .await;
            }
            Ok(Claim { id, replay: false })
        }
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            let existing = idempotency_key::Entity::find()
                .filter(idempotency_key::Column::StaffId.eq(viewer.staff_id))
                .filter(idempotency_key::Column::Key.eq(key))
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::conflict("this idempotency key is being used; try again"))?;
            if existing.operation != operation || existing.fingerprint != fingerprint {
                return Err(AppError::conflict("this idempotency key was used with a different request"));
            }
            Ok(Claim { id: existing.result_id, replay: true })
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs a creating mutation exactly once per key: `create(id)` makes the row with the
/// reserved id; `load(id)` finds it again. Without a key, it simply creates.
pub async fn run<T, C, CF, L, LF>(
    state: &AppState,
    viewer: &Viewer,
    operation: &str,
    key: Option<&str>,
    input: &str,
    create: C,
    load: L,
) -> AppResult<T>
where
    C: FnOnce(Option<Uuid>) -> CF,
    CF: Future<Output = AppResult<T>>,
    L: Fn(Uuid) -> LF,
    LF: Future<Output = AppResult<Option<T>>>,
{
    let Some(key) = key else { return create(None).await };
    let claim = claim(state, viewer, operation, key, input).await?;
    if claim.replay
        && let Some(found) = load(claim.id).await?
    {
        return Ok(found);
    }
    match create(Some(claim.id)).await {
        Ok(created) => Ok(created),
        // A concurrent request with the same key got there first: return its row.
        Err(err) => match load(claim.id).await? {
            Some(found) => Ok(found),
            None => Err(err),
        },
    }
}
