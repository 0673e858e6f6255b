//! Reports for supervisors and funders, computed with aggregate SQL over the caller's
//! visible clients: a fixed number of statements whatever the number of rows.
//!
//! Definitions (the portal's dashboards and the funders' CSV share them):
//! - Follow-ups "in range" are those due between `from` and `to` inclusive, except the GPRA
//!   interview, which has its measure of its own (below).
//! - completion rate = completed / (due − cancelled). A MISSED contact (due, not made,
//!   then overtaken by a change of plan) stays in the denominator: it was due and not made.
//! - 7- and 30-day rates (NCQA HEDIS FUI, Follow-Up After High-Intensity Care for SUD): of
//!   the exits from high-intensity care (DETOX, residential/inpatient REHAB) in the range
//!   whose window has closed, the share followed by a follow-up service — a completed contact,
//!   or an entry into REHAB or OTP — on a later calendar date within 7 / 30 days. Direct
//!   transfers count at the last exit, one exit per client per 31 days, DECEASED and clients
//!   under 13 excluded; exits whose window is open are reported as pending. The rules, one a
//!   line, are in `domain::measures`.
//! - 6-month rate (SAMHSA GPRA): of the intakes whose interview window (months 5 to 8 after
//!   intake) closed in the range, DECEASED excluded, the share interviewed inside the window,
//!   whatever the stage or discharge; the target is 80 %. Windows still open are pending.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ConnectionTrait, QueryResult,
    sea_query::{Alias, Expr, ExprTrait, Func, IntoCondition, JoinType, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{
        DischargeReason, FollowUpOutcome, ReferralStatus, Stage,
        report::{FollowUpFigures, LevelCount, OutcomeCount, ReferralFigures, StageCount, StageReferrals},
    },
    entity::{Id, client, episode, follow_up, referral, staff, support_group},
    error::{AppError, AppResult},
    service::loaders,
    service::scope,
    state::AppState,
};

pub const GPRA_TARGET: f64 = 0.8;
const MAX_RANGE_DAYS: i64 = 366 * 5;

#[derive(Debug, Clone)]
pub struct CounselorFollowUps {
    pub counselor_id: Uuid,
    pub counselor: staff::Model,
    pub figures: FollowUpFigures,
}

#[derive(Debug, Clone)]
pub struct FollowUpReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub gpra_target: f64,
    pub total: FollowUpFigures,
    /// One row per counselor with follow-ups in range, by counselor id.
    pub by_counselor: Vec<CounselorFollowUps>,
}

fn rate(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// `SUM(CASE WHEN cond THEN 1 ELSE 0 END)`: constants, not bound values, so PostgreSQL
/// types the sum as an integer.
fn count_if(condition: impl IntoCondition) -> Expr {
    Func::sum(Expr::case(condition, Expr::cust("1")).finally(Expr::cust("0"))).into()
}

fn get(row: &QueryResult, column: &str) -> AppResult<i64> {
    row.try_get::<Option<i64>>("", column).map(Option::unwrap_or_default).map_err(AppError::from)
}

fn check_range(from: NaiveDate, to: NaiveDate) -> AppResult<()> {
    if to < from {
        return Err(AppError::bad_field("to", "`to` must not be before `from`"));
    }
    if (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(AppError::bad_field("to", "a report covers at most five years"));
    }
    Ok(())
}

pub(crate) fn local_midnight(state: &AppState, date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    state
        .config
        .timezone
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

const OUTCOMES: [(FollowUpOutcome, &str); 6] = [
    (FollowUpOutcome::Abstinent, "ABSTINENT"),
    (FollowUpOutcome::ReturnToUse, "RETURN_TO_USE"),
    (FollowUpOutcome::Readmitted, "READMITTED"),
    (FollowUpOutcome::DeclinedToAnswer, "DECLINED_TO_ANSWER"),
    (FollowUpOutcome::Incarcerated, "INCARCERATED"),
    (FollowUpOutcome::Deceased, "DECEASED"),
];

pub async fn follow_up_report(
    state: &AppState,
    viewer: &Viewer,
    from: NaiveDate,
    to: NaiveDate,
    counselor_id: Option<Uuid>,
) -> AppResult<FollowUpReport> {
    check_range(from, to)?;
    // The visibility condition is applied to the joined `clients` row (not as
    // `client_id IN (SELECT id FROM clients WHERE …)` plus a second join to `clients`), so
    // each statement reads the rows in the date range and probes their client once.
    let visible = scope::visible_clients(viewer)?;
    let f = Alias::new("f");
    let fcol = |col: follow_up::Column| Expr::col((f.clone(), col));
    let today = state.today();

    // 1. Counts of the follow-ups due in range, per counselor.
    let mut counts = Query::select();
    counts
        .expr_as(Expr::col((client::Entity, client::Column::PrimaryCounselorId)), Alias::new("counselor_id"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("due"))
        .expr_as(count_if(fcol(follow_up::Column::Status).eq("SCHEDULED")), Alias::new("scheduled"))
        .expr_as(count_if(fcol(follow_up::Column::Status).eq("COMPLETED")), Alias::new("completed"))
        .expr_as(count_if(fcol(follow_up::Column::Status).eq("UNREACHABLE")), Alias::new("unreachable"))
        .expr_as(count_if(fcol(follow_up::Column::Status).eq("MISSED")), Alias::new("missed"))
        .expr_as(count_if(fcol(follow_up::Column::Status).eq("CANCELLED")), Alias::new("cancelled"))
        .expr_as(
            count_if(fcol(follow_up::Column::Status).eq("SCHEDULED").and(fcol(follow_up::Column::DueOn).lt(today))),
            Alias::new("overdue"),
        )
        .expr_as(
            count_if(
                fcol(follow_up::Column::Status)
                    .eq("COMPLETED")
                    .and(fcol(follow_up::Column::AttendingSupportGroup).eq(true)),
            ),
            Alias::new("attending"),
        );
    for (_, name) in OUTCOMES {
        counts.expr_as(count_if(fcol(follow_up::Column::Outcome).eq(name)), Alias::new(format!("o_{name}")));
    }
    counts
        .from_as(follow_up::Entity, f.clone())
        .join(
            JoinType::InnerJoin,
            client::Entity,
            Expr::col((client::Entity, client::Column::Id)).equals((f.clone(), follow_up::Column::ClientId)),
        )
        .and_where(fcol(follow_up::Column::DueOn).gte(from))
        .and_where(fcol(follow_up::Column::DueOn).lte(to))
        .and_where(fcol(follow_up::Column::Kind).ne("GPRA"))
        .cond_where(visible.clone())
        .group_by_col((client::Entity, client::Column::PrimaryCounselorId));
    let counts = with_counselor(counts, counselor_id);

    let mut rows: BTreeMap<Uuid, FollowUpFigures> = BTreeMap::new();
    for row in state.db.query_all(&counts).await? {
        let id: Uuid = row.try_get("", "counselor_id")?;
        let figures = rows.entry(id).or_default();
        figures.due = get(&row, "due")?;
        figures.scheduled = get(&row, "scheduled")?;
        figures.completed = get(&row, "completed")?;
        figures.unreachable = get(&row, "unreachable")?;
        figures.missed = get(&row, "missed")?;
        figures.cancelled = get(&row, "cancelled")?;
        figures.overdue = get(&row, "overdue")?;
        figures.attending_support_group = get(&row, "attending")?;
        figures.outcomes = OUTCOMES
            .iter()
            .map(|(outcome, name)| Ok(OutcomeCount { outcome: *outcome, count: get(&row, &format!("o_{name}"))? }))
            .collect::<AppResult<_>>()?;
    }
    for (id, measures) in measures(state, viewer, from, to, counselor_id).await? {
        let figures = rows.entry(id).or_default();
        figures.seven_day_eligible = measures.seven.0;
        figures.seven_day_completed = measures.seven.1;
        figures.seven_day_pending = measures.seven.2;
        figures.thirty_day_eligible = measures.thirty.0;
        figures.thirty_day_completed = measures.thirty.1;
        figures.thirty_day_pending = measures.thirty.2;
        figures.six_month_due = measures.gpra.0;
        figures.six_month_completed = measures.gpra.1;
        figures.six_month_pending = measures.gpra.2;
    }

    let counselors = loaders::staff(&state.db, &rows.keys().copied().map(Id::from_input).collect::<Vec<_>>()).await?;
    let mut total = FollowUpFigures::default();
    let mut by_counselor = Vec::with_capacity(rows.len());
    for (counselor_id, mut figures) in rows {
        add_into(&mut total, &figures);
        finish(&mut figures);
        let counselor = loaders::required(&counselors, Id::from_input(counselor_id), "counselor")?;
        by_counselor.push(CounselorFollowUps { counselor_id, counselor, figures });
    }
    finish(&mut total);
    Ok(FollowUpReport { from, to, gpra_target: GPRA_TARGET, total, by_counselor })
}

/// FUI and GPRA counts of one counselor's clients: (eligible, completed, pending).
#[derive(Debug, Default)]
struct Measures {
    seven: (i64, i64, i64),
    thirty: (i64, i64, i64),
    gpra: (i64, i64, i64),
}

/// How far before the range the FUI reads a client's history: enough to apply the 31-day
/// rule to exits early in the range (an exit is kept when no kept exit precedes it by less
/// than 31 days, which depends on the exits before that one in turn; three periods settle it
/// for every realistic course of care).
const FUI_LOOKBACK_DAYS: u64 = 93;

/// The FUI exits and GPRA interviews of the visible clients (optionally one counselor's),
/// per primary counselor, by the definitions in `domain::measures`. A fixed number of
/// statements: the episodes around the range, their stage history, the completed contacts
/// after them, the GPRA interviews whose window ends in the range, and their clients.
async fn measures(
    state: &AppState,
    viewer: &Viewer,
    from: NaiveDate,
    to: NaiveDate,
    counselor_id: Option<Uuid>,
) -> AppResult<BTreeMap<Uuid, Measures>> {
    use crate::domain::measures::{CareStep, fui_exits, gpra_window};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

    let today = state.today();
    let mut clients_in_scope = scope::visible_client_ids(viewer)?;
    if let Some(id) = counselor_id {
        clients_in_scope.and_where(Expr::col(client::Column::PrimaryCounselorId).eq(id));
    }
    let read_from = local_midnight(state, from - chrono::Days::new(FUI_LOOKBACK_DAYS));
    let read_to = local_midnight(state, to + chrono::Days::new(32));

    // Episodes open at some time in [from − lookback, to + 31 days].
    let episodes = episode::Entity::find()
        .filter(episode::Column::ClientId.in_subquery(clients_in_scope.clone()))
        .filter(episode::Column::AdmittedAt.lt(read_to))
        .filter(
            sea_orm::Condition::any()
                .add(episode::Column::DischargedAt.is_null())
                .add(episode::Column::DischargedAt.gte(read_from)),
        )
        .all(&state.db)
        .await?;
    let history = loaders::history_by_episode(&state.db, &episodes.iter().map(|e| e.key()).collect::<Vec<_>>()).await?;
    // The local dates of each client's completed contacts, found by client below.
    let mut contacts: std::collections::HashMap<Uuid, Vec<NaiveDate>> = Default::default();
    for (client, at) in follow_up::Entity::find()
        .select_only()
        .column(follow_up::Column::ClientId)
        .column(follow_up::Column::ContactedAt)
        .filter(follow_up::Column::ClientId.is_in(episodes.iter().map(|e| e.client_id)))
        .filter(follow_up::Column::Status.eq(crate::domain::FollowUpStatus::Completed))
        .filter(follow_up::Column::ContactedAt.gte(read_from))
        .filter(follow_up::Column::ContactedAt.lt(read_to))
        .into_tuple::<(Uuid, Option<DateTime<Utc>>)>()
        .all(&state.db)
        .await?
    {
        if let Some(at) = at {
            contacts.entry(client).or_default().push(state.local_date(at));
        }
    }

    // GPRA interviews whose window (to month 8 after intake) can end in the range: due 6
    // months after intake, so due between about 2 months before `from` and 2 after `to`.
    let gpra = follow_up::Entity::find()
        .filter(follow_up::Column::ClientId.in_subquery(clients_in_scope))
        .filter(follow_up::Column::Kind.eq(crate::domain::FollowUpKind::Gpra))
        .filter(follow_up::Column::DueOn.gte(from - chrono::Days::new(70)))
        .filter(follow_up::Column::DueOn.lte(to - chrono::Days::new(50)))
        .order_by_asc(follow_up::Column::Id)
        .all(&state.db)
        .await?;
    let gpra_episodes =
        loaders::episodes(&state.db, &gpra.iter().filter_map(|f| f.episode_key()).collect::<Vec<_>>()).await?;

    let client_keys: Vec<Id<client::Entity>> =
        episodes.iter().map(|e| e.client_key()).chain(gpra.iter().map(|f| f.client_key())).collect();
    let client_keys: Vec<Id<client::Entity>> =
        client_keys.into_iter().collect::<std::collections::HashSet<_>>().into_iter().collect();
    let clients = loaders::clients(&state.db, &client_keys).await?;

    let mut out: BTreeMap<Uuid, Measures> = BTreeMap::new();

    // FUI, client by client.
    let mut steps: std::collections::HashMap<Uuid, Vec<(DateTime<Utc>, Uuid, CareStep)>> = Default::default();
    for e in &episodes {
        let list = steps.entry(e.client_id).or_default();
        for change in history.get(&e.key()).into_iter().flatten() {
            let to = crate::domain::Placement::new(change.to_stage, change.level_of_care);
            let step = CareStep { on: state.local_date(change.at), to: Some(to), reason: None };
            list.push((change.at, change.id, step));
        }
        if let Some(at) = e.discharged_at {
            list.push((at, e.id, CareStep { on: state.local_date(at), to: None, reason: e.discharge_reason }));
        }
    }
    for (client_id, mut list) in steps {
        let Some(client) = clients.get(&Id::from_input(client_id)) else { continue };
        list.sort_by_key(|(at, id, _)| (*at, *id));
        let care: Vec<CareStep> = list.into_iter().map(|(_, _, s)| s).collect();
        let seen = contacts.get(&client_id).map(Vec::as_slice).unwrap_or_default();
        let m = out.entry(client.primary_counselor_id).or_default();
        for exit in fui_exits(client.date_of_birth, &care, seen).into_iter().filter(|x| x.on >= from && x.on <= to) {
            for (days, counts, hit) in [(7, &mut m.seven, exit.within_7), (30, &mut m.thirty, exit.within_30)] {
                if exit.closed(days, today) {
                    counts.0 += 1;
                    counts.1 += i64::from(hit);
                } else {
                    counts.2 += 1;
                }
            }
        }
    }

    // GPRA: each intake's interview, by the end of its window.
    for f in &gpra {
        let Some(client) = clients.get(&f.client_key()) else { continue };
        let episode = f.episode_key().and_then(|k| gpra_episodes.get(&k));
        if episode.is_some_and(|e| e.discharge_reason == Some(DischargeReason::Deceased)) {
            continue;
        }
        let intake = episode.map_or(f.due_on, |e| state.local_date(e.admitted_at));
        let (opens, _, closes) = gpra_window(intake);
        if closes < from || closes > to {
            continue;
        }
        let m = out.entry(client.primary_counselor_id).or_default();
        if closes >= today {
            m.gpra.2 += 1;
            continue;
        }
        let made = f.status == crate::domain::FollowUpStatus::Completed
            && f.contacted_at.map(|at| state.local_date(at)).is_some_and(|d| d >= opens && d <= closes);
        m.gpra.0 += 1;
        m.gpra.1 += i64::from(made);
    }
    Ok(out)
}

fn with_counselor(mut statement: SelectStatement, counselor_id: Option<Uuid>) -> SelectStatement {
    if let Some(id) = counselor_id {
        statement.and_where(Expr::col((client::Entity, client::Column::PrimaryCounselorId)).eq(id));
    }
    statement
}

fn add_into(total: &mut FollowUpFigures, row: &FollowUpFigures) {
    total.due += row.due;
    total.scheduled += row.scheduled;
    total.completed += row.completed;
    total.unreachable += row.unreachable;
    total.missed += row.missed;
    total.cancelled += row.cancelled;
    total.overdue += row.overdue;
    total.attending_support_group += row.attending_support_group;
    total.seven_day_eligible += row.seven_day_eligible;
    total.seven_day_completed += row.seven_day_completed;
    total.thirty_day_eligible += row.thirty_day_eligible;
    total.thirty_day_completed += row.thirty_day_completed;
    total.seven_day_pending += row.seven_day_pending;
    total.thirty_day_pending += row.thirty_day_pending;
    total.six_month_due += row.six_month_due;
    total.six_month_completed += row.six_month_completed;
    total.six_month_pending += row.six_month_pending;
    if total.outcomes.is_empty() {
        total.outcomes = OUTCOMES.iter().map(|(outcome, _)| OutcomeCount { outcome: *outcome, count: 0 }).collect();
    }
    for (sum, add) in total.outcomes.iter_mut().zip(&row.outcomes) {
        sum.count += add.count;
    }
}

fn finish(f: &mut FollowUpFigures) {
    if f.outcomes.is_empty() {
        f.outcomes = OUTCOMES.iter().map(|(outcome, _)| OutcomeCount { outcome: *outcome, count: 0 }).collect();
    }
    f.completion_rate = rate(f.completed, f.due - f.cancelled);
    f.seven_day_rate = rate(f.seven_day_completed, f.seven_day_eligible);
    f.thirty_day_rate = rate(f.thirty_day_completed, f.thirty_day_eligible);
    f.six_month_rate = rate(f.six_month_completed, f.six_month_due);
    f.meets_gpra_target = f.six_month_rate.map(|r| r >= GPRA_TARGET);
}

#[derive(Debug, Clone)]
pub struct GroupReferrals {
    pub support_group: support_group::Model,
    pub figures: ReferralFigures,
}

#[derive(Debug, Clone)]
pub struct ReferralReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: ReferralFigures,
    pub by_support_group: Vec<GroupReferrals>,
    /// By the stage the referral was made in.
    pub by_stage: Vec<StageReferrals>,
}

fn referral_counts(group_col: Expr, group_alias: &str) -> SelectStatement {
    let status = || Expr::col((referral::Entity, referral::Column::Status));
    let mut q = Query::select();
    q.expr_as(group_col, Alias::new(group_alias));
    for s in [
        ReferralStatus::Planned,
        ReferralStatus::Referred,
        ReferralStatus::Engaged,
        ReferralStatus::Completed,
        ReferralStatus::Declined,
        ReferralStatus::Discontinued,
        ReferralStatus::Cancelled,
    ] {
        q.expr_as(count_if(status().eq(s.as_str())), Alias::new(s.as_str().to_lowercase()));
    }
    q.from(referral::Entity);
    q
}

fn referral_figures(row: &QueryResult) -> AppResult<ReferralFigures> {
    let planned = get(row, "planned")?;
    let mut f = ReferralFigures {
        planned,
        engaged: get(row, "engaged")?,
        completed: get(row, "completed")?,
        declined: get(row, "declined")?,
        discontinued: get(row, "discontinued")?,
        cancelled: get(row, "cancelled")?,
        ..Default::default()
    };
    f.referred = get(row, "referred")? + f.engaged + f.completed + f.declined + f.discontinued + f.cancelled;
    f.engagement_rate = rate(f.engaged + f.completed, f.referred);
    Ok(f)
}

pub async fn referral_report(
    state: &AppState,
    viewer: &Viewer,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<ReferralReport> {
    check_range(from, to)?;
    let visible = scope::visible_client_ids(viewer)?;
    let range = |mut q: SelectStatement| {
        q.and_where(Expr::col((referral::Entity, referral::Column::CreatedAt)).gte(local_midnight(state, from)))
            .and_where(
                Expr::col((referral::Entity, referral::Column::CreatedAt))
                    .lt(local_midnight(state, to + chrono::Days::new(1))),
            )
            .and_where(Expr::col((referral::Entity, referral::Column::ClientId)).in_subquery(visible.clone()));
        q
    };
    let mut by_group =
        range(referral_counts(Expr::col((referral::Entity, referral::Column::SupportGroupId)), "support_group_id"));
    by_group.group_by_col((referral::Entity, referral::Column::SupportGroupId));
    let mut by_stage =
        range(referral_counts(Expr::col((referral::Entity, referral::Column::StageAtReferral)), "stage"));
    by_stage.group_by_col((referral::Entity, referral::Column::StageAtReferral));

    let mut total = ReferralFigures::default();
    let mut counted = Vec::new();
    for row in state.db.query_all(&by_group).await? {
        let figures = referral_figures(&row)?;
        total.referred += figures.referred;
        total.planned += figures.planned;
        total.engaged += figures.engaged;
        total.completed += figures.completed;
        total.declined += figures.declined;
        total.discontinued += figures.discontinued;
        total.cancelled += figures.cancelled;
        let id: Uuid = row.try_get("", "support_group_id")?;
        counted.push((id, figures));
    }
    total.engagement_rate = rate(total.engaged + total.completed, total.referred);
    // Directory order, so the report reads the same every time.
    counted.sort_by_key(|(id, _)| *id);
    let keys: Vec<Id<support_group::Entity>> = counted.iter().map(|(id, _)| Id::from_input(*id)).collect();
    let directory = loaders::support_groups(&state.db, &keys).await?;
    let groups = counted
        .into_iter()
        .map(|(id, figures)| {
            Ok(GroupReferrals {
                support_group: loaders::required(&directory, Id::from_input(id), "support group")?,
                figures,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let mut stages = Vec::new();
    for row in state.db.query_all(&by_stage).await? {
        let stage: String = row.try_get("", "stage")?;
        let stage = match stage.as_str() {
            "DETOX" => Stage::Detox,
            "REHAB" => Stage::Rehab,
            _ => Stage::Aftercare,
        };
        stages.push(StageReferrals { stage, figures: referral_figures(&row)? });
    }
    stages.sort_by_key(|s| s.stage as u8);
    Ok(ReferralReport { from, to, total, by_support_group: groups, by_stage: stages })
}

/// Visible clients now in each stage (every stage listed, zeros included).
pub async fn stage_census(state: &AppState, viewer: &Viewer) -> AppResult<Vec<StageCount>> {
    // Open episodes by stage and level of care.
    let mut q = Query::select();
    q.expr_as(Expr::col(episode::Column::Stage), Alias::new("stage"))
        .expr_as(Expr::col(episode::Column::LevelOfCare), Alias::new("level"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("clients"))
        .from(episode::Entity)
        .and_where(Expr::col(episode::Column::DischargedAt).is_null())
        .and_where(Expr::col(episode::Column::ClientId).in_subquery(scope::visible_client_ids(viewer)?))
        .group_by_col(episode::Column::Stage)
        .group_by_col(episode::Column::LevelOfCare);
    let mut cells: BTreeMap<(usize, Option<String>), (i64, i64)> = BTreeMap::new();
    let stage_index = |stage: &str| match stage {
        "DETOX" => 0,
        "REHAB" => 1,
        _ => 2,
    };
    for row in state.db.query_all(&q).await? {
        let stage: String = row.try_get("", "stage")?;
        let level: Option<String> = row.try_get("", "level")?;
        cells.entry((stage_index(&stage), level)).or_default().0 += get(&row, "clients")?;
    }
    // Readmissions among them: open episodes whose previous episode ended at most 30 days
    // before this admission. The window is judged here rather than in SQL, where date
    // arithmetic differs between SQLite and PostgreSQL; only readmissions are read.
    let previous = Alias::new("previous");
    let mut q = Query::select();
    q.expr_as(Expr::col((episode::Entity, episode::Column::Stage)), Alias::new("stage"))
        .expr_as(Expr::col((episode::Entity, episode::Column::LevelOfCare)), Alias::new("level"))
        .expr_as(Expr::col((episode::Entity, episode::Column::AdmittedAt)), Alias::new("admitted_at"))
        .expr_as(Expr::col((previous.clone(), episode::Column::DischargedAt)), Alias::new("previous_end"))
        .from(episode::Entity)
        .join_as(
            JoinType::InnerJoin,
            episode::Entity,
            previous.clone(),
            Expr::col((previous.clone(), episode::Column::Id))
                .equals((episode::Entity, episode::Column::PreviousEpisodeId)),
        )
        .and_where(Expr::col((episode::Entity, episode::Column::DischargedAt)).is_null())
        .and_where(
            Expr::col((episode::Entity, episode::Column::ClientId)).in_subquery(scope::visible_client_ids(viewer)?),
        );
    for row in state.db.query_all(&q).await? {
        let stage: String = row.try_get("", "stage")?;
        let level: Option<String> = row.try_get("", "level")?;
        let admitted: DateTime<Utc> = row.try_get("", "admitted_at")?;
        let ended: Option<DateTime<Utc>> = row.try_get("", "previous_end")?;
        let within =
            ended.is_some_and(|e| (admitted - e).num_days() <= crate::domain::episode::READMISSION_WINDOW_DAYS);
        cells.entry((stage_index(&stage), level)).or_default().1 += i64::from(within);
    }
    Ok([Stage::Detox, Stage::Rehab, Stage::Aftercare]
        .into_iter()
        .enumerate()
        .map(|(index, stage)| {
            // Every level the stage allows, zeros included, then none (AFTERCARE) last.
            let (allowed, optional) = stage.levels();
            let mut levels: Vec<LevelCount> = allowed
                .iter()
                .map(|l| Some(*l))
                .chain(optional.then_some(None))
                .map(|level| {
                    let key = (index, level.map(|l| l.as_str().to_owned()));
                    let (clients, readmitted) = cells.get(&key).copied().unwrap_or_default();
                    LevelCount { level, clients, readmitted_within_30_days: readmitted }
                })
                .collect();
            // Rows at a level the stage no longer allows (old data), so the totals add up.
            for ((i, level), (clients, readmitted)) in &cells {
                let known = match level.as_deref() {
                    Some(code) => allowed.iter().any(|a| a.as_str() == code),
                    None => optional,
                };
                if *i == index && !known {
                    let level = level.as_deref().and_then(level_from_code);
                    levels.push(LevelCount { level, clients: *clients, readmitted_within_30_days: *readmitted });
                }
            }
            let clients = levels.iter().map(|l| l.clients).sum();
            let readmitted_within_30_days = levels.iter().map(|l| l.readmitted_within_30_days).sum();
            StageCount { stage, clients, readmitted_within_30_days, levels }
        })
        .collect())
}

/// A stored level code as the enum, whatever stage it belongs to.
fn level_from_code(code: &str) -> Option<crate::domain::LevelOfCare> {
    use sea_orm::Iterable;
    crate::domain::LevelOfCare::iter().find(|l| l.as_str() == code)
}
