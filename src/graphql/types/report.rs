//! The reports as GraphQL objects: the figures themselves are plain domain values; these
//! wrap the rows that point at staff and groups.

use async_graphql::Object;

use super::{
    directory::{Meeting, SupportGroup},
    staff::Staff,
};
use crate::{graphql::scalars::Date, service::recommend::Recommendation, service::report};

pub use crate::domain::report::{FollowUpFigures, OutcomeCount, ReferralFigures, StageCount, StageReferrals};

pub struct FollowUpReport(pub report::FollowUpReport);

/// Follow-up figures for a date range over the caller's visible clients: contacts due, NCQA
/// FUI 7- and 30-day rates, and the GPRA 6-month interview rate. A counselor sees their own
/// clients, a supervisor their team's, each with the clients under an emergency-access grant
/// in force.
#[Object]
impl FollowUpReport {
    /// First day of the range, inclusive (program time zone), as asked for.
    async fn from(&self) -> Date {
        self.0.from.into()
    }

    /// Last day of the range, inclusive (program time zone), as asked for.
    async fn to(&self) -> Date {
        self.0.to.into()
    }

    /// The GPRA 6-month follow-up target as a fraction (0.8 = 80 %), which
    /// `meetsGpraTarget` compares `sixMonthRate` with.
    async fn gpra_target(&self) -> f64 {
        self.0.gpra_target
    }

    /// The figures over every visible client (or the one counselor asked for).
    async fn total(&self) -> &FollowUpFigures {
        &self.0.total
    }

    /// One row per counselor with follow-ups in range, by counselor id.
    async fn by_counselor(&self) -> Vec<CounselorFollowUps> {
        self.0.by_counselor.iter().cloned().map(CounselorFollowUps).collect()
    }
}

pub struct CounselorFollowUps(pub report::CounselorFollowUps);

/// One counselor's row of the follow-up report.
#[Object]
impl CounselorFollowUps {
    /// The figures for the clients whose primary counselor this is now.
    async fn figures(&self) -> &FollowUpFigures {
        &self.0.figures
    }

    /// The clients' primary counselor.
    async fn counselor(&self) -> Staff {
        Staff::one(self.0.counselor.clone())
    }
}

pub struct GroupReferrals(pub report::GroupReferrals);

/// One support group's row of the referral report.
#[Object]
impl GroupReferrals {
    /// The referrals to this group made in the range, by the status they have now.
    async fn figures(&self) -> &ReferralFigures {
        &self.0.figures
    }

    /// The group referred to (retired groups included, when referrals in range name them).
    async fn support_group(&self) -> SupportGroup {
        SupportGroup::one(self.0.support_group.clone())
    }
}

pub struct ReferralReport(pub report::ReferralReport);

/// Support-group referral engagement for a date range over the caller's visible clients: the
/// referrals made in the range, counted by the status they have now.
#[Object]
impl ReferralReport {
    /// First day of the range, inclusive (program time zone), as asked for.
    async fn from(&self) -> Date {
        self.0.from.into()
    }

    /// Last day of the range, inclusive (program time zone), as asked for.
    async fn to(&self) -> Date {
        self.0.to.into()
    }

    /// The figures over every referral in the range.
    async fn total(&self) -> &ReferralFigures {
        &self.0.total
    }

    /// One row per support group with referrals in the range, in directory order (oldest group
    /// first); groups with none are left out.
    async fn by_support_group(&self) -> Vec<GroupReferrals> {
        self.0.by_support_group.iter().cloned().map(GroupReferrals).collect()
    }

    /// By the stage the referral was made in.
    async fn by_stage(&self) -> &[StageReferrals] {
        &self.0.by_stage
    }
}

pub struct SupportGroupRecommendation(pub Recommendation);

/// A support group that fits the client, from `recommendSupportGroups` (best first), with the
/// reasons a counselor can read to the client. Fit is a rule, not a score: a group is never
/// offered to a client its `openTo` excludes.
#[Object]
impl SupportGroupRecommendation {
    /// The group that fits; never a retired one.
    async fn support_group(&self) -> SupportGroup {
        SupportGroup::one(self.0.group.clone())
    }

    /// Plain-language reasons why this group fits.
    async fn reasons(&self) -> &[String] {
        &self.0.reasons
    }

    /// The group's meetings, the client's language first.
    async fn meetings(&self) -> Vec<Meeting> {
        Meeting::list(self.0.meetings.clone())
    }
}
