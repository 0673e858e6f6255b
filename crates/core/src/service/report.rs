//! Reports for supervisors and funders, computed with aggregate SQL over the caller's
//! visible clients: a fixed number of statements whatever the number of rows.
//!
//! Definitions (the portal's dashboards and the funders' CSV share them):
//! - Follow-ups "in range" are those due between `from` and `to` inclusive.
//! - completion rate = completed / (due − cancelled). A MISSED contact (due, not made,
//!   then overtaken by a change of plan) stays in the denominator: it was due and not made.
//! - 7- and 30-day rates (NCQA FUI): of the entries into AFTERCARE in range whose window has
//!   closed, the share with a COMPLETED contact of the same episode within 7 / 30 days.
//! - 6-month rate (GPRA): of the 180-day scheduled contacts in range not cancelled, the
//!   share completed; the target is 80 %.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, QueryResult,
    sea_query::{Alias, Expr, ExprTrait, Func, IntoCondition, JoinType, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{
        FollowUpOutcome, ReferralStatus, Stage,
        report::{FollowUpFigures, OutcomeCount, ReferralFigures, StageCount, StageReferrals},
    },
    entity::{Id, client, episode, follow_up, referral, staff, stage_change, support_group},
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

fn local_midnight(state: &AppState, date: NaiveDate) -> DateTime<Utc> {
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
        )
        .expr_as(
            count_if(
                fcol(follow_up::Column::ScheduleDays).eq(180).and(fcol(follow_up::Column::Status).ne("CANCELLED")),
            ),
            Alias::new("six_month_due"),
        )
        .expr_as(
            count_if(
                fcol(follow_up::Column::ScheduleDays).eq(180).and(fcol(follow_up::Column::Status).eq("COMPLETED")),
            ),
            Alias::new("six_month_completed"),
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
        .cond_where(visible.clone())
        .group_by_col((client::Entity, client::Column::PrimaryCounselorId));
    let counts = with_counselor(counts, counselor_id);

    // 2. FUI: entries into aftercare in range (ix_stage_changes_entered), and whether a
    //    contact followed in time (one probe of ix_follow_ups_episode_contact each).
    let backend = state.db.get_database_backend();
    let now = state.now();
    let within = |days: i64| Expr::cust(contact_within(backend, days));
    let (sc, e) = (Alias::new("sc"), Alias::new("e"));
    let closed = |days: i64| Expr::col((sc.clone(), stage_change::Column::At)).lte(now - chrono::Duration::days(days));
    let mut fui = Query::select();
    fui.expr_as(Expr::col((client::Entity, client::Column::PrimaryCounselorId)), Alias::new("counselor_id"))
        .expr_as(count_if(closed(7)), Alias::new("seven_eligible"))
        .expr_as(count_if(closed(7).and(within(7))), Alias::new("seven_completed"))
        .expr_as(count_if(closed(30)), Alias::new("thirty_eligible"))
        .expr_as(count_if(closed(30).and(within(30))), Alias::new("thirty_completed"))
        .from_as(stage_change::Entity, sc.clone())
        .join_as(
            JoinType::InnerJoin,
            episode::Entity,
            e.clone(),
            Expr::col((e.clone(), episode::Column::Id)).equals((sc.clone(), stage_change::Column::EpisodeId)),
        )
        .join(
            JoinType::InnerJoin,
            client::Entity,
            Expr::col((client::Entity, client::Column::Id)).equals((e.clone(), episode::Column::ClientId)),
        )
        .and_where(Expr::col((sc.clone(), stage_change::Column::ToStage)).eq("AFTERCARE"))
        .and_where(Expr::col((sc.clone(), stage_change::Column::At)).gte(local_midnight(state, from)))
        .and_where(
            Expr::col((sc.clone(), stage_change::Column::At)).lt(local_midnight(state, to + chrono::Days::new(1))),
        )
        .cond_where(visible)
        .group_by_col((client::Entity, client::Column::PrimaryCounselorId));
    let fui = with_counselor(fui, counselor_id);

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
        figures.six_month_due = get(&row, "six_month_due")?;
        figures.six_month_completed = get(&row, "six_month_completed")?;
        figures.outcomes = OUTCOMES
            .iter()
            .map(|(outcome, name)| Ok(OutcomeCount { outcome: *outcome, count: get(&row, &format!("o_{name}"))? }))
            .collect::<AppResult<_>>()?;
    }
    for row in state.db.query_all(&fui).await? {
        let id: Uuid = row.try_get("", "counselor_id")?;
        let figures = rows.entry(id).or_default();
        figures.seven_day_eligible = get(&row, "seven_eligible")?;
        figures.seven_day_completed = get(&row, "seven_completed")?;
        figures.thirty_day_eligible = get(&row, "thirty_eligible")?;
        figures.thirty_day_completed = get(&row, "thirty_completed")?;
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

/// "A completed contact of the same episode within N days of entering aftercare", in each
/// dialect's date arithmetic. Fixed text: nothing from a request is spliced into SQL.
fn contact_within(backend: DatabaseBackend, days: i64) -> &'static str {
    match (backend, days) {
        (DatabaseBackend::Postgres, 7) => {
            "EXISTS (SELECT 1 FROM follow_ups fc WHERE fc.episode_id = sc.episode_id AND fc.status = 'COMPLETED' \
             AND fc.contacted_at >= sc.at AND fc.contacted_at <= sc.at + INTERVAL '7 days')"
        }
        (DatabaseBackend::Postgres, _) => {
            "EXISTS (SELECT 1 FROM follow_ups fc WHERE fc.episode_id = sc.episode_id AND fc.status = 'COMPLETED' \
             AND fc.contacted_at >= sc.at AND fc.contacted_at <= sc.at + INTERVAL '30 days')"
        }
        (_, 7) => {
            "EXISTS (SELECT 1 FROM follow_ups fc WHERE fc.episode_id = sc.episode_id AND fc.status = 'COMPLETED' \
             AND julianday(fc.contacted_at) >= julianday(sc.at) AND julianday(fc.contacted_at) <= julianday(sc.at) + 7)"
        }
        _ => {
            "EXISTS (SELECT 1 FROM follow_ups fc WHERE fc.episode_id = sc.episode_id AND fc.status = 'COMPLETED' \
             AND julianday(fc.contacted_at) >= julianday(sc.at) AND julianday(fc.contacted_at) <= julianday(sc.at) + 30)"
        }
    }
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
    total.six_month_due += row.six_month_due;
    total.six_month_completed += row.six_month_completed;
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
    let mut q = Query::select();
    q.expr_as(Expr::col(episode::Column::Stage), Alias::new("stage"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("clients"))
        .from(episode::Entity)
        .and_where(Expr::col(episode::Column::DischargedAt).is_null())
        .and_where(Expr::col(episode::Column::ClientId).in_subquery(scope::visible_client_ids(viewer)?))
        .group_by_col(episode::Column::Stage);
    let mut counts = [0i64; 3];
    for row in state.db.query_all(&q).await? {
        let stage: String = row.try_get("", "stage")?;
        let index = match stage.as_str() {
            "DETOX" => 0,
            "REHAB" => 1,
            _ => 2,
        };
        counts[index] = get(&row, "clients")?;
    }
    // Readmissions among them: open episodes whose previous episode ended at most 30 days
    // before this admission. The window is judged here rather than in SQL, where date
    // arithmetic differs between SQLite and PostgreSQL; only readmissions are read.
    let previous = Alias::new("previous");
    let mut q = Query::select();
    q.expr_as(Expr::col((episode::Entity, episode::Column::Stage)), Alias::new("stage"))
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
    let mut readmitted = [0i64; 3];
    for row in state.db.query_all(&q).await? {
        let stage: String = row.try_get("", "stage")?;
        let admitted: DateTime<Utc> = row.try_get("", "admitted_at")?;
        let ended: Option<DateTime<Utc>> = row.try_get("", "previous_end")?;
        let within =
            ended.is_some_and(|e| (admitted - e).num_days() <= crate::domain::episode::READMISSION_WINDOW_DAYS);
        let index = match stage.as_str() {
            "DETOX" => 0,
            "REHAB" => 1,
            _ => 2,
        };
        readmitted[index] += i64::from(within);
    }
    Ok([Stage::Detox, Stage::Rehab, Stage::Aftercare]
        .into_iter()
        .zip(counts.into_iter().zip(readmitted))
        .map(|(stage, (clients, readmitted_within_30_days))| StageCount { stage, clients, readmitted_within_30_days })
        .collect())
}
