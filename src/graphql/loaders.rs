//! DataLoaders, one per nested relation, keyed by typed ids. A fresh set per request, so
//! nothing is cached across callers. Rows reached through a loader hang off an object the
//! caller was already allowed to see, so loaders apply no scope of their own.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    entity::{attendance, client, episode, follow_up, meeting, referral, staff, stage_change, support_group},
    error::AppError,
    state::AppState,
};

/// Loader errors must be `Clone`; the cause is logged where it is turned into a response.
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

fn by_id<T>(rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    rows.into_iter().map(|r| (id(&r), r)).collect()
}

fn grouped<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut map: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

/// Declares a loader struct over the database connection.
macro_rules! loader {
    ($name:ident, $value:ty, |$db:ident, $keys:ident| $body:expr) => {
        pub struct $name(DatabaseConnection);

        impl Loader<Uuid> for $name {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, $keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                let $db = &self.0;
                Ok($body)
            }
        }
    };
}

loader!(StaffLoader, staff::Model, |db, keys| by_id(
    staff::Entity::find().filter(staff::Column::Id.is_in(keys.iter().copied())).all(db).await?,
    |r| r.id
));

loader!(ClientLoader, client::Model, |db, keys| by_id(
    client::Entity::find().filter(client::Column::Id.is_in(keys.iter().copied())).all(db).await?,
    |r| r.id
));

loader!(EpisodesByClient, Vec<episode::Model>, |db, keys| grouped(
    episode::Entity::find()
        .filter(episode::Column::ClientId.is_in(keys.iter().copied()))
        .order_by_desc(episode::Column::Id)
        .all(db)
        .await?,
    |r| r.client_id
));

loader!(StageHistoryByEpisode, Vec<stage_change::Model>, |db, keys| grouped(
    stage_change::Entity::find()
        .filter(stage_change::Column::EpisodeId.is_in(keys.iter().copied()))
        .order_by_asc(stage_change::Column::Id)
        .all(db)
        .await?,
    |r| r.episode_id
));

loader!(ReferralsByClient, Vec<referral::Model>, |db, keys| grouped(
    referral::Entity::find()
        .filter(referral::Column::ClientId.is_in(keys.iter().copied()))
        .order_by_asc(referral::Column::Id)
        .all(db)
        .await?,
    |r| r.client_id
));

loader!(AttendanceByReferral, Vec<attendance::Model>, |db, keys| grouped(
    attendance::Entity::find()
        .filter(attendance::Column::ReferralId.is_in(keys.iter().copied()))
        .order_by_asc(attendance::Column::AttendedOn)
        .order_by_asc(attendance::Column::Id)
        .all(db)
        .await?,
    |r| r.referral_id
));

loader!(FollowUpsByClient, Vec<follow_up::Model>, |db, keys| grouped(
    follow_up::Entity::find()
        .filter(follow_up::Column::ClientId.is_in(keys.iter().copied()))
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
        .all(db)
        .await?,
    |r| r.client_id
));

loader!(SupportGroupLoader, support_group::Model, |db, keys| by_id(
    support_group::Entity::find().filter(support_group::Column::Id.is_in(keys.iter().copied())).all(db).await?,
    |r| r.id
));

loader!(MeetingLoader, meeting::Model, |db, keys| by_id(
    meeting::Entity::find().filter(meeting::Column::Id.is_in(keys.iter().copied())).all(db).await?,
    |r| r.id
));

loader!(MeetingsByGroup, Vec<meeting::Model>, |db, keys| grouped(
    meeting::Entity::find()
        .filter(meeting::Column::SupportGroupId.is_in(keys.iter().copied()))
        .order_by_asc(meeting::Column::DayOfWeek)
        .order_by_asc(meeting::Column::StartTime)
        .all(db)
        .await?,
    |r| r.support_group_id
));

/// Every loader of one request.
#[derive(Clone)]
pub struct Loaders(Arc<LoaderSet>);

pub struct LoaderSet {
    pub staff: DataLoader<StaffLoader>,
    pub client: DataLoader<ClientLoader>,
    pub episodes: DataLoader<EpisodesByClient>,
    pub stage_history: DataLoader<StageHistoryByEpisode>,
    pub referrals: DataLoader<ReferralsByClient>,
    pub attendance: DataLoader<AttendanceByReferral>,
    pub follow_ups: DataLoader<FollowUpsByClient>,
    pub support_group: DataLoader<SupportGroupLoader>,
    pub meeting: DataLoader<MeetingLoader>,
    pub meetings: DataLoader<MeetingsByGroup>,
}

impl std::ops::Deref for Loaders {
    type Target = LoaderSet;

    fn deref(&self) -> &LoaderSet {
        &self.0
    }
}

impl Loaders {
    pub fn new(state: &AppState) -> Self {
        let db = || state.db.clone();
        Loaders(Arc::new(LoaderSet {
            staff: DataLoader::new(StaffLoader(db()), tokio::spawn),
            client: DataLoader::new(ClientLoader(db()), tokio::spawn),
            episodes: DataLoader::new(EpisodesByClient(db()), tokio::spawn),
            stage_history: DataLoader::new(StageHistoryByEpisode(db()), tokio::spawn),
            referrals: DataLoader::new(ReferralsByClient(db()), tokio::spawn),
            attendance: DataLoader::new(AttendanceByReferral(db()), tokio::spawn),
            follow_ups: DataLoader::new(FollowUpsByClient(db()), tokio::spawn),
            support_group: DataLoader::new(SupportGroupLoader(db()), tokio::spawn),
            meeting: DataLoader::new(MeetingLoader(db()), tokio::spawn),
            meetings: DataLoader::new(MeetingsByGroup(db()), tokio::spawn),
        }))
    }
}

impl From<LoadError> for async_graphql::Error {
    fn from(err: LoadError) -> Self {
        AppError::from(err).into()
    }
}
