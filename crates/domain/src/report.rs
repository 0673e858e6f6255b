//! The figures of the reports: plain counts and rates (their definitions are at the top of
//! the service's `report` module).

use async_graphql::SimpleObject;

use crate::{FollowUpOutcome, LevelOfCare, Stage};

/// How many follow-up contacts found one outcome.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct OutcomeCount {
    /// What the completed contacts found.
    pub outcome: FollowUpOutcome,
    /// Completed contacts due in the range with this outcome.
    pub count: i64,
}

/// Follow-up figures for a date range, for one counselor's clients or in total. The counts by
/// status cover contacts due in the range, the GPRA interview excepted (it has the 6-month
/// figures); the 7- and 30-day figures are NCQA FUI, the 6-month ones SAMHSA GPRA.
#[derive(SimpleObject, Debug, Clone, Default)]
pub struct FollowUpFigures {
    /// Follow-ups due in the range.
    pub due: i64,
    /// Of those, still SCHEDULED (not yet recorded), overdue ones included.
    pub scheduled: i64,
    /// Of those, COMPLETED: the client was reached.
    pub completed: i64,
    /// Of those, given up as UNREACHABLE after the outreach attempts or once the window closed.
    pub unreachable: i64,
    /// Due, not made, and overtaken by a change of plan (a return to treatment): counted as
    /// not completed.
    pub missed: i64,
    /// Of those, CANCELLED (before they were due, by hand or a change of plan, or because the
    /// client died): left out of the completion rate.
    pub cancelled: i64,
    /// Still scheduled and due before today.
    pub overdue: i64,
    /// completed / (due − cancelled), missed contacts included; null when nothing was due.
    pub completion_rate: Option<f64>,
    /// Completed contacts by outcome: every outcome listed, zeros included.
    pub outcomes: Vec<OutcomeCount>,
    /// Completed contacts where the client said they attend a support group.
    pub attending_support_group: i64,
    /// NCQA FUI: exits from high-intensity care in the range whose 7-day window has closed
    /// (leaving DETOX, or REHAB at L3.x or L4, by discharge or by a move to lower-intensity
    /// care; one exit per client per 31 days; DECEASED and clients under 13 left out).
    pub seven_day_eligible: i64,
    /// Of those, exits followed by a follow-up service on days +1 … +7.
    pub seven_day_completed: i64,
    /// NCQA FUI 7-day rate: completed / eligible, as a fraction (0.8 is 80 %); null when no exit
    /// is eligible.
    pub seven_day_rate: Option<f64>,
    /// Exits in the range whose 7-day window is still open: not yet counted.
    pub seven_day_pending: i64,
    /// NCQA FUI: exits from high-intensity care in the range whose 30-day window has closed.
    pub thirty_day_eligible: i64,
    /// Of those, exits followed by a follow-up service on days +1 … +30.
    pub thirty_day_completed: i64,
    /// NCQA FUI 30-day rate: completed / eligible, as a fraction; null when no exit is eligible.
    pub thirty_day_rate: Option<f64>,
    /// Exits in the range whose 30-day window is still open: not yet counted.
    pub thirty_day_pending: i64,
    /// GPRA: intakes whose 6-month interview window (months 5 to 8) closed in the range,
    /// DECEASED excluded.
    pub six_month_due: i64,
    /// Of those, interviews completed inside the window.
    pub six_month_completed: i64,
    /// GPRA 6-month rate: completed / due, as a fraction (target 0.8); null when none was due.
    pub six_month_rate: Option<f64>,
    /// Intakes whose window ends in the range but has not closed yet.
    pub six_month_pending: i64,
    /// Whether the 6-month rate reaches the 80 % GPRA target (null without data).
    pub meets_gpra_target: Option<bool>,
}

/// Support-group referral engagement for a date range: the referrals made in the range, counted
/// by the status they have now.
#[derive(SimpleObject, Debug, Clone, Default)]
pub struct ReferralFigures {
    /// Referrals made in range except those still PLANNED (so including any declined or
    /// cancelled while PLANNED).
    pub referred: i64,
    /// Still PLANNED: not yet sent out (entering AFTERCARE sends it); not counted in `referred`.
    pub planned: i64,
    /// Now ENGAGED: the client has attended at least once.
    pub engaged: i64,
    /// Now COMPLETED: the client saw the referral through after engaging.
    pub completed: i64,
    /// DECLINED: the client turned the referral down before engaging.
    pub declined: i64,
    /// DISCONTINUED: ended after the referral went out, before completion.
    pub discontinued: i64,
    /// CANCELLED: withdrawn while open, e.g. when the client died.
    pub cancelled: i64,
    /// (engaged + completed) / referred.
    pub engagement_rate: Option<f64>,
}

/// Referral figures for the referrals made while the client was in one stage.
#[derive(SimpleObject, Debug, Clone)]
pub struct StageReferrals {
    /// The stage the referrals were made in.
    pub stage: Stage,
    /// The referrals made in that stage, in the range.
    pub figures: ReferralFigures,
}

/// Census: the clients now in one stage of treatment (every stage is listed, zeros included).
#[derive(SimpleObject, Debug, Clone)]
pub struct StageCount {
    /// The stage of the clients' open episode.
    pub stage: Stage,
    /// Clients whose open episode is now in this stage.
    pub clients: i64,
    /// Of those, readmissions within 30 days of the client's last discharge.
    pub readmitted_within_30_days: i64,
    /// The same by level of care: every level the stage allows (zeros included), and for
    /// AFTERCARE a row for no level.
    pub levels: Vec<LevelCount>,
}

/// Census: the clients now at one level of care within a stage.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct LevelCount {
    /// `null`: no level (continuing care without one).
    pub level: Option<LevelOfCare>,
    /// Clients whose open episode is now at this level.
    pub clients: i64,
    /// Of those, readmissions within 30 days of the client's previous discharge.
    pub readmitted_within_30_days: i64,
}
