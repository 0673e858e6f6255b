//! Treatment stages, ASAM levels of care, the allowed stage moves and discharge reasons.

use async_graphql::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};

use super::RuleViolation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Stage {
    #[sea_orm(string_value = "DETOX")]
    Detox,
    #[sea_orm(string_value = "REHAB")]
    Rehab,
    #[sea_orm(string_value = "AFTERCARE")]
    Aftercare,
}

/// ASAM levels of care: withdrawal management (WM_*), outpatient to inpatient (L*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum LevelOfCare {
    #[sea_orm(string_value = "WM_1")]
    #[graphql(name = "WM_1")]
    Wm1,
    #[sea_orm(string_value = "WM_2")]
    #[graphql(name = "WM_2")]
    Wm2,
    #[sea_orm(string_value = "WM_3_2")]
    #[graphql(name = "WM_3_2")]
    Wm3_2,
    #[sea_orm(string_value = "WM_3_7")]
    #[graphql(name = "WM_3_7")]
    Wm3_7,
    #[sea_orm(string_value = "WM_4")]
    #[graphql(name = "WM_4")]
    Wm4,
    #[sea_orm(string_value = "L0_5")]
    #[graphql(name = "L0_5")]
    L0_5,
    #[sea_orm(string_value = "L1")]
    #[graphql(name = "L1")]
    L1,
    #[sea_orm(string_value = "L2_1")]
    #[graphql(name = "L2_1")]
    L2_1,
    #[sea_orm(string_value = "L2_5")]
    #[graphql(name = "L2_5")]
    L2_5,
    #[sea_orm(string_value = "L3_1")]
    #[graphql(name = "L3_1")]
    L3_1,
    #[sea_orm(string_value = "L3_3")]
    #[graphql(name = "L3_3")]
    L3_3,
    #[sea_orm(string_value = "L3_5")]
    #[graphql(name = "L3_5")]
    L3_5,
    #[sea_orm(string_value = "L3_7")]
    #[graphql(name = "L3_7")]
    L3_7,
    #[sea_orm(string_value = "L4")]
    #[graphql(name = "L4")]
    L4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum DischargeReason {
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "LEFT_AGAINST_ADVICE")]
    LeftAgainstAdvice,
    #[sea_orm(string_value = "TERMINATED_BY_FACILITY")]
    TerminatedByFacility,
    #[sea_orm(string_value = "TRANSFERRED")]
    Transferred,
    #[sea_orm(string_value = "INCARCERATED")]
    Incarcerated,
    #[sea_orm(string_value = "DECEASED")]
    Deceased,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

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
            Stage::Rehab => (&[L1, L2_1, L2_5, L3_1, L3_3, L3_5, L3_7, L4], false),
            Stage::Aftercare => (&[L0_5, L1], true),
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

pub const ALLOWED_MOVES: &[(Stage, Stage)] = &[
    (Stage::Detox, Stage::Rehab),
    (Stage::Detox, Stage::Aftercare),
    (Stage::Rehab, Stage::Rehab),
    (Stage::Rehab, Stage::Aftercare),
    (Stage::Aftercare, Stage::Detox),
    (Stage::Aftercare, Stage::Rehab),
];

/// Moves inside an open episode: forward through care, a step up or down within rehab,
/// and back to detox or rehab after a return to use.
pub fn check_move(from: Stage, to: Stage) -> Result<(), RuleViolation> {
    if ALLOWED_MOVES.contains(&(from, to)) {
        return Ok(());
    }
    let allowed =
        ALLOWED_MOVES.iter().map(|(a, b)| format!("{} → {}", a.as_str(), b.as_str())).collect::<Vec<_>>().join(", ");
    Err(RuleViolation::new(
        "STAGE_MOVE",
        Some("stage"),
        format!("{} → {} is not an allowed stage move; allowed: {allowed}", from.as_str(), to.as_str()),
    ))
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
        assert!(check_level(Stage::Aftercare, Some(LevelOfCare::L0_5)).is_ok());
        assert!(check_level(Stage::Aftercare, Some(LevelOfCare::L3_5)).is_err());
    }

    #[test]
    fn stage_moves() {
        assert!(check_move(Stage::Detox, Stage::Rehab).is_ok());
        assert!(check_move(Stage::Rehab, Stage::Rehab).is_ok());
        assert!(check_move(Stage::Aftercare, Stage::Detox).is_ok());
        let refused = check_move(Stage::Rehab, Stage::Detox).expect_err("no way back to detox from rehab");
        assert!(refused.message.contains("DETOX → REHAB"), "names the allowed moves");
        assert!(check_move(Stage::Detox, Stage::Detox).is_err());
        assert!(check_move(Stage::Aftercare, Stage::Aftercare).is_err());
    }
}
