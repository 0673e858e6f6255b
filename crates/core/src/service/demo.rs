//! `continuum serve --demo`: a demo team and caseload, made through the same services
//! (and so the same rules) as real work. Refused in production; loaded once.

use chrono::{Duration, Utc};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{
        DischargeReason, FollowUpOutcome, FollowUpStatus, Gender, LevelOfCare, MeetingFormat, ReferralStatus, Role,
        Stage, Substance,
    },
    error::{AppError, AppResult},
    service::{client, directory, episode, follow_up, referral, staff},
    state::AppState,
};

pub const DEMO_PASSWORD: &str = "quiet-river-lantern-83";
pub const SUPERVISOR: &str = "supervisor@demo.continuum";
pub const COUNSELORS: [&str; 2] = ["counselor1@demo.continuum", "counselor2@demo.continuum"];

fn viewer(id: Uuid, role: Role) -> Viewer {
    Viewer { staff_id: id, role, session_id: Uuid::nil(), at: Utc::now(), request_id: None, member: None }
}

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
    let admin = viewer(admin.id, Role::Admin);
    let groups = directory::groups(state).await?;
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
        Person::new("Maria", "Lopez", Gender::Woman, &[Alcohol], "es", Place::Detox).secular(),
        Person::new("James", "Carter", Gender::Man, &[Opioids], "en", Place::Detox),
        Person::new("Aisha", "Bello", Gender::Woman, &[Benzodiazepines, Alcohol], "en", Place::Detox).co_occurring(),
        Person::new("Tom", "Nguyen", Gender::Man, &[Methamphetamine], "en", Place::Rehab),
        Person::new("Rosa", "Silva", Gender::Woman, &[Cocaine], "es", Place::Rehab).secular(),
        Person::new("Ben", "Okafor", Gender::Man, &[Alcohol], "en", Place::Rehab).co_occurring(),
        Person::new("Chloe", "Martin", Gender::Woman, &[Opioids], "en", Place::Aftercare),
        Person::new("Dev", "Patel", Gender::Man, &[Cannabis, Alcohol], "en", Place::Aftercare).secular(),
        Person::new("Ella", "Novak", Gender::NonBinary, &[Opioids], "en", Place::AftercareOverdue).co_occurring(),
        Person::new("Frank", "Moss", Gender::Man, &[Alcohol], "en", Place::AftercareOverdue),
        Person::new("Gina", "Hart", Gender::Woman, &[Cocaine, Alcohol], "en", Place::Discharged),
        Person::new("Hugo", "Brandt", Gender::Man, &[OtherStimulants], "en", Place::LeftAgainstAdvice),
    ];
    let today = state.today();
    for (i, Person { first, last, gender, substances, co, secular, lang, place }) in people.into_iter().enumerate() {
        let counselor = if i % 2 == 0 { &c1 } else { &c2 };
        let me = viewer(counselor.id, Role::Counselor);
        let c = client::register(
            state,
            &me,
            client::NewClient {
                id: None,
                first_name: first.into(),
                last_name: last.into(),
                preferred_name: None,
                date_of_birth: today - chrono::Days::new(365 * (25 + i as u64 * 3)),
                gender: Some(gender),
                substances: substances.to_vec(),
                co_occurring_mental_health: co,
                prefers_secular: secular,
                language: Some(lang.into()),
                primary_counselor_id: None,
            },
        )
        .await?;
        let (stage, level, days_ago) = match place {
            Place::Detox => (Stage::Detox, Some(LevelOfCare::Wm3_2), 2),
            Place::Rehab => (Stage::Rehab, Some(LevelOfCare::L3_5), 20),
            Place::Aftercare => (Stage::Aftercare, None, 3),
            Place::AftercareOverdue => (Stage::Aftercare, Some(LevelOfCare::L1), 40),
            Place::Discharged | Place::LeftAgainstAdvice => (Stage::Rehab, Some(LevelOfCare::L2_1), 60),
        };
        let ep = episode::admit(
            state,
            &me,
            episode::Admission {
                id: None,
                client_id: c.id,
                stage,
                level_of_care: level,
                admitted_at: Some(Utc::now() - Duration::days(days_ago)),
            },
        )
        .await?;
        let refer = |abbr: &'static str, status| referral::NewReferral {
            id: None,
            client_id: c.id,
            support_group_id: group(abbr).unwrap_or_default(),
            meeting_id: meeting(abbr),
            status: Some(status),
            note: None,
            weekly_goal: Some(3),
        };
        match place {
            Place::Rehab => {
                let r = referral::refer(state, &me, refer(if i == 3 { "CMA" } else { "NA" }, ReferralStatus::Referred))
                    .await?;
                referral::record_attendance(
                    state,
                    &me,
                    referral::NewAttendance {
                        id: None,
                        referral_id: r.id,
                        attended_on: today,
                        verified: true,
                        note: None,
                    },
                )
                .await?;
                referral::refer(state, &me, refer("SMART", ReferralStatus::Planned)).await?;
            }
            Place::Aftercare | Place::AftercareOverdue => {
                let r =
                    referral::refer(state, &me, refer(if i % 2 == 0 { "NA" } else { "AA" }, ReferralStatus::Referred))
                        .await?;
                if place == Place::Aftercare {
                    referral::record_attendance(
                        state,
                        &me,
                        referral::NewAttendance {
                            id: None,
                            referral_id: r.id,
                            attended_on: today,
                            verified: false,
                            note: None,
                        },
                    )
                    .await?;
                }
            }
            Place::Discharged | Place::LeftAgainstAdvice => {
                let moved = episode::change_stage(
                    state,
                    &me,
                    episode::StageMove {
                        episode_id: ep.id,
                        expected_version: ep.version,
                        stage: Stage::Aftercare,
                        level_of_care: None,
                        reason: None,
                    },
                )
                .await?;
                let reason = if place == Place::Discharged {
                    DischargeReason::Completed
                } else {
                    DischargeReason::LeftAgainstAdvice
                };
                episode::discharge(
                    state,
                    &me,
                    episode::Discharge { episode_id: moved.id, expected_version: moved.version, reason, note: None },
                )
                .await?;
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

struct Person {
    first: &'static str,
    last: &'static str,
    gender: Gender,
    substances: &'static [Substance],
    co: bool,
    secular: bool,
    lang: &'static str,
    place: Place,
}

impl Person {
    fn new(
        first: &'static str,
        last: &'static str,
        gender: Gender,
        substances: &'static [Substance],
        lang: &'static str,
        place: Place,
    ) -> Self {
        Person { first, last, gender, substances, co: false, secular: false, lang, place }
    }

    fn secular(self) -> Self {
        Person { secular: true, ..self }
    }

    fn co_occurring(self) -> Self {
        Person { co: true, ..self }
    }
}
