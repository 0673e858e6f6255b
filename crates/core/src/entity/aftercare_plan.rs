use sea_orm::entity::prelude::*;

/// The aftercare plan of an episode. `effective_at` is set when the client enters AFTERCARE.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "aftercare_plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub episode_id: Uuid,
    pub client_id: Uuid,
    /// The counselor's internal notes: never printed, never on the client's sheet.
    pub notes: String,
    /// The note written for the client: the only note on the printed plan.
    pub client_note: String,
    pub effective_at: Option<DateTimeUtc>,
    pub updated_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
