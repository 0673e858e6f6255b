//! The TEDS intake as the portal sends it at admission, and the extract.

use async_graphql::{InputObject, SimpleObject};

use crate::{
    domain::{
        Substance,
        teds::{Intake, IntakeSubstance, ReferralSource, Route, TedsAdmission, TedsDischarge, UseFrequency},
    },
    error::AppError,
    graphql::error::Result,
};

/// One substance the client uses, as TEDS records it at admission (SUB, ROUTE, FREQ, FRSTUSE).
#[derive(InputObject, Clone)]
pub struct IntakeSubstanceInput {
    /// The substance (TEDS SUB); each substance once per intake.
    pub substance: Substance,
    /// How it is usually taken (TEDS ROUTE).
    pub route: Route,
    /// How often it was used in the past month (TEDS FREQ).
    pub frequency: UseFrequency,
    /// The client's age in years when they first used it, 1 to 99; the extract reports it in
    /// the TEDS FRSTUSE age bands.
    pub age_at_first_use: i32,
}

/// What TEDS asks at admission that the rest of the record does not hold.
#[derive(InputObject, Clone)]
pub struct TedsIntakeInput {
    /// Primary first; at most three.
    pub substances: Vec<IntakeSubstanceInput>,
    /// How many treatment episodes the client had before this one, 0 to 99 (TEDS NOPRIOR,
    /// which reports five or more as 5).
    pub prior_treatment_episodes: i32,
    /// Who referred the client to this admission (TEDS PSOURCE).
    pub referral_source: ReferralSource,
    /// Self-help meetings in the 30 days before admission; null: some, how often unknown.
    pub self_help_meetings_30_days: Option<i32>,
}

fn small(field: &'static str, value: i32) -> std::result::Result<u8, AppError> {
    u8::try_from(value).map_err(|_| AppError::bad_field(field, format!("`{field}` must be between 0 and 255")))
}

impl TedsIntakeInput {
    pub fn to_intake(&self) -> Result<Intake> {
        let substances = self
            .substances
            .iter()
            .map(|s| {
                Ok(IntakeSubstance {
                    substance: s.substance,
                    route: s.route,
                    frequency: s.frequency,
                    age_at_first_use: small("ageAtFirstUse", s.age_at_first_use)?,
                })
            })
            .collect::<std::result::Result<Vec<_>, AppError>>()?;
        Ok(Intake {
            substances,
            prior_treatment_episodes: small("priorTreatmentEpisodes", self.prior_treatment_episodes)?,
            referral_source: self.referral_source,
            self_help_meetings_30_days: self
                .self_help_meetings_30_days
                .map(|n| small("selfHelpMeetings30Days", n))
                .transpose()?,
        })
    }
}

/// The state's TEDS records for a range: admissions (TEDS-A) and discharges (TEDS-D), with
/// TEDS element names and public-use codes (-9 for missing).
#[derive(SimpleObject)]
pub struct TedsExtract {
    /// One TEDS-A record per episode admitted in the range (by admission date, program time
    /// zone), oldest admission first. The elements the intake answers are -9 when the episode
    /// was admitted without one.
    pub admissions: Vec<TedsAdmission>,
    /// One TEDS-D record per episode discharged in the range (by discharge date, program time
    /// zone), in order of discharge date.
    pub discharges: Vec<TedsDischarge>,
}
