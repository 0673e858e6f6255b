use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::scalars::Date;

use super::{follow_up::FollowUp, id, referral::Referral, staff::Staff};
use crate::{
    domain::{
        DischargeReason, FollowUpStatus, Gender, LevelOfCare, ReferralStatus, Stage, Substance,
        client::decode_substances,
    },
    entity::{client, episode, stage_change},
    error::AppError,
    graphql::context::ContextExt,
};

pub struct Client(pub client::Model);

#[Object]
impl Client {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Pass it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn first_name(&self) -> &str {
        &self.0.first_name
    }

    async fn last_name(&self) -> &str {
        &self.0.last_name
    }

    async fn preferred_name(&self) -> Option<&str> {
        self.0.preferred_name.as_deref()
    }

    async fn date_of_birth(&self) -> Date {
        Date(self.0.date_of_birth)
    }

    async fn gender(&self) -> Option<Gender> {
        self.0.gender
    }

    async fn substances(&self) -> Vec<Substance> {
        decode_substances(&self.0.substances)
    }

    async fn co_occurring_mental_health(&self) -> bool {
        self.0.co_occurring_mental_health
    }

    async fn prefers_secular(&self) -> bool {
        self.0.prefers_secular
    }

    /// BCP 47, e.g. `en`.
    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }

    async fn primary_counselor(&self, ctx: &Context<'_>) -> Result<Staff> {
        let found = ctx.loaders()?.staff.load_one(self.0.primary_counselor_id).await?;
        Ok(Staff(found.ok_or_else(|| AppError::internal(anyhow::anyhow!("counselor row missing")))?))
    }

    /// The open episode, if any.
    async fn current_episode(&self, ctx: &Context<'_>) -> Result<Option<Episode>> {
        let episodes = ctx.loaders()?.episodes.load_one(self.0.id).await?.unwrap_or_default();
        Ok(episodes.into_iter().find(|e| e.discharged_at.is_none()).map(Episode))
    }

    /// Every episode, newest first.
    async fn episodes(&self, ctx: &Context<'_>) -> Result<Vec<Episode>> {
        let episodes = ctx.loaders()?.episodes.load_one(self.0.id).await?.unwrap_or_default();
        Ok(episodes.into_iter().map(Episode).collect())
    }

    /// Referrals, oldest first, optionally only those in the given statuses.
    async fn referrals(&self, ctx: &Context<'_>, status: Option<Vec<ReferralStatus>>) -> Result<Vec<Referral>> {
        let referrals = ctx.loaders()?.referrals.load_one(self.0.id).await?.unwrap_or_default();
        Ok(referrals
            .into_iter()
            .filter(|r| status.as_ref().is_none_or(|s| s.contains(&r.status)))
            .map(Referral)
            .collect())
    }

    /// Follow-ups by due date, optionally only those in the given statuses.
    async fn follow_ups(&self, ctx: &Context<'_>, status: Option<Vec<FollowUpStatus>>) -> Result<Vec<FollowUp>> {
        let rows = ctx.loaders()?.follow_ups.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().filter(|f| status.as_ref().is_none_or(|s| s.contains(&f.status))).map(FollowUp).collect())
    }

    /// The earliest follow-up still scheduled (overdue ones included).
    async fn next_follow_up(&self, ctx: &Context<'_>) -> Result<Option<FollowUp>> {
        let rows = ctx.loaders()?.follow_ups.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().find(|f| f.status == FollowUpStatus::Scheduled).map(FollowUp))
    }
}

pub struct Episode(pub episode::Model);

#[Object]
impl Episode {
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

    async fn stage(&self) -> Stage {
        self.0.stage
    }

    async fn level_of_care(&self) -> Option<LevelOfCare> {
        self.0.level_of_care
    }

    async fn open(&self) -> bool {
        self.0.discharged_at.is_none()
    }

    /// When the current stage began.
    async fn stage_entered_at(&self) -> DateTime<Utc> {
        self.0.stage_entered_at
    }

    async fn admitted_at(&self) -> DateTime<Utc> {
        self.0.admitted_at
    }

    async fn discharged_at(&self) -> Option<DateTime<Utc>> {
        self.0.discharged_at
    }

    async fn discharge_reason(&self) -> Option<DischargeReason> {
        self.0.discharge_reason
    }

    async fn discharge_note(&self) -> Option<&str> {
        self.0.discharge_note.as_deref()
    }

    /// Every stage move, oldest first, from admission on. Never edited.
    async fn stage_history(&self, ctx: &Context<'_>) -> Result<Vec<StageChange>> {
        let rows = ctx.loaders()?.stage_history.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(StageChange).collect())
    }
}

pub struct StageChange(pub stage_change::Model);

#[Object]
impl StageChange {
    /// `null` for the admission.
    async fn from(&self) -> Option<Stage> {
        self.0.from_stage
    }

    async fn to(&self) -> Stage {
        self.0.to_stage
    }

    async fn level_of_care(&self) -> Option<LevelOfCare> {
        self.0.level_of_care
    }

    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    async fn by(&self, ctx: &Context<'_>) -> Result<Staff> {
        let found = ctx.loaders()?.staff.load_one(self.0.by_staff_id).await?;
        Ok(Staff(found.ok_or_else(|| AppError::internal(anyhow::anyhow!("staff row missing")))?))
    }

    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
}

#[derive(InputObject)]
pub struct RegisterClientInput {
    pub first_name: String,
    pub last_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub gender: Option<Gender>,
    pub substances: Vec<Substance>,
    #[graphql(default)]
    pub co_occurring_mental_health: bool,
    #[graphql(default)]
    pub prefers_secular: bool,
    pub language: Option<String>,
    /// Defaults to the caller. A supervisor may name a counselor of their team.
    pub primary_counselor_id: Option<ID>,
}

/// Fields left out stay as they are; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateClientInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub preferred_name: MaybeUndefined<String>,
    pub date_of_birth: Option<Date>,
    pub gender: MaybeUndefined<Gender>,
    pub substances: Option<Vec<Substance>>,
    pub co_occurring_mental_health: Option<bool>,
    pub prefers_secular: Option<bool>,
    pub language: MaybeUndefined<String>,
}

#[derive(InputObject, Default)]
pub struct ClientFilter {
    /// Clients whose open episode is in this stage.
    pub stage: Option<Stage>,
    /// Part of a first, last or preferred name, case-insensitive.
    pub search: Option<String>,
    pub counselor_id: Option<ID>,
    pub has_overdue_follow_up: Option<bool>,
}

#[derive(InputObject)]
pub struct AdmitClientInput {
    pub client_id: ID,
    pub stage: Stage,
    pub level_of_care: Option<LevelOfCare>,
    /// Defaults to now.
    pub admitted_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct ChangeStageInput {
    pub episode_id: ID,
    pub expected_version: i32,
    pub stage: Stage,
    pub level_of_care: Option<LevelOfCare>,
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct DischargeClientInput {
    pub episode_id: ID,
    pub expected_version: i32,
    pub reason: DischargeReason,
    pub note: Option<String>,
}
