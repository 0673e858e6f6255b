use crate::graphql::scalars::DateTime;
use async_graphql::{ID, InputObject, Object, SimpleObject};

use super::id;
use crate::{
    domain::privacy::{
        ConsentExpiry, ConsentPurpose, DisclosureCategory, RecipientKind, SignatureMethod, SignerCapacity, decode,
        decode_purposes,
    },
    entity::{audit_event, consent, disclosure, emergency_grant},
    graphql::scalars::Date,
    service::audit::AuditOutcome,
};

#[derive(Clone)]
pub struct Consent(pub consent::Model);

#[Object]
impl Consent {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn recipient(&self) -> &str {
        &self.0.recipient
    }

    async fn purpose(&self) -> &str {
        &self.0.purpose
    }

    /// What may be disclosed.
    async fn categories(&self) -> Vec<DisclosureCategory> {
        decode(&self.0.categories)
    }

    async fn signed_on(&self) -> Date {
        Date(self.0.signed_on)
    }

    /// The date it expires on, when `expiry` is `ON_DATE`.
    async fn expires_on(&self) -> Option<Date> {
        self.0.expires_on.map(Date)
    }

    /// Who may disclose: the program.
    async fn disclosing_program(&self) -> &str {
        &self.0.disclosing_program
    }

    /// A named recipient, or the general designation of treating providers.
    async fn recipient_kind(&self) -> RecipientKind {
        RecipientKind::parse(&self.0.recipient_kind).unwrap_or(RecipientKind::Named)
    }

    /// What the information may be used for; `purpose` holds the client's words beside them.
    async fn purposes(&self) -> Vec<ConsentPurpose> {
        decode_purposes(&self.0.purposes)
    }

    /// How the consent ends: on a date, on an event, or (treatment, payment and health care
    /// operations only) not at all.
    async fn expiry(&self) -> ConsentExpiry {
        ConsentExpiry::parse(&self.0.expiry).unwrap_or(ConsentExpiry::OnDate)
    }

    /// The event or condition it expires on ("when I finish aftercare").
    async fn expiry_event(&self) -> Option<&str> {
        self.0.expiry_event.as_deref()
    }

    /// When the expiry event was recorded: the consent ended then.
    async fn expiry_event_recorded_at(&self) -> Option<DateTime> {
        self.0.expiry_event_recorded_at.map(DateTime)
    }

    /// Who signed; empty on consents recorded before the 2024 elements.
    async fn signer_name(&self) -> &str {
        &self.0.signer_name
    }

    async fn signer_capacity(&self) -> Option<SignerCapacity> {
        SignerCapacity::parse(&self.0.signer_capacity)
    }

    async fn signature_method(&self) -> Option<SignatureMethod> {
        SignatureMethod::parse(&self.0.signature_method)
    }

    /// The right-to-revoke statement the consent was signed with.
    async fn right_to_revoke(&self) -> &str {
        &self.0.right_to_revoke
    }

    /// Recorded before the 2024 § 2.31 elements: no disclosure goes under it until the
    /// client signs a new consent.
    async fn needs_reconsent(&self) -> bool {
        self.0.needs_reconsent
    }

    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(DateTime)
    }

    async fn revoke_reason(&self) -> Option<&str> {
        self.0.revoke_reason.as_deref()
    }

    /// In force today (in the program's time zone): signed, not revoked, not ended by its
    /// date or event, and recorded with every § 2.31 element.
    async fn active(&self, ctx: &async_graphql::Context<'_>) -> crate::graphql::error::Result<bool> {
        use crate::graphql::context::ContextExt;
        Ok(crate::service::privacy::in_force(&self.0, ctx.state()?.today()))
    }
}

pub struct Disclosure(pub disclosure::Model);

#[Object]
impl Disclosure {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn client_id(&self) -> ID {
        id(self.0.client_id)
    }

    async fn consent_id(&self) -> ID {
        id(self.0.consent_id)
    }

    async fn recipient(&self) -> &str {
        &self.0.recipient
    }

    async fn purpose(&self) -> &str {
        &self.0.purpose
    }

    async fn categories(&self) -> Vec<DisclosureCategory> {
        decode(&self.0.categories)
    }

    /// What was shared.
    async fn content(&self) -> &str {
        &self.0.content
    }

    /// The consent purpose it was made for; null on disclosures made before purposes were
    /// recorded.
    async fn purpose_code(&self) -> Option<ConsentPurpose> {
        decode_purposes(&self.0.purpose_code).first().copied()
    }

    /// The 42 CFR § 2.32 notice that accompanied the disclosure (the 2024 full statement
    /// since that rule; earlier disclosures keep the text they were sent with).
    async fn notice(&self) -> &str {
        &self.0.notice
    }

    /// § 2.32(a)(2)'s abbreviated statement, for where the full one does not fit.
    async fn abbreviated_notice(&self) -> &str {
        crate::domain::privacy::NOTICE_2024_ABBREVIATED
    }

    async fn disclosed_by_id(&self) -> ID {
        id(self.0.disclosed_by)
    }

    async fn disclosed_at(&self) -> DateTime {
        DateTime(self.0.disclosed_at)
    }
}

pub struct EmergencyGrant(pub emergency_grant::Model);

#[Object]
impl EmergencyGrant {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Who broke the glass.
    async fn staff_id(&self) -> ID {
        id(self.0.staff_id)
    }

    async fn client_id(&self) -> ID {
        id(self.0.client_id)
    }

    async fn reason(&self) -> &str {
        &self.0.reason
    }

    async fn granted_at(&self) -> DateTime {
        DateTime(self.0.granted_at)
    }

    async fn expires_at(&self) -> DateTime {
        DateTime(self.0.expires_at)
    }

    async fn reviewed_at(&self) -> Option<DateTime> {
        self.0.reviewed_at.map(DateTime)
    }

    async fn reviewed_by_id(&self) -> Option<ID> {
        self.0.reviewed_by.map(id)
    }

    /// For the reviewer (the grant holder's supervisor, or an ADMIN for staff no supervisor
    /// reviews): every audit event made under the grant, oldest first — operation, field,
    /// time and outcome, never client content. Anyone else, the holder included, is refused.
    async fn audit_events(&self, ctx: &async_graphql::Context<'_>) -> crate::graphql::error::Result<Vec<AuditEvent>> {
        use crate::graphql::context::ContextExt;
        let rows = crate::service::privacy::grant_evidence(ctx.state()?, ctx.viewer()?, &self.0).await?;
        Ok(rows.into_iter().map(AuditEvent::from).collect())
    }

    async fn review_note(&self) -> Option<&str> {
        self.0.review_note.as_deref()
    }
}

/// One audit event: who, what, which client, when, outcome — never names or record content.
#[derive(SimpleObject)]
pub struct AuditEvent {
    pub id: ID,
    /// The hash chain the event belongs to (the trail is several chains appended side by side).
    pub chain: i32,
    /// Position in its chain.
    pub seq: i64,
    pub at: DateTime,
    pub staff_id: Option<ID>,
    /// The role as text, as stored.
    #[graphql(deprecation = "use `role`, the same value as the Role enum")]
    pub staff_role: Option<String>,
    /// The staff member's role when the event was written.
    pub role: Option<crate::domain::Role>,
    /// The operation (`changeStage`, `read`, `login`, …).
    pub action: String,
    /// The field of the request that touched the record.
    pub field: Option<String>,
    pub client_id: Option<ID>,
    pub outcome: AuditOutcome,
    pub request_id: Option<String>,
    /// Done under an emergency-access grant.
    pub emergency: bool,
    pub detail: Option<String>,
    pub hash: String,
}

impl From<audit_event::Model> for AuditEvent {
    fn from(m: audit_event::Model) -> Self {
        AuditEvent {
            id: id(m.id),
            chain: m.chain,
            seq: m.seq,
            at: m.at.into(),
            staff_id: m.staff_id.map(id),
            role: m.staff_role.as_deref().and_then(crate::domain::Role::parse),
            staff_role: m.staff_role,
            action: m.action,
            field: m.field,
            client_id: m.client_id.map(id),
            outcome: AuditOutcome::parse(&m.outcome).unwrap_or(AuditOutcome::Failed),
            request_id: m.request_id,
            emergency: m.emergency,
            detail: m.detail,
            hash: m.hash,
        }
    }
}

#[derive(InputObject, Default)]
pub struct AuditFilter {
    pub staff_id: Option<ID>,
    pub client_id: Option<ID>,
    pub from: Option<DateTime>,
    pub to: Option<DateTime>,
    pub outcome: Option<AuditOutcome>,
    pub emergency: Option<bool>,
}

/// A written consent with the elements of 42 CFR § 2.31. Elements the schema leaves optional
/// are still required by the rule `CONSENT_ELEMENTS`, which names the missing field.
#[derive(InputObject)]
pub struct RecordConsentInput {
    pub client_id: ID,
    /// `NAMED` (the default): `recipient` names the person or organisation.
    /// `TREATING_PROVIDERS`: the general designation a consent for treatment, payment and
    /// health care operations may use.
    #[graphql(default_with = "RecipientKind::Named")]
    pub recipient_kind: RecipientKind,
    /// The person or organisation the client allows information to go to.
    #[graphql(default)]
    pub recipient: String,
    /// What the information may be used for. Legal proceedings stand alone.
    #[graphql(default)]
    pub purposes: Vec<ConsentPurpose>,
    /// The purpose in the client's words, beside `purposes`.
    #[graphql(default)]
    pub purpose: String,
    /// What may be disclosed.
    pub categories: Vec<DisclosureCategory>,
    /// Defaults to today.
    pub signed_on: Option<Date>,
    /// Defaults to `ON_DATE`.
    #[graphql(default_with = "ConsentExpiry::OnDate")]
    pub expiry: ConsentExpiry,
    /// With `ON_DATE`: between today and five years from now.
    pub expires_on: Option<Date>,
    /// With `ON_EVENT`: the event or condition, in the client's words.
    pub expiry_event: Option<String>,
    /// Who signed: the client, or the person authorised to sign for them.
    #[graphql(default)]
    pub signer_name: String,
    pub signer_capacity: Option<SignerCapacity>,
    pub signature_method: Option<SignatureMethod>,
    /// The consent states the right to revoke and the client was told: must be true.
    #[graphql(default)]
    pub right_to_revoke_explained: bool,
}

#[derive(InputObject)]
pub struct DiscloseInput {
    pub client_id: ID,
    pub recipient: String,
    /// One of the consent's purposes; anything else is refused (`CONSENT_REQUIRED`).
    pub purpose_code: Option<ConsentPurpose>,
    /// The purpose in words.
    #[graphql(default)]
    pub purpose: String,
    pub categories: Vec<DisclosureCategory>,
    /// What is being shared, in a sentence or two.
    pub content: String,
}

/// A consent, by id.
#[derive(InputObject)]
pub struct ConsentRef {
    pub consent_id: ID,
}
