//! The number of SQL statements a request takes depends on the shape of the query alone,
//! never on the size of the page: every nested relation loads once per sibling set, and
//! every paged list in a fixed number of statements. Each field is measured on its own,
//! for a page of 2 and a page of 6 records that all have data behind the field.

use continuum::domain::Role;
use serde_json::json;

use crate::helpers::*;

/// Client fields with their selection; `{week}` is this week's Monday.
const CLIENT_FIELDS: &[(&str, &str)] = &[
    ("primaryCounselor", "primaryCounselor { name }"),
    ("currentEpisode", "currentEpisode { stage }"),
    ("episodes", "episodes { stage }"),
    ("episodes.stageHistory", "episodes { stageHistory { to by { name } } }"),
    ("episodes.client", "episodes { client { id } }"),
    ("episodes.previousEpisode", "episodes { previousEpisode { id } readmittedWithin30Days }"),
    ("referrals", "referrals { status }"),
    ("referrals.supportGroup", "referrals { supportGroup { name } }"),
    ("referrals.supportGroup.meetings", "referrals { supportGroup { meetings { name } } }"),
    ("referrals.meeting", "referrals { meeting { name } }"),
    ("referrals.attendance", "referrals { attendance { attendedOn recordedBy { name } } }"),
    ("referrals.attendanceCount", "referrals { attendanceCount }"),
    ("referrals.referredBy", "referrals { referredBy { name } }"),
    ("followUps", "followUps { dueOn }"),
    ("followUps.client", "followUps { client { id } }"),
    ("followUps.attempts", "followUps { attempts { result recordedBy { name } } }"),
    ("nextFollowUp", "nextFollowUp { dueOn }"),
    ("consents", "consents { recipient }"),
    ("aftercarePlan", "aftercarePlan { notes }"),
    ("locator", "locator { phones { number } }"),
    ("meetingSchedule", "meetingSchedule(weekOf: \"{week}\") { date }"),
];

/// Top-level paged lists: the query with `{first}` for the page size.
const LISTS: &[(&str, &str)] = &[
    ("clients", "{ clients(first: {first}) { totalCount edges { node { id } } } }"),
    ("followUps", "{ followUps(first: {first}) { totalCount edges { node { dueOn client { id } } } } }"),
    ("worklist", "{ worklist(first: {first}) { totalCount edges { node { kind client { id } } } } }"),
    ("staffMembers", "{ staffMembers(first: {first}) { edges { node { name supervisor { name } } } } }"),
];

struct Caseload {
    app: TestApp,
    email: String,
    week: String,
}

/// A counselor with six clients, each admitted, referred to a group with a meeting (one
/// attendance), in aftercare with follow-ups (one with an outreach attempt), with a plan
/// and a consent, then discharged and readmitted.
async fn caseload() -> Caseload {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let email = "counts@continuum.test".to_owned();
    app.create_staff(&email, "Count Counselor", Role::Counselor, None).await;
    // Six more staff, so that the staff list fills a page of 6.
    for i in 0..6 {
        app.create_staff(&format!("extra{i}@continuum.test"), &format!("Extra {i}"), Role::Counselor, None).await;
    }
    let me = app.session(&email, PASSWORD).await;
    let token = Some(me.access.as_str());
    let groups = app.gql_ok(token, "{ supportGroups { id } }", json!({})).await;
    let group = groups["supportGroups"][0]["id"].as_str().expect("a group").to_owned();
    let meeting = app
        .gql_ok(
            Some(&admin.access),
            "mutation($i: MeetingInput!) { createMeeting(input: $i) { id } }",
            json!({ "i": { "supportGroupId": group, "name": "Wednesday", "format": "ONLINE", "dayOfWeek": 3,
                           "startTime": "19:00", "timeZone": "UTC", "url": "https://meet.example/w", "language": "en" } }),
        )
        .await["createMeeting"]["id"]
        .clone();
    let today = app.state.today();
    for n in 0..6 {
        let input = json!({ "firstName": format!("Client{n}"), "lastName": "Counted", "dateOfBirth": "1980-01-01", "substances": ["OPIOIDS"], "confirmNotDuplicate": true });
        let client = app
            .gql_ok(
                token,
                "mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await["registerClient"]["id"]
            .clone();
        let episode = app
            .gql_ok(
                token,
                "mutation($c: ID!) { admitClient(input: { clientId: $c, stage: REHAB, levelOfCare: L3_5 }) { id } }",
                json!({ "c": client }),
            )
            .await["admitClient"]["id"]
            .clone();
        let referral = app
            .gql_ok(
                token,
                "mutation($i: ReferToSupportGroupInput!) { referToSupportGroup(input: $i) { id } }",
                json!({ "i": { "clientId": client, "supportGroupId": group, "meetingId": meeting } }),
            )
            .await["referToSupportGroup"]["id"]
            .clone();
        app.gql_ok(
            token,
            "mutation($i: RecordAttendanceInput!) { recordAttendance(input: $i) { id } }",
            json!({ "i": { "referralId": referral, "attendedOn": today.to_string() } }),
        )
        .await;
        app.gql_ok(
            token,
            "mutation($i: UpdateAftercarePlanInput!) { updateAftercarePlan(input: $i) { version } }",
            json!({ "i": { "clientId": client, "expectedVersion": 0, "notes": "plan", "goals": [] } }),
        )
        .await;
        app.gql_ok(
            token,
            "mutation($e: ID!) { changeStage(input: { episodeId: $e, expectedVersion: 1, stage: AFTERCARE }) { id } }",
            json!({ "e": episode }),
        )
        .await;
        app.gql_ok(
            token,
            "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { id } }",
            json!({ "i": crate::fixtures::consent_input(client.as_str().unwrap_or_default(), "Dr. Lee", &["ATTENDANCE"],
                &(today + chrono::Duration::days(90)).to_string()) }),
        )
        .await;
        let contacts =
            app.gql_ok(token, "query($c: ID!) { client(id: $c) { followUps { id } } }", json!({ "c": client })).await;
        app.gql_ok(
            token,
            "mutation($f: ID!) { recordFollowUpAttempt(input: { followUpId: $f, method: PHONE, result: NO_ANSWER }) { id } }",
            json!({ "f": contacts["client"]["followUps"][0]["id"] }),
        )
        .await;
        app.gql_ok(
            token,
            "mutation($e: ID!) { dischargeClient(input: { episodeId: $e, expectedVersion: 2, reason: COMPLETED }) { id } }",
            json!({ "e": episode }),
        )
        .await;
        app.gql_ok(
            token,
            "mutation($c: ID!) { admitClient(input: { clientId: $c, stage: REHAB, levelOfCare: L1 }) { id } }",
            json!({ "c": client }),
        )
        .await;
    }
    let week = continuum::domain::aftercare::week_start(today).to_string();
    Caseload { app, email, week }
}

impl Caseload {
    /// Statements `query` takes, in a fresh session (so no "last used" touch is counted).
    async fn statements(&self, query: &str) -> u64 {
        let session = self.app.session(&self.email, PASSWORD).await;
        let before = self.app.statements.get();
        self.app.gql_ok(Some(&session.access), query, json!({})).await;
        self.app.statements.get() - before
    }
}

#[tokio::test]
async fn each_nested_client_field_costs_the_same_statements_for_a_page_of_2_as_of_6() {
    let caseload = caseload().await;
    let mut problems = Vec::new();
    for (field, selection) in CLIENT_FIELDS {
        let selection = selection.replace("{week}", &caseload.week);
        let query = |n: usize| format!("{{ clients(first: {n}) {{ edges {{ node {{ id {selection} }} }} }} }}");
        let (two, six) = (caseload.statements(&query(2)).await, caseload.statements(&query(6)).await);
        println!("Client.{field}: {two} statements for 2 clients, {six} for 6");
        if two != six {
            problems.push(format!("Client.{field}: {two} statements for 2 clients, {six} for 6"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn each_paged_list_costs_the_same_statements_for_a_page_of_2_as_of_6() {
    let caseload = caseload().await;
    let mut problems = Vec::new();
    for (field, query) in LISTS {
        let query = |n: usize| query.replace("{first}", &n.to_string());
        let (two, six) = (caseload.statements(&query(2)).await, caseload.statements(&query(6)).await);
        println!("Query.{field}: {two} statements for a page of 2, {six} for 6");
        if two != six {
            problems.push(format!("Query.{field}: {two} statements for a page of 2, {six} for 6"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

impl Caseload {
    /// Statements `query` takes for another staff member, in a fresh session.
    async fn statements_as(&self, (email, password): (&str, &str), query: &str) -> u64 {
        let session = self.app.session(email, password).await;
        let before = self.app.statements.get();
        self.app.gql_ok(Some(&session.access), query, json!({})).await;
        self.app.statements.get() - before
    }
}

/// The objects beside ids (a disclosure's client, consent and discloser; a grant's holder,
/// client and reviewer; an audit event's staff member) load once per list too.
#[tokio::test]
async fn objects_beside_ids_cost_the_same_statements_for_2_records_as_for_6() {
    let caseload = caseload().await;
    let app = &caseload.app;
    let me = app.session(&caseload.email, PASSWORD).await;
    let clients = app.gql_ok(Some(&me.access), "{ clients(first: 6) { nodes { id } } }", json!({})).await;
    let clients: Vec<String> = clients["clients"]["nodes"]
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(clients.len(), 6);
    let disclose = "mutation($i: DiscloseInput!) { discloseToRecipient(input: $i) { id } }";
    for (client, times) in [(&clients[0], 2), (&clients[1], 6)] {
        for _ in 0..times {
            let input = crate::fixtures::disclose_input(client, "Dr. Lee", &["ATTENDANCE"]);
            app.gql_ok(Some(&me.access), disclose, json!({ "i": input })).await;
        }
    }
    let disclosures = |c: &str| {
        format!("{{ disclosures(clientId: \"{c}\") {{ client {{ id }} consent {{ id }} disclosedBy {{ name }} }} }}")
    };
    let (two, six) =
        (caseload.statements(&disclosures(&clients[0])).await, caseload.statements(&disclosures(&clients[1])).await);
    println!("disclosures: {two} statements for 2, {six} for 6");
    assert_eq!(two, six, "disclosures: {two} statements for 2, {six} for 6");

    // Two counselors outside the caseload break the glass on 2 and on 6 of its clients.
    let request = "mutation($i: RequestEmergencyAccessInput!) { requestEmergencyAccess(input: $i) { id } }";
    for (email, count) in [("eve@counts.test", 2), ("fay@counts.test", 6)] {
        app.create_staff(email, email, Role::Counselor, None).await;
        let session = app.session(email, PASSWORD).await;
        for client in &clients[..count] {
            let input = json!({ "clientId": client, "reason": "client in crisis; counselor unreachable" });
            app.gql_ok(Some(&session.access), request, json!({ "i": input })).await;
        }
    }
    let grants = "{ emergencyAccessGrants { staff { name } client { firstName } reviewedBy { name } } }";
    let (two, six) = (
        caseload.statements_as(("eve@counts.test", PASSWORD), grants).await,
        caseload.statements_as(("fay@counts.test", PASSWORD), grants).await,
    );
    println!("emergencyAccessGrants: {two} statements for 2, {six} for 6");
    assert_eq!(two, six, "emergencyAccessGrants: {two} statements for 2, {six} for 6");

    let audit = |n: usize| format!("{{ auditEvents(first: {n}) {{ nodes {{ staff {{ name }} }} }} }}");
    let (two, six) = (
        caseload.statements_as((ADMIN_EMAIL, ADMIN_PASSWORD), &audit(2)).await,
        caseload.statements_as((ADMIN_EMAIL, ADMIN_PASSWORD), &audit(6)).await,
    );
    println!("auditEvents.staff: {two} statements for 2, {six} for 6");
    assert_eq!(two, six, "auditEvents.staff: {two} statements for 2, {six} for 6");
}
