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
    /// What kind of line it is; a preferred method of TEXT_MESSAGE needs a MOBILE one.
    pub kind: PhoneKind,
    /// Whether a voicemail or a text naming the program may be left. When false, a caller
    /// who does not reach the client leaves nothing: a message on a shared phone can itself
    /// disclose treatment.
    pub messages_allowed: bool,
}

/// The client's postal address, as entered (trimmed).
#[derive(SimpleObject, Clone)]
pub struct PostalAddressView {
    /// First line: street and number.
    pub line1: String,
    /// Second line (apartment, building, c/o); null if none.
    pub line2: Option<String>,
    /// City or town.
    pub city: String,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal or ZIP code, as entered.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `US`.
    pub country: String,
}

/// The person the client named as their emergency contact.
#[derive(SimpleObject, Clone)]
pub struct EmergencyContactView {
    /// Their name, as the client gave it.
    pub name: String,
    /// How they know the client ("sister", "sponsor").
    pub relationship: String,
    /// Their phone number in E.164 (`+12025550143`).
    pub phone: String,
}

/// How to reach a client after discharge. Visible exactly when the client is; its content never
/// goes into the audit trail, events or logs. `updateClientLocator` replaces it whole.
#[Object]
impl ClientLocator {
    /// Pass it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.row.version
    }

    /// Up to 4 numbers, each in E.164 and with whether a message may be left on it; in the order
    /// entered.
    async fn phones(&self) -> Vec<PhoneNumber> {
        self.locator
            .phones
            .iter()
            .map(|p| PhoneNumber { number: p.number.clone(), kind: p.kind, messages_allowed: p.messages_allowed })
            .collect()
    }

    /// Email address; null if none.
    async fn email(&self) -> Option<&str> {
        self.locator.email.as_deref()
    }

    /// Postal address; null if none.
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

    /// Who to call in an emergency; null if none.
    async fn emergency_contact(&self) -> Option<EmergencyContactView> {
        self.locator.emergency_contact.as_ref().map(|c| EmergencyContactView {
            name: c.name.clone(),
            relationship: c.relationship.clone(),
            phone: c.phone.clone(),
        })
    }

    /// How the client prefers to be reached; null for no preference. When set, the locator has the
    /// means for it (a text needs a MOBILE number).
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

    /// When the locator was last saved (UTC).
    async fn updated_at(&self) -> DateTime {
        DateTime(self.row.updated_at)
    }
}

/// One of the client's phone numbers.
#[derive(InputObject)]
pub struct PhoneInput {
    /// With its country code (`+1 202 555 0143`), or a number of the program's region.
    pub number: String,
    /// What kind of line it is; a preferred method of TEXT_MESSAGE needs a MOBILE one.
    pub kind: PhoneKind,
    /// Whether a voicemail or a text naming the program may be left on it. False when left out: on
    /// a shared phone, a message can itself disclose treatment.
    #[graphql(default)]
    pub messages_allowed: bool,
}

/// A postal address. Each line is trimmed, at most 200 characters on one line; a blank optional
/// line counts as none.
#[derive(InputObject)]
pub struct PostalAddressInput {
    /// Street and number; required.
    pub line1: String,
    /// Apartment, building, c/o; optional.
    pub line2: Option<String>,
    /// City or town; required.
    pub city: String,
    /// State, province or region; optional.
    pub region: Option<String>,
    /// Postal or ZIP code; required.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `US`.
    pub country: String,
}

/// The person to call in an emergency. Each field is required.
#[derive(InputObject)]
pub struct EmergencyContactInput {
    /// Their name, at most 200 characters on one line.
    pub name: String,
    /// How they know the client ("sister", "sponsor"), at most 200 characters.
    pub relationship: String,
    /// With its country code (`+1 202 555 0143`), or a number of the program's region; stored in
    /// Their phone number in E.164 (`+12025550143`).
    pub phone: String,
}

/// The whole locator: what is left out is cleared.
#[derive(InputObject)]
pub struct UpdateClientLocatorInput {
    /// The client whose locator it is; one the caller may see.
    pub client_id: async_graphql::ID,
    /// The locator's `version`; 0 when the client has none yet.
    pub expected_version: i32,
    /// At most 4 numbers, none listed twice; left out: none. Each is stored in E.164.
    #[graphql(default)]
    pub phones: Vec<PhoneInput>,
    /// An address like `name@example.org`, at most 254 characters; blank or left out: none.
    pub email: Option<String>,
    /// Left out: none. A MAIL preference needs one.
    pub address: Option<PostalAddressInput>,
    /// Left out: none.
    pub emergency_contact: Option<EmergencyContactInput>,
    /// Must have its means (`LOCATOR`): PHONE_CALL a phone, TEXT_MESSAGE a MOBILE number, EMAIL an
    /// email, MAIL an address. Left out: no preference.
    pub preferred_method: Option<ContactMethod>,
    /// When to reach the client, in their words ("weekday evenings after 6"); one line of at most
    /// 200 characters.
    pub preferred_times: Option<String>,
    /// The client agrees to be contacted by the program after discharge. Giving it sets
    /// `consentRecordedAt` (kept while it stands); withdrawing it clears that.
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
