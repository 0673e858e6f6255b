use async_graphql::{Context, ID, Object};

use crate::graphql::error::Result;

use super::guard::audited;
use crate::{
    graphql::{
        context::ContextExt,
        cursor::{self, require_id, target_id},
        resolvers::style::input_or_pair,
        types::{
            IdConnection, connection,
            privacy::{
                AuditEvent, AuditFilter, Consent, ConsentRef, DiscloseInput, Disclosure, EmergencyGrant,
                RecordConsentInput, RequestEmergencyAccessInput, ReviewEmergencyAccessInput, RevokeConsentInput,
            },
        },
    },
    service::{
        audit::{self, Target},
        privacy::{self, NewConsent, NewDisclosure},
    },
};

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// The client's accounting of disclosures (42 CFR Part 2): the last three years.
    async fn disclosures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A client the caller may see.")] client_id: ID,
    ) -> Result<Vec<Disclosure>> {
        let viewer = ctx.viewer()?;
        let client_id = target_id(&client_id)?;
        let found = privacy::disclosures(ctx.state()?, viewer, client_id).await;
        let found = audited(ctx, "disclosures", Target::Client(client_id), found).await?;
        ctx.audit_reads("disclosures", [client_id]);
        Ok(Disclosure::list(found))
    }

    /// Emergency-access grants: a counselor sees their own; a supervisor also the team's
    /// (and reviews them); an ADMIN those of staff no supervisor reviews (supervisors, and
    /// counselors without one). `reviewed: false` is the review queue.
    async fn emergency_access_grants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`false`: the review queue; `true`: those reviewed; left out: all.")] reviewed: Option<bool>,
    ) -> Result<Vec<EmergencyGrant>> {
        Ok(EmergencyGrant::list(privacy::grants(ctx.state()?, ctx.viewer()?, reviewed).await?))
    }

    /// ADMIN: the audit trail, newest first.
    #[graphql(complexity = "crate::graphql::page_cost(first.max(last), child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the trail; left out, every event.")] filter: Option<AuditFilter>,
        #[graphql(desc = "Page forward: at most this many items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Page forward from this cursor (`pageInfo.endCursor`).")] after: Option<String>,
        #[graphql(desc = "Page backward: at most this many items, ending at `before` or at the list's end.")]
        last: Option<i32>,
        #[graphql(desc = "Page backward from this cursor (`pageInfo.startCursor`).")] before: Option<String>,
    ) -> Result<IdConnection<AuditEvent>> {
        let viewer = ctx.viewer()?;
        viewer.require_admin()?;
        let page = cursor::page(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let filter = audit::AuditFilter {
            staff_id: f.staff_id.as_ref().map(|id| require_id(id, "staffId")).transpose()?,
            client_id: f.client_id.as_ref().map(|id| require_id(id, "clientId")).transpose()?,
            from: f.from.map(|t| t.0),
            to: f.to.map(|t| t.0),
            outcome: f.outcome,
            emergency: f.emergency,
        };
        let want_total = ctx.look_ahead().field("totalCount").exists();
        let rows = audit::list(ctx.state()?, viewer, &filter, page, want_total).await?;
        Ok(connection(rows, |e| e.id, AuditEvent::list))
    }
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Records the client's written consent to disclose to one recipient.
    async fn record_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Every element of the 42 CFR § 2.31 written consent.")] input: RecordConsentInput,
    ) -> Result<Consent> {
        let viewer = ctx.viewer()?;
        let client_id = target_id(&input.client_id)?;
        let consent = NewConsent {
            client_id,
            recipient_kind: input.recipient_kind,
            recipient: input.recipient,
            purposes: input.purposes,
            purpose: input.purpose,
            categories: input.categories,
            signed_on: input.signed_on.map(|d| d.0),
            expiry: input.expiry,
            expires_on: input.expires_on.map(|d| d.0),
            expiry_event: input.expiry_event,
            signer_name: input.signer_name,
            signer_capacity: input.signer_capacity,
            signature_method: input.signature_method,
            right_to_revoke_explained: input.right_to_revoke_explained,
        };
        let result = privacy::record_consent(ctx.state()?, viewer, consent).await;
        Ok(Consent(result?))
    }

    /// The event a consent expires on has happened: the consent ends now.
    async fn record_consent_expiry_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The consent whose expiry event has happened.")] input: ConsentRef,
    ) -> Result<Consent> {
        let viewer = ctx.viewer()?;
        let consent_id = target_id(&input.consent_id)?;
        Ok(Consent(privacy::record_expiry_event(ctx.state()?, viewer, consent_id).await?))
    }

    /// The client withdraws a consent: nothing more is disclosed under it.
    async fn revoke_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The consent and how the client withdrew it.")] input: Option<RevokeConsentInput>,
        #[graphql(desc = "Deprecated: `input.consentId`.", deprecation = "pass it in `input`")] consent_id: Option<ID>,
        #[graphql(desc = "Deprecated: `input.reason`.", deprecation = "pass it in `input`")] reason: Option<String>,
    ) -> Result<Consent> {
        let viewer = ctx.viewer()?;
        let input =
            input_or_pair(input, consent_id, reason, |consent_id, reason| RevokeConsentInput { consent_id, reason })?;
        let consent_id = target_id(&input.consent_id)?;
        let result = privacy::revoke_consent(ctx.state()?, viewer, consent_id, input.reason).await;
        Ok(Consent(result?))
    }

    /// Shares information outside the program. Refused (FORBIDDEN, rule CONSENT_REQUIRED)
    /// unless a consent in force reaches the recipient (by name, or a `TREATING_PROVIDERS`
    /// consent for treatment, payment and health care operations purposes), lists
    /// `purposeCode` and covers every category; the stored disclosure carries the
    /// 42 CFR § 2.32 notice.
    async fn disclose_to_recipient(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client, the recipient, the purpose, the categories and what is shared.")]
        input: DiscloseInput,
    ) -> Result<Disclosure> {
        let viewer = ctx.viewer()?;
        let client_id = target_id(&input.client_id)?;
        let disclosure = NewDisclosure {
            client_id,
            recipient: input.recipient,
            purpose_code: input.purpose_code,
            purpose: input.purpose,
            categories: input.categories,
            content: input.content,
        };
        Ok(Disclosure::one(privacy::disclose(ctx.state()?, viewer, disclosure).await?))
    }

    /// "Break the glass": opens a client outside the caller's caseload for a limited time.
    /// Every use is audited and flagged, and the holder's supervisor reviews it (an ADMIN,
    /// when nobody supervises the holder).
    async fn request_emergency_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client and why access cannot wait.")] input: Option<RequestEmergencyAccessInput>,
        #[graphql(desc = "Deprecated: `input.clientId`.", deprecation = "pass it in `input`")] client_id: Option<ID>,
        #[graphql(desc = "Deprecated: `input.reason`.", deprecation = "pass it in `input`")] reason: Option<String>,
    ) -> Result<EmergencyGrant> {
        let viewer = ctx.viewer()?;
        let input = input_or_pair(input, client_id, reason, |client_id, reason| RequestEmergencyAccessInput {
            client_id,
            reason,
        })?;
        let client_id = target_id(&input.client_id)?;
        let result = privacy::request_emergency_access(ctx.state()?, viewer, client_id, input.reason).await;
        Ok(EmergencyGrant::one(result?))
    }

    /// SUPERVISOR: marks a team member's emergency access reviewed. ADMIN: the same for
    /// grants taken by staff no supervisor reviews.
    async fn review_emergency_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The grant and the reviewer's note.")] input: Option<ReviewEmergencyAccessInput>,
        #[graphql(desc = "Deprecated: `input.grantId`.", deprecation = "pass it in `input`")] grant_id: Option<ID>,
        #[graphql(desc = "Deprecated: `input.note`.", deprecation = "pass it in `input`")] note: Option<String>,
    ) -> Result<EmergencyGrant> {
        let viewer = ctx.viewer()?;
        let input =
            input_or_pair(input, grant_id, note, |grant_id, note| ReviewEmergencyAccessInput { grant_id, note })?;
        let grant_id = target_id(&input.grant_id)?;
        Ok(EmergencyGrant::one(privacy::review(ctx.state()?, viewer, grant_id, input.note).await?))
    }
}
