//! Continuum: the GraphQL backend of a case-management portal for addiction treatment.
//!
//! `config` → `startup` (Application) → `http` (router) → `graphql` (thin resolvers) →
//! `service` (rules + visibility + transactions) → `entity` (rows). `domain` holds the rules
//! as plain functions; `auth` answers who is calling.

pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod entity;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod service;
pub mod startup;
pub mod state;

pub use graphql::{schema_builder, sdl};
pub use http::build_router;
