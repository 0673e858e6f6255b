//! Relay-style pages over UUIDv7 ids: ids are ordered by creation, so "after this id" is a
//! stable cursor that survives inserts and deletes.

use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// `first` defaults to 20 and is capped at 100 (API.md); a negative one is refused.
    pub fn new(first: Option<i32>, after: Option<Uuid>) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(AppError::bad_field("first", "first may not be negative")),
            Some(n) => (n as u64).min(MAX_PAGE_SIZE),
        };
        Ok(PageRequest { first, after })
    }
}

#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    /// Only computed when the caller asked for it.
    pub total_count: Option<u64>,
}

impl<T> Page<T> {
    /// Takes rows fetched with `limit first + 1` and tells whether there is more.
    pub fn from_rows(mut rows: Vec<T>, request: PageRequest, total_count: Option<u64>) -> Self {
        let has_next_page = rows.len() as u64 > request.first;
        rows.truncate(request.first as usize);
        Page { items: rows, has_next_page, total_count }
    }
}
