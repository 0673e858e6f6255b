//! Typed setup through the public API, shared by every test file: a client to register, an
//! admission, a move, a discharge, a directory lookup. Each sends one of the documents in
//! `documents.rs` and reads the answer into a struct, so a test names what it sets up
//! rather than spelling JSON paths.
//!
//! The helpers work against anything that answers GraphQL (`Api`): the in-process router
//! (`TestApp`) or a server listening on a port (the socket tests).

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    documents::{ADMIT, CHANGE_STAGE, DISCHARGE, REGISTER},
    helpers::TestApp,
};

/// Anything that runs a GraphQL operation which must succeed, returning its `data`.
pub trait Api {
    fn gql_ok(&self, token: Option<&str>, query: &str, variables: Value) -> impl Future<Output = Value>;
}

impl Api for TestApp {
    fn gql_ok(&self, token: Option<&str>, query: &str, variables: Value) -> impl Future<Output = Value> {
        TestApp::gql_ok(self, token, query, variables)
    }
}

fn read<T: for<'de> Deserialize<'de>>(data: &Value, field: &str) -> T {
    serde_json::from_value(data[field].clone()).unwrap_or_else(|e| panic!("{field} ({e}): {data}"))
}

/// A client to register: a name, with defaults for everything else a test rarely cares about.
#[derive(Clone, Debug)]
pub struct NewClient {
    input: Value,
}

/// A client born 1984-06-01, using alcohol, speaking English, gender not given. Test
/// caseloads share birthdays by design, so the duplicate check is confirmed away here; the
/// tests of that check send their own documents (`finding_clients.rs`).
pub fn client(first: &str, last: &str) -> NewClient {
    NewClient {
        input: json!({ "firstName": first, "lastName": last, "dateOfBirth": "1984-06-01",
            "substances": ["ALCOHOL"], "language": "en", "confirmNotDuplicate": true }),
    }
}

impl NewClient {
    pub fn named(mut self, first: &str) -> Self {
        self.input["firstName"] = json!(first);
        self
    }

    pub fn born(mut self, date: &str) -> Self {
        self.input["dateOfBirth"] = json!(date);
        self
    }

    pub fn using(mut self, substances: &[&str]) -> Self {
        self.input["substances"] = json!(substances);
        self
    }

    pub fn language(mut self, language: &str) -> Self {
        self.input["language"] = json!(language);
        self
    }

    pub fn gender(mut self, gender: &str) -> Self {
        self.input["gender"] = json!(gender);
        self
    }

    /// Registers the client; returns its id.
    pub async fn register(self, api: &impl Api, token: &str) -> String {
        let data = api.gql_ok(Some(token), REGISTER, json!({ "i": self.input })).await;
        read::<Registered>(&data, "registerClient").id
    }
}

#[derive(Deserialize)]
struct Registered {
    id: String,
}

/// An episode as the mutations that move it answer.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Episode {
    pub id: String,
    pub version: i64,
    pub stage: String,
}

/// An admission to make: the client and stage, with the level and time optional.
#[derive(Clone, Debug)]
pub struct Admission {
    input: Value,
}

pub fn admission(client: &str, stage: &str) -> Admission {
    Admission { input: json!({ "clientId": client, "stage": stage }) }
}

impl Admission {
    pub fn level(mut self, level: &str) -> Self {
        self.input["levelOfCare"] = json!(level);
        self
    }

    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.input["admittedAt"] = json!(at.to_rfc3339());
        self
    }

    /// Admits the client; returns the new episode.
    pub async fn admit(self, api: &impl Api, token: &str) -> Episode {
        let data = api.gql_ok(Some(token), ADMIT, json!({ "i": self.input })).await;
        read(&data, "admitClient")
    }
}

/// Moves the episode (at `version`) to the stage and level; returns it as moved.
pub async fn change_stage(
    api: &impl Api,
    token: &str,
    episode: &str,
    version: i64,
    stage: &str,
    level: Option<&str>,
) -> Episode {
    let input = json!({ "episodeId": episode, "expectedVersion": version, "stage": stage, "levelOfCare": level });
    let moved: Episode = read(&api.gql_ok(Some(token), CHANGE_STAGE, json!({ "i": input })).await, "changeStage");
    assert_eq!(moved.stage, stage, "the episode moved");
    moved
}

/// Discharges the episode (at `version`) for the reason; the episode is closed afterwards.
pub async fn discharge(api: &impl Api, token: &str, episode: &str, version: i64, reason: &str) {
    let input = json!({ "episodeId": episode, "expectedVersion": version, "reason": reason });
    let data = api.gql_ok(Some(token), DISCHARGE, json!({ "i": input })).await;
    assert_eq!(data["dischargeClient"]["open"], false, "the episode closed: {data}");
}

const ATTEMPT: &str = "mutation($i: RecordFollowUpAttemptInput!) { recordFollowUpAttempt(input: $i) { id version } }";

/// Logs an unanswered call on each of the days `days_ago` before `now` (the service clock);
/// returns the contact's version after the last one.
pub async fn unanswered_calls(
    api: &impl Api,
    token: &str,
    follow_up: &str,
    now: DateTime<Utc>,
    days_ago: &[i64],
) -> i64 {
    let mut version = 0;
    for days in days_ago {
        let at = now - chrono::Duration::days(*days);
        let input = json!({ "followUpId": follow_up, "attemptedAt": at.to_rfc3339(), "method": "PHONE",
            "result": "NO_ANSWER" });
        let data = api.gql_ok(Some(token), ATTEMPT, json!({ "i": input })).await;
        version = data["recordFollowUpAttempt"]["version"].as_i64().expect("a version");
    }
    version
}

/// The id of a seeded support group, by abbreviation ("AA", "NA", "SMART", …).
pub async fn group_id(api: &impl Api, token: &str, abbreviation: &str) -> String {
    let data = api.gql_ok(Some(token), "{ supportGroups { id abbreviation } }", json!({})).await;
    let groups: Vec<Group> = read(&data, "supportGroups");
    groups.into_iter().find(|g| g.abbreviation == abbreviation).map(|g| g.id).expect("a seeded group")
}

/// Every support group as (abbreviation, id), in directory order.
pub async fn groups(api: &impl Api, token: &str) -> Vec<(String, String)> {
    let data = api.gql_ok(Some(token), "{ supportGroups { id abbreviation } }", json!({})).await;
    read::<Vec<Group>>(&data, "supportGroups").into_iter().map(|g| (g.abbreviation, g.id)).collect()
}

#[derive(Deserialize)]
struct Group {
    id: String,
    abbreviation: String,
}

/// A consent with every 42 CFR § 2.31 element, to `recipient` for care coordination and
/// attendance verification, expiring on `expires_on` (a `YYYY-MM-DD` date): the input of
/// `recordConsent`. Tests of a missing element take one out.
pub fn consent_input(client: &str, recipient: &str, categories: &[&str], expires_on: &str) -> Value {
    json!({ "clientId": client, "recipient": recipient, "purpose": "coordinate continuing care",
            "purposes": ["CARE_COORDINATION", "ATTENDANCE_VERIFICATION"],
            "categories": categories, "expiry": "ON_DATE", "expiresOn": expires_on,
            "signerName": "Rosa Villanueva", "signerCapacity": "PATIENT", "signatureMethod": "WET_SIGNATURE_ON_FILE",
            "rightToRevokeExplained": true })
}

/// A disclosure to `recipient` for care coordination: the input of `discloseToRecipient`.
pub fn disclose_input(client: &str, recipient: &str, categories: &[&str]) -> Value {
    json!({ "clientId": client, "recipient": recipient, "purposeCode": "CARE_COORDINATION",
            "purpose": "coordinate continuing care", "categories": categories,
            "content": "Attended four meetings in the last two weeks." })
}
