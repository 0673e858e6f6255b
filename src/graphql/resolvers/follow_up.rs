use async_graphql::{Context, Object};

use crate::graphql::error::Result;

use super::guard::audited;
use crate::{
    graphql::{
        context::ContextExt,
        cursor::{parse_after, require_id, target_id},
        types::{
            IdConnection, connection,
            follow_up::{
                FollowUp, FollowUpFilter, RecordFollowUpAttemptInput, RecordFollowUpInput, ScheduleFollowUpInput,
            },
        },
    },
    service::audit::Target,
    service::idempotency,
    service::{
        follow_up::{self as follow_ups, Attempt, Contact, NewFollowUp},
        pagination::PageRequest,
    },
};

#[derive(Default)]
pub struct FollowUpQuery;

#[Object]
impl FollowUpQuery {
    /// Follow-ups of the caller's visible clients.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn follow_ups(
        &self,
        ctx: &Context<'_>,
        filter: Option<FollowUpFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IdConnection<FollowUp>> {
        let viewer = ctx.viewer()?;
        let page = PageRequest::new(first, parse_after(after)?)?;
        let filter = filter.unwrap_or_default();
        let filter = follow_ups::FollowUpFilter {
            status: filter.status,
            overdue: filter.overdue,
            due_from: filter.due_from.map(|d| d.0),
            due_to: filter.due_to.map(|d| d.0),
            counselor_id: filter.counselor_id.as_ref().map(|id| require_id(id, "counselorId")).transpose()?,
            client_id: filter.client_id.as_ref().map(|id| require_id(id, "clientId")).transpose()?,
        };
        let want_total = ctx.look_ahead().field("totalCount").exists();
        let rows = audited(
            ctx,
            "followUps",
            Target::Nothing,
            follow_ups::list(ctx.state()?, viewer, &filter, page, want_total).await,
        )
        .await?;
        ctx.audit_reads("followUps", rows.items.iter().map(|f| f.client_id));
        Ok(connection(rows, |f| f.id, FollowUp::list))
    }
}

#[derive(Default)]
pub struct FollowUpMutation;

#[Object]
impl FollowUpMutation {
    /// Adds a follow-up contact by hand.
    async fn schedule_follow_up(&self, ctx: &Context<'_>, input: ScheduleFollowUpInput) -> Result<FollowUp> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let client_id = target_id(&input.client_id)?;
        let fingerprint = ctx.arguments_json()?;
        let scheduled = idempotency::run(
            state,
            viewer,
            "scheduleFollowUp",
            input.idempotency_key.as_deref(),
            &fingerprint,
            |id| {
                follow_ups::schedule(
                    state,
                    viewer,
                    NewFollowUp { id, client_id, due_on: input.due_on.0, note: input.note },
                )
            },
            |id| follow_ups::get(state, viewer, id),
        )
        .await;
        Ok(FollowUp::one(scheduled?))
    }

    /// Records the contact: COMPLETED (with an outcome), UNREACHABLE or CANCELLED.
    async fn record_follow_up(&self, ctx: &Context<'_>, input: RecordFollowUpInput) -> Result<FollowUp> {
        let viewer = ctx.viewer()?;
        let contact = Contact {
            follow_up_id: target_id(&input.follow_up_id)?,
            expected_version: input.expected_version,
            status: input.status,
            outcome: input.outcome,
            attending_support_group: input.attending_support_group,
            contacted_at: input.contacted_at.map(|t| t.0),
            note: input.note,
        };
        Ok(FollowUp::one(follow_ups::record(ctx.state()?, viewer, contact).await?))
    }

    /// Logs one outreach attempt (a call, a text, a letter…) on a scheduled contact; returns
    /// the contact at its next version, with the attempt among its `attempts`.
    async fn record_follow_up_attempt(&self, ctx: &Context<'_>, input: RecordFollowUpAttemptInput) -> Result<FollowUp> {
        let viewer = ctx.viewer()?;
        let attempt = Attempt {
            follow_up_id: target_id(&input.follow_up_id)?,
            attempted_at: input.attempted_at.map(|t| t.0),
            method: input.method,
            result: input.result,
            note: input.note,
        };
        Ok(FollowUp::one(follow_ups::record_attempt(ctx.state()?, viewer, attempt).await?))
    }
}
