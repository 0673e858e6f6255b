use async_graphql::{Context, ID, Object};

use crate::graphql::error::Result;

use super::guard::audited;
use crate::{
    graphql::{
        context::ContextExt,
        cursor::{self, parse_id, require_id, target_id},
        resolvers::style::{input_or_pair, one_of},
        types::{
            IdConnection,
            client::{
                AdmitClientInput, ChangeStageInput, Client, ClientFilter, DischargeClientInput, Episode,
                ReassignCaseloadInput, ReassignClientInput, RegisterClientInput, UpdateClientInput,
            },
            connection,
        },
    },
    service::audit::Target,
    service::idempotency,
    service::{
        client::{self as clients, ClientChanges, NewClient},
        episode::{self as episodes, Admission, Discharge, StageMove},
    },
};

#[derive(Default)]
pub struct ClientQuery;

#[Object]
impl ClientQuery {
    /// A client on the caller's caseload (or team's); `null` when absent or not visible.
    async fn client(&self, ctx: &Context<'_>, #[graphql(desc = "The client's id.")] id: ID) -> Result<Option<Client>> {
        let viewer = ctx.viewer()?;
        let id = parse_id(&id);
        if let Err(err) = viewer.require_clinical() {
            ctx.audit_denied("client", id);
            return Err(err.into());
        }
        let Some(id) = id else { return Ok(None) };
        match clients::get(ctx.state()?, viewer, id).await? {
            Some(found) => {
                ctx.audit_reads("client", [found.id]);
                Ok(Some(Client::one(found)))
            }
            None => {
                ctx.audit_denied("client", Some(id));
                Ok(None)
            }
        }
    }

    /// The caller's visible clients, oldest registration first.
    #[graphql(complexity = "crate::graphql::page_cost(first.max(last), child_complexity)")]
    async fn clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; left out, every visible client.")] filter: Option<ClientFilter>,
        #[graphql(desc = "Page forward: at most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (`pageInfo.endCursor`).")] after: Option<String>,
        #[graphql(desc = "Page backward: at most this many items, ending at `before` or at the list's end.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (`pageInfo.startCursor`).")] before: Option<String>,
    ) -> Result<IdConnection<Client>> {
        let viewer = ctx.viewer()?;
        let page = cursor::page(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let filter = clients::ClientFilter {
            stage: filter.stage,
            search: filter.search,
            counselor_id: filter.counselor_id.as_ref().map(|id| require_id(id, "counselorId")).transpose()?,
            has_overdue_follow_up: filter.has_overdue_follow_up,
            date_of_birth: filter.date_of_birth.map(|d| d.0),
        };
        let want_total = ctx.look_ahead().field("totalCount").exists();
        let rows = audited(
            ctx,
            "clients",
            Target::Nothing,
            clients::list(ctx.state()?, viewer, &filter, page, want_total).await,
        )
        .await?;
        ctx.audit_reads("clients", rows.items.iter().map(|c| c.id));
        Ok(connection(rows, |c| c.id, Client::list))
    }
}

#[derive(Default)]
pub struct ClientMutation;

#[Object]
impl ClientMutation {
    /// Registers a client; the caller becomes the primary counselor unless a supervisor
    /// names a counselor of their team.
    async fn register_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new client's details; `confirmNotDuplicate` after checking likely duplicates.")]
        input: RegisterClientInput,
    ) -> Result<Client> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let primary_counselor_id =
            input.primary_counselor_id.as_ref().map(|id| require_id(id, "primaryCounselorId")).transpose()?;
        let fingerprint = ctx.arguments_json()?;
        let created = idempotency::run(
            state,
            viewer,
            "registerClient",
            input.idempotency_key.as_deref(),
            &fingerprint,
            |id| {
                clients::register(
                    state,
                    viewer,
                    NewClient {
                        id,
                        first_name: input.first_name,
                        last_name: input.last_name,
                        preferred_name: input.preferred_name,
                        date_of_birth: input.date_of_birth.0,
                        gender: input.gender,
                        substances: input.substances,
                        co_occurring_mental_health: input.co_occurring_mental_health,
                        prefers_secular: input.prefers_secular,
                        language: input.language,
                        primary_counselor_id,
                        confirm_not_duplicate: input.confirm_not_duplicate,
                    },
                )
            },
            |id| clients::get(state, viewer, id),
        )
        .await;
        Ok(Client::one(created?))
    }

    /// Corrects a client's details at the version read (`CONFLICT` when someone changed them
    /// since). Fields left out stay as they are.
    async fn update_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client (`clientId`), the version read and the changes.")] input: UpdateClientInput,
        #[graphql(desc = "Deprecated: `input.clientId`.", deprecation = "pass it in `input` as `clientId`")] id: Option<
            ID,
        >,
        #[graphql(desc = "Deprecated: `input.expectedVersion`.", deprecation = "pass it in `input`")]
        expected_version: Option<i32>,
    ) -> Result<Client> {
        let viewer = ctx.viewer()?;
        let id = one_of(input.client_id, id, "clientId")?;
        let expected_version = one_of(input.expected_version, expected_version, "expectedVersion")?;
        let changes = ClientChanges {
            first_name: input.first_name,
            last_name: input.last_name,
            preferred_name: input.preferred_name.into(),
            date_of_birth: input.date_of_birth.map(|d| d.0),
            gender: input.gender.into(),
            substances: input.substances,
            co_occurring_mental_health: input.co_occurring_mental_health,
            prefers_secular: input.prefers_secular,
            language: input.language.into(),
        };
        let id = target_id(&id)?;
        let result = clients::update(ctx.state()?, viewer, id, expected_version, changes).await;
        Ok(Client::one(result?))
    }

    /// Replaces the client's locator (how to reach them). Phone numbers are normalised to
    /// E.164; a malformed one is refused with the field named and nothing saved.
    async fn update_client_locator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client, the locator version read, and the whole new locator.")]
        input: crate::graphql::types::locator::UpdateClientLocatorInput,
    ) -> Result<crate::graphql::types::locator::ClientLocator> {
        let viewer = ctx.viewer()?;
        let client_id = target_id(&input.client_id)?;
        let expected_version = input.expected_version;
        let state = ctx.state()?;
        let row = crate::service::locator::set(state, viewer, client_id, expected_version, input.locator()).await?;
        let locator = crate::service::locator::decode(&row)?;
        Ok(crate::graphql::types::locator::ClientLocator { row, locator })
    }

    /// SUPERVISOR: moves a client to another counselor of the team.
    async fn reassign_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client and the new counselor.")] input: Option<ReassignClientInput>,
        #[graphql(desc = "Deprecated: `input.clientId`.", deprecation = "pass it in `input`")] client_id: Option<ID>,
        #[graphql(desc = "Deprecated: `input.counselorId`.", deprecation = "pass it in `input`")] counselor_id: Option<
            ID,
        >,
    ) -> Result<Client> {
        let viewer = ctx.viewer()?;
        let input = input_or_pair(input, client_id, counselor_id, |client_id, counselor_id| ReassignClientInput {
            client_id,
            counselor_id,
        })?;
        let counselor_id = require_id(&input.counselor_id, "counselorId")?;
        let client_id = target_id(&input.client_id)?;
        let result = clients::reassign(ctx.state()?, viewer, client_id, counselor_id).await;
        Ok(Client::one(result?))
    }

    /// SUPERVISOR: moves every client of a counselor of the team to another, in one
    /// transaction with one audit event per client (the hand-over before a counselor is
    /// deactivated). Returns the clients moved.
    async fn reassign_caseload(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The counselor whose clients move, and the one who takes them.")] input: ReassignCaseloadInput,
    ) -> Result<Vec<Client>> {
        let viewer = ctx.viewer()?;
        let from = require_id(&input.from_counselor_id, "fromCounselorId")?;
        let to = require_id(&input.to_counselor_id, "toCounselorId")?;
        let moved = clients::reassign_caseload(ctx.state()?, viewer, from, to).await?;
        Ok(Client::list(moved))
    }

    /// Opens an episode at a stage. A client has at most one open episode.
    async fn admit_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client, the stage and level of care, and when the episode began.")]
        input: AdmitClientInput,
    ) -> Result<Episode> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let client_id = target_id(&input.client_id)?;
        let intake = input.intake.as_ref().map(crate::graphql::types::teds::TedsIntakeInput::to_intake).transpose()?;
        let fingerprint = ctx.arguments_json()?;
        let admitted = idempotency::run(
            state,
            viewer,
            "admitClient",
            input.idempotency_key.as_deref(),
            &fingerprint,
            |id| {
                let admission = Admission {
                    id,
                    client_id,
                    stage: input.stage,
                    level_of_care: input.level_of_care,
                    admitted_at: input.admitted_at.map(|t| t.0),
                    intake: intake.clone(),
                };
                episodes::admit(state, viewer, admission)
            },
            |id| episodes::get(state, viewer, id),
        )
        .await;
        Ok(Episode::one(admitted?))
    }

    /// Moves an open episode to another stage or level of care: any move that changes one of
    /// them (escalating or stepping down withdrawal management, rehab up or down, back to
    /// detox after a return to use, a level change within aftercare); a move that changes
    /// nothing is refused (`STAGE_MOVE`). Leaving high-intensity care schedules the
    /// post-discharge contacts; entering AFTERCARE its schedule. Going back from AFTERCARE to
    /// treatment settles the aftercare contacts, and going back into high-intensity care the
    /// post-discharge ones: overdue contacts become MISSED, those not yet due CANCELLED, and
    /// one due today stays open. GPRA and hand-made contacts are left as they are.
    async fn change_stage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The open episode at the version read, and the stage or level to move to.")]
        input: ChangeStageInput,
    ) -> Result<Episode> {
        let viewer = ctx.viewer()?;
        let change = StageMove {
            episode_id: target_id(&input.episode_id)?,
            expected_version: input.expected_version,
            stage: input.stage,
            level_of_care: input.level_of_care,
            reason: input.reason,
        };
        Ok(Episode::one(episodes::change_stage(ctx.state()?, viewer, change).await?))
    }

    /// Closes the episode with a TEDS discharge reason and where the client went. Every
    /// discharge but DECEASED schedules the post-discharge contacts (7 and 30 days); DECEASED
    /// closes every open contact and referral.
    async fn discharge_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The open episode at the version read, the TEDS reason and where the client went.")]
        input: DischargeClientInput,
    ) -> Result<Episode> {
        let viewer = ctx.viewer()?;
        let discharge = Discharge {
            episode_id: target_id(&input.episode_id)?,
            expected_version: input.expected_version,
            reason: input.reason,
            discharged_to: input.discharged_to,
            note: input.note,
        };
        Ok(Episode::one(episodes::discharge(ctx.state()?, viewer, discharge).await?))
    }
}
