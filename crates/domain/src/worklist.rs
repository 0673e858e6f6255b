//! What needs a person today, in order of urgency.

use async_graphql::Enum;

/// In order of urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum, serde::Serialize, serde::Deserialize)]
pub enum WorklistKind {
    /// Left against advice or was discharged by the program in the last 30 days and has not
    /// been reached since: the weeks after an early exit carry the highest overdose risk.
    DischargedEarly,
    /// A follow-up contact is still scheduled after its due date.
    FollowUpOverdue,
    /// A follow-up in the last 14 days found a return to use or a readmission elsewhere, and
    /// the episode has not moved since: the plan needs a clinician's review.
    ClinicalReview,
    /// A scheduled follow-up contact is due today.
    FollowUpDueToday,
    /// An open referral names a meeting (or a group) the directory has retired: the client
    /// may go to a meeting that no longer runs, and needs another.
    ReferralMeetingRetired,
    /// An active (REFERRED or ENGAGED) referral has had no attendance recorded for 14 days (the
    /// configured default), counted from the last attendance or from the day it was sent out.
    ReferralDisengaging,
    /// An active referral with a weekly attendance goal is under half of it: attended versus
    /// expected meetings over the last 4 weeks (or since the referral, if that is shorter).
    AdherenceLow,
    /// The client is in AFTERCARE with no active (REFERRED or ENGAGED) support-group referral.
    AftercareWithoutActiveReferral,
    /// Discharged in the last 30 days (not deceased) with no follow-up contact scheduled and
    /// no new episode opened since.
    DischargedWithoutFollowUp,
    /// A consent recorded before the 2024 § 2.31 elements were kept: no disclosure goes
    /// under it until the client signs it again.
    ConsentNeedsRenewal,
}
