//! Typed row ids. `Id<client::Entity>` is a client's id and nothing else: the batched
//! loaders take and return them, so passing referral ids where client ids are expected, or
//! looking a client up in a map of meetings, does not compile. Each model names its own id
//! and its foreign keys once, here, as typed accessors (`referral.client_key()`); the rest of
//! the code never wraps a bare `Uuid` itself.
//!
//! ```
//! # async fn load(db: &sea_orm::DatabaseConnection, referral: &continuum_core::entity::referral::Model) {
//! // The client a referral points at, by its typed key.
//! let _ = continuum_core::service::loaders::clients(db, &[referral.client_key()]).await;
//! # }
//! ```
//!
//! ```compile_fail
//! # async fn load(db: &sea_orm::DatabaseConnection, referral: &continuum_core::entity::referral::Model) {
//! // The referral's own id where a client's is expected does not compile.
//! let _ = continuum_core::service::loaders::clients(db, &[referral.key()]).await;
//! # }
//! ```

use std::{fmt, hash::Hash, marker::PhantomData};

use uuid::Uuid;

use super::{
    attendance, audit_event, client, client_locator, consent, disclosure, emergency_grant, episode, follow_up,
    follow_up_attempt, meeting, referral, staff, stage_change, support_group,
};

/// The id of a row of `E`'s table.
pub struct Id<E>(Uuid, PhantomData<fn() -> E>);

impl<E> Id<E> {
    const fn new(id: Uuid) -> Self {
        Id(id, PhantomData)
    }

    pub fn uuid(self) -> Uuid {
        self.0
    }
}

// By hand: derives would ask the same of `E`, which entities are not.
impl<E> Clone for Id<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for Id<E> {}
impl<E> PartialEq for Id<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<E> Eq for Id<E> {}
impl<E> Hash for Id<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}
impl<E> fmt::Debug for Id<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
impl<E> fmt::Display for Id<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// `fn name(&self) -> Id<Table>` for a column of the model, or `Option<Id<Table>>` for a
/// nullable one.
macro_rules! keys {
    ($model:ty { $($name:ident: $column:ident -> $table:ident),* $(,)? }) => {
        impl $model {
            $(pub fn $name(&self) -> Id<$table::Entity> {
                Id::new(self.$column)
            })*
        }
    };
}

macro_rules! optional_keys {
    ($model:ty { $($name:ident: $column:ident -> $table:ident),* $(,)? }) => {
        impl $model {
            $(pub fn $name(&self) -> Option<Id<$table::Entity>> {
                self.$column.map(Id::new)
            })*
        }
    };
}

keys!(client::Model { key: id -> client, counselor_key: primary_counselor_id -> staff });
keys!(episode::Model { key: id -> episode, client_key: client_id -> client });
optional_keys!(episode::Model { previous_key: previous_episode_id -> episode });
keys!(stage_change::Model { episode_key: episode_id -> episode, by_key: by_staff_id -> staff });
keys!(referral::Model {
    key: id -> referral,
    client_key: client_id -> client,
    group_key: support_group_id -> support_group,
    referred_by_key: referred_by -> staff,
});
optional_keys!(referral::Model { meeting_key: meeting_id -> meeting });
keys!(attendance::Model { referral_key: referral_id -> referral, recorded_by_key: recorded_by -> staff });
keys!(consent::Model { key: id -> consent, client_key: client_id -> client });
keys!(disclosure::Model {
    client_key: client_id -> client,
    consent_key: consent_id -> consent,
    disclosed_by_key: disclosed_by -> staff,
});
keys!(emergency_grant::Model { client_key: client_id -> client, staff_key: staff_id -> staff });
optional_keys!(emergency_grant::Model { reviewed_by_key: reviewed_by -> staff });
optional_keys!(audit_event::Model { staff_key: staff_id -> staff });
keys!(follow_up::Model { key: id -> follow_up, client_key: client_id -> client });
optional_keys!(follow_up::Model {
    recorded_by_key: recorded_by -> staff,
    episode_key: episode_id -> episode,
});
keys!(follow_up_attempt::Model { follow_up_key: follow_up_id -> follow_up, recorded_by_key: recorded_by -> staff });
keys!(meeting::Model { key: id -> meeting, group_key: support_group_id -> support_group });
keys!(support_group::Model { key: id -> support_group });
keys!(client_locator::Model { client_key: client_id -> client });
keys!(staff::Model { key: id -> staff });
optional_keys!(staff::Model { supervisor_key: supervisor_id -> staff });

impl<E> Id<E> {
    /// An id that did not come from a typed model (a GraphQL argument, a path, a column of an
    /// aggregate query), named as `E`'s. The caller vouches for the table, so this is called
    /// only at those edges; everywhere else ids come from the models' accessors.
    pub fn from_input(id: Uuid) -> Self {
        Id::new(id)
    }
}
