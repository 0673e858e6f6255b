//! Relay-style pages over UUIDv7 ids: ids are ordered by creation, so "after this id" is a
//! stable cursor that survives inserts and deletes.
//!
//! A page goes forward (`first`, `after`) or backward (`last`, `before`), never both ways
//! at once. Every paged list fetches through [`fetch`], so the cursor, the order and the
//! `limit n + 1` probe for "is there more" are written once.

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `first`/`after`: the items following the cursor, in the list's order.
    Forward,
    /// `last`/`before`: the items preceding the cursor (or the list's end), still returned
    /// in the list's order.
    Backward,
}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// How many items at most.
    pub size: u64,
    /// The cursor's id: the page starts after it (forward) or ends before it (backward).
    pub cursor: Option<Uuid>,
    pub direction: Direction,
}

/// The order a list runs in, by id: oldest first, or newest first (the audit trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

fn size(n: Option<i32>, field: &'static str) -> AppResult<u64> {
    match n {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if n < 0 => Err(AppError::bad_field(field, format!("{field} may not be negative"))),
        Some(n) => Ok((n as u64).min(MAX_PAGE_SIZE)),
    }
}

impl PageRequest {
    /// A forward page: `first` defaults to 20 and is capped at 100; a negative one is refused.
    pub fn new(first: Option<i32>, after: Option<Uuid>) -> AppResult<Self> {
        Ok(PageRequest { size: size(first, "first")?, cursor: after, direction: Direction::Forward })
    }

    /// A page from the four Relay arguments.
    pub fn relay(first: Option<i32>, after: Option<Uuid>, last: Option<i32>, before: Option<Uuid>) -> AppResult<Self> {
        let (size, direction) = sizing(first, after.is_some(), last, before.is_some())?;
        let cursor = match direction {
            Direction::Forward => after,
            Direction::Backward => before,
        };
        Ok(PageRequest { size, cursor, direction })
    }
}

/// The size and direction the four Relay arguments ask for (the cursors by presence alone).
/// Mixing the directions (`first` with `last`, `after` with `before`, or one direction's
/// size with the other's cursor) is refused: the answer would depend on an order of
/// application that clients get wrong.
pub fn sizing(first: Option<i32>, after: bool, last: Option<i32>, before: bool) -> AppResult<(u64, Direction)> {
    let forward = first.is_some() || after;
    let backward = last.is_some() || before;
    if forward && backward {
        let field = if last.is_some() { "last" } else { "before" };
        return Err(AppError::bad_field(field, "page forward (first, after) or backward (last, before), not both"));
    }
    if backward {
        Ok((size(last, "last")?, Direction::Backward))
    } else {
        Ok((size(first, "first")?, Direction::Forward))
    }
}

/// A page of a list held in memory and sorted by `key` (the worklist), with its total.
pub fn window<T, K: Ord>(
    items: Vec<T>,
    key: impl Fn(&T) -> K,
    first: Option<i32>,
    after: Option<K>,
    last: Option<i32>,
    before: Option<K>,
) -> AppResult<Page<T>> {
    let (size, direction) = sizing(first, after.is_some(), last, before.is_some())?;
    let total_count = Some(items.len() as u64);
    let size = size as usize;
    Ok(match direction {
        Direction::Forward => {
            let mut rest: Vec<T> = items.into_iter().filter(|i| after.as_ref().is_none_or(|a| key(i) > *a)).collect();
            let more = rest.len() > size;
            rest.truncate(size);
            Page { items: rest, has_next_page: more, has_previous_page: after.is_some(), total_count }
        }
        Direction::Backward => {
            let mut rest: Vec<T> = items.into_iter().filter(|i| before.as_ref().is_none_or(|b| key(i) < *b)).collect();
            let more = rest.len() > size;
            let page = rest.split_off(rest.len().saturating_sub(size));
            Page { items: page, has_next_page: before.is_some(), has_previous_page: more, total_count }
        }
    })
}

#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// Only computed when the caller asked for it.
    pub total_count: Option<u64>,
}

impl<T> Page<T> {
    /// Takes rows fetched with `limit size + 1` in the page's reading direction (reversed
    /// for a backward page) and tells whether there is more. Following the Relay rules,
    /// the far side of a cursor is reported as "more" (it held the cursor's item).
    pub fn from_rows(mut rows: Vec<T>, request: PageRequest, total_count: Option<u64>) -> Self {
        let more = rows.len() as u64 > request.size;
        rows.truncate(request.size as usize);
        let cursor = request.cursor.is_some();
        match request.direction {
            Direction::Forward => Page { items: rows, has_next_page: more, has_previous_page: cursor, total_count },
            Direction::Backward => {
                rows.reverse();
                Page { items: rows, has_next_page: cursor, has_previous_page: more, total_count }
            }
        }
    }
}

/// One page of `query`, ordered by its `id` column, with the total when asked for.
pub async fn fetch<E>(
    db: &DatabaseConnection,
    query: Select<E>,
    id: E::Column,
    order: Order,
    page: PageRequest,
    want_total: bool,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
{
    let total = if want_total { Some(query.clone().count(db).await?) } else { None };
    // Reading towards larger ids: forward in an oldest-first list, backward in a newest-first one.
    let ascending = (page.direction == Direction::Forward) == (order == Order::OldestFirst);
    let mut query = query;
    if let Some(cursor) = page.cursor {
        query = query.filter(if ascending { id.gt(cursor) } else { id.lt(cursor) });
    }
    let query = if ascending { query.order_by_asc(id) } else { query.order_by_desc(id) };
    let rows = query.limit(page.size + 1).all(db).await?;
    Ok(Page::from_rows(rows, page, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(direction: Direction, cursor: bool) -> PageRequest {
        PageRequest { size: 2, cursor: cursor.then(Uuid::nil), direction }
    }

    #[test]
    fn a_backward_page_comes_back_in_list_order_and_says_what_lies_before_it() {
        let p = Page::from_rows(vec![5, 4, 3], page(Direction::Backward, true), None);
        assert_eq!(p.items, vec![4, 5]);
        assert!(p.has_previous_page && p.has_next_page);
        let p = Page::from_rows(vec![2, 1], page(Direction::Backward, false), None);
        assert_eq!(p.items, vec![1, 2]);
        assert!(!p.has_previous_page && !p.has_next_page);
    }

    #[test]
    fn an_in_memory_window_pages_both_ways() {
        let items: Vec<u32> = (1..=5).collect();
        let p = window(items.clone(), |i| *i, Some(2), Some(1), None, None).expect("forward");
        assert_eq!((p.items, p.has_previous_page, p.has_next_page), (vec![2, 3], true, true));
        let p = window(items.clone(), |i| *i, None, None, Some(2), None).expect("the last page");
        assert_eq!((p.items, p.has_previous_page, p.has_next_page), (vec![4, 5], true, false));
        let p = window(items, |i| *i, None, None, Some(3), Some(3)).expect("before 3");
        assert_eq!((p.items, p.has_previous_page, p.has_next_page), (vec![1, 2], false, true));
    }

    #[test]
    fn the_directions_do_not_mix() {
        assert!(PageRequest::relay(Some(2), None, Some(2), None).is_err());
        assert!(PageRequest::relay(None, Some(Uuid::nil()), None, Some(Uuid::nil())).is_err());
        assert!(PageRequest::relay(None, None, Some(-1), None).is_err());
        let p = PageRequest::relay(None, None, Some(500), None).expect("a backward page");
        assert_eq!((p.size, p.direction), (MAX_PAGE_SIZE, Direction::Backward));
    }
}
