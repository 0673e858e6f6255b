//! sea-orm entities: rows as the database holds them. No GraphQL here; `graphql/types`
//! wraps these.

pub mod refresh_token;
pub mod session_family;
pub mod staff;
