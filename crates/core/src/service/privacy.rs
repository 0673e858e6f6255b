//! 42 CFR Part 2 consents and disclosures, and emergency access ("break the glass").

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::service::{
    audit::Target,
    write::{Tx, Who, Write, write},
};
use crate::{
    auth::Viewer,
    domain::{
        Role,
        client::{MAX_NOTE_CHARS, MAX_REASON_CHARS, check_text},
        privacy::{
            self, ConsentExpiry, ConsentPurpose, DisclosureCategory, NOTICE_2024, RIGHT_TO_REVOKE, RecipientKind,
            SignatureMethod, SignerCapacity,
        },
    },
    entity::{Id, client, consent, disclosure, emergency_grant},
    error::{AppError, AppResult},
    service::{
        audit,
        client::find_visible,
        scope::{own_clients, team_of},
    },
    state::AppState,
};

#[derive(Clone)]
pub struct NewConsent {
    pub client_id: Uuid,
    pub recipient_kind: RecipientKind,
    pub recipient: String,
    pub purposes: Vec<ConsentPurpose>,
    /// The client's words beside the purposes.
    pub purpose: String,
    pub categories: Vec<DisclosureCategory>,
    pub signed_on: Option<NaiveDate>,
    pub expiry: ConsentExpiry,
    pub expires_on: Option<NaiveDate>,
    pub expiry_event: Option<String>,
    pub signer_name: String,
    pub signer_capacity: Option<SignerCapacity>,
    pub signature_method: Option<SignatureMethod>,
    pub right_to_revoke_explained: bool,
}

#[derive(Clone)]
pub struct NewDisclosure {
    pub client_id: Uuid,
    pub recipient: String,
    /// The consent purpose the disclosure is for.
    pub purpose_code: Option<ConsentPurpose>,
    pub purpose: String,
    pub categories: Vec<DisclosureCategory>,
    /// What was shared, in a sentence or two.
    pub content: String,
}

/// Whether a consent can carry a disclosure today: signed, not revoked, not ended by its
/// date or its event, and recorded with every § 2.31 element.
pub fn in_force(consent: &consent::Model, today: NaiveDate) -> bool {
    let ended = match ConsentExpiry::parse(&consent.expiry) {
        Some(ConsentExpiry::OnDate) => consent.expires_on.is_none_or(|d| d < today),
        Some(ConsentExpiry::OnEvent) => consent.expiry_event_recorded_at.is_some(),
        Some(ConsentExpiry::None) => false,
        None => true,
    };
    consent.revoked_at.is_none() && consent.signed_on <= today && !ended && !consent.needs_reconsent
}

fn required_text(field: &'static str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::bad_field(field, format!("{field} is required")));
    }
    check_text(field, value, max)?;
    Ok(value.to_owned())
}

pub async fn record_consent(state: &AppState, viewer: &Viewer, input: NewConsent) -> AppResult<consent::Model> {
    let spec = Write::new("recordConsent", Who::Clinical, Target::Client(input.client_id));
    write(state, viewer, spec, |tx| record_consent_in(tx, input.clone())).await
}

async fn record_consent_in(mut tx: Tx, input: NewConsent) -> AppResult<(Tx, consent::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let today = state.today();
    let signed_on = input.signed_on.unwrap_or(today);
    let expiry_event = input.expiry_event.clone().unwrap_or_default();
    privacy::check_consent(
        &privacy::ConsentDraft {
            recipient_kind: input.recipient_kind,
            recipient: &input.recipient,
            purposes: &input.purposes,
            categories: &input.categories,
            expiry: input.expiry,
            expires_on: input.expires_on,
            expiry_event: &expiry_event,
            signer_name: &input.signer_name,
            signer_capacity: input.signer_capacity,
            signature_method: input.signature_method,
            signed_on,
            right_to_revoke_explained: input.right_to_revoke_explained,
        },
        today,
    )?;
    let recipient = match input.recipient_kind {
        RecipientKind::Named => required_text("recipient", &input.recipient, 200)?,
        RecipientKind::TreatingProviders => TREATING_PROVIDERS.to_owned(),
    };
    let purpose = input.purpose.trim().to_owned();
    check_text("purpose", &purpose, MAX_REASON_CHARS)?;
    let signer_name = required_text("signerName", &input.signer_name, 200)?;
    let expiry_event = match input.expiry {
        ConsentExpiry::OnEvent => Some(required_text("expiryEvent", &expiry_event, 500)?),
        _ => None,
    };
    let now = state.now();
    let client = find_visible(tx.conn(), viewer, input.client_id).await?;
    let created = consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client.id),
        recipient_normalized: Set(privacy::normalize_recipient(&recipient)),
        recipient: Set(recipient),
        purpose: Set(purpose),
        categories: Set(privacy::encode(&input.categories)),
        signed_on: Set(signed_on),
        expires_on: Set(if input.expiry == ConsentExpiry::OnDate { input.expires_on } else { None }),
        revoked_at: Set(None),
        revoked_by: Set(None),
        revoke_reason: Set(None),
        recorded_by: Set(viewer.staff_id),
        created_at: Set(now),
        disclosing_program: Set(state.config.program_name.clone()),
        recipient_kind: Set(input.recipient_kind.as_str().to_owned()),
        purposes: Set(privacy::encode_purposes(&input.purposes)),
        expiry: Set(input.expiry.as_str().to_owned()),
        expiry_event: Set(expiry_event),
        expiry_event_recorded_at: Set(None),
        signer_name: Set(signer_name),
        signer_capacity: Set(input.signer_capacity.map(|c| c.as_str().to_owned()).unwrap_or_default()),
        signature_method: Set(input.signature_method.map(|m| m.as_str().to_owned()).unwrap_or_default()),
        right_to_revoke: Set(RIGHT_TO_REVOKE.to_owned()),
        needs_reconsent: Set(false),
    }
    .insert(tx.conn())
    .await?;
    tx.changed(Some(client.id))?;
    Ok((tx, created))
}

/// The recipient of a consent that names its recipients by the general designation.
pub const TREATING_PROVIDERS: &str =
    "my treating providers, health plans, third-party payers, and people helping to operate this program";

/// Records that the event a consent expires on has happened ("finished aftercare"): the
/// consent ends now, and no disclosure goes under it again.
pub async fn record_expiry_event(state: &AppState, viewer: &Viewer, consent_id: Uuid) -> AppResult<consent::Model> {
    let spec = Write::new("recordConsentExpiryEvent", Who::Clinical, Target::Consent(consent_id));
    write(state, viewer, spec, |tx| record_expiry_event_in(tx, consent_id)).await
}

async fn record_expiry_event_in(mut tx: Tx, consent_id: Uuid) -> AppResult<(Tx, consent::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let current = visible_consent(tx.conn(), viewer, consent_id).await?;
    if ConsentExpiry::parse(&current.expiry) != Some(ConsentExpiry::OnEvent) {
        return Err(AppError::bad_field("consentId", "this consent does not expire on an event"));
    }
    if current.expiry_event_recorded_at.is_some() || current.revoked_at.is_some() {
        return Err(AppError::bad_field("consentId", "this consent has already ended"));
    }
    consent::Entity::update_many()
        .col_expr(consent::Column::ExpiryEventRecordedAt, Expr::value(Some(state.now())))
        .filter(consent::Column::Id.eq(current.id))
        .exec(tx.conn())
        .await?;
    tx.changed(Some(current.client_id))?;
    let updated = consent::Entity::find_by_id(current.id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;
    Ok((tx, updated))
}

/// A consent the caller may change: seen only through its client; `NOT_FOUND` otherwise.
async fn visible_consent(conn: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<consent::Model> {
    let consent = consent::Entity::find_by_id(id).one(conn).await?.ok_or(AppError::NotFound)?;
    find_visible(conn, viewer, consent.client_id).await?;
    Ok(consent)
}

pub async fn revoke_consent(
    state: &AppState,
    viewer: &Viewer,
    consent_id: Uuid,
    reason: String,
) -> AppResult<consent::Model> {
    let spec = Write::new("revokeConsent", Who::Clinical, Target::Consent(consent_id));
    write(state, viewer, spec, |tx| revoke_consent_in(tx, consent_id, reason.clone())).await
}

async fn revoke_consent_in(mut tx: Tx, consent_id: Uuid, reason: String) -> AppResult<(Tx, consent::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let reason = required_text("reason", &reason, MAX_REASON_CHARS)?;
    let now = state.now();
    let current = visible_consent(tx.conn(), viewer, consent_id).await?;
    if current.revoked_at.is_some() {
        return Err(AppError::bad_field("consentId", "this consent is already revoked"));
    }
    consent::Entity::update_many()
        .col_expr(consent::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(consent::Column::RevokedBy, Expr::value(Some(viewer.staff_id)))
        .col_expr(consent::Column::RevokeReason, Expr::value(Some(reason)))
        .filter(consent::Column::Id.eq(current.id))
        .exec(tx.conn())
        .await?;
    tx.changed(Some(current.client_id))?;
    let updated = consent::Entity::find_by_id(current.id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;
    Ok((tx, updated))
}

pub async fn consents_of(state: &AppState, client_id: Uuid) -> AppResult<Vec<consent::Model>> {
    let key = Id::from_input(client_id);
    Ok(consents_of_clients(state, &[key]).await?.remove(&key).unwrap_or_default())
}

/// The consents of many clients (already visible to the caller), newest first, in one
/// statement.
pub async fn consents_of_clients(
    state: &AppState,
    client_ids: &[Id<client::Entity>],
) -> AppResult<HashMap<Id<client::Entity>, Vec<consent::Model>>> {
    let mut map: HashMap<Id<client::Entity>, Vec<consent::Model>> = HashMap::new();
    for row in consent::Entity::find()
        .filter(consent::Column::ClientId.is_in(client_ids.iter().map(|id| id.uuid())))
        .order_by_desc(consent::Column::Id)
        .all(&state.db)
        .await?
    {
        map.entry(row.client_key()).or_default().push(row);
    }
    Ok(map)
}

/// Shares a client's information outside the program, under a consent that names the
/// recipient, covers every category shared, is signed, unexpired and unrevoked.
pub async fn disclose(state: &AppState, viewer: &Viewer, input: NewDisclosure) -> AppResult<disclosure::Model> {
    let spec = Write::new("discloseToRecipient", Who::Clinical, Target::Client(input.client_id));
    write(state, viewer, spec, |tx| disclose_in(tx, input.clone())).await
}

async fn disclose_in(mut tx: Tx, input: NewDisclosure) -> AppResult<(Tx, disclosure::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let recipient = required_text("recipient", &input.recipient, 200)?;
    let purpose = input.purpose.trim().to_owned();
    check_text("purpose", &purpose, MAX_REASON_CHARS)?;
    let Some(purpose_code) = input.purpose_code else {
        return Err(AppError::bad_field("purposeCode", "name the consent purpose this disclosure is for"));
    };
    let content = required_text("content", &input.content, MAX_NOTE_CHARS)?;
    if input.categories.is_empty() {
        return Err(AppError::bad_field("categories", "name at least one category of information"));
    }
    let today = state.today();
    let now = state.now();
    let client = find_visible(tx.conn(), viewer, input.client_id).await?;
    let wanted = privacy::normalize_recipient(&recipient);
    let consents = consent::Entity::find()
        .filter(consent::Column::ClientId.eq(client.id))
        .order_by_desc(consent::Column::Id)
        .all(tx.conn())
        .await?;
    // The consents that reach this recipient; a general designation reaches any recipient,
    // for treatment, payment and health care operations only.
    let for_recipient: Vec<&consent::Model> = consents
        .iter()
        .filter(|c| match RecipientKind::parse(&c.recipient_kind) {
            Some(RecipientKind::Named) => c.recipient_normalized == wanted,
            Some(RecipientKind::TreatingProviders) => purpose_code.is_tpo(),
            None => false,
        })
        .collect();
    let in_force: Vec<&consent::Model> = for_recipient.iter().copied().filter(|c| in_force(c, today)).collect();
    let for_purpose: Vec<&consent::Model> =
        in_force.iter().copied().filter(|c| privacy::decode_purposes(&c.purposes).contains(&purpose_code)).collect();
    let found = for_purpose.iter().find(|c| privacy::covers(&privacy::decode(&c.categories), &input.categories));
    let Some(consent) = found else {
        // Rolled back and audited as DENIED by the write path. The reason names the gap,
        // never the record.
        let reason = if for_recipient.is_empty() {
            "no written consent of the client names this recipient (42 CFR 2.31)".to_owned()
        } else if in_force.is_empty() {
            if for_recipient.iter().any(|c| c.needs_reconsent && c.revoked_at.is_none()) {
                "the consent for this recipient was recorded before the 2024 consent elements and needs the client's re-consent".to_owned()
            } else {
                "the consent for this recipient has been revoked or has expired".to_owned()
            }
        } else if for_purpose.is_empty() {
            let allowed: Vec<&str> = in_force
                .iter()
                .flat_map(|c| privacy::decode_purposes(&c.purposes))
                .map(ConsentPurpose::label)
                .collect();
            format!(
                "the client consented to disclosures to this recipient for {} only, not for {}",
                allowed.join(", "),
                purpose_code.label()
            )
        } else {
            "the consent for this recipient and purpose does not cover this information".to_owned()
        };
        return Err(AppError::ConsentRequired(reason));
    };
    let created = disclosure::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client.id),
        consent_id: Set(consent.id),
        recipient: Set(recipient),
        purpose: Set(purpose),
        categories: Set(privacy::encode(&input.categories)),
        content: Set(content),
        notice: Set(NOTICE_2024.to_owned()),
        disclosed_by: Set(viewer.staff_id),
        disclosed_at: Set(now),
        purpose_code: Set(purpose_code.as_str().to_owned()),
    }
    .insert(tx.conn())
    .await?;
    tx.changed(Some(client.id))?;
    Ok((tx, created))
}

/// The client's accounting of disclosures: the last three years, newest first.
pub async fn disclosures(state: &AppState, viewer: &Viewer, client_id: Uuid) -> AppResult<Vec<disclosure::Model>> {
    let client = find_visible(&state.db, viewer, client_id).await?;
    Ok(disclosure::Entity::find()
        .filter(disclosure::Column::ClientId.eq(client.id))
        .filter(disclosure::Column::DisclosedAt.gte(state.now() - chrono::Duration::days(3 * 365 + 1)))
        .order_by_desc(disclosure::Column::Id)
        .all(&state.db)
        .await?)
}

/// Opens a client outside the caller's caseload for a limited time, with a reason.
pub async fn request_emergency_access(
    state: &AppState,
    viewer: &Viewer,
    client_id: Uuid,
    reason: String,
) -> AppResult<emergency_grant::Model> {
    let spec = Write::new("requestEmergencyAccess", Who::Clinical, Target::Client(client_id));
    write(state, viewer, spec, |tx| request_emergency_access_in(tx, client_id, reason.clone())).await
}

async fn request_emergency_access_in(
    mut tx: Tx,
    client_id: Uuid,
    reason: String,
) -> AppResult<(Tx, emergency_grant::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let reason = required_text("reason", &reason, MAX_REASON_CHARS)?;
    let now = state.now();
    // Break-glass is for clients that exist but are not yours: look up without the scope.
    let client = client::Entity::find_by_id(client_id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;
    let own = client::Entity::find_by_id(client.id).filter(own_clients(viewer)?).one(tx.conn()).await?;
    if own.is_some() {
        return Err(AppError::bad_field("clientId", "this client is already on your caseload"));
    }
    let expires = now + chrono::Duration::from_std(state.config.emergency_access).unwrap_or(chrono::Duration::hours(1));
    let grant = emergency_grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        staff_id: Set(viewer.staff_id),
        client_id: Set(client.id),
        reason: Set(reason),
        granted_at: Set(now),
        expires_at: Set(expires),
        reviewed_at: Set(None),
        reviewed_by: Set(None),
        review_note: Set(None),
    }
    .insert(tx.conn())
    .await?;
    let event = audit::Event::by(viewer, "requestEmergencyAccess", Some(client.id), audit::AuditOutcome::Allowed)
        .with_detail(format!("grant {} until {}", grant.id, expires.to_rfc3339()));
    tx.audit(event);
    tracing::warn!(event = "emergency_access", staff_id = %viewer.staff_id, client_id = %client.id, "emergency access granted");
    Ok((tx, grant))
}

/// Staff whose grants no supervisor reviews (supervisors themselves, and counselors
/// without one): an administrator reviews those. A grant shows ids and the stated reason,
/// never client content, so this gives the administrator no client data.
fn unsupervised() -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(crate::entity::staff::Column::Id)
        .from(crate::entity::staff::Entity)
        .and_where(crate::entity::staff::Column::SupervisorId.is_null())
        .to_owned()
}

/// The grants `viewer` reviews: a supervisor their team's, an administrator those nobody
/// else can.
fn reviewable_by(viewer: &Viewer) -> AppResult<Condition> {
    match viewer.role {
        Role::Supervisor => {
            Ok(Condition::all().add(emergency_grant::Column::StaffId.in_subquery(team_of(viewer.staff_id))))
        }
        Role::Admin => Ok(Condition::all().add(emergency_grant::Column::StaffId.in_subquery(unsupervised()))),
        Role::Counselor => Err(AppError::Forbidden("only a supervisor or an administrator reviews emergency access")),
    }
}

/// Grants a caller may see: their own, and those they review.
fn visible_grants(viewer: &Viewer) -> AppResult<Condition> {
    let mine = Condition::any().add(emergency_grant::Column::StaffId.eq(viewer.staff_id));
    Ok(match viewer.role {
        Role::Counselor => mine,
        Role::Supervisor | Role::Admin => mine.add(reviewable_by(viewer)?),
    })
}

/// One grant, if the caller may see it (as in [`grants`]); `None` when absent or not theirs.
pub async fn grant(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<emergency_grant::Model>> {
    let scope = match visible_grants(viewer) {
        Ok(scope) => scope,
        Err(AppError::Forbidden(_)) => return Ok(None),
        Err(other) => return Err(other),
    };
    Ok(emergency_grant::Entity::find_by_id(id).filter(scope).one(&state.db).await?)
}

pub async fn grants(
    state: &AppState,
    viewer: &Viewer,
    reviewed: Option<bool>,
) -> AppResult<Vec<emergency_grant::Model>> {
    let mut q = emergency_grant::Entity::find().filter(visible_grants(viewer)?);
    match reviewed {
        Some(true) => q = q.filter(emergency_grant::Column::ReviewedAt.is_not_null()),
        Some(false) => q = q.filter(emergency_grant::Column::ReviewedAt.is_null()),
        None => {}
    }
    Ok(q.order_by_desc(emergency_grant::Column::Id).all(&state.db).await?)
}

/// A supervisor marks a team member's grant reviewed, with a note; an administrator those
/// of staff no supervisor reviews.
pub async fn review(
    state: &AppState,
    viewer: &Viewer,
    grant_id: Uuid,
    note: String,
) -> AppResult<emergency_grant::Model> {
    let spec = Write::new("reviewEmergencyAccess", Who::SignedIn, Target::Nothing);
    write(state, viewer, spec, |tx| review_in(tx, grant_id, note.clone())).await
}

async fn review_in(mut tx: Tx, grant_id: Uuid, note: String) -> AppResult<(Tx, emergency_grant::Model)> {
    let state = &tx.state().clone();
    let viewer = &tx.viewer()?.clone();
    let reviewable = reviewable_by(viewer)?;
    let note = required_text("note", &note, MAX_REASON_CHARS)?;
    let now = state.now();
    let grant = emergency_grant::Entity::find_by_id(grant_id)
        .filter(reviewable)
        .one(tx.conn())
        .await?
        .ok_or(AppError::NotFound)?;
    if grant.reviewed_at.is_some() {
        return Err(AppError::bad_field("grantId", "this grant has already been reviewed"));
    }
    emergency_grant::Entity::update_many()
        .col_expr(emergency_grant::Column::ReviewedAt, Expr::value(Some(now)))
        .col_expr(emergency_grant::Column::ReviewedBy, Expr::value(Some(viewer.staff_id)))
        .col_expr(emergency_grant::Column::ReviewNote, Expr::value(Some(note)))
        .filter(emergency_grant::Column::Id.eq(grant.id))
        .exec(tx.conn())
        .await?;
    let event = audit::Event::by(viewer, "reviewEmergencyAccess", Some(grant.client_id), audit::AuditOutcome::Allowed)
        .with_detail(format!("grant {}", grant.id));
    tx.audit(event);
    let updated = emergency_grant::Entity::find_by_id(grant.id).one(tx.conn()).await?.ok_or(AppError::NotFound)?;
    Ok((tx, updated))
}

/// The audit events made under a grant (by its holder, on its client, flagged as emergency
/// access, while it lasted), for the one who reviews it. The holder, and anyone else, is
/// refused: a review is not its own evidence.
pub async fn grant_evidence(
    state: &AppState,
    viewer: &Viewer,
    grant: &emergency_grant::Model,
) -> AppResult<Vec<crate::entity::audit_event::Model>> {
    use crate::entity::audit_event;
    let reviewable =
        emergency_grant::Entity::find_by_id(grant.id).filter(reviewable_by(viewer)?).one(&state.db).await?;
    if reviewable.is_none() {
        return Err(AppError::Forbidden("only the grant's reviewer sees what was done under it"));
    }
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::StaffId.eq(grant.staff_id))
        .filter(audit_event::Column::ClientId.eq(grant.client_id))
        .filter(audit_event::Column::Emergency.eq(true))
        .filter(audit_event::Column::At.gte(grant.granted_at))
        .filter(audit_event::Column::At.lte(grant.expires_at))
        .order_by_asc(audit_event::Column::At)
        .order_by_asc(audit_event::Column::Id)
        .all(&state.db)
        .await?)
}

/// A consent by id, with no scope: the caller checks its client's visibility before showing
/// anything of it (the printable form does).
pub async fn consent_row(state: &AppState, id: Uuid) -> AppResult<Option<consent::Model>> {
    Ok(consent::Entity::find_by_id(id).one(&state.db).await?)
}

/// A disclosure by id, with no scope, like [`consent_row`].
pub async fn disclosure_row(state: &AppState, id: Uuid) -> AppResult<Option<disclosure::Model>> {
    Ok(disclosure::Entity::find_by_id(id).one(&state.db).await?)
}
