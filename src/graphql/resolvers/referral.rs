use async_graphql::{Context, Object, Result};

use super::guard::audited;
use crate::{
    graphql::{
        context::ContextExt,
        cursor::{require_id, target_id},
        types::referral::{RecordAttendanceInput, ReferToSupportGroupInput, Referral, UpdateReferralStatusInput},
    },
    service::audit::Target,
    service::referral::{self as referrals, NewAttendance, NewReferral, StatusChange},
};

#[derive(Default)]
pub struct ReferralMutation;

#[Object]
impl ReferralMutation {
    /// Refers a client with an open episode to a support group (optionally one meeting).
    async fn refer_to_support_group(&self, ctx: &Context<'_>, input: ReferToSupportGroupInput) -> Result<Referral> {
        let viewer = ctx.viewer()?;
        viewer.require_clinical()?;
        let referral = NewReferral {
            client_id: target_id(&input.client_id)?,
            support_group_id: require_id(&input.support_group_id, "supportGroupId")?,
            meeting_id: input.meeting_id.as_ref().map(|id| require_id(id, "meetingId")).transpose()?,
            status: input.status,
            note: input.note,
            weekly_goal: input.weekly_goal,
        };
        let target = Target::Client(referral.client_id);
        Ok(Referral::one(
            audited(ctx, "referToSupportGroup", target, referrals::refer(ctx.state()?, viewer, referral).await).await?,
        ))
    }

    async fn update_referral_status(&self, ctx: &Context<'_>, input: UpdateReferralStatusInput) -> Result<Referral> {
        let viewer = ctx.viewer()?;
        viewer.require_clinical()?;
        let change = StatusChange {
            referral_id: target_id(&input.referral_id)?,
            expected_version: input.expected_version,
            status: input.status,
            reason: input.reason,
        };
        let target = Target::Referral(change.referral_id);
        Ok(Referral::one(
            audited(ctx, "updateReferralStatus", target, referrals::update_status(ctx.state()?, viewer, change).await)
                .await?,
        ))
    }

    /// Records an attended meeting; the first one makes a REFERRED referral ENGAGED.
    async fn record_attendance(&self, ctx: &Context<'_>, input: RecordAttendanceInput) -> Result<Referral> {
        let viewer = ctx.viewer()?;
        viewer.require_clinical()?;
        let attendance = NewAttendance {
            referral_id: target_id(&input.referral_id)?,
            attended_on: input.attended_on.0,
            verified: input.verified,
            note: input.note,
        };
        let target = Target::Referral(attendance.referral_id);
        Ok(Referral::one(
            audited(
                ctx,
                "recordAttendance",
                target,
                referrals::record_attendance(ctx.state()?, viewer, attendance).await,
            )
            .await?,
        ))
    }
}
