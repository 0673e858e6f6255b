//! `GET /clients/{id}/aftercare-plan`: the plan a client takes home, as an HTML page made
//! for printing. No scripts (and a Content-Security-Policy that forbids them), the same
//! visibility as the GraphQL fields.

use askama::Template;
use axum::{
    Extension,
    extract::{Path, State},
    http::{HeaderMap, header},
    response::{Html, IntoResponse, Response},
};

use super::{
    HttpState,
    reports::error_response,
    request::RequestId,
    scope::{self, RequestScope},
};
use crate::graphql::context::ClientAddress;
use crate::{
    domain::{FollowUpStatus, aftercare::weekday_name},
    error::{AppError, AppResult},
    service::{aftercare, audit, client::find_visible, loaders},
};

struct WeekView {
    monday: String,
    meetings: Vec<MeetingView>,
}

struct MeetingView {
    day: &'static str,
    date: String,
    start: String,
    end: String,
    time_zone: String,
    group: String,
    name: String,
    address: Option<String>,
    url: Option<String>,
    overlaps: bool,
}

struct GroupView {
    name: String,
    abbreviation: String,
    description: String,
    goal: Option<i32>,
}

#[derive(Template)]
#[template(path = "aftercare_plan.html")]
struct PlanPage {
    language: String,
    program_name: String,
    client_name: String,
    counselor_name: String,
    today: String,
    weeks: Vec<WeekView>,
    groups: Vec<GroupView>,
    follow_ups: Vec<String>,
    notes: String,
}

pub async fn page(
    State(state): State<HttpState>,
    Extension(request_id): Extension<RequestId>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match scope::plain(&state, request_id, address, &headers, async |scope| render(&state, scope, &id).await).await {
        Ok(html) => (
            [
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'",
                ),
                (header::CACHE_CONTROL, "no-store"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            Html(html),
        )
            .into_response(),
        Err(err) => error_response(err),
    }
}

async fn render(state: &HttpState, scope: &RequestScope, id: &str) -> AppResult<String> {
    let viewer = scope.viewer()?.clone();
    let app = &state.app;
    let id = uuid::Uuid::parse_str(id).ok();
    let found = match (viewer.require_clinical(), id) {
        (Err(err), _) => Err(err),
        (Ok(()), None) => Err(AppError::NotFound),
        (Ok(()), Some(id)) => find_visible(&app.db, &viewer, id).await,
    };
    let client = match found {
        Ok(client) => client,
        Err(err) => {
            if matches!(err, AppError::NotFound | AppError::Forbidden(_)) {
                scope.audit(audit::Event::by(&viewer, "aftercarePlanPage", id, audit::AuditOutcome::Denied));
            }
            return Err(err);
        }
    };
    scope.audit(audit::Event::by(&viewer, "aftercarePlanPage", Some(client.id), audit::AuditOutcome::Allowed));
    let counselor = loaders::staff(&app.db, &[client.counselor_key()]).await?.remove(&client.counselor_key());
    let plan = aftercare::plan_for_client(app, &viewer, client.id).await?;
    let today = app.today();

    let mut weeks = Vec::new();
    for monday in [
        crate::domain::aftercare::week_start(today),
        crate::domain::aftercare::week_start(today) + chrono::Days::new(7),
    ] {
        let meetings = aftercare::week_of_client(app, client.id, monday).await?;
        let groups =
            loaders::support_groups(&app.db, &meetings.iter().map(|m| m.meeting.group_key()).collect::<Vec<_>>())
                .await?;
        weeks.push(WeekView {
            monday: monday.to_string(),
            meetings: meetings
                .into_iter()
                .map(|m| {
                    use chrono::Datelike;
                    MeetingView {
                        day: weekday_name(m.date.weekday()),
                        date: m.date.to_string(),
                        start: m.slot.starts_at.with_timezone(&m.meeting_tz).format("%H:%M").to_string(),
                        end: m.slot.ends_at.with_timezone(&m.meeting_tz).format("%H:%M").to_string(),
                        time_zone: m.meeting_tz.name().to_owned(),
                        group: groups.get(&m.meeting.group_key()).map(|g| g.abbreviation.clone()).unwrap_or_default(),
                        name: m.meeting.name.clone(),
                        address: m.meeting.address.clone(),
                        url: m.meeting.url.clone(),
                        overlaps: m.overlaps,
                    }
                })
                .collect(),
        });
    }

    let referrals = plan.as_ref().map(|p| p.referrals.clone()).unwrap_or_default();
    let directory =
        loaders::support_groups(&app.db, &referrals.iter().map(|r| r.group_key()).collect::<Vec<_>>()).await?;
    let groups = referrals
        .iter()
        .filter_map(|r| {
            let g = directory.get(&r.group_key())?;
            Some(GroupView {
                name: g.name.clone(),
                abbreviation: g.abbreviation.clone(),
                description: g.description.clone(),
                goal: r.weekly_goal,
            })
        })
        .collect();
    let follow_ups = loaders::follow_ups_by_client(&app.db, &[client.key()])
        .await?
        .remove(&client.key())
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.status == FollowUpStatus::Scheduled && f.due_on >= today)
        .map(|f| {
            use chrono::Datelike;
            format!("{} {}", weekday_name(f.due_on.weekday()), f.due_on)
        })
        .collect();
    let client_name = match &client.preferred_name {
        Some(p) => format!("{p} {}", client.last_name),
        None => format!("{} {}", client.first_name, client.last_name),
    };
    let page = PlanPage {
        language: client.language.clone().unwrap_or_else(|| "en".into()),
        program_name: app.config.program_name.clone(),
        client_name,
        counselor_name: counselor.map(|c| c.name).unwrap_or_default(),
        today: today.to_string(),
        weeks,
        groups,
        follow_ups,
        notes: plan.as_ref().and_then(|p| p.plan.as_ref()).map(|p| p.notes.clone()).unwrap_or_default(),
    };
    page.render().map_err(AppError::internal)
}
