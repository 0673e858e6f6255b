use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object};

use crate::graphql::error::Result;
use crate::graphql::scalars::DateTime;

use super::{
    client::Client,
    directory::{Meeting, SupportGroup},
    id,
    staff::{Staff, StaffRefs},
};
use crate::{
    domain::{ReferralStatus, Stage},
    entity::{Id, attendance, client, meeting, referral, support_group},
    graphql::{
        batch::{self, Batch, distinct, regroup, required},
        context::ContextExt,
        scalars::Date,
    },
};

#[derive(Clone)]
pub struct Referral {
    row: referral::Model,
    set: Arc<ReferralSet>,
}

#[derive(Default)]
pub struct ReferralSet {
    ids: Arc<[Id<referral::Entity>]>,
    client_ids: Arc<[Id<client::Entity>]>,
    group_ids: Arc<[Id<support_group::Entity>]>,
    meeting_ids: Arc<[Id<meeting::Entity>]>,
    clients: Batch<Id<client::Entity>, Client>,
    groups: Batch<Id<support_group::Entity>, SupportGroup>,
    meetings: Batch<Id<meeting::Entity>, Meeting>,
    staff: StaffRefs,
    attendance: Batch<Id<referral::Entity>, Vec<Attendance>>,
    attendance_counts: Batch<Id<referral::Entity>, i64>,
    /// The query also selects `attendance`: `attendanceCount` counts those rows instead of
    /// asking the database separately.
    attendance_rows_selected: bool,
}

impl Referral {
    pub fn list(rows: Vec<referral::Model>) -> Vec<Referral> {
        Referral::list_selecting(rows, false)
    }

    /// A list whose query selects `attendance` (`true`) or not.
    pub fn list_selecting(rows: Vec<referral::Model>, attendance_rows_selected: bool) -> Vec<Referral> {
        let set = Arc::new(ReferralSet {
            attendance_rows_selected,
            ids: distinct(rows.iter().map(referral::Model::key)),
            client_ids: distinct(rows.iter().map(referral::Model::client_key)),
            group_ids: distinct(rows.iter().map(referral::Model::group_key)),
            meeting_ids: distinct(rows.iter().filter_map(referral::Model::meeting_key)),
            staff: StaffRefs::new(rows.iter().map(referral::Model::referred_by_key)),
            ..Default::default()
        });
        rows.into_iter().map(|row| Referral { row, set: set.clone() }).collect()
    }

    pub fn one(row: referral::Model) -> Referral {
        let set = Arc::new(ReferralSet {
            ids: Arc::new([row.key()]),
            client_ids: Arc::new([row.client_key()]),
            group_ids: Arc::new([row.group_key()]),
            meeting_ids: row.meeting_key().into_iter().collect(),
            staff: StaffRefs::new([row.referred_by_key()]),
            ..Default::default()
        });
        Referral { row, set }
    }

    pub fn model(&self) -> &referral::Model {
        &self.row
    }

    async fn all_attendance(&self, ctx: &Context<'_>) -> Result<Vec<Attendance>> {
        let db = &ctx.state()?.db;
        let ids = self.set.ids.clone();
        let by_referral = self
            .set
            .attendance
            .get(|| async {
                Ok(regroup(batch::attendance_by_referral(db, &ids).await?, Attendance::list, |a| a.row.referral_key()))
            })
            .await?;
        Ok(by_referral.get(&self.row.key()).cloned().unwrap_or_default())
    }
}

/// A referral of a client to a support group, optionally to one of its meetings, made during an
/// episode and followed to its end: PLANNED → REFERRED → ENGAGED → COMPLETED, or DECLINED,
/// DISCONTINUED or CANCELLED. Visible with its client.
#[Object]
impl Referral {
    /// Opaque id; pass it as `referralId` to `updateReferralStatus`, `recordAttendance` and the
    /// plan's goals.
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// Pass it back as `expectedVersion` to `updateReferralStatus`; it also moves on with automatic
    /// status changes, and a stale one is `CONFLICT`.
    async fn version(&self) -> i32 {
        self.row.version
    }

    /// The client referred.
    async fn client(&self, ctx: &Context<'_>) -> Result<Client> {
        let db = &ctx.state()?.db;
        let ids = self.set.client_ids.clone();
        let found = self.set.clients.get(|| async { Ok(Client::map(batch::clients(db, &ids).await?)) }).await?;
        Ok(required(&found, self.row.client_key(), "client")?)
    }

    /// The group referred to. It may have been retired since; an open referral to a retired group is
    /// on the worklist.
    async fn support_group(&self, ctx: &Context<'_>) -> Result<SupportGroup> {
        let db = &ctx.state()?.db;
        let ids = self.set.group_ids.clone();
        let found =
            self.set.groups.get(|| async { Ok(SupportGroup::map(batch::support_groups(db, &ids).await?)) }).await?;
        Ok(required(&found, self.row.group_key(), "support group")?)
    }

    /// The one meeting referred to; null for a referral to the group as a whole. It may have been
    /// retired since.
    async fn meeting(&self, ctx: &Context<'_>) -> Result<Option<Meeting>> {
        let Some(meeting_id) = self.row.meeting_key() else { return Ok(None) };
        let db = &ctx.state()?.db;
        let ids = self.set.meeting_ids.clone();
        let found = self.set.meetings.get(|| async { Ok(Meeting::map(batch::meetings(db, &ids).await?)) }).await?;
        Ok(found.get(&meeting_id).cloned())
    }

    /// Where the referral stands; PLANNED, REFERRED and ENGAGED are open. Entering AFTERCARE makes
    /// PLANNED ones REFERRED; the first attendance makes a REFERRED one ENGAGED.
    async fn status(&self) -> ReferralStatus {
        self.row.status
    }

    /// Why it was declined, discontinued or cancelled.
    async fn status_reason(&self) -> Option<&str> {
        self.row.status_reason.as_deref()
    }

    /// The episode's stage when the referral was made; the referral report counts by it.
    async fn stage_at_referral(&self) -> Stage {
        self.row.stage_at_referral
    }

    /// The staff member who made the referral.
    async fn referred_by(&self, ctx: &Context<'_>) -> Result<Staff> {
        self.set.staff.required(ctx, self.row.referred_by_key()).await
    }

    /// Free text given with the referral (at most 4,000 characters); null if none.
    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }

    /// Attendance goal in meetings per week, if one is set.
    async fn weekly_goal(&self) -> Option<i32> {
        self.row.weekly_goal
    }

    /// When the referral was made (UTC); attendance can be recorded from that day on.
    async fn created_at(&self) -> DateTime {
        DateTime(self.row.created_at)
    }

    /// When the referral last changed (UTC): its status, its goal, or an automatic move.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.row.updated_at)
    }

    /// Meetings attended, oldest first.
    async fn attendance(&self, ctx: &Context<'_>) -> Result<Vec<Attendance>> {
        self.all_attendance(ctx).await
    }

    /// How many attendances are recorded on the referral, in all.
    async fn attendance_count(&self, ctx: &Context<'_>) -> Result<i32> {
        if self.set.attendance_rows_selected {
            return Ok(i32::try_from(self.all_attendance(ctx).await?.len()).unwrap_or(i32::MAX));
        }
        let db = &ctx.state()?.db;
        let ids = self.set.ids.clone();
        let counts = self.set.attendance_counts.get(|| batch::attendance_counts(db, &ids)).await?;
        Ok(i32::try_from(counts.get(&self.row.key()).copied().unwrap_or(0)).unwrap_or(i32::MAX))
    }
}

#[derive(Clone)]
pub struct Attendance {
    row: attendance::Model,
    set: Arc<AttendanceSet>,
}

#[derive(Default)]
pub struct AttendanceSet {
    staff: StaffRefs,
}

impl Attendance {
    pub fn list(rows: Vec<attendance::Model>) -> Vec<Attendance> {
        let set =
            Arc::new(AttendanceSet { staff: StaffRefs::new(rows.iter().map(attendance::Model::recorded_by_key)) });
        rows.into_iter().map(|row| Attendance { row, set: set.clone() }).collect()
    }
}

/// One meeting a client attended on a referral; at most one per referral and day. Attendance drives
/// adherence, the disengaging-referral alert and the TEDS self-help frequency at discharge.
#[Object]
impl Attendance {
    /// Opaque id (UUIDv7, in order of creation).
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// The day of the meeting, in the program's time zone: between the day of the referral and the
    /// day it was recorded.
    async fn attended_on(&self) -> Date {
        Date(self.row.attended_on)
    }

    /// Whether the attendance was marked verified when it was recorded.
    async fn verified(&self) -> bool {
        self.row.verified
    }

    /// Free text about the attendance (at most 4,000 characters); null if none.
    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }

    /// The staff member who recorded the attendance.
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Staff> {
        self.set.staff.required(ctx, self.row.recorded_by_key()).await
    }
}

/// A new referral with `referToSupportGroup`.
#[derive(InputObject)]
pub struct ReferToSupportGroupInput {
    /// Makes the create safe to retry: the same key returns the first result (kept at least 48 hours).
    pub idempotency_key: Option<String>,
    /// A client the caller may see, with an open episode (`REFERRAL_NEEDS_OPEN_EPISODE`). One open
    /// referral per client and group (`ONE_OPEN_REFERRAL_PER_GROUP`).
    pub client_id: ID,
    /// A group in the directory that is not retired.
    pub support_group_id: ID,
    /// One meeting the group still runs, if the client should go to that one; it then shows in
    /// `meetingSchedule`, and the weekly goal is 1 at most.
    pub meeting_id: Option<ID>,
    /// PLANNED or REFERRED (the default).
    pub status: Option<ReferralStatus>,
    /// Free text, at most 4,000 characters.
    pub note: Option<String>,
    /// Attendance goal in meetings per week ("90 meetings in 90 days" is 7).
    pub weekly_goal: Option<i32>,
}

/// A status move with `updateReferralStatus`.
#[derive(InputObject)]
pub struct UpdateReferralStatusInput {
    /// The referral to move.
    pub referral_id: ID,
    /// The referral's `version` as last read; a stale one is `CONFLICT`.
    pub expected_version: i32,
    /// The status to move to: PLANNED → REFERRED → ENGAGED → COMPLETED; PLANNED or REFERRED →
    /// DECLINED; REFERRED or ENGAGED → DISCONTINUED; any open status → CANCELLED. Anything else is
    /// `REFERRAL_STATUS_MOVE`.
    pub status: ReferralStatus,
    /// Required for DECLINED, DISCONTINUED and CANCELLED.
    pub reason: Option<String>,
}

/// Records one attended meeting with `recordAttendance`.
#[derive(InputObject)]
pub struct RecordAttendanceInput {
    /// Makes the create safe to retry: the same key returns the first result (kept at least 48 hours).
    pub idempotency_key: Option<String>,
    /// A REFERRED or ENGAGED referral (`ATTENDANCE_NEEDS_ACTIVE_REFERRAL`); the first attendance
    /// makes a REFERRED one ENGAGED.
    pub referral_id: ID,
    /// Between the day of the referral and today, in the program's time zone; once per referral and
    /// day (`ATTENDANCE_DUPLICATE`).
    pub attended_on: Date,
    /// Whether the attendance is verified; false when left out.
    #[graphql(default)]
    pub verified: bool,
    /// Free text, at most 4,000 characters.
    pub note: Option<String>,
}
