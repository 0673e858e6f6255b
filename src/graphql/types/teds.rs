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

#[derive(InputObject, Clone)]
pub struct IntakeSubstanceInput {
    pub substance: Substance,
    pub route: Route,
    pub frequency: UseFrequency,
    pub age_at_first_use: i32,
}

/// What TEDS asks at admission that the rest of the record does not hold.
#[derive(InputObject, Clone)]
pub struct TedsIntakeInput {
    /// Primary first; at most three.
    pub substances: Vec<IntakeSubstanceInput>,
    pub prior_treatment_episodes: i32,
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
    pub admissions: Vec<TedsAdmission>,
    pub discharges: Vec<TedsDischarge>,
}
