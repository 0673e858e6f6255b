//! Nested fields load per *sibling set*: when a resolver returns a list, every item shares
//! one set, and the first item to need a relation loads it for all siblings in one
//! statement; the others await the same result. Unlike a timer-based DataLoader, the
//! number of statements is fixed by the shape of the query alone — one per relation and
//! level, whatever the page size and however busy the machine.
//!
//! The loads themselves are the service layer's (`service::loaders`): this module only
//! decides when they run. Maps are keyed by typed ids (`entity::Id<Table>`), so a sibling
//! set looks a client up only among clients.

use std::{collections::HashMap, future::Future, hash::Hash, sync::Arc};

use tokio::sync::OnceCell;

use crate::error::AppResult;

/// One relation, loaded at most once for a whole sibling set: rows of it by key `K`.
pub struct Batch<K, V>(OnceCell<Arc<HashMap<K, V>>>);

impl<K, V> Default for Batch<K, V> {
    fn default() -> Self {
        Batch(OnceCell::new())
    }
}

impl<K: Send + Sync, V: Send + Sync> Batch<K, V> {
    /// The loaded map, loading it with `load` if no sibling has yet. The load runs boxed:
    /// a database query's future is large, and every field resolver of the object embeds
    /// its callees' futures, which async-graphql moves into a box of their own per field.
    pub async fn get<F, Fut>(&self, load: F) -> AppResult<Arc<HashMap<K, V>>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<HashMap<K, V>>>,
    {
        self.0.get_or_try_init(|| async { Box::pin(load()).await.map(Arc::new) }).await.cloned()
    }
}

/// One relation per argument value (`meetingSchedule(weekOf:)`): siblings asking with the
/// same argument share one load.
pub struct BatchBy<A, K, V>(std::sync::Mutex<HashMap<A, Arc<Batch<K, V>>>>);

impl<A, K, V> Default for BatchBy<A, K, V> {
    fn default() -> Self {
        BatchBy(std::sync::Mutex::new(HashMap::new()))
    }
}

impl<A: Hash + Eq, K, V> BatchBy<A, K, V> {
    pub fn for_key(&self, key: A) -> Arc<Batch<K, V>> {
        match self.0.lock() {
            Ok(mut map) => map.entry(key).or_insert_with(|| Arc::new(Batch::default())).clone(),
            // A poisoned lock only costs the sharing.
            Err(_) => Arc::new(Batch::default()),
        }
    }
}

/// The distinct ids of a set, in first-seen order.
pub fn distinct<K: Copy + Eq + Hash>(ids: impl IntoIterator<Item = K>) -> Arc<[K]> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect::<Vec<_>>().into()
}

pub use crate::service::loaders::{
    attempts_by_follow_up, attendance_by_referral, attendance_counts, clients, consents, episodes, episodes_by_client,
    follow_ups_by_client, history_by_episode, meetings, meetings_by_group, referrals_by_client, required, staff,
    support_groups, visible_clients,
};

/// Wraps grouped rows so that all of them, across every parent, share one sibling set.
pub fn regroup<K: Eq + Hash, M, T>(
    groups: HashMap<K, Vec<M>>,
    list: impl FnOnce(Vec<M>) -> Vec<T>,
    parent_of: impl Fn(&T) -> K,
) -> HashMap<K, Vec<T>> {
    let rows: Vec<M> = groups.into_values().flatten().collect();
    let mut out: HashMap<K, Vec<T>> = HashMap::new();
    for item in list(rows) {
        out.entry(parent_of(&item)).or_default().push(item);
    }
    out
}
