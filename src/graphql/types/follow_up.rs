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

#[Object]
impl FollowUp {
    async fn id(&self) -> ID {
        id(self.row.id)
    }

    async fn version(&self) -> i32 {
        self.row.version
    }

    async fn client(&self, ctx: &Context<'_>) -> Result<Client> {
        let db = &ctx.state()?.db;
        let ids = self.set.client_ids.clone();
        let found = self.set.clients.get(|| async { Ok(Client::map(batch::clients(db, &ids).await?)) }).await?;
        Ok(required(&found, self.row.client_key(), "client")?)
    }

    async fn due_on(&self) -> Date {
        Date(self.row.due_on)
    }

    async fn status(&self) -> FollowUpStatus {
        self.row.status
    }

    /// Still scheduled after its due date (in the program's time zone). Derived, never stored.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(is_overdue(self.row.status, self.row.due_on, ctx.state()?.today()))
    }

    /// Days after entering aftercare (AFTERCARE) or after leaving high-intensity care
    /// (POST_DISCHARGE), for contacts from a schedule.
    async fn schedule_days(&self) -> Option<i32> {
        self.row.schedule_days
    }

    /// Why the contact exists: the continuing-care schedule, the post-discharge schedule, or
    /// a counselor's hand.
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

    async fn outcome(&self) -> Option<FollowUpOutcome> {
        self.row.outcome
    }

    async fn attending_support_group(&self) -> Option<bool> {
        self.row.attending_support_group
    }

    async fn contacted_at(&self) -> Option<DateTime> {
        self.row.contacted_at.map(DateTime)
    }

    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }

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

#[Object]
impl FollowUpAttempt {
    async fn id(&self) -> ID {
        id(self.row.id)
    }

    async fn attempted_at(&self) -> DateTime {
        DateTime(self.row.attempted_at)
    }

    async fn method(&self) -> AttemptMethod {
        self.row.method
    }

    async fn result(&self) -> AttemptResult {
        self.row.result
    }

    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }

    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Staff> {
        self.staff.required(ctx, self.row.recorded_by_key()).await
    }
}

#[derive(InputObject)]
pub struct RecordFollowUpAttemptInput {
    pub follow_up_id: ID,
    /// Defaults to now; never before the episode began or in the future.
    pub attempted_at: Option<DateTime>,
    pub method: AttemptMethod,
    pub result: AttemptResult,
    pub note: Option<String>,
}

#[derive(InputObject, Default)]
pub struct FollowUpFilter {
    pub status: Option<Vec<FollowUpStatus>>,
    pub overdue: Option<bool>,
    pub due_from: Option<Date>,
    pub due_to: Option<Date>,
    pub counselor_id: Option<ID>,
    pub client_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ScheduleFollowUpInput {
    /// Makes the create safe to retry: the same key returns the first result (kept at least 48 hours).
    pub idempotency_key: Option<String>,
    pub client_id: ID,
    pub due_on: Date,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct RecordFollowUpInput {
    pub follow_up_id: ID,
    pub expected_version: i32,
    /// COMPLETED; UNREACHABLE (after the attempts, or once the window has closed); or
    /// CANCELLED (only before it is due). MISSED is Continuum's to set.
    pub status: FollowUpStatus,
    /// Required when COMPLETED.
    pub outcome: Option<FollowUpOutcome>,
    pub attending_support_group: Option<bool>,
    /// Defaults to now; never before the episode began or in the future.
    pub contacted_at: Option<DateTime>,
    pub note: Option<String>,
}
