//! DataLoaders, one per nested relation, keyed by typed ids. A fresh set per request, so
//! nothing is cached across callers.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{entity::staff, error::AppError, state::AppState};

/// Loader errors must be `Clone`; the cause is logged where it happens.
#[derive(Debug, Clone)]
pub struct LoadError(pub Arc<sea_orm::DbErr>);

impl From<LoadError> for AppError {
    fn from(err: LoadError) -> Self {
        AppError::internal(anyhow::anyhow!("loader: {}", err.0))
    }
}

impl From<sea_orm::DbErr> for LoadError {
    fn from(err: sea_orm::DbErr) -> Self {
        LoadError(Arc::new(err))
    }
}

#[derive(Clone)]
pub struct Loaders {
    pub staff: Arc<DataLoader<StaffLoader>>,
}

impl Loaders {
    pub fn new(state: &AppState) -> Self {
        Loaders { staff: Arc::new(DataLoader::new(StaffLoader(state.clone()), tokio::spawn)) }
    }
}

pub struct StaffLoader(AppState);

impl Loader<Uuid> for StaffLoader {
    type Value = staff::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = staff::Entity::find().filter(staff::Column::Id.is_in(keys.iter().copied())).all(&self.0.db).await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}
