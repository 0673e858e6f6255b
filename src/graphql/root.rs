//! The root types, merged from one resolver module per aggregate.

use async_graphql::MergedObject;

use super::resolvers::{
    aftercare::{AftercareMutation, AftercareQuery},
    auth::AuthMutation,
    client::{ClientMutation, ClientQuery},
    debug::DebugQuery,
    directory::{DirectoryMutation, DirectoryQuery},
    follow_up::{FollowUpMutation, FollowUpQuery},
    privacy::{PrivacyMutation, PrivacyQuery},
    referral::ReferralMutation,
    report::ReportQuery,
    staff::{StaffMutation, StaffQuery},
};

#[derive(MergedObject, Default)]
pub struct Query(
    StaffQuery,
    ClientQuery,
    FollowUpQuery,
    DirectoryQuery,
    ReportQuery,
    AftercareQuery,
    PrivacyQuery,
    DebugQuery,
);

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
