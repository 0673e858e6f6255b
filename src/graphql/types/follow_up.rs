use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object};

use crate::graphql::error::Result;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graphql::scalars::Date;

use super::{
    client::Client,
    id,
    staff::{Staff, StaffRefs},
};
use crate::{
    domain::{FollowUpOutcome, FollowUpStatus, follow_up::is_overdue},
    entity::follow_up,
    graphql::{
        batch::{self, Batch, distinct, required},
        context::ContextExt,
    },
};

#[derive(Clone)]
pub struct FollowUp {
    row: follow_up::Model,
    set: Arc<FollowUpSet>,
}

#[derive(Default)]
pub struct FollowUpSet {
    client_ids: Arc<[Uuid]>,
    clients: Batch<Client>,
    staff: StaffRefs,
}

impl FollowUp {
    pub fn list(rows: Vec<follow_up::Model>) -> Vec<FollowUp> {
        let set = Arc::new(FollowUpSet {
            client_ids: distinct(rows.iter().map(|r| r.client_id)),
            staff: StaffRefs::new(rows.iter().filter_map(|r| r.recorded_by)),
            ..Default::default()
        });
        rows.into_iter().map(|row| FollowUp { row, set: set.clone() }).collect()
    }

    pub fn one(row: follow_up::Model) -> FollowUp {
        let set = Arc::new(FollowUpSet {
            client_ids: Arc::new([row.client_id]),
            staff: StaffRefs::new(row.recorded_by),
            ..Default::default()
        });
        FollowUp { row, set }
    }

    pub fn model(&self) -> &follow_up::Model {
        &self.row
    }
}

#[Object]
impl FollowUp {
    async fn id(&self) -> ID {
        id(self.row.id)
    }

    async fn version(&self) -> i32 {
        self.row.version
    }

    async fn client(&self, ctx: &Context<'_>) -> Result<Client> {
        let db = &ctx.state()?.db;
        let ids = self.set.client_ids.clone();
        let found = self.set.clients.get(|| async { Ok(Client::map(batch::clients(db, &ids).await?)) }).await?;
        Ok(required(&found, self.row.client_id, "client")?)
    }

    async fn due_on(&self) -> Date {
        Date(self.row.due_on)
    }

    async fn status(&self) -> FollowUpStatus {
        self.row.status
    }

    /// Still scheduled after its due date (in the program's time zone). Derived, never stored.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(is_overdue(self.row.status, self.row.due_on, ctx.state()?.today()))
    }

    /// Days after entering aftercare, for contacts from the schedule.
    async fn schedule_days(&self) -> Option<i32> {
        self.row.schedule_days
    }

    async fn outcome(&self) -> Option<FollowUpOutcome> {
        self.row.outcome
    }

    async fn attending_support_group(&self) -> Option<bool> {
        self.row.attending_support_group
    }

    async fn contacted_at(&self) -> Option<DateTime<Utc>> {
        self.row.contacted_at
    }

    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }

    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let Some(by) = self.row.recorded_by else { return Ok(None) };
        self.set.staff.get(ctx, by).await
    }
}

#[derive(InputObject, Default)]
pub struct FollowUpFilter {
    pub status: Option<Vec<FollowUpStatus>>,
    pub overdue: Option<bool>,
    pub due_from: Option<Date>,
    pub due_to: Option<Date>,
    pub counselor_id: Option<ID>,
    pub client_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ScheduleFollowUpInput {
    /// Makes the create safe to retry: the same key returns the first result (kept 24 hours).
    pub idempotency_key: Option<String>,
    pub client_id: ID,
    pub due_on: Date,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct RecordFollowUpInput {
    pub follow_up_id: ID,
    pub expected_version: i32,
    /// COMPLETED, UNREACHABLE or CANCELLED.
    pub status: FollowUpStatus,
    /// Required when COMPLETED.
    pub outcome: Option<FollowUpOutcome>,
    pub attending_support_group: Option<bool>,
    /// Defaults to now.
    pub contacted_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}
