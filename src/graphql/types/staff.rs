use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use crate::graphql::error::Result;
use crate::graphql::scalars::DateTime;

use crate::{
    domain::Role,
    entity::{Id, staff},
    graphql::{
        batch::{self, Batch, distinct},
        context::ContextExt,
    },
};

#[derive(Clone)]
pub struct Staff {
    row: staff::Model,
    set: Arc<StaffSet>,
}

#[derive(Default)]
pub struct StaffSet {
    supervisors: StaffRefs,
}

/// The staff members a sibling set points at (counselors, recorders, supervisors), all
/// loaded in one statement when the first of them is asked for.
#[derive(Default)]
pub struct StaffRefs {
    ids: Arc<[Id<staff::Entity>]>,
    batch: Batch<Id<staff::Entity>, Staff>,
}

impl StaffRefs {
    pub fn new(ids: impl IntoIterator<Item = Id<staff::Entity>>) -> Self {
        StaffRefs { ids: distinct(ids), batch: Batch::default() }
    }

    pub async fn get(&self, ctx: &Context<'_>, id: Id<staff::Entity>) -> Result<Option<Staff>> {
        let db = &ctx.state()?.db;
        let found = self.batch.get(|| async { Ok(Staff::map(batch::staff(db, &self.ids).await?)) }).await?;
        Ok(found.get(&id).cloned())
    }

    /// For a foreign key that must point at a row.
    pub async fn required(&self, ctx: &Context<'_>, id: Id<staff::Entity>) -> Result<Staff> {
        let found = self.get(ctx, id).await?;
        Ok(found.ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("staff {id} missing")))?)
    }
}

impl Staff {
    pub fn list(rows: Vec<staff::Model>) -> Vec<Staff> {
        let set =
            Arc::new(StaffSet { supervisors: StaffRefs::new(rows.iter().filter_map(staff::Model::supervisor_key)) });
        rows.into_iter().map(|row| Staff { row, set: set.clone() }).collect()
    }

    pub fn one(row: staff::Model) -> Staff {
        let set = Arc::new(StaffSet { supervisors: StaffRefs::new(row.supervisor_key()) });
        Staff { row, set }
    }

    /// Wraps a batch of rows keyed by id, all sharing one sibling set.
    pub fn map(rows: HashMap<Id<staff::Entity>, staff::Model>) -> HashMap<Id<staff::Entity>, Staff> {
        Staff::list(rows.into_values().collect()).into_iter().map(|s| (s.row.key(), s)).collect()
    }

    pub fn model(&self) -> &staff::Model {
        &self.row
    }
}

/// A staff account. `staffMember` and `staffMembers` show a caller themselves, a supervisor
/// also their team, a counselor also their supervisor, and an ADMIN everyone.
#[Object]
impl Staff {
    /// Opaque id; pass it to `staffMember(id:)`, or as `counselorId` or `supervisorId`.
    pub(crate) async fn id(&self) -> ID {
        super::id(self.row.id)
    }

    /// The sign-in email, as entered; unique ignoring case.
    async fn email(&self) -> &str {
        &self.row.email
    }

    /// The name shown in the portal.
    async fn name(&self) -> &str {
        &self.row.name
    }

    /// What the account may do; changing it ends the member's sessions at once.
    async fn role(&self) -> Role {
        self.row.role
    }

    /// False once an ADMIN has deactivated the account: it cannot sign in, and its sessions
    /// have ended.
    async fn active(&self) -> bool {
        self.row.active
    }

    /// The SUPERVISOR who supervises this counselor; null for a counselor without one and for
    /// anyone who is not a counselor.
    async fn supervisor(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let Some(id) = self.row.supervisor_key() else { return Ok(None) };
        self.set.supervisors.get(ctx, id).await
    }
}

#[derive(SimpleObject)]
/// A signed-in session: what `login` and `refreshSession` return.
pub struct AuthPayload {
    /// Send it as `Authorization: Bearer <token>` on every request, and in the `connection_init`
    /// payload of the subscription socket.
    pub access_token: String,
    /// Opaque; exchange it with `refreshSession` before the access token expires.
    pub refresh_token: String,
    /// When the access token stops working (UTC), 15 minutes after issue unless configured
    /// otherwise (`CONTINUUM_ACCESS_TOKEN_MINUTES`); refresh before then.
    pub expires_at: DateTime,
    /// The staff member signed in.
    pub staff: Staff,
}

/// A new staff account (ADMIN).
#[derive(InputObject)]
pub struct CreateStaffInput {
    /// Makes the create safe to retry: the same key returns the first result (kept at least 48 hours).
    pub idempotency_key: Option<String>,
    /// The sign-in email, up to 254 characters; must not already belong to a staff member
    /// (ignoring case).
    pub email: String,
    /// The name shown in the portal, 1 to 200 characters.
    pub name: String,
    /// What the account may do.
    pub role: Role,
    /// The first password: 12 to 256 characters, and not a common or easily guessed one (nor
    /// built from the email or name).
    pub password: String,
    /// Only for a COUNSELOR: their supervisor, an active SUPERVISOR.
    pub supervisor_id: Option<ID>,
}

/// Signs in with an email and a password.
#[derive(InputObject)]
pub struct LoginInput {
    /// The staff member's email, as an ADMIN created it (case does not matter).
    pub email: String,
    /// Their password. A wrong one and an unknown email get the same answer.
    #[graphql(secret)]
    pub password: String,
}

/// A refresh token from `login` or an earlier `refreshSession`.
#[derive(InputObject)]
pub struct RefreshTokenInput {
    /// The opaque refresh token; it works once.
    #[graphql(secret)]
    pub refresh_token: String,
}

/// The caller's own password change.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// The password in use now.
    #[graphql(secret)]
    pub current_password: String,
    /// The new one: 12 to 256 characters, hard to guess (zxcvbn score 3 or more), without the
    /// email or name in it.
    #[graphql(secret)]
    pub new_password: String,
}

/// ADMIN: changes to a staff member. Fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateStaffInput {
    /// The staff member to change. Required unless given as the deprecated `id` argument.
    pub staff_id: Option<ID>,
    /// The name shown in the portal, 1 to 200 characters.
    pub name: Option<String>,
    /// A new role; ends the member's sessions at once. A counselor who stops being one loses
    /// their supervisor. Refused while a counselor still has clients in care, a supervisor
    /// still has an active team, or for the last active ADMIN.
    pub role: Option<Role>,
    /// `false` deactivates the account and ends its sessions at once, with the same refusals as
    /// a change of `role`; `true` reactivates it.
    pub active: Option<bool>,
    /// `null` removes the supervisor; leaving it out keeps it.
    pub supervisor_id: MaybeUndefined<ID>,
}
