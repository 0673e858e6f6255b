use sea_orm::entity::prelude::*;

#[allow(unused_imports)]
use crate::domain::*;

/// A follow-up contact. `schedule_days` is set when it came from a schedule (aftercare or
/// post-discharge): days after the entry or exit it counts from.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_ups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub client_id: Uuid,
    pub episode_id: Option<Uuid>,
    pub due_on: Date,
    pub schedule_days: Option<i32>,
    pub kind: FollowUpKind,
    pub status: FollowUpStatus,
    pub outcome: Option<FollowUpOutcome>,
    pub attending_support_group: Option<bool>,
    pub contacted_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
