//! Who may call what: every query and mutation field of the schema, read from the schema
//! itself, called with no token and as each role, against a declared matrix. A field added to
//! the schema fails this test until someone decides who may use it (add it to `EXPECTED`).
//!
//! Each field is called with dummy arguments of the right type (random ids, so nothing is
//! found), selecting `__typename` of an object result. The outcome is the first error's
//! `extensions.code`, or `OK` (data) or `NULL` (no data, no error).
//!
//! `SchemaModel` is also what `fuzz.rs` generates its documents from.

use std::collections::{BTreeMap, HashMap};

use async_graphql::parser::types::{
    BaseType, FieldDefinition, InputValueDefinition, Type, TypeKind, TypeSystemDefinition,
};
use continuum::domain::Role;
use serde_json::{Value, json};

use crate::helpers::*;

/// The schema as the server declares it (`continuum::sdl()`, hidden fields included).
pub struct SchemaModel {
    types: HashMap<String, TypeKind>,
    pub query: Vec<FieldDefinition>,
    pub mutation: Vec<FieldDefinition>,
}

impl SchemaModel {
    pub fn load() -> SchemaModel {
        let document = async_graphql::parser::parse_schema(continuum::sdl()).expect("the SDL parses");
        let mut types = HashMap::new();
        for definition in document.definitions {
            if let TypeSystemDefinition::Type(ty) = definition {
                types.insert(ty.node.name.node.to_string(), ty.node.kind);
            }
        }
        let fields = |root: &str| match types.get(root) {
            Some(TypeKind::Object(object)) => object.fields.iter().map(|f| f.node.clone()).collect(),
            _ => panic!("no {root} type in the schema"),
        };
        let (query, mutation) = (fields("Query"), fields("Mutation"));
        SchemaModel { types, query, mutation }
    }

    pub fn kind(&self, name: &str) -> Option<&TypeKind> {
        self.types.get(name)
    }

    /// The fields of an object type (empty for anything else).
    pub fn fields_of(&self, name: &str) -> Vec<&FieldDefinition> {
        match self.kind(name) {
            Some(TypeKind::Object(object)) => object.fields.iter().map(|f| &f.node).collect(),
            Some(TypeKind::Interface(interface)) => interface.fields.iter().map(|f| &f.node).collect(),
            _ => Vec::new(),
        }
    }

    pub fn enum_values(&self, name: &str) -> Vec<String> {
        match self.kind(name) {
            Some(TypeKind::Enum(e)) => e.values.iter().map(|v| v.node.value.node.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn input_fields(&self, name: &str) -> Vec<&InputValueDefinition> {
        match self.kind(name) {
            Some(TypeKind::InputObject(input)) => input.fields.iter().map(|f| &f.node).collect(),
            _ => Vec::new(),
        }
    }

    pub fn is_composite(&self, name: &str) -> bool {
        matches!(self.kind(name), Some(TypeKind::Object(_) | TypeKind::Interface(_) | TypeKind::Union(_)))
    }

    /// A literal of the right type: every required input field filled, optional ones left out.
    pub fn dummy_value(&self, ty: &Type) -> String {
        match &ty.base {
            BaseType::List(inner) => format!("[{}]", self.dummy_value(inner)),
            BaseType::Named(name) => match name.as_str() {
                "ID" => format!("\"{}\"", uuid::Uuid::now_v7()),
                "String" => "\"x\"".into(),
                "Int" => "1".into(),
                "Float" => "1.0".into(),
                "Boolean" => "true".into(),
                "Date" => "\"2026-01-01\"".into(),
                "DateTime" => "\"2026-01-01T00:00:00Z\"".into(),
                other => match self.kind(other) {
                    Some(TypeKind::Enum(_)) => self.enum_values(other).first().cloned().expect("an enum has values"),
                    Some(TypeKind::InputObject(_)) => {
                        let fields: Vec<String> = self
                            .input_fields(other)
                            .into_iter()
                            .filter(|f| {
                                required(f) || ONE_STYLE_FIELDS.contains(&format!("{other}.{}", f.name.node).as_str())
                            })
                            .map(|f| format!("{}: {}", f.name.node, self.dummy_value(&f.ty.node)))
                            .collect();
                        format!("{{ {} }}", fields.join(", "))
                    }
                    _ => panic!("no dummy value for the type {other}: teach `dummy_value` about it"),
                },
            },
        }
    }

    /// `query { field(required: …) { __typename } }` (or `mutation`).
    pub fn operation(&self, operation: &str, field: &FieldDefinition) -> String {
        let arguments: Vec<String> = field
            .arguments
            .iter()
            .filter(|a| required(&a.node) || a.node.name.node == "input")
            .map(|a| format!("{}: {}", a.node.name.node, self.dummy_value(&a.node.ty.node)))
            .collect();
        let arguments = if arguments.is_empty() { String::new() } else { format!("({})", arguments.join(", ")) };
        let selection = if self.is_composite(named(&field.ty.node)) { " { __typename }" } else { "" };
        format!("{operation} {{ {}{arguments}{selection} }}", field.name.node)
    }
}

/// Input fields that a call in the one `input:` style must give, although the schema lets
/// them be left out: each stands in for a `@deprecated` argument that older callers pass
/// instead. (The `input` argument itself is nullable for the same reason and is always given.)
pub const ONE_STYLE_FIELDS: [&str; 3] =
    ["UpdateStaffInput.staffId", "UpdateClientInput.clientId", "UpdateClientInput.expectedVersion"];

/// A non-null argument or input field without a default must be given.
pub fn required(value: &InputValueDefinition) -> bool {
    !value.ty.node.nullable && value.default_value.is_none()
}

/// The named type under any list wrappers.
pub fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

// The fault-injection fields are not in `schema.graphql` (schema.rs checks it), so the walk
// below never meets them; security.rs tests them.

const UNAUTH: &str = "UNAUTHENTICATED";
const FORBIDDEN: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";
const BAD_INPUT: &str = "BAD_USER_INPUT";
const OK: &str = "OK";
const NULL: &str = "NULL";

/// Field → outcome for [anonymous, ADMIN, SUPERVISOR, COUNSELOR], called with dummy arguments.
///
/// Anonymous callers get UNAUTHENTICATED everywhere (for `login` with a wrong password and
/// `refreshSession`/`logout` with an unknown token too: those are the only fields open to
/// them, and they refuse the dummy credentials). ADMIN is IT, not treatment: client records
/// are FORBIDDEN to them. Staff management and the directory's mutations are ADMIN only.
/// Dummy ids name nothing: lookups answer null, actions on a record NOT_FOUND.
#[rustfmt::skip]
const EXPECTED: &[(&str, [&str; 4])] = &[
    //                                   anonymous  ADMIN      SUPERVISOR  COUNSELOR
    ("Query.me",                       [UNAUTH, OK,        OK,        OK]),
    ("Query.staffMember",              [UNAUTH, NULL,      NULL,      NULL]),
    ("Query.staffMembers",             [UNAUTH, OK,        OK,        OK]),
    ("Query.client",                   [UNAUTH, FORBIDDEN, NULL,      NULL]),
    ("Query.clients",                  [UNAUTH, FORBIDDEN, OK,        OK]),
    ("Query.followUps",                [UNAUTH, FORBIDDEN, OK,        OK]),
    ("Query.supportGroups",            [UNAUTH, OK,        OK,        OK]),
    ("Query.supportGroup",             [UNAUTH, NULL,      NULL,      NULL]),
    ("Query.followUpReport",           [UNAUTH, FORBIDDEN, OK,        OK]),
    ("Query.referralReport",           [UNAUTH, FORBIDDEN, OK,        OK]),
    ("Query.stageCensus",              [UNAUTH, FORBIDDEN, OK,        OK]),
    ("Query.tedsExtract",              [UNAUTH, FORBIDDEN, OK,        OK]),
    ("Query.recommendSupportGroups",   [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Query.worklist",                 [UNAUTH, FORBIDDEN, OK,        OK]),
    ("Query.disclosures",              [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    // An ADMIN reviews the grants of staff no supervisor reviews (ids and reasons, no client data).
    ("Query.emergencyAccessGrants",    [UNAUTH, OK,        OK,        OK]),
    ("Query.auditEvents",              [UNAUTH, OK,        FORBIDDEN, FORBIDDEN]),
    ("Query.node",                     [UNAUTH, NULL,      NULL,      NULL]),
    ("Mutation.login",                 [UNAUTH, UNAUTH,    UNAUTH,    UNAUTH]),
    ("Mutation.refreshSession",        [UNAUTH, UNAUTH,    UNAUTH,    UNAUTH]),
    // Idempotent: an unknown token is no error (and tells nothing about which tokens exist).
    ("Mutation.logout",                [OK,     OK,        OK,        OK]),
    // "x" is no email address.
    ("Mutation.createStaff",           [UNAUTH, BAD_INPUT, FORBIDDEN, FORBIDDEN]),
    ("Mutation.updateStaff",           [UNAUTH, NOT_FOUND, FORBIDDEN, FORBIDDEN]),
    // Open to every signed-in role; "x" is neither their password nor long enough for one.
    ("Mutation.changePassword",        [UNAUTH, BAD_INPUT, BAD_INPUT, BAD_INPUT]),
    ("Mutation.registerClient",        [UNAUTH, FORBIDDEN, OK,        OK]),
    ("Mutation.updateClient",          [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Mutation.updateClientLocator",   [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    // Visibility is checked before the role: a client the counselor cannot see is NOT_FOUND.
    ("Mutation.reassignClient",        [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    // A supervisor's team has no such counselor; a counselor may not move caseloads at all.
    ("Mutation.reassignCaseload",      [UNAUTH, FORBIDDEN, BAD_INPUT, FORBIDDEN]),
    // DETOX without a withdrawal-management level of care: refused before the lookup.
    ("Mutation.admitClient",           [UNAUTH, FORBIDDEN, BAD_INPUT, BAD_INPUT]),
    ("Mutation.changeStage",           [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Mutation.dischargeClient",       [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Mutation.createSupportGroup",    [UNAUTH, OK,        FORBIDDEN, FORBIDDEN]),
    // startTime "x" is not HH:MM.
    ("Mutation.createMeeting",         [UNAUTH, BAD_INPUT, FORBIDDEN, FORBIDDEN]),
    ("Mutation.updateSupportGroup",    [UNAUTH, NOT_FOUND, FORBIDDEN, FORBIDDEN]),
    ("Mutation.retireSupportGroup",    [UNAUTH, NOT_FOUND, FORBIDDEN, FORBIDDEN]),
    ("Mutation.updateMeeting",         [UNAUTH, NOT_FOUND, FORBIDDEN, FORBIDDEN]),
    ("Mutation.retireMeeting",         [UNAUTH, NOT_FOUND, FORBIDDEN, FORBIDDEN]),
    ("Mutation.referToSupportGroup",   [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Mutation.updateReferralStatus",  [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Mutation.recordAttendance",      [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    // Due on 2026-01-01, in the past.
    ("Mutation.scheduleFollowUp",      [UNAUTH, FORBIDDEN, BAD_INPUT, BAD_INPUT]),
    ("Mutation.recordFollowUp",        [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Mutation.recordFollowUpAttempt", [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Mutation.updateAftercarePlan",   [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    // Expires on 2026-01-01, in the past.
    ("Mutation.recordConsent",         [UNAUTH, FORBIDDEN, BAD_INPUT, BAD_INPUT]),
    ("Mutation.revokeConsent",         [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    // No purposeCode: refused before the lookup.
    ("Mutation.discloseToRecipient",   [UNAUTH, FORBIDDEN, BAD_INPUT, BAD_INPUT]),
    ("Mutation.recordConsentExpiryEvent", [UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Mutation.requestEmergencyAccess",[UNAUTH, FORBIDDEN, NOT_FOUND, NOT_FOUND]),
    ("Mutation.reviewEmergencyAccess", [UNAUTH, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
];

const CALLERS: [&str; 4] = ["anonymous", "ADMIN", "SUPERVISOR", "COUNSELOR"];

fn outcome(response: &Value, field: &str) -> String {
    match error_code(response) {
        Some(code) => code.to_owned(),
        None if response["errors"].is_array() => format!("NO_CODE {}", response["errors"]),
        None if response["data"][field].is_null() => NULL.to_owned(),
        None => OK.to_owned(),
    }
}

#[tokio::test]
async fn every_field_answers_each_role_as_declared() {
    let app = TestApp::spawn().await;
    let supervisor_id = app.create_staff("matrix-s@continuum.test", "Matrix Supervisor", Role::Supervisor, None).await;
    app.create_staff("matrix-c@continuum.test", "Matrix Counselor", Role::Counselor, Some(&supervisor_id)).await;
    let admin = app.admin().await;
    let supervisor = app.session("matrix-s@continuum.test", PASSWORD).await;
    let counselor = app.session("matrix-c@continuum.test", PASSWORD).await;
    let tokens = [None, Some(admin.access.as_str()), Some(supervisor.access.as_str()), Some(counselor.access.as_str())];

    let schema = SchemaModel::load();
    let expected: BTreeMap<&str, [&str; 4]> = EXPECTED.iter().copied().collect();
    assert_eq!(expected.len(), EXPECTED.len(), "a field is declared twice in EXPECTED");

    let mut observed: Vec<(String, [String; 4])> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let roots = [("Query", "query", &schema.query), ("Mutation", "mutation", &schema.mutation)];
    for (root, operation, fields) in roots {
        for field in fields {
            let key = format!("{root}.{}", field.name.node);
            let document = schema.operation(operation, field);
            let mut outcomes: [String; 4] = Default::default();
            for (i, token) in tokens.iter().enumerate() {
                let response = app.gql(*token, &document, json!({})).await;
                outcomes[i] = outcome(&response, field.name.node.as_str());
            }
            match expected.get(key.as_str()) {
                None => problems.push(format!("{key} is not in EXPECTED: decide who may call it ({document})")),
                Some(declared) => {
                    for (i, caller) in CALLERS.iter().enumerate() {
                        if declared[i] != outcomes[i] {
                            problems.push(format!(
                                "{key} as {caller}: expected {}, got {} ({document})",
                                declared[i], outcomes[i]
                            ));
                        }
                    }
                }
            }
            observed.push((key, outcomes));
        }
    }
    for key in expected.keys() {
        if !observed.iter().any(|(k, _)| k == key) {
            problems.push(format!("{key} is in EXPECTED but not in the schema"));
        }
    }

    println!("observed ({} fields × {} callers):", observed.len(), CALLERS.len());
    for (key, outcomes) in &observed {
        println!("    (\"{key}\", [{}]),", outcomes.join(", "));
    }
    assert!(observed.len() >= EXPECTED.len());
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// The schema walk covers the subscription root as well, so that a new subscription field is
/// not silently left out of every matrix (subscriptions are tested in subscriptions.rs).
#[test]
fn the_subscription_root_holds_only_what_subscriptions_rs_tests() {
    let document = async_graphql::parser::parse_schema(continuum::sdl()).expect("the SDL parses");
    let subscription: Vec<String> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) if t.node.name.node == "Subscription" => match &t.node.kind {
                TypeKind::Object(o) => Some(o.fields.iter().map(|f| f.node.name.node.to_string()).collect::<Vec<_>>()),
                _ => None,
            },
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(subscription, vec!["caseloadEvents".to_owned()]);
}

/// Every mutation, walked from the schema like the matrix above, called as each role with
/// dummy arguments: each refusal (FORBIDDEN for the role, NOT_FOUND for a record outside the
/// caller's scope) leaves exactly one DENIED event in the audit trail, and nothing else
/// (bad input, success) leaves one. The refusals happen in the one write path, so a mutation
/// added later is covered without anyone remembering to audit it.
#[tokio::test]
async fn every_refused_mutation_leaves_one_denied_event() {
    let app = TestApp::spawn().await;
    let supervisor_id = app.create_staff("denied-s@continuum.test", "Denied Supervisor", Role::Supervisor, None).await;
    app.create_staff("denied-c@continuum.test", "Denied Counselor", Role::Counselor, Some(&supervisor_id)).await;
    let admin = app.admin().await;
    let supervisor = app.session("denied-s@continuum.test", PASSWORD).await;
    let counselor = app.session("denied-c@continuum.test", PASSWORD).await;
    let callers = [("ADMIN", &admin), ("SUPERVISOR", &supervisor), ("COUNSELOR", &counselor)];
    let denied = || async {
        let data = app
            .gql_ok(
                Some(&admin.access),
                "{ auditEvents(filter: { outcome: DENIED }, first: 1) { totalCount } }",
                json!({}),
            )
            .await;
        data["auditEvents"]["totalCount"].as_i64().unwrap_or(-1)
    };

    let schema = SchemaModel::load();
    let mut problems = Vec::new();
    let mut refusals = 0;
    for field in &schema.mutation {
        let name = field.name.node.as_str();
        // Sign-in flows have no caller to refuse; changePassword is every caller's own.
        if ["login", "refreshSession", "logout"].contains(&name) {
            continue;
        }
        let document = schema.operation("mutation", field);
        for (role, session) in callers {
            let before = denied().await;
            let response = app.gql(Some(&session.access), &document, json!({})).await;
            let code = outcome(&response, name);
            let added = denied().await - before;
            let expected = i64::from(code == FORBIDDEN || code == NOT_FOUND);
            refusals += expected;
            if added != expected {
                problems
                    .push(format!("{name} as {role} answered {code} and left {added} DENIED event(s), not {expected}"));
            }
        }
    }
    assert!(refusals >= 20, "the walk refused only {refusals} calls");
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}
