use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{domain::Role, entity::staff, graphql::context::ContextExt};

pub struct Staff(pub staff::Model);

#[Object]
impl Staff {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn role(&self) -> Role {
        self.0.role
    }

    async fn active(&self) -> bool {
        self.0.active
    }

    async fn supervisor(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let Some(id) = self.0.supervisor_id else { return Ok(None) };
        let loaded = ctx.loaders()?.staff.load_one(id).await?;
        Ok(loaded.map(Staff))
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    /// Opaque; exchange it with `refreshSession` before the access token expires.
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub staff: Staff,
}

#[derive(InputObject)]
pub struct CreateStaffInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    pub supervisor_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateStaffInput {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// `null` removes the supervisor; leaving it out keeps it.
    pub supervisor_id: MaybeUndefined<ID>,
}
