use async_graphql::{Context, Object};

use crate::graphql::error::Result;

use crate::{
    graphql::{
        context::ContextExt,
        types::staff::{AuthPayload, Staff},
    },
    service::session,
};

#[derive(Default)]
pub struct AuthMutation;

impl From<session::Issued> for AuthPayload {
    fn from(issued: session::Issued) -> Self {
        AuthPayload {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_at: issued.expires_at.into(),
            staff: Staff::one(issued.staff),
        }
    }
}

#[Object]
impl AuthMutation {
    /// Signs in. An unknown email and a wrong password get the same answer.
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> Result<AuthPayload> {
        Ok(session::login(ctx.state()?, &email, password, ctx.client_address(), ctx.request_id()).await?.into())
    }

    /// Exchanges a refresh token for a new pair. Each refresh token works once: presenting
    /// one again ends the whole session.
    async fn refresh_session(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        Ok(session::refresh(ctx.state()?, &refresh_token, ctx.request_id()).await?.into())
    }

    /// Ends the session the refresh token belongs to.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        Ok(session::logout(ctx.state()?, &refresh_token, ctx.request_id()).await?)
    }
}
