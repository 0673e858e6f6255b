//! GraphQL object types. Each wraps a service or entity value instead of deriving GraphQL on
//! database rows, so the schema changes only when we mean it to.

pub mod aftercare;
pub mod client;
pub mod directory;
pub mod events;
pub mod follow_up;
pub mod locator;
pub mod privacy;
pub mod referral;
pub mod report;
pub mod staff;
pub mod teds;

use async_graphql::{ID, SimpleObject, connection::Connection};

use crate::{graphql::cursor::IdCursor, service::pagination::Page};

/// Extra fields of every connection.
#[derive(SimpleObject, Default)]
pub struct ConnectionFields {
    /// How many items match, across all pages. Counted only when asked for.
    pub total_count: Option<u64>,
}

pub type IdConnection<T> = Connection<IdCursor, T, ConnectionFields>;

/// Builds a Relay connection from a page of rows.
/// Builds a Relay connection from a page of rows; `list` wraps the rows as one sibling set.
pub fn connection<R, T>(
    page: Page<R>,
    id: impl Fn(&R) -> uuid::Uuid,
    list: impl FnOnce(Vec<R>) -> Vec<T>,
) -> IdConnection<T>
where
    T: async_graphql::OutputType,
{
    let mut conn = Connection::with_additional_fields(
        false,
        page.has_next_page,
        ConnectionFields { total_count: page.total_count },
    );
    let cursors: Vec<IdCursor> = page.items.iter().map(|row| IdCursor(id(row))).collect();
    conn.edges.extend(
        cursors
            .into_iter()
            .zip(list(page.items))
            .map(|(cursor, node)| async_graphql::connection::Edge::new(cursor, node)),
    );
    conn
}

pub fn id(uuid: uuid::Uuid) -> ID {
    ID(uuid.to_string())
}
