use async_graphql::{Context, ID, Object};

use crate::graphql::error::Result;

use crate::{
    graphql::{
        context::ContextExt,
        cursor::{parse_id, require_id},
        types::directory::{Meeting, MeetingInput, SupportGroup, SupportGroupInput},
    },
    service::directory::{self, NewMeeting, NewSupportGroup},
};

#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// The support-group directory.
    async fn support_groups(&self, ctx: &Context<'_>) -> Result<Vec<SupportGroup>> {
        ctx.viewer()?;
        Ok(SupportGroup::list(directory::groups(ctx.state()?).await?))
    }

    async fn support_group(&self, ctx: &Context<'_>, id: ID) -> Result<Option<SupportGroup>> {
        ctx.viewer()?;
        let Some(id) = parse_id(&id) else { return Ok(None) };
        Ok(directory::group(ctx.state()?, id).await?.map(SupportGroup::one))
    }
}

#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// ADMIN: adds a program to the directory.
    async fn create_support_group(&self, ctx: &Context<'_>, input: SupportGroupInput) -> Result<SupportGroup> {
        let viewer = ctx.viewer()?;
        let group = directory::create_group(
            ctx.state()?,
            viewer,
            NewSupportGroup {
                name: input.name,
                abbreviation: input.abbreviation,
                twelve_step: input.twelve_step,
                audience: input.audience,
                description: input.description,
            },
        )
        .await?;
        Ok(SupportGroup::one(group))
    }

    /// ADMIN: adds a weekly meeting to a group.
    async fn create_meeting(&self, ctx: &Context<'_>, input: MeetingInput) -> Result<Meeting> {
        let viewer = ctx.viewer()?;
        let meeting = directory::create_meeting(
            ctx.state()?,
            viewer,
            NewMeeting {
                support_group_id: require_id(&input.support_group_id, "supportGroupId")?,
                name: input.name,
                format: input.format,
                day_of_week: input.day_of_week,
                start_time: input.start_time,
                duration_minutes: input.duration_minutes,
                time_zone: input.time_zone,
                address: input.address,
                url: input.url,
                language: input.language,
                types: input.types,
            },
        )
        .await?;
        Ok(Meeting::one(meeting))
    }
}
