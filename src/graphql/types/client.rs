use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use crate::graphql::error::Result;
use crate::graphql::scalars::DateTime;
use uuid::Uuid;

use crate::graphql::scalars::Date;

use super::{
    aftercare::{AftercarePlan, ScheduledMeeting},
    follow_up::FollowUp,
    id,
    referral::Referral,
    staff::{Staff, StaffRefs},
};
use crate::{
    domain::{
        DischargeReason, DischargedTo, FollowUpKind, FollowUpStatus, Gender, LevelOfCare, MoveKind, Placement,
        ReferralStatus, Stage, Substance, client::decode_substances,
    },
    entity::{Id, client, episode, stage_change},
    graphql::{
        batch::{self, Batch, BatchBy, distinct, regroup, required},
        context::ContextExt,
    },
};

type ClientKey = Id<client::Entity>;
type EpisodeKey = Id<episode::Entity>;

#[derive(Clone)]
pub struct Client {
    row: client::Model,
    set: Arc<ClientSet>,
}

#[derive(Default)]
pub struct ClientSet {
    ids: Arc<[ClientKey]>,
    counselors: StaffRefs,
    episodes: Batch<ClientKey, Vec<Episode>>,
    referrals: Batch<ClientKey, Vec<Referral>>,
    follow_ups: Batch<ClientKey, Vec<FollowUp>>,
    consents: Batch<ClientKey, Vec<super::privacy::Consent>>,
    locators: Batch<ClientKey, super::locator::ClientLocator>,
    plans: Batch<ClientKey, AftercarePlan>,
    weeks: BatchBy<chrono::NaiveDate, ClientKey, Vec<ScheduledMeeting>>,
}

impl Client {
    pub fn list(rows: Vec<client::Model>) -> Vec<Client> {
        let set = Arc::new(ClientSet {
            ids: distinct(rows.iter().map(client::Model::key)),
            counselors: StaffRefs::new(rows.iter().map(client::Model::counselor_key)),
            ..Default::default()
        });
        rows.into_iter().map(|row| Client { row, set: set.clone() }).collect()
    }

    pub fn one(row: client::Model) -> Client {
        let set = Arc::new(ClientSet {
            ids: Arc::new([row.key()]),
            counselors: StaffRefs::new([row.counselor_key()]),
            ..Default::default()
        });
        Client { row, set }
    }

    pub fn map(rows: HashMap<ClientKey, client::Model>) -> HashMap<ClientKey, Client> {
        Client::list(rows.into_values().collect()).into_iter().map(|c| (c.row.key(), c)).collect()
    }

    pub fn model(&self) -> &client::Model {
        &self.row
    }

    async fn all_episodes(&self, ctx: &Context<'_>) -> Result<Vec<Episode>> {
        let db = &ctx.state()?.db;
        let ids = self.set.ids.clone();
        let by_client = self
            .set
            .episodes
            .get(|| async {
                let rows = batch::episodes_by_client(db, &ids).await?;
                Ok(regroup(rows, Episode::list, |e| e.row.client_key()))
            })
            .await?;
        Ok(by_client.get(&self.row.key()).cloned().unwrap_or_default())
    }

    async fn all_follow_ups(&self, ctx: &Context<'_>) -> Result<Vec<FollowUp>> {
        let db = &ctx.state()?.db;
        let ids = self.set.ids.clone();
        let by_client = self
            .set
            .follow_ups
            .get(|| async {
                let rows = batch::follow_ups_by_client(db, &ids).await?;
                Ok(regroup(rows, FollowUp::list, |f| f.model().client_key()))
            })
            .await?;
        Ok(by_client.get(&self.row.key()).cloned().unwrap_or_default())
    }
}

/// A person in treatment. Visible to their primary counselor, that counselor's supervisor and staff
/// with emergency access in force; anyone else gets the same answer as for a client that does not
/// exist (ADMIN sees no client).
#[Object]
impl Client {
    /// Opaque id (UUIDv7); pass it to `client(id:)` and as `clientId` to the mutations.
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// Pass it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.row.version
    }

    /// First name as registered, trimmed. The printed plan uses `preferredName` instead when one is
    /// set.
    async fn first_name(&self) -> &str {
        &self.row.first_name
    }

    /// Last name as registered, trimmed.
    async fn last_name(&self) -> &str {
        &self.row.last_name
    }

    /// The name the client goes by, if not their first name; null if none.
    async fn preferred_name(&self) -> Option<&str> {
        self.row.preferred_name.as_deref()
    }

    /// Gives the age for the TEDS AGE element and the FUI rule (clients under 13 are left out).
    /// With the name, it flags likely duplicates at registration.
    async fn date_of_birth(&self) -> Date {
        Date(self.row.date_of_birth)
    }

    /// Decides eligibility for groups open to one gender (WFS only for WOMAN) and gives TEDS SEX;
    /// null when not recorded.
    async fn gender(&self) -> Option<Gender> {
        self.row.gender
    }

    /// The substances the client uses, at least one, in a fixed order (not by importance). The
    /// recommendations match them against each group's substance focus.
    async fn substances(&self) -> Vec<Substance> {
        decode_substances(&self.row.substances)
    }

    /// The client has a co-occurring mental-health condition: groups for co-occurring conditions
    /// (DRA) become eligible and rank first among groups with the same meeting availability.
    async fn co_occurring_mental_health(&self) -> bool {
        self.row.co_occurring_mental_health
    }

    /// The client prefers a secular approach: secular groups (SMART, SOS, WFS for a woman) rank
    /// ahead of 12-step ones with the same meeting availability (a group for co-occurring
    /// conditions still comes first for a client who has one).
    async fn prefers_secular(&self) -> bool {
        self.row.prefers_secular
    }

    /// BCP 47, e.g. `en`.
    async fn language(&self) -> Option<&str> {
        self.row.language.as_deref()
    }

    /// The counselor whose caseload the client is on; set at registration, changed by a
    /// supervisor's reassignment.
    async fn primary_counselor(&self, ctx: &Context<'_>) -> Result<Staff> {
        self.set.counselors.required(ctx, self.row.counselor_key()).await
    }

    /// The open episode, if any.
    async fn current_episode(&self, ctx: &Context<'_>) -> Result<Option<Episode>> {
        Ok(self.all_episodes(ctx).await?.into_iter().find(|e| e.row.discharged_at.is_none()))
    }

    /// Every episode, newest first.
    async fn episodes(&self, ctx: &Context<'_>) -> Result<Vec<Episode>> {
        self.all_episodes(ctx).await
    }

    /// Referrals, oldest first, optionally only those in the given statuses.
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only referrals in these statuses; all when left out (an empty list matches none).")]
        status: Option<Vec<ReferralStatus>>,
    ) -> Result<Vec<Referral>> {
        let db = &ctx.state()?.db;
        let ids = self.set.ids.clone();
        let attendance_selected = ctx.look_ahead().field("attendance").exists();
        let by_client = self
            .set
            .referrals
            .get(|| async {
                let rows = batch::referrals_by_client(db, &ids).await?;
                Ok(regroup(
                    rows,
                    |rows| Referral::list_selecting(rows, attendance_selected),
                    |r| r.model().client_key(),
                ))
            })
            .await?;
        Ok(by_client
            .get(&self.row.key())
            .into_iter()
            .flatten()
            .filter(|r| status.as_ref().is_none_or(|s| s.contains(&r.model().status)))
            .cloned()
            .collect())
    }

    /// Follow-ups by due date, optionally only those in the given statuses and of the given
    /// kinds (the continuing-care schedule, post-discharge calls, the GPRA interview, by hand).
    async fn follow_ups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only contacts in these statuses; all when left out (an empty list matches none).")]
        status: Option<Vec<FollowUpStatus>>,
        #[graphql(desc = "Only contacts of these kinds; all when left out (an empty list matches none).")] kind: Option<
            Vec<FollowUpKind>,
        >,
    ) -> Result<Vec<FollowUp>> {
        Ok(self
            .all_follow_ups(ctx)
            .await?
            .into_iter()
            .filter(|f| status.as_ref().is_none_or(|s| s.contains(&f.model().status)))
            .filter(|f| kind.as_ref().is_none_or(|k| k.contains(&f.model().kind)))
            .collect())
    }

    /// The aftercare plan of the open episode (a draft with version 0 until first saved);
    /// null without an open episode.
    async fn aftercare_plan(&self, ctx: &Context<'_>) -> Result<Option<AftercarePlan>> {
        let state = ctx.state()?;
        let ids = self.set.ids.clone();
        let plans = self
            .set
            .plans
            .get(|| async {
                let views = crate::service::aftercare::plans_of_clients(state, &ids).await?;
                Ok(views.into_iter().map(|(client, view)| (client, AftercarePlan(view))).collect())
            })
            .await?;
        Ok(plans.get(&self.row.key()).cloned())
    }

    /// The concrete meetings of the week holding `weekOf` (Monday to Sunday) from the
    /// client's planned and active referrals, in order, overlaps flagged.
    async fn meeting_schedule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Any day of the week wanted; the week runs Monday to Sunday.")] week_of: Date,
    ) -> Result<Vec<ScheduledMeeting>> {
        let state = ctx.state()?;
        let ids = self.set.ids.clone();
        let program_tz = state.config.timezone;
        let weeks = self
            .set
            .weeks
            .for_key(week_of.0)
            .get(|| async {
                let weeks = crate::service::aftercare::weeks_of_clients(state, &ids, week_of.0).await?;
                Ok(weeks
                    .into_iter()
                    .map(|(client, items)| {
                        (client, items.into_iter().map(|item| ScheduledMeeting { item, program_tz }).collect())
                    })
                    .collect())
            })
            .await?;
        Ok(weeks.get(&self.row.key()).cloned().unwrap_or_default())
    }

    /// The client's Part 2 consents, newest first.
    async fn consents(&self, ctx: &Context<'_>) -> Result<Vec<super::privacy::Consent>> {
        let state = ctx.state()?;
        let ids = self.set.ids.clone();
        let consents = self
            .set
            .consents
            .get(|| async {
                let found = crate::service::privacy::consents_of_clients(state, &ids).await?;
                Ok(found
                    .into_iter()
                    .map(|(client, rows)| (client, rows.into_iter().map(super::privacy::Consent).collect()))
                    .collect())
            })
            .await?;
        Ok(consents.get(&self.row.key()).cloned().unwrap_or_default())
    }

    /// How to reach the client: phones (and whether messages may be left), email, address,
    /// emergency contact, preferred way and times, consent to contact. Null until entered.
    async fn locator(&self, ctx: &Context<'_>) -> Result<Option<super::locator::ClientLocator>> {
        let state = ctx.state()?;
        let ids = self.set.ids.clone();
        let locators = self
            .set
            .locators
            .get(|| async {
                let mut out = HashMap::new();
                for (client, row) in crate::service::locator::of_clients(state, &ids).await? {
                    let locator = crate::service::locator::decode(&row)?;
                    out.insert(client, super::locator::ClientLocator { row, locator });
                }
                Ok(out)
            })
            .await?;
        Ok(locators.get(&self.row.key()).cloned())
    }

    /// The earliest follow-up still scheduled (overdue ones included).
    async fn next_follow_up(&self, ctx: &Context<'_>) -> Result<Option<FollowUp>> {
        Ok(self.all_follow_ups(ctx).await?.into_iter().find(|f| f.model().status == FollowUpStatus::Scheduled))
    }
}

#[derive(Clone)]
pub struct Episode {
    row: episode::Model,
    set: Arc<EpisodeSet>,
}

#[derive(Default)]
pub struct EpisodeSet {
    ids: Arc<[EpisodeKey]>,
    client_ids: Arc<[ClientKey]>,
    clients: Batch<ClientKey, Client>,
    history: Batch<EpisodeKey, Vec<StageChange>>,
    previous_ids: Arc<[EpisodeKey]>,
    previous: Batch<EpisodeKey, Episode>,
}

impl Episode {
    pub fn list(rows: Vec<episode::Model>) -> Vec<Episode> {
        let set = Arc::new(EpisodeSet {
            ids: distinct(rows.iter().map(episode::Model::key)),
            client_ids: distinct(rows.iter().map(episode::Model::client_key)),
            previous_ids: distinct(rows.iter().filter_map(episode::Model::previous_key)),
            ..Default::default()
        });
        rows.into_iter().map(|row| Episode { row, set: set.clone() }).collect()
    }

    pub fn one(row: episode::Model) -> Episode {
        let set = Arc::new(EpisodeSet {
            ids: Arc::new([row.key()]),
            client_ids: Arc::new([row.client_key()]),
            previous_ids: row.previous_key().into_iter().collect(),
            ..Default::default()
        });
        Episode { row, set }
    }

    fn map(rows: HashMap<EpisodeKey, episode::Model>) -> HashMap<EpisodeKey, Episode> {
        let list = Episode::list(rows.into_values().collect());
        list.into_iter().map(|e| (e.row.key(), e)).collect()
    }

    async fn previous(&self, ctx: &Context<'_>) -> Result<Option<Episode>> {
        let Some(previous_id) = self.row.previous_key() else { return Ok(None) };
        let db = &ctx.state()?.db;
        let ids = self.set.previous_ids.clone();
        let found = self.set.previous.get(|| async { Ok(Episode::map(batch::episodes(db, &ids).await?)) }).await?;
        Ok(found.get(&previous_id).cloned())
    }
}

/// One treatment episode of a client, from admission to discharge, at its current stage and level
/// of care. A client has at most one open episode.
#[Object]
impl Episode {
    /// Opaque id; pass it as `episodeId` to `changeStage` and `dischargeClient`.
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// Pass it back as `expectedVersion` to `changeStage` or `dischargeClient`; a stale one is
    /// `CONFLICT`.
    async fn version(&self) -> i32 {
        self.row.version
    }

    /// The client treated in this episode.
    async fn client(&self, ctx: &Context<'_>) -> Result<Client> {
        let db = &ctx.state()?.db;
        let ids = self.set.client_ids.clone();
        let found = self.set.clients.get(|| async { Ok(Client::map(batch::clients(db, &ids).await?)) }).await?;
        Ok(required(&found, self.row.client_key(), "client")?)
    }

    /// The current stage; after discharge, the stage the episode ended in.
    async fn stage(&self) -> Stage {
        self.row.stage
    }

    /// ASAM level of care of the current stage; null only in AFTERCARE without a level.
    async fn level_of_care(&self) -> Option<LevelOfCare> {
        self.row.level_of_care
    }

    /// True until the episode is discharged (`dischargedAt` is null).
    async fn open(&self) -> bool {
        self.row.discharged_at.is_none()
    }

    /// When the current stage began.
    async fn stage_entered_at(&self) -> DateTime {
        DateTime(self.row.stage_entered_at)
    }

    /// When the episode began (UTC). The GPRA 6-month interview counts from its local date.
    async fn admitted_at(&self) -> DateTime {
        DateTime(self.row.admitted_at)
    }

    /// When the episode was closed (UTC); null while open.
    async fn discharged_at(&self) -> Option<DateTime> {
        self.row.discharged_at.map(DateTime)
    }

    /// TEDS discharge reason; null while open. LEFT_AGAINST_ADVICE and TERMINATED_BY_FACILITY are
    /// early exits, first on the worklist.
    async fn discharge_reason(&self) -> Option<DischargeReason> {
        self.row.discharge_reason
    }

    /// The note given at discharge (at most 4,000 characters); null while open or when none was
    /// given.
    async fn discharge_note(&self) -> Option<&str> {
        self.row.discharge_note.as_deref()
    }

    /// Where the client went on discharge (`UNKNOWN` when it was not recorded).
    async fn discharged_to(&self) -> Option<DischargedTo> {
        self.row.discharged_to
    }

    /// The client's episode before this one, when this one is a readmission.
    async fn previous_episode(&self, ctx: &Context<'_>) -> Result<Option<Episode>> {
        self.previous(ctx).await
    }

    /// Days from the end of the previous episode to this admission, when this one is a
    /// readmission; `readmittedWithin30Days` says whether it came within 30.
    async fn readmitted_after_days(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        let previous = self.previous(ctx).await?;
        Ok(previous.and_then(|p| p.row.discharged_at).map(|d| (self.row.admitted_at - d).num_days().max(0)))
    }

    /// A readmission within 30 days of the last discharge: a quality signal programs track.
    async fn readmitted_within_30_days(&self, ctx: &Context<'_>) -> Result<bool> {
        let previous = self.previous(ctx).await?;
        Ok(previous
            .and_then(|p| p.row.discharged_at)
            .is_some_and(|d| (self.row.admitted_at - d).num_days() <= crate::domain::episode::READMISSION_WINDOW_DAYS))
    }

    /// Every stage move, oldest first, from admission on. Never edited.
    async fn stage_history(&self, ctx: &Context<'_>) -> Result<Vec<StageChange>> {
        let db = &ctx.state()?.db;
        let ids = self.set.ids.clone();
        let by_episode = self
            .set
            .history
            .get(|| async {
                let rows = batch::history_by_episode(db, &ids).await?;
                Ok(regroup(rows, StageChange::list, |h| h.row.episode_key()))
            })
            .await?;
        Ok(by_episode.get(&self.row.key()).cloned().unwrap_or_default())
    }
}

#[derive(Clone)]
pub struct StageChange {
    row: stage_change::Model,
    kind: MoveKind,
    set: Arc<StageChangeSet>,
}

#[derive(Default)]
pub struct StageChangeSet {
    staff: StaffRefs,
}

impl StageChange {
    pub fn list(rows: Vec<stage_change::Model>) -> Vec<StageChange> {
        let set = Arc::new(StageChangeSet { staff: StaffRefs::new(rows.iter().map(stage_change::Model::by_key)) });
        // Rows come oldest first; each move is judged against the entry before it in its
        // own episode (the admission has none).
        let mut rows = rows;
        rows.sort_by_key(|r| (r.episode_id, r.at, r.id));
        let mut last: std::collections::HashMap<Uuid, Placement> = std::collections::HashMap::new();
        rows.into_iter()
            .map(|row| {
                let here = Placement::new(row.to_stage, row.level_of_care);
                let before = if row.from_stage.is_none() { None } else { last.get(&row.episode_id).copied() };
                last.insert(row.episode_id, here);
                StageChange { kind: MoveKind::of(before, here), row, set: set.clone() }
            })
            .collect()
    }
}

/// One entry of an episode's stage history: where the episode went, when, by whom and why. Written
/// at admission and at every move; never edited.
#[Object]
impl StageChange {
    /// `null` for the admission.
    async fn from(&self) -> Option<Stage> {
        self.row.from_stage
    }

    /// The stage entered (for the admission, the stage admitted to).
    async fn to(&self) -> Stage {
        self.row.to_stage
    }

    /// The level of care entered; null for AFTERCARE without a level.
    async fn level_of_care(&self) -> Option<LevelOfCare> {
        self.row.level_of_care
    }

    /// When the admission or move took effect (UTC).
    async fn at(&self) -> DateTime {
        DateTime(self.row.at)
    }

    /// The staff member who admitted or moved the client.
    async fn by(&self, ctx: &Context<'_>) -> Result<Staff> {
        self.set.staff.required(ctx, self.row.by_key()).await
    }

    /// The reason given with the move (at most 1,000 characters); `admission` for the first entry;
    /// null when none was given.
    async fn reason(&self) -> Option<&str> {
        self.row.reason.as_deref()
    }

    /// What the move did to the intensity of care: ADMISSION, STEP_UP, STEP_DOWN or LATERAL.
    async fn kind(&self) -> MoveKind {
        self.kind
    }
}

/// A new client for `registerClient`.
#[derive(InputObject)]
pub struct RegisterClientInput {
    /// Makes the create safe to retry: the same key returns the first result (kept at least 48 hours).
    pub idempotency_key: Option<String>,
    /// Trimmed; 1 to 100 characters, no control characters (`NAME`).
    pub first_name: String,
    /// Trimmed; 1 to 100 characters, no control characters (`NAME`).
    pub last_name: String,
    /// The name the client goes by, if not their first name; same rules as `firstName`. Blank
    /// counts as none.
    pub preferred_name: Option<String>,
    /// From 1900-01-01 and before today (`DATE_OF_BIRTH`).
    pub date_of_birth: Date,
    /// Optional. Decides eligibility for groups open to one gender (WFS only for WOMAN) and gives
    /// TEDS SEX.
    pub gender: Option<Gender>,
    /// At least one (`SUBSTANCES`); repeats are dropped. The recommendations match them against
    /// each group's substance focus.
    pub substances: Vec<Substance>,
    /// A co-occurring mental-health condition: makes groups for co-occurring conditions (DRA)
    /// eligible and ranks them first among groups with the same meeting availability.
    #[graphql(default)]
    pub co_occurring_mental_health: bool,
    /// A preference for a secular approach: secular groups (SMART, SOS, WFS for a woman) rank
    /// ahead of 12-step ones with the same meeting availability.
    #[graphql(default)]
    pub prefers_secular: bool,
    /// Preferred language as a BCP 47 tag such as `en` or `es-MX` (`LANGUAGE`); blank counts as
    /// none. Groups with meetings in it are recommended first; `es` prints the plan in Spanish.
    pub language: Option<String>,
    /// Defaults to the caller. A supervisor may name a counselor of their team.
    pub primary_counselor_id: Option<ID>,
    /// A client with the same date of birth and a similar name on the caller's caseloads
    /// makes registration `BAD_USER_INPUT` with `rule: LIKELY_DUPLICATE` and the ids in
    /// `extensions.duplicates`; after checking them, `true` registers a different person.
    #[graphql(default)]
    pub confirm_not_duplicate: bool,
}

/// Fields left out stay as they are; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateClientInput {
    /// The client to change. Required unless given as the deprecated `id` argument.
    pub client_id: Option<ID>,
    /// The `version` read with the client; a newer one on the server answers CONFLICT and
    /// changes nothing. Required unless given as the deprecated `expectedVersion` argument.
    pub expected_version: Option<i32>,
    /// Left out or null: unchanged. Same rules as at registration (`NAME`).
    pub first_name: Option<String>,
    /// Left out or null: unchanged. Same rules as at registration (`NAME`).
    pub last_name: Option<String>,
    /// Left out: unchanged; `null` or blank clears it.
    pub preferred_name: MaybeUndefined<String>,
    /// Left out or null: unchanged. From 1900-01-01 and before today (`DATE_OF_BIRTH`).
    pub date_of_birth: Option<Date>,
    /// Left out: unchanged; `null` clears it. Decides eligibility for one-gender groups and gives
    /// TEDS SEX.
    pub gender: MaybeUndefined<Gender>,
    /// Left out or null: unchanged. Otherwise replaces the list; at least one (`SUBSTANCES`).
    pub substances: Option<Vec<Substance>>,
    /// Left out or null: unchanged. Makes groups for co-occurring conditions (DRA) eligible.
    pub co_occurring_mental_health: Option<bool>,
    /// Left out or null: unchanged. Ranks secular groups ahead of 12-step ones with the same
    /// meeting availability.
    pub prefers_secular: Option<bool>,
    /// Left out: unchanged; `null` or blank clears it. A BCP 47 tag such as `en` or `es-MX`
    /// (`LANGUAGE`).
    pub language: MaybeUndefined<String>,
}

/// SUPERVISOR: a client moved to another counselor of the team.
#[derive(InputObject)]
pub struct ReassignClientInput {
    /// The client to move.
    pub client_id: ID,
    /// The new primary counselor: an active counselor of the caller's team.
    pub counselor_id: ID,
}

/// Narrows `clients`; every filter given must hold. The list never goes beyond the clients the
/// caller may see.
#[derive(InputObject, Default)]
pub struct ClientFilter {
    /// Clients whose open episode is in this stage.
    pub stage: Option<Stage>,
    /// Part of a first, preferred or last name, case- and accent-insensitive ("lucia" finds
    /// "Lucía").
    pub search: Option<String>,
    /// Clients born on this day.
    pub date_of_birth: Option<Date>,
    /// Clients whose primary counselor is this staff member.
    pub counselor_id: Option<ID>,
    /// `true`: only clients with a SCHEDULED contact due before today (in the program's time zone);
    /// `false`: only clients without one.
    pub has_overdue_follow_up: Option<bool>,
}

/// Opens an episode with `admitClient`. Every admission schedules the GPRA 6-month interview; an
/// admission into AFTERCARE also does what entering AFTERCARE does.
#[derive(InputObject)]
pub struct AdmitClientInput {
    /// Makes the create safe to retry: the same key returns the first result (kept at least 48 hours).
    pub idempotency_key: Option<String>,
    /// A client the caller may see, with no open episode (`ONE_OPEN_EPISODE`).
    pub client_id: ID,
    /// The stage admitted to.
    pub stage: Stage,
    /// An ASAM level that `stage` allows (`LEVEL_OF_CARE`): required for DETOX and REHAB; none, L1
    /// or OTP for AFTERCARE.
    pub level_of_care: Option<LevelOfCare>,
    /// Defaults to now.
    pub admitted_at: Option<DateTime>,
    /// The TEDS intake elements (substances with route, frequency and age at first use,
    /// prior treatment, referral source, self-help before admission) for the state extract.
    pub intake: Option<super::teds::TedsIntakeInput>,
}

/// Moves an open episode with `changeStage`: the stage, the level of care or both must change.
#[derive(InputObject)]
pub struct ChangeStageInput {
    /// The open episode to move; a discharged one is `EPISODE_CLOSED`.
    pub episode_id: ID,
    /// The episode's `version` as last read; a stale one is `CONFLICT`.
    pub expected_version: i32,
    /// The stage to move to (it may be the current one when the level changes).
    pub stage: Stage,
    /// The level of care to move to, one that `stage` allows (`LEVEL_OF_CARE`). A move to where the
    /// episode already is is `STAGE_MOVE`.
    pub level_of_care: Option<LevelOfCare>,
    /// Why the client moves, kept in the stage history; optional, at most 1,000 characters.
    pub reason: Option<String>,
}

/// SUPERVISOR: the hand-over of one counselor's whole caseload to another, with `reassignCaseload`.
#[derive(InputObject)]
pub struct ReassignCaseloadInput {
    /// The counselor handing over: a member of the caller's team, or the caller.
    pub from_counselor_id: ID,
    /// The counselor taking over: an active member of the caller's team, or the caller; not
    /// `fromCounselorId`.
    pub to_counselor_id: ID,
}

/// Closes an open episode with `dischargeClient`.
#[derive(InputObject)]
pub struct DischargeClientInput {
    /// The open episode to close; a discharged one is `EPISODE_CLOSED`.
    pub episode_id: ID,
    /// The episode's `version` as last read; a stale one is `CONFLICT`.
    pub expected_version: i32,
    /// TEDS discharge reason. DECEASED cancels every open contact and referral of the client; any
    /// other reason schedules the post-discharge contacts (by default 7 and 30 days).
    pub reason: DischargeReason,
    /// Where the client went; recorded as UNKNOWN when left out.
    pub discharged_to: Option<DischargedTo>,
    /// Kept as the episode's `dischargeNote`; at most 4,000 characters.
    pub note: Option<String>,
}
