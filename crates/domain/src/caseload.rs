//! The kinds of change a subscriber hears about.

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

/// What changed for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
pub enum CaseloadEventKind {
    ClientRegistered,
    ClientUpdated,
    ClientReassigned,
    Admitted,
    StageChanged,
    Discharged,
    ReferralCreated,
    ReferralStatusChanged,
    AttendanceRecorded,
    FollowUpScheduled,
    FollowUpRecorded,
    AftercarePlanUpdated,
}
