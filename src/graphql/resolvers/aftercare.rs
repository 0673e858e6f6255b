use async_graphql::{
    Context, ID, Object,
    connection::{CursorType, OpaqueCursor},
};
use uuid::Uuid;

use super::guard::audited;
use crate::graphql::error::Result;
use crate::{
    entity::{Id, client},
    error::AppError,
    graphql::{
        batch,
        context::ContextExt,
        cursor::{require_id, target_id},
        types::{
            Paged,
            aftercare::{AftercarePlan, UpdateAftercarePlanInput, WorklistItem},
            client::{Client, Episode},
            follow_up::FollowUp,
            referral::Referral,
        },
    },
    service::audit::Target,
    service::{
        aftercare::{self, PlanUpdate},
        pagination,
        worklist::{self, Item, WorklistKind},
    },
};

/// A worklist position: urgency, date and record, so a page boundary survives changes.
type WorklistCursor = OpaqueCursor<(WorklistKind, chrono::NaiveDate, Uuid)>;

pub type WorklistConnection = Paged<WorklistCursor, WorklistItem>;

#[derive(Default)]
pub struct AftercareQuery;

#[Object]
impl AftercareQuery {
    /// Who needs me today: one item per thing that needs a person, most urgent first.
    /// A supervisor sees the team's and may narrow it to one counselor; clients under an
    /// emergency-access grant in force are included.
    #[graphql(complexity = "crate::graphql::page_cost(first.max(last), child_complexity)")]
    async fn worklist(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "SUPERVISOR: one counselor of the team instead of the whole team.")] counselor_id: Option<ID>,
        #[graphql(desc = "Page forward: at most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (`pageInfo.endCursor`).")] after: Option<String>,
        #[graphql(desc = "Page backward: at most this many items, ending at `before` or at the list's end.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (`pageInfo.startCursor`).")] before: Option<String>,
    ) -> Result<WorklistConnection> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let cursor = |cursor: Option<String>, field: &'static str| {
            cursor
                .map(|c| {
                    WorklistCursor::decode_cursor(&c)
                        .map(|c| c.0)
                        .map_err(|_| AppError::bad_field(field, "invalid cursor"))
                })
                .transpose()
        };
        let (after, before) = (cursor(after, "after")?, cursor(before, "before")?);
        let counselor_id = counselor_id.as_ref().map(|id| require_id(id, "counselorId")).transpose()?;
        let all = audited(ctx, "worklist", Target::Nothing, worklist::items(state, viewer, counselor_id).await).await?;
        let page = pagination::window(all, Item::sort_key, first, after, last, before)?;
        let (has_previous, has_next, total) =
            (page.has_previous_page, page.has_next_page, page.total_count.unwrap_or_default());
        let rest = page.items;

        let client_ids: Vec<Id<client::Entity>> =
            batch::distinct(rest.iter().map(|i| Id::from_input(i.client_id))).to_vec();
        ctx.audit_reads("worklist", client_ids.iter().map(|id| id.uuid()));
        let clients = Client::map(batch::clients(&state.db, &client_ids).await?);
        let follow_ups = FollowUp::list(rest.iter().filter_map(|i| i.follow_up.clone()).collect());
        let referrals = Referral::list(rest.iter().filter_map(|i| i.referral.clone()).collect());
        let episodes = Episode::list(rest.iter().filter_map(|i| i.episode.clone()).collect());
        let (mut follow_ups, mut referrals, mut episodes) =
            (follow_ups.into_iter(), referrals.into_iter(), episodes.into_iter());

        let mut connection = Paged::new(has_previous, has_next, total);
        for item in rest {
            let client = batch::required(&clients, Id::from_input(item.client_id), "client")?;
            let (kind, since, subject) = item.sort_key();
            let node = WorklistItem {
                follow_up: item.follow_up.as_ref().and_then(|_| follow_ups.next()),
                referral: item.referral.as_ref().and_then(|_| referrals.next()),
                episode: item.episode.as_ref().and_then(|_| episodes.next()),
                client,
                item,
            };
            connection.push(OpaqueCursor((kind, since, subject)), node);
        }
        Ok(connection)
    }
}

#[derive(Default)]
pub struct AftercareMutation;

#[Object]
impl AftercareMutation {
    /// Drafts or revises the aftercare plan of the client's open episode: notes, and the
    /// weekly attendance goal of each referral. Entering AFTERCARE puts it into effect.
    async fn update_aftercare_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client, the plan version read, and the notes and goals to set.")]
        input: UpdateAftercarePlanInput,
    ) -> Result<AftercarePlan> {
        let viewer = ctx.viewer()?;
        let goals = input
            .goals
            .iter()
            .map(|g| Ok((require_id(&g.referral_id, "goals")?, g.meetings_per_week)))
            .collect::<Result<Vec<_>, AppError>>()?;
        let client_id = target_id(&input.client_id)?;
        let update = PlanUpdate {
            client_id,
            expected_version: input.expected_version,
            notes: input.notes,
            client_note: input.client_note,
            goals,
        };
        let updated = aftercare::update(ctx.state()?, viewer, update).await;
        Ok(AftercarePlan(updated?))
    }
}
