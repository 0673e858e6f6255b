use async_graphql::{
    Context, ID, Object,
    connection::{Connection, ConnectionNameType, CursorType, Edge, EdgeNameType, EmptyFields, OpaqueCursor},
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
            ConnectionFields,
            aftercare::{AftercarePlan, UpdateAftercarePlanInput, WorklistItem},
            client::{Client, Episode},
            follow_up::FollowUp,
            referral::Referral,
        },
    },
    service::audit::Target,
    service::{
        aftercare::{self, PlanUpdate},
        pagination::PageRequest,
        worklist::{self, Item, WorklistKind},
    },
};

/// A worklist position: urgency, date and record, so a page boundary survives changes.
type WorklistCursor = OpaqueCursor<(WorklistKind, chrono::NaiveDate, Uuid)>;

pub struct WorklistConnectionName;

impl ConnectionNameType for WorklistConnectionName {
    fn type_name<T: async_graphql::OutputType>() -> String {
        "WorklistConnection".into()
    }
}

pub struct WorklistEdgeName;

impl EdgeNameType for WorklistEdgeName {
    fn type_name<T: async_graphql::OutputType>() -> String {
        "WorklistEdge".into()
    }
}

pub type WorklistConnection =
    Connection<WorklistCursor, WorklistItem, ConnectionFields, EmptyFields, WorklistConnectionName, WorklistEdgeName>;

#[derive(Default)]
pub struct AftercareQuery;

#[Object]
impl AftercareQuery {
    /// Who needs me today: one item per thing that needs a person, most urgent first.
    /// A supervisor sees the team's and may narrow it to one counselor.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn worklist(
        &self,
        ctx: &Context<'_>,
        counselor_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<WorklistConnection> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let page = PageRequest::new(first, None)?;
        let after = after
            .map(|a| WorklistCursor::decode_cursor(&a).map_err(|_| AppError::bad_field("after", "invalid cursor")))
            .transpose()?;
        let counselor_id = counselor_id.as_ref().map(|id| require_id(id, "counselorId")).transpose()?;
        let all = audited(ctx, "worklist", Target::Nothing, worklist::items(state, viewer, counselor_id).await).await?;
        let total = all.len() as u64;
        let mut rest: Vec<Item> = match after {
            Some(OpaqueCursor(after)) => all.into_iter().filter(|i| i.sort_key() > after).collect(),
            None => all,
        };
        let has_next = rest.len() as u64 > page.first;
        rest.truncate(page.first as usize);

        let client_ids: Vec<Id<client::Entity>> =
            batch::distinct(rest.iter().map(|i| Id::from_input(i.client_id))).to_vec();
        ctx.audit_reads("worklist", client_ids.iter().map(|id| id.uuid()));
        let clients = Client::map(batch::clients(&state.db, &client_ids).await?);
        let follow_ups = FollowUp::list(rest.iter().filter_map(|i| i.follow_up.clone()).collect());
        let referrals = Referral::list(rest.iter().filter_map(|i| i.referral.clone()).collect());
        let episodes = Episode::list(rest.iter().filter_map(|i| i.episode.clone()).collect());
        let (mut follow_ups, mut referrals, mut episodes) =
            (follow_ups.into_iter(), referrals.into_iter(), episodes.into_iter());

        let mut connection =
            Connection::with_additional_fields(false, has_next, ConnectionFields { total_count: Some(total) });
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
            connection.edges.push(Edge::new(OpaqueCursor((kind, since, subject)), node));
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
    async fn update_aftercare_plan(&self, ctx: &Context<'_>, input: UpdateAftercarePlanInput) -> Result<AftercarePlan> {
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
