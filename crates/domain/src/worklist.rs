//! What needs a person today, in order of urgency.

use async_graphql::Enum;

/// In order of urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum, serde::Serialize, serde::Deserialize)]
pub enum WorklistKind {
    /// Left against advice or was discharged by the program in the last 30 days and has not
    /// been reached since: the weeks after an early exit carry the highest overdose risk.
    DischargedEarly,
    FollowUpOverdue,
    /// A follow-up found a return to use or a readmission elsewhere, and the episode has not
    /// moved since: the plan needs a clinician's review.
    ClinicalReview,
    FollowUpDueToday,
    /// An open referral names a meeting (or a group) the directory has retired: the client
    /// may go to a meeting that no longer runs, and needs another.
    ReferralMeetingRetired,
    ReferralDisengaging,
    AdherenceLow,
    AftercareWithoutActiveReferral,
    DischargedWithoutFollowUp,
    /// A consent recorded before the 2024 § 2.31 elements were kept: no disclosure goes
    /// under it until the client signs it again.
    ConsentNeedsRenewal,
}
