//! What needs a person today, in order of urgency.

use async_graphql::Enum;

/// In order of urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum, serde::Serialize, serde::Deserialize)]
pub enum WorklistKind {
    FollowUpOverdue,
    FollowUpDueToday,
    ReferralDisengaging,
    AdherenceLow,
    AftercareWithoutActiveReferral,
    DischargedWithoutFollowUp,
}
