//! The closed-loop referral: statuses, the allowed moves, and meeting formats.

use async_graphql::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};

use super::RuleViolation;

/// Where a support-group referral stands in the closed loop: PLANNED → REFERRED → ENGAGED →
/// COMPLETED, or closed early as DECLINED, DISCONTINUED or CANCELLED (each with a reason).
/// PLANNED, REFERRED and ENGAGED are open; a client has at most one open referral per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReferralStatus {
    /// Planned (e.g. in the aftercare plan) but not yet sent out: entering AFTERCARE moves it to
    /// REFERRED, as a counselor can by hand.
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    /// The client has been referred and has not attended yet; the first recorded attendance
    /// moves it to ENGAGED.
    #[sea_orm(string_value = "REFERRED")]
    Referred,
    /// The client has attended at least once.
    #[sea_orm(string_value = "ENGAGED")]
    Engaged,
    /// The client completed the referral (from ENGAGED only). Closed.
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// The client turned it down before engaging (from PLANNED or REFERRED). Closed; needs a
    /// reason.
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    /// Stopped after it went out, e.g. the client stopped attending (from REFERRED or ENGAGED).
    /// Closed; needs a reason.
    #[sea_orm(string_value = "DISCONTINUED")]
    Discontinued,
    /// Withdrawn from any open status, e.g. when the client died. Closed; needs a reason.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// How a support-group meeting is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MeetingFormat {
    /// Held at a physical place; the meeting has an address.
    #[sea_orm(string_value = "IN_PERSON")]
    InPerson,
    /// Held online; the meeting has a join link.
    #[sea_orm(string_value = "ONLINE")]
    Online,
    /// Held at a place and online at once; the meeting has both an address and a join link.
    #[sea_orm(string_value = "HYBRID")]
    Hybrid,
}

impl ReferralStatus {
    pub const OPEN: [ReferralStatus; 3] = [ReferralStatus::Planned, ReferralStatus::Referred, ReferralStatus::Engaged];

    pub fn as_str(self) -> &'static str {
        match self {
            ReferralStatus::Planned => "PLANNED",
            ReferralStatus::Referred => "REFERRED",
            ReferralStatus::Engaged => "ENGAGED",
            ReferralStatus::Completed => "COMPLETED",
            ReferralStatus::Declined => "DECLINED",
            ReferralStatus::Discontinued => "DISCONTINUED",
            ReferralStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// Closing a referral this way needs a reason on record.
    pub fn needs_reason(self) -> bool {
        matches!(self, ReferralStatus::Declined | ReferralStatus::Discontinued | ReferralStatus::Cancelled)
    }
}

pub const ALLOWED_MOVES: &[(ReferralStatus, ReferralStatus)] = {
    use ReferralStatus::*;
    &[
        (Planned, Referred),
        (Referred, Engaged),
        (Engaged, Completed),
        (Planned, Declined),
        (Referred, Declined),
        (Referred, Discontinued),
        (Engaged, Discontinued),
        (Planned, Cancelled),
        (Referred, Cancelled),
        (Engaged, Cancelled),
    ]
};

/// `PLANNED → REFERRED → ENGAGED → COMPLETED`; `DECLINED` from PLANNED or REFERRED;
/// `DISCONTINUED` from REFERRED or ENGAGED; `CANCELLED` from any open status.
pub fn check_move(from: ReferralStatus, to: ReferralStatus, reason: Option<&str>) -> Result<(), RuleViolation> {
    if !ALLOWED_MOVES.contains(&(from, to)) {
        let allowed: Vec<_> = ALLOWED_MOVES.iter().filter(|(a, _)| *a == from).map(|(_, b)| b.as_str()).collect();
        let allowed = if allowed.is_empty() { "none: the referral is closed".to_owned() } else { allowed.join(", ") };
        return Err(RuleViolation::new(
            "REFERRAL_STATUS_MOVE",
            Some("status"),
            format!("a referral cannot go from {} to {}; allowed next: {allowed}", from.as_str(), to.as_str()),
        ));
    }
    if to.needs_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(RuleViolation::new(
            "REFERRAL_REASON_REQUIRED",
            Some("reason"),
            format!("{} needs a reason", to.as_str()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{ReferralStatus::*, *};

    #[test]
    fn the_loop() {
        assert!(check_move(Planned, Referred, None).is_ok());
        assert!(check_move(Referred, Engaged, None).is_ok());
        assert!(check_move(Engaged, Completed, None).is_ok());
        assert_eq!(check_move(Completed, Referred, None).map_err(|v| v.rule), Err("REFERRAL_STATUS_MOVE"));
        assert_eq!(check_move(Planned, Engaged, None).map_err(|v| v.rule), Err("REFERRAL_STATUS_MOVE"));
    }

    #[test]
    fn closing_needs_a_reason() {
        assert_eq!(check_move(Referred, Declined, None).map_err(|v| v.rule), Err("REFERRAL_REASON_REQUIRED"));
        assert_eq!(check_move(Referred, Declined, Some("  ")).map_err(|v| v.rule), Err("REFERRAL_REASON_REQUIRED"));
        assert!(check_move(Referred, Declined, Some("prefers another group")).is_ok());
        assert!(check_move(Engaged, Declined, Some("x")).is_err());
        assert!(check_move(Planned, Discontinued, Some("x")).is_err());
    }
}
