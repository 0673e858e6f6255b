use async_graphql::{Context, Object};

use crate::graphql::error::Result;

use crate::{
    graphql::{
        context::ContextExt,
        resolvers::style::{input_or_one, input_or_pair},
        types::staff::{AuthPayload, LoginInput, RefreshTokenInput, Staff},
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
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email and the password.")] input: Option<LoginInput>,
        #[graphql(desc = "Deprecated: `input.email`.", deprecation = "pass it in `input`")] email: Option<String>,
        #[graphql(desc = "Deprecated: `input.password`.", deprecation = "pass it in `input`", secret)] password: Option<
            String,
        >,
    ) -> Result<AuthPayload> {
        let input = input_or_pair(input, email, password, |email, password| LoginInput { email, password })?;
        let state = ctx.state()?;
        Ok(session::login(state, &input.email, input.password, ctx.client_address(), ctx.request_id()).await?.into())
    }

    /// Exchanges a refresh token for a new pair. Each refresh token works once: presenting
    /// one again ends the whole session.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token.")] input: Option<RefreshTokenInput>,
        #[graphql(desc = "Deprecated: `input.refreshToken`.", deprecation = "pass it in `input`", secret)]
        refresh_token: Option<String>,
    ) -> Result<AuthPayload> {
        let token = refresh_token_of(input, refresh_token)?;
        Ok(session::refresh(ctx.state()?, &token, ctx.request_id()).await?.into())
    }

    /// Ends the session the refresh token belongs to.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's refresh token.")] input: Option<RefreshTokenInput>,
        #[graphql(desc = "Deprecated: `input.refreshToken`.", deprecation = "pass it in `input`", secret)]
        refresh_token: Option<String>,
    ) -> Result<bool> {
        let token = refresh_token_of(input, refresh_token)?;
        Ok(session::logout(ctx.state()?, &token, ctx.request_id()).await?)
    }
}

fn refresh_token_of(input: Option<RefreshTokenInput>, old: Option<String>) -> Result<String> {
    Ok(input_or_one(input, old, |refresh_token| RefreshTokenInput { refresh_token })?.refresh_token)
}
