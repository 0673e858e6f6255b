use sea_orm::entity::prelude::*;

/// A client's written consent (42 CFR Part 2) to disclose named categories of information
/// to one recipient, for a purpose, until it expires or is revoked.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub recipient: String,
    pub recipient_normalized: String,
    pub purpose: String,
    /// Comma-separated disclosure categories.
    pub categories: String,
    pub signed_on: Date,
    pub expires_on: Date,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
    pub revoke_reason: Option<String>,
    pub recorded_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
