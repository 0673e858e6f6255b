//! The rules of the domain as plain types and functions, with no I/O: unit-tested without a
//! database. The service layer (`continuum-core`) is the only place that combines them with
//! storage; this crate cannot reach it:
//!
//! ```compile_fail
//! // A rule reaching for storage or a service does not compile here.
//! use continuum_core::db;
//! ```

pub mod aftercare;
pub mod caseload;
pub mod client;
pub mod episode;
pub mod follow_up;
pub mod locator;
pub mod measures;
pub mod privacy;
pub mod recommend;
pub mod referral;
pub mod report;
pub mod rule;
pub mod staff;
pub mod teds;
pub mod worklist;

pub use client::{Gender, Substance};
pub use episode::{DischargeReason, DischargedTo, LevelOfCare, MoveKind, Placement, Stage};
pub use follow_up::{AttemptMethod, AttemptResult, FollowUpKind, FollowUpOutcome, FollowUpStatus};
pub use recommend::GroupAudience;
pub use referral::{MeetingFormat, ReferralStatus};
pub use rule::RuleViolation;
pub use staff::Role;
