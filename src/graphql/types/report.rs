use async_graphql::Object;

use super::directory::{Meeting, SupportGroup};
use crate::service::recommend::Recommendation;

pub use crate::service::report::{
    CounselorFollowUps, FollowUpFigures, FollowUpReport, GroupReferrals, OutcomeCount, ReferralFigures, ReferralReport,
    StageCount, StageReferrals,
};

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
