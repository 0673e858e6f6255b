//! Every kind of write retries when it loses a race. With fault injection on, the next
//! write transactions to reach their commit are made to lose (the change and its audit
//! events written, then rolled back as a serialization failure would be); each mutation
//! must still succeed once, leave exactly one change and one `ALLOWED` event, and have
//! used up the injected losses, which shows that it ran through the one write path.

use continuum::domain::Role;
use serde_json::{Value, json};

use crate::fixtures::{consent_input, disclose_input};
use crate::helpers::*;

/// Injected losses per write: fewer than the five attempts the write path makes.
const LOSSES: u32 = 2;

struct Run<'a> {
    app: &'a TestApp,
    admin: String,
}

impl Run<'_> {
    async fn allowed(&self, action: &str) -> usize {
        let data = self
            .app
            .gql_ok(
                Some(&self.admin),
                "{ auditEvents(filter: { outcome: ALLOWED }, first: 100) { nodes { action } } }",
                json!({}),
            )
            .await;
        data["auditEvents"]["nodes"].as_array().map_or(0, |n| n.iter().filter(|e| e["action"] == action).count())
    }

    /// Runs `query` with `LOSSES` injected losses; it must succeed and be recorded once.
    async fn write(&self, action: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
        let before = self.allowed(action).await;
        let data = self.unaudited(action, token, query, variables).await;
        assert_eq!(self.allowed(action).await, before + 1, "{action} is recorded once, not once per attempt");
        data
    }

    /// The same for a write that leaves no event of its own (a token rotation, the
    /// directory).
    async fn unaudited(&self, action: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.app.state.contention.inject(LOSSES);
        let response = self.app.gql(token, query, variables).await;
        let pending = self.app.state.contention.pending();
        self.app.state.contention.inject(0);
        assert!(response["errors"].is_null(), "{action} succeeds after {LOSSES} lost races: {response}");
        assert_eq!(pending, 0, "{action} went through the write path and retried");
        response["data"].clone()
    }
}

fn id(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn every_kind_of_write_retries_when_it_loses_a_race() {
    let app = TestApp::spawn_with(&[("CONTINUUM_FAULT_INJECTION", "1")]).await;
    let admin = app.admin().await;
    let run = Run { app: &app, admin: admin.access.clone() };
    let today = app.state.today();
    let day = |offset: i64| (today + chrono::Duration::days(offset)).to_string();

    // Staff, the directory and sign-in flows.
    let supervisor = run
        .write(
            "createStaff",
            Some(&admin.access),
            "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }",
            json!({ "i": { "email": "sue@retry.test", "name": "Sue Visor", "role": "SUPERVISOR", "password": PASSWORD } }),
        )
        .await;
    let supervisor_id = id(&supervisor["createStaff"]["id"]);
    app.create_staff("cal@retry.test", "Cal Counselor", Role::Counselor, Some(&supervisor_id)).await;
    let other_id = app.create_staff("oli@retry.test", "Oli Other", Role::Counselor, Some(&supervisor_id)).await;
    run.write(
        "updateStaff",
        Some(&admin.access),
        "mutation($id: ID!) { updateStaff(id: $id, input: { name: \"Oliver Other\" }) { id } }",
        json!({ "id": other_id }),
    )
    .await;
    let login = run
        .write(
            "login",
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }",
            json!({ "e": "cal@retry.test", "p": PASSWORD }),
        )
        .await;
    let refresh = id(&login["login"]["refreshToken"]);
    let refreshed = run
        .unaudited(
            "refreshSession",
            None,
            "mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken refreshToken } }",
            json!({ "r": refresh }),
        )
        .await;
    let cal = id(&refreshed["refreshSession"]["accessToken"]);
    let group = run
        .unaudited(
            "createSupportGroup",
            Some(&admin.access),
            "mutation($i: SupportGroupInput!) { createSupportGroup(input: $i) { id } }",
            json!({ "i": { "name": "Retry Recovery", "abbreviation": "RR", "twelveStep": false, "description": "A group." } }),
        )
        .await;
    let group_id = id(&group["createSupportGroup"]["id"]);
    let meeting = run
        .unaudited(
            "createMeeting",
            Some(&admin.access),
            "mutation($i: MeetingInput!) { createMeeting(input: $i) { id } }",
            json!({ "i": { "supportGroupId": group_id, "name": "Tuesday", "format": "ONLINE", "dayOfWeek": 2,
                           "startTime": "19:00", "timeZone": "UTC", "url": "https://meet.example/rr", "language": "en" } }),
        )
        .await;
    let meeting_id = id(&meeting["createMeeting"]["id"]);
    run.unaudited(
        "updateSupportGroup",
        Some(&admin.access),
        "mutation($g: ID!) { updateSupportGroup(input: { id: $g, expectedVersion: 1, secular: true }) { id } }",
        json!({ "g": group_id }),
    )
    .await;
    run.unaudited(
        "updateMeeting",
        Some(&admin.access),
        "mutation($m: ID!) { updateMeeting(input: { id: $m, expectedVersion: 1, startTime: \"19:30\" }) { id } }",
        json!({ "m": meeting_id }),
    )
    .await;

    // The clinical record.
    let client = run
        .write(
            "registerClient",
            Some(&cal),
            "mutation($i: RegisterClientInput!) { registerClient(input: $i) { id version } }",
            json!({ "i": { "firstName": "Ada", "lastName": "Retry", "dateOfBirth": "1980-01-01", "substances": ["ALCOHOL"] } }),
        )
        .await;
    let client_id = id(&client["registerClient"]["id"]);
    run.write(
        "updateClient",
        Some(&cal),
        "mutation($id: ID!) { updateClient(id: $id, expectedVersion: 1, input: { preferredName: \"Ady\" }) { id } }",
        json!({ "id": client_id }),
    )
    .await;
    let episode = run
        .write(
            "admitClient",
            Some(&cal),
            "mutation($c: ID!) { admitClient(input: { clientId: $c, stage: REHAB, levelOfCare: L3_5 }) { id } }",
            json!({ "c": client_id }),
        )
        .await;
    let episode_id = id(&episode["admitClient"]["id"]);
    let referral = run
        .write(
            "referToSupportGroup",
            Some(&cal),
            "mutation($i: ReferToSupportGroupInput!) { referToSupportGroup(input: $i) { id } }",
            json!({ "i": { "clientId": client_id, "supportGroupId": group_id, "meetingId": meeting_id } }),
        )
        .await;
    let referral_id = id(&referral["referToSupportGroup"]["id"]);
    run.write(
        "recordAttendance",
        Some(&cal),
        "mutation($i: RecordAttendanceInput!) { recordAttendance(input: $i) { id } }",
        json!({ "i": { "referralId": referral_id, "attendedOn": day(0) } }),
    )
    .await;
    run.write(
        "updateAftercarePlan",
        Some(&cal),
        "mutation($i: UpdateAftercarePlanInput!) { updateAftercarePlan(input: $i) { version } }",
        json!({ "i": { "clientId": client_id, "expectedVersion": 0, "notes": "weekly online meeting", "goals": [] } }),
    )
    .await;
    run.write(
        "updateClientLocator",
        Some(&cal),
        "mutation($c: ID!) { updateClientLocator(input: { clientId: $c, expectedVersion: 0, consentToContact: true,
            phones: [{ number: \"+1 202 555 0143\", kind: MOBILE }] }) { version } }",
        json!({ "c": client_id }),
    )
    .await;
    run.write(
        "changeStage",
        Some(&cal),
        "mutation($e: ID!) { changeStage(input: { episodeId: $e, expectedVersion: 1, stage: AFTERCARE }) { id } }",
        json!({ "e": episode_id }),
    )
    .await;
    run.write(
        "updateReferralStatus",
        Some(&cal),
        "mutation($r: ID!) { updateReferralStatus(input: { referralId: $r, expectedVersion: 2, status: COMPLETED }) { id } }",
        json!({ "r": referral_id }),
    )
    .await;
    let follow_up = run
        .write(
            "scheduleFollowUp",
            Some(&cal),
            "mutation($c: ID!, $d: Date!) { scheduleFollowUp(input: { clientId: $c, dueOn: $d }) { id } }",
            json!({ "c": client_id, "d": day(3) }),
        )
        .await;
    run.write(
        "recordFollowUpAttempt",
        Some(&cal),
        "mutation($f: ID!) { recordFollowUpAttempt(input: { followUpId: $f, method: PHONE, result: NO_ANSWER }) { id } }",
        json!({ "f": id(&follow_up["scheduleFollowUp"]["id"]) }),
    )
    .await;
    run.write(
        "recordFollowUp",
        Some(&cal),
        "mutation($f: ID!) { recordFollowUp(input: { followUpId: $f, expectedVersion: 2, status: COMPLETED, outcome: ABSTINENT }) { id } }",
        json!({ "f": id(&follow_up["scheduleFollowUp"]["id"]) }),
    )
    .await;

    // Privacy.
    let consent = run
        .write(
            "recordConsent",
            Some(&cal),
            "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { id } }",
            json!({ "i": consent_input(&client_id, "Dr. Lee", &["ATTENDANCE"], &day(90)) }),
        )
        .await;
    run.write(
        "discloseToRecipient",
        Some(&cal),
        "mutation($i: DiscloseInput!) { discloseToRecipient(input: $i) { id } }",
        json!({ "i": disclose_input(&client_id, "Dr. Lee", &["ATTENDANCE"]) }),
    )
    .await;
    run.write(
        "revokeConsent",
        Some(&cal),
        "mutation($c: ID!) { revokeConsent(consentId: $c, reason: \"client asked\") { id } }",
        json!({ "c": id(&consent["recordConsent"]["id"]) }),
    )
    .await;
    let oli = app.session("oli@retry.test", PASSWORD).await;
    let grant = run
        .write(
            "requestEmergencyAccess",
            Some(&oli.access),
            "mutation($c: ID!) { requestEmergencyAccess(clientId: $c, reason: \"crisis call, counselor away\") { id } }",
            json!({ "c": client_id }),
        )
        .await;
    let sue = app.session("sue@retry.test", PASSWORD).await;
    run.write(
        "reviewEmergencyAccess",
        Some(&sue.access),
        "mutation($g: ID!) { reviewEmergencyAccess(grantId: $g, note: \"checked the call log\") { id } }",
        json!({ "g": id(&grant["requestEmergencyAccess"]["id"]) }),
    )
    .await;
    run.write(
        "reassignClient",
        Some(&sue.access),
        "mutation($c: ID!, $to: ID!) { reassignClient(clientId: $c, counselorId: $to) { id } }",
        json!({ "c": client_id, "to": other_id }),
    )
    .await;
    run.write(
        "dischargeClient",
        Some(&oli.access),
        "mutation($e: ID!) { dischargeClient(input: { episodeId: $e, expectedVersion: 2, reason: COMPLETED }) { id } }",
        json!({ "e": episode_id }),
    )
    .await;
    // Oli's caseload (the one client) goes back to Cal: one event per client moved.
    let cal_id = app.session("cal@retry.test", PASSWORD).await.staff_id;
    run.write(
        "reassignCaseload",
        Some(&sue.access),
        "mutation($i: ReassignCaseloadInput!) { reassignCaseload(input: $i) { id } }",
        json!({ "i": { "fromCounselorId": other_id, "toCounselorId": cal_id } }),
    )
    .await;
    run.write(
        "changePassword",
        Some(&oli.access),
        "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: \"sable-orchid-compass-77\") }",
        json!({ "c": PASSWORD }),
    )
    .await;
    let me = app.session("oli@retry.test", "sable-orchid-compass-77").await;
    run.write("logout", None, "mutation($r: String!) { logout(refreshToken: $r) }", json!({ "r": me.refresh })).await;
    run.unaudited(
        "retireMeeting",
        Some(&admin.access),
        "mutation($m: ID!) { retireMeeting(input: { id: $m, expectedVersion: 2 }) { id } }",
        json!({ "m": meeting_id }),
    )
    .await;
    run.unaudited(
        "retireSupportGroup",
        Some(&admin.access),
        "mutation($g: ID!) { retireSupportGroup(input: { id: $g, expectedVersion: 2 }) { id } }",
        json!({ "g": group_id }),
    )
    .await;
}
