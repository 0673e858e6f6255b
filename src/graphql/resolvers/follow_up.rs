use async_graphql::{Context, Object};

use crate::graphql::error::Result;

use super::guard::audited;
use crate::{
    graphql::{
        context::ContextExt,
        cursor::{self, require_id, target_id},
        types::{
            IdConnection, connection,
            follow_up::{
                FollowUp, FollowUpFilter, RecordFollowUpAttemptInput, RecordFollowUpInput, ScheduleFollowUpInput,
            },
        },
    },
    service::audit::Target,
    service::follow_up::{self as follow_ups, Attempt, Contact, NewFollowUp},
    service::idempotency,
};

#[derive(Default)]
pub struct FollowUpQuery;

#[Object]
impl FollowUpQuery {
    /// Follow-ups of the caller's visible clients.
    #[graphql(complexity = "crate::graphql::page_cost(first.max(last), child_complexity)")]
    async fn follow_ups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; left out, every visible contact.")] filter: Option<FollowUpFilter>,
        #[graphql(desc = "Page forward: at most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (`pageInfo.endCursor`).")] after: Option<String>,
        #[graphql(desc = "Page backward: at most this many items, ending at `before` or at the list's end.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (`pageInfo.startCursor`).")] before: Option<String>,
    ) -> Result<IdConnection<FollowUp>> {
        let viewer = ctx.viewer()?;
        let page = cursor::page(first, after, last, before)?;
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
    async fn schedule_follow_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client and the day the contact is due.")] input: ScheduleFollowUpInput,
    ) -> Result<FollowUp> {
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
    async fn record_follow_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact at the version read, the result and, when COMPLETED, the outcome.")]
        input: RecordFollowUpInput,
    ) -> Result<FollowUp> {
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
    async fn record_follow_up_attempt(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact at the version read, and when, how and with what result it was tried.")]
        input: RecordFollowUpAttemptInput,
    ) -> Result<FollowUp> {
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
