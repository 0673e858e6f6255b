use sea_orm::entity::prelude::*;

/// How to reach a client (`domain::locator`), one row per client. Phones, address and
/// emergency contact are JSON text. Its `Debug` shows only the keys: the rest is client
/// data and must never reach a log line.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_locators")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: Uuid,
    pub version: i32,
    pub phones: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub emergency_contact: Option<String>,
    pub preferred_method: Option<String>,
    pub preferred_times: Option<String>,
    pub consent_to_contact: bool,
    pub consent_recorded_at: Option<DateTimeUtc>,
    pub updated_by: Uuid,
    pub updated_at: DateTimeUtc,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientLocator")
            .field("client_id", &self.client_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
