//! Clients: the facts kept about a person in treatment and the checks on them.

use async_graphql::Enum;
use chrono::NaiveDate;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};

use super::RuleViolation;

/// Used only for group eligibility (e.g. Women for Sobriety) and the TEDS SEX element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Gender {
    /// Eligible for groups open to women only (e.g. Women for Sobriety); TEDS SEX code 2.
    #[sea_orm(string_value = "WOMAN")]
    Woman,
    /// Eligible for groups open to men only; TEDS SEX code 1.
    #[sea_orm(string_value = "MAN")]
    Man,
    /// Offered only groups open to anyone; TEDS SEX is reported as missing (-9).
    #[sea_orm(string_value = "NON_BINARY")]
    NonBinary,
    /// Another gender. Offered only groups open to anyone; TEDS SEX is reported as missing (-9).
    #[sea_orm(string_value = "OTHER")]
    Other,
    /// The client chose not to say. Offered only groups open to anyone; TEDS SEX is reported as
    /// missing (-9).
    #[sea_orm(string_value = "UNDISCLOSED")]
    Undisclosed,
}

/// A substance the client uses. The TEDS intake ranks up to three (primary, secondary,
/// tertiary), and group recommendations match them against each group's substance focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Substance {
    /// TEDS SUB code 2.
    Alcohol,
    /// Heroin and other opiates or synthetic opioids, not told apart: reported as TEDS SUB code 7
    /// (other opiates and synthetics).
    Opioids,
    /// Cocaine, crack included: TEDS SUB code 3.
    Cocaine,
    /// TEDS SUB code 10.
    Methamphetamine,
    /// Marijuana: TEDS SUB code 4.
    Cannabis,
    /// TEDS SUB code 13.
    Benzodiazepines,
    /// Stimulants other than cocaine and methamphetamine: TEDS SUB code 12.
    OtherStimulants,
    /// Any other drug: TEDS SUB code 19.
    Other,
}

impl Substance {
    pub const ALL: [Substance; 8] = [
        Substance::Alcohol,
        Substance::Opioids,
        Substance::Cocaine,
        Substance::Methamphetamine,
        Substance::Cannabis,
        Substance::Benzodiazepines,
        Substance::OtherStimulants,
        Substance::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Substance::Alcohol => "ALCOHOL",
            Substance::Opioids => "OPIOIDS",
            Substance::Cocaine => "COCAINE",
            Substance::Methamphetamine => "METHAMPHETAMINE",
            Substance::Cannabis => "CANNABIS",
            Substance::Benzodiazepines => "BENZODIAZEPINES",
            Substance::OtherStimulants => "OTHER_STIMULANTS",
            Substance::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Option<Substance> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// How a counselor says it to the client.
    pub fn label(self) -> &'static str {
        match self {
            Substance::Alcohol => "alcohol",
            Substance::Opioids => "opioids",
            Substance::Cocaine => "cocaine",
            Substance::Methamphetamine => "methamphetamine",
            Substance::Cannabis => "cannabis",
            Substance::Benzodiazepines => "benzodiazepines",
            Substance::OtherStimulants => "other stimulants",
            Substance::Other => "other drugs",
        }
    }
}

/// Substances are stored as one comma-separated column in a fixed order.
pub fn encode_substances(list: &[Substance]) -> String {
    let mut list = list.to_vec();
    list.sort();
    list.dedup();
    list.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

pub fn decode_substances(stored: &str) -> Vec<Substance> {
    stored.split(',').filter_map(Substance::parse).collect()
}

pub const MAX_PERSON_NAME_CHARS: usize = 100;
pub const MAX_NOTE_CHARS: usize = 4000;
pub const MAX_REASON_CHARS: usize = 1000;

/// A person's name part: trimmed, 1 to 100 characters, no control characters.
pub fn check_person_name(field: &'static str, value: &str) -> Result<String, RuleViolation> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_PERSON_NAME_CHARS || value.chars().any(char::is_control) {
        return Err(RuleViolation::new(
            "NAME",
            Some(field),
            format!("{field} must be 1 to {MAX_PERSON_NAME_CHARS} characters, without control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Free text (notes, reasons): kept exactly as given, within a length limit.
pub fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), RuleViolation> {
    if value.chars().count() > max {
        return Err(RuleViolation::new(
            "TEXT_LENGTH",
            Some(field),
            format!("{field} may have at most {max} characters"),
        ));
    }
    Ok(())
}

pub fn check_date_of_birth(dob: NaiveDate, today: NaiveDate) -> Result<(), RuleViolation> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    if dob < earliest || dob >= today {
        return Err(RuleViolation::new(
            "DATE_OF_BIRTH",
            Some("dateOfBirth"),
            "the date of birth must be after 1900-01-01 and in the past",
        ));
    }
    Ok(())
}

/// A BCP 47 language tag in its common shape: a 2–3 letter language, then subtags of 1–8
/// letters or digits (`en`, `es-MX`, `zh-Hant-TW`).
pub fn check_language(tag: &str) -> Result<String, RuleViolation> {
    let tag = tag.trim();
    let mut parts = tag.split('-');
    let primary_ok =
        parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok || tag.len() > 35 {
        return Err(RuleViolation::new(
            "LANGUAGE",
            Some("language"),
            "language must be a BCP 47 tag such as en or es-MX",
        ));
    }
    Ok(tag.to_owned())
}

pub fn check_substances(list: &[Substance]) -> Result<(), RuleViolation> {
    if list.is_empty() {
        return Err(RuleViolation::new("SUBSTANCES", Some("substances"), "name at least one substance"));
    }
    Ok(())
}

/// The primary language subtag, lower-cased: `es-MX` → `es`.
pub fn primary_language(tag: &str) -> String {
    tag.split('-').next().unwrap_or(tag).to_ascii_lowercase()
}

/// A name as search and duplicate checks compare it: accents and case folded ("Lucía"
/// and "LUCIA" are one name), runs of spaces and hyphens made one space.
pub fn name_key(parts: &[&str]) -> String {
    use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
    let folded: String = parts.join(" ").nfd().filter(|c| !is_combining_mark(*c)).collect::<String>().to_lowercase();
    folded.split(|c: char| c.is_whitespace() || c == '-').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Two people with the same date of birth are likely one person registered twice when
/// their folded first names or folded last names are the same (a married name, a nickname
/// or a typo changes one, rarely both).
pub fn likely_same_person(a: (&str, &str), b: (&str, &str)) -> bool {
    name_key(&[a.0]) == name_key(&[b.0]) || name_key(&[a.1]) == name_key(&[b.1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_accents_case_and_hyphens() {
        assert_eq!(name_key(&["Lucía", "García-López"]), "lucia garcia lopez");
        assert!(likely_same_person(("Lucia", "Garcia"), ("LUCÍA", "Ortega")));
        assert!(!likely_same_person(("Ana", "Diaz"), ("Eva", "Ruiz")));
    }

    #[test]
    fn substances_round_trip_sorted_and_unique() {
        let stored = encode_substances(&[Substance::Cocaine, Substance::Alcohol, Substance::Cocaine]);
        assert_eq!(stored, "ALCOHOL,COCAINE");
        assert_eq!(decode_substances(&stored), vec![Substance::Alcohol, Substance::Cocaine]);
    }

    #[test]
    fn dates_of_birth() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        assert!(check_date_of_birth(NaiveDate::from_ymd_opt(1980, 5, 1).expect("d"), today).is_ok());
        assert!(check_date_of_birth(today, today).is_err());
        assert!(check_date_of_birth(NaiveDate::from_ymd_opt(1899, 12, 31).expect("d"), today).is_err());
    }

    #[test]
    fn languages() {
        for ok in ["en", "es-MX", "zh-Hant-TW"] {
            assert!(check_language(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english", "en_US", "en--US"] {
            assert!(check_language(bad).is_err(), "{bad}");
        }
    }
}
