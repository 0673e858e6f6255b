//! Refused attempts on client records go into the audit trail as DENIED.

use async_graphql::Context;

use crate::{
    error::{AppError, AppResult},
    graphql::context::ContextExt,
    service::audit::{Target, client_of},
};

/// Passes `result` through; when it is a refusal (`NOT_FOUND` from the scope, or
/// `FORBIDDEN`), notes a denied event naming the client the attempt was aimed at.
pub async fn audited<T>(ctx: &Context<'_>, field: &str, target: Target, result: AppResult<T>) -> AppResult<T> {
    if let Err(AppError::NotFound | AppError::Forbidden(_) | AppError::ConsentRequired(_)) = &result {
        let client = match ctx.state() {
            Ok(state) => client_of(&state.db, target).await,
            Err(_) => None,
        };
        ctx.audit_denied(field, client);
    }
    result
}
