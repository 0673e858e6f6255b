//! How to reach a client: the locator, as the client record shows it and as a counselor
//! enters it. Visible exactly when the client is; never in events or logs.

use crate::graphql::scalars::DateTime;
use async_graphql::{InputObject, Object, SimpleObject};

use crate::{
    domain::locator::{ContactMethod, EmergencyContact, Locator, Phone, PhoneKind, PostalAddress},
    entity::client_locator,
};

#[derive(Clone)]
pub struct ClientLocator {
    pub row: client_locator::Model,
    pub locator: Locator,
}

/// A phone number and whether a message may be left on it.
#[derive(SimpleObject, Clone)]
pub struct PhoneNumber {
    /// E.164, e.g. `+12025550143`.
    pub number: String,
    pub kind: PhoneKind,
    /// Whether a voicemail or a text naming the program may be left. When false, a caller
    /// who does not reach the client leaves nothing: a message on a shared phone can itself
    /// disclose treatment.
    pub messages_allowed: bool,
}

#[derive(SimpleObject, Clone)]
pub struct PostalAddressView {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    /// State, province or region.
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `US`.
    pub country: String,
}

#[derive(SimpleObject, Clone)]
pub struct EmergencyContactView {
    pub name: String,
    /// How they know the client ("sister", "sponsor").
    pub relationship: String,
    /// E.164.
    pub phone: String,
}

#[Object]
impl ClientLocator {
    /// Pass it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.row.version
    }

    async fn phones(&self) -> Vec<PhoneNumber> {
        self.locator
            .phones
            .iter()
            .map(|p| PhoneNumber { number: p.number.clone(), kind: p.kind, messages_allowed: p.messages_allowed })
            .collect()
    }

    async fn email(&self) -> Option<&str> {
        self.locator.email.as_deref()
    }

    #[graphql(name = "address")]
    async fn postal_address(&self) -> Option<PostalAddressView> {
        self.locator.address.as_ref().map(|a| PostalAddressView {
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            region: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        })
    }

    async fn emergency_contact(&self) -> Option<EmergencyContactView> {
        self.locator.emergency_contact.as_ref().map(|c| EmergencyContactView {
            name: c.name.clone(),
            relationship: c.relationship.clone(),
            phone: c.phone.clone(),
        })
    }

    async fn preferred_method(&self) -> Option<ContactMethod> {
        self.locator.preferred_method
    }

    /// When to reach the client, in their words.
    async fn preferred_times(&self) -> Option<&str> {
        self.locator.preferred_times.as_deref()
    }

    /// The client agreed to be contacted by the program after discharge.
    async fn consent_to_contact(&self) -> bool {
        self.locator.consent_to_contact
    }

    /// When the standing consent to contact was recorded; null without one.
    async fn consent_recorded_at(&self) -> Option<DateTime> {
        self.row.consent_recorded_at.map(DateTime)
    }

    async fn updated_at(&self) -> DateTime {
        DateTime(self.row.updated_at)
    }
}

#[derive(InputObject)]
pub struct PhoneInput {
    /// With its country code (`+1 202 555 0143`), or a number of the program's region.
    pub number: String,
    pub kind: PhoneKind,
    #[graphql(default)]
    pub messages_allowed: bool,
}

#[derive(InputObject)]
pub struct PostalAddressInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `US`.
    pub country: String,
}

#[derive(InputObject)]
pub struct EmergencyContactInput {
    pub name: String,
    pub relationship: String,
    pub phone: String,
}

/// The whole locator: what is left out is cleared.
#[derive(InputObject)]
pub struct UpdateClientLocatorInput {
    pub client_id: async_graphql::ID,
    /// The locator's `version`; 0 when the client has none yet.
    pub expected_version: i32,
    #[graphql(default)]
    pub phones: Vec<PhoneInput>,
    pub email: Option<String>,
    pub address: Option<PostalAddressInput>,
    pub emergency_contact: Option<EmergencyContactInput>,
    pub preferred_method: Option<ContactMethod>,
    pub preferred_times: Option<String>,
    pub consent_to_contact: bool,
}

impl UpdateClientLocatorInput {
    pub fn locator(self) -> Locator {
        Locator {
            phones: self
                .phones
                .into_iter()
                .map(|p| Phone { number: p.number, kind: p.kind, messages_allowed: p.messages_allowed })
                .collect(),
            email: self.email,
            address: self.address.map(|a| PostalAddress {
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                region: a.region,
                postal_code: a.postal_code,
                country: a.country,
            }),
            emergency_contact: self.emergency_contact.map(|c| EmergencyContact {
                name: c.name,
                relationship: c.relationship,
                phone: c.phone,
            }),
            preferred_method: self.preferred_method,
            preferred_times: self.preferred_times,
            consent_to_contact: self.consent_to_contact,
        }
    }
}
