use sea_orm::entity::prelude::*;

/// Information shared outside the program under a consent, with the notice sent with it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub consent_id: Uuid,
    pub recipient: String,
    pub purpose: String,
    pub categories: String,
    pub content: String,
    pub notice: String,
    pub disclosed_by: Uuid,
    pub disclosed_at: DateTimeUtc,
    /// The consent purpose it was made for (`ConsentPurpose`); empty before issue 18.
    pub purpose_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
