use crate::graphql::scalars::DateTime;
use async_graphql::{ID, InputObject, Object, SimpleObject};

use super::{
    client::{Client, Episode},
    directory::Meeting,
    follow_up::FollowUp,
    id,
    referral::Referral,
};
use crate::{
    domain::{MeetingFormat, Stage, aftercare},
    graphql::scalars::Date,
    service::{
        aftercare::{PlanView, ScheduledMeeting as Scheduled},
        worklist::{Item, WorklistKind},
    },
};

/// Attended versus expected meetings over the last four weeks (or since the referral).
#[derive(SimpleObject, Clone, Copy)]
pub struct Adherence {
    /// First day counted, in the program's time zone: 28 days before today, or the day the
    /// referral was sent out (REFERRED) when later. For the client's roll-up, the earliest of its referrals.
    pub window_start: Date,
    /// Days in the window, 0 to 28; the expected meetings are the goal × `windowDays` ÷ 7. For the
    /// client's roll-up, the longest of its referrals.
    pub window_days: i64,
    /// Attendances recorded from `windowStart` to today (one per referral and day at most).
    pub attended: i64,
    /// goal × days ÷ 7
    pub expected: f64,
    /// attended ÷ expected, two decimals; null before anything is expected.
    pub rate: Option<f64>,
}

impl From<aftercare::Adherence> for Adherence {
    fn from(a: aftercare::Adherence) -> Self {
        Adherence {
            window_start: Date(a.window_start),
            window_days: a.window_days,
            attended: a.attended,
            expected: a.expected,
            rate: a.rate,
        }
    }
}

#[derive(Clone)]
pub struct AftercarePlan(pub PlanView);

/// The aftercare plan of a client's open episode: the open referrals with their weekly goals and
/// adherence, the continuing-care contacts and the notes. One per episode; a draft (version 0)
/// until first saved, put into effect when the episode enters AFTERCARE.
#[Object]
impl AftercarePlan {
    /// Null until the plan is first saved.
    async fn id(&self) -> Option<ID> {
        self.0.plan.as_ref().map(|p| id(p.id))
    }

    /// Pass back as `expectedVersion`; 0 before the plan is first saved.
    async fn version(&self) -> i32 {
        self.0.plan.as_ref().map_or(0, |p| p.version)
    }

    /// The counselor's internal notes. They never leave the record: not on the printed plan.
    async fn notes(&self) -> &str {
        self.0.plan.as_ref().map_or("", |p| p.notes.as_str())
    }

    /// The note written for the client, printed on the plan they take home.
    async fn client_note(&self) -> &str {
        self.0.plan.as_ref().map_or("", |p| p.client_note.as_str())
    }

    /// Whether the client is in AFTERCARE, so the plan applies.
    async fn in_effect(&self) -> bool {
        self.0.episode.stage == Stage::Aftercare
    }

    /// When the plan took effect (entry into AFTERCARE).
    async fn effective_at(&self) -> Option<DateTime> {
        self.0.plan.as_ref().and_then(|p| p.effective_at).map(DateTime)
    }

    /// When the plan was last saved (UTC); null until first saved.
    async fn updated_at(&self) -> Option<DateTime> {
        self.0.plan.as_ref().map(|p| p.updated_at).map(DateTime)
    }

    /// The open episode the plan belongs to.
    async fn episode(&self) -> Episode {
        Episode::one(self.0.episode.clone())
    }

    /// The planned and active referrals of the episode, with their meetings and goals.
    async fn referrals(&self) -> Vec<PlannedReferral> {
        let referrals = Referral::list(self.0.referrals.clone());
        referrals
            .into_iter()
            .map(|r| {
                let adherence = self.0.adherence.get(&r.model().id).copied().map(Adherence::from);
                PlannedReferral { referral: r, adherence }
            })
            .collect()
    }

    /// The follow-up schedule of this episode: the contacts once in aftercare.
    async fn follow_ups(&self) -> Vec<FollowUp> {
        FollowUp::list(self.0.follow_ups.clone())
    }

    /// Days after entering aftercare at which contacts are scheduled (the program's setting).
    async fn follow_up_schedule_days(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> crate::graphql::error::Result<Vec<u32>> {
        use crate::graphql::context::ContextExt;
        Ok(ctx.state()?.config.follow_up_schedule_days.clone())
    }

    /// The client's adherence across referrals with a goal.
    async fn adherence(&self) -> Option<Adherence> {
        self.0.client_adherence().map(Adherence::from)
    }
}

pub struct PlannedReferral {
    referral: Referral,
    adherence: Option<Adherence>,
}

/// A referral on the aftercare plan, with its weekly attendance goal and adherence.
#[Object]
impl PlannedReferral {
    /// The referral itself: PLANNED, REFERRED or ENGAGED.
    async fn referral(&self) -> &Referral {
        &self.referral
    }

    /// Attendance goal, meetings per week.
    async fn meetings_per_week(&self) -> Option<i32> {
        self.referral.model().weekly_goal
    }

    /// Null for a referral without a goal, or not yet active.
    async fn adherence(&self) -> Option<Adherence> {
        self.adherence
    }
}

/// The weekly attendance goal of one referral on the plan.
#[derive(InputObject)]
pub struct ReferralGoalInput {
    /// An open referral of the client's open episode; any other refuses the whole update (field
    /// `goals`).
    pub referral_id: ID,
    /// Meetings per week; null clears the goal.
    pub meetings_per_week: Option<i32>,
}

/// Drafts or revises a plan with `updateAftercarePlan`.
#[derive(InputObject)]
pub struct UpdateAftercarePlanInput {
    /// The client whose open episode the plan is for; without an open episode it is
    /// `AFTERCARE_PLAN_NEEDS_OPEN_EPISODE`.
    pub client_id: ID,
    /// 0 to save the plan for the first time.
    pub expected_version: i32,
    /// Internal notes (never printed). Left out: unchanged.
    pub notes: Option<String>,
    /// The note for the client, printed on their plan. Left out: unchanged.
    pub client_note: Option<String>,
    /// Goals to set or clear, one per referral: 1 to 7 meetings a week, and 1 at most for a
    /// referral to one weekly meeting (`WEEKLY_GOAL`). Referrals not listed keep theirs.
    #[graphql(default)]
    pub goals: Vec<ReferralGoalInput>,
}

/// One meeting on a concrete day, in the meeting's own time zone and in the program's.
#[derive(Clone)]
pub struct ScheduledMeeting {
    pub item: Scheduled,
    pub program_tz: chrono_tz::Tz,
}

/// One meeting of a client's week, from an open referral that names it, on a concrete date; times
/// in the meeting's own time zone and in the program's.
#[Object]
impl ScheduledMeeting {
    /// The directory entry of the meeting: group, weekday, time, place.
    async fn meeting(&self) -> Meeting {
        Meeting::one(self.item.meeting.clone())
    }

    /// The open referral (PLANNED, REFERRED or ENGAGED) that names this meeting.
    async fn referral(&self) -> Referral {
        Referral::one(self.item.referral.clone())
    }

    /// The meeting's date where it is held.
    async fn date(&self) -> Date {
        Date(self.item.date)
    }

    /// The weekday of `date` in English, e.g. `Monday`.
    async fn day_name(&self) -> &'static str {
        use chrono::Datelike;
        aftercare::weekday_name(self.item.date.weekday())
    }

    /// The start as an instant (UTC), from the meeting's wall-clock time on `date` in its own zone,
    /// so it stays right across daylight-saving changes.
    async fn starts_at(&self) -> DateTime {
        DateTime(self.item.slot.starts_at)
    }

    /// `startsAt` plus the meeting's duration (UTC).
    async fn ends_at(&self) -> DateTime {
        DateTime(self.item.slot.ends_at)
    }

    /// The meeting's IANA time zone, e.g. `America/New_York`.
    async fn time_zone(&self) -> &str {
        self.item.meeting_tz.name()
    }

    /// `HH:MM` in the meeting's time zone.
    async fn local_start(&self) -> String {
        self.item.slot.starts_at.with_timezone(&self.item.meeting_tz).format("%H:%M").to_string()
    }

    /// `HH:MM` in the meeting's time zone.
    async fn local_end(&self) -> String {
        self.item.slot.ends_at.with_timezone(&self.item.meeting_tz).format("%H:%M").to_string()
    }

    /// The date in the program's time zone.
    async fn program_date(&self) -> Date {
        Date(self.item.slot.starts_at.with_timezone(&self.program_tz).date_naive())
    }

    /// `HH:MM` in the program's time zone.
    async fn program_start(&self) -> String {
        self.item.slot.starts_at.with_timezone(&self.program_tz).format("%H:%M").to_string()
    }

    /// `HH:MM` in the program's time zone.
    async fn program_end(&self) -> String {
        self.item.slot.ends_at.with_timezone(&self.program_tz).format("%H:%M").to_string()
    }

    /// IN_PERSON, ONLINE or HYBRID: show `address`, `url`, or both.
    async fn format(&self) -> MeetingFormat {
        self.item.meeting.format
    }

    /// Where an in-person or hybrid meeting is held; null for an online one.
    async fn address(&self) -> Option<&str> {
        self.item.meeting.address.as_deref()
    }

    /// Join link for online and hybrid meetings.
    async fn url(&self) -> Option<&str> {
        self.item.meeting.url.as_deref()
    }

    /// Another meeting of this week overlaps this one.
    async fn overlaps(&self) -> bool {
        self.item.overlaps
    }
}

/// Something on a counselor's worklist: why, since when, the client and the record to open.
pub struct WorklistItem {
    pub item: Item,
    pub client: Client,
    pub follow_up: Option<FollowUp>,
    pub referral: Option<Referral>,
    pub episode: Option<Episode>,
}

/// One thing on a counselor's worklist: what and why, since when, the client and the record to
/// open. The worklist holds only the caller's visible clients.
#[Object]
impl WorklistItem {
    /// What needs doing. The worklist is sorted by kind, in the order of `WorklistKind` (most
    /// urgent first), then by `since`.
    async fn kind(&self) -> WorklistKind {
        self.item.kind
    }

    /// In plain words, why this needs a person.
    async fn reason(&self) -> &str {
        &self.item.reason
    }

    /// The day it has been true since, in the program's time zone: the due date, the last
    /// attendance, the discharge or the entry into aftercare, as the kind says.
    async fn since(&self) -> Date {
        Date(self.item.since)
    }

    /// The client it concerns.
    async fn client(&self) -> &Client {
        &self.client
    }

    /// The contact to make or review, for FOLLOW_UP_OVERDUE, FOLLOW_UP_DUE_TODAY and
    /// CLINICAL_REVIEW; null for the other kinds.
    async fn follow_up(&self) -> Option<&FollowUp> {
        self.follow_up.as_ref()
    }

    /// The referral concerned, for REFERRAL_DISENGAGING, ADHERENCE_LOW and
    /// REFERRAL_MEETING_RETIRED; null for the other kinds.
    async fn referral(&self) -> Option<&Referral> {
        self.referral.as_ref()
    }

    /// The episode concerned, for DISCHARGED_EARLY, DISCHARGED_WITHOUT_FOLLOW_UP and
    /// AFTERCARE_WITHOUT_ACTIVE_REFERRAL; null for the other kinds.
    async fn episode(&self) -> Option<&Episode> {
        self.episode.as_ref()
    }
}
