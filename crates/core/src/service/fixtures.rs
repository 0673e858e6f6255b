//! Records made through the real services, and so under the same rules as real work, for
//! whoever seeds a database: `serve --demo` and `continuum-dataset`. One way to make a
//! client, an episode and its moves, a referral and an attendance.
//! (The API tests seed through GraphQL instead: `tests/api/documents.rs`.)

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{DischargeReason, Gender, LevelOfCare, ReferralStatus, Role, Stage, Substance},
    entity::{client, episode, referral as referral_row},
    error::AppResult,
    service::{client as clients, episode as episodes, referral as referrals},
    state::AppState,
};

/// The staff member a seeder acts as: no session, since nobody signed in.
pub fn acting(staff_id: Uuid, role: Role) -> Viewer {
    Viewer { staff_id, role, session_id: Uuid::nil(), at: Utc::now(), request_id: None, member: None }
}

/// A client to register.
#[derive(Debug, Clone)]
pub struct Person {
    pub first: String,
    pub last: String,
    pub preferred: Option<String>,
    pub date_of_birth: NaiveDate,
    pub gender: Gender,
    pub substances: Vec<Substance>,
    pub co_occurring: bool,
    pub secular: bool,
    pub language: String,
}

impl Person {
    pub fn new(first: &str, last: &str, date_of_birth: NaiveDate, gender: Gender, substances: &[Substance]) -> Self {
        Person {
            first: first.into(),
            last: last.into(),
            preferred: None,
            date_of_birth,
            gender,
            substances: substances.to_vec(),
            co_occurring: false,
            secular: false,
            language: "en".into(),
        }
    }

    pub fn secular(self, secular: bool) -> Self {
        Person { secular, ..self }
    }

    pub fn co_occurring(self, co_occurring: bool) -> Self {
        Person { co_occurring, ..self }
    }

    pub fn language(self, language: &str) -> Self {
        Person { language: language.into(), ..self }
    }

    pub fn preferred(self, preferred: Option<String>) -> Self {
        Person { preferred, ..self }
    }
}

/// Registers the person onto `by`'s own caseload.
pub async fn register(state: &AppState, by: &Viewer, person: Person) -> AppResult<client::Model> {
    let new = clients::NewClient {
        id: None,
        first_name: person.first,
        last_name: person.last,
        preferred_name: person.preferred,
        date_of_birth: person.date_of_birth,
        gender: Some(person.gender),
        substances: person.substances,
        co_occurring_mental_health: person.co_occurring,
        prefers_secular: person.secular,
        language: Some(person.language),
        primary_counselor_id: None,
        // Made-up people, distinct by construction: a shared birthday and first name among
        // thousands is chance, not a second registration.
        confirm_not_duplicate: true,
    };
    clients::register(state, by, new).await
}

pub async fn admit(
    state: &AppState,
    by: &Viewer,
    client_id: Uuid,
    stage: Stage,
    level_of_care: Option<LevelOfCare>,
    admitted_at: Option<DateTime<Utc>>,
) -> AppResult<episode::Model> {
    let admission = episodes::Admission { id: None, client_id, stage, level_of_care, admitted_at, intake: None };
    episodes::admit(state, by, admission).await
}

/// Moves the episode on (at its current version).
pub async fn move_to(
    state: &AppState,
    by: &Viewer,
    episode: &episode::Model,
    stage: Stage,
    level_of_care: Option<LevelOfCare>,
    reason: Option<&str>,
) -> AppResult<episode::Model> {
    let change = episodes::StageMove {
        episode_id: episode.id,
        expected_version: episode.version,
        stage,
        level_of_care,
        reason: reason.map(Into::into),
    };
    episodes::change_stage(state, by, change).await
}

pub async fn discharge(
    state: &AppState,
    by: &Viewer,
    episode: &episode::Model,
    reason: DischargeReason,
) -> AppResult<episode::Model> {
    let discharge = episodes::Discharge {
        episode_id: episode.id,
        expected_version: episode.version,
        reason,
        discharged_to: None,
        note: None,
    };
    episodes::discharge(state, by, discharge).await
}

/// A referral to make.
#[derive(Debug, Clone)]
pub struct Referral {
    pub support_group_id: Uuid,
    pub meeting_id: Option<Uuid>,
    pub status: ReferralStatus,
    pub weekly_goal: Option<i32>,
    pub note: Option<String>,
}

pub async fn refer(state: &AppState, by: &Viewer, client_id: Uuid, to: Referral) -> AppResult<referral_row::Model> {
    let new = referrals::NewReferral {
        id: None,
        client_id,
        support_group_id: to.support_group_id,
        meeting_id: to.meeting_id,
        status: Some(to.status),
        note: to.note,
        weekly_goal: to.weekly_goal,
    };
    referrals::refer(state, by, new).await
}

pub async fn set_status(
    state: &AppState,
    by: &Viewer,
    current: &referral_row::Model,
    status: ReferralStatus,
    reason: Option<&str>,
) -> AppResult<referral_row::Model> {
    let change = referrals::StatusChange {
        referral_id: current.id,
        expected_version: current.version,
        status,
        reason: reason.map(Into::into),
    };
    referrals::update_status(state, by, change).await
}

pub async fn attend(
    state: &AppState,
    by: &Viewer,
    referral_id: Uuid,
    on: NaiveDate,
    verified: bool,
) -> AppResult<referral_row::Model> {
    let attendance = referrals::NewAttendance { id: None, referral_id, attended_on: on, verified, note: None };
    referrals::record_attendance(state, by, attendance).await
}
