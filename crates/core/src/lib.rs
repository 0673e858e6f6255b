//! Continuum's storage and services: who is calling (`auth`), the rows (`entity`), the
//! database (`db`), the one write path and every read the API makes (`service`), caseload
//! events (`events`), settings (`config`) and the shared state (`state`).
//!
//! This crate cannot name a GraphQL type, so no service can return or build one:
//!
//! ```compile_fail
//! // A service reaching for a GraphQL type does not compile here.
//! use async_graphql::SimpleObject;
//! ```

pub use continuum_domain as domain;

pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod entity;
pub mod error;
pub mod events;
pub mod service;
pub mod state;
