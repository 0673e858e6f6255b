//! The GraphQL surface: one `schema_builder()` for the server, the tests and
//! `continuum print-schema`. Resolvers stay thin and call `service/`.

pub mod batch;
pub mod context;
pub mod cursor;
pub mod extensions;
pub mod resolvers;
mod root;
pub mod scalars;
pub mod types;

use async_graphql::{Schema, SchemaBuilder};

pub use resolvers::events::Subscription;
pub use root::{Mutation, Query};

pub type ContinuumSchema = Schema<Query, Mutation, Subscription>;

/// Limits a query must stay within before any resolver runs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
    pub recursive_depth: usize,
    pub directives: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { depth: 12, complexity: 2_000, recursive_depth: 32, directives: 50 }
    }
}

/// The schema without runtime data: what `print-schema` prints.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
}

/// The schema the server runs: limits, introspection policy and shared state attached.
pub fn build_schema(state: crate::state::AppState, limits: Limits) -> ContinuumSchema {
    let production = state.config.is_production();
    let mut builder = schema_builder()
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .limit_recursive_depth(limits.recursive_depth)
        .limit_directives(limits.directives)
        .extension(extensions::Metrics)
        .data(state);
    if production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The SDL that `schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
