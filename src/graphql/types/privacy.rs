use std::sync::Arc;

use crate::graphql::scalars::DateTime;
use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};

use super::{
    ClientRefs,
    client::Client,
    id,
    staff::{Staff, StaffRefs},
};
use crate::{
    domain::privacy::{
        ConsentExpiry, ConsentPurpose, DisclosureCategory, RecipientKind, SignatureMethod, SignerCapacity, decode,
        decode_purposes,
    },
    entity::{Id, audit_event, consent, disclosure, emergency_grant, staff},
    graphql::scalars::Date,
    graphql::{
        batch::{self, Batch, distinct},
        context::ContextExt,
        error::Result,
    },
    service::audit::AuditOutcome,
};

#[derive(Clone)]
pub struct Consent(pub consent::Model);

/// A client's written consent (42 CFR § 2.31) to disclose their information to a recipient.
/// Listed on `Client.consents`, so whoever may see the client sees it. A disclosure goes only
/// under a consent that is `active`.
#[Object]
impl Consent {
    /// Opaque id: pass it to `revokeConsent` or `recordConsentExpiryEvent`;
    /// `GET /consents/{id}/form` prints the consent.
    pub(crate) async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The person or organisation named on the consent; with `recipientKind`
    /// `TREATING_PROVIDERS`, the text of the general designation.
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }

    /// The purpose in the client's words, beside `purposes`; may be empty.
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }

    /// What may be disclosed.
    async fn categories(&self) -> Vec<DisclosureCategory> {
        decode(&self.0.categories)
    }

    /// The day it was signed (program time zone); it is not in force before that day.
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

    /// In what capacity `signerName` signed: the client, a guardian or a personal
    /// representative. Null on consents recorded before the 2024 elements.
    async fn signer_capacity(&self) -> Option<SignerCapacity> {
        SignerCapacity::parse(&self.0.signer_capacity)
    }

    /// How it was signed: a wet signature on file, or electronically. Null on consents
    /// recorded before the 2024 elements.
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

    /// When `revokeConsent` revoked it; null while not revoked. No disclosure goes under a
    /// revoked consent; those made before stand.
    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(DateTime)
    }

    /// The reason recorded with the revocation; null while not revoked.
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

pub struct Disclosure {
    row: disclosure::Model,
    set: Arc<DisclosureSet>,
}

/// What a list of disclosures points at, loaded once for all of them.
struct DisclosureSet {
    clients: ClientRefs,
    consents: Batch<Id<consent::Entity>, consent::Model>,
    consent_ids: Arc<[Id<consent::Entity>]>,
    staff: StaffRefs,
}

impl Disclosure {
    fn set(rows: &[disclosure::Model]) -> Arc<DisclosureSet> {
        Arc::new(DisclosureSet {
            clients: ClientRefs::new("disclosures.client", rows.iter().map(disclosure::Model::client_key)),
            consents: Batch::default(),
            consent_ids: distinct(rows.iter().map(disclosure::Model::consent_key)),
            staff: StaffRefs::new(rows.iter().map(disclosure::Model::disclosed_by_key)),
        })
    }

    pub fn list(rows: Vec<disclosure::Model>) -> Vec<Disclosure> {
        let set = Disclosure::set(&rows);
        rows.into_iter().map(|row| Disclosure { row, set: set.clone() }).collect()
    }

    pub fn one(row: disclosure::Model) -> Disclosure {
        Disclosure { set: Disclosure::set(std::slice::from_ref(&row)), row }
    }
}

/// Client information shared outside the program under a consent: an entry in the client's
/// accounting of disclosures (42 CFR Part 2), which `disclosures(clientId:)` lists for the last
/// three years. Seen by whoever may see the client.
#[Object]
impl Disclosure {
    /// Opaque id; `GET /disclosures/{id}/record` prints the disclosure with its notice.
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// The client whose information was shared; pass it to `client(id:)`.
    async fn client_id(&self) -> ID {
        id(self.row.client_id)
    }

    /// The consent it was made under: one in force that reached the recipient, listed the
    /// purpose and covered every category. Find it in `Client.consents`.
    async fn consent_id(&self) -> ID {
        id(self.row.consent_id)
    }

    /// Who received the information, as the discloser entered it.
    async fn recipient(&self) -> &str {
        &self.row.recipient
    }

    /// The purpose in the discloser's words, beside `purposeCode`; may be empty.
    async fn purpose(&self) -> &str {
        &self.row.purpose
    }

    /// The kinds of information shared; the consent covered each of them.
    async fn categories(&self) -> Vec<DisclosureCategory> {
        decode(&self.row.categories)
    }

    /// What was shared.
    async fn content(&self) -> &str {
        &self.row.content
    }

    /// The consent purpose it was made for; null on disclosures made before purposes were
    /// recorded.
    async fn purpose_code(&self) -> Option<ConsentPurpose> {
        decode_purposes(&self.row.purpose_code).first().copied()
    }

    /// The 42 CFR § 2.32 notice that accompanied the disclosure (the 2024 full statement
    /// since that rule; earlier disclosures keep the text they were sent with).
    async fn notice(&self) -> &str {
        &self.row.notice
    }

    /// § 2.32(a)(2)'s abbreviated statement, for where the full one does not fit.
    async fn abbreviated_notice(&self) -> &str {
        crate::domain::privacy::NOTICE_2024_ABBREVIATED
    }

    /// The staff member who made the disclosure; `staffMember(id:)` answers it when the caller
    /// may see that staff member.
    async fn disclosed_by_id(&self) -> ID {
        id(self.row.disclosed_by)
    }

    /// The staff member who made the disclosure.
    async fn disclosed_by(&self, ctx: &Context<'_>) -> Result<Staff> {
        self.set.staff.required(ctx, self.row.disclosed_by_key()).await
    }

    /// The client whose information was shared; null if the caller may no longer see them.
    async fn client(&self, ctx: &Context<'_>) -> Result<Option<Client>> {
        self.set.clients.get(ctx, self.row.client_key()).await
    }

    /// The consent it was made under.
    async fn consent(&self, ctx: &Context<'_>) -> Result<Consent> {
        let db = &ctx.state()?.db;
        let ids = self.set.consent_ids.clone();
        let found = self.set.consents.get(|| batch::consents(db, &ids)).await?;
        Ok(Consent(batch::required(&found, self.row.consent_key(), "consent")?))
    }

    /// When it was recorded (UTC).
    async fn disclosed_at(&self) -> DateTime {
        DateTime(self.row.disclosed_at)
    }
}

pub struct EmergencyGrant {
    row: emergency_grant::Model,
    set: Arc<GrantSet>,
}

/// What a list of grants points at, loaded once for all of them.
struct GrantSet {
    clients: ClientRefs,
    staff: StaffRefs,
}

impl EmergencyGrant {
    fn set(rows: &[emergency_grant::Model]) -> Arc<GrantSet> {
        let staff = rows.iter().flat_map(|g| [Some(g.staff_key()), g.reviewed_by_key()]).flatten();
        Arc::new(GrantSet {
            clients: ClientRefs::new(
                "emergencyAccessGrants.client",
                rows.iter().map(emergency_grant::Model::client_key),
            ),
            staff: StaffRefs::new(staff),
        })
    }

    pub fn list(rows: Vec<emergency_grant::Model>) -> Vec<EmergencyGrant> {
        let set = EmergencyGrant::set(&rows);
        rows.into_iter().map(|row| EmergencyGrant { row, set: set.clone() }).collect()
    }

    pub fn one(row: emergency_grant::Model) -> EmergencyGrant {
        EmergencyGrant { set: EmergencyGrant::set(std::slice::from_ref(&row)), row }
    }
}

/// Emergency access ("break the glass"): a staff member opened a client outside their caseload
/// for a limited time, giving a reason. Seen by its holder and by its reviewer (the holder's
/// supervisor, or an ADMIN for staff no supervisor reviews); ids and the reason only, never
/// client content.
#[Object]
impl EmergencyGrant {
    /// Opaque id; pass it to `reviewEmergencyAccess(grantId:)`.
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// Who broke the glass.
    async fn staff_id(&self) -> ID {
        id(self.row.staff_id)
    }

    /// The client opened; `client(id:)` answers it for the holder until `expiresAt`.
    async fn client_id(&self) -> ID {
        id(self.row.client_id)
    }

    /// The staff member who broke the glass (the object behind `staffId`).
    async fn staff(&self, ctx: &Context<'_>) -> Result<Staff> {
        self.set.staff.required(ctx, self.row.staff_key()).await
    }

    /// The client opened, when the caller may see them (the holder until `expiresAt`, or a
    /// reviewer whose team holds the client); null otherwise, as if absent. Grants count from
    /// the request after the one that made them, so `requestEmergencyAccess` itself answers
    /// null here: read the client with the next request.
    async fn client(&self, ctx: &Context<'_>) -> Result<Option<Client>> {
        self.set.clients.get(ctx, self.row.client_key()).await
    }

    /// The staff member who reviewed it; null until reviewed.
    async fn reviewed_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let Some(key) = self.row.reviewed_by_key() else { return Ok(None) };
        self.set.staff.get(ctx, key).await
    }

    /// Why the holder needed access, in their words.
    async fn reason(&self) -> &str {
        &self.row.reason
    }

    /// When access was granted (UTC).
    async fn granted_at(&self) -> DateTime {
        DateTime(self.row.granted_at)
    }

    /// When access ends (UTC): `grantedAt` plus the configured grant length
    /// (`CONTINUUM_EMERGENCY_ACCESS_MINUTES`, default 60).
    async fn expires_at(&self) -> DateTime {
        DateTime(self.row.expires_at)
    }

    /// When the reviewer marked it reviewed; null while it waits in the review queue.
    async fn reviewed_at(&self) -> Option<DateTime> {
        self.row.reviewed_at.map(DateTime)
    }

    /// The staff member who reviewed it; null until reviewed.
    async fn reviewed_by_id(&self) -> Option<ID> {
        self.row.reviewed_by.map(id)
    }

    /// For the reviewer (the grant holder's supervisor, or an ADMIN for staff no supervisor
    /// reviews): every audit event made under the grant, oldest first — operation, field,
    /// time and outcome, never client content. Anyone else, the holder included, is refused.
    async fn audit_events(&self, ctx: &Context<'_>) -> Result<Vec<AuditEvent>> {
        let rows = crate::service::privacy::grant_evidence(ctx.state()?, ctx.viewer()?, &self.row).await?;
        Ok(AuditEvent::list(rows))
    }

    /// The reviewer's note; null until reviewed.
    async fn review_note(&self) -> Option<&str> {
        self.row.review_note.as_deref()
    }
}

/// One audit event: who, what, which client, when, outcome — never names or record content.
/// There is no `client` object beside `clientId`: the trail's reader (ADMIN) sees no client
/// records, and the id is what ties a client's events together.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AuditEvent {
    #[graphql(skip)]
    staff_key: Option<Id<staff::Entity>>,
    #[graphql(skip)]
    staff: Arc<StaffRefs>,
    /// Opaque id; ids sort in the order events were written.
    pub id: ID,
    /// The hash chain the event belongs to (the trail is several chains appended side by side).
    pub chain: i32,
    /// Position in its chain.
    pub seq: i64,
    /// When the event was written (UTC, to the microsecond).
    pub at: DateTime,
    /// Who acted; null when nobody is known (a sign-in attempt with an unknown email).
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
    /// The client whose record was read or changed; null for events about no client (sign-ins,
    /// staff changes).
    pub client_id: Option<ID>,
    /// `ALLOWED`: it was done. `DENIED`: refused by role, scope, consent or a rate limit.
    /// `FAILED`: a sign-in or password change with wrong credentials.
    pub outcome: AuditOutcome,
    /// The HTTP request's `x-request-id` (the caller's, or one the server made), which also
    /// tags the server log lines of that request; null when none was known.
    pub request_id: Option<String>,
    /// Done under an emergency-access grant.
    pub emergency: bool,
    /// A short note with no client content: the refusal message of a `DENIED` event, or the
    /// grant or staff member the event concerns. Null when there is none.
    pub detail: Option<String>,
    /// SHA-256 (hex) over the previous event's hash in the same chain and every field of this
    /// one: an event edited or removed breaks the chain (`continuum audit verify`).
    pub hash: String,
}

#[ComplexObject]
impl AuditEvent {
    /// Who acted; null when nobody is known.
    async fn staff(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let Some(key) = self.staff_key else { return Ok(None) };
        self.staff.get(ctx, key).await
    }
}

impl AuditEvent {
    /// Wraps a list of events, sharing one staff load.
    pub fn list(rows: Vec<audit_event::Model>) -> Vec<AuditEvent> {
        let staff = Arc::new(StaffRefs::new(rows.iter().filter_map(audit_event::Model::staff_key)));
        rows.into_iter().map(|m| AuditEvent::of(m, staff.clone())).collect()
    }

    fn of(m: audit_event::Model, staff: Arc<StaffRefs>) -> Self {
        AuditEvent {
            staff_key: m.staff_key(),
            staff,
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

/// Narrows `auditEvents`: an event must match every field given; a field left out matches all.
#[derive(InputObject, Default)]
pub struct AuditFilter {
    /// Only events by this staff member.
    pub staff_id: Option<ID>,
    /// Only events on this client's record.
    pub client_id: Option<ID>,
    /// Only events at or after this instant.
    pub from: Option<DateTime>,
    /// Only events before this instant (exclusive).
    pub to: Option<DateTime>,
    /// Only events with this outcome.
    pub outcome: Option<AuditOutcome>,
    /// `true`: only events done under an emergency-access grant; `false`: only the others.
    pub emergency: Option<bool>,
}

/// A written consent with the elements of 42 CFR § 2.31. Elements the schema leaves optional
/// are still required by the rule `CONSENT_ELEMENTS`, which names the missing field.
#[derive(InputObject)]
pub struct RecordConsentInput {
    /// The client who consents; one the caller may not see is `NOT_FOUND`.
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
    /// In what capacity `signerName` signed: the client, a guardian or a personal
    /// representative. Required.
    pub signer_capacity: Option<SignerCapacity>,
    /// How it was signed: a wet signature on file, or electronically. Required.
    pub signature_method: Option<SignatureMethod>,
    /// The consent states the right to revoke and the client was told: must be true.
    #[graphql(default)]
    pub right_to_revoke_explained: bool,
}

/// Information to share outside the program. It goes only under an active consent that reaches
/// the recipient, lists `purposeCode` and covers every category; else it is refused
/// (`FORBIDDEN`, rule `CONSENT_REQUIRED`).
#[derive(InputObject)]
pub struct DiscloseInput {
    /// The client whose information is shared; one the caller may not see is `NOT_FOUND`.
    pub client_id: ID,
    /// Who receives it. Matched to a consent's named recipient ignoring case and spacing; a
    /// `TREATING_PROVIDERS` consent reaches any recipient, for treatment, payment, health care
    /// operations and care coordination only.
    pub recipient: String,
    /// Required (nullable only for older callers): one of the consent's purposes; leaving it
    /// out is `BAD_USER_INPUT`, a purpose the consent does not list is `CONSENT_REQUIRED`.
    pub purpose_code: Option<ConsentPurpose>,
    /// The purpose in words.
    #[graphql(default)]
    pub purpose: String,
    /// The kinds of information shared: at least one, each covered by the consent.
    pub categories: Vec<DisclosureCategory>,
    /// What is being shared, in a sentence or two.
    pub content: String,
}

/// A consent, by id.
#[derive(InputObject)]
pub struct ConsentRef {
    /// The consent's id, from `Client.consents`; one whose client the caller may not see is
    /// `NOT_FOUND`.
    pub consent_id: ID,
}

/// The client withdraws a consent (42 CFR § 2.31(a)(6)): from now on nothing is disclosed
/// under it; disclosures already made stay in the accounting.
#[derive(InputObject)]
pub struct RevokeConsentInput {
    /// The consent to end, from `Client.consents`.
    pub consent_id: ID,
    /// How the client revoked it in writing (the signed statement, and when the program
    /// received it), for the record.
    pub reason: String,
}

/// "Break the glass" on a client outside the caller's caseload.
#[derive(InputObject)]
pub struct RequestEmergencyAccessInput {
    /// The client to open.
    pub client_id: ID,
    /// Why access cannot wait, in the staff member's words; the reviewer reads it. (Emergency
    /// access to the record inside the program, HIPAA 45 CFR § 164.312(a)(2)(ii); not a
    /// 42 CFR § 2.51 disclosure to outside medical personnel, which Continuum does not record.)
    pub reason: String,
}

/// A reviewer marks an emergency-access grant reviewed.
#[derive(InputObject)]
pub struct ReviewEmergencyAccessInput {
    /// The grant, from `emergencyAccessGrants(reviewed: false)`.
    pub grant_id: ID,
    /// What the reviewer found, for the record.
    pub note: String,
}
