//! The worklist: who needs a person today, most urgent first. One item per thing to do,
//! each with its reason, the date it has been true since, the client and the record to
//! open. A handful of set-based queries over the caller's visible clients, whatever the
//! caseload size.
//!
//! The visible clients are read first, then every query is driven by their ids. With the
//! scope as a subquery (`client_id IN (SELECT id FROM clients WHERE … OR … IN (…))`) the
//! planner cannot estimate the caseload and reads whole tables (follow-ups, referrals);
//! with the ids it uses the per-client indexes, so the cost follows the caseload.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryResult, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{DischargeReason, FollowUpOutcome, FollowUpStatus, ReferralStatus, Stage, aftercare},
    entity::{Id, attendance, client, consent, episode, follow_up, meeting, referral, support_group},
    error::AppResult,
    service::{aftercare::adherence_of, loaders, scope},
    state::AppState,
};

pub use crate::domain::worklist::WorklistKind;

#[derive(Debug, Clone)]
pub struct Item {
    pub kind: WorklistKind,
    pub reason: String,
    pub since: NaiveDate,
    pub client_id: Uuid,
    pub follow_up: Option<follow_up::Model>,
    pub referral: Option<referral::Model>,
    pub episode: Option<episode::Model>,
}

impl Item {
    /// The record to open; with the kind and date, the item's place in the order.
    pub fn subject_id(&self) -> Uuid {
        self.follow_up
            .as_ref()
            .map(|f| f.id)
            .or(self.referral.as_ref().map(|r| r.id))
            .or(self.episode.as_ref().map(|e| e.id))
            .unwrap_or(self.client_id)
    }

    pub fn sort_key(&self) -> (WorklistKind, NaiveDate, Uuid) {
        (self.kind, self.since, self.subject_id())
    }
}

fn distinct_keys<E>(keys: impl Iterator<Item = Id<E>>) -> Vec<Id<E>> {
    let mut keys: Vec<Id<E>> = keys.collect();
    keys.sort_by_key(|k| k.uuid());
    keys.dedup_by_key(|k| k.uuid());
    keys
}

/// How a contact is named on the worklist: the GPRA interview is its own kind of work.
fn what(f: &follow_up::Model) -> &'static str {
    match f.kind {
        crate::domain::FollowUpKind::Gpra => "GPRA 6-month follow-up interview (counts from month 5 to 8)",
        crate::domain::FollowUpKind::PostDischarge => "post-discharge follow-up",
        _ => "follow-up",
    }
}

/// A return to use or a readmission found at follow-up stays on the worklist this long
/// unless the episode moves first.
const REVIEW_DAYS: i64 = 14;

/// An active referral and the day of its last attendance, read in one statement.
struct ActiveReferral(referral::Model, Option<NaiveDate>);

impl ActiveReferral {
    const LAST_ATTENDED: &str = "last_attended";
}

impl FromQueryResult for ActiveReferral {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Self(referral::Model::from_query_result(row, prefix)?, row.try_get(prefix, Self::LAST_ATTENDED)?))
    }
}

/// Everything on the caller's worklist (optionally one counselor's), most urgent first.
pub async fn items(state: &AppState, viewer: &Viewer, counselor_id: Option<Uuid>) -> AppResult<Vec<Item>> {
    let mut clients = Condition::all().add(scope::visible_clients(viewer)?);
    if let Some(id) = counselor_id {
        clients = clients.add(client::Column::PrimaryCounselorId.eq(id));
    }
    let today = state.today();
    let db = &state.db;
    let client_ids: Vec<Uuid> =
        client::Entity::find().select_only().column(client::Column::Id).filter(clients).into_tuple().all(db).await?;
    if client_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();

    // Follow-ups overdue or due today.
    let due = follow_up::Entity::find()
        .filter(follow_up::Column::ClientId.is_in(client_ids.iter().copied()))
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Scheduled))
        .filter(follow_up::Column::DueOn.lte(today))
        .all(db)
        .await?;
    for f in due {
        let (kind, reason) = if f.due_on < today {
            let days = (today - f.due_on).num_days();
            (WorklistKind::FollowUpOverdue, format!("{what} was due {} ({days} day(s) ago)", f.due_on, what = what(&f)))
        } else {
            (WorklistKind::FollowUpDueToday, format!("{} is due today", what(&f)))
        };
        out.push(Item {
            kind,
            reason,
            since: f.due_on,
            client_id: f.client_id,
            follow_up: Some(f),
            referral: None,
            episode: None,
        });
    }

    // Active referrals, each with its last attendance (one probe of ix_attendance_referral
    // per referral): disengaging, or under half their attendance goal.
    let is_active = || referral::Column::Status.is_in([ReferralStatus::Referred, ReferralStatus::Engaged]);
    let last_of_referral = Query::select()
        .expr(Func::max(Expr::col((attendance::Entity, attendance::Column::AttendedOn))))
        .from(attendance::Entity)
        .and_where(
            Expr::col((attendance::Entity, attendance::Column::ReferralId))
                .equals((referral::Entity, referral::Column::Id)),
        )
        .to_owned();
    let mut active = Vec::new();
    let mut last_attended: HashMap<Uuid, NaiveDate> = HashMap::new();
    for ActiveReferral(r, last) in referral::Entity::find()
        .column_as(Expr::from(last_of_referral), ActiveReferral::LAST_ATTENDED)
        .filter(referral::Column::ClientId.is_in(client_ids.iter().copied()))
        .filter(is_active())
        .into_model::<ActiveReferral>()
        .all(db)
        .await?
    {
        if let Some(day) = last {
            last_attended.insert(r.id, day);
        }
        active.push(r);
    }
    // Their attendance in the adherence window, the referrals found again through the
    // clients: a list of every referral id would grow with the caseload's referrals.
    let window_start = today - chrono::Days::new(aftercare::ADHERENCE_WINDOW_DAYS as u64);
    let active_ids = Query::select()
        .column(referral::Column::Id)
        .from(referral::Entity)
        .and_where(referral::Column::ClientId.is_in(client_ids.iter().copied()))
        .and_where(is_active())
        .to_owned();
    let mut recent: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
    for (referral_id, day) in attendance::Entity::find()
        .select_only()
        .column(attendance::Column::ReferralId)
        .column(attendance::Column::AttendedOn)
        .filter(attendance::Column::ReferralId.in_subquery(active_ids))
        .filter(attendance::Column::AttendedOn.gte(window_start))
        .into_tuple::<(Uuid, NaiveDate)>()
        .all(db)
        .await?
    {
        recent.entry(referral_id).or_default().push(day);
    }
    let adherence = adherence_of(&active, &recent, today, |t| state.local_date(t));
    let disengaged_after = i64::from(state.config.disengaged_after_days);
    for r in &active {
        let referred_on = state.local_date(r.referred_at.unwrap_or(r.created_at));
        let last = last_attended.get(&r.id).copied();
        let quiet_since = last.unwrap_or(referred_on);
        if (today - quiet_since).num_days() >= disengaged_after {
            let reason = match last {
                Some(day) => format!("no attendance recorded since {day}"),
                None => format!("no attendance recorded since the referral on {referred_on}"),
            };
            out.push(Item {
                kind: WorklistKind::ReferralDisengaging,
                reason,
                since: quiet_since,
                client_id: r.client_id,
                follow_up: None,
                referral: Some(r.clone()),
                episode: None,
            });
        }
        if let (Some(a), Some(goal)) = (adherence.get(&r.id), r.weekly_goal)
            && let Some(rate) = a.rate
            && rate < 0.5
        {
            out.push(Item {
                kind: WorklistKind::AdherenceLow,
                reason: format!(
                    "attended {} of {} expected meetings ({goal} a week) since {}: {:.0} %",
                    a.attended,
                    a.expected,
                    a.window_start,
                    rate * 100.0
                ),
                since: a.window_start,
                client_id: r.client_id,
                follow_up: None,
                referral: Some(r.clone()),
                episode: None,
            });
        }
    }

    // Open referrals to a meeting or a group the directory has retired.
    let retired_meeting = Query::select()
        .expr(Expr::cust("1"))
        .from(meeting::Entity)
        .and_where(
            Expr::col((meeting::Entity, meeting::Column::Id)).equals((referral::Entity, referral::Column::MeetingId)),
        )
        .and_where(meeting::Column::RetiredAt.is_not_null())
        .to_owned();
    let retired_group = Query::select()
        .expr(Expr::cust("1"))
        .from(support_group::Entity)
        .and_where(
            Expr::col((support_group::Entity, support_group::Column::Id))
                .equals((referral::Entity, referral::Column::SupportGroupId)),
        )
        .and_where(support_group::Column::RetiredAt.is_not_null())
        .to_owned();
    let stranded = referral::Entity::find()
        .filter(referral::Column::ClientId.is_in(client_ids.iter().copied()))
        .filter(referral::Column::Status.is_in(ReferralStatus::OPEN))
        .filter(Condition::any().add(Expr::exists(retired_meeting)).add(Expr::exists(retired_group)))
        .all(db)
        .await?;
    if !stranded.is_empty() {
        let meetings =
            loaders::meetings(db, &distinct_keys(stranded.iter().filter_map(referral::Model::meeting_key))).await?;
        let groups =
            loaders::support_groups(db, &distinct_keys(stranded.iter().map(referral::Model::group_key))).await?;
        for r in stranded {
            let meeting = r.meeting_key().and_then(|k| meetings.get(&k)).filter(|m| m.retired_at.is_some());
            let group = groups.get(&r.group_key());
            let (what, at) = match (meeting, group) {
                (Some(m), _) => (format!("the meeting {} is no longer running", m.name), m.retired_at),
                (None, Some(g)) => (format!("{} has left the directory", g.name), g.retired_at),
                (None, None) => continue,
            };
            let since = at.map(|t| state.local_date(t)).unwrap_or(today);
            out.push(Item {
                kind: WorklistKind::ReferralMeetingRetired,
                reason: format!("{what} (since {since}): refer the client to another meeting"),
                since,
                client_id: r.client_id,
                follow_up: None,
                referral: Some(r),
                episode: None,
            });
        }
    }

    // In aftercare with no active referral. `NOT EXISTS` per client (an index probe), where
    // `NOT IN (SELECT …)` hashed every active referral of every client.
    let active_referral = Query::select()
        .expr(Expr::cust("1"))
        .from(referral::Entity)
        .and_where(
            Expr::col((referral::Entity, referral::Column::ClientId))
                .equals((episode::Entity, episode::Column::ClientId)),
        )
        .and_where(referral::Column::Status.is_in([ReferralStatus::Referred, ReferralStatus::Engaged]))
        .to_owned();
    let unsupported = episode::Entity::find()
        .filter(episode::Column::ClientId.is_in(client_ids.iter().copied()))
        .filter(episode::Column::DischargedAt.is_null())
        .filter(episode::Column::Stage.eq(Stage::Aftercare))
        .filter(Expr::exists(active_referral).not())
        .all(db)
        .await?;
    for e in unsupported {
        let since = state.local_date(e.stage_entered_at);
        out.push(Item {
            kind: WorklistKind::AftercareWithoutActiveReferral,
            reason: format!("in aftercare since {since} with no active support-group referral"),
            since,
            client_id: e.client_id,
            follow_up: None,
            referral: None,
            episode: Some(e),
        });
    }

    // Left early (against advice, or discharged by the program) in the last 30 days, not
    // back in treatment and not reached since.
    let reached_since = Query::select()
        .expr(Expr::cust("1"))
        .from(follow_up::Entity)
        .and_where(
            Expr::col((follow_up::Entity, follow_up::Column::ClientId))
                .equals((episode::Entity, episode::Column::ClientId)),
        )
        .and_where(follow_up::Column::Status.eq(FollowUpStatus::Completed))
        .and_where(
            Expr::col((follow_up::Entity, follow_up::Column::ContactedAt))
                .gte(Expr::col((episode::Entity, episode::Column::DischargedAt))),
        )
        .to_owned();
    let reopened = Alias::new("reopened");
    let back_in_treatment = Query::select()
        .expr(Expr::cust("1"))
        .from_as(episode::Entity, reopened.clone())
        .and_where(
            Expr::col((reopened.clone(), episode::Column::ClientId))
                .equals((episode::Entity, episode::Column::ClientId)),
        )
        .and_where(Expr::col((reopened, episode::Column::DischargedAt)).is_null())
        .to_owned();
    let early = episode::Entity::find()
        .filter(episode::Column::ClientId.is_in(client_ids.iter().copied()))
        .filter(episode::Column::DischargedAt.gte(state.now() - chrono::Duration::days(30)))
        .filter(
            episode::Column::DischargeReason
                .is_in([DischargeReason::LeftAgainstAdvice, DischargeReason::TerminatedByFacility]),
        )
        .filter(Expr::exists(reached_since).not())
        .filter(Expr::exists(back_in_treatment).not())
        .all(db)
        .await?;
    for e in early {
        let since = e.discharged_at.map(|t| state.local_date(t)).unwrap_or(today);
        let how = match e.discharge_reason {
            Some(DischargeReason::TerminatedByFacility) => "was discharged by the program",
            _ => "left against advice",
        };
        let from = match e.level_of_care {
            Some(level) => format!("{} {}", e.stage.as_str(), level.as_str()),
            None => e.stage.as_str().to_owned(),
        };
        out.push(Item {
            kind: WorklistKind::DischargedEarly,
            reason: format!("{how} from {from} on {since} and has not been reached since"),
            since,
            client_id: e.client_id,
            follow_up: None,
            referral: None,
            episode: Some(e),
        });
    }

    // A recent follow-up found a return to use or a readmission elsewhere, and nothing has
    // changed in the client's treatment since.
    let flagged = follow_up::Entity::find()
        .filter(follow_up::Column::ClientId.is_in(client_ids.iter().copied()))
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Completed))
        .filter(follow_up::Column::Outcome.is_in([FollowUpOutcome::ReturnToUse, FollowUpOutcome::Readmitted]))
        .filter(follow_up::Column::ContactedAt.gte(state.now() - chrono::Duration::days(REVIEW_DAYS)))
        .all(db)
        .await?;
    if !flagged.is_empty() {
        let flagged_clients: Vec<Uuid> = flagged.iter().map(|f| f.client_id).collect();
        let mut last_change: HashMap<Uuid, chrono::DateTime<chrono::Utc>> = HashMap::new();
        for e in episode::Entity::find().filter(episode::Column::ClientId.is_in(flagged_clients)).all(db).await? {
            let latest = [Some(e.stage_entered_at), Some(e.admitted_at), e.discharged_at].into_iter().flatten().max();
            if let Some(t) = latest {
                let entry = last_change.entry(e.client_id).or_insert(t);
                *entry = std::cmp::max(*entry, t);
            }
        }
        for f in flagged {
            let Some(at) = f.contacted_at else { continue };
            if last_change.get(&f.client_id).is_some_and(|t| *t > at) {
                continue;
            }
            let since = state.local_date(at);
            let found = match f.outcome {
                Some(FollowUpOutcome::Readmitted) => "a readmission elsewhere",
                _ => "a return to use",
            };
            out.push(Item {
                kind: WorklistKind::ClinicalReview,
                reason: format!("the follow-up on {since} found {found}: review the plan and level of care"),
                since,
                client_id: f.client_id,
                follow_up: Some(f),
                referral: None,
                episode: None,
            });
        }
    }

    // Discharged in the last 30 days with nothing scheduled (and no open episode since).
    let scheduled = Query::select()
        .expr(Expr::cust("1"))
        .from(follow_up::Entity)
        .and_where(
            Expr::col((follow_up::Entity, follow_up::Column::ClientId))
                .equals((episode::Entity, episode::Column::ClientId)),
        )
        .and_where(follow_up::Column::Status.eq(FollowUpStatus::Scheduled))
        .to_owned();
    let open = Alias::new("open_episode");
    let open_episode = Query::select()
        .expr(Expr::cust("1"))
        .from_as(episode::Entity, open.clone())
        .and_where(
            Expr::col((open.clone(), episode::Column::ClientId)).equals((episode::Entity, episode::Column::ClientId)),
        )
        .and_where(Expr::col((open, episode::Column::DischargedAt)).is_null())
        .to_owned();
    let discharged = episode::Entity::find()
        .filter(episode::Column::ClientId.is_in(client_ids.iter().copied()))
        .filter(episode::Column::DischargedAt.gte(state.now() - chrono::Duration::days(30)))
        .filter(episode::Column::DischargeReason.ne(DischargeReason::Deceased))
        .filter(Expr::exists(scheduled).not())
        .filter(Expr::exists(open_episode).not())
        .all(db)
        .await?;
    for e in discharged {
        let since = e.discharged_at.map(|t| state.local_date(t)).unwrap_or(today);
        out.push(Item {
            kind: WorklistKind::DischargedWithoutFollowUp,
            reason: format!("discharged on {since} with no follow-up scheduled"),
            since,
            client_id: e.client_id,
            follow_up: None,
            referral: None,
            episode: Some(e),
        });
    }

    // Consents kept from before the § 2.31 elements, not revoked: the client signs again.
    for c in consent::Entity::find()
        .filter(consent::Column::ClientId.is_in(client_ids.iter().copied()))
        .filter(consent::Column::NeedsReconsent.eq(true))
        .filter(consent::Column::RevokedAt.is_null())
        .all(db)
        .await?
    {
        let since = state.local_date(c.created_at);
        out.push(Item {
            kind: WorklistKind::ConsentNeedsRenewal,
            reason: format!(
                "the consent to share with {} (recorded {since}) lacks the 2024 42 CFR 2.31 elements: record it again with the client",
                c.recipient
            ),
            since,
            client_id: c.client_id,
            follow_up: None,
            referral: None,
            episode: None,
        });
    }

    out.sort_by_key(Item::sort_key);
    Ok(out)
}
