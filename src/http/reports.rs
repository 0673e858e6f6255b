//! `GET /reports/follow-ups.csv?from=YYYY-MM-DD&to=YYYY-MM-DD[&counselorId=…]`: the
//! follow-up report for funders, with the same visibility as the GraphQL report.
//! `GET /reports/teds-admissions.csv` and `/reports/teds-discharges.csv` (same parameters,
//! no counselor): the TEDS extract, one row per record, TEDS element names as the header.

use axum::{
    Extension,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    HttpState,
    request::RequestId,
    scope::{self, RequestScope},
};
use crate::domain::report::FollowUpFigures;
use crate::graphql::context::ClientAddress;
use crate::{
    error::AppError,
    service::{audit, report::follow_up_report},
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    from: Option<String>,
    to: Option<String>,
    counselor_id: Option<String>,
}

/// An error as plain text with the status a browser or script expects.
pub fn error_response(err: AppError) -> Response {
    let status = match &err {
        AppError::Unauthenticated(_) | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) | AppError::ConsentRequired(_) => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::BadInput { .. } | AppError::LikelyDuplicate { .. } => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable | AppError::Contention => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Timeout => StatusCode::GATEWAY_TIMEOUT,
        AppError::Internal(inner) => {
            tracing::error!(error = ?inner, "internal error");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let mut response = (status, format!("{}: {}\n", err.code(), err.public_message())).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    }
    response
}

fn date(field: &'static str, value: Option<&str>) -> Result<NaiveDate, AppError> {
    value
        .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
        .ok_or_else(|| AppError::bad_field(field, format!("`{field}` must be a date, YYYY-MM-DD")))
}

pub async fn follow_ups_csv(
    State(state): State<HttpState>,
    Extension(request_id): Extension<RequestId>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match scope::plain(&state, request_id, address, &headers, async |scope| render(&state, scope, params).await).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"follow-ups.csv\""),
                (header::CACHE_CONTROL, "no-store"),
            ],
            csv,
        )
            .into_response(),
        Err(err) => error_response(err),
    }
}

/// One row of the CSV: the field names are the header, in this order.
#[derive(serde::Serialize)]
struct Row {
    counselor_id: String,
    counselor: String,
    due: i64,
    scheduled: i64,
    completed: i64,
    unreachable: i64,
    missed: i64,
    cancelled: i64,
    overdue: i64,
    completion_rate: String,
    attending_support_group: i64,
    seven_day_eligible: i64,
    seven_day_completed: i64,
    seven_day_rate: String,
    seven_day_pending: i64,
    thirty_day_eligible: i64,
    thirty_day_completed: i64,
    thirty_day_rate: String,
    thirty_day_pending: i64,
    six_month_due: i64,
    six_month_completed: i64,
    six_month_rate: String,
    six_month_pending: i64,
    meets_gpra_target: Option<bool>,
    outcome_abstinent: i64,
    outcome_return_to_use: i64,
    outcome_readmitted: i64,
    outcome_declined_to_answer: i64,
    outcome_incarcerated: i64,
    outcome_deceased: i64,
}

/// Cells that a spreadsheet would run as a formula are quoted with a leading apostrophe.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

fn rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.4}")).unwrap_or_default()
}

impl Row {
    fn new(id: &str, name: &str, f: &FollowUpFigures) -> Row {
        let outcome = |i: usize| f.outcomes.get(i).map_or(0, |o| o.count);
        Row {
            counselor_id: id.to_owned(),
            counselor: cell(name),
            due: f.due,
            scheduled: f.scheduled,
            completed: f.completed,
            unreachable: f.unreachable,
            missed: f.missed,
            cancelled: f.cancelled,
            overdue: f.overdue,
            completion_rate: rate(f.completion_rate),
            attending_support_group: f.attending_support_group,
            seven_day_eligible: f.seven_day_eligible,
            seven_day_completed: f.seven_day_completed,
            seven_day_rate: rate(f.seven_day_rate),
            seven_day_pending: f.seven_day_pending,
            thirty_day_eligible: f.thirty_day_eligible,
            thirty_day_completed: f.thirty_day_completed,
            thirty_day_rate: rate(f.thirty_day_rate),
            thirty_day_pending: f.thirty_day_pending,
            six_month_due: f.six_month_due,
            six_month_completed: f.six_month_completed,
            six_month_rate: rate(f.six_month_rate),
            six_month_pending: f.six_month_pending,
            meets_gpra_target: f.meets_gpra_target,
            outcome_abstinent: outcome(0),
            outcome_return_to_use: outcome(1),
            outcome_readmitted: outcome(2),
            outcome_declined_to_answer: outcome(3),
            outcome_incarcerated: outcome(4),
            outcome_deceased: outcome(5),
        }
    }
}

async fn render(state: &HttpState, scope: &RequestScope, params: Params) -> Result<String, AppError> {
    let viewer = scope.viewer()?;
    if let Err(err) = viewer.require_clinical() {
        scope.audit(audit::Event::by(viewer, "followUpsCsv", None, audit::AuditOutcome::Denied));
        return Err(err);
    }
    let from = date("from", params.from.as_deref())?;
    let to = date("to", params.to.as_deref())?;
    let counselor_id = params
        .counselor_id
        .map(|id| uuid::Uuid::parse_str(&id).map_err(|_| AppError::bad_field("counselorId", "not a valid id")))
        .transpose()?;
    let report = follow_up_report(&state.app, viewer, from, to, counselor_id).await?;
    let ids: Vec<uuid::Uuid> = report.by_counselor.iter().map(|r| r.counselor_id).collect();
    let names = crate::service::staff::names(&state.app, &ids).await?;

    let mut writer = csv::Writer::from_writer(Vec::new());
    for r in &report.by_counselor {
        let name = names.get(&r.counselor_id).map(String::as_str).unwrap_or_default();
        writer.serialize(Row::new(&r.counselor_id.to_string(), name, &r.figures)).map_err(AppError::internal)?;
    }
    writer.serialize(Row::new("TOTAL", "All counselors", &report.total)).map_err(AppError::internal)?;
    let bytes = writer.into_inner().map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    scope.audit(audit::Event::by(viewer, "followUpsCsv", None, audit::AuditOutcome::Allowed));
    String::from_utf8(bytes).map_err(AppError::internal)
}

/// Which TEDS records a CSV holds.
#[derive(Clone, Copy)]
pub enum TedsFile {
    Admissions,
    Discharges,
}

/// `GET /reports/teds-admissions.csv` or `/reports/teds-discharges.csv`, by `file`.
pub async fn teds_csv(
    file: TedsFile,
    State(state): State<HttpState>,
    Extension(request_id): Extension<RequestId>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let name = match file {
        TedsFile::Admissions => "attachment; filename=\"teds-admissions.csv\"",
        TedsFile::Discharges => "attachment; filename=\"teds-discharges.csv\"",
    };
    let rendered = scope::plain(&state, request_id, address, &headers, async |scope| {
        render_teds(&state, scope, params, file).await
    })
    .await;
    match rendered {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, name),
                (header::CACHE_CONTROL, "no-store"),
            ],
            csv,
        )
            .into_response(),
        Err(err) => error_response(err),
    }
}

async fn render_teds(
    state: &HttpState,
    scope: &RequestScope,
    params: Params,
    file: TedsFile,
) -> Result<String, AppError> {
    let viewer = scope.viewer()?;
    if let Err(err) = viewer.require_clinical() {
        scope.audit(audit::Event::by(viewer, "tedsCsv", None, audit::AuditOutcome::Denied));
        return Err(err);
    }
    let from = date("from", params.from.as_deref())?;
    let to = date("to", params.to.as_deref())?;
    let extract = crate::service::teds::extract(&state.app, viewer, from, to).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut clients = Vec::new();
    match file {
        TedsFile::Admissions => {
            // Every cell is a code, a date or an id: nothing a spreadsheet could run.
            for record in &extract.admissions {
                writer.serialize(record).map_err(AppError::internal)?;
                clients.push(record.client_id.clone());
            }
            if extract.admissions.is_empty() {
                writer.write_record(TEDS_ADMISSION_HEADER).map_err(AppError::internal)?;
            }
        }
        TedsFile::Discharges => {
            for record in &extract.discharges {
                writer.serialize(record).map_err(AppError::internal)?;
                clients.push(record.client_id.clone());
            }
            if extract.discharges.is_empty() {
                writer.write_record(TEDS_DISCHARGE_HEADER).map_err(AppError::internal)?;
            }
        }
    }
    let bytes = writer.into_inner().map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    for client in clients.iter().filter_map(|id| uuid::Uuid::parse_str(id).ok()) {
        scope.audit(audit::Event::by(viewer, "tedsCsv", Some(client), audit::AuditOutcome::Allowed));
    }
    String::from_utf8(bytes).map_err(AppError::internal)
}

/// The headers for an empty file (serde writes them only with the first row).
const TEDS_ADMISSION_HEADER: [&str; 20] = [
    "CASEID",
    "ADMIT_DATE",
    "AGE",
    "SEX",
    "SERVICES",
    "SUB1",
    "ROUTE1",
    "FREQ1",
    "FRSTUSE1",
    "SUB2",
    "ROUTE2",
    "FREQ2",
    "FRSTUSE2",
    "SUB3",
    "ROUTE3",
    "FREQ3",
    "FRSTUSE3",
    "NOPRIOR",
    "PSOURCE",
    "FREQ_ATND_SELF_HELP",
];
const TEDS_DISCHARGE_HEADER: [&str; 7] =
    ["CASEID", "ADMIT_DATE", "DISCH_DATE", "SERVICES_D", "REASON", "LOS", "FREQ_ATND_SELF_HELP_D"];
