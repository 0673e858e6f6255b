//! sea-orm entities: rows as the database holds them. No GraphQL here; `graphql/types`
//! wraps these.

pub mod aftercare_plan;
pub mod attendance;
pub mod audit_event;
pub mod audit_head;
pub mod client;
pub mod client_locator;
pub mod consent;
pub mod disclosure;
pub mod emergency_grant;
pub mod episode;
pub mod follow_up;
pub mod follow_up_attempt;
pub mod idempotency_key;
pub mod meeting;
pub mod referral;
pub mod refresh_token;
pub mod session_family;
pub mod staff;
pub mod stage_change;
pub mod support_group;

mod keys;
pub use keys::Id;
