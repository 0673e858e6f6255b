//! A caseload event as subscribers see it.

use crate::graphql::scalars::DateTime;
use async_graphql::{ID, Object};

use super::id;
use crate::{domain::caseload::CaseloadEventKind, events};

pub struct CaseloadEvent(pub events::CaseloadEvent);

#[Object]
impl CaseloadEvent {
    async fn kind(&self) -> CaseloadEventKind {
        self.0.kind
    }

    async fn at(&self) -> DateTime {
        DateTime(self.0.at)
    }

    async fn client_id(&self) -> ID {
        id(self.0.client_id)
    }

    /// Who made the change.
    async fn actor_id(&self) -> ID {
        id(self.0.actor_id)
    }

    async fn subject_id(&self) -> Option<ID> {
        self.0.subject_id.map(id)
    }
}
