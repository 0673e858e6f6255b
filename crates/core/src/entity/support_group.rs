use sea_orm::entity::prelude::*;

#[allow(unused_imports)]
use crate::domain::*;

/// A program in the directory.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub abbreviation: String,
    pub twelve_step: bool,
    pub audience: String,
    pub description: String,
    pub version: i32,
    /// Who may attend: `ANYONE`, `WOMEN` or `MEN`.
    pub open_to: GroupAudience,
    /// No higher power in the program (SMART Recovery, SOS, WFS).
    pub secular: bool,
    /// For people with a co-occurring mental-health condition.
    pub co_occurring: bool,
    /// The substances the group is for, comma-separated; empty for any substance.
    pub substance_focus: String,
    /// Languages its meetings and literature are offered in (primary subtags, comma-separated).
    pub languages: String,
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
