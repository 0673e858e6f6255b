//! The database schema of Continuum: migrations are the only way it is made, for the
//! server, the tests and `continuum migrate` alike. This crate does not depend on the app;
//! it uses the domain rules where a migration computes a derived value (the name key).

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_staff_and_sessions;
mod m20261127_000002_clinical_core;
mod m20261127_000003_aftercare_plans;
mod m20261127_000004_privacy;
mod m20261127_000005_idempotency;
mod m20261127_000006_query_indexes;
mod m20261127_000007_audit_chains;
mod m20261201_000008_episode_of_care;
mod m20261201_000009_gpra_interviews;
mod m20261201_000010_teds_intake;
mod m20261201_000011_plan_client_note;
mod m20261201_000012_client_name_key;
mod m20261201_000013_client_locators;
mod m20261201_000014_directory_upkeep;
mod m20261201_000015_consent_elements;
mod m20261201_000016_keyed_audit;

pub use m20261127_000007_audit_chains::{AUDIT_CHAINS, genesis};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_staff_and_sessions::Migration),
            Box::new(m20261127_000002_clinical_core::Migration),
            Box::new(m20261127_000003_aftercare_plans::Migration),
            Box::new(m20261127_000004_privacy::Migration),
            Box::new(m20261127_000005_idempotency::Migration),
            Box::new(m20261127_000006_query_indexes::Migration),
            Box::new(m20261127_000007_audit_chains::Migration),
            Box::new(m20261201_000008_episode_of_care::Migration),
            Box::new(m20261201_000009_gpra_interviews::Migration),
            Box::new(m20261201_000010_teds_intake::Migration),
            Box::new(m20261201_000011_plan_client_note::Migration),
            Box::new(m20261201_000012_client_name_key::Migration),
            Box::new(m20261201_000013_client_locators::Migration),
            Box::new(m20261201_000014_directory_upkeep::Migration),
            Box::new(m20261201_000015_consent_elements::Migration),
            Box::new(m20261201_000016_keyed_audit::Migration),
        ]
    }
}
