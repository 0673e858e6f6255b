use sea_orm::entity::prelude::*;

#[allow(unused_imports)]
use crate::domain::*;

/// A weekly meeting of a group, at a local time in its own time zone. Types are stored comma-separated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub support_group_id: Uuid,
    pub name: String,
    pub format: MeetingFormat,
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub day_of_week: i32,
    pub start_time: Time,
    pub duration_minutes: i32,
    pub time_zone: String,
    pub address: Option<String>,
    pub url: Option<String>,
    pub language: String,
    pub types: String,
    pub version: i32,
    /// Set when the meeting no longer runs: it leaves schedules and recommendations.
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
