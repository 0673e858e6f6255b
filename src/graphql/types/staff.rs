use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::Role,
    entity::staff,
    graphql::{
        batch::{self, Batch, distinct},
        context::ContextExt,
    },
};

#[derive(Clone)]
pub struct Staff {
    row: staff::Model,
    set: Arc<StaffSet>,
}

#[derive(Default)]
pub struct StaffSet {
    supervisor_ids: Arc<[Uuid]>,
    supervisors: Batch<Staff>,
}

impl Staff {
    pub fn list(rows: Vec<staff::Model>) -> Vec<Staff> {
        let set = Arc::new(StaffSet {
            supervisor_ids: distinct(rows.iter().filter_map(|r| r.supervisor_id)),
            ..Default::default()
        });
        rows.into_iter().map(|row| Staff { row, set: set.clone() }).collect()
    }

    pub fn one(row: staff::Model) -> Staff {
        let set = Arc::new(StaffSet { supervisor_ids: row.supervisor_id.into_iter().collect(), ..Default::default() });
        Staff { row, set }
    }

    /// Wraps a batch of rows keyed by id, all sharing one sibling set.
    pub fn map(rows: HashMap<Uuid, staff::Model>) -> HashMap<Uuid, Staff> {
        Staff::list(rows.into_values().collect()).into_iter().map(|s| (s.row.id, s)).collect()
    }

    pub fn model(&self) -> &staff::Model {
        &self.row
    }
}

#[Object]
impl Staff {
    async fn id(&self) -> ID {
        super::id(self.row.id)
    }

    async fn email(&self) -> &str {
        &self.row.email
    }

    async fn name(&self) -> &str {
        &self.row.name
    }

    async fn role(&self) -> Role {
        self.row.role
    }

    async fn active(&self) -> bool {
        self.row.active
    }

    async fn supervisor(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        let Some(id) = self.row.supervisor_id else { return Ok(None) };
        let db = &ctx.state()?.db;
        let ids = self.set.supervisor_ids.clone();
        let found = self.set.supervisors.get(async { Ok(Staff::map(batch::staff(db, &ids).await?)) }).await?;
        Ok(found.get(&id).cloned())
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    /// Opaque; exchange it with `refreshSession` before the access token expires.
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub staff: Staff,
}

#[derive(InputObject)]
pub struct CreateStaffInput {
    /// Makes the create safe to retry: the same key returns the first result (kept 24 hours).
    pub idempotency_key: Option<String>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    pub supervisor_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateStaffInput {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// `null` removes the supervisor; leaving it out keeps it.
    pub supervisor_id: MaybeUndefined<ID>,
}
