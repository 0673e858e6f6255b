//! GraphQL object types. Each wraps a service or entity value instead of deriving GraphQL on
//! database rows, so the schema changes only when we mean it to.

pub mod aftercare;
pub mod client;
pub mod directory;
pub mod events;
pub mod follow_up;
pub mod locator;
pub mod node;
pub mod privacy;
pub mod referral;
pub mod report;
pub mod staff;
pub mod teds;

use std::{borrow::Cow, sync::Arc};

use async_graphql::{
    Context, ID, Object, OutputType, TypeName,
    connection::{CursorType, PageInfo},
};

use crate::{
    entity::Id,
    graphql::{
        batch::{self, Batch, distinct},
        context::ContextExt,
        cursor::IdCursor,
        error::Result,
    },
    service::pagination::Page,
};

/// Names a paged list's types after its items: `ClientConnection`, `ClientEdge`.
pub trait Listed: OutputType {
    const LIST: &'static str;
}

/// One page of a list (see the GraphQL description on the impl).
pub struct Paged<C, T> {
    edges: Vec<Edge<C, T>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: u64,
}

/// An item of a page and its cursor.
pub struct Edge<C, T> {
    cursor: C,
    node: T,
}

impl<C, T> Paged<C, T> {
    pub fn new(has_previous_page: bool, has_next_page: bool, total_count: u64) -> Self {
        Paged { edges: Vec::new(), has_previous_page, has_next_page, total_count }
    }

    pub fn push(&mut self, cursor: C, node: T) {
        self.edges.push(Edge { cursor, node });
    }
}

/// One page of a list, Relay style. Page forward with `first` and `after:
/// pageInfo.endCursor`, or backward with `last` and `before: pageInfo.startCursor`;
/// cursors are opaque and stay valid while items are added or removed.
#[Object(name_type)]
impl<C: CursorType + Send + Sync, T: Listed> Paged<C, T> {
    /// Whether there are items before and after this page, and the cursors to reach them.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.encode_cursor()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.encode_cursor()),
        }
    }

    /// The page's items, each with its cursor.
    async fn edges(&self) -> &[Edge<C, T>] {
        &self.edges
    }

    /// The page's items alone, for a client that needs no cursor per item.
    async fn nodes(&self) -> Vec<&T> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    /// How many items match across all pages: the same whichever page is asked for.
    /// Counted only when selected.
    async fn total_count(&self) -> u64 {
        self.total_count
    }
}

impl<C: Send + Sync, T: Listed> TypeName for Paged<C, T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::LIST).into()
    }
}

/// An item of a page, with the cursor that points at it.
#[Object(name_type)]
impl<C: CursorType + Send + Sync, T: Listed> Edge<C, T> {
    /// The list item this edge points at.
    async fn node(&self) -> &T {
        &self.node
    }

    /// Where the item stands in the list: pass it as `after` or `before`.
    async fn cursor(&self) -> String {
        self.cursor.encode_cursor()
    }
}

impl<C: Send + Sync, T: Listed> TypeName for Edge<C, T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", T::LIST).into()
    }
}

/// A list paged by record ids.
pub type IdConnection<T> = Paged<IdCursor, T>;

/// Builds a connection from a page of rows; `list` wraps the rows as one sibling set.
pub fn connection<R, T: Listed>(
    page: Page<R>,
    id: impl Fn(&R) -> uuid::Uuid,
    list: impl FnOnce(Vec<R>) -> Vec<T>,
) -> IdConnection<T> {
    let mut conn = Paged::new(page.has_previous_page, page.has_next_page, page.total_count.unwrap_or_default());
    let cursors: Vec<IdCursor> = page.items.iter().map(|row| IdCursor(id(row))).collect();
    for (cursor, node) in cursors.into_iter().zip(list(page.items)) {
        conn.push(cursor, node);
    }
    conn
}

pub fn id(uuid: uuid::Uuid) -> ID {
    ID(uuid.to_string())
}

impl Listed for client::Client {
    const LIST: &'static str = "Client";
}

impl Listed for staff::Staff {
    const LIST: &'static str = "Staff";
}

impl Listed for follow_up::FollowUp {
    const LIST: &'static str = "FollowUp";
}

impl Listed for privacy::AuditEvent {
    const LIST: &'static str = "AuditEvent";
}

impl Listed for aftercare::WorklistItem {
    const LIST: &'static str = "Worklist";
}

/// The clients a sibling set of records points at (disclosures, emergency grants, caseload
/// events), loaded in one statement with the viewer's visibility applied: a client the viewer
/// may not see now is `null`, exactly as if absent. The clients shown are reads in the audit
/// trail, under `field`, noted once for the whole set when it loads.
pub struct ClientRefs {
    ids: Arc<[ClientKey]>,
    batch: Batch<ClientKey, client::Client>,
    field: &'static str,
}

type ClientKey = Id<crate::entity::client::Entity>;

impl ClientRefs {
    pub fn new(field: &'static str, ids: impl IntoIterator<Item = ClientKey>) -> Self {
        ClientRefs { ids: distinct(ids), batch: Batch::default(), field }
    }

    pub async fn get(&self, ctx: &Context<'_>, id: ClientKey) -> Result<Option<client::Client>> {
        let (db, viewer) = (&ctx.state()?.db, ctx.viewer()?);
        let found = self
            .batch
            .get(|| async {
                let visible = batch::visible_clients(db, viewer, &self.ids).await?;
                ctx.audit_reads(self.field, visible.keys().map(|key| key.uuid()));
                Ok(client::Client::map(visible))
            })
            .await?;
        Ok(found.get(&id).cloned())
    }
}
