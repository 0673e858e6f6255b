//! The API conventions a portal's client library relies on (docs/api.md): `node(id:)` for
//! refetching, paging both ways, one `input:` style for mutations with the old arguments
//! still accepted, and objects beside ids.

use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::REFER;
use crate::fixtures::*;
use crate::helpers::*;

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id
    ... on Client { firstName }
    ... on Episode { stage }
    ... on Referral { status supportGroup { abbreviation } }
    ... on SupportGroup { abbreviation }
    ... on Staff { name } } }";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

async fn node(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql_ok(Some(token), NODE, json!({ "id": id })).await["node"].clone()
}

#[tokio::test]
async fn node_refetches_each_kind_of_record_and_answers_null_alike_for_absent_and_not_yours() {
    let app = TestApp::spawn().await;
    let ann = app.login_as(Role::Counselor).await;
    let bob = app.login_as(Role::Counselor).await;
    let admin = app.admin().await;
    let client = client("Rosa", "Villanueva").register(&app, &ann.access).await;
    let episode = admission(&client, "REHAB").level("L2_1").admit(&app, &ann.access).await;
    let group = group_id(&app, &ann.access, "SMART").await;
    let referral = app
        .gql_ok(Some(&ann.access), REFER, json!({ "i": { "clientId": client, "supportGroupId": group } }))
        .await["referToSupportGroup"]["id"]
        .clone();
    let referral = s(&referral);

    let found = node(&app, &ann.access, &client).await;
    assert_eq!((found["__typename"].clone(), found["firstName"].clone()), (json!("Client"), json!("Rosa")), "{found}");
    let found = node(&app, &ann.access, &episode.id).await;
    assert_eq!((found["__typename"].clone(), found["stage"].clone()), (json!("Episode"), json!("REHAB")), "{found}");
    let found = node(&app, &ann.access, &referral).await;
    assert_eq!(found["__typename"], "Referral", "{found}");
    assert_eq!(found["supportGroup"]["abbreviation"], "SMART", "{found}");
    let found = node(&app, &bob.access, &group).await;
    assert_eq!((found["__typename"].clone(), found["abbreviation"].clone()), (json!("SupportGroup"), json!("SMART")));
    let found = node(&app, &ann.access, &ann.staff_id).await;
    assert_eq!(found["__typename"], "Staff", "{found}");
    assert_eq!(found["id"], json!(ann.staff_id));

    // Another counselor, the admin (no client records) and a made-up id: the same null.
    for (who, token) in [("another counselor", &bob.access), ("the admin", &admin.access)] {
        for id in [&client, &episode.id, &referral] {
            assert_eq!(node(&app, token, id).await, Value::Null, "{who} sees nothing of {id}");
        }
    }
    assert_eq!(node(&app, &ann.access, &uuid::Uuid::now_v7().to_string()).await, Value::Null);
    assert_eq!(node(&app, &ann.access, "not-an-id").await, Value::Null);
    // A counselor does not see another counselor's staff record either.
    assert_eq!(node(&app, &bob.access, &ann.staff_id).await, Value::Null);
    let anonymous = app.gql(None, NODE, json!({ "id": client })).await;
    assert_code(&anonymous, "UNAUTHENTICATED");

    // Reading a client's record through `node` is a read of that client in the trail.
    let trail = app
        .gql_ok(
            Some(&admin.access),
            "query($c: ID!) { auditEvents(filter: { clientId: $c }, first: 100) { nodes { action field outcome staff { id } } } }",
            json!({ "c": client }),
        )
        .await;
    let reads: Vec<&Value> = trail["auditEvents"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == "read" && e["field"] == "node")
        .collect();
    assert!(reads.len() >= 3, "each node read of the client's records is audited: {trail}");
    assert!(reads.iter().all(|e| e["staff"]["id"] == json!(ann.staff_id)), "{trail}");
}

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
    clients(first: $first, after: $after, last: $last, before: $before) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { firstName } } }";

fn names(page: &Value) -> Vec<String> {
    page["clients"]["nodes"].as_array().expect("nodes").iter().map(|n| s(&n["firstName"])).collect()
}

#[tokio::test]
async fn lists_page_backward_with_last_and_before_as_well_as_forward() {
    let app = TestApp::spawn().await;
    let ann = app.login_as(Role::Counselor).await;
    let all = ["Ada", "Ben", "Cy", "Dee", "Eve"];
    for name in all {
        // In aftercare with no support-group referral: one worklist item each.
        let id = client(name, "Pager").register(&app, &ann.access).await;
        admission(&id, "AFTERCARE").admit(&app, &ann.access).await;
    }
    let page = |vars: Value| {
        let (app, token) = (&app, ann.access.clone());
        async move { app.gql_ok(Some(&token), PAGE, vars).await }
    };

    let last = page(json!({ "last": 2 })).await;
    assert_eq!(names(&last), ["Dee", "Eve"], "the list's end, still in list order");
    assert_eq!(last["clients"]["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(last["clients"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(last["clients"]["totalCount"], 5);
    let before = s(&last["clients"]["pageInfo"]["startCursor"]);
    let earlier = page(json!({ "last": 2, "before": before })).await;
    assert_eq!(names(&earlier), ["Ben", "Cy"]);
    let before = s(&earlier["clients"]["pageInfo"]["startCursor"]);
    let first = page(json!({ "last": 2, "before": before })).await;
    assert_eq!(names(&first), ["Ada"]);
    assert_eq!(first["clients"]["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(first["clients"]["totalCount"], 5, "the total is the same on every page");

    // Forward from the first page's end meets the same items.
    let after = s(&first["clients"]["pageInfo"]["endCursor"]);
    let next = page(json!({ "first": 2, "after": after })).await;
    assert_eq!(names(&next), ["Ben", "Cy"]);
    assert_eq!(next["clients"]["pageInfo"]["hasPreviousPage"], true);

    // One direction at a time.
    let mixed = app.gql(Some(&ann.access), PAGE, json!({ "first": 2, "last": 2 })).await;
    assert_code(&mixed, "BAD_USER_INPUT");
    assert_eq!(error_field(&mixed), Some("last"), "{mixed}");
    let mixed = app.gql(Some(&ann.access), PAGE, json!({ "after": after, "before": after })).await;
    assert_eq!(error_field(&mixed), Some("before"), "{mixed}");
    let negative = app.gql(Some(&ann.access), PAGE, json!({ "last": -1 })).await;
    assert_eq!(error_field(&negative), Some("last"), "{negative}");

    // The worklist, paged in memory, goes backward the same way.
    let worklist = "query($last: Int, $before: String) { worklist(last: $last, before: $before) {
        totalCount pageInfo { hasPreviousPage startCursor } edges { cursor } } }";
    let whole = app.gql_ok(Some(&ann.access), worklist, json!({ "last": 100 })).await;
    let cursors: Vec<String> =
        whole["worklist"]["edges"].as_array().expect("edges").iter().map(|e| s(&e["cursor"])).collect();
    assert_eq!(cursors.len(), 5, "each client in aftercare without a referral is on the worklist: {whole}");
    let tail = app.gql_ok(Some(&ann.access), worklist, json!({ "last": 1 })).await;
    assert_eq!(tail["worklist"]["edges"][0]["cursor"], json!(cursors[cursors.len() - 1]));
    let before_tail =
        app.gql_ok(Some(&ann.access), worklist, json!({ "last": 1, "before": cursors[cursors.len() - 1] })).await;
    assert_eq!(before_tail["worklist"]["edges"][0]["cursor"], json!(cursors[cursors.len() - 2]));
}

#[tokio::test]
async fn mutations_take_one_input_and_still_accept_the_deprecated_arguments() {
    let app = TestApp::spawn().await;
    let signed_in = app
        .gql_ok(
            None,
            "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken staff { role } } }",
            json!({ "i": { "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD } }),
        )
        .await;
    assert_eq!(signed_in["login"]["staff"]["role"], "ADMIN");
    let old = app
        .gql_ok(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { staff { role } } }",
            json!({ "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD }),
        )
        .await;
    assert_eq!(old["login"]["staff"]["role"], "ADMIN", "the deprecated arguments still sign in: {old}");

    // Both styles at once, or neither: refused, with the field named and nothing done.
    let both = app
        .gql(
            None,
            "mutation { login(input: { email: \"a@b.c\", password: \"x\" }, email: \"a@b.c\", password: \"x\") { accessToken } }",
            json!({}),
        )
        .await;
    assert_code(&both, "BAD_USER_INPUT");
    assert_eq!(error_field(&both), Some("input"), "{both}");
    let neither = app.gql(None, "mutation { logout }", json!({})).await;
    assert_eq!(error_field(&neither), Some("input"), "{neither}");
    let refreshed = app
        .gql_ok(
            None,
            "mutation($i: RefreshTokenInput!) { refreshSession(input: $i) { refreshToken } }",
            json!({ "i": { "refreshToken": signed_in["login"]["refreshToken"] } }),
        )
        .await;
    assert!(refreshed["refreshSession"]["refreshToken"].is_string());

    // updateClient: the id and version move into `input`; the old arguments still work.
    let ann = app.login_as(Role::Counselor).await;
    let client = client("Rosa", "Villanueva").register(&app, &ann.access).await;
    let update = "mutation($i: UpdateClientInput!) { updateClient(input: $i) { firstName version } }";
    let moved = app
        .gql_ok(
            Some(&ann.access),
            update,
            json!({ "i": { "clientId": client, "expectedVersion": 1, "preferredName": "Ro" } }),
        )
        .await;
    assert_eq!(moved["updateClient"]["version"], 2, "{moved}");
    let old = app
        .gql_ok(
            Some(&ann.access),
            "mutation($id: ID!, $v: Int!) { updateClient(id: $id, expectedVersion: $v, input: { firstName: \"Rosalia\" }) { firstName version } }",
            json!({ "id": client, "v": 2 }),
        )
        .await;
    assert_eq!(old["updateClient"]["firstName"], "Rosalia");
    let twice = app
        .gql(
            Some(&ann.access),
            "mutation($id: ID!) { updateClient(id: $id, input: { clientId: $id, expectedVersion: 3, firstName: \"X\" }) { version } }",
            json!({ "id": client }),
        )
        .await;
    assert_eq!(error_field(&twice), Some("clientId"), "{twice}");
    let missing = app.gql(Some(&ann.access), update, json!({ "i": { "clientId": client, "firstName": "X" } })).await;
    assert_eq!(error_field(&missing), Some("expectedVersion"), "{missing}");
    let unchanged = app
        .gql_ok(Some(&ann.access), "query($id: ID!) { client(id: $id) { firstName version } }", json!({ "id": client }))
        .await;
    assert_eq!(unchanged["client"], json!({ "firstName": "Rosalia", "version": 3 }), "refused calls changed nothing");

    // The schema says which arguments are deprecated, and what replaces them.
    let schema = app
        .gql_ok(
            None,
            "{ __type(name: \"Mutation\") { fields { name args(includeDeprecated: true) { name isDeprecated deprecationReason } } } }",
            json!({}),
        )
        .await;
    let fields = schema["__type"]["fields"].as_array().expect("fields");
    let mut deprecated = 0;
    for field in fields {
        let args = field["args"].as_array().expect("args");
        let has_input = args.iter().any(|a| a["name"] == "input" && a["isDeprecated"] == false);
        assert!(has_input || args.is_empty(), "{} takes `input`: {field}", field["name"]);
        for arg in args.iter().filter(|a| a["name"] != "input") {
            assert_eq!(arg["isDeprecated"], true, "{}: only `input` is current: {arg}", field["name"]);
            assert!(s(&arg["deprecationReason"]).contains("input"), "{arg}");
            deprecated += 1;
        }
    }
    assert!(deprecated >= 15, "the old arguments are kept ({deprecated})");
}

#[tokio::test]
async fn records_point_at_objects_beside_their_ids() {
    let app = TestApp::spawn().await;
    let supervisor = app.create_staff("sue@ids.test", "Sue Supervisor", Role::Supervisor, None).await;
    app.create_staff("cal@ids.test", "Cal Counselor", Role::Counselor, Some(&supervisor)).await;
    app.create_staff("ann@ids.test", "Ann Counselor", Role::Counselor, None).await;
    let cal = app.session("cal@ids.test", PASSWORD).await;
    let ann = app.session("ann@ids.test", PASSWORD).await;
    let sue = app.session("sue@ids.test", PASSWORD).await;
    let client = client("Tomas", "Okafor").register(&app, &ann.access).await;
    admission(&client, "REHAB").level("L2_1").admit(&app, &ann.access).await;

    // A disclosure names its client, its consent and who made it.
    let recipient = "Springfield Drug Court";
    app.gql_ok(
        Some(&ann.access),
        "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { id } }",
        json!({ "i": consent_input(&client, recipient, &["ATTENDANCE"], &(app.state.today() + chrono::Days::new(90)).to_string()) }),
    )
    .await;
    let disclosed = app
        .gql_ok(
            Some(&ann.access),
            "mutation($i: DiscloseInput!) { discloseToRecipient(input: $i) {
                clientId client { id firstName } consentId consent { id recipient } disclosedById disclosedBy { name } } }",
            json!({ "i": disclose_input(&client, recipient, &["ATTENDANCE"]) }),
        )
        .await["discloseToRecipient"]
        .clone();
    assert_eq!(disclosed["client"]["id"], disclosed["clientId"], "{disclosed}");
    assert_eq!(disclosed["client"]["firstName"], "Tomas");
    assert_eq!(disclosed["consent"]["id"], disclosed["consentId"]);
    assert_eq!(disclosed["consent"]["recipient"], recipient);
    assert_eq!(disclosed["disclosedBy"]["name"], "Ann Counselor");

    // An emergency grant: its holder sees the client while it lasts; the reviewer (whose team
    // does not hold the client) sees who and which id, but not the client.
    let grant = "{ id staffId staff { name } clientId client { firstName } reviewedById reviewedBy { name } }";
    let granted = app
        .gql_ok(
            Some(&cal.access),
            &format!("mutation($i: RequestEmergencyAccessInput!) {{ requestEmergencyAccess(input: $i) {grant} }}"),
            json!({ "i": { "clientId": client, "reason": "client in crisis after hours; counselor unreachable" } }),
        )
        .await["requestEmergencyAccess"]
        .clone();
    assert_eq!(granted["staff"]["name"], "Cal Counselor", "{granted}");
    assert_eq!(granted["reviewedBy"], Value::Null);
    // Grants are judged at the instant a request is authenticated: from the next request on,
    // the holder sees the client.
    let held = app.gql_ok(Some(&cal.access), &format!("{{ emergencyAccessGrants {grant} }}"), json!({})).await;
    assert_eq!(held["emergencyAccessGrants"][0]["client"]["firstName"], "Tomas", "the holder sees the client: {held}");
    let reviewed = app
        .gql_ok(
            Some(&sue.access),
            &format!("mutation($i: ReviewEmergencyAccessInput!) {{ reviewEmergencyAccess(input: $i) {grant} }}"),
            json!({ "i": { "grantId": granted["id"], "note": "appropriate: crisis after hours" } }),
        )
        .await["reviewEmergencyAccess"]
        .clone();
    assert_eq!(reviewed["reviewedBy"]["name"], "Sue Supervisor", "{reviewed}");
    assert_eq!(reviewed["clientId"], json!(client));
    assert_eq!(reviewed["client"], Value::Null, "the reviewer is not in the client's care: {reviewed}");

    // The audit trail names its staff members.
    let admin = app.admin().await;
    let trail = app
        .gql_ok(
            Some(&admin.access),
            "query($s: ID) { auditEvents(filter: { staffId: $s }, first: 5) { nodes { staffId staff { id name } } } }",
            json!({ "s": cal.staff_id }),
        )
        .await;
    let nodes = trail["auditEvents"]["nodes"].as_array().expect("nodes");
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| n["staff"]["name"] == "Cal Counselor" && n["staff"]["id"] == n["staffId"]), "{trail}");
}

/// A document with several operations runs the one `operationName` names; without a name,
/// or with one it does not hold, it is refused before anything runs, on a single request
/// and inside a batch alike (each item naming its own).
#[tokio::test]
async fn a_document_of_several_operations_needs_an_operation_name() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auth = format!("Bearer {}", admin.access);
    let document = "query Me { me { role } } query Groups { supportGroups { abbreviation } }";
    let (_, named) = app.post_graphql(Some(&auth), json!({ "query": document, "operationName": "Me" })).await;
    assert_eq!(named["data"]["me"]["role"], "ADMIN", "{named}");
    let (_, unnamed) = app.post_graphql(Some(&auth), json!({ "query": document })).await;
    assert_code(&unnamed, "BAD_USER_INPUT");
    assert!(s(&unnamed["errors"][0]["message"]).contains("operationName"), "{unnamed}");
    let (_, unknown) = app.post_graphql(Some(&auth), json!({ "query": document, "operationName": "Nope" })).await;
    assert!(s(&unknown["errors"][0]["message"]).contains("no operation named Nope"), "{unknown}");
    // In a batch, each item picks its own; one that does not refuses the batch, as any item
    // that admission refuses does, before anything runs.
    let (_, batch) = app
        .post_graphql(
            Some(&auth),
            json!([{ "query": document, "operationName": "Groups" }, { "query": document, "operationName": "Me" }]),
        )
        .await;
    assert!(batch[0]["data"]["supportGroups"].is_array(), "{batch}");
    assert_eq!(batch[1]["data"]["me"]["role"], "ADMIN", "{batch}");
    let (_, batch) = app
        .post_graphql(Some(&auth), json!([{ "query": document, "operationName": "Groups" }, { "query": document }]))
        .await;
    assert_code(&batch, "BAD_USER_INPUT");
    assert!(s(&batch["errors"][0]["message"]).contains("operationName"), "{batch}");
}
