//! Follow-up contacts: statuses, outcomes, the schedule and what "overdue" means.

use async_graphql::Enum;
use chrono::NaiveDate;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};

use super::RuleViolation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FollowUpStatus {
    #[sea_orm(string_value = "SCHEDULED")]
    Scheduled,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "UNREACHABLE")]
    Unreachable,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum FollowUpOutcome {
    #[sea_orm(string_value = "ABSTINENT")]
    Abstinent,
    #[sea_orm(string_value = "RETURN_TO_USE")]
    ReturnToUse,
    #[sea_orm(string_value = "READMITTED")]
    Readmitted,
    #[sea_orm(string_value = "DECLINED_TO_ANSWER")]
    DeclinedToAnswer,
    #[sea_orm(string_value = "INCARCERATED")]
    Incarcerated,
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
    }
}
