//! Aftercare: attendance goals and adherence, and a client's week of meetings as concrete
//! local times that stay right across daylight-saving changes.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::RuleViolation;

/// Adherence is judged over the last four weeks, or since the referral if that is shorter.
pub const ADHERENCE_WINDOW_DAYS: i64 = 28;

/// The most meetings a week a goal may ask for: one a day ("90 meetings in 90 days").
pub const MAX_WEEKLY_GOAL: i32 = 7;

/// A goal is 1 to 7 meetings a week, and no more than the referral allows: a referral tied to
/// one weekly meeting allows one a week (attendance is one per referral and day).
pub fn check_weekly_goal(goal: i32, one_weekly_meeting: bool) -> Result<(), RuleViolation> {
    let most = if one_weekly_meeting { 1 } else { MAX_WEEKLY_GOAL };
    if (1..=most).contains(&goal) {
        return Ok(());
    }
    let message = if one_weekly_meeting && goal > 1 {
        format!(
            "this referral is to one weekly meeting, so its goal is 1 a week, not {goal}; refer to the group to aim higher"
        )
    } else {
        format!("a goal is 1 to {MAX_WEEKLY_GOAL} meetings a week (one a day at most), not {goal}")
    };
    Err(RuleViolation::new("WEEKLY_GOAL", Some("meetingsPerWeek"), message))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adherence {
    pub window_start: NaiveDate,
    pub window_days: i64,
    pub attended: i64,
    /// goal × days / 7
    pub expected: f64,
    /// attended / expected, rounded to two places; `None` before there is anything to expect.
    pub rate: Option<f64>,
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The window for a referral made on `since`: the last 28 days up to today, or since the
/// referral when that is shorter.
pub fn window(since: NaiveDate, today: NaiveDate) -> (NaiveDate, i64) {
    let days = (today - since).num_days().clamp(0, ADHERENCE_WINDOW_DAYS);
    (today - Days::new(days as u64), days)
}

/// Attended versus expected meetings for a weekly goal, over the window ending today.
/// `attended_on` are the dates of recorded attendance (any order).
pub fn adherence(goal: i32, since: NaiveDate, today: NaiveDate, attended_on: &[NaiveDate]) -> Adherence {
    let (start, days) = window(since, today);
    let attended = attended_on.iter().filter(|d| **d >= start && **d <= today).count() as i64;
    let expected = f64::from(goal) * days as f64 / 7.0;
    let rate = (expected > 0.0).then(|| round2(attended as f64 / expected));
    Adherence { window_start: start, window_days: days, attended, expected: round2(expected), rate }
}

/// Rolls referral figures up per client: total attended over total expected.
pub fn roll_up(items: &[Adherence]) -> Option<Adherence> {
    let first = items.first()?;
    let attended = items.iter().map(|a| a.attended).sum::<i64>();
    let expected = items.iter().map(|a| a.expected).sum::<f64>();
    Some(Adherence {
        window_start: items.iter().map(|a| a.window_start).min().unwrap_or(first.window_start),
        window_days: items.iter().map(|a| a.window_days).max().unwrap_or(first.window_days),
        attended,
        expected: round2(expected),
        rate: (expected > 0.0).then(|| round2(attended as f64 / expected)),
    })
}

/// The Monday of the week that holds `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Days::new(u64::from(date.weekday().num_days_from_monday()))
}

/// A local time on a local date in `tz`, as an instant. In the spring-forward gap the
/// meeting starts at the first valid minute after; in the fall-back overlap, at the first
/// occurrence — what a person reading the clock on the wall would do.
pub fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => {
            let mut probe = naive;
            for _ in 0..180 {
                probe += chrono::Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&naive)
        }
    }
}

/// The date in the week starting `monday` that falls on ISO weekday `day` (1 = Monday).
pub fn date_in_week(monday: NaiveDate, day: i32) -> Option<NaiveDate> {
    let offset = u64::try_from(day - 1).ok().filter(|d| *d < 7)?;
    monday.checked_add_days(Days::new(offset))
}

pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// For each slot, whether it overlaps any other (touching end-to-start is no overlap).
pub fn overlaps(slots: &[Slot]) -> Vec<bool> {
    slots
        .iter()
        .enumerate()
        .map(|(i, a)| {
            slots.iter().enumerate().any(|(j, b)| i != j && a.starts_at < b.ends_at && b.starts_at < a.ends_at)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn five_of_six_over_a_two_week_old_referral() {
        let today = d("2026-03-15");
        let attended = [d("2026-03-02"), d("2026-03-04"), d("2026-03-08"), d("2026-03-10"), d("2026-03-13")];
        let a = adherence(3, d("2026-03-01"), today, &attended);
        assert_eq!((a.attended, a.expected, a.rate), (5, 6.0, Some(0.83)));
    }

    #[test]
    fn the_window_is_four_weeks_at_most() {
        let a = adherence(7, d("2026-01-01"), d("2026-03-15"), &[d("2026-02-01")]);
        assert_eq!(a.window_days, 28);
        assert_eq!(a.attended, 0, "outside the window");
        assert_eq!(a.expected, 28.0);
        assert_eq!(adherence(3, d("2026-03-15"), d("2026-03-15"), &[]).rate, None);
    }

    #[test]
    fn meetings_keep_their_local_time_across_dst() {
        let tz: Tz = "America/New_York".parse().expect("tz");
        let seven_pm = NaiveTime::from_hms_opt(19, 0, 0).expect("time");
        // Before and after the 2026-03-08 change, 19:00 local is 00:00 and 23:00 UTC.
        assert_eq!(local_instant(tz, d("2026-03-07"), seven_pm).to_rfc3339(), "2026-03-08T00:00:00+00:00");
        assert_eq!(local_instant(tz, d("2026-03-09"), seven_pm).to_rfc3339(), "2026-03-09T23:00:00+00:00");
        // 02:30 does not exist on the change day: it starts at 03:00 local.
        let gap = local_instant(tz, d("2026-03-08"), NaiveTime::from_hms_opt(2, 30, 0).expect("time"));
        assert_eq!(gap.to_rfc3339(), "2026-03-08T07:00:00+00:00");
    }

    #[test]
    fn weeks_start_on_monday_and_overlaps_are_found() {
        assert_eq!(week_start(d("2026-11-27")), d("2026-11-23"));
        assert_eq!(date_in_week(d("2026-11-23"), 7), Some(d("2026-11-29")));
        let t = |h: u32| Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).single().expect("t");
        let slots = [
            Slot { starts_at: t(10), ends_at: t(11) },
            Slot { starts_at: t(10), ends_at: t(12) },
            Slot { starts_at: t(12), ends_at: t(13) },
        ];
        assert_eq!(overlaps(&slots), vec![true, true, false]);
    }
}
