use async_graphql::{Context, ID, Object};

use crate::graphql::error::Result;

use crate::{
    domain::Role,
    error::AppError,
    graphql::{
        context::ContextExt,
        cursor::{self, parse_id, require_id},
        resolvers::style::{input_or_pair, one_of},
        types::{
            IdConnection, connection,
            staff::{ChangePasswordInput, CreateStaffInput, Staff, UpdateStaffInput},
        },
    },
    service::idempotency,
    service::staff::{self as staff_service, NewStaff, StaffChanges},
};

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// The signed-in staff member.
    async fn me(&self, ctx: &Context<'_>) -> Result<Staff> {
        Ok(Staff::one(staff_service::me(ctx.state()?, ctx.viewer()?).await?))
    }

    /// A staff member the caller may see: an admin sees everyone, a supervisor their team,
    /// a counselor themselves and their supervisor.
    async fn staff_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A staff member's id.")] id: ID,
    ) -> Result<Option<Staff>> {
        let viewer = ctx.viewer()?;
        let Some(id) = parse_id(&id) else { return Ok(None) };
        Ok(staff_service::get(ctx.state()?, viewer, id).await?.map(Staff::one))
    }

    /// The staff the caller may see (as for `staffMember`), oldest account first.
    #[graphql(complexity = "crate::graphql::page_cost(first.max(last), child_complexity)")]
    async fn staff_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only staff with this role.")] role: Option<Role>,
        #[graphql(desc = "Page forward: at most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (`pageInfo.endCursor`).")] after: Option<String>,
        #[graphql(desc = "Page backward: at most this many items, ending at `before` or at the list's end.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (`pageInfo.startCursor`).")] before: Option<String>,
    ) -> Result<IdConnection<Staff>> {
        let viewer = ctx.viewer()?;
        let page = cursor::page(first, after, last, before)?;
        let want_total = ctx.look_ahead().field("totalCount").exists();
        let rows = staff_service::list(ctx.state()?, viewer, role, page, want_total).await?;
        Ok(connection(rows, |s| s.id, Staff::list))
    }
}

#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// ADMIN only.
    async fn create_staff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new staff member's email, name, role, first password and supervisor.")]
        input: CreateStaffInput,
    ) -> Result<Staff> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let supervisor_id = input.supervisor_id.as_ref().map(|id| require_id(id, "supervisorId")).transpose()?;
        let fingerprint = ctx.arguments_json()?;
        let created = idempotency::run(
            state,
            viewer,
            "createStaff",
            input.idempotency_key.as_deref(),
            &fingerprint,
            |id| {
                let new = NewStaff {
                    id,
                    email: input.email,
                    name: input.name,
                    role: input.role,
                    password: input.password,
                    supervisor_id,
                };
                staff_service::create(state, Some(viewer), new)
            },
            |id| staff_service::get(state, viewer, id),
        )
        .await?;
        Ok(Staff::one(created))
    }

    /// ADMIN only. Deactivating someone or changing their role ends their sessions at once.
    async fn update_staff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The staff member (`staffId`) and the changes.")] input: UpdateStaffInput,
        #[graphql(desc = "Deprecated: `input.staffId`.", deprecation = "pass it in `input` as `staffId`")] id: Option<
            ID,
        >,
    ) -> Result<Staff> {
        let viewer = ctx.viewer()?;
        let id = one_of(input.staff_id, id, "staffId")?;
        let id = parse_id(&id).ok_or(AppError::NotFound)?;
        let supervisor_id = match input.supervisor_id {
            async_graphql::MaybeUndefined::Undefined => None,
            async_graphql::MaybeUndefined::Null => Some(None),
            async_graphql::MaybeUndefined::Value(v) => Some(Some(require_id(&v, "supervisorId")?)),
        };
        let changes = StaffChanges { name: input.name, role: input.role, active: input.active, supervisor_id };
        Ok(Staff::one(staff_service::update(ctx.state()?, viewer, id, changes).await?))
    }

    /// Changes the caller's own password; their other sessions end.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The current and the new password.")] input: Option<ChangePasswordInput>,
        #[graphql(desc = "Deprecated: `input.currentPassword`.", deprecation = "pass it in `input`", secret)]
        current_password: Option<String>,
        #[graphql(desc = "Deprecated: `input.newPassword`.", deprecation = "pass it in `input`", secret)]
        new_password: Option<String>,
    ) -> Result<bool> {
        let input = input_or_pair(input, current_password, new_password, |current_password, new_password| {
            ChangePasswordInput { current_password, new_password }
        })?;
        let address = ctx.client_address();
        let (viewer, state) = (ctx.viewer()?, ctx.state()?);
        Ok(staff_service::change_password(state, viewer, input.current_password, input.new_password, address).await?)
    }
}
