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

/// A program in the support-group directory (AA, NA, SMART Recovery, …) with its weekly
/// meetings. Every signed-in staff member reads the directory; only ADMIN edits it.
#[Object]
impl SupportGroup {
    /// Opaque id; pass it to `supportGroup(id:)` or as `supportGroupId` when referring a client.
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// The program's full name, e.g. "Narcotics Anonymous".
    async fn name(&self) -> &str {
        &self.row.name
    }

    /// Short name (`AA`, `SMART`) that names the group in reports; unique, and never changes
    /// once the group is created.
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

    /// What the program is and how it works, in plain words to read to a client.
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

    /// No higher power in the program: ranked ahead of 12-step groups (with the same meeting
    /// availability) for clients who prefer a secular approach.
    async fn secular(&self) -> bool {
        self.row.secular
    }

    /// For people with a co-occurring mental-health condition: recommended only to them, and
    /// first among groups with the same meeting availability.
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
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Also list meetings that no longer run (with `retiredAt` set).")]
        include_retired: bool,
    ) -> Result<Vec<Meeting>> {
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

/// A weekly meeting of a support group: when, where or how to join, in what language. Every
/// signed-in staff member reads it; only ADMIN edits it.
#[Object]
impl Meeting {
    /// Opaque id; pass it as `meetingId` to refer a client to this meeting.
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// The program that holds the meeting.
    async fn support_group(&self, ctx: &Context<'_>) -> Result<SupportGroup> {
        let db = &ctx.state()?.db;
        let ids = self.set.group_ids.clone();
        let found =
            self.set.groups.get(|| async { Ok(SupportGroup::map(batch::support_groups(db, &ids).await?)) }).await?;
        Ok(required(&found, self.row.group_key(), "support group")?)
    }

    /// The meeting's own name, e.g. "Tuesday Night Step Study".
    async fn name(&self) -> &str {
        &self.row.name
    }

    /// In person, online or hybrid: in-person and hybrid meetings have an `address`, online
    /// and hybrid ones a `url`.
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

    /// How long it lasts, in minutes (10 to 480; 60 unless set).
    async fn duration_minutes(&self) -> i32 {
        self.row.duration_minutes
    }

    /// IANA time zone, e.g. `America/Chicago`.
    async fn time_zone(&self) -> &str {
        &self.row.time_zone
    }

    /// Where it meets; always set for in-person and hybrid meetings, null for an online meeting
    /// given none.
    async fn address(&self) -> Option<&str> {
        self.row.address.as_deref()
    }

    /// Join link for online and hybrid meetings.
    async fn url(&self) -> Option<&str> {
        self.row.url.as_deref()
    }

    /// The language it is held in, a BCP 47 tag (`en`, `es-MX`). Recommendations compare its
    /// primary subtag with the client's language.
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

/// A new program for the directory (ADMIN).
#[derive(InputObject)]
pub struct SupportGroupInput {
    /// The full name, 1 to 200 characters.
    pub name: String,
    /// Short name for reports: 1 to 16 letters, digits or dashes, unique in the directory.
    /// It cannot be changed later.
    pub abbreviation: String,
    /// A 12-step fellowship (`true`) or an alternative program.
    pub twelve_step: bool,
    /// Who the program is for, in a few words (up to 500 characters); empty when left out.
    pub audience: Option<String>,
    /// What the program is and how it works; required.
    pub description: String,
    /// Defaults to ANYONE.
    #[graphql(default_with = "GroupAudience::Anyone")]
    pub open_to: GroupAudience,
    /// No higher power in the program: ranked ahead of 12-step groups (with the same meeting
    /// availability) for clients who prefer a secular approach.
    /// Cannot be set together with `twelveStep`.
    #[graphql(default)]
    pub secular: bool,
    /// For people with a co-occurring mental-health condition: recommended only to them, and
    /// first.
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
    /// The group to edit.
    pub id: ID,
    /// The `version` last read; when someone else changed the group since, `CONFLICT`.
    pub expected_version: i32,
    /// The full name, 1 to 200 characters.
    pub name: Option<String>,
    /// A 12-step fellowship (`true`) or an alternative program.
    pub twelve_step: Option<bool>,
    /// Who the program is for, in a few words (up to 500 characters).
    pub audience: Option<String>,
    /// What the program is and how it works; cannot be made empty.
    pub description: Option<String>,
    /// Who may attend its meetings; the recommendations offer the group to no one else.
    pub open_to: Option<GroupAudience>,
    /// No higher power in the program; cannot be true while the group is 12-step.
    pub secular: Option<bool>,
    /// For people with a co-occurring mental-health condition: recommended only to them.
    pub for_co_occurring: Option<bool>,
    /// Replaces the substances the group is for; an empty list means any substance.
    pub substance_focus: Option<Vec<Substance>>,
    /// Replaces the languages: BCP 47 tags, kept as primary subtags, at most 20.
    pub languages: Option<Vec<String>>,
}

/// Fields left out stay as they are; `null` clears the address or the link.
#[derive(InputObject)]
pub struct UpdateMeetingInput {
    /// The meeting to edit; a retired one is refused (rule `MEETING_RETIRED`).
    pub id: ID,
    /// The `version` last read; when someone else changed the meeting since, `CONFLICT`.
    pub expected_version: i32,
    /// The meeting's name, 1 to 200 characters.
    pub name: Option<String>,
    /// In-person and hybrid meetings must keep an address, online and hybrid ones a link.
    pub format: Option<MeetingFormat>,
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub day_of_week: Option<i32>,
    /// Local start time in the meeting's time zone, `HH:MM`.
    pub start_time: Option<String>,
    /// 10 to 480 minutes.
    pub duration_minutes: Option<i32>,
    /// IANA time zone, e.g. `America/Chicago`.
    pub time_zone: Option<String>,
    /// Where it meets, up to 500 characters; `null` clears it (not allowed for an in-person or
    /// hybrid meeting).
    pub address: MaybeUndefined<String>,
    /// The http(s) join link, up to 500 characters; `null` clears it (not allowed for an online
    /// or hybrid meeting).
    pub url: MaybeUndefined<String>,
    /// The language it is held in, a BCP 47 tag (`en`, `es-MX`).
    pub language: Option<String>,
    /// Replaces the meeting-type codes (`O`, `C`, `W`, `DD`, `A`): up to 20, each 1 to 8
    /// letters, digits or dashes; stored upper-cased, without duplicates.
    pub types: Option<Vec<String>>,
}

/// Retires a directory entry at the version read.
#[derive(InputObject)]
pub struct RetireInput {
    /// The group (`retireSupportGroup`) or meeting (`retireMeeting`) to retire.
    pub id: ID,
    /// The `version` last read; when someone else changed the entry since, `CONFLICT`.
    pub expected_version: i32,
}

/// A new weekly meeting for a group in the directory (ADMIN).
#[derive(InputObject)]
pub struct MeetingInput {
    /// The group that holds the meeting; it must be in the directory and not retired.
    pub support_group_id: ID,
    /// The meeting's name, 1 to 200 characters.
    pub name: String,
    /// `IN_PERSON` and `HYBRID` need an `address`; `ONLINE` and `HYBRID` need a `url`.
    pub format: MeetingFormat,
    /// 1 = Monday … 7 = Sunday.
    pub day_of_week: i32,
    /// Local time, `HH:MM`.
    pub start_time: String,
    /// Defaults to 60.
    pub duration_minutes: Option<i32>,
    /// IANA time zone the start time is in, e.g. `America/Chicago`.
    pub time_zone: String,
    /// Where it meets, up to 500 characters; required for in-person and hybrid meetings.
    pub address: Option<String>,
    /// The http(s) join link, up to 500 characters; required for online and hybrid meetings.
    pub url: Option<String>,
    /// The language it is held in, a BCP 47 tag (`en`, `es-MX`).
    pub language: String,
    /// Meeting-type codes (`O` open, `C` closed, `W` women, `DD` dual diagnosis, `A` secular): up
    /// to 20, each 1 to 8 letters, digits or dashes; stored upper-cased, without duplicates.
    #[graphql(default)]
    pub types: Vec<String>,
}
