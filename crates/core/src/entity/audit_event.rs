use sea_orm::entity::prelude::*;

/// One entry of the append-only audit trail. `hash` chains it to the entry before.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The chain it belongs to (`audit_head.id`).
    pub chain: i32,
    /// Its position in that chain, from 1.
    pub seq: i64,
    pub at: DateTimeUtc,
    pub staff_id: Option<Uuid>,
    pub staff_role: Option<String>,
    pub action: String,
    pub field: Option<String>,
    pub client_id: Option<Uuid>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub emergency: bool,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// HMAC-SHA256 of `hash` under the audit key (`None` on events written before the key).
    pub mac: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
