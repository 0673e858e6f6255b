//! The `Node` interface: every record a portal refetches by id alone.

use async_graphql::{ID, Interface};

use super::{
    client::{Client, Episode},
    directory::{Meeting, SupportGroup},
    follow_up::FollowUp,
    privacy::{Consent, Disclosure, EmergencyGrant},
    referral::Referral,
    staff::Staff,
};
use crate::service::node::Found;

/// A record with an id that `node(id:)` fetches again: for caches (Relay, Apollo, urql)
/// that refetch what they hold by id alone. Ids are unique across all types.
// One value per `node` answer: its size does not matter, and Interface wants the object types.
#[allow(clippy::large_enum_variant)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque id, unique across every type: pass it to `node(id:)`."))]
pub enum Node {
    Client(Client),
    Staff(Staff),
    Episode(Episode),
    Referral(Referral),
    FollowUp(FollowUp),
    SupportGroup(SupportGroup),
    Meeting(Meeting),
    Consent(Consent),
    Disclosure(Disclosure),
    EmergencyGrant(EmergencyGrant),
}

impl From<Found> for Node {
    fn from(found: Found) -> Self {
        match found {
            Found::Client(m) => Node::Client(Client::one(m)),
            Found::Staff(m) => Node::Staff(Staff::one(m)),
            Found::Episode(m) => Node::Episode(Episode::one(m)),
            Found::Referral(m) => Node::Referral(Referral::one(m)),
            Found::FollowUp(m) => Node::FollowUp(FollowUp::one(m)),
            Found::SupportGroup(m) => Node::SupportGroup(SupportGroup::one(m)),
            Found::Meeting(m) => Node::Meeting(Meeting::one(m)),
            Found::Consent(m) => Node::Consent(Consent(*m)),
            Found::Disclosure(m) => Node::Disclosure(Disclosure::one(m)),
            Found::EmergencyGrant(m) => Node::EmergencyGrant(EmergencyGrant::one(m)),
        }
    }
}
