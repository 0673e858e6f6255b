//! The root types, merged from one resolver module per aggregate.

use async_graphql::MergedObject;

use super::resolvers::{
    auth::AuthMutation,
    staff::{StaffMutation, StaffQuery},
};

#[derive(MergedObject, Default)]
pub struct Query(StaffQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(AuthMutation, StaffMutation);
