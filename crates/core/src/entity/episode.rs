use sea_orm::entity::prelude::*;

#[allow(unused_imports)]
use crate::domain::*;

/// A treatment episode; open while `discharged_at` is null.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "episodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub client_id: Uuid,
    pub stage: Stage,
    pub level_of_care: Option<LevelOfCare>,
    pub stage_entered_at: DateTimeUtc,
    pub admitted_at: DateTimeUtc,
    pub discharged_at: Option<DateTimeUtc>,
    pub discharge_reason: Option<DischargeReason>,
    pub discharge_note: Option<String>,
    /// Where the client went, recorded at discharge.
    pub discharged_to: Option<DischargedTo>,
    /// The client's episode before this one, when this one is a readmission.
    pub previous_episode_id: Option<Uuid>,
    /// The TEDS intake elements asked at admission (`domain::teds::Intake`, as JSON).
    pub intake: Option<String>,
    pub created_by: Uuid,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
