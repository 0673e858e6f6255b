//! A caseload event as subscribers see it.

use crate::graphql::{error::Result, scalars::DateTime};
use async_graphql::{Context, ID, Object};

use super::{
    ClientRefs,
    client::Client,
    id,
    staff::{Staff, StaffRefs},
};
use crate::entity::Id;
use crate::{domain::caseload::CaseloadEventKind, events};

pub struct CaseloadEvent {
    event: events::CaseloadEvent,
    client: ClientRefs,
    actor: StaffRefs,
}

impl CaseloadEvent {
    pub fn new(event: events::CaseloadEvent) -> Self {
        let client = ClientRefs::new("caseloadEvents.client", [Id::from_input(event.client_id)]);
        let actor = StaffRefs::new([Id::from_input(event.actor_id)]);
        CaseloadEvent { event, client, actor }
    }
}

/// Something changed for a client the subscriber may see, sent by `caseloadEvents` after the
/// change has committed. It names what changed, not the new values: refetch what you show.
#[Object]
impl CaseloadEvent {
    /// What changed: tells which object `subjectId` points to.
    async fn kind(&self) -> CaseloadEventKind {
        self.event.kind
    }

    /// When the change was made (UTC).
    async fn at(&self) -> DateTime {
        DateTime(self.event.at)
    }

    /// The client the change concerns; pass it to `client(id:)`.
    async fn client_id(&self) -> ID {
        id(self.event.client_id)
    }

    /// Who made the change.
    async fn actor_id(&self) -> ID {
        id(self.event.actor_id)
    }

    /// The client the change concerns, as the subscriber may see them now.
    async fn client(&self, ctx: &Context<'_>) -> Result<Option<Client>> {
        self.client.get(ctx, Id::from_input(self.event.client_id)).await
    }

    /// Who made the change.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        self.actor.get(ctx, Id::from_input(self.event.actor_id)).await
    }

    /// The object that changed: the episode for `ADMITTED`, `STAGE_CHANGED` and `DISCHARGED`; the
    /// referral for `REFERRAL_CREATED`, `REFERRAL_STATUS_CHANGED` and `ATTENDANCE_RECORDED`; the
    /// follow-up for `FOLLOW_UP_SCHEDULED` and `FOLLOW_UP_RECORDED`; the aftercare plan for
    /// `AFTERCARE_PLAN_UPDATED`. Null for the `CLIENT_*` kinds: the client record itself changed.
    async fn subject_id(&self) -> Option<ID> {
        self.event.subject_id.map(id)
    }
}
