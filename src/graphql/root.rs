//! The root types, merged from one resolver module per aggregate.

use async_graphql::MergedObject;

use super::resolvers::{
    aftercare::{AftercareMutation, AftercareQuery},
    auth::AuthMutation,
    client::{ClientMutation, ClientQuery},
    debug::DebugQuery,
    directory::{DirectoryMutation, DirectoryQuery},
    follow_up::{FollowUpMutation, FollowUpQuery},
    node::NodeQuery,
    privacy::{PrivacyMutation, PrivacyQuery},
    referral::ReferralMutation,
    report::ReportQuery,
    staff::{StaffMutation, StaffQuery},
};

/// What a signed-in staff member may read. Every field answers only within the caller's role
/// and caseload, and `null` (or an empty list) is the answer both for what does not exist and
/// for what is not the caller's.
#[derive(MergedObject, Default)]
pub struct Query(
    StaffQuery,
    ClientQuery,
    FollowUpQuery,
    DirectoryQuery,
    ReportQuery,
    AftercareQuery,
    PrivacyQuery,
    NodeQuery,
    DebugQuery,
);

/// Every change. Each runs in one transaction with its audit events: it is done whole or not
/// at all. Changes to a record read earlier carry its `version` (`CONFLICT` when stale);
/// creations take an optional `idempotencyKey` so that a retry does not create twice.
#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    StaffMutation,
    ClientMutation,
    DirectoryMutation,
    ReferralMutation,
    FollowUpMutation,
    AftercareMutation,
    PrivacyMutation,
);
