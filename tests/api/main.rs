//! One test binary for the whole public surface: GraphQL over the real router, against a
//! freshly migrated database per test (SQLite by default, PostgreSQL when
//! `TEST_DATABASE_URL` names a server).

mod helpers;

mod access_matrix;
mod aftercare;
mod architecture;
mod audit;
mod auth;
mod clinical_rules;
mod clinical_story;
mod clinical_visibility;
mod conventions;
mod demo;
mod directory_upkeep;
mod documents;
mod emergency;
mod episode_of_care;
mod example_client;
mod finding_clients;
mod fixtures;
mod funder_measures;
mod fuzz;
mod graphiql;
mod guards;
mod health;
mod hostile;
mod locator;
mod portal;
mod printing;
mod privacy;
mod recommendations;
mod reliability;
mod reports;
mod retries;
mod schema;
mod security;
mod sessions;
mod shutdown;
mod staff;
mod statements;
mod subscriptions;
mod worklist;
