//! `GET /clients/{id}/aftercare-plan`: the plan a client takes home, as an HTML page made
//! for printing. No scripts (and a Content-Security-Policy that forbids them), the same
//! visibility as the GraphQL fields. Written for the client: in their language (English or
//! Spanish), with the crisis line and the program's phone, and never the counselor's
//! internal notes — only the note written for the client.

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
    domain::FollowUpStatus,
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

/// The sheet's words, in the languages it is written in.
struct Words {
    title: &'static str,
    prepared: &'static str,
    by_counselor: &'static str,
    your_meetings: &'static str,
    week_of: &'static str,
    no_meetings: &'static str,
    day: &'static str,
    time: &'static str,
    group: &'static str,
    place: &'static str,
    overlaps: &'static str,
    your_groups: &'static str,
    goal_before: &'static str,
    goal_after: &'static str,
    no_groups: &'static str,
    check_ins: &'static str,
    no_check_ins: &'static str,
    note: &'static str,
    crisis: &'static str,
    program_phone: &'static str,
    your_counselor: &'static str,
    confidential: &'static str,
    days: [&'static str; 7],
}

const ENGLISH: Words = Words {
    title: "Aftercare plan for",
    prepared: "Prepared",
    by_counselor: "by your counselor,",
    your_meetings: "Your meetings",
    week_of: "Week of",
    no_meetings: "No meetings planned this week.",
    day: "Day",
    time: "Time",
    group: "Group",
    place: "Where",
    overlaps: "(overlaps another meeting)",
    your_groups: "Your support groups",
    goal_before: "Your goal:",
    goal_after: "meeting(s) a week.",
    no_groups: "No support groups in your plan yet.",
    check_ins: "Check-ins with your counselor",
    no_check_ins: "No check-ins scheduled.",
    note: "A note from your counselor",
    crisis: "In a crisis, any time, call or text",
    program_phone: "Your program:",
    your_counselor: "Your counselor:",
    confidential: "This plan contains confidential health information. Keep it somewhere safe.",
    days: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
};

const SPANISH: Words = Words {
    title: "Plan de seguimiento para",
    prepared: "Preparado el",
    by_counselor: "por su consejero(a),",
    your_meetings: "Sus reuniones",
    week_of: "Semana del",
    no_meetings: "No hay reuniones planeadas esta semana.",
    day: "Día",
    time: "Hora",
    group: "Grupo",
    place: "Dónde",
    overlaps: "(coincide con otra reunión)",
    your_groups: "Sus grupos de apoyo",
    goal_before: "Su meta:",
    goal_after: "reunión(es) por semana.",
    no_groups: "Todavía no hay grupos de apoyo en su plan.",
    check_ins: "Llamadas de seguimiento con su consejero(a)",
    no_check_ins: "No hay llamadas programadas.",
    note: "Una nota de su consejero(a)",
    crisis: "En una crisis, a cualquier hora, llame o envíe un mensaje de texto al",
    program_phone: "Su programa:",
    your_counselor: "Su consejero(a):",
    confidential: "Este plan contiene información de salud confidencial. Guárdelo en un lugar seguro.",
    days: ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
};

/// The sheet's language from the client's BCP 47 tag: Spanish for `es` and its regions,
/// English otherwise (the languages the sheet is written in).
fn words_for(language: Option<&str>) -> (&'static str, &'static Words) {
    let primary = language.and_then(|l| l.split('-').next()).map(str::to_ascii_lowercase);
    match primary.as_deref() {
        Some("es") => ("es", &SPANISH),
        _ => ("en", &ENGLISH),
    }
}

#[derive(Template)]
#[template(path = "aftercare_plan.html")]
struct PlanPage {
    t: &'static Words,
    crisis_line: String,
    program_phone: Option<String>,
    language: String,
    program_name: String,
    client_name: String,
    counselor_name: String,
    today: String,
    weeks: Vec<WeekView>,
    groups: Vec<GroupView>,
    follow_ups: Vec<String>,
    note_for_client: String,
}

pub async fn page(
    State(state): State<HttpState>,
    Extension(request_id): Extension<RequestId>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    printable(scope::plain(&state, request_id, address, &headers, async |scope| render(&state, scope, &id).await).await)
}

/// A printable page: no scripts (the policy forbids them), never cached, never sniffed.
pub fn printable(rendered: AppResult<String>) -> Response {
    match rendered {
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
    let (language, words) = words_for(client.language.as_deref());
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
                        day: words.days[m.date.weekday().num_days_from_monday() as usize],
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
            format!("{} {}", words.days[f.due_on.weekday().num_days_from_monday() as usize], f.due_on)
        })
        .collect();
    let client_name = match &client.preferred_name {
        Some(p) => format!("{p} {}", client.last_name),
        None => format!("{} {}", client.first_name, client.last_name),
    };
    let page = PlanPage {
        t: words,
        crisis_line: app.config.crisis_line.clone(),
        program_phone: app.config.program_phone.clone(),
        language: language.to_owned(),
        program_name: app.config.program_name.clone(),
        client_name,
        counselor_name: counselor.map(|c| c.name).unwrap_or_default(),
        today: today.to_string(),
        weeks,
        groups,
        follow_ups,
        // The internal notes never reach the client's sheet.
        note_for_client: plan.as_ref().and_then(|p| p.plan.as_ref()).map(|p| p.client_note.clone()).unwrap_or_default(),
    };
    page.render().map_err(AppError::internal)
}
