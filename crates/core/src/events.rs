//! Caseload events: something changed for a client. Published after the change commits;
//! delivered to every subscriber on every node that may see the client.
//!
//! On PostgreSQL, events travel through `NOTIFY continuum_caseload` and every node
//! `LISTEN`s, so a portal on node 1 sees a change made through node 2. On SQLite (one
//! process) an in-process broadcast channel serves.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};
use tokio::{sync::broadcast, task::JoinHandle};
use uuid::Uuid;

pub const CHANNEL: &str = "continuum_caseload";

pub use crate::domain::caseload::CaseloadEventKind;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseloadEvent {
    pub client_id: Uuid,
    pub kind: CaseloadEventKind,
    pub actor_id: Uuid,
    /// The episode, referral or follow-up that changed, if any.
    pub subject_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

impl CaseloadEvent {
    pub fn new(
        kind: CaseloadEventKind,
        client_id: Uuid,
        actor_id: Uuid,
        subject_id: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Self {
        CaseloadEvent { client_id, kind, actor_id, subject_id, at }
    }
}

#[derive(Debug)]
pub struct EventBus {
    local: broadcast::Sender<CaseloadEvent>,
    notify: Option<DatabaseConnection>,
    listener: Option<JoinHandle<()>>,
}

impl Drop for EventBus {
    fn drop(&mut self) {
        if let Some(task) = &self.listener {
            task.abort();
        }
    }
}

impl EventBus {
    /// Must run inside a Tokio runtime: on PostgreSQL it starts the listener task.
    pub fn new(db: &DatabaseConnection) -> Arc<Self> {
        let (local, _) = broadcast::channel(1024);
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Arc::new(EventBus { local, notify: None, listener: None });
        }
        let listener = tokio::spawn(listen(db.get_postgres_connection_pool().clone(), local.clone()));
        Arc::new(EventBus { local, notify: Some(db.clone()), listener: Some(listener) })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CaseloadEvent> {
        self.local.subscribe()
    }

    /// Publishes after a commit. A lost event is logged, never an error for the change
    /// that caused it: the change itself is safe in the database.
    pub async fn publish(&self, event: CaseloadEvent) {
        match &self.notify {
            None => {
                let _ = self.local.send(event);
            }
            Some(db) => {
                let Ok(payload) = serde_json::to_string(&event) else { return };
                let statement = Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                );
                if let Err(err) = db.execute_raw(statement).await {
                    tracing::warn!(error = %err, "could not publish a caseload event");
                }
            }
        }
    }
}

async fn listen(pool: sea_orm::sqlx::PgPool, local: broadcast::Sender<CaseloadEvent>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(err) => {
                tracing::warn!(error = %err, "event listener cannot connect; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "event listener cannot LISTEN; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(notification) => match serde_json::from_str::<CaseloadEvent>(notification.payload()) {
                    Ok(event) => {
                        let _ = local.send(event);
                    }
                    Err(err) => tracing::warn!(error = %err, "unreadable caseload event"),
                },
                Err(err) => {
                    tracing::warn!(error = %err, "event listener lost its connection; reconnecting");
                    break;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
