//! The funder measures as plain functions over one client's history, so that each rule of
//! the definition is one line here and can be tested without a database.
//!
//! **NCQA HEDIS FUI** (Follow-Up After High-Intensity Care for Substance Use Disorder, HEDIS
//! MY 2025 Vol. 2), applied to one program's records:
//! - the unit is an *exit from high-intensity care*: leaving DETOX (any WM level) or
//!   residential/inpatient REHAB (L3.x, L4), by discharge or by a move to a lower-intensity
//!   level or stage; the exit date is the calendar date in the program's time zone;
//! - a *direct transfer* — re-entering high-intensity care within 1 calendar day — is no
//!   exit: the chain counts at its last exit;
//! - one exit per client per 31 days: after the transfer rule the first exit of each 31-day
//!   period is kept, later ones in it are dropped;
//! - excluded: clients who died (a DECEASED discharge), and clients under 13 on the exit date;
//! - numerator: a follow-up service on calendar days +1 … +7 (and +1 … +30) after the exit,
//!   never the same day — a completed follow-up contact, or an entry into REHAB (any level) or
//!   OTP; withdrawal management never counts as follow-up;
//! - an exit counts once its window has closed (the last day of the window has passed);
//!   until then it is *pending*.
//!
//! **SAMHSA GPRA** 6-month follow-up: every intake gets an interview due 6 months after it,
//! counted only inside the window of 5 to 8 months after intake, whether or not the client is
//! still in treatment; the rate is interviews completed in the window over intakes whose
//! window has closed, DECEASED excluded; the target is 80 %.

use chrono::{Months, NaiveDate};

use crate::{DischargeReason, LevelOfCare, Placement, Stage};

/// Days after the exit a follow-up service counts for, by window.
pub const FUI_WINDOWS: [u64; 2] = [7, 30];
/// Re-entering high-intensity care within this many calendar days is a direct transfer.
pub const DIRECT_TRANSFER_DAYS: i64 = 1;
/// Exits of one client closer together than this count once (the first).
pub const ONE_EXIT_PER_DAYS: i64 = 31;
/// FUI counts members 13 and older on the episode date.
pub const FUI_MIN_AGE: u32 = 13;
pub const GPRA_TARGET: f64 = 0.8;

/// One step of a client's care, in time order: where they went on `on` (`None`: discharged,
/// for `reason`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CareStep {
    pub on: NaiveDate,
    pub to: Option<Placement>,
    pub reason: Option<DischargeReason>,
}

/// An exit from high-intensity care that FUI counts, with whether a follow-up service came
/// within each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    pub on: NaiveDate,
    pub within_7: bool,
    pub within_30: bool,
}

impl Exit {
    /// Whether the `days`-day window has closed by `today` (its last day has passed).
    pub fn closed(&self, days: u64, today: NaiveDate) -> bool {
        self.on.checked_add_days(chrono::Days::new(days)).is_some_and(|last| last < today)
    }
}

/// A step into care that is itself a follow-up service for FUI: entering REHAB at any level,
/// or OTP in any stage. Withdrawal management never is.
pub fn is_follow_up_service(to: Placement) -> bool {
    to.stage == Stage::Rehab || to.level == Some(LevelOfCare::Otp)
}

/// The client's FUI exits, after the transfer, 31-day, death and age rules, each judged
/// against `services` (the local dates of completed follow-up contacts; entries into care
/// that count as services are taken from `steps`).
pub fn fui_exits(born: NaiveDate, steps: &[CareStep], contacts: &[NaiveDate]) -> Vec<Exit> {
    if steps.iter().any(|s| s.reason == Some(DischargeReason::Deceased)) {
        return Vec::new();
    }
    let mut exits: Vec<NaiveDate> = Vec::new();
    let mut current: Option<Placement> = None;
    for step in steps {
        let was_high = current.is_some_and(Placement::is_high_intensity);
        let now_high = step.to.is_some_and(Placement::is_high_intensity);
        if was_high && !now_high {
            exits.push(step.on);
        }
        if now_high
            && !was_high
            && exits.last().is_some_and(|last| (step.on - *last).num_days() <= DIRECT_TRANSFER_DAYS)
        {
            exits.pop();
        }
        current = step.to;
    }
    let old_enough = |on: NaiveDate| born.checked_add_months(Months::new(12 * FUI_MIN_AGE)).is_some_and(|d| d <= on);
    let mut kept: Vec<NaiveDate> = Vec::new();
    for on in exits.into_iter().filter(|on| old_enough(*on)) {
        if kept.last().is_none_or(|first| (on - *first).num_days() >= ONE_EXIT_PER_DAYS) {
            kept.push(on);
        }
    }
    let mut services: Vec<NaiveDate> = contacts.to_vec();
    services.extend(steps.iter().filter(|s| s.to.is_some_and(is_follow_up_service)).map(|s| s.on));
    kept.into_iter()
        .map(|on| {
            let within = |days: i64| services.iter().any(|s| *s > on && (*s - on).num_days() <= days);
            Exit { on, within_7: within(7), within_30: within(30) }
        })
        .collect()
}

/// The GPRA interview's window for an intake on `intake`: 5 to 8 months after it; the
/// interview is due at 6 months.
pub fn gpra_window(intake: NaiveDate) -> (NaiveDate, NaiveDate, NaiveDate) {
    let at = |months: u32| intake.checked_add_months(Months::new(months)).unwrap_or(intake);
    (at(5), at(6), at(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn to(stage: Stage, level: Option<LevelOfCare>, on: &str) -> CareStep {
        CareStep { on: d(on), to: Some(Placement::new(stage, level)), reason: None }
    }

    fn out(on: &str, reason: DischargeReason) -> CareStep {
        CareStep { on: d(on), to: None, reason: Some(reason) }
    }

    const BORN: &str = "1980-01-01";

    #[test]
    fn a_detox_exit_counts_and_the_same_day_contact_does_not() {
        let steps = [
            to(Stage::Detox, Some(LevelOfCare::Wm3_2), "2026-03-01"),
            out("2026-03-04", DischargeReason::LeftAgainstAdvice),
        ];
        let same_day = fui_exits(d(BORN), &steps, &[d("2026-03-04")]);
        assert_eq!(same_day, [Exit { on: d("2026-03-04"), within_7: false, within_30: false }]);
        let day_7 = fui_exits(d(BORN), &steps, &[d("2026-03-11")]);
        assert_eq!(day_7, [Exit { on: d("2026-03-04"), within_7: true, within_30: true }]);
        let day_8 = fui_exits(d(BORN), &steps, &[d("2026-03-12")]);
        assert_eq!(day_8, [Exit { on: d("2026-03-04"), within_7: false, within_30: true }]);
    }

    #[test]
    fn a_step_down_is_an_exit_and_a_move_within_high_intensity_is_not() {
        let steps = [
            to(Stage::Detox, Some(LevelOfCare::Wm3_7), "2026-03-01"),
            to(Stage::Rehab, Some(LevelOfCare::L3_5), "2026-03-05"),
            to(Stage::Rehab, Some(LevelOfCare::L2_1), "2026-03-20"),
        ];
        let exits = fui_exits(d(BORN), &steps, &[]);
        assert_eq!(exits.iter().map(|e| e.on).collect::<Vec<_>>(), [d("2026-03-20")]);
    }

    #[test]
    fn a_direct_transfer_counts_at_the_last_exit_and_one_exit_per_31_days() {
        // Discharged, admitted elsewhere the next day: one chain, exit at the end.
        let transfer = [
            to(Stage::Detox, Some(LevelOfCare::Wm3_2), "2026-03-01"),
            out("2026-03-04", DischargeReason::Transferred),
            to(Stage::Rehab, Some(LevelOfCare::L3_5), "2026-03-05"),
            out("2026-03-25", DischargeReason::Completed),
        ];
        let exits = fui_exits(d(BORN), &transfer, &[]);
        assert_eq!(exits.iter().map(|e| e.on).collect::<Vec<_>>(), [d("2026-03-25")]);
        // Out, back into residential 10 days later, out again: the first exit counts, and the
        // readmission into rehab is its follow-up.
        let back = [
            to(Stage::Rehab, Some(LevelOfCare::L3_5), "2026-03-01"),
            out("2026-03-10", DischargeReason::LeftAgainstAdvice),
            to(Stage::Rehab, Some(LevelOfCare::L3_5), "2026-03-20"),
            out("2026-03-30", DischargeReason::Completed),
        ];
        let exits = fui_exits(d(BORN), &back, &[]);
        assert_eq!(exits, [Exit { on: d("2026-03-10"), within_7: false, within_30: true }]);
    }

    #[test]
    fn death_and_youth_exclude_and_withdrawal_management_is_no_follow_up() {
        let died =
            [to(Stage::Detox, Some(LevelOfCare::Wm2), "2026-03-01"), out("2026-03-03", DischargeReason::Deceased)];
        assert_eq!(fui_exits(d(BORN), &died, &[]), []);
        let young =
            [to(Stage::Rehab, Some(LevelOfCare::L3_1), "2026-03-01"), out("2026-03-03", DischargeReason::Completed)];
        assert_eq!(fui_exits(d("2014-01-01"), &young, &[]), [], "12 on the exit date");
        let detox_again = [
            to(Stage::Rehab, Some(LevelOfCare::L3_5), "2026-03-01"),
            to(Stage::Rehab, Some(LevelOfCare::L1), "2026-03-10"),
            to(Stage::Detox, Some(LevelOfCare::Wm1), "2026-03-14"),
        ];
        let exits = fui_exits(d(BORN), &detox_again, &[]);
        assert_eq!(exits, [Exit { on: d("2026-03-10"), within_7: false, within_30: false }]);
    }

    #[test]
    fn the_gpra_window_is_months_five_to_eight() {
        assert_eq!(gpra_window(d("2026-01-31")), (d("2026-06-30"), d("2026-07-31"), d("2026-09-30")));
    }
}
