use async_graphql::{Context, ID, InputObject, Object, Result};

use super::id;
use crate::{
    domain::MeetingFormat,
    entity::{meeting, support_group},
    error::AppError,
    graphql::context::ContextExt,
};

pub struct SupportGroup(pub support_group::Model);

#[Object]
impl SupportGroup {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn abbreviation(&self) -> &str {
        &self.0.abbreviation
    }

    /// A 12-step fellowship, or an alternative program.
    async fn twelve_step(&self) -> bool {
        self.0.twelve_step
    }

    /// Who the program is for, in a few words.
    async fn audience(&self) -> &str {
        &self.0.audience
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Weekly meetings, Monday first.
    async fn meetings(&self, ctx: &Context<'_>) -> Result<Vec<Meeting>> {
        let rows = ctx.loaders()?.meetings.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Meeting).collect())
    }
}

pub struct Meeting(pub meeting::Model);

#[Object]
impl Meeting {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn support_group(&self, ctx: &Context<'_>) -> Result<SupportGroup> {
        let found = ctx.loaders()?.support_group.load_one(self.0.support_group_id).await?;
        Ok(SupportGroup(found.ok_or_else(|| AppError::internal(anyhow::anyhow!("group row missing")))?))
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn format(&self) -> MeetingFormat {
        self.0.format
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    async fn day_of_week(&self) -> i32 {
        self.0.day_of_week
    }

    /// Local start time in the meeting's own time zone, `HH:MM`.
    async fn start_time(&self) -> String {
        self.0.start_time.format("%H:%M").to_string()
    }

    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }

    /// IANA time zone, e.g. `America/Chicago`.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }

    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }

    /// Join link for online and hybrid meetings.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    async fn language(&self) -> &str {
        &self.0.language
    }

    /// Meeting-type codes, e.g. `O` open, `C` closed, `W` women, `DD` dual diagnosis, `A` secular.
    async fn types(&self) -> Vec<&str> {
        self.0.types.split(',').filter(|t| !t.is_empty()).collect()
    }
}

#[derive(InputObject)]
pub struct SupportGroupInput {
    pub name: String,
    pub abbreviation: String,
    pub twelve_step: bool,
    pub audience: Option<String>,
    pub description: String,
}

#[derive(InputObject)]
pub struct MeetingInput {
    pub support_group_id: ID,
    pub name: String,
    pub format: MeetingFormat,
    /// 1 = Monday … 7 = Sunday.
    pub day_of_week: i32,
    /// Local time, `HH:MM`.
    pub start_time: String,
    /// Defaults to 60.
    pub duration_minutes: Option<i32>,
    pub time_zone: String,
    pub address: Option<String>,
    pub url: Option<String>,
    pub language: String,
    #[graphql(default)]
    pub types: Vec<String>,
}
