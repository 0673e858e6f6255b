use async_graphql::{Context, ID, Object};

use crate::graphql::error::Result;

use crate::{
    graphql::{
        context::ContextExt,
        cursor::{parse_id, require_id, target_id},
        types::directory::{
            Meeting, MeetingInput, RetireInput, SupportGroup, SupportGroupInput, UpdateMeetingInput,
            UpdateSupportGroupInput,
        },
    },
    service::directory::{self, GroupChanges, MeetingChanges, NewMeeting, NewSupportGroup},
};

#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// The support-group directory, oldest first; retired groups only when asked for.
    async fn support_groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Also the groups taken out of the directory.")] include_retired: bool,
    ) -> Result<Vec<SupportGroup>> {
        ctx.viewer()?;
        Ok(SupportGroup::list(directory::groups(ctx.state()?, include_retired).await?))
    }

    /// One group of the directory, retired or not; `null` for an unknown id.
    async fn support_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's id, from `supportGroups`.")] id: ID,
    ) -> Result<Option<SupportGroup>> {
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
    async fn create_support_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group as the directory shows it.")] input: SupportGroupInput,
    ) -> Result<SupportGroup> {
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
                open_to: input.open_to,
                secular: input.secular,
                co_occurring: input.for_co_occurring,
                substance_focus: input.substance_focus,
                languages: input.languages,
            },
        )
        .await?;
        Ok(SupportGroup::one(group))
    }

    /// ADMIN: adds a weekly meeting to a group.
    async fn create_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group, the weekday, the time and the place or link.")] input: MeetingInput,
    ) -> Result<Meeting> {
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

    /// ADMIN: edits a group (its abbreviation stays).
    async fn update_support_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group at the version read and the fields to change.")] input: UpdateSupportGroupInput,
    ) -> Result<SupportGroup> {
        let viewer = ctx.viewer()?;
        let changes = GroupChanges {
            name: input.name,
            twelve_step: input.twelve_step,
            audience: input.audience,
            description: input.description,
            open_to: input.open_to,
            secular: input.secular,
            co_occurring: input.for_co_occurring,
            substance_focus: input.substance_focus,
            languages: input.languages,
        };
        let id = target_id(&input.id)?;
        let group = directory::update_group(ctx.state()?, viewer, id, input.expected_version, changes).await?;
        Ok(SupportGroup::one(group))
    }

    /// ADMIN: takes a group and all its meetings out of the directory. They leave the
    /// recommendations and the schedules; open referrals to them come up on the worklist.
    async fn retire_support_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group at the version read.")] input: RetireInput,
    ) -> Result<SupportGroup> {
        let viewer = ctx.viewer()?;
        let id = target_id(&input.id)?;
        Ok(SupportGroup::one(directory::retire_group(ctx.state()?, viewer, id, input.expected_version).await?))
    }

    /// ADMIN: edits a meeting that still runs.
    async fn update_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting at the version read and the fields to change.")] input: UpdateMeetingInput,
    ) -> Result<Meeting> {
        let viewer = ctx.viewer()?;
        let changes = MeetingChanges {
            name: input.name,
            format: input.format,
            day_of_week: input.day_of_week,
            start_time: input.start_time,
            duration_minutes: input.duration_minutes,
            time_zone: input.time_zone,
            address: input.address.into(),
            url: input.url.into(),
            language: input.language,
            types: input.types,
        };
        let id = target_id(&input.id)?;
        let meeting = directory::update_meeting(ctx.state()?, viewer, id, input.expected_version, changes).await?;
        Ok(Meeting::one(meeting))
    }

    /// ADMIN: the meeting no longer runs. It leaves schedules and recommendations from
    /// today; open referrals to it come up on the worklist.
    async fn retire_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting at the version read.")] input: RetireInput,
    ) -> Result<Meeting> {
        let viewer = ctx.viewer()?;
        let id = target_id(&input.id)?;
        Ok(Meeting::one(directory::retire_meeting(ctx.state()?, viewer, id, input.expected_version).await?))
    }
}
