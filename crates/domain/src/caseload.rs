//! The kinds of change a subscriber hears about.

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

/// What changed for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
pub enum CaseloadEventKind {
    /// A new client was registered.
    ClientRegistered,
    /// The client's details or locator (how to reach them) changed.
    ClientUpdated,
    /// The client has a new primary counselor.
    ClientReassigned,
    /// A treatment episode was opened by admission; the subject is the episode.
    Admitted,
    /// The open episode moved to another stage or level of care; the subject is the episode.
    StageChanged,
    /// The episode was closed by discharge, including a death learned at follow-up; the subject is
    /// the episode.
    Discharged,
    /// A referral to a support group was made; the subject is the referral.
    ReferralCreated,
    /// A referral moved to another status; the subject is the referral.
    ReferralStatusChanged,
    /// An attendance was recorded on a referral (the first one moves it to ENGAGED); the subject
    /// is the referral.
    AttendanceRecorded,
    /// A follow-up contact was added by hand; the subject is the contact.
    FollowUpScheduled,
    /// A follow-up contact was recorded, or an outreach attempt logged on it; the subject is the
    /// contact.
    FollowUpRecorded,
    /// The aftercare plan of the open episode was drafted or revised; the subject is the plan.
    AftercarePlanUpdated,
}
