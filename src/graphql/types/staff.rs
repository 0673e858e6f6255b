use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use crate::graphql::error::Result;
use crate::graphql::scalars::DateTime;

use crate::{
    domain::Role,
    entity::{Id, staff},
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
    supervisors: StaffRefs,
}

/// The staff members a sibling set points at (counselors, recorders, supervisors), all
/// loaded in one statement when the first of them is asked for.
#[derive(Default)]
pub struct StaffRefs {
    ids: Arc<[Id<staff::Entity>]>,
    batch: Batch<Id<staff::Entity>, Staff>,
}

impl StaffRefs {
    pub fn new(ids: impl IntoIterator<Item = Id<staff::Entity>>) -> Self {
        StaffRefs { ids: distinct(ids), batch: Batch::default() }
    }

    pub async fn get(&self, ctx: &Context<'_>, id: Id<staff::Entity>) -> Result<Option<Staff>> {
        let db = &ctx.state()?.db;
        let found = self.batch.get(|| async { Ok(Staff::map(batch::staff(db, &self.ids).await?)) }).await?;
        Ok(found.get(&id).cloned())
    }

    /// For a foreign key that must point at a row.
    pub async fn required(&self, ctx: &Context<'_>, id: Id<staff::Entity>) -> Result<Staff> {
        let found = self.get(ctx, id).await?;
        Ok(found.ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("staff {id} missing")))?)
    }
}

impl Staff {
    pub fn list(rows: Vec<staff::Model>) -> Vec<Staff> {
        let set =
            Arc::new(StaffSet { supervisors: StaffRefs::new(rows.iter().filter_map(staff::Model::supervisor_key)) });
        rows.into_iter().map(|row| Staff { row, set: set.clone() }).collect()
    }

    pub fn one(row: staff::Model) -> Staff {
        let set = Arc::new(StaffSet { supervisors: StaffRefs::new(row.supervisor_key()) });
        Staff { row, set }
    }

    /// Wraps a batch of rows keyed by id, all sharing one sibling set.
    pub fn map(rows: HashMap<Id<staff::Entity>, staff::Model>) -> HashMap<Id<staff::Entity>, Staff> {
        Staff::list(rows.into_values().collect()).into_iter().map(|s| (s.row.key(), s)).collect()
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
        let Some(id) = self.row.supervisor_key() else { return Ok(None) };
        self.set.supervisors.get(ctx, id).await
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    /// Opaque; exchange it with `refreshSession` before the access token expires.
    pub refresh_token: String,
    pub expires_at: DateTime,
    pub staff: Staff,
}

#[derive(InputObject)]
pub struct CreateStaffInput {
    /// Makes the create safe to retry: the same key returns the first result (kept at least 48 hours).
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
