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

#[Object]
impl FollowUpReport {
    async fn from(&self) -> Date {
        self.0.from.into()
    }

    async fn to(&self) -> Date {
        self.0.to.into()
    }

    async fn gpra_target(&self) -> f64 {
        self.0.gpra_target
    }

    async fn total(&self) -> &FollowUpFigures {
        &self.0.total
    }

    /// One row per counselor with follow-ups in range, by counselor id.
    async fn by_counselor(&self) -> Vec<CounselorFollowUps> {
        self.0.by_counselor.iter().cloned().map(CounselorFollowUps).collect()
    }
}

pub struct CounselorFollowUps(pub report::CounselorFollowUps);

#[Object]
impl CounselorFollowUps {
    async fn figures(&self) -> &FollowUpFigures {
        &self.0.figures
    }

    async fn counselor(&self) -> Staff {
        Staff::one(self.0.counselor.clone())
    }
}

pub struct GroupReferrals(pub report::GroupReferrals);

#[Object]
impl GroupReferrals {
    async fn figures(&self) -> &ReferralFigures {
        &self.0.figures
    }

    async fn support_group(&self) -> SupportGroup {
        SupportGroup::one(self.0.support_group.clone())
    }
}

pub struct ReferralReport(pub report::ReferralReport);

#[Object]
impl ReferralReport {
    async fn from(&self) -> Date {
        self.0.from.into()
    }

    async fn to(&self) -> Date {
        self.0.to.into()
    }

    async fn total(&self) -> &ReferralFigures {
        &self.0.total
    }

    async fn by_support_group(&self) -> Vec<GroupReferrals> {
        self.0.by_support_group.iter().cloned().map(GroupReferrals).collect()
    }

    /// By the stage the referral was made in.
    async fn by_stage(&self) -> &[StageReferrals] {
        &self.0.by_stage
    }
}

pub struct SupportGroupRecommendation(pub Recommendation);

#[Object]
impl SupportGroupRecommendation {
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
