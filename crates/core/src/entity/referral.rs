use sea_orm::entity::prelude::*;

#[allow(unused_imports)]
use crate::domain::*;

/// A referral of a client to a support group, made during an episode.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referrals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub client_id: Uuid,
    pub episode_id: Uuid,
    pub support_group_id: Uuid,
    pub meeting_id: Option<Uuid>,
    pub status: ReferralStatus,
    pub status_reason: Option<String>,
    pub stage_at_referral: Stage,
    pub referred_by: Uuid,
    pub note: Option<String>,
    /// Attendance goal in meetings per week, from the aftercare plan.
    pub weekly_goal: Option<i32>,
    /// When it went out (became REFERRED); attendance is expected from then.
    pub referred_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
