//! The GraphQL surface: one `schema_builder()` for the server, the tests and
//! `continuum print-schema`. Resolvers stay thin and call `service/`.

pub mod admission;
pub mod batch;
pub mod context;
pub mod cursor;
pub mod error;
pub mod extensions;
pub mod resolvers;
mod root;
pub mod scalars;
pub mod types;

use async_graphql::{Schema, SchemaBuilder};

pub use resolvers::events::Subscription;
pub use root::{Mutation, Query};

pub type ContinuumSchema = Schema<Query, Mutation, Subscription>;

/// The schema without runtime data: what `print-schema` prints.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
}

/// The schema every transport runs: limits, introspection policy and shared state
/// attached. No schema extensions: with any extension installed async-graphql routes every
/// field of every object through the extension chain (a registry lookup and a boxed future
/// per field); the transports admit each document themselves ([`admission`]) and record
/// the metrics instead.
pub fn build_schema(state: crate::state::AppState) -> ContinuumSchema {
    let production = state.config.is_production();
    let limits = state.config.limits;
    let mut builder = schema_builder()
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(limits.max_recursive_depth)
        .limit_directives(limits.max_directives)
        .data(state);
    if production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// What a paged list costs against `CONTINUUM_MAX_COMPLEXITY`: the fields below it once for
/// every item the page may hold (`first`, 20 when absent, at most 100).
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    use crate::service::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    let items = first.map_or(DEFAULT_PAGE_SIZE, |n| u64::try_from(n).unwrap_or(1).clamp(1, MAX_PAGE_SIZE));
    usize::try_from(items).unwrap_or(1).saturating_mul(child_complexity).saturating_add(1)
}

/// The SDL that `schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
