use std::{collections::HashMap, sync::Arc};

use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use crate::graphql::error::Result;

use super::id;
use crate::{
    domain::{GroupAudience, MeetingFormat, Substance, client::decode_substances},
    entity::{Id, meeting, support_group},
    graphql::{
        batch::{self, Batch, distinct, regroup, required},
        context::ContextExt,
    },
};

#[derive(Clone)]
pub struct SupportGroup {
    row: support_group::Model,
    set: Arc<GroupSet>,
}

#[derive(Default)]
pub struct GroupSet {
    ids: Arc<[Id<support_group::Entity>]>,
    meetings: Batch<Id<support_group::Entity>, Vec<Meeting>>,
}

impl SupportGroup {
    pub fn list(rows: Vec<support_group::Model>) -> Vec<SupportGroup> {
        let set =
            Arc::new(GroupSet { ids: distinct(rows.iter().map(support_group::Model::key)), ..Default::default() });
        rows.into_iter().map(|row| SupportGroup { row, set: set.clone() }).collect()
    }

    pub fn one(row: support_group::Model) -> SupportGroup {
        let set = Arc::new(GroupSet { ids: Arc::new([row.key()]), ..Default::default() });
        SupportGroup { row, set }
    }

    pub fn map(
        rows: HashMap<Id<support_group::Entity>, support_group::Model>,
    ) -> HashMap<Id<support_group::Entity>, SupportGroup> {
        SupportGroup::list(rows.into_values().collect()).into_iter().map(|g| (g.row.key(), g)).collect()
    }
}

#[Object]
impl SupportGroup {
    async fn id(&self) -> ID {
        id(self.row.id)
    }

    async fn name(&self) -> &str {
        &self.row.name
    }

    async fn abbreviation(&self) -> &str {
        &self.row.abbreviation
    }

    /// A 12-step fellowship, or an alternative program.
    async fn twelve_step(&self) -> bool {
        self.row.twelve_step
    }

    /// Who the program is for, in a few words.
    async fn audience(&self) -> &str {
        &self.row.audience
    }

    async fn description(&self) -> &str {
        &self.row.description
    }

    /// Pass it back as `expectedVersion` when updating or retiring.
    async fn version(&self) -> i32 {
        self.row.version
    }

    /// Who may attend its meetings; the recommendations offer it to no one else.
    async fn open_to(&self) -> GroupAudience {
        self.row.open_to
    }

    /// No higher power in the program: recommended first to clients who prefer a secular
    /// approach.
    async fn secular(&self) -> bool {
        self.row.secular
    }

    /// For people with a co-occurring mental-health condition (recommended only to them,
    /// and first).
    async fn for_co_occurring(&self) -> bool {
        self.row.co_occurring
    }

    /// The substances the group is for; empty when it is for any substance.
    async fn substance_focus(&self) -> Vec<Substance> {
        decode_substances(&self.row.substance_focus)
    }

    /// Languages its meetings and literature are offered in (primary subtags, `en`, `es`).
    async fn languages(&self) -> Vec<&str> {
        self.row.languages.split(',').filter(|l| !l.is_empty()).collect()
    }

    /// When the group left the directory; null while it is listed.
    async fn retired_at(&self) -> Option<DateTime> {
        self.row.retired_at.map(DateTime)
    }

    /// Weekly meetings, Monday first; retired ones only when asked for.
    async fn meetings(&self, ctx: &Context<'_>, #[graphql(default)] include_retired: bool) -> Result<Vec<Meeting>> {
        let db = &ctx.state()?.db;
        let ids = self.set.ids.clone();
        let by_group = self
            .set
            .meetings
            .get(|| async {
                Ok(regroup(batch::meetings_by_group(db, &ids).await?, Meeting::list, |m| m.row.group_key()))
            })
            .await?;
        let all = by_group.get(&self.row.key()).cloned().unwrap_or_default();
        Ok(all.into_iter().filter(|m| include_retired || m.row.retired_at.is_none()).collect())
    }
}

#[derive(Clone)]
pub struct Meeting {
    row: meeting::Model,
    set: Arc<MeetingSet>,
}

#[derive(Default)]
pub struct MeetingSet {
    group_ids: Arc<[Id<support_group::Entity>]>,
    groups: Batch<Id<support_group::Entity>, SupportGroup>,
}

impl Meeting {
    pub fn list(rows: Vec<meeting::Model>) -> Vec<Meeting> {
        let set = Arc::new(MeetingSet {
            group_ids: distinct(rows.iter().map(meeting::Model::group_key)),
            ..Default::default()
        });
        rows.into_iter().map(|row| Meeting { row, set: set.clone() }).collect()
    }

    pub fn one(row: meeting::Model) -> Meeting {
        let set = Arc::new(MeetingSet { group_ids: Arc::new([row.group_key()]), ..Default::default() });
        Meeting { row, set }
    }

    pub fn map(rows: HashMap<Id<meeting::Entity>, meeting::Model>) -> HashMap<Id<meeting::Entity>, Meeting> {
        Meeting::list(rows.into_values().collect()).into_iter().map(|m| (m.row.key(), m)).collect()
    }

    pub fn model(&self) -> &meeting::Model {
        &self.row
    }
}

#[Object]
impl Meeting {
    async fn id(&self) -> ID {
        id(self.row.id)
    }

    async fn support_group(&self, ctx: &Context<'_>) -> Result<SupportGroup> {
        let db = &ctx.state()?.db;
        let ids = self.set.group_ids.clone();
        let found =
            self.set.groups.get(|| async { Ok(SupportGroup::map(batch::support_groups(db, &ids).await?)) }).await?;
        Ok(required(&found, self.row.group_key(), "support group")?)
    }

    async fn name(&self) -> &str {
        &self.row.name
    }

    async fn format(&self) -> MeetingFormat {
        self.row.format
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    async fn day_of_week(&self) -> i32 {
        self.row.day_of_week
    }

    /// Local start time in the meeting's own time zone, `HH:MM`.
    async fn start_time(&self) -> String {
        self.row.start_time.format("%H:%M").to_string()
    }

    async fn duration_minutes(&self) -> i32 {
        self.row.duration_minutes
    }

    /// IANA time zone, e.g. `America/Chicago`.
    async fn time_zone(&self) -> &str {
        &self.row.time_zone
    }

    async fn address(&self) -> Option<&str> {
        self.row.address.as_deref()
    }

    /// Join link for online and hybrid meetings.
    async fn url(&self) -> Option<&str> {
        self.row.url.as_deref()
    }

    async fn language(&self) -> &str {
        &self.row.language
    }

    /// Meeting-type codes, e.g. `O` open, `C` closed, `W` women, `DD` dual diagnosis, `A` secular.
    async fn types(&self) -> Vec<&str> {
        self.row.types.split(',').filter(|t| !t.is_empty()).collect()
    }

    /// Pass it back as `expectedVersion` when updating or retiring.
    async fn version(&self) -> i32 {
        self.row.version
    }

    /// When the meeting stopped running; null while it runs. A retired meeting is in no
    /// schedule or recommendation from that day on.
    async fn retired_at(&self) -> Option<DateTime> {
        self.row.retired_at.map(DateTime)
    }
}

#[derive(InputObject)]
pub struct SupportGroupInput {
    pub name: String,
    pub abbreviation: String,
    pub twelve_step: bool,
    pub audience: Option<String>,
    pub description: String,
    /// Defaults to ANYONE.
    #[graphql(default_with = "GroupAudience::Anyone")]
    pub open_to: GroupAudience,
    #[graphql(default)]
    pub secular: bool,
    #[graphql(default)]
    pub for_co_occurring: bool,
    /// Empty (the default) for a group open to any substance.
    #[graphql(default)]
    pub substance_focus: Vec<Substance>,
    /// BCP 47 tags; kept as primary subtags.
    #[graphql(default)]
    pub languages: Vec<String>,
}

/// Fields left out stay as they are. The abbreviation does not change.
#[derive(InputObject)]
pub struct UpdateSupportGroupInput {
    pub id: ID,
    pub expected_version: i32,
    pub name: Option<String>,
    pub twelve_step: Option<bool>,
    pub audience: Option<String>,
    pub description: Option<String>,
    pub open_to: Option<GroupAudience>,
    pub secular: Option<bool>,
    pub for_co_occurring: Option<bool>,
    pub substance_focus: Option<Vec<Substance>>,
    pub languages: Option<Vec<String>>,
}

/// Fields left out stay as they are; `null` clears the address or the link.
#[derive(InputObject)]
pub struct UpdateMeetingInput {
    pub id: ID,
    pub expected_version: i32,
    pub name: Option<String>,
    pub format: Option<MeetingFormat>,
    pub day_of_week: Option<i32>,
    pub start_time: Option<String>,
    pub duration_minutes: Option<i32>,
    pub time_zone: Option<String>,
    pub address: MaybeUndefined<String>,
    pub url: MaybeUndefined<String>,
    pub language: Option<String>,
    pub types: Option<Vec<String>>,
}

/// Retires a directory entry at the version read.
#[derive(InputObject)]
pub struct RetireInput {
    pub id: ID,
    pub expected_version: i32,
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
