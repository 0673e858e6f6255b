use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object};

use crate::graphql::error::Result;
use crate::graphql::scalars::DateTime;

use crate::graphql::scalars::Date;

use super::{
    client::Client,
    id,
    staff::{Staff, StaffRefs},
};
use crate::{
    domain::{AttemptMethod, AttemptResult, FollowUpKind, FollowUpOutcome, FollowUpStatus, follow_up::is_overdue},
    entity::{Id, client, episode, follow_up, follow_up_attempt},
    graphql::{
        batch::{self, Batch, distinct, regroup, required},
        context::ContextExt,
    },
};

#[derive(Clone)]
pub struct FollowUp {
    row: follow_up::Model,
    set: Arc<FollowUpSet>,
}

#[derive(Default)]
pub struct FollowUpSet {
    ids: Arc<[Id<follow_up::Entity>]>,
    client_ids: Arc<[Id<client::Entity>]>,
    clients: Batch<Id<client::Entity>, Client>,
    staff: StaffRefs,
    attempts: Batch<Id<follow_up::Entity>, Vec<FollowUpAttempt>>,
    episode_ids: Arc<[Id<episode::Entity>]>,
    episodes: Batch<Id<episode::Entity>, episode::Model>,
}

impl FollowUp {
    pub fn list(rows: Vec<follow_up::Model>) -> Vec<FollowUp> {
        let set = Arc::new(FollowUpSet {
            ids: distinct(rows.iter().map(follow_up::Model::key)),
            client_ids: distinct(rows.iter().map(follow_up::Model::client_key)),
            episode_ids: distinct(rows.iter().filter_map(follow_up::Model::episode_key)),
            staff: StaffRefs::new(rows.iter().filter_map(follow_up::Model::recorded_by_key)),
            ..Default::default()
        });
        rows.into_iter().map(|row| FollowUp { row, set: set.clone() }).collect()
    }

    pub fn one(row: follow_up::Model) -> FollowUp {
        let set = Arc::new(FollowUpSet {
            ids: Arc::new([row.key()]),
            client_ids: Arc::new([row.client_key()]),
            episode_ids: row.episode_key().into_iter().collect(),
            staff: StaffRefs::new(row.recorded_by_key()),
            ..Default::default()
        });
        FollowUp { row, set }
    }

    pub fn model(&self) -> &follow_up::Model {
        &self.row
    }
}

/// A follow-up contact with a client: when it is due, why it exists and what came of it. Scheduled
/// on entering aftercare, on discharge or a step down out of high-intensity care, at every
/// admission (the GPRA interview) or by hand; visible with its client.
#[Object]
impl FollowUp {
    /// Opaque id; pass it as `followUpId` to `recordFollowUp` and `recordFollowUpAttempt`.
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// Pass it back as `expectedVersion` to `recordFollowUp`. Each logged attempt also moves it on,
    /// so a decision taken on an old attempt count is `CONFLICT`.
    async fn version(&self) -> i32 {
        self.row.version
    }

    /// The client to contact.
    async fn client(&self, ctx: &Context<'_>) -> Result<Client> {
        let db = &ctx.state()?.db;
        let ids = self.set.client_ids.clone();
        let found = self.set.clients.get(|| async { Ok(Client::map(batch::clients(db, &ids).await?)) }).await?;
        Ok(required(&found, self.row.client_key(), "client")?)
    }

    /// The day the contact is due, in the program's time zone; overdue from the next day while
    /// still SCHEDULED.
    async fn due_on(&self) -> Date {
        Date(self.row.due_on)
    }

    /// Where the contact stands; only a SCHEDULED one can be recorded. MISSED, and CANCELLED when
    /// the plan changes or the client has died, are set by Continuum.
    async fn status(&self) -> FollowUpStatus {
        self.row.status
    }

    /// Still scheduled after its due date (in the program's time zone). Derived, never stored.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(is_overdue(self.row.status, self.row.due_on, ctx.state()?.today()))
    }

    /// Days after entering aftercare (AFTERCARE), or after a discharge from any stage or a step
    /// down out of high-intensity care (POST_DISCHARGE), for contacts from a schedule.
    async fn schedule_days(&self) -> Option<i32> {
        self.row.schedule_days
    }

    /// Why the contact exists: the continuing-care schedule, the post-discharge schedule, the
    /// GPRA six-month interview, or a counselor's hand.
    async fn kind(&self) -> FollowUpKind {
        self.row.kind
    }

    /// The last day the contact is still in its window. Until then, UNREACHABLE needs
    /// `CONTINUUM_UNREACHABLE_ATTEMPTS` attempts on different days; after, it may be recorded
    /// whatever the attempts.
    async fn window_closes_on(&self, ctx: &Context<'_>) -> Result<Date> {
        let state = ctx.state()?;
        // Only the GPRA interview's window depends on its episode (the intake date).
        let episode = match (self.row.kind, self.row.episode_key()) {
            (FollowUpKind::Gpra, Some(key)) => {
                let ids = self.set.episode_ids.clone();
                let found = self.set.episodes.get(|| batch::episodes(&state.db, &ids)).await?;
                found.get(&key).cloned()
            }
            _ => None,
        };
        Ok(Date(crate::service::follow_up::window_closes_on(state, &self.row, episode.as_ref())))
    }

    /// Outreach attempts made for this contact, oldest first.
    async fn attempts(&self, ctx: &Context<'_>) -> Result<Vec<FollowUpAttempt>> {
        let db = &ctx.state()?.db;
        let ids = self.set.ids.clone();
        let by_follow_up = self
            .set
            .attempts
            .get(|| async {
                let rows = batch::attempts_by_follow_up(db, &ids).await?;
                Ok(regroup(rows, FollowUpAttempt::list, |a| a.row.follow_up_key()))
            })
            .await?;
        Ok(by_follow_up.get(&self.row.key()).cloned().unwrap_or_default())
    }

    /// What the contact found; set for COMPLETED only, null otherwise.
    async fn outcome(&self) -> Option<FollowUpOutcome> {
        self.row.outcome
    }

    /// Whether the client attends a support group, as recorded with the contact; null when not
    /// recorded.
    async fn attending_support_group(&self) -> Option<bool> {
        self.row.attending_support_group
    }

    /// When the contact was made (COMPLETED) or given up (UNREACHABLE), UTC; null otherwise.
    async fn contacted_at(&self) -> Option<DateTime> {
        self.row.contacted_at.map(DateTime)
    }

    /// Free text (at most 4,000 characters): the note from scheduling, replaced by one given when
    /// recording. Continuum writes its own when it marks a contact MISSED or CANCELLED.
    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }

    /// The staff member who recorded the contact; null until then, and for contacts Continuum
    /// settled itself.
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let Some(by) = self.row.recorded_by_key() else { return Ok(None) };
        self.set.staff.get(ctx, by).await
    }
}

/// One outreach attempt: when, how, and what came of it.
#[derive(Clone)]
pub struct FollowUpAttempt {
    row: follow_up_attempt::Model,
    staff: Arc<StaffRefs>,
}

impl FollowUpAttempt {
    pub fn list(rows: Vec<follow_up_attempt::Model>) -> Vec<FollowUpAttempt> {
        let staff = Arc::new(StaffRefs::new(rows.iter().map(follow_up_attempt::Model::recorded_by_key)));
        rows.into_iter().map(|row| FollowUpAttempt { row, staff: staff.clone() }).collect()
    }
}

/// One outreach attempt on a contact: when, how and what came of it. Attempts that did not reach
/// the client, on different days, allow the contact to be given up as UNREACHABLE.
#[Object]
impl FollowUpAttempt {
    /// Opaque id (UUIDv7, in order of creation).
    pub(crate) async fn id(&self) -> ID {
        id(self.row.id)
    }

    /// When the attempt was made (UTC); never before the episode began or in the future. Its local
    /// day is what counts toward the attempts on different days.
    async fn attempted_at(&self) -> DateTime {
        DateTime(self.row.attempted_at)
    }

    /// How the client was tried: phone, text, email, letter, in person or video.
    async fn method(&self) -> AttemptMethod {
        self.row.method
    }

    /// What came of it; every result but REACHED counts toward UNREACHABLE.
    async fn result(&self) -> AttemptResult {
        self.row.result
    }

    /// Free text about the attempt (at most 4,000 characters); null if none.
    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }

    /// The staff member who logged the attempt.
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Staff> {
        self.staff.required(ctx, self.row.recorded_by_key()).await
    }
}

/// Logs one outreach attempt with `recordFollowUpAttempt`.
#[derive(InputObject)]
pub struct RecordFollowUpAttemptInput {
    /// A SCHEDULED contact; any other is `FOLLOW_UP_CLOSED`.
    pub follow_up_id: ID,
    /// Defaults to now; never before the episode began or in the future.
    pub attempted_at: Option<DateTime>,
    /// How the client was tried.
    pub method: AttemptMethod,
    /// What came of it. REACHED does not close the contact: record it with `recordFollowUp`.
    pub result: AttemptResult,
    /// Free text, at most 4,000 characters.
    pub note: Option<String>,
}

/// Narrows `followUps`; every filter given must hold. The list never goes beyond the clients the
/// caller may see.
#[derive(InputObject, Default)]
pub struct FollowUpFilter {
    /// Only contacts in these statuses; any status when left out or empty.
    pub status: Option<Vec<FollowUpStatus>>,
    /// `true`: only SCHEDULED contacts due before today (in the program's time zone); `false`: only
    /// the others.
    pub overdue: Option<bool>,
    /// Only contacts due on or after this day.
    pub due_from: Option<Date>,
    /// Only contacts due on or before this day.
    pub due_to: Option<Date>,
    /// Only contacts of clients whose primary counselor is this staff member.
    pub counselor_id: Option<ID>,
    /// Only this client's contacts.
    pub client_id: Option<ID>,
}

/// A contact added by hand with `scheduleFollowUp` (kind MANUAL).
#[derive(InputObject)]
pub struct ScheduleFollowUpInput {
    /// Makes the create safe to retry: the same key returns the first result (kept at least 48 hours).
    pub idempotency_key: Option<String>,
    /// A client the caller may see. The contact is attached to the client's open or most recent
    /// episode, if any.
    pub client_id: ID,
    /// From today up to two years ahead, in the program's time zone.
    pub due_on: Date,
    /// Free text shown with the contact, at most 4,000 characters.
    pub note: Option<String>,
}

/// Records what came of a contact with `recordFollowUp`.
#[derive(InputObject)]
pub struct RecordFollowUpInput {
    /// A SCHEDULED contact; any other is `FOLLOW_UP_CLOSED`.
    pub follow_up_id: ID,
    /// The contact's `version` as last read; a stale one (e.g. an attempt logged since) is
    /// `CONFLICT`.
    pub expected_version: i32,
    /// COMPLETED; UNREACHABLE (after the attempts, or once the window has closed); or
    /// CANCELLED (not once overdue; a contact due today may still be cancelled). MISSED is Continuum's to set.
    pub status: FollowUpStatus,
    /// Required when COMPLETED.
    pub outcome: Option<FollowUpOutcome>,
    /// Whether the client attends a support group; counted in the follow-up report.
    pub attending_support_group: Option<bool>,
    /// Defaults to now; never before the episode began or in the future.
    pub contacted_at: Option<DateTime>,
    /// Replaces the contact's note, at most 4,000 characters; left out, the note stays.
    pub note: Option<String>,
}
