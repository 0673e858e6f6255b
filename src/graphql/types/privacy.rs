use async_graphql::{ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::id;
use crate::{
    domain::privacy::{DisclosureCategory, decode},
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

    async fn expires_on(&self) -> Date {
        Date(self.0.expires_on)
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    async fn revoke_reason(&self) -> Option<&str> {
        self.0.revoke_reason.as_deref()
    }

    /// Signed, not expired and not revoked, judged today in the program's time zone.
    async fn active(&self, ctx: &async_graphql::Context<'_>) -> crate::graphql::error::Result<bool> {
        use crate::graphql::context::ContextExt;
        let today = ctx.state()?.today();
        Ok(self.0.revoked_at.is_none() && self.0.signed_on <= today && self.0.expires_on >= today)
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

    /// The 42 CFR § 2.32 notice that accompanied the disclosure.
    async fn notice(&self) -> &str {
        &self.0.notice
    }

    async fn disclosed_by_id(&self) -> ID {
        id(self.0.disclosed_by)
    }

    async fn disclosed_at(&self) -> DateTime<Utc> {
        self.0.disclosed_at
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

    async fn granted_at(&self) -> DateTime<Utc> {
        self.0.granted_at
    }

    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reviewed_at
    }

    async fn reviewed_by_id(&self) -> Option<ID> {
        self.0.reviewed_by.map(id)
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
    pub at: DateTime<Utc>,
    pub staff_id: Option<ID>,
    pub staff_role: Option<String>,
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
            at: m.at,
            staff_id: m.staff_id.map(id),
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
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub outcome: Option<AuditOutcome>,
    pub emergency: Option<bool>,
}

#[derive(InputObject)]
pub struct RecordConsentInput {
    pub client_id: ID,
    /// The person or organisation the client allows information to go to.
    pub recipient: String,
    pub purpose: String,
    /// What may be disclosed.
    pub categories: Vec<DisclosureCategory>,
    /// Defaults to today.
    pub signed_on: Option<Date>,
    pub expires_on: Date,
}

#[derive(InputObject)]
pub struct DiscloseInput {
    pub client_id: ID,
    pub recipient: String,
    pub purpose: String,
    pub categories: Vec<DisclosureCategory>,
    /// What is being shared, in a sentence or two.
    pub content: String,
}
