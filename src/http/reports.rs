//! `GET /reports/follow-ups.csv?from=YYYY-MM-DD&to=YYYY-MM-DD[&counselorId=…]`: the
//! follow-up report for funders, with the same visibility as the GraphQL report.

use axum::{
    Extension,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::{HttpState, request::RequestId};
use crate::{
    auth::Auth,
    entity::staff,
    error::AppError,
    service::{
        audit,
        report::{FollowUpFigures, follow_up_report},
        session,
    },
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
        AppError::Unauthenticated | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) | AppError::ConsentRequired => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::BadInput { .. } => StatusCode::BAD_REQUEST,
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

/// The caller behind a bearer token, for the plain HTTP endpoints.
pub async fn bearer_viewer(
    state: &HttpState,
    headers: &HeaderMap,
    request_id: RequestId,
) -> Result<crate::auth::Viewer, AppError> {
    let header = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or_default());
    match session::authenticate(&state.app, header).await? {
        Auth::Staff(mut viewer) => {
            viewer.request_id = Some(request_id.0);
            Ok(viewer)
        }
        Auth::Anonymous | Auth::Rejected => Err(AppError::Unauthenticated),
    }
}

fn date(field: &'static str, value: Option<&str>) -> Result<NaiveDate, AppError> {
    value
        .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
        .ok_or_else(|| AppError::bad_field(field, format!("`{field}` must be a date, YYYY-MM-DD")))
}

pub async fn follow_ups_csv(
    State(state): State<HttpState>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    match render(&state, &headers, params, request_id).await {
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

pub const HEADER: [&str; 24] = [
    "counselor_id",
    "counselor",
    "due",
    "scheduled",
    "completed",
    "unreachable",
    "cancelled",
    "overdue",
    "completion_rate",
    "attending_support_group",
    "seven_day_eligible",
    "seven_day_completed",
    "seven_day_rate",
    "thirty_day_eligible",
    "thirty_day_completed",
    "thirty_day_rate",
    "six_month_due",
    "six_month_completed",
    "six_month_rate",
    "meets_gpra_target",
    "outcome_abstinent",
    "outcome_return_to_use",
    "outcome_readmitted",
    "outcome_other",
];

/// Cells that a spreadsheet would run as a formula are quoted with a leading apostrophe.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

fn rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.4}")).unwrap_or_default()
}

fn row(id: &str, name: &str, f: &FollowUpFigures) -> Vec<String> {
    let outcome = |i: usize| f.outcomes.get(i).map_or(0, |o| o.count);
    let other: i64 = f.outcomes.iter().skip(3).map(|o| o.count).sum();
    vec![
        id.to_owned(),
        cell(name),
        f.due.to_string(),
        f.scheduled.to_string(),
        f.completed.to_string(),
        f.unreachable.to_string(),
        f.cancelled.to_string(),
        f.overdue.to_string(),
        rate(f.completion_rate),
        f.attending_support_group.to_string(),
        f.seven_day_eligible.to_string(),
        f.seven_day_completed.to_string(),
        rate(f.seven_day_rate),
        f.thirty_day_eligible.to_string(),
        f.thirty_day_completed.to_string(),
        rate(f.thirty_day_rate),
        f.six_month_due.to_string(),
        f.six_month_completed.to_string(),
        rate(f.six_month_rate),
        f.meets_gpra_target.map(|b| b.to_string()).unwrap_or_default(),
        outcome(0).to_string(),
        outcome(1).to_string(),
        outcome(2).to_string(),
        other.to_string(),
    ]
}

async fn render(
    state: &HttpState,
    headers: &HeaderMap,
    params: Params,
    request_id: RequestId,
) -> Result<String, AppError> {
    let viewer = bearer_viewer(state, headers, request_id).await?;
    if let Err(err) = viewer.require_clinical() {
        audit::record(&state.app, vec![audit::Event::by(&viewer, "followUpsCsv", None, audit::AuditOutcome::Denied)])
            .await?;
        return Err(err);
    }
    let from = date("from", params.from.as_deref())?;
    let to = date("to", params.to.as_deref())?;
    let counselor_id = params
        .counselor_id
        .map(|id| uuid::Uuid::parse_str(&id).map_err(|_| AppError::bad_field("counselorId", "not a valid id")))
        .transpose()?;
    let report = follow_up_report(&state.app, &viewer, from, to, counselor_id).await?;
    let names: std::collections::HashMap<uuid::Uuid, String> = staff::Entity::find()
        .filter(staff::Column::Id.is_in(report.by_counselor.iter().map(|r| r.counselor_id)))
        .all(&state.app.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();

    let mut writer = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>, record: Vec<String>| w.write_record(record).map_err(AppError::internal);
    write(&mut writer, HEADER.iter().map(|h| (*h).to_owned()).collect())?;
    for r in &report.by_counselor {
        let name = names.get(&r.counselor_id).map(String::as_str).unwrap_or_default();
        write(&mut writer, row(&r.counselor_id.to_string(), name, &r.figures))?;
    }
    write(&mut writer, row("TOTAL", "All counselors", &report.total))?;
    let bytes = writer.into_inner().map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    audit::record(&state.app, vec![audit::Event::by(&viewer, "followUpsCsv", None, audit::AuditOutcome::Allowed)])
        .await?;
    String::from_utf8(bytes).map_err(AppError::internal)
}
