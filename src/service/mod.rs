//! One module per aggregate: load, check the rules and the caller's scope, write in one
//! transaction. GraphQL resolvers and the HTTP handlers call only these.

pub mod pagination;
pub mod session;
pub mod staff;
