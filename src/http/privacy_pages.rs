//! The printable 42 CFR Part 2 papers, like the aftercare plan (compiled templates, no
//! scripts, a Content-Security-Policy that forbids them, the visibility of the GraphQL
//! fields, every view audited):
//! - `GET /consents/{id}/form`: the consent with every § 2.31 element and the right to
//!   revoke, for the client's signature and the file;
//! - `GET /disclosures/{id}/record`: what was disclosed, to whom and why, with the § 2.32
//!   notice it carried and the scope of its consent.

use askama::Template;
use axum::{
    Extension,
    extract::{Path, State},
    http::HeaderMap,
    response::Response,
};

use super::{
    HttpState,
    aftercare_page::printable,
    request::RequestId,
    scope::{self, RequestScope},
};
use crate::graphql::context::ClientAddress;
use crate::{
    domain::privacy::{
        self, ConsentExpiry, DisclosureCategory, RecipientKind, SignatureMethod, SignerCapacity, TPO_STATEMENT,
    },
    entity::{client, consent},
    error::{AppError, AppResult},
    service::{audit, client::find_visible, loaders, privacy as privacy_service},
};

#[derive(Template)]
#[template(path = "consent_form.html")]
struct ConsentForm {
    program: String,
    id: String,
    patient: String,
    date_of_birth: String,
    disclosing_program: String,
    recipient: String,
    categories: String,
    purposes: String,
    purpose_note: String,
    expiry: String,
    signer: String,
    capacity: &'static str,
    signed_on: String,
    method: &'static str,
    right_to_revoke: String,
    tpo: bool,
    tpo_statement: &'static str,
    revoked: Option<String>,
    today: String,
}

#[derive(Template)]
#[template(path = "disclosure_record.html")]
struct DisclosureRecord {
    program: String,
    id: String,
    consent_id: String,
    notice: String,
    patient: String,
    recipient: String,
    disclosed_at: String,
    disclosed_by: String,
    purpose: String,
    categories: String,
    content: String,
    consent_recipient: String,
    consent_purposes: String,
    consent_categories: String,
    consent_expiry: String,
    consent_signed: String,
    today: String,
}

fn category_label(c: DisclosureCategory) -> &'static str {
    match c {
        DisclosureCategory::ContactInformation => "contact information",
        DisclosureCategory::ReferralDetails => "referrals to support groups",
        DisclosureCategory::Attendance => "attendance at meetings",
        DisclosureCategory::TreatmentStatus => "treatment status (stage, level of care, admission and discharge)",
        DisclosureCategory::FollowUpOutcomes => "outcomes of follow-up contacts",
    }
}

fn categories(stored: &str) -> String {
    privacy::decode(stored).into_iter().map(category_label).collect::<Vec<_>>().join("; ")
}

fn purposes(stored: &str) -> String {
    privacy::decode_purposes(stored).into_iter().map(|p| p.label()).collect::<Vec<_>>().join("; ")
}

fn expiry(c: &consent::Model) -> String {
    match ConsentExpiry::parse(&c.expiry) {
        Some(ConsentExpiry::OnDate) => {
            c.expires_on.map_or_else(|| "on a date not recorded".into(), |d| format!("on {d}"))
        }
        Some(ConsentExpiry::OnEvent) => {
            let event = c.expiry_event.clone().unwrap_or_default();
            match c.expiry_event_recorded_at {
                Some(at) => format!("{event} (recorded {})", at.date_naive()),
                None => event,
            }
        }
        Some(ConsentExpiry::None) => "none: a consent for treatment, payment and health care operations".into(),
        None => "not recorded".into(),
    }
}

fn capacity(c: &consent::Model) -> &'static str {
    match SignerCapacity::parse(&c.signer_capacity) {
        Some(SignerCapacity::Patient) => "the patient",
        Some(SignerCapacity::Guardian) => "guardian",
        Some(SignerCapacity::PersonalRepresentative) => "personal representative",
        None => "capacity not recorded",
    }
}

fn method(c: &consent::Model) -> &'static str {
    match SignatureMethod::parse(&c.signature_method) {
        Some(SignatureMethod::WetSignatureOnFile) => "wet signature on file",
        Some(SignatureMethod::Electronic) => "electronic signature",
        None => "method not recorded",
    }
}

fn name(c: &client::Model) -> String {
    format!("{} {}", c.first_name, c.last_name)
}

/// The client behind a record, if the caller may see it; every attempt audited as `action`.
async fn visible_client(
    state: &HttpState,
    scope: &RequestScope,
    action: &str,
    client_id: Option<uuid::Uuid>,
) -> AppResult<client::Model> {
    let viewer = scope.viewer()?.clone();
    let found = match (viewer.require_clinical(), client_id) {
        (Err(err), _) => Err(err),
        (Ok(()), None) => Err(AppError::NotFound),
        (Ok(()), Some(id)) => find_visible(&state.app.db, &viewer, id).await,
    };
    match found {
        Ok(client) => {
            scope.audit(audit::Event::by(&viewer, action, Some(client.id), audit::AuditOutcome::Allowed));
            Ok(client)
        }
        Err(err) => {
            if matches!(err, AppError::NotFound | AppError::Forbidden(_)) {
                scope.audit(audit::Event::by(&viewer, action, client_id, audit::AuditOutcome::Denied));
            }
            Err(err)
        }
    }
}

pub async fn consent_form(
    State(state): State<HttpState>,
    Extension(request_id): Extension<RequestId>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let rendered =
        scope::plain(&state, request_id, address, &headers, async |scope| render_consent(&state, scope, &id).await)
            .await;
    printable(rendered)
}

async fn render_consent(state: &HttpState, scope: &RequestScope, id: &str) -> AppResult<String> {
    let app = &state.app;
    scope.viewer()?;
    let row = match uuid::Uuid::parse_str(id) {
        Ok(id) => privacy_service::consent_row(app, id).await?,
        Err(_) => None,
    };
    // Absent and not yours answer alike: both are a client the caller cannot see.
    let client = visible_client(state, scope, "consentForm", row.as_ref().map(|c| c.client_id)).await?;
    let c = row.ok_or(AppError::NotFound)?;
    let recipient = match RecipientKind::parse(&c.recipient_kind) {
        Some(RecipientKind::TreatingProviders) => format!("{} (a general designation)", c.recipient),
        _ => c.recipient.clone(),
    };
    let form = ConsentForm {
        program: app.config.program_name.clone(),
        id: c.id.to_string(),
        patient: name(&client),
        date_of_birth: client.date_of_birth.to_string(),
        disclosing_program: if c.disclosing_program.is_empty() {
            app.config.program_name.clone()
        } else {
            c.disclosing_program.clone()
        },
        recipient,
        categories: categories(&c.categories),
        purposes: purposes(&c.purposes),
        purpose_note: c.purpose.clone(),
        expiry: expiry(&c),
        signer: c.signer_name.clone(),
        capacity: capacity(&c),
        signed_on: c.signed_on.to_string(),
        method: method(&c),
        right_to_revoke: if c.right_to_revoke.is_empty() {
            privacy::RIGHT_TO_REVOKE.to_owned()
        } else {
            c.right_to_revoke.clone()
        },
        tpo: privacy::decode_purposes(&c.purposes).iter().all(|p| p.is_tpo()) && !c.purposes.is_empty(),
        tpo_statement: TPO_STATEMENT,
        revoked: c.revoked_at.map(|t| t.date_naive().to_string()),
        today: app.today().to_string(),
    };
    form.render().map_err(AppError::internal)
}

pub async fn disclosure_record(
    State(state): State<HttpState>,
    Extension(request_id): Extension<RequestId>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let rendered =
        scope::plain(&state, request_id, address, &headers, async |scope| render_disclosure(&state, scope, &id).await)
            .await;
    printable(rendered)
}

async fn render_disclosure(state: &HttpState, scope: &RequestScope, id: &str) -> AppResult<String> {
    let app = &state.app;
    scope.viewer()?;
    let row = match uuid::Uuid::parse_str(id) {
        Ok(id) => privacy_service::disclosure_row(app, id).await?,
        Err(_) => None,
    };
    let client = visible_client(state, scope, "disclosureRecord", row.as_ref().map(|d| d.client_id)).await?;
    let d = row.ok_or(AppError::NotFound)?;
    let c = privacy_service::consent_row(app, d.consent_id).await?.ok_or(AppError::NotFound)?;
    let by = loaders::staff(&app.db, &[crate::entity::Id::from_input(d.disclosed_by)]).await?;
    let purpose = match privacy::decode_purposes(&d.purpose_code).first() {
        Some(code) if d.purpose.is_empty() => code.label().to_owned(),
        Some(code) => format!("{}: {}", code.label(), d.purpose),
        None => d.purpose.clone(),
    };
    let record = DisclosureRecord {
        program: app.config.program_name.clone(),
        id: d.id.to_string(),
        consent_id: c.id.to_string(),
        notice: d.notice.clone(),
        patient: name(&client),
        recipient: d.recipient.clone(),
        disclosed_at: d.disclosed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        disclosed_by: by.into_values().next().map(|s| s.name).unwrap_or_default(),
        purpose,
        categories: categories(&d.categories),
        content: d.content.clone(),
        consent_recipient: c.recipient.clone(),
        consent_purposes: purposes(&c.purposes),
        consent_categories: categories(&c.categories),
        consent_expiry: expiry(&c),
        consent_signed: format!("{} by {} ({}), {}", c.signed_on, c.signer_name, capacity(&c), method(&c)),
        today: app.today().to_string(),
    };
    record.render().map_err(AppError::internal)
}
