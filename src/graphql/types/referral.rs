use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::scalars::Date;

use super::{
    client::Client,
    directory::{Meeting, SupportGroup},
    id,
    staff::Staff,
};
use crate::{
    domain::{ReferralStatus, Stage},
    entity::{attendance, referral},
    error::AppError,
    graphql::context::ContextExt,
};

pub struct Referral(pub referral::Model);

#[Object]
impl Referral {
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

    async fn support_group(&self, ctx: &Context<'_>) -> Result<SupportGroup> {
        let found = ctx.loaders()?.support_group.load_one(self.0.support_group_id).await?;
        Ok(SupportGroup(found.ok_or_else(|| AppError::internal(anyhow::anyhow!("group row missing")))?))
    }

    async fn meeting(&self, ctx: &Context<'_>) -> Result<Option<Meeting>> {
        let Some(meeting_id) = self.0.meeting_id else { return Ok(None) };
        Ok(ctx.loaders()?.meeting.load_one(meeting_id).await?.map(Meeting))
    }

    async fn status(&self) -> ReferralStatus {
        self.0.status
    }

    /// Why it was declined, discontinued or cancelled.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }

    async fn stage_at_referral(&self) -> Stage {
        self.0.stage_at_referral
    }

    async fn referred_by(&self, ctx: &Context<'_>) -> Result<Staff> {
        let found = ctx.loaders()?.staff.load_one(self.0.referred_by).await?;
        Ok(Staff(found.ok_or_else(|| AppError::internal(anyhow::anyhow!("staff row missing")))?))
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Meetings attended, oldest first.
    async fn attendance(&self, ctx: &Context<'_>) -> Result<Vec<Attendance>> {
        let rows = ctx.loaders()?.attendance.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Attendance).collect())
    }

    async fn attendance_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let rows = ctx.loaders()?.attendance.load_one(self.0.id).await?.unwrap_or_default();
        Ok(i32::try_from(rows.len()).unwrap_or(i32::MAX))
    }
}

pub struct Attendance(pub attendance::Model);

#[Object]
impl Attendance {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn attended_on(&self) -> Date {
        Date(self.0.attended_on)
    }

    async fn verified(&self) -> bool {
        self.0.verified
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Staff> {
        let found = ctx.loaders()?.staff.load_one(self.0.recorded_by).await?;
        Ok(Staff(found.ok_or_else(|| AppError::internal(anyhow::anyhow!("staff row missing")))?))
    }
}

#[derive(InputObject)]
pub struct ReferToSupportGroupInput {
    pub client_id: ID,
    pub support_group_id: ID,
    pub meeting_id: Option<ID>,
    /// PLANNED or REFERRED (the default).
    pub status: Option<ReferralStatus>,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateReferralStatusInput {
    pub referral_id: ID,
    pub expected_version: i32,
    pub status: ReferralStatus,
    /// Required for DECLINED, DISCONTINUED and CANCELLED.
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct RecordAttendanceInput {
    pub referral_id: ID,
    pub attended_on: Date,
    #[graphql(default)]
    pub verified: bool,
    pub note: Option<String>,
}
