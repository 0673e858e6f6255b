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

pub const DEMO_PASSWORD: &str = "continuum-demo-password";
pub const SUPERVISOR: &str = "supervisor@demo.continuum";
pub const COUNSELORS: [&str; 2] = ["counselor1@demo.continuum", "counselor2@demo.continuum"];

fn viewer(id: Uuid, role: Role) -> Viewer {
    Viewer { staff_id: id, role, session_id: Uuid::nil() }
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
    // (first, last, gender, substances, co-occurring, secular, language, where they are)
    let people: [(&str, &str, Gender, Vec<Substance>, bool, bool, &str, &str); 12] = [
        ("Maria", "Lopez", Gender::Woman, vec![Alcohol], false, true, "es", "detox"),
        ("James", "Carter", Gender::Man, vec![Opioids], false, false, "en", "detox"),
        ("Aisha", "Bello", Gender::Woman, vec![Benzodiazepines, Alcohol], true, false, "en", "detox"),
        ("Tom", "Nguyen", Gender::Man, vec![Methamphetamine], false, false, "en", "rehab"),
        ("Rosa", "Silva", Gender::Woman, vec![Cocaine], false, true, "es", "rehab"),
        ("Ben", "Okafor", Gender::Man, vec![Alcohol], true, false, "en", "rehab"),
        ("Chloe", "Martin", Gender::Woman, vec![Opioids], false, false, "en", "aftercare"),
        ("Dev", "Patel", Gender::Man, vec![Cannabis, Alcohol], false, true, "en", "aftercare"),
        ("Ella", "Novak", Gender::NonBinary, vec![Opioids], true, false, "en", "aftercare-overdue"),
        ("Frank", "Moss", Gender::Man, vec![Alcohol], false, false, "en", "aftercare-overdue"),
        ("Gina", "Hart", Gender::Woman, vec![Cocaine, Alcohol], false, false, "en", "discharged"),
        ("Hugo", "Brandt", Gender::Man, vec![OtherStimulants], false, false, "en", "discharged-left"),
    ];
    let today = state.today();
    for (i, (first, last, gender, substances, co, secular, lang, place)) in people.into_iter().enumerate() {
        let counselor = if i % 2 == 0 { &c1 } else { &c2 };
        let me = viewer(counselor.id, Role::Counselor);
        let c = client::register(
            state,
            &me,
            client::NewClient {
                first_name: first.into(),
                last_name: last.into(),
                preferred_name: None,
                date_of_birth: today - chrono::Days::new(365 * (25 + i as u64 * 3)),
                gender: Some(gender),
                substances,
                co_occurring_mental_health: co,
                prefers_secular: secular,
                language: Some(lang.into()),
                primary_counselor_id: None,
            },
        )
        .await?;
        let (stage, level, days_ago) = match place {
            "detox" => (Stage::Detox, Some(LevelOfCare::Wm3_2), 2),
            "rehab" => (Stage::Rehab, Some(LevelOfCare::L3_5), 20),
            "aftercare" => (Stage::Aftercare, None, 3),
            "aftercare-overdue" => (Stage::Aftercare, Some(LevelOfCare::L1), 40),
            _ => (Stage::Rehab, Some(LevelOfCare::L2_1), 60),
        };
        let ep = episode::admit(
            state,
            &me,
            episode::Admission {
                client_id: c.id,
                stage,
                level_of_care: level,
                admitted_at: Some(Utc::now() - Duration::days(days_ago)),
            },
        )
        .await?;
        let refer = |abbr: &'static str, status| referral::NewReferral {
            client_id: c.id,
            support_group_id: group(abbr).unwrap_or_default(),
            meeting_id: meeting(abbr),
            status: Some(status),
            note: None,
        };
        match place {
            "rehab" => {
                let r = referral::refer(state, &me, refer(if i == 3 { "CMA" } else { "NA" }, ReferralStatus::Referred))
                    .await?;
                referral::record_attendance(
                    state,
                    &me,
                    referral::NewAttendance { referral_id: r.id, attended_on: today, verified: true, note: None },
                )
                .await?;
                referral::refer(state, &me, refer("SMART", ReferralStatus::Planned)).await?;
            }
            "aftercare" | "aftercare-overdue" => {
                let r =
                    referral::refer(state, &me, refer(if i % 2 == 0 { "NA" } else { "AA" }, ReferralStatus::Referred))
                        .await?;
                if place == "aftercare" {
                    referral::record_attendance(
                        state,
                        &me,
                        referral::NewAttendance { referral_id: r.id, attended_on: today, verified: false, note: None },
                    )
                    .await?;
                }
            }
            "discharged" | "discharged-left" => {
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
                let reason =
                    if place == "discharged" { DischargeReason::Completed } else { DischargeReason::LeftAgainstAdvice };
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
                if let (Some(first), true) = (page.items.first(), place == "discharged") {
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
            _ => {}
        }
    }
    Ok(sign_ins)
}
