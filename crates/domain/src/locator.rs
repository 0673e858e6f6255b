//! The locator: how the program reaches a client after discharge. Follow-up depends on it,
//! and so does discretion: a voicemail or a text on a shared phone can itself disclose that
//! someone is in treatment (42 CFR 2.13: Part 2 records are confidential, and that a person
//! is a patient is itself a Part 2 record). So every number says whether messages may be left
//! on it, and the client says whether they agree to be contacted at all.
//!
//! The checks here normalise what the counselor typed (phone numbers to E.164, with the
//! program's region for numbers written without a country code) and refuse what is
//! malformed. Their messages name the field, never the value: a refusal is audited and
//! logged, and the value is client data.

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

use super::RuleViolation;

/// What a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PhoneKind {
    /// A mobile phone; a preferred method of TEXT_MESSAGE needs one.
    Mobile,
    /// A home phone, which others in the household may answer: check whether messages may be
    /// left on it.
    Home,
    /// A work phone, which colleagues may answer: check whether messages may be left on it.
    Work,
    /// Any other number, e.g. one the client shares or borrows.
    Other,
}

/// How the client prefers to be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContactMethod {
    /// A call to one of the client's numbers; needs at least one phone number.
    PhoneCall,
    /// A text message; needs a MOBILE number.
    TextMessage,
    /// An email; needs an email address.
    Email,
    /// A letter by post; needs a postal address.
    Mail,
}

impl ContactMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactMethod::PhoneCall => "PHONE_CALL",
            ContactMethod::TextMessage => "TEXT_MESSAGE",
            ContactMethod::Email => "EMAIL",
            ContactMethod::Mail => "MAIL",
        }
    }

    pub fn parse(s: &str) -> Option<ContactMethod> {
        [ContactMethod::PhoneCall, ContactMethod::TextMessage, ContactMethod::Email, ContactMethod::Mail]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Phone {
    /// E.164, e.g. `+12025550143`.
    pub number: String,
    pub kind: PhoneKind,
    /// Whether a voicemail or a text naming the program may be left on this number.
    pub messages_allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalAddress {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmergencyContact {
    pub name: String,
    pub relationship: String,
    /// E.164.
    pub phone: String,
}

/// A client's locator, as stored (already checked and normalised).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Locator {
    pub phones: Vec<Phone>,
    pub email: Option<String>,
    pub address: Option<PostalAddress>,
    pub emergency_contact: Option<EmergencyContact>,
    pub preferred_method: Option<ContactMethod>,
    /// When to call, in the client's words ("weekday evenings after 6").
    pub preferred_times: Option<String>,
    /// The client agreed to be contacted by the program after discharge.
    pub consent_to_contact: bool,
}

pub const MAX_PHONES: usize = 4;
const MAX_LINE_CHARS: usize = 200;

fn refuse(field: &'static str, message: impl Into<String>) -> RuleViolation {
    RuleViolation::new("LOCATOR", Some(field), message)
}

/// A region phone numbers can be read in: an ISO 3166-1 alpha-2 code libphonenumber knows.
pub fn is_region(region: &str) -> bool {
    region.len() == 2 && region.parse::<phonenumber::country::Id>().is_ok()
}

/// A phone number in E.164. Numbers written without `+` are read as numbers of `region` (an
/// ISO 3166-1 alpha-2 code, the program's). Anything that is not a valid number for its
/// country (by libphonenumber's metadata) is refused.
pub fn normalize_phone(field: &'static str, raw: &str, region: &str) -> Result<String, RuleViolation> {
    let raw = raw.trim();
    let malformed = || {
        refuse(
            field,
            format!(
                "{field} must be a valid phone number, with its country code (+1 202 555 0143) or of the program's region ({region})"
            ),
        )
    };
    if raw.is_empty() || raw.len() > 40 || raw.chars().any(char::is_control) {
        return Err(malformed());
    }
    let country = region.parse::<phonenumber::country::Id>().ok();
    let number = phonenumber::parse(country, raw).map_err(|_| malformed())?;
    if !number.is_valid() || number.extension().is_some() {
        return Err(malformed());
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

fn required_line(field: &'static str, value: &str) -> Result<String, RuleViolation> {
    let value = value.trim();
    if value.is_empty() {
        return Err(refuse(field, format!("{field} is required")));
    }
    optional_line(field, Some(value)).map(|v| v.unwrap_or_default())
}

fn optional_line(field: &'static str, value: Option<&str>) -> Result<Option<String>, RuleViolation> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_LINE_CHARS || value.chars().any(char::is_control) {
        return Err(refuse(field, format!("{field} must be at most {MAX_LINE_CHARS} characters on one line")));
    }
    Ok(Some(value.to_owned()))
}

/// Checks and normalises a locator as the counselor entered it. `region` is the program's,
/// for numbers written without a country code.
pub fn check_locator(mut locator: Locator, region: &str) -> Result<Locator, RuleViolation> {
    if locator.phones.len() > MAX_PHONES {
        return Err(refuse("phones", format!("at most {MAX_PHONES} phone numbers")));
    }
    for phone in &mut locator.phones {
        phone.number = normalize_phone("phones", &phone.number, region)?;
    }
    for (i, phone) in locator.phones.iter().enumerate() {
        if locator.phones[..i].iter().any(|p| p.number == phone.number) {
            return Err(refuse("phones", "the same phone number is listed twice"));
        }
    }
    locator.email = match locator.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(email) if email.len() <= 254 && email_address::EmailAddress::is_valid(email) => Some(email.to_owned()),
        Some(_) => return Err(refuse("email", "email must be an address like name@example.org")),
    };
    if let Some(address) = locator.address.take() {
        let country = address.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(refuse("address.country", "country must be a two-letter ISO 3166 code such as US"));
        }
        locator.address = Some(PostalAddress {
            line1: required_line("address.line1", &address.line1)?,
            line2: optional_line("address.line2", address.line2.as_deref())?,
            city: required_line("address.city", &address.city)?,
            region: optional_line("address.region", address.region.as_deref())?,
            postal_code: required_line("address.postalCode", &address.postal_code)?,
            country,
        });
    }
    if let Some(contact) = locator.emergency_contact.take() {
        locator.emergency_contact = Some(EmergencyContact {
            name: required_line("emergencyContact.name", &contact.name)?,
            relationship: required_line("emergencyContact.relationship", &contact.relationship)?,
            phone: normalize_phone("emergencyContact.phone", &contact.phone, region)?,
        });
    }
    locator.preferred_times = optional_line("preferredTimes", locator.preferred_times.as_deref())?;
    let reachable = match locator.preferred_method {
        None => true,
        Some(ContactMethod::PhoneCall) => !locator.phones.is_empty(),
        Some(ContactMethod::TextMessage) => locator.phones.iter().any(|p| p.kind == PhoneKind::Mobile),
        Some(ContactMethod::Email) => locator.email.is_some(),
        Some(ContactMethod::Mail) => locator.address.is_some(),
    };
    if !reachable {
        let needs = match locator.preferred_method {
            Some(ContactMethod::TextMessage) => "a mobile number",
            Some(ContactMethod::Email) => "an email address",
            Some(ContactMethod::Mail) => "a postal address",
            _ => "a phone number",
        };
        return Err(refuse("preferredMethod", format!("the preferred way to reach the client needs {needs}")));
    }
    Ok(locator)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(number: &str, kind: PhoneKind) -> Phone {
        Phone { number: number.into(), kind, messages_allowed: false }
    }

    #[test]
    fn phone_numbers_become_e164_in_the_programs_region_or_their_own() {
        assert_eq!(normalize_phone("p", "(202) 555-0143", "US").as_deref(), Ok("+12025550143"));
        assert_eq!(normalize_phone("p", "+1 202 555 0143", "US").as_deref(), Ok("+12025550143"));
        assert_eq!(normalize_phone("p", "+52 55 1234 5678", "US").as_deref(), Ok("+525512345678"));
        assert_eq!(normalize_phone("p", "030 123456", "DE").as_deref(), Ok("+4930123456"));
        for bad in ["", "12", "call me", "+1 202 555 01431234", "+999 123", "202-555\u{7}-0143"] {
            let refused = normalize_phone("phones", bad, "US").expect_err(bad);
            assert_eq!(refused.field, Some("phones"));
            if bad.len() > 4 {
                assert!(
                    !refused.message.contains(bad.trim()),
                    "the message never repeats the value: {}",
                    refused.message
                );
            }
        }
    }

    #[test]
    fn a_locator_is_normalised_and_its_preferred_method_must_be_usable() {
        let entered = Locator {
            phones: vec![phone(" 202.555.0143 ", PhoneKind::Mobile)],
            email: Some(" ana@example.org ".into()),
            address: Some(PostalAddress {
                line1: "12 Elm St".into(),
                line2: Some("  ".into()),
                city: "Springfield".into(),
                region: Some("IL".into()),
                postal_code: "62701".into(),
                country: "us".into(),
            }),
            preferred_method: Some(ContactMethod::TextMessage),
            consent_to_contact: true,
            ..Locator::default()
        };
        let checked = check_locator(entered.clone(), "US").expect("a good locator");
        assert_eq!(checked.phones[0].number, "+12025550143");
        assert_eq!(checked.email.as_deref(), Some("ana@example.org"));
        let address = checked.address.expect("address");
        assert_eq!((address.country.as_str(), address.line2), ("US", None));

        let landline_only = Locator { phones: vec![phone("2025550143", PhoneKind::Home)], ..entered.clone() };
        assert_eq!(check_locator(landline_only, "US").map_err(|e| e.field), Err(Some("preferredMethod")));
        let bad_email = Locator { email: Some("ana@".into()), ..entered.clone() };
        assert_eq!(check_locator(bad_email, "US").map_err(|e| e.field), Err(Some("email")));
        let twice = Locator {
            phones: vec![phone("2025550143", PhoneKind::Mobile), phone("+12025550143", PhoneKind::Home)],
            ..entered
        };
        assert_eq!(check_locator(twice, "US").map_err(|e| e.field), Err(Some("phones")));
    }
}
