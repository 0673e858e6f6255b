//! Opaque cursors: the base64 of a row's UUIDv7, which orders rows by creation.

use async_graphql::connection::CursorType;
use base64::Engine;
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    service::pagination::PageRequest,
};

#[derive(Debug, Clone, Copy)]
pub struct IdCursor(pub Uuid);

impl CursorType for IdCursor {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).map_err(|_| "invalid cursor")?;
        Uuid::from_slice(&bytes).map(IdCursor).map_err(|_| "invalid cursor")
    }

    fn encode_cursor(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
}

fn parse_cursor(cursor: Option<String>, field: &'static str) -> AppResult<Option<Uuid>> {
    cursor.map(|s| IdCursor::decode_cursor(&s).map(|c| c.0).map_err(|m| AppError::bad_field(field, m))).transpose()
}

/// The page the four Relay arguments of a list ask for.
pub fn page(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> AppResult<PageRequest> {
    PageRequest::relay(first, parse_cursor(after, "after")?, last, parse_cursor(before, "before")?)
}

/// Parses an `ID` argument as a UUID. A malformed id cannot exist, so it is `NOT_FOUND`
/// for lookups; callers that take an id as input map it to a field error instead.
pub fn parse_id(id: &async_graphql::ID) -> Option<Uuid> {
    Uuid::parse_str(id.as_str()).ok()
}

pub fn require_id(id: &async_graphql::ID, field: &'static str) -> AppResult<Uuid> {
    parse_id(id).ok_or_else(|| AppError::bad_field(field, "not a valid id"))
}

/// The id of the record a mutation acts on: a malformed one cannot exist, so it is
/// `NOT_FOUND`, the same answer as an absent or invisible record.
pub fn target_id(id: &async_graphql::ID) -> AppResult<Uuid> {
    parse_id(id).ok_or(AppError::NotFound)
}
