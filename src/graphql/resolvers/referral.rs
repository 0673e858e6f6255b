use async_graphql::{Context, Object};

use crate::graphql::error::Result;

use crate::{
    graphql::{
        context::ContextExt,
        cursor::{require_id, target_id},
        types::referral::{RecordAttendanceInput, ReferToSupportGroupInput, Referral, UpdateReferralStatusInput},
    },
    service::idempotency,
    service::referral::{self as referrals, NewAttendance, NewReferral, StatusChange},
};

#[derive(Default)]
pub struct ReferralMutation;

#[Object]
impl ReferralMutation {
    /// Refers a client with an open episode to a support group (optionally one meeting).
    async fn refer_to_support_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client, the group and, optionally, one meeting and a weekly goal.")]
        input: ReferToSupportGroupInput,
    ) -> Result<Referral> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let client_id = target_id(&input.client_id)?;
        let support_group_id = require_id(&input.support_group_id, "supportGroupId")?;
        let meeting_id = input.meeting_id.as_ref().map(|id| require_id(id, "meetingId")).transpose()?;
        let fingerprint = ctx.arguments_json()?;
        let referred = idempotency::run(
            state,
            viewer,
            "referToSupportGroup",
            input.idempotency_key.as_deref(),
            &fingerprint,
            |id| {
                let referral = NewReferral {
                    id,
                    client_id,
                    support_group_id,
                    meeting_id,
                    status: input.status,
                    note: input.note,
                    weekly_goal: input.weekly_goal,
                };
                referrals::refer(state, viewer, referral)
            },
            |id| referrals::get(state, viewer, id),
        )
        .await;
        Ok(Referral::one(referred?))
    }

    /// Moves a referral along PLANNED → REFERRED → ENGAGED → COMPLETED, or closes it as
    /// DECLINED (from PLANNED or REFERRED), DISCONTINUED (from REFERRED or ENGAGED) or
    /// CANCELLED (from any open status), each with a reason. Any other move is refused
    /// (`REFERRAL_STATUS_MOVE`, naming the moves allowed next).
    async fn update_referral_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral at the version read and its new status.")] input: UpdateReferralStatusInput,
    ) -> Result<Referral> {
        let viewer = ctx.viewer()?;
        let change = StatusChange {
            referral_id: target_id(&input.referral_id)?,
            expected_version: input.expected_version,
            status: input.status,
            reason: input.reason,
        };
        Ok(Referral::one(referrals::update_status(ctx.state()?, viewer, change).await?))
    }

    /// Records an attended meeting; the first one makes a REFERRED referral ENGAGED.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral and the day the client attended.")] input: RecordAttendanceInput,
    ) -> Result<Referral> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let referral_id = target_id(&input.referral_id)?;
        let fingerprint = ctx.arguments_json()?;
        let recorded = idempotency::run(
            state,
            viewer,
            "recordAttendance",
            input.idempotency_key.as_deref(),
            &fingerprint,
            |id| {
                let attendance = NewAttendance {
                    id,
                    referral_id,
                    attended_on: input.attended_on.0,
                    verified: input.verified,
                    note: input.note,
                };
                referrals::record_attendance(state, viewer, attendance)
            },
            |id| referrals::by_attendance(state, viewer, id),
        )
        .await;
        Ok(Referral::one(recorded?))
    }
}
