//! Follow-up contacts: statuses, outcomes, the schedule and what "overdue" means.

use async_graphql::Enum;
use chrono::NaiveDate;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};

use super::RuleViolation;

/// Where a follow-up contact stands. Only SCHEDULED is open; "overdue" is not a status but a
/// SCHEDULED contact whose due date has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FollowUpStatus {
    /// Open: not yet recorded. Only a SCHEDULED contact can be recorded or have outreach
    /// attempts logged on it.
    #[sea_orm(string_value = "SCHEDULED")]
    Scheduled,
    /// The client was reached and the contact made; it carries an outcome and whether the client
    /// attends a support group.
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// Given up without reaching the client: allowed only after the configured number of outreach
    /// attempts on different days, or once the contact's window has closed.
    #[sea_orm(string_value = "UNREACHABLE")]
    Unreachable,
    /// Its due date passed and it was not made before the plan changed (the client went
    /// back to treatment): it stays in the completion rate as not completed.
    #[sea_orm(string_value = "MISSED")]
    Missed,
    /// Will not be made: cancelled by hand or by a change of plan before it was due, or,
    /// whatever its due date, because the client died. Left out of the completion rate.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// Why a contact exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FollowUpKind {
    /// The continuing-care schedule that entering AFTERCARE sets (7, 30, 90, 180, 365 days).
    #[sea_orm(string_value = "AFTERCARE")]
    Aftercare,
    /// After a discharge or a step down out of high-intensity care (7 and 30 days: NCQA FUI).
    #[sea_orm(string_value = "POST_DISCHARGE")]
    PostDischarge,
    /// The SAMHSA GPRA 6-month follow-up interview every intake gets: due 6 months after
    /// intake, counted from month 5 to month 8, whatever happens to the episode.
    #[sea_orm(string_value = "GPRA")]
    Gpra,
    /// Added by a counselor.
    #[sea_orm(string_value = "MANUAL")]
    Manual,
}

/// How an outreach attempt was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AttemptMethod {
    /// A telephone call.
    #[sea_orm(string_value = "PHONE")]
    Phone,
    /// A text message to the client's phone.
    #[sea_orm(string_value = "TEXT")]
    Text,
    /// An email to the client's address.
    #[sea_orm(string_value = "EMAIL")]
    Email,
    /// A letter sent by post.
    #[sea_orm(string_value = "LETTER")]
    Letter,
    /// Face to face, e.g. at the program or a home visit.
    #[sea_orm(string_value = "IN_PERSON")]
    InPerson,
    /// A video call (telehealth).
    #[sea_orm(string_value = "VIDEO")]
    Video,
}

/// What an outreach attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AttemptResult {
    /// Nobody answered and no message was left. Counts toward the attempts needed before the
    /// contact may be recorded UNREACHABLE.
    #[sea_orm(string_value = "NO_ANSWER")]
    NoAnswer,
    /// A message was left for the client. Counts toward the attempts needed for UNREACHABLE.
    #[sea_orm(string_value = "LEFT_MESSAGE")]
    LeftMessage,
    /// The number or address did not reach the client; the locator may need updating. Counts
    /// toward the attempts needed for UNREACHABLE.
    #[sea_orm(string_value = "WRONG_NUMBER")]
    WrongNumber,
    /// The client was reached. Does not count toward UNREACHABLE; record the contact itself as
    /// COMPLETED.
    #[sea_orm(string_value = "REACHED")]
    Reached,
}

/// What a completed follow-up contact found. Required when a contact is recorded COMPLETED,
/// and only then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum FollowUpOutcome {
    /// The client reports no substance use.
    #[sea_orm(string_value = "ABSTINENT")]
    Abstinent,
    /// The client has used again. Puts the client on the worklist for clinical review of the
    /// plan and level of care, for 14 days after the contact unless the episode moves first.
    #[sea_orm(string_value = "RETURN_TO_USE")]
    ReturnToUse,
    /// The client has been admitted to treatment again (e.g. elsewhere). Puts the client on the
    /// worklist for clinical review, for 14 days after the contact unless the episode moves
    /// first.
    #[sea_orm(string_value = "READMITTED")]
    Readmitted,
    /// The client was reached but would not say how they are doing.
    #[sea_orm(string_value = "DECLINED_TO_ANSWER")]
    DeclinedToAnswer,
    /// The client is in jail or prison.
    #[sea_orm(string_value = "INCARCERATED")]
    Incarcerated,
    /// The client has died. Closes the open episode as discharged DECEASED, with its open
    /// contacts and referrals.
    #[sea_orm(string_value = "DECEASED")]
    Deceased,
}

/// Due dates for a schedule of day offsets counted from `from`.
pub fn schedule(from: NaiveDate, days: &[u32]) -> Vec<NaiveDate> {
    days.iter().filter_map(|d| from.checked_add_days(chrono::Days::new(u64::from(*d)))).collect()
}

/// Still scheduled after its due date, judged in the program's time zone. Never stored.
pub fn is_overdue(status: FollowUpStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status == FollowUpStatus::Scheduled && due_on < today
}

/// What happens to a contact of the continuing-care or post-discharge schedule when the
/// plan changes (the client goes back to a more intensive level): one already overdue was
/// missed and stays in the figures; one due today can still be made and stays open; one not
/// yet due never will be and is cancelled.
pub fn on_plan_change(due_on: NaiveDate, today: NaiveDate) -> Option<FollowUpStatus> {
    match due_on.cmp(&today) {
        std::cmp::Ordering::Less => Some(FollowUpStatus::Missed),
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Greater => Some(FollowUpStatus::Cancelled),
    }
}

/// A contact may be given up as UNREACHABLE only after `needed` outreach attempts on
/// different days (a single early call proves little), or once its window has closed.
pub fn check_unreachable(
    attempt_days: &[NaiveDate],
    needed: u32,
    window_closes_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), RuleViolation> {
    let mut days = attempt_days.to_vec();
    days.sort_unstable();
    days.dedup();
    if days.len() >= needed as usize || today > window_closes_on {
        return Ok(());
    }
    Err(RuleViolation::new(
        "FOLLOW_UP_ATTEMPTS",
        Some("status"),
        format!(
            "a contact is UNREACHABLE after {needed} attempts on different days or once its window closes on \
             {window_closes_on}; {} day(s) with attempts so far",
            days.len()
        ),
    ))
}

/// Recording a contact closes a scheduled follow-up; a completed one needs an outcome, and
/// only a completed one has one.
pub fn check_record(
    current: FollowUpStatus,
    to: FollowUpStatus,
    outcome: Option<FollowUpOutcome>,
) -> Result<(), RuleViolation> {
    if current != FollowUpStatus::Scheduled {
        return Err(RuleViolation::new(
            "FOLLOW_UP_CLOSED",
            Some("followUpId"),
            "this follow-up has already been recorded or cancelled",
        ));
    }
    match (to, outcome) {
        (FollowUpStatus::Scheduled, _) => Err(RuleViolation::new(
            "FOLLOW_UP_STATUS",
            Some("status"),
            "record a follow-up as COMPLETED, UNREACHABLE or CANCELLED",
        )),
        (FollowUpStatus::Missed, _) => Err(RuleViolation::new(
            "FOLLOW_UP_STATUS",
            Some("status"),
            "MISSED is set by Continuum when the plan changes after a contact was due; record COMPLETED, \
             UNREACHABLE or CANCELLED",
        )),
        (FollowUpStatus::Completed, None) => Err(RuleViolation::new(
            "FOLLOW_UP_OUTCOME_REQUIRED",
            Some("outcome"),
            "a completed follow-up needs an outcome",
        )),
        (FollowUpStatus::Unreachable | FollowUpStatus::Cancelled, Some(_)) => Err(RuleViolation::new(
            "FOLLOW_UP_OUTCOME_UNEXPECTED",
            Some("outcome"),
            "only a completed follow-up has an outcome",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn schedule_counts_days_from_entry() {
        assert_eq!(schedule(d("2026-01-01"), &[7, 30]), vec![d("2026-01-08"), d("2026-01-31")]);
    }

    #[test]
    fn overdue_is_derived() {
        assert!(is_overdue(FollowUpStatus::Scheduled, d("2026-01-01"), d("2026-01-02")));
        assert!(!is_overdue(FollowUpStatus::Scheduled, d("2026-01-02"), d("2026-01-02")), "due today is not overdue");
        assert!(!is_overdue(FollowUpStatus::Completed, d("2026-01-01"), d("2026-01-02")));
    }

    #[test]
    fn recording() {
        use FollowUpStatus::*;
        assert!(check_record(Scheduled, Completed, Some(FollowUpOutcome::Abstinent)).is_ok());
        assert!(check_record(Scheduled, Completed, None).is_err());
        assert!(check_record(Scheduled, Unreachable, None).is_ok());
        assert!(check_record(Completed, Unreachable, None).is_err());
        assert!(check_record(Scheduled, Missed, None).is_err(), "MISSED is not recorded by hand");
    }

    #[test]
    fn a_plan_change_misses_what_was_overdue_and_cancels_what_was_not_due() {
        let today = d("2026-03-10");
        assert_eq!(on_plan_change(d("2026-03-09"), today), Some(FollowUpStatus::Missed));
        assert_eq!(on_plan_change(today, today), None);
        assert_eq!(on_plan_change(d("2026-03-11"), today), Some(FollowUpStatus::Cancelled));
    }

    #[test]
    fn unreachable_needs_attempts_on_different_days_or_a_closed_window() {
        let (closes, today) = (d("2026-03-20"), d("2026-03-10"));
        let same_day = [d("2026-03-09"), d("2026-03-09"), d("2026-03-09")];
        assert_eq!(check_unreachable(&same_day, 3, closes, today).map_err(|v| v.rule), Err("FOLLOW_UP_ATTEMPTS"));
        let three_days = [d("2026-03-07"), d("2026-03-08"), d("2026-03-09")];
        assert!(check_unreachable(&three_days, 3, closes, today).is_ok());
        assert!(check_unreachable(&[], 3, closes, d("2026-03-21")).is_ok(), "the window has closed");
    }
}
