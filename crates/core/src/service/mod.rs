//! One module per aggregate: load, check the rules and the caller's scope, write in one
//! transaction. GraphQL resolvers and the HTTP handlers call only these.

pub mod aftercare;
pub mod audit;
pub mod client;
pub mod demo;
pub mod directory;
pub mod episode;
pub mod fixtures;
pub mod follow_up;
pub mod idempotency;
pub mod loaders;
pub mod locator;
pub mod node;
pub mod pagination;
pub mod privacy;
pub mod recommend;
pub mod referral;
pub mod report;
pub mod scope;
pub mod session;
pub mod staff;
pub mod teds;
pub mod worklist;
pub mod write;
