use sea_orm::entity::prelude::*;

#[allow(unused_imports)]
use crate::domain::*;

/// A person in treatment. Substances are stored comma-separated (see `domain::client`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub first_name: String,
    pub last_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub gender: Option<Gender>,
    pub substances: String,
    pub co_occurring_mental_health: bool,
    pub prefers_secular: bool,
    pub language: Option<String>,
    pub primary_counselor_id: Uuid,
    /// Names folded for search and the duplicate check (`domain::client::name_key`).
    pub name_key: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
