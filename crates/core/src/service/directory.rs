//! The support-group directory: every signed-in staff member reads it; ADMIN edits it.

use chrono::NaiveTime;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::service::{
    audit::Target,
    write::{Tx, Who, Write, write},
};
use crate::{
    auth::Viewer,
    domain::{
        GroupAudience, MeetingFormat, RuleViolation, Substance,
        client::{MAX_NOTE_CHARS, check_language, check_text, decode_substances, encode_substances, primary_language},
        staff::check_name,
    },
    entity::{meeting, support_group},
    error::{AppError, AppResult},
    service::client::stale,
    state::AppState,
};

#[derive(Clone)]
pub struct NewSupportGroup {
    pub name: String,
    pub abbreviation: String,
    pub twelve_step: bool,
    pub audience: Option<String>,
    pub description: String,
    pub open_to: GroupAudience,
    pub secular: bool,
    pub co_occurring: bool,
    pub substance_focus: Vec<Substance>,
    pub languages: Vec<String>,
}

/// An edit of a group; `None` keeps the value. The abbreviation is the group's name in
/// reports and does not change.
#[derive(Clone, Default)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub twelve_step: Option<bool>,
    pub audience: Option<String>,
    pub description: Option<String>,
    pub open_to: Option<GroupAudience>,
    pub secular: Option<bool>,
    pub co_occurring: Option<bool>,
    pub substance_focus: Option<Vec<Substance>>,
    pub languages: Option<Vec<String>>,
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

/// An edit of a meeting; `None` keeps the value, `Some(None)` clears an address or link.
#[derive(Clone, Default)]
pub struct MeetingChanges {
    pub name: Option<String>,
    pub format: Option<MeetingFormat>,
    pub day_of_week: Option<i32>,
    pub start_time: Option<String>,
    pub duration_minutes: Option<i32>,
    pub time_zone: Option<String>,
    pub address: Option<Option<String>>,
    pub url: Option<Option<String>>,
    pub language: Option<String>,
    pub types: Option<Vec<String>>,
}

/// The directory, oldest first; retired groups only when asked for.
pub async fn groups(state: &AppState, include_retired: bool) -> AppResult<Vec<support_group::Model>> {
    let mut query = support_group::Entity::find().order_by_asc(support_group::Column::Id);
    if !include_retired {
        query = query.filter(support_group::Column::RetiredAt.is_null());
    }
    Ok(query.all(&state.db).await?)
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

/// A group's fields, checked: what a new group is made of and an edited one must still be.
struct CheckedGroup {
    name: String,
    audience: String,
    substance_focus: String,
    languages: String,
}

fn check_group(input: &NewSupportGroup) -> AppResult<CheckedGroup> {
    let name = check_name(&input.name).map_err(|m| AppError::bad_field("name", m))?;
    check_text("description", &input.description, MAX_NOTE_CHARS)?;
    if input.description.trim().is_empty() {
        return Err(AppError::bad_field("description", "a description is required"));
    }
    let audience = input.audience.clone().unwrap_or_default();
    check_text("audience", &audience, 500)?;
    if input.secular && input.twelve_step {
        return Err(AppError::bad_field("secular", "a 12-step program is not a secular one: set one or the other"));
    }
    let mut languages = Vec::new();
    for tag in &input.languages {
        let tag = primary_language(
            &check_language(tag)
                .map_err(|_| AppError::bad_field("languages", "languages are BCP 47 tags such as en or es"))?,
        );
        if !languages.contains(&tag) {
            languages.push(tag);
        }
    }
    if languages.len() > 20 {
        return Err(AppError::bad_field("languages", "at most 20 languages"));
    }
    Ok(CheckedGroup {
        name,
        audience,
        substance_focus: encode_substances(&input.substance_focus),
        languages: languages.join(","),
    })
}

async fn create_group_in(tx: Tx, input: NewSupportGroup) -> AppResult<(Tx, support_group::Model)> {
    let checked = check_group(&input)?;
    let abbreviation = input.abbreviation.trim().to_owned();
    if abbreviation.is_empty()
        || abbreviation.chars().count() > 16
        || !abbreviation.chars().all(|c| c.is_alphanumeric() || c == '-')
    {
        return Err(AppError::bad_field("abbreviation", "an abbreviation of 1 to 16 letters, digits or dashes"));
    }
    let inserted = support_group::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(checked.name),
        abbreviation: Set(abbreviation),
        twelve_step: Set(input.twelve_step),
        audience: Set(checked.audience),
        description: Set(input.description),
        version: Set(1),
        open_to: Set(input.open_to),
        secular: Set(input.secular),
        co_occurring: Set(input.co_occurring),
        substance_focus: Set(checked.substance_focus),
        languages: Set(checked.languages),
        retired_at: Set(None),
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

pub async fn update_group(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    expected_version: i32,
    changes: GroupChanges,
) -> AppResult<support_group::Model> {
    let spec = Write::new("updateSupportGroup", Who::Admin, Target::Nothing);
    write(state, viewer, spec, |tx| update_group_in(tx, id, expected_version, changes.clone())).await
}

async fn current_group(tx: &Tx, id: Uuid, expected_version: i32) -> AppResult<support_group::Model> {
    let current = support_group::Entity::find_by_id(id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;
    if current.version != expected_version {
        return Err(stale("support group"));
    }
    Ok(current)
}

async fn update_group_in(
    tx: Tx,
    id: Uuid,
    expected_version: i32,
    changes: GroupChanges,
) -> AppResult<(Tx, support_group::Model)> {
    let current = current_group(&tx, id, expected_version).await?;
    let edited = NewSupportGroup {
        name: changes.name.unwrap_or_else(|| current.name.clone()),
        abbreviation: current.abbreviation.clone(),
        twelve_step: changes.twelve_step.unwrap_or(current.twelve_step),
        audience: Some(changes.audience.unwrap_or_else(|| current.audience.clone())),
        description: changes.description.unwrap_or_else(|| current.description.clone()),
        open_to: changes.open_to.unwrap_or(current.open_to),
        secular: changes.secular.unwrap_or(current.secular),
        co_occurring: changes.co_occurring.unwrap_or(current.co_occurring),
        substance_focus: changes.substance_focus.unwrap_or_else(|| decode_substances(&current.substance_focus)),
        languages: changes
            .languages
            .unwrap_or_else(|| current.languages.split(',').filter(|l| !l.is_empty()).map(str::to_owned).collect()),
    };
    let checked = check_group(&edited)?;
    let model = support_group::ActiveModel {
        name: Set(checked.name),
        twelve_step: Set(edited.twelve_step),
        audience: Set(checked.audience),
        description: Set(edited.description),
        open_to: Set(edited.open_to),
        secular: Set(edited.secular),
        co_occurring: Set(edited.co_occurring),
        substance_focus: Set(checked.substance_focus),
        languages: Set(checked.languages),
        version: Set(current.version + 1),
        ..Default::default()
    };
    let saved = support_group::Entity::update_many()
        .set(model)
        .filter(support_group::Column::Id.eq(id))
        .filter(support_group::Column::Version.eq(current.version))
        .exec(tx.conn())
        .await?;
    if saved.rows_affected != 1 {
        return Err(stale("support group"));
    }
    let group = support_group::Entity::find_by_id(id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;
    Ok((tx, group))
}

/// Takes a group out of the directory, with its meetings: neither is recommended or
/// scheduled again, and open referrals to them come up on the worklist. Nothing is deleted
/// (referrals and reports still name them). Retiring a retired group changes nothing.
pub async fn retire_group(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    expected_version: i32,
) -> AppResult<support_group::Model> {
    let spec = Write::new("retireSupportGroup", Who::Admin, Target::Nothing);
    write(state, viewer, spec, |tx| retire_group_in(tx, id, expected_version)).await
}

async fn retire_group_in(tx: Tx, id: Uuid, expected_version: i32) -> AppResult<(Tx, support_group::Model)> {
    let current = current_group(&tx, id, expected_version).await?;
    if current.retired_at.is_some() {
        return Ok((tx, current));
    }
    let now = tx.state().now();
    let saved = support_group::Entity::update_many()
        .col_expr(support_group::Column::RetiredAt, Expr::value(now))
        .col_expr(support_group::Column::Version, Expr::value(current.version + 1))
        .filter(support_group::Column::Id.eq(id))
        .filter(support_group::Column::Version.eq(current.version))
        .exec(tx.conn())
        .await?;
    if saved.rows_affected != 1 {
        return Err(stale("support group"));
    }
    meeting::Entity::update_many()
        .col_expr(meeting::Column::RetiredAt, Expr::value(now))
        .col_expr(meeting::Column::Version, Expr::col(meeting::Column::Version).add(1))
        .filter(meeting::Column::SupportGroupId.eq(id))
        .filter(meeting::Column::RetiredAt.is_null())
        .exec(tx.conn())
        .await?;
    let group = support_group::Entity::find_by_id(id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;
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

/// A meeting's fields, checked.
struct CheckedMeeting {
    name: String,
    start_time: NaiveTime,
    duration: i32,
    time_zone: String,
    address: Option<String>,
    url: Option<String>,
    language: String,
    types: String,
}

fn check_meeting(input: &NewMeeting) -> AppResult<CheckedMeeting> {
    let input = input.clone();
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

    Ok(CheckedMeeting {
        name,
        start_time,
        duration,
        time_zone: input.time_zone.trim().to_owned(),
        address,
        url,
        language,
        types: types.join(","),
    })
}

async fn create_meeting_in(tx: Tx, input: NewMeeting) -> AppResult<(Tx, meeting::Model)> {
    let checked = check_meeting(&input)?;
    let group = support_group::Entity::find_by_id(input.support_group_id).one(tx.conn()).await?;
    if group.is_none_or(|g| g.retired_at.is_some()) {
        return Err(AppError::bad_field("supportGroupId", "no such support group in the directory"));
    }
    let meeting = meeting::ActiveModel {
        id: Set(Uuid::now_v7()),
        support_group_id: Set(input.support_group_id),
        name: Set(checked.name),
        format: Set(input.format),
        day_of_week: Set(input.day_of_week),
        start_time: Set(checked.start_time),
        duration_minutes: Set(checked.duration),
        time_zone: Set(checked.time_zone),
        address: Set(checked.address),
        url: Set(checked.url),
        language: Set(checked.language),
        types: Set(checked.types),
        version: Set(1),
        retired_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    Ok((tx, meeting))
}

pub async fn update_meeting(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    expected_version: i32,
    changes: MeetingChanges,
) -> AppResult<meeting::Model> {
    let spec = Write::new("updateMeeting", Who::Admin, Target::Nothing);
    write(state, viewer, spec, |tx| update_meeting_in(tx, id, expected_version, changes.clone())).await
}

async fn current_meeting(tx: &Tx, id: Uuid, expected_version: i32) -> AppResult<meeting::Model> {
    let current = meeting::Entity::find_by_id(id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;
    if current.version != expected_version {
        return Err(stale("meeting"));
    }
    Ok(current)
}

async fn save_meeting(tx: &Tx, id: Uuid, version: i32, model: meeting::ActiveModel) -> AppResult<meeting::Model> {
    let saved = meeting::Entity::update_many()
        .set(meeting::ActiveModel { version: Set(version + 1), ..model })
        .filter(meeting::Column::Id.eq(id))
        .filter(meeting::Column::Version.eq(version))
        .exec(tx.conn())
        .await?;
    if saved.rows_affected != 1 {
        return Err(stale("meeting"));
    }
    meeting::Entity::find_by_id(id).one(tx.conn()).await?.ok_or(AppError::NotFound)
}

async fn update_meeting_in(
    tx: Tx,
    id: Uuid,
    expected_version: i32,
    changes: MeetingChanges,
) -> AppResult<(Tx, meeting::Model)> {
    let current = current_meeting(&tx, id, expected_version).await?;
    if current.retired_at.is_some() {
        return Err(
            RuleViolation::new("MEETING_RETIRED", None, "a retired meeting cannot be edited: add a new one").into()
        );
    }
    let edited = NewMeeting {
        support_group_id: current.support_group_id,
        name: changes.name.unwrap_or_else(|| current.name.clone()),
        format: changes.format.unwrap_or(current.format),
        day_of_week: changes.day_of_week.unwrap_or(current.day_of_week),
        start_time: changes.start_time.unwrap_or_else(|| current.start_time.format("%H:%M").to_string()),
        duration_minutes: Some(changes.duration_minutes.unwrap_or(current.duration_minutes)),
        time_zone: changes.time_zone.unwrap_or_else(|| current.time_zone.clone()),
        address: changes.address.unwrap_or_else(|| current.address.clone()),
        url: changes.url.unwrap_or_else(|| current.url.clone()),
        language: changes.language.unwrap_or_else(|| current.language.clone()),
        types: changes
            .types
            .unwrap_or_else(|| current.types.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()),
    };
    let checked = check_meeting(&edited)?;
    let model = meeting::ActiveModel {
        name: Set(checked.name),
        format: Set(edited.format),
        day_of_week: Set(edited.day_of_week),
        start_time: Set(checked.start_time),
        duration_minutes: Set(checked.duration),
        time_zone: Set(checked.time_zone),
        address: Set(checked.address),
        url: Set(checked.url),
        language: Set(checked.language),
        types: Set(checked.types),
        ..Default::default()
    };
    let saved = save_meeting(&tx, id, current.version, model).await?;
    Ok((tx, saved))
}

/// Takes a meeting out of the directory: it leaves schedules (from the day it was retired)
/// and recommendations, and its open referrals come up on the worklist. Retiring a retired
/// meeting changes nothing.
pub async fn retire_meeting(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    expected_version: i32,
) -> AppResult<meeting::Model> {
    let spec = Write::new("retireMeeting", Who::Admin, Target::Nothing);
    write(state, viewer, spec, |tx| retire_meeting_in(tx, id, expected_version)).await
}

async fn retire_meeting_in(tx: Tx, id: Uuid, expected_version: i32) -> AppResult<(Tx, meeting::Model)> {
    let current = current_meeting(&tx, id, expected_version).await?;
    if current.retired_at.is_some() {
        return Ok((tx, current));
    }
    let model = meeting::ActiveModel { retired_at: Set(Some(tx.state().now())), ..Default::default() };
    let saved = save_meeting(&tx, id, current.version, model).await?;
    Ok((tx, saved))
}
