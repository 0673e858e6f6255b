//! Treatment stages, ASAM levels of care, the allowed stage moves and discharge reasons.

use async_graphql::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};

use super::RuleViolation;

/// The phase of a treatment episode. Each stage allows its own ASAM levels of care; an episode
/// may move between stages in any direction, as the client's needs call for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Stage {
    /// Medically supervised withdrawal management: a WM level.
    #[sea_orm(string_value = "DETOX")]
    Detox,
    /// Treatment: outpatient (L1), intensive outpatient (L2_1), partial hospitalization
    /// (L2_5), residential (L3_x), inpatient (L4) or an opioid treatment program (OTP).
    #[sea_orm(string_value = "REHAB")]
    Rehab,
    /// Continuing care, support groups and follow-up: no level, L1 or OTP.
    #[sea_orm(string_value = "AFTERCARE")]
    Aftercare,
}

/// ASAM levels of care: withdrawal management (WM_*), outpatient to inpatient (L*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum LevelOfCare {
    /// 1-WM: ambulatory withdrawal management without extended on-site monitoring.
    #[sea_orm(string_value = "WM_1")]
    #[graphql(name = "WM_1")]
    Wm1,
    /// 2-WM: ambulatory withdrawal management with extended on-site monitoring.
    #[sea_orm(string_value = "WM_2")]
    #[graphql(name = "WM_2")]
    Wm2,
    /// 3.2-WM: clinically managed residential withdrawal management.
    #[sea_orm(string_value = "WM_3_2")]
    #[graphql(name = "WM_3_2")]
    Wm3_2,
    /// 3.7-WM: medically monitored inpatient withdrawal management.
    #[sea_orm(string_value = "WM_3_7")]
    #[graphql(name = "WM_3_7")]
    Wm3_7,
    /// 4-WM: medically managed intensive inpatient withdrawal management.
    #[sea_orm(string_value = "WM_4")]
    #[graphql(name = "WM_4")]
    Wm4,
    /// 0.5: early intervention. Kept for old rows; never a treatment or aftercare level.
    #[sea_orm(string_value = "L0_5")]
    #[graphql(name = "L0_5")]
    L0_5,
    /// 1: outpatient services.
    #[sea_orm(string_value = "L1")]
    #[graphql(name = "L1")]
    L1,
    /// 2.1: intensive outpatient services.
    #[sea_orm(string_value = "L2_1")]
    #[graphql(name = "L2_1")]
    L2_1,
    /// 2.5: partial hospitalization services.
    #[sea_orm(string_value = "L2_5")]
    #[graphql(name = "L2_5")]
    L2_5,
    /// 3.1: clinically managed low-intensity residential services.
    #[sea_orm(string_value = "L3_1")]
    #[graphql(name = "L3_1")]
    L3_1,
    /// 3.3: clinically managed population-specific high-intensity residential services.
    #[sea_orm(string_value = "L3_3")]
    #[graphql(name = "L3_3")]
    L3_3,
    /// 3.5: clinically managed high-intensity residential services.
    #[sea_orm(string_value = "L3_5")]
    #[graphql(name = "L3_5")]
    L3_5,
    /// 3.7: medically monitored intensive inpatient services.
    #[sea_orm(string_value = "L3_7")]
    #[graphql(name = "L3_7")]
    L3_7,
    /// 4: medically managed intensive inpatient services.
    #[sea_orm(string_value = "L4")]
    #[graphql(name = "L4")]
    L4,
    /// Opioid treatment program: medication for opioid use disorder (methadone,
    /// buprenorphine, naltrexone) with counseling, an outpatient Level 1 service in ASAM's
    /// 3rd edition; offered in REHAB and, for maintenance, in AFTERCARE.
    #[sea_orm(string_value = "OTP")]
    #[graphql(name = "OTP")]
    Otp,
}

/// Why an episode ended (SAMHSA TEDS-D REASON). Every discharge but DECEASED schedules the
/// post-discharge follow-up contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum DischargeReason {
    /// The client completed treatment (TEDS REASON code 1).
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// The client left before completing treatment, against advice (TEDS REASON code 2,
    /// "dropped out"). An early exit: among the most urgent items on the worklist.
    #[sea_orm(string_value = "LEFT_AGAINST_ADVICE")]
    LeftAgainstAdvice,
    /// The program ended the client's treatment (TEDS REASON code 3). An early exit: among the
    /// most urgent items on the worklist.
    #[sea_orm(string_value = "TERMINATED_BY_FACILITY")]
    TerminatedByFacility,
    /// The client was transferred to another program or facility (TEDS REASON code 4).
    #[sea_orm(string_value = "TRANSFERRED")]
    Transferred,
    /// Treatment ended because the client was jailed or imprisoned (TEDS REASON code 5).
    #[sea_orm(string_value = "INCARCERATED")]
    Incarcerated,
    /// The client died (TEDS REASON code 6). No follow-up is scheduled, and the client's open
    /// follow-up contacts and referrals are cancelled.
    #[sea_orm(string_value = "DECEASED")]
    Deceased,
    /// Any other reason (TEDS REASON code 7); say which in the discharge note.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Where the client went on discharge, as the counselor records it at the door. Kept with
/// the episode for the counselor and the follow-ups; it is not a TEDS element and is not in
/// the TEDS extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum DischargedTo {
    /// To the client's own home or a private residence.
    #[sea_orm(string_value = "HOME")]
    Home,
    /// To an outpatient treatment program.
    #[sea_orm(string_value = "OUTPATIENT_PROGRAM")]
    OutpatientProgram,
    /// To a residential treatment program.
    #[sea_orm(string_value = "RESIDENTIAL_PROGRAM")]
    ResidentialProgram,
    /// Admitted to a hospital.
    #[sea_orm(string_value = "HOSPITAL")]
    Hospital,
    /// To jail or prison.
    #[sea_orm(string_value = "CORRECTIONAL_FACILITY")]
    CorrectionalFacility,
    /// To a homeless shelter.
    #[sea_orm(string_value = "SHELTER")]
    Shelter,
    /// Somewhere else; also what Continuum records when a death is learned at follow-up.
    #[sea_orm(string_value = "OTHER")]
    Other,
    /// Not known; recorded when the discharge does not say where the client went.
    #[sea_orm(string_value = "UNKNOWN")]
    Unknown,
}

impl DischargeReason {
    /// Leaving before the plan was finished, by the client's choice or the program's: the
    /// exits with the highest risk of overdose in the weeks after, first on the worklist.
    pub fn is_early_exit(self) -> bool {
        matches!(self, DischargeReason::LeftAgainstAdvice | DischargeReason::TerminatedByFacility)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DischargeReason::Completed => "COMPLETED",
            DischargeReason::LeftAgainstAdvice => "LEFT_AGAINST_ADVICE",
            DischargeReason::TerminatedByFacility => "TERMINATED_BY_FACILITY",
            DischargeReason::Transferred => "TRANSFERRED",
            DischargeReason::Incarcerated => "INCARCERATED",
            DischargeReason::Deceased => "DECEASED",
            DischargeReason::Other => "OTHER",
        }
    }
}

/// Days from the last discharge to this admission, when it is a readmission within the
/// window reports count (30 days, a common quality signal for SUD programs).
pub const READMISSION_WINDOW_DAYS: i64 = 30;

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Detox => "DETOX",
            Stage::Rehab => "REHAB",
            Stage::Aftercare => "AFTERCARE",
        }
    }

    /// The levels of care a stage allows, and whether it may have none.
    pub fn levels(self) -> (&'static [LevelOfCare], bool) {
        use LevelOfCare::*;
        match self {
            Stage::Detox => (&[Wm1, Wm2, Wm3_2, Wm3_7, Wm4], false),
            Stage::Rehab => (&[L1, L2_1, L2_5, L3_1, L3_3, L3_5, L3_7, L4, Otp], false),
            // Continuing care: no level, outpatient L1, or OTP maintenance. Not L0_5, which is
            // early intervention for people not (yet) in treatment (ASAM 3rd ed.).
            Stage::Aftercare => (&[L1, Otp], true),
        }
    }
}

impl LevelOfCare {
    pub fn as_str(self) -> &'static str {
        use LevelOfCare::*;
        match self {
            Wm1 => "WM_1",
            Wm2 => "WM_2",
            Wm3_2 => "WM_3_2",
            Wm3_7 => "WM_3_7",
            Wm4 => "WM_4",
            L0_5 => "L0_5",
            L1 => "L1",
            L2_1 => "L2_1",
            L2_5 => "L2_5",
            L3_1 => "L3_1",
            L3_3 => "L3_3",
            L3_5 => "L3_5",
            L3_7 => "L3_7",
            L4 => "L4",
            Otp => "OTP",
        }
    }

    /// Withdrawal management, residential or inpatient care: what NCQA's FUI measure calls
    /// high-intensity care, whose end opens the riskiest weeks (HEDIS MY 2025, FUI).
    pub fn is_high_intensity(self) -> bool {
        use LevelOfCare::*;
        matches!(self, Wm1 | Wm2 | Wm3_2 | Wm3_7 | Wm4 | L3_1 | L3_3 | L3_5 | L3_7 | L4)
    }

    /// A rank of intensity of service, to name a move a step up or a step down. Withdrawal
    /// management ranks with the residential and inpatient levels of its setting.
    pub fn intensity(self) -> u8 {
        use LevelOfCare::*;
        match self {
            L0_5 => 0,
            L1 | Otp => 1,
            Wm1 => 2,
            L2_1 => 3,
            Wm2 | L2_5 => 4,
            L3_1 => 5,
            L3_3 => 6,
            Wm3_2 | L3_5 => 7,
            Wm3_7 | L3_7 => 8,
            Wm4 | L4 => 9,
        }
    }
}

/// Every stage needs a level of care from its own list (AFTERCARE may have none).
pub fn check_level(stage: Stage, level: Option<LevelOfCare>) -> Result<(), RuleViolation> {
    let (allowed, optional) = stage.levels();
    let ok = match level {
        None => optional,
        Some(level) => allowed.contains(&level),
    };
    if ok {
        return Ok(());
    }
    let list = allowed.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ");
    let message = match (level, optional) {
        (None, _) => format!("{} needs a level of care: one of {list}", stage.as_str()),
        (Some(l), true) => format!("{} allows no level of care or one of {list}, not {}", stage.as_str(), l.as_str()),
        (Some(l), false) => format!("{} needs a level of care from {list}, not {}", stage.as_str(), l.as_str()),
    };
    Err(RuleViolation::new("LEVEL_OF_CARE", Some("levelOfCare"), message))
}

/// Where an episode is: a stage and its level of care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub stage: Stage,
    pub level: Option<LevelOfCare>,
}

impl Placement {
    pub fn new(stage: Stage, level: Option<LevelOfCare>) -> Self {
        Placement { stage, level }
    }

    /// DETOX at any level, or residential/inpatient REHAB (L3.x, L4).
    pub fn is_high_intensity(self) -> bool {
        self.stage == Stage::Detox || self.level.is_some_and(LevelOfCare::is_high_intensity)
    }

    fn intensity(self) -> u8 {
        self.level.map_or(0, LevelOfCare::intensity)
    }

    fn label(self) -> String {
        match self.level {
            Some(level) => format!("{} {}", self.stage.as_str(), level.as_str()),
            None => self.stage.as_str().to_owned(),
        }
    }
}

/// What a move does to the intensity of care, for the history and the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum MoveKind {
    /// The episode opened here.
    Admission,
    /// To a more intensive level by the ASAM intensity ranks (an escalation of withdrawal
    /// management, a return to residential care or to residential or inpatient withdrawal
    /// management). A move from outpatient rehab to ambulatory withdrawal management (WM_1)
    /// is not a step up.
    StepUp,
    /// To a less intensive level (a step down to outpatient care or to aftercare).
    StepDown,
    /// Another setting of the same intensity (e.g. L1 outpatient to OTP).
    Lateral,
}

impl MoveKind {
    pub fn of(from: Option<Placement>, to: Placement) -> MoveKind {
        let Some(from) = from else { return MoveKind::Admission };
        // Leaving treatment for continuing care is a step down whatever the levels say.
        let (a, b) = (rank(from), rank(to));
        match a.cmp(&b) {
            std::cmp::Ordering::Less => MoveKind::StepUp,
            std::cmp::Ordering::Greater => MoveKind::StepDown,
            std::cmp::Ordering::Equal => MoveKind::Lateral,
        }
    }
}

/// Treatment ranks above continuing care at the same level; within treatment, the level
/// decides.
fn rank(p: Placement) -> (u8, u8) {
    let in_treatment = u8::from(p.stage != Stage::Aftercare);
    (p.intensity(), in_treatment)
}

/// Any move the client's needs call for is allowed — between stages and within one, up or
/// down (ASAM's continuum is not a one-way street: withdrawal management escalates, a return
/// to use brings a client back to detox from rehab or aftercare) — as long as the new
/// level belongs to the new stage. A move that changes neither stage nor level is refused:
/// it would reset the time in stage and write history for nothing.
pub fn check_move(from: Placement, to: Placement) -> Result<MoveKind, RuleViolation> {
    if from == to {
        return Err(RuleViolation::new(
            "STAGE_MOVE",
            Some("levelOfCare"),
            format!("the episode is already in {}: change the stage or the level of care", from.label()),
        ));
    }
    check_level(to.stage, to.level)?;
    Ok(MoveKind::of(Some(from), to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detox_needs_withdrawal_management() {
        assert!(check_level(Stage::Detox, Some(LevelOfCare::Wm3_2)).is_ok());
        let refused = check_level(Stage::Detox, Some(LevelOfCare::L3_5)).expect_err("L3_5 is not detox");
        assert_eq!(refused.rule, "LEVEL_OF_CARE");
        assert!(check_level(Stage::Detox, None).is_err());
        assert!(check_level(Stage::Aftercare, None).is_ok());
        assert!(
            check_level(Stage::Aftercare, Some(LevelOfCare::L0_5)).is_err(),
            "early intervention is not continuing care"
        );
        assert!(check_level(Stage::Aftercare, Some(LevelOfCare::Otp)).is_ok());
        assert!(check_level(Stage::Rehab, Some(LevelOfCare::Otp)).is_ok());
        assert!(check_level(Stage::Aftercare, Some(LevelOfCare::L3_5)).is_err());
    }

    fn at(stage: Stage, level: Option<LevelOfCare>) -> Placement {
        Placement::new(stage, level)
    }

    #[test]
    fn stage_moves() {
        use LevelOfCare::*;
        let ok = |from, to| check_move(from, to).expect("an allowed move");
        assert_eq!(ok(at(Stage::Detox, Some(Wm3_2)), at(Stage::Detox, Some(Wm3_7))), MoveKind::StepUp);
        assert_eq!(ok(at(Stage::Detox, Some(Wm3_7)), at(Stage::Detox, Some(Wm2))), MoveKind::StepDown);
        assert_eq!(ok(at(Stage::Rehab, Some(L1)), at(Stage::Detox, Some(Wm3_2))), MoveKind::StepUp);
        assert_eq!(ok(at(Stage::Rehab, Some(L3_5)), at(Stage::Aftercare, None)), MoveKind::StepDown);
        assert_eq!(ok(at(Stage::Rehab, Some(L1)), at(Stage::Aftercare, Some(L1))), MoveKind::StepDown);
        assert_eq!(ok(at(Stage::Aftercare, None), at(Stage::Aftercare, Some(Otp))), MoveKind::StepUp);
        assert_eq!(ok(at(Stage::Rehab, Some(L1)), at(Stage::Rehab, Some(Otp))), MoveKind::Lateral);
        assert_eq!(ok(at(Stage::Aftercare, Some(L1)), at(Stage::Detox, Some(Wm3_7))), MoveKind::StepUp);
        let same = check_move(at(Stage::Rehab, Some(L1)), at(Stage::Rehab, Some(L1))).expect_err("a no-op");
        assert_eq!(same.rule, "STAGE_MOVE");
        assert!(check_move(at(Stage::Rehab, Some(L1)), at(Stage::Detox, Some(L3_5))).is_err(), "detox needs WM");
    }

    #[test]
    fn high_intensity_is_detox_residential_and_inpatient() {
        use LevelOfCare::*;
        assert!(at(Stage::Detox, Some(Wm1)).is_high_intensity());
        assert!(at(Stage::Rehab, Some(L3_1)).is_high_intensity());
        assert!(at(Stage::Rehab, Some(L4)).is_high_intensity());
        assert!(!at(Stage::Rehab, Some(L2_5)).is_high_intensity());
        assert!(!at(Stage::Rehab, Some(Otp)).is_high_intensity());
        assert!(!at(Stage::Aftercare, None).is_high_intensity());
    }
}
