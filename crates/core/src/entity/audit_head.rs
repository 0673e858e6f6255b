use sea_orm::entity::prelude::*;

/// The end of one audit chain (`id` is the chain); writers to that chain lock it in turn.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_head")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub seq: i64,
    pub hash: String,
    /// The first event of the chain written with a keyed MAC; `None` until the chain is sealed.
    pub keyed_from: Option<i64>,
    /// HMAC-SHA256 under the audit key over (chain, seq, hash, keyed_from).
    pub mac: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
