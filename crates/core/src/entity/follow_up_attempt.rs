use sea_orm::entity::prelude::*;

#[allow(unused_imports)]
use crate::domain::*;

/// One outreach attempt for a follow-up contact: when, how, and what came of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_up_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub follow_up_id: Uuid,
    pub client_id: Uuid,
    pub attempted_at: DateTimeUtc,
    pub method: AttemptMethod,
    pub result: AttemptResult,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
