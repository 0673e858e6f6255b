//! The figures of the reports: plain counts and rates (their definitions are at the top of
//! the service's `report` module).

use async_graphql::SimpleObject;

use crate::{FollowUpOutcome, LevelOfCare, Stage};

#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct OutcomeCount {
    pub outcome: FollowUpOutcome,
    pub count: i64,
}

#[derive(SimpleObject, Debug, Clone, Default)]
pub struct FollowUpFigures {
    /// Follow-ups due in the range.
    pub due: i64,
    pub scheduled: i64,
    pub completed: i64,
    pub unreachable: i64,
    /// Due, not made, and overtaken by a change of plan (a return to treatment): counted as
    /// not completed.
    pub missed: i64,
    pub cancelled: i64,
    /// Still scheduled and due before today.
    pub overdue: i64,
    /// completed / (due − cancelled), missed contacts included; null when nothing was due.
    pub completion_rate: Option<f64>,
    pub outcomes: Vec<OutcomeCount>,
    /// Completed contacts where the client said they attend a support group.
    pub attending_support_group: i64,
    /// NCQA FUI: exits from high-intensity care in the range whose 7-day window has closed
    /// (the definitions are in the README and `domain::measures`).
    pub seven_day_eligible: i64,
    /// Of those, exits followed by a follow-up service on days +1 … +7.
    pub seven_day_completed: i64,
    pub seven_day_rate: Option<f64>,
    /// Exits in the range whose 7-day window is still open: not yet counted.
    pub seven_day_pending: i64,
    pub thirty_day_eligible: i64,
    pub thirty_day_completed: i64,
    pub thirty_day_rate: Option<f64>,
    pub thirty_day_pending: i64,
    /// GPRA: intakes whose 6-month interview window (months 5 to 8) closed in the range,
    /// DECEASED excluded.
    pub six_month_due: i64,
    /// Of those, interviews completed inside the window.
    pub six_month_completed: i64,
    pub six_month_rate: Option<f64>,
    /// Intakes whose window ends in the range but has not closed yet.
    pub six_month_pending: i64,
    /// Whether the 6-month rate reaches the 80 % GPRA target (null without data).
    pub meets_gpra_target: Option<bool>,
}

#[derive(SimpleObject, Debug, Clone, Default)]
pub struct ReferralFigures {
    /// Referrals made in range that went out (all but those still PLANNED).
    pub referred: i64,
    pub planned: i64,
    pub engaged: i64,
    pub completed: i64,
    pub declined: i64,
    pub discontinued: i64,
    pub cancelled: i64,
    /// (engaged + completed) / referred.
    pub engagement_rate: Option<f64>,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct StageReferrals {
    pub stage: Stage,
    pub figures: ReferralFigures,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct StageCount {
    pub stage: Stage,
    pub clients: i64,
    /// Of those, readmissions within 30 days of the client's last discharge.
    pub readmitted_within_30_days: i64,
    /// The same by level of care: every level the stage allows (zeros included), and for
    /// AFTERCARE a row for no level.
    pub levels: Vec<LevelCount>,
}

#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct LevelCount {
    /// `null`: no level (continuing care without one).
    pub level: Option<LevelOfCare>,
    pub clients: i64,
    pub readmitted_within_30_days: i64,
}
