//! Reaching request data from a resolver without `unwrap`.

use async_graphql::Context;

use crate::{
    auth::{Auth, Viewer},
    error::{AppError, AppResult},
    state::AppState,
};

pub trait ContextExt {
    fn state(&self) -> AppResult<&AppState>;
    fn viewer(&self) -> AppResult<&Viewer>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> AppResult<&AppState> {
        self.data::<AppState>().map_err(|_| AppError::internal(anyhow::anyhow!("AppState missing from schema data")))
    }

    fn viewer(&self) -> AppResult<&Viewer> {
        self.data_opt::<Auth>().ok_or(AppError::Unauthenticated)?.viewer()
    }
}
