//! SAMHSA's Treatment Episode Data Set: the intake elements Continuum asks at admission,
//! and the one table that maps Continuum's values to TEDS codes (public-use codebooks,
//! TEDS-A 2023 and TEDS-D 2020; `-9` is "missing"). A state whose submission codes differ
//! changes them here and nowhere else.

use async_graphql::Enum;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{DischargeReason, Gender, LevelOfCare, Placement, RuleViolation, Stage, Substance};

/// TEDS "missing".
pub const MISSING: i32 = -9;

/// How a substance is used (TEDS ROUTE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Route {
    /// Swallowed: TEDS ROUTE code 1.
    Oral,
    /// Smoked: TEDS ROUTE code 2.
    Smoking,
    /// Inhaled or snorted: TEDS ROUTE code 3.
    Inhalation,
    /// Injected: TEDS ROUTE code 4.
    Injection,
    /// Any other route: TEDS ROUTE code 5.
    Other,
}

/// How often in the past month (TEDS FREQ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UseFrequency {
    /// Not used in the past month: TEDS FREQ code 1.
    NoUseInPastMonth,
    /// Used in the past month, but not daily: TEDS FREQ code 2.
    SomeUse,
    /// Used every day: TEDS FREQ code 3.
    Daily,
}

/// Who referred the client (TEDS PSOURCE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReferralSource {
    /// The client or their family.
    Individual,
    /// Another alcohol or drug treatment provider: TEDS PSOURCE code 2.
    AlcoholDrugProvider,
    /// A health care provider other than alcohol or drug treatment: TEDS PSOURCE code 3.
    OtherHealthCare,
    /// A school: TEDS PSOURCE code 4.
    School,
    /// An employer or employee assistance program (EAP): TEDS PSOURCE code 5.
    Employer,
    /// Other community referral, AA/NA included.
    Community,
    /// A court or other criminal justice referral, DUI/DWI included: TEDS PSOURCE code 7.
    CriminalJustice,
}

/// One substance of the intake, primary first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeSubstance {
    pub substance: Substance,
    pub route: Route,
    pub frequency: UseFrequency,
    pub age_at_first_use: u8,
}

/// What TEDS needs from an admission that the rest of the record does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    /// Primary, secondary, tertiary: at most three, each once.
    pub substances: Vec<IntakeSubstance>,
    pub prior_treatment_episodes: u8,
    pub referral_source: ReferralSource,
    /// Self-help meetings (AA, NA, SMART…) in the 30 days before admission; `None`: the client
    /// went, how often is not known.
    pub self_help_meetings_30_days: Option<u8>,
}

/// Three substances at most, none twice, ages of first use and counts that can be true.
pub fn check_intake(intake: &Intake) -> Result<(), RuleViolation> {
    let bad = |field: &'static str, message: &str| Err(RuleViolation::new("TEDS_INTAKE", Some(field), message));
    if intake.substances.len() > 3 {
        return bad("substances", "TEDS records a primary, a secondary and a tertiary substance: three at most");
    }
    for (i, s) in intake.substances.iter().enumerate() {
        if intake.substances[..i].iter().any(|t| t.substance == s.substance) {
            return bad("substances", "each substance once");
        }
        if !(1..=99).contains(&s.age_at_first_use) {
            return bad("ageAtFirstUse", "the age at first use is 1 to 99");
        }
    }
    if intake.prior_treatment_episodes > 99 {
        return bad("priorTreatmentEpisodes", "at most 99 prior treatment episodes");
    }
    if intake.self_help_meetings_30_days.is_some_and(|n| n > 30) {
        return bad("selfHelpMeetings30Days", "at most 30 self-help meetings in 30 days (one a day)");
    }
    Ok(())
}

/// SERVICES (and SERVICES_D): the setting, from stage and level of care. Residential
/// rehab is short-term (≤ 30 days) or long-term by the stay: `stay_days` at discharge, and
/// low-intensity residential (3.1, halfway houses) as long-term at admission.
pub fn services(at: Placement, stay_days: Option<i64>) -> i32 {
    use LevelOfCare::*;
    match (at.stage, at.level) {
        (Stage::Detox, Some(Wm4)) => 1,
        (Stage::Detox, Some(Wm3_2 | Wm3_7)) => 2,
        (Stage::Detox, _) => 8,
        (_, Some(L4)) => 3,
        (_, Some(L3_1)) => match stay_days {
            Some(days) if days <= 30 => 4,
            _ => 5,
        },
        (_, Some(L3_3 | L3_5 | L3_7)) => match stay_days {
            Some(days) if days > 30 => 5,
            _ => 4,
        },
        (_, Some(L2_1 | L2_5)) => 6,
        (_, Some(L1 | Otp | L0_5)) | (Stage::Aftercare, None) => 7,
        (_, _) => MISSING,
    }
}

/// REASON at discharge.
pub fn reason(r: DischargeReason) -> i32 {
    match r {
        DischargeReason::Completed => 1,
        DischargeReason::LeftAgainstAdvice => 2,
        DischargeReason::TerminatedByFacility => 3,
        DischargeReason::Transferred => 4,
        DischargeReason::Incarcerated => 5,
        DischargeReason::Deceased => 6,
        DischargeReason::Other => 7,
    }
}

/// LOS: days 1–30 as they are, then bands. A same-day discharge is one day.
pub fn length_of_stay(days: i64) -> i32 {
    match days.max(1) {
        d @ 1..=30 => d as i32,
        31..=45 => 31,
        46..=60 => 32,
        61..=90 => 33,
        91..=120 => 34,
        121..=180 => 35,
        181..=365 => 36,
        _ => 37,
    }
}

/// SUB1–3. Continuum's OPIOIDS cannot tell heroin from other opiates: coded 7 (other
/// opiates and synthetics).
pub fn substance(s: Substance) -> i32 {
    match s {
        Substance::Alcohol => 2,
        Substance::Cocaine => 3,
        Substance::Cannabis => 4,
        Substance::Opioids => 7,
        Substance::Methamphetamine => 10,
        Substance::OtherStimulants => 12,
        Substance::Benzodiazepines => 13,
        Substance::Other => 19,
    }
}

pub fn route(r: Route) -> i32 {
    match r {
        Route::Oral => 1,
        Route::Smoking => 2,
        Route::Inhalation => 3,
        Route::Injection => 4,
        Route::Other => 5,
    }
}

pub fn frequency(f: UseFrequency) -> i32 {
    match f {
        UseFrequency::NoUseInPastMonth => 1,
        UseFrequency::SomeUse => 2,
        UseFrequency::Daily => 3,
    }
}

/// FRSTUSE: age at first use, in bands.
pub fn first_use(age: u8) -> i32 {
    match age {
        0..=11 => 1,
        12..=14 => 2,
        15..=17 => 3,
        18..=20 => 4,
        21..=24 => 5,
        25..=29 => 6,
        _ => 7,
    }
}

/// NOPRIOR: 0–4 as they are, 5 for five or more.
pub fn prior_episodes(n: u8) -> i32 {
    i32::from(n.min(5))
}

pub fn referral_source(p: ReferralSource) -> i32 {
    match p {
        ReferralSource::Individual => 1,
        ReferralSource::AlcoholDrugProvider => 2,
        ReferralSource::OtherHealthCare => 3,
        ReferralSource::School => 4,
        ReferralSource::Employer => 5,
        ReferralSource::Community => 6,
        ReferralSource::CriminalJustice => 7,
    }
}

/// FREQ_ATND_SELF_HELP (and _D): meetings in 30 days, in bands; `None` is "some, frequency
/// unknown".
pub fn self_help(meetings: Option<u32>) -> i32 {
    match meetings {
        None => 5,
        Some(0) => 1,
        Some(1..=3) => 2,
        Some(4..=7) => 3,
        Some(_) => 4,
    }
}

/// AGE at admission, in bands (TEDS counts from 12).
pub fn age(born: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    match years {
        12..=14 => 1,
        15..=17 => 2,
        18..=20 => 3,
        21..=24 => 4,
        25..=29 => 5,
        30..=34 => 6,
        35..=39 => 7,
        40..=44 => 8,
        45..=49 => 9,
        50..=54 => 10,
        55..=64 => 11,
        65.. => 12,
        _ => MISSING,
    }
}

/// SEX: 1 male, 2 female; anything else is missing (TEDS has no other code).
pub fn sex(gender: Option<Gender>) -> i32 {
    match gender {
        Some(Gender::Man) => 1,
        Some(Gender::Woman) => 2,
        _ => MISSING,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn codes() {
        assert_eq!(services(Placement::new(Stage::Detox, Some(LevelOfCare::Wm3_2)), None), 2);
        assert_eq!(services(Placement::new(Stage::Rehab, Some(LevelOfCare::L3_5)), Some(45)), 5);
        assert_eq!(services(Placement::new(Stage::Rehab, Some(LevelOfCare::L3_5)), Some(20)), 4);
        assert_eq!(services(Placement::new(Stage::Rehab, Some(LevelOfCare::L2_1)), None), 6);
        assert_eq!(length_of_stay(0), 1);
        assert_eq!(length_of_stay(31), 31);
        assert_eq!(length_of_stay(400), 37);
        assert_eq!(self_help(Some(0)), 1);
        assert_eq!(self_help(Some(8)), 4);
        assert_eq!(self_help(None), 5);
        assert_eq!(age(d("1990-06-15"), d("2026-06-14")), 7, "35 the day before the birthday");
        assert_eq!(age(d("1990-06-15"), d("2026-06-15")), 7);
        assert_eq!(first_use(16), 3);
        assert_eq!(prior_episodes(9), 5);
    }
}

/// One TEDS admission record (TEDS-A element names, public-use codes).
#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct TedsAdmission {
    /// The episode's id: the program's case id.
    #[serde(rename = "CASEID")]
    pub case_id: String,
    #[graphql(skip)]
    #[serde(skip)]
    pub client_id: String,
    /// YYYY-MM-DD in the program's time zone.
    pub admit_date: String,
    /// AGE at admission, in bands: 1 = 12–14, 2 = 15–17, 3 = 18–20, 4 = 21–24, 5 = 25–29,
    /// 6 = 30–34, 7 = 35–39, 8 = 40–44, 9 = 45–49, 10 = 50–54, 11 = 55–64, 12 = 65 and over;
    /// -9 under 12.
    pub age: i32,
    /// SEX: 1 male, 2 female, from the client's gender; -9 for any other or none.
    pub sex: i32,
    /// SERVICES: the setting at admission, from the stage and level of care: 1 detox 24-hour
    /// hospital inpatient, 2 detox 24-hour free-standing residential, 3 rehab/residential
    /// hospital, 4 rehab/residential short-term (30 days or less), 5 rehab/residential long-term,
    /// 6 intensive outpatient, 7 non-intensive outpatient, 8 ambulatory detox.
    pub services: i32,
    /// SUB1: the primary substance, as a TEDS SUB code; -9 when not known.
    pub sub1: i32,
    /// ROUTE1: how the primary substance is used (1 oral, 2 smoking, 3 inhalation, 4 injection,
    /// 5 other); -9 when not known.
    pub route1: i32,
    /// FREQ1: how often the primary substance was used in the past month (1 no use, 2 some use,
    /// 3 daily); -9 when not known.
    pub freq1: i32,
    /// FRSTUSE1: age at first use of the primary substance, in bands: 1 = 11 or under, 2 = 12–14,
    /// 3 = 15–17, 4 = 18–20, 5 = 21–24, 6 = 25–29, 7 = 30 or over; -9 when not known.
    pub frstuse1: i32,
    /// SUB2: the secondary substance, as a TEDS SUB code; 1 (none) when the intake names no
    /// second one, -9 without an intake.
    pub sub2: i32,
    /// ROUTE2: how the secondary substance is used, coded as ROUTE1; -9 when there is none.
    pub route2: i32,
    /// FREQ2: past-month use of the secondary substance, coded as FREQ1; -9 when there is none.
    pub freq2: i32,
    /// FRSTUSE2: age at first use of the secondary substance, coded as FRSTUSE1; -9 when there
    /// is none.
    pub frstuse2: i32,
    /// SUB3: the tertiary substance, as a TEDS SUB code; 1 (none) when the intake names no third
    /// one, -9 without an intake.
    pub sub3: i32,
    /// ROUTE3: how the tertiary substance is used, coded as ROUTE1; -9 when there is none.
    pub route3: i32,
    /// FREQ3: past-month use of the tertiary substance, coded as FREQ1; -9 when there is none.
    pub freq3: i32,
    /// FRSTUSE3: age at first use of the tertiary substance, coded as FRSTUSE1; -9 when there
    /// is none.
    pub frstuse3: i32,
    /// NOPRIOR: prior treatment episodes, 0–4 as they are, 5 for five or more; -9 without an
    /// intake.
    pub noprior: i32,
    /// PSOURCE: who referred the client: 1 individual, 2 alcohol/drug provider, 3 other health
    /// care, 4 school, 5 employer/EAP, 6 other community, 7 court/criminal justice; -9 without an
    /// intake.
    pub psource: i32,
    /// FREQ_ATND_SELF_HELP: self-help meetings (AA, NA, SMART…) attended in the 30 days before
    /// admission, as asked at intake: 1 none, 2 1–3 times, 3 4–7 times, 4 8–30 times, 5 some,
    /// frequency unknown; -9 without an intake.
    pub freq_atnd_self_help: i32,
}

/// One TEDS discharge record (TEDS-D element names, public-use codes).
#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct TedsDischarge {
    /// The episode's id: the program's case id, the same as on the episode's admission record.
    #[serde(rename = "CASEID")]
    pub case_id: String,
    #[graphql(skip)]
    #[serde(skip)]
    pub client_id: String,
    /// The admission date, YYYY-MM-DD in the program's time zone.
    pub admit_date: String,
    /// DISCH_DATE: the discharge date, YYYY-MM-DD in the program's time zone.
    pub disch_date: String,
    /// SERVICES_D: the setting at discharge, coded as SERVICES at admission (1–8); residential
    /// rehab is short-term (4) or long-term (5) by the length of stay.
    pub services_d: i32,
    /// REASON: why the episode ended: 1 completed, 2 dropped out (left against advice),
    /// 3 terminated by facility, 4 transferred, 5 incarcerated, 6 death, 7 other.
    pub reason: i32,
    /// LOS: length of stay in days, 1–30 as they are (a same-day discharge is 1), then bands:
    /// 31 = 31–45, 32 = 46–60, 33 = 61–90, 34 = 91–120, 35 = 121–180, 36 = 181–365, 37 = over 365.
    pub los: i32,
    /// FREQ_ATND_SELF_HELP_D, from the attendance log: self-help attendance in the 30 days
    /// ending on the discharge date, coded 1 none, 2 one to three times, 3 four to seven
    /// times, 4 eight to thirty times.
    pub freq_atnd_self_help_d: i32,
}

/// The admission record of an episode.
pub fn admission_record(
    case_id: String,
    client_id: String,
    admitted: NaiveDate,
    born: NaiveDate,
    gender: Option<Gender>,
    at: Placement,
    intake: Option<&Intake>,
) -> TedsAdmission {
    let sub = |i: usize| {
        let s = intake.and_then(|x| x.substances.get(i));
        let none_or_missing = if intake.is_some() && i > 0 { 1 } else { MISSING };
        (
            s.map_or(none_or_missing, |s| substance(s.substance)),
            s.map_or(MISSING, |s| route(s.route)),
            s.map_or(MISSING, |s| frequency(s.frequency)),
            s.map_or(MISSING, |s| first_use(s.age_at_first_use)),
        )
    };
    let (sub1, route1, freq1, frstuse1) = sub(0);
    let (sub2, route2, freq2, frstuse2) = sub(1);
    let (sub3, route3, freq3, frstuse3) = sub(2);
    TedsAdmission {
        case_id,
        client_id,
        admit_date: admitted.to_string(),
        age: age(born, admitted),
        sex: sex(gender),
        services: services(at, None),
        sub1,
        route1,
        freq1,
        frstuse1,
        sub2,
        route2,
        freq2,
        frstuse2,
        sub3,
        route3,
        freq3,
        frstuse3,
        noprior: intake.map_or(MISSING, |x| prior_episodes(x.prior_treatment_episodes)),
        psource: intake.map_or(MISSING, |x| referral_source(x.referral_source)),
        freq_atnd_self_help: intake.map_or(MISSING, |x| self_help(x.self_help_meetings_30_days.map(u32::from))),
    }
}

/// The discharge record of an episode; `attended` are the dates of recorded support-group
/// attendance of the client.
pub fn discharge_record(
    case_id: String,
    client_id: String,
    admitted: NaiveDate,
    discharged: NaiveDate,
    at: Placement,
    why: DischargeReason,
    attended: &[NaiveDate],
) -> TedsDischarge {
    let stay = (discharged - admitted).num_days();
    let window_start = discharged - chrono::Days::new(29);
    let meetings = attended.iter().filter(|d| **d >= window_start && **d <= discharged).count() as u32;
    TedsDischarge {
        case_id,
        client_id,
        admit_date: admitted.to_string(),
        disch_date: discharged.to_string(),
        services_d: services(at, Some(stay)),
        reason: reason(why),
        los: length_of_stay(stay),
        freq_atnd_self_help_d: self_help(Some(meetings)),
    }
}
