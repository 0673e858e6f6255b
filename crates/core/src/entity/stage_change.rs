use sea_orm::entity::prelude::*;

#[allow(unused_imports)]
use crate::domain::*;

/// One move in an episode's append-only stage history.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stage_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub episode_id: Uuid,
    pub from_stage: Option<Stage>,
    pub to_stage: Stage,
    pub level_of_care: Option<LevelOfCare>,
    pub at: DateTimeUtc,
    pub by_staff_id: Uuid,
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
