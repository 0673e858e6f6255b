//! `continuum serve --demo`: a demo team and caseload, made through the same services
//! (and so the same rules) as real work. Refused in production; loaded once.

use chrono::{Duration, Utc};

use crate::{
    domain::{
        DischargeReason, FollowUpOutcome, FollowUpStatus, Gender, LevelOfCare, MeetingFormat, ReferralStatus, Role,
        Stage, Substance,
    },
    error::{AppError, AppResult},
    service::{
        directory,
        fixtures::{self, acting},
        follow_up, staff,
    },
    state::AppState,
};

pub const DEMO_PASSWORD: &str = "quiet-river-lantern-83";
pub const SUPERVISOR: &str = "supervisor@demo.continuum";
pub const COUNSELORS: [&str; 2] = ["counselor1@demo.continuum", "counselor2@demo.continuum"];

/// Loads the demo unless it is there already; returns the sign-ins to print.
pub async fn load(state: &AppState) -> AppResult<Vec<(String, &'static str)>> {
    if state.config.is_production() {
        return Err(AppError::Forbidden("--demo is refused in production"));
    }
    let sign_ins =
        std::iter::once(SUPERVISOR).chain(COUNSELORS).map(|e| (e.to_owned(), DEMO_PASSWORD)).collect::<Vec<_>>();
    if staff::find_by_email(state, SUPERVISOR).await?.is_some() {
        return Ok(sign_ins);
    }
    let new = |email: &str, name: &str, role, supervisor_id| staff::NewStaff {
        id: None,
        email: email.into(),
        name: name.into(),
        role,
        password: DEMO_PASSWORD.into(),
        supervisor_id,
    };
    let sup =
        staff::create(state, None, new(SUPERVISOR, "Sam Rivera (demo supervisor)", Role::Supervisor, None)).await?;
    let c1 = staff::create(state, None, new(COUNSELORS[0], "Alex Kim (demo counselor)", Role::Counselor, Some(sup.id)))
        .await?;
    let c2 =
        staff::create(state, None, new(COUNSELORS[1], "Jordan Lee (demo counselor)", Role::Counselor, Some(sup.id)))
            .await?;

    // The directory's meetings need an administrator's hand.
    let admin = staff::any_admin(state).await?.ok_or_else(|| AppError::internal(anyhow::anyhow!("no admin")))?;
    let admin = acting(admin.id, Role::Admin);
    let groups = directory::groups(state, false).await?;
    let group = |abbr: &str| groups.iter().find(|g| g.abbreviation == abbr).map(|g| g.id);
    let mut meetings = Vec::new();
    for (abbr, name, format, day, time, address, url, lang, types) in [
        (
            "NA",
            "Hope Group",
            MeetingFormat::InPerson,
            1,
            "19:00",
            Some("12 Main St, Springfield"),
            None,
            "en",
            vec!["O"],
        ),
        (
            "NA",
            "Noon Recovery (online)",
            MeetingFormat::Online,
            3,
            "12:00",
            None,
            Some("https://meet.example.org/na-noon"),
            "en",
            vec!["O"],
        ),
        (
            "AA",
            "Grupo Esperanza",
            MeetingFormat::InPerson,
            2,
            "18:30",
            Some("40 Oak Ave, Springfield"),
            None,
            "es",
            vec!["O"],
        ),
        (
            "AA",
            "Big Book Study",
            MeetingFormat::Hybrid,
            4,
            "20:00",
            Some("5 Elm Rd, Springfield"),
            Some("https://meet.example.org/aa-bb"),
            "en",
            vec!["C"],
        ),
        (
            "SMART",
            "SMART Tools Tuesday",
            MeetingFormat::Online,
            2,
            "17:00",
            None,
            Some("https://meet.example.org/smart"),
            "en",
            vec!["A"],
        ),
        (
            "WFS",
            "New Life Circle",
            MeetingFormat::InPerson,
            5,
            "10:00",
            Some("9 Birch Ln, Springfield"),
            None,
            "en",
            vec!["W", "C"],
        ),
        (
            "DRA",
            "Double Trouble",
            MeetingFormat::InPerson,
            6,
            "11:00",
            Some("77 Pine St, Springfield"),
            None,
            "en",
            vec!["DD", "O"],
        ),
        (
            "CMA",
            "Clear Path",
            MeetingFormat::Online,
            7,
            "19:30",
            None,
            Some("https://meet.example.org/cma"),
            "en",
            vec!["O"],
        ),
    ] {
        let Some(group_id) = group(abbr) else { continue };
        let m = directory::create_meeting(
            state,
            &admin,
            directory::NewMeeting {
                support_group_id: group_id,
                name: name.into(),
                format,
                day_of_week: day,
                start_time: time.into(),
                duration_minutes: Some(60),
                time_zone: state.config.timezone.name().into(),
                address: address.map(Into::into),
                url: url.map(Into::into),
                language: lang.into(),
                types: types.into_iter().map(Into::into).collect(),
            },
        )
        .await?;
        meetings.push((abbr, m.id));
    }
    let meeting = |abbr: &str| meetings.iter().find(|(a, _)| *a == abbr).map(|(_, id)| *id);

    use Substance::*;
    let people = [
        Story::new("Maria", "Lopez", Gender::Woman, &[Alcohol], "es", Place::Detox).secular(),
        Story::new("James", "Carter", Gender::Man, &[Opioids], "en", Place::Detox),
        Story::new("Aisha", "Bello", Gender::Woman, &[Benzodiazepines, Alcohol], "en", Place::Detox).co_occurring(),
        Story::new("Tom", "Nguyen", Gender::Man, &[Methamphetamine], "en", Place::Rehab),
        Story::new("Rosa", "Silva", Gender::Woman, &[Cocaine], "es", Place::Rehab).secular(),
        Story::new("Ben", "Okafor", Gender::Man, &[Alcohol], "en", Place::Rehab).co_occurring(),
        Story::new("Chloe", "Martin", Gender::Woman, &[Opioids], "en", Place::Aftercare),
        Story::new("Dev", "Patel", Gender::Man, &[Cannabis, Alcohol], "en", Place::Aftercare).secular(),
        Story::new("Ella", "Novak", Gender::NonBinary, &[Opioids], "en", Place::AftercareOverdue).co_occurring(),
        Story::new("Frank", "Moss", Gender::Man, &[Alcohol], "en", Place::AftercareOverdue),
        Story::new("Gina", "Hart", Gender::Woman, &[Cocaine, Alcohol], "en", Place::Discharged),
        Story::new("Hugo", "Brandt", Gender::Man, &[OtherStimulants], "en", Place::LeftAgainstAdvice),
    ];
    let today = state.today();
    for (i, Story { first, last, gender, substances, co, secular, lang, place }) in people.into_iter().enumerate() {
        let counselor = if i % 2 == 0 { &c1 } else { &c2 };
        let me = acting(counselor.id, Role::Counselor);
        let dob = today - chrono::Days::new(365 * (25 + i as u64 * 3));
        let person = fixtures::Person::new(first, last, dob, gender, substances)
            .co_occurring(co)
            .secular(secular)
            .language(lang);
        let c = fixtures::register(state, &me, person).await?;
        let (stage, level, days_ago) = match place {
            Place::Detox => (Stage::Detox, Some(LevelOfCare::Wm3_2), 2),
            Place::Rehab => (Stage::Rehab, Some(LevelOfCare::L3_5), 20),
            Place::Aftercare => (Stage::Aftercare, None, 3),
            Place::AftercareOverdue => (Stage::Aftercare, Some(LevelOfCare::L1), 40),
            Place::Discharged | Place::LeftAgainstAdvice => (Stage::Rehab, Some(LevelOfCare::L2_1), 60),
        };
        let admitted_at = Some(Utc::now() - Duration::days(days_ago));
        let ep = fixtures::admit(state, &me, c.id, stage, level, admitted_at).await?;
        let refer = |abbr: &'static str, status| fixtures::Referral {
            support_group_id: group(abbr).unwrap_or_default(),
            meeting_id: meeting(abbr),
            status,
            // One weekly meeting allows one a week; the group as a whole, three.
            weekly_goal: Some(if meeting(abbr).is_some() { 1 } else { 3 }),
            note: None,
        };
        match place {
            Place::Rehab => {
                let group = if i == 3 { "CMA" } else { "NA" };
                let r = fixtures::refer(state, &me, c.id, refer(group, ReferralStatus::Referred)).await?;
                fixtures::attend(state, &me, r.id, today, true).await?;
                fixtures::refer(state, &me, c.id, refer("SMART", ReferralStatus::Planned)).await?;
            }
            Place::Aftercare | Place::AftercareOverdue => {
                let group = if i % 2 == 0 { "NA" } else { "AA" };
                let r = fixtures::refer(state, &me, c.id, refer(group, ReferralStatus::Referred)).await?;
                if place == Place::Aftercare {
                    fixtures::attend(state, &me, r.id, today, false).await?;
                }
            }
            Place::Discharged | Place::LeftAgainstAdvice => {
                let moved = fixtures::move_to(state, &me, &ep, Stage::Aftercare, None, None).await?;
                let reason = if place == Place::Discharged {
                    DischargeReason::Completed
                } else {
                    DischargeReason::LeftAgainstAdvice
                };
                fixtures::discharge(state, &me, &moved, reason).await?;
                let page = follow_up::list(
                    state,
                    &me,
                    &follow_up::FollowUpFilter { client_id: Some(c.id), ..Default::default() },
                    crate::service::pagination::PageRequest::new(Some(1), None)?,
                    false,
                )
                .await?;
                if let (Some(first), true) = (page.items.first(), place == Place::Discharged) {
                    follow_up::record(
                        state,
                        &me,
                        follow_up::Contact {
                            follow_up_id: first.id,
                            expected_version: first.version,
                            status: FollowUpStatus::Completed,
                            outcome: Some(FollowUpOutcome::Abstinent),
                            attending_support_group: Some(true),
                            contacted_at: None,
                            note: Some("doing well".into()),
                        },
                    )
                    .await?;
                }
            }
            Place::Detox => {}
        }
    }
    Ok(sign_ins)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Detox,
    Rehab,
    Aftercare,
    /// Admitted 40 days ago: the 7- and 30-day follow-ups are overdue.
    AftercareOverdue,
    Discharged,
    LeftAgainstAdvice,
}

/// A demo client: who they are and where their episode stands.
struct Story {
    first: &'static str,
    last: &'static str,
    gender: Gender,
    substances: &'static [Substance],
    co: bool,
    secular: bool,
    lang: &'static str,
    place: Place,
}

impl Story {
    fn new(
        first: &'static str,
        last: &'static str,
        gender: Gender,
        substances: &'static [Substance],
        lang: &'static str,
        place: Place,
    ) -> Self {
        Story { first, last, gender, substances, co: false, secular: false, lang, place }
    }

    fn secular(self) -> Self {
        Story { secular: true, ..self }
    }

    fn co_occurring(self) -> Self {
        Story { co: true, ..self }
    }
}
