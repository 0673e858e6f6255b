use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::scalars::Date;

use super::{client::Client, id, staff::Staff};
use crate::{
    domain::{FollowUpOutcome, FollowUpStatus, follow_up::is_overdue},
    entity::follow_up,
    error::AppError,
    graphql::context::ContextExt,
};

pub struct FollowUp(pub follow_up::Model);

#[Object]
impl FollowUp {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn client(&self, ctx: &Context<'_>) -> Result<Client> {
        let found = ctx.loaders()?.client.load_one(self.0.client_id).await?;
        Ok(Client(found.ok_or_else(|| AppError::internal(anyhow::anyhow!("client row missing")))?))
    }

    async fn due_on(&self) -> Date {
        Date(self.0.due_on)
    }

    async fn status(&self) -> FollowUpStatus {
        self.0.status
    }

    /// Still scheduled after its due date (in the program's time zone). Derived, never stored.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(is_overdue(self.0.status, self.0.due_on, ctx.state()?.today()))
    }

    /// Days after entering aftercare, for contacts from the schedule.
    async fn schedule_days(&self) -> Option<i32> {
        self.0.schedule_days
    }

    async fn outcome(&self) -> Option<FollowUpOutcome> {
        self.0.outcome
    }

    async fn attending_support_group(&self) -> Option<bool> {
        self.0.attending_support_group
    }

    async fn contacted_at(&self) -> Option<DateTime<Utc>> {
        self.0.contacted_at
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let Some(by) = self.0.recorded_by else { return Ok(None) };
        Ok(ctx.loaders()?.staff.load_one(by).await?.map(Staff))
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
