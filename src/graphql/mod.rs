//! The GraphQL surface: one `schema_builder()` for the server, the tests and
//! `continuum print-schema`. Resolvers stay thin and call `service/`.

pub mod admission;
pub mod batch;
pub mod context;
pub mod cursor;
pub mod error;
pub mod extensions;
pub mod order;
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

/// The schema introspection-only documents run on outside production: the same types and
/// state, without the depth and complexity limits that the standard introspection query
/// (GraphiQL's Docs, codegen, editors) would exceed. Admission has already bounded the
/// document's text, fields and aliases.
pub fn build_introspection_schema(state: crate::state::AppState) -> ContinuumSchema {
    let limits = state.config.limits;
    schema_builder()
        .limit_recursive_depth(limits.max_recursive_depth)
        .limit_directives(limits.max_directives)
        .data(state)
        .finish()
}

/// What a paged list costs against `CONTINUUM_MAX_COMPLEXITY`: the fields below it once for
/// every item the page may hold (`first`, 20 when absent, at most 100).
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    use crate::service::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    let items = first.map_or(DEFAULT_PAGE_SIZE, |n| u64::try_from(n).unwrap_or(1).clamp(1, MAX_PAGE_SIZE));
    usize::try_from(items).unwrap_or(1).saturating_mul(child_complexity).saturating_add(1)
}

/// The SDL that `schema.graphql` holds: what production serves. Fields hidden from
/// introspection (`resolvers::debug::HIDDEN_FIELDS`, the fault-injection fields of the
/// tests) are left out, so types generated from the file and from the URL agree.
/// async-graphql prints invisible fields in its SDL, so they are taken out here, each with
/// its description.
pub fn sdl() -> String {
    let printed =
        schema_builder().finish().sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by());
    without_fields(&printed, resolvers::debug::HIDDEN_FIELDS)
}

/// `sdl` without the field definitions named `hidden` (and their descriptions).
fn without_fields(sdl: &str, hidden: &[&str]) -> String {
    let lines: Vec<&str> = sdl.lines().collect();
    let mut keep = vec![true; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let is_hidden = hidden
            .iter()
            .any(|name| trimmed.strip_prefix(name).is_some_and(|rest| rest.starts_with(':') || rest.starts_with('(')));
        if !is_hidden {
            continue;
        }
        keep[i] = false;
        // The description above it: `"""` … `"""`, or one `"…"` line.
        let mut j = i;
        if j > 0 && lines[j - 1].trim() == "\"\"\"" {
            j -= 1;
            keep[j] = false;
            while j > 0 {
                j -= 1;
                keep[j] = false;
                if lines[j].trim() == "\"\"\"" {
                    break;
                }
            }
        } else if j > 0 && lines[j - 1].trim_start().starts_with('"') {
            keep[j - 1] = false;
        }
    }
    let mut out: String =
        lines.iter().zip(keep).filter(|(_, keep)| *keep).map(|(line, _)| *line).collect::<Vec<_>>().join("\n");
    if sdl.ends_with('\n') {
        out.push('\n');
    }
    out
}
