//! The support-group directory: every signed-in staff member reads it; ADMIN edits it.

use chrono::NaiveTime;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set, SqlErr};
use uuid::Uuid;

use crate::service::{
    audit::Target,
    write::{Tx, Who, Write, write},
};
use crate::{
    auth::Viewer,
    domain::{
        MeetingFormat,
        client::{MAX_NOTE_CHARS, check_language, check_text},
        staff::check_name,
    },
    entity::{meeting, support_group},
    error::{AppError, AppResult},
    state::AppState,
};

#[derive(Clone)]
pub struct NewSupportGroup {
    pub name: String,
    pub abbreviation: String,
    pub twelve_step: bool,
    pub audience: Option<String>,
    pub description: String,
}

#[derive(Clone)]
pub struct NewMeeting {
    pub support_group_id: Uuid,
    pub name: String,
    pub format: MeetingFormat,
    pub day_of_week: i32,
    pub start_time: String,
    pub duration_minutes: Option<i32>,
    pub time_zone: String,
    pub address: Option<String>,
    pub url: Option<String>,
    pub language: String,
    pub types: Vec<String>,
}

pub async fn groups(state: &AppState) -> AppResult<Vec<support_group::Model>> {
    Ok(support_group::Entity::find().order_by_asc(support_group::Column::Id).all(&state.db).await?)
}

pub async fn group(state: &AppState, id: Uuid) -> AppResult<Option<support_group::Model>> {
    Ok(support_group::Entity::find_by_id(id).one(&state.db).await?)
}

pub async fn create_group(
    state: &AppState,
    viewer: &Viewer,
    input: NewSupportGroup,
) -> AppResult<support_group::Model> {
    let spec = Write::new("createSupportGroup", Who::Admin, Target::Nothing);
    write(state, viewer, spec, |tx| create_group_in(tx, input.clone())).await
}

async fn create_group_in(tx: Tx, input: NewSupportGroup) -> AppResult<(Tx, support_group::Model)> {
    let name = check_name(&input.name).map_err(|m| AppError::bad_field("name", m))?;
    let abbreviation = input.abbreviation.trim().to_owned();
    if abbreviation.is_empty()
        || abbreviation.chars().count() > 16
        || !abbreviation.chars().all(|c| c.is_alphanumeric() || c == '-')
    {
        return Err(AppError::bad_field("abbreviation", "an abbreviation of 1 to 16 letters, digits or dashes"));
    }
    check_text("description", &input.description, MAX_NOTE_CHARS)?;
    if input.description.trim().is_empty() {
        return Err(AppError::bad_field("description", "a description is required"));
    }
    let audience = input.audience.unwrap_or_default();
    check_text("audience", &audience, 500)?;
    let inserted = support_group::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        abbreviation: Set(abbreviation),
        twelve_step: Set(input.twelve_step),
        audience: Set(audience),
        description: Set(input.description),
    }
    .insert(tx.conn())
    .await;
    let group = match inserted {
        Ok(g) => g,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::bad_field("abbreviation", "a group with this abbreviation already exists"));
        }
        Err(e) => return Err(e.into()),
    };
    Ok((tx, group))
}

fn check_url(url: &str) -> AppResult<()> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 500
        && url.len() > "https://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_field("url", "url must be an http(s) address of at most 500 characters"))
    }
}

pub async fn create_meeting(state: &AppState, viewer: &Viewer, input: NewMeeting) -> AppResult<meeting::Model> {
    let spec = Write::new("createMeeting", Who::Admin, Target::Nothing);
    write(state, viewer, spec, |tx| create_meeting_in(tx, input.clone())).await
}

async fn create_meeting_in(tx: Tx, input: NewMeeting) -> AppResult<(Tx, meeting::Model)> {
    let name = check_name(&input.name).map_err(|m| AppError::bad_field("name", m))?;
    if !(1..=7).contains(&input.day_of_week) {
        return Err(AppError::bad_field("dayOfWeek", "dayOfWeek is 1 (Monday) to 7 (Sunday)"));
    }
    let start_time = NaiveTime::parse_from_str(input.start_time.trim(), "%H:%M")
        .map_err(|_| AppError::bad_field("startTime", "startTime is a local time like 19:30"))?;
    let duration = input.duration_minutes.unwrap_or(60);
    if !(10..=480).contains(&duration) {
        return Err(AppError::bad_field("durationMinutes", "a meeting lasts 10 to 480 minutes"));
    }
    if input.time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::bad_field("timeZone", "timeZone must be an IANA time zone such as America/Chicago"));
    }
    let address = input.address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
    let url = input.url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(a) = &address {
        check_text("address", a, 500)?;
    }
    if let Some(u) = &url {
        check_url(u)?;
    }
    match input.format {
        MeetingFormat::InPerson | MeetingFormat::Hybrid if address.is_none() => {
            return Err(AppError::bad_field("address", "an in-person or hybrid meeting needs an address"));
        }
        MeetingFormat::Online | MeetingFormat::Hybrid if url.is_none() => {
            return Err(AppError::bad_field("url", "an online or hybrid meeting needs a join link"));
        }
        _ => {}
    }
    let language = check_language(&input.language)?;
    let mut types: Vec<String> =
        input.types.iter().map(|t| t.trim().to_uppercase()).filter(|t| !t.is_empty()).collect();
    types.sort();
    types.dedup();
    if types.len() > 20
        || types.iter().any(|t| t.len() > 8 || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(AppError::bad_field(
            "types",
            "up to 20 meeting-type codes of 1 to 8 letters or digits, like O, C, W",
        ));
    }

    if support_group::Entity::find_by_id(input.support_group_id).one(tx.conn()).await?.is_none() {
        return Err(AppError::bad_field("supportGroupId", "no such support group"));
    }
    let meeting = meeting::ActiveModel {
        id: Set(Uuid::now_v7()),
        support_group_id: Set(input.support_group_id),
        name: Set(name),
        format: Set(input.format),
        day_of_week: Set(input.day_of_week),
        start_time: Set(start_time),
        duration_minutes: Set(duration),
        time_zone: Set(input.time_zone.trim().to_owned()),
        address: Set(address),
        url: Set(url),
        language: Set(language),
        types: Set(types.join(",")),
    }
    .insert(tx.conn())
    .await?;
    Ok((tx, meeting))
}
