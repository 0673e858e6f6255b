//! Fault injection for the robustness tests: hidden from the schema, and answering only
//! when `CONTINUUM_FAULT_INJECTION` is on (which production refuses).

use async_graphql::{Context, Object};

use crate::graphql::error::Result;

use crate::{error::AppError, graphql::context::ContextExt};

#[derive(Default)]
pub struct DebugQuery;

/// The fields below: never in `schema.graphql` (`graphql::sdl`) nor in introspection.
pub const HIDDEN_FIELDS: &[&str] = &["debugPanic", "debugSleep"];

fn enabled(ctx: &Context<'_>) -> Result<()> {
    if ctx.state()?.config.fault_injection { Ok(()) } else { Err(AppError::NotFound.into()) }
}

#[Object]
impl DebugQuery {
    /// Fault injection for tests: panics inside the resolver. NOT_FOUND unless the server
    /// runs with CONTINUUM_FAULT_INJECTION (refused in production); hidden from introspection.
    #[graphql(visible = false)]
    async fn debug_panic(&self, ctx: &Context<'_>) -> Result<bool> {
        enabled(ctx)?;
        panic!("debugPanic: a resolver panicked on purpose");
    }

    /// Fault injection for tests: sleeps `ms` milliseconds (at most 60 s). NOT_FOUND unless
    /// the server runs with CONTINUUM_FAULT_INJECTION; hidden from introspection.
    #[graphql(visible = false)]
    async fn debug_sleep(&self, ctx: &Context<'_>, ms: i32) -> Result<bool> {
        enabled(ctx)?;
        tokio::time::sleep(std::time::Duration::from_millis(ms.clamp(0, 60_000) as u64)).await;
        Ok(true)
    }
}
