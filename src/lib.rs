//! Continuum: the GraphQL backend of a case-management portal for addiction treatment.
//!
//! Three crates, each able to reach only the one below it:
//! `continuum` (this one: `http` router and handlers, `graphql` schema and thin resolvers,
//! `startup`) → `continuum-core` (services, the write path, entities, sessions) →
//! `continuum-domain` (the rules as plain functions). This crate has no database driver: a
//! handler or a resolver cannot query, it asks a service.

pub use continuum_core::{auth, clock, config, db, domain, entity, error, events, service, state};

pub mod graphql;
pub mod http;
pub mod startup;

pub use graphql::{schema_builder, sdl};
pub use http::build_router;
