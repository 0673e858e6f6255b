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
    /// When `expiry` is `ON_DATE`.
    pub expires_on: Option<Date>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
    pub revoke_reason: Option<String>,
    pub recorded_by: Uuid,
    pub created_at: DateTimeUtc,
    /// Who may disclose: the program's name when the consent was recorded.
    pub disclosing_program: String,
    /// `NAMED`, or `TREATING_PROVIDERS` (the general designation of § 2.31(a)(4)).
    pub recipient_kind: String,
    /// Comma-separated `ConsentPurpose`s; `purpose` is the client's words beside them.
    pub purposes: String,
    /// `ON_DATE`, `ON_EVENT` or `NONE`.
    pub expiry: String,
    pub expiry_event: Option<String>,
    /// When the expiry event was recorded: the consent ended then.
    pub expiry_event_recorded_at: Option<DateTimeUtc>,
    pub signer_name: String,
    pub signer_capacity: String,
    pub signature_method: String,
    /// The right-to-revoke statement the consent was signed with.
    pub right_to_revoke: String,
    /// Recorded before the § 2.31 elements were: kept, but no disclosure goes under it.
    pub needs_reconsent: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
