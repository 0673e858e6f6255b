//! The request controls, one test each: every test shows the specific refusal (so it fails
//! if the control is removed) and, where it makes sense, that a request just under the limit
//! passes. Limits: src/config.rs (`Limits`), enforced in src/graphql/mod.rs, src/graphql/
//! extensions.rs, src/http/graphql.rs and src/http/mod.rs.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_graphql::{
    ServerError, ValidationResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use continuum::{config::Config, domain::Role};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::documents::REGISTER;
use crate::helpers::*;

/// The portal's caseload screen (the CASELOAD query of clinical_visibility.rs).
const CASELOAD: &str = "{ clients(first: 100) { totalCount edges { node { id firstName
    currentEpisode { id stage levelOfCare stageHistory { to by { name } } }
    referrals { status supportGroup { name meetings { id } } attendanceCount }
    nextFollowUp { dueOn overdue }
    primaryCounselor { name }
} } } }";

const LIMIT_DEPTH: usize = 10;
const LIMIT_COMPLEXITY: usize = 5000;

// ---------------------------------------------------------------------------------------
// Measuring complexity and depth exactly as async-graphql computes them.

/// A schema extension that records what validation computed for the last document.
#[derive(Clone, Default)]
struct Measure(Arc<Mutex<Option<(usize, usize)>>>);

impl ExtensionFactory for Measure {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Extension for Measure {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((result.complexity, result.depth));
        }
        Ok(result)
    }
}

/// (complexity, depth) of a document against the real schema, without limits. The schema has
/// no state attached, so resolvers fail (UNAUTHENTICATED): only validation matters here.
async fn measure(query: &str) -> (usize, usize) {
    let measure = Measure::default();
    let schema = continuum::schema_builder().extension(measure.clone()).finish();
    let response = schema.execute(query).await;
    let measured = *measure.0.lock().expect("lock");
    measured.unwrap_or_else(|| panic!("the document does not validate: {:?}", response.errors))
}

/// The benchmark's documents (bench/queries) are what a portal sends: they stay within the
/// default limits, so that a change to the limits cannot quietly break the benchmark.
#[tokio::test]
async fn the_benchmark_documents_are_within_the_default_limits() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/queries");
    let mut measured = 0;
    for entry in std::fs::read_dir(dir).expect("bench/queries") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if !name.ends_with(".graphql") || name.ends_with(".pg.graphql") {
            continue;
        }
        let query = std::fs::read_to_string(&path).expect("a document");
        let (complexity, depth) = measure(&query).await;
        println!("{name}: complexity {complexity}, depth {depth}");
        assert!(
            complexity <= LIMIT_COMPLEXITY && depth <= LIMIT_DEPTH,
            "{name}: complexity {complexity}, depth {depth}"
        );
        measured += 1;
    }
    assert!(measured >= 5, "only {measured} documents");
}

/// `me { supervisor { supervisor { … { id } } } }` with `n` supervisors.
fn supervisor_chain(n: usize) -> String {
    format!("{{ me {{ {} id {} }} }}", "supervisor { ".repeat(n), "} ".repeat(n))
}

fn message(response: &Value) -> String {
    response["errors"][0]["message"].as_str().unwrap_or_default().to_owned()
}

#[track_caller]
fn assert_no_errors(response: &Value) {
    assert!(response.get("errors").is_none(), "unexpected errors: {response}");
}

// ---------------------------------------------------------------------------------------
// Depth, complexity, recursion, directives, aliases, batches, bodies, pages.

#[tokio::test]
async fn a_query_nested_deeper_than_the_limit_is_refused() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;

    // The deepest supervisor chain the limit allows, and one level more.
    let mut n = 0;
    while measure(&supervisor_chain(n + 1)).await.1 <= LIMIT_DEPTH {
        n += 1;
    }
    assert_eq!(measure(&supervisor_chain(n)).await.1, LIMIT_DEPTH);

    let at_limit = app.gql(Some(&me.access), &supervisor_chain(n), json!({})).await;
    assert_no_errors(&at_limit);
    let too_deep = app.gql(Some(&me.access), &supervisor_chain(n + 1), json!({})).await;
    assert_code(&too_deep, "BAD_USER_INPUT");
    assert!(message(&too_deep).contains("nested too deep"), "{too_deep}");
    assert_eq!(too_deep["data"], json!(null), "refused before any resolver ran: {too_deep}");

    // The portal's deepest real screen passes.
    let caseload = app.gql(Some(&me.access), CASELOAD, json!({})).await;
    assert_no_errors(&caseload);
    let (_, depth) = measure(CASELOAD).await;
    println!("caseload query depth {depth} of {LIMIT_DEPTH} allowed");
    assert!(depth <= LIMIT_DEPTH);
}

#[tokio::test]
async fn a_query_over_the_complexity_limit_is_refused_and_the_caseload_query_passes() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;

    let (complexity, depth) = measure(CASELOAD).await;
    println!(
        "caseload query: complexity {complexity} of {LIMIT_COMPLEXITY} ({} to spare), depth {depth} of {LIMIT_DEPTH}",
        LIMIT_COMPLEXITY - complexity
    );
    assert!(complexity <= LIMIT_COMPLEXITY);
    assert_no_errors(&app.gql(Some(&me.access), CASELOAD, json!({})).await);

    // Ten times as wide: the caseload selection under ten aliases (well within the alias
    // limit), each also asking for the client's other fields.
    let body = CASELOAD.trim().trim_start_matches('{').trim_end_matches('}');
    let wider = body.replace("firstName", "firstName lastName preferredName dateOfBirth gender substances language");
    let wide: String = (0..10).map(|i| format!("c{i}: {wider}")).collect::<Vec<_>>().join("\n");
    let wide = format!("{{ {wide} }}");
    let (wide_complexity, _) = measure(&wide).await;
    println!("ten times wider: complexity {wide_complexity}");
    assert!(wide_complexity > LIMIT_COMPLEXITY);

    let refused = app.gql(Some(&me.access), &wide, json!({})).await;
    assert_code(&refused, "BAD_USER_INPUT");
    assert!(message(&refused).contains("too complex"), "{refused}");
    assert_eq!(refused["data"], json!(null));

    // Seven different root fields, each asked for four times (28 aliases, within the alias
    // limit): no single field is expensive, the sum is.
    let roots = [
        "me { id name email role active supervisor { id name email role active } }",
        "supportGroups { id name abbreviation twelveStep audience description meetings { id name format dayOfWeek } }",
        "stageCensus { stage clients }",
        "emergencyAccessGrants { id staffId clientId reason grantedAt expiresAt reviewedAt reviewNote }",
        "staffMembers(first: 100) { totalCount nodes { id name email role active } }",
        "followUps(first: 100) { totalCount nodes { id dueOn status overdue outcome note client { id firstName } } }",
        "worklist(first: 100) { totalCount nodes { kind reason since client { id firstName lastName } } }",
    ];
    let many_roots: String =
        roots.iter().enumerate().flat_map(|(r, root)| (0..4).map(move |i| format!("r{r}x{i}: {root} "))).collect();
    let many_roots = format!("{{ {many_roots} }}");
    let (roots_complexity, _) = measure(&many_roots).await;
    println!("seven root fields, four times each: complexity {roots_complexity}");
    assert!(roots_complexity > LIMIT_COMPLEXITY, "{roots_complexity}");
    let refused = app.gql(Some(&me.access), &many_roots, json!({})).await;
    assert!(message(&refused).contains("too complex"), "{refused}");
    // Each once is fine.
    let once: String = roots.concat();
    assert_no_errors(&app.gql(Some(&me.access), &format!("{{ {once} }}"), json!({})).await);

    // The server counts exactly what we measured: the limit set to the caseload's own
    // complexity lets it through, one less does not.
    let exact = complexity.to_string();
    let app = TestApp::spawn_with(&[("CONTINUUM_MAX_COMPLEXITY", exact.as_str())]).await;
    let me = app.login_as(Role::Counselor).await;
    assert_no_errors(&app.gql(Some(&me.access), CASELOAD, json!({})).await);
    let less = (complexity - 1).to_string();
    let app = TestApp::spawn_with(&[("CONTINUUM_MAX_COMPLEXITY", less.as_str())]).await;
    let me = app.login_as(Role::Counselor).await;
    let refused = app.gql(Some(&me.access), CASELOAD, json!({})).await;
    assert!(message(&refused).contains("too complex"), "{refused}");
}

#[tokio::test]
async fn deeply_recursive_documents_are_answered_with_an_error_and_the_server_keeps_serving() {
    // 10,000 fragment definitions do not fit in 256 KiB: the body limit is raised here so that
    // what refuses them is the recursion limit.
    let app = TestApp::spawn_with(&[("CONTINUUM_MAX_BODY_BYTES", "4194304")]).await;
    let me = app.login_as(Role::Counselor).await;
    let auth = format!("Bearer {}", me.access);
    const N: usize = 10_000;

    // 10,000 nested lists in a variable: the JSON body itself is refused (400, serde_json's
    // recursion limit), not parsed into a stack overflow.
    let nested = format!("{}\"x\"{}", "[".repeat(N), "]".repeat(N));
    let body = format!(
        r#"{{"query":"query($f: ClientFilter) {{ clients(filter: $f) {{ totalCount }} }}","variables":{{"f":{{"search":{nested}}}}}}}"#
    );
    let (status, _, text) = app
        .request(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, &auth)
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "nested variables: {}", String::from_utf8_lossy(&text));
    let refused: Value = serde_json::from_slice(&text).expect("a JSON error");
    assert_code(&refused, "BAD_USER_INPUT");

    // 10,000 nested lists inline in an argument.
    let inline = format!("{{ clients(filter: {{ search: {nested} }}) {{ totalCount }} }}");
    let response = app.gql(Some(&me.access), &inline, json!({})).await;
    assert_code(&response, "BAD_USER_INPUT");
    assert_eq!(response["data"], json!(null), "{response}");

    // 10,000 fragments, each spreading the next.
    let mut fragments = String::from("{ ...F0 }\n");
    for i in 0..N {
        fragments.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
    }
    fragments.push_str(&format!("fragment F{N} on Query {{ me {{ id }} }}\n"));
    let response = app.gql(Some(&me.access), &fragments, json!({})).await;
    assert_code(&response, "BAD_USER_INPUT");
    // Refused by its size (20,000 names) before its depth is measured.
    assert!(message(&response).contains("fields"), "{}", message(&response));

    // 10,000 nested selections.
    let selections = supervisor_chain(N);
    let response = app.gql(Some(&me.access), &selections, json!({})).await;
    assert_code(&response, "BAD_USER_INPUT");
    assert_eq!(response["data"], json!(null));

    // Nested inline fragments, shallow enough to parse, deep enough for the recursion limit.
    let inline_fragments = format!("{{ {} me {{ id }} {} }}", "... on Query { ".repeat(40), "} ".repeat(40));
    let response = app.gql(Some(&me.access), &inline_fragments, json!({})).await;
    assert!(message(&response).contains("nests brackets more than 32 deep"), "{response}");

    let after = app.gql(Some(&me.access), "{ me { id } }", json!({})).await;
    assert_eq!(after["data"]["me"]["id"], me.staff_id.as_str(), "{after}");
}

#[tokio::test]
async fn more_directives_on_a_field_than_the_limit_are_refused() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;

    let many = format!("{{ me {{ id {} }} }}", "@include(if: true) ".repeat(51));
    let refused = app.gql(Some(&me.access), &many, json!({})).await;
    assert_code(&refused, "BAD_USER_INPUT");
    assert!(message(&refused).contains("number of directives"), "{refused}");
    assert_eq!(refused["data"], json!(null));

    // 50 is within the limit: what refuses it is only that @include may not repeat.
    let fifty = format!("{{ me {{ id {} }} }}", "@include(if: true) ".repeat(50));
    let response = app.gql(Some(&me.access), &fifty, json!({})).await;
    assert!(!message(&response).contains("number of directives"), "{response}");

    let few = "{ me { id @include(if: true) @skip(if: false) name @skip(if: true) } }";
    let response = app.gql(Some(&me.access), few, json!({})).await;
    assert_no_errors(&response);
    assert_eq!(response["data"]["me"]["id"], me.staff_id.as_str());
    assert!(response["data"]["me"].get("name").is_none());
}

#[tokio::test]
async fn alias_flooding_is_refused_before_any_resolver_runs() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let me = app.login_as(Role::Counselor).await;
    let count = "{ auditEvents(first: 1) { totalCount } }";
    let events = |r: Value| r["auditEvents"]["totalCount"].as_i64().unwrap_or_else(|| panic!("count: {r}"));

    let id = uuid::Uuid::now_v7();
    let aliases = |n: usize| {
        format!("{{ {} }}", (0..n).map(|i| format!("c{i}: client(id: \"{id}\") {{ id }}")).collect::<String>())
    };

    let before = events(app.gql_ok(Some(&admin.access), count, json!({})).await);
    let refused = app.gql(Some(&me.access), &aliases(100), json!({})).await;
    assert_code(&refused, "BAD_USER_INPUT");
    assert_eq!(message(&refused), "the query uses more than 30 aliases");
    assert_eq!(refused["data"], json!(null));
    let after = events(app.gql_ok(Some(&admin.access), count, json!({})).await);
    assert_eq!(after, before, "no resolver ran, so nothing was read or refused on the audit trail");

    // Aliases inside fragments count too.
    let in_fragment = format!(
        "{{ ...F }} fragment F on Query {{ {} }}",
        (0..31).map(|i| format!("m{i}: me {{ id }} ")).collect::<String>()
    );
    assert_eq!(
        message(&app.gql(Some(&me.access), &in_fragment, json!({})).await),
        "the query uses more than 30 aliases"
    );

    // 30 pass (each answers null: the client does not exist).
    let thirty = app.gql(Some(&me.access), &aliases(30), json!({})).await;
    assert_no_errors(&thirty);
    assert_eq!(thirty["data"]["c29"], json!(null));
}

fn batch(n: usize) -> Value {
    Value::Array((0..n).map(|_| json!({ "query": "{ me { id } }" })).collect())
}

#[tokio::test]
async fn a_batch_over_the_limit_is_refused_and_ten_pass() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let auth = format!("Bearer {}", me.access);

    let (status, refused) = app.post_graphql(Some(&auth), batch(50)).await;
    assert_eq!(status, StatusCode::OK);
    assert_code(&refused, "BAD_USER_INPUT");
    assert_eq!(message(&refused), "a batch holds at most 10 operations");
    let (_, refused) = app.post_graphql(Some(&auth), batch(11)).await;
    assert_code(&refused, "BAD_USER_INPUT");

    let (status, answered) = app.post_graphql(Some(&auth), batch(10)).await;
    assert_eq!(status, StatusCode::OK);
    let answers = answered.as_array().unwrap_or_else(|| panic!("an array of answers: {answered}"));
    assert_eq!(answers.len(), 10);
    for answer in answers {
        assert_eq!(answer["data"]["me"]["id"], me.staff_id.as_str(), "{answer}");
    }
}

fn padded_body(padding: usize) -> String {
    let query = "query($p: String) { me { id } clients(filter: { search: $p }) { totalCount } }";
    json!({ "query": query, "variables": { "p": "x".repeat(padding) } }).to_string()
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let auth = format!("Bearer {}", me.access);
    let send = |body: String| {
        Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, &auth)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .expect("request")
    };

    let big = padded_body(300 * 1024);
    assert!(big.len() > 256 * 1024);
    let (status, _, _) = app.request(send(big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Just under the limit is answered.
    let under = padded_body(250 * 1024);
    assert!(under.len() < 256 * 1024);
    let (status, _, text) = app.request(send(under)).await;
    assert_eq!(status, StatusCode::OK);
    let answer: Value = serde_json::from_slice(&text).expect("json");
    assert_eq!(answer["data"]["me"]["id"], me.staff_id.as_str());
}

/// A body sent in chunks, without Content-Length (HTTP/1.1 chunked, or HTTP/2), is cut off at
/// the limit as it is read, and should be answered 413 like one that declares its length.
#[tokio::test]
async fn a_streamed_body_over_the_limit_is_refused_with_413_too() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let streamed = |body: String| {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> =
            body.into_bytes().chunks(16 * 1024).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
        Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {}", me.access))
            .body(Body::from_stream(futures_util::stream::iter(chunks)))
            .expect("request")
    };

    let (status, _, text) = app.request(streamed(padded_body(250 * 1024))).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&text));

    let (status, _, text) = app.request(streamed(padded_body(300 * 1024))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{}", String::from_utf8_lossy(&text));
}

#[tokio::test]
async fn pages_are_capped_at_100_and_negative_sizes_are_refused() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;

    // 125 clients, 25 to a request.
    for batch in 0..5 {
        let registrations: String = (0..25)
            .map(|i| {
                format!(
                    "r{i}: registerClient(input: {{ firstName: \"Client{batch}x{i}\", lastName: \"Paged\", \
                     dateOfBirth: \"1980-01-01\", substances: [ALCOHOL], confirmNotDuplicate: true }}) {{ id }} "
                )
            })
            .collect();
        app.gql_ok(Some(&me.access), &format!("mutation {{ {registrations} }}"), json!({})).await;
    }

    let page = app
        .gql_ok(
            Some(&me.access),
            "{ clients(first: 1000) { totalCount edges { node { id } } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(page["clients"]["totalCount"], 125);
    assert_eq!(page["clients"]["edges"].as_array().map(Vec::len), Some(100), "capped at 100");
    assert_eq!(page["clients"]["pageInfo"]["hasNextPage"], true);

    for query in [
        "{ clients(first: -1) { totalCount } }",
        "{ followUps(first: -5) { totalCount } }",
        "{ worklist(first: -1) { totalCount } }",
        "{ staffMembers(first: -1) { totalCount } }",
    ] {
        let refused = app.gql(Some(&me.access), query, json!({})).await;
        assert_code(&refused, "BAD_USER_INPUT");
        assert_eq!(error_field(&refused), Some("first"), "{query}: {refused}");
    }
}

// ---------------------------------------------------------------------------------------
// Time, production mode, configuration.

#[tokio::test]
async fn a_request_over_the_time_limit_ends_with_timeout() {
    let app =
        TestApp::spawn_with(&[("CONTINUUM_FAULT_INJECTION", "true"), ("CONTINUUM_REQUEST_TIMEOUT_MS", "200")]).await;
    let me = app.login_as(Role::Counselor).await;

    let started = Instant::now();
    let response = app.gql(Some(&me.access), "{ debugSleep(ms: 5000) }", json!({})).await;
    let took = started.elapsed();
    assert_code(&response, "TIMEOUT");
    assert!(took < Duration::from_secs(2), "stopped at the limit, not after the sleep: {took:?}");
    assert!(took >= Duration::from_millis(200), "{took:?}");

    // Under the limit it answers, and the server is still there.
    let quick = app.gql(Some(&me.access), "{ debugSleep(ms: 10) me { id } }", json!({})).await;
    assert_no_errors(&quick);
    assert_eq!(quick["data"]["debugSleep"], true);
}

#[tokio::test]
async fn production_mode_hides_the_schema() {
    let dev = TestApp::spawn().await;
    let prod = TestApp::spawn_with(&[("CONTINUUM_ENV", "production")]).await;
    assert!(prod.state.config.is_production());
    let introspection = "{ __schema { types { name } } }";
    let misspelled = "{ clents { totalCount } }";

    // Development: introspection, suggestions and GraphiQL are there.
    let dev_admin = dev.admin().await;
    let dev_schema = dev.gql(Some(&dev_admin.access), introspection, json!({})).await;
    assert!(dev_schema["data"]["__schema"]["types"].is_array(), "{dev_schema}");
    let dev_typo = dev.gql(Some(&dev_admin.access), misspelled, json!({})).await;
    assert!(message(&dev_typo).contains("Did you mean"), "{dev_typo}");
    assert_eq!(dev.get("/graphql", None).await.0, StatusCode::OK);

    // Production: none of them.
    let admin = prod.admin().await;
    // A coded refusal, not a silent null: a tool that reads the schema from the URL says why.
    let schema = prod.gql(Some(&admin.access), introspection, json!({})).await;
    assert_code(&schema, "FORBIDDEN");
    assert_eq!(schema["errors"][0]["extensions"]["reason"], "INTROSPECTION_DISABLED", "{schema}");
    assert!(!schema.to_string().contains("Client"), "no type leaks: {schema}");
    let one_type = "{ __type(name: \"Client\") { fields { name } } }";
    let hidden = "query Sneaky { me { role } ...F } fragment F on Query { __type(name: \"Client\") { name } }";
    for token in [None, Some(admin.access.as_str())] {
        for document in [one_type, hidden] {
            let answer = prod.gql(token, document, json!({})).await;
            assert_eq!(answer["errors"][0]["extensions"]["reason"], "INTROSPECTION_DISABLED", "{answer}");
            assert!(!answer.to_string().contains("firstName"), "{answer}");
        }
    }
    let dev_type = dev.gql(Some(&dev_admin.access), one_type, json!({})).await;
    assert!(dev_type.to_string().contains("firstName"), "{dev_type}");

    let typo = prod.gql(Some(&admin.access), misspelled, json!({})).await;
    assert_code(&typo, "BAD_USER_INPUT");
    assert!(!typo.to_string().contains("Did you mean"), "{typo}");

    let (status, _) = prod.get("/graphql", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The API itself still works.
    let me = prod.gql_ok(Some(&admin.access), "{ me { role } }", json!({})).await;
    assert_eq!(me["me"]["role"], "ADMIN");
}

fn config(vars: &[(&str, &str)]) -> Result<Config, continuum::config::ConfigError> {
    let vars: std::collections::HashMap<String, String> =
        vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Config::from_lookup(|k| vars.get(k).cloned())
}

/// Runs the server binary with exactly these variables, in an empty directory (no `.env`);
/// returns its exit status and standard error, or fails if it is still running after 20 s.
fn run_server(vars: &[(&str, &str)]) -> (std::process::ExitStatus, String, bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("never.db");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_continuum"));
    command
        .env_clear()
        .current_dir(dir.path())
        .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", db.display()))
        .env("CONTINUUM_BIND", "127.0.0.1:0")
        .env("CONTINUUM_ADMIN_PASSWORD", "an-admin-password-for-this-run")
        .envs(vars.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("start continuum");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            return (status, stderr, db.exists());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server started with {vars:?} instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn production_refuses_a_weak_secret_and_fault_injection() {
    let long = "k".repeat(32);
    // In-process: the configuration refuses.
    assert_eq!(config(&[("CONTINUUM_ENV", "production")]).expect_err("no secret").name, "CONTINUUM_JWT_SECRET");
    let short = config(&[("CONTINUUM_ENV", "production"), ("CONTINUUM_JWT_SECRET", "short")]);
    assert_eq!(short.expect_err("short secret").name, "CONTINUUM_JWT_SECRET");
    let just_short = "k".repeat(31);
    assert!(config(&[("CONTINUUM_ENV", "production"), ("CONTINUUM_JWT_SECRET", &just_short)]).is_err());
    let no_audit_key = config(&[("CONTINUUM_ENV", "production"), ("CONTINUUM_JWT_SECRET", &long)]);
    assert_eq!(no_audit_key.expect_err("no audit key").name, "CONTINUUM_AUDIT_KEY");
    let short_key =
        config(&[("CONTINUUM_ENV", "production"), ("CONTINUUM_JWT_SECRET", &long), ("CONTINUUM_AUDIT_KEY", "short")]);
    assert_eq!(short_key.expect_err("a short audit key").name, "CONTINUUM_AUDIT_KEY");
    assert!(
        config(&[("CONTINUUM_ENV", "production"), ("CONTINUUM_JWT_SECRET", &long), ("CONTINUUM_AUDIT_KEY", &long)])
            .is_ok()
    );
    let faults = config(&[
        ("CONTINUUM_ENV", "production"),
        ("CONTINUUM_JWT_SECRET", &long),
        ("CONTINUUM_FAULT_INJECTION", "true"),
    ]);
    assert_eq!(faults.expect_err("fault injection in production").name, "CONTINUUM_FAULT_INJECTION");
    assert!(config(&[("CONTINUUM_FAULT_INJECTION", "true")]).expect("development").fault_injection);

    // The binary: exits non-zero before touching the database or binding.
    let (status, stderr, db_created) =
        run_server(&[("CONTINUUM_ENV", "production"), ("CONTINUUM_JWT_SECRET", "short")]);
    assert!(!status.success(), "{status}: {stderr}");
    assert!(stderr.contains("CONTINUUM_JWT_SECRET"), "{stderr}");
    assert!(!stderr.contains("short"), "the secret is not echoed: {stderr}");
    assert!(!db_created, "refused before connecting to the database");

    let (status, stderr, db_created) = run_server(&[
        ("CONTINUUM_ENV", "production"),
        ("CONTINUUM_JWT_SECRET", &long),
        ("CONTINUUM_FAULT_INJECTION", "true"),
    ]);
    assert!(!status.success(), "{status}: {stderr}");
    assert!(stderr.contains("CONTINUUM_FAULT_INJECTION"), "{stderr}");
    assert!(!db_created);
}

// ---------------------------------------------------------------------------------------
// Sign-in throttling.

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled_per_account_for_a_minute() {
    let app = TestApp::spawn().await;
    app.create_staff("target@continuum.test", "Tara Target", Role::Counselor, None).await;
    app.create_staff("bystander@continuum.test", "Bea Bystander", Role::Counselor, None).await;

    for attempt in 1..=5 {
        let refused = app.login("target@continuum.test", "not-the-password").await;
        assert_code(&refused, "UNAUTHENTICATED");
        assert!(refused["errors"][0]["extensions"]["retryAfter"].is_null(), "attempt {attempt}: {refused}");
    }
    // The sixth attempt is refused even with the right password, with a wait to respect.
    let throttled = app.login("target@continuum.test", PASSWORD).await;
    assert_code(&throttled, "RATE_LIMITED");
    let retry_after = throttled["errors"][0]["extensions"]["retryAfter"].as_u64().expect("retryAfter");
    assert!((1..=60).contains(&retry_after), "{throttled}");
    assert_eq!(throttled["data"], json!(null));
    // The address matching is case-insensitive: the same account, however spelled.
    assert_code(&app.login("TARGET@continuum.test", PASSWORD).await, "RATE_LIMITED");

    // Someone else signs in as usual.
    app.session("bystander@continuum.test", PASSWORD).await;

    // After the minute, the right password works again.
    app.clock.advance(chrono::Duration::seconds(61));
    let session = app.session("target@continuum.test", PASSWORD).await;
    assert!(!session.access.is_empty());
}

// ---------------------------------------------------------------------------------------
// Failures stay inside the server.

#[tokio::test]
async fn a_database_failure_is_masked_as_internal_error() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let before = app.gql_ok(Some(&me.access), "{ supportGroups { id meetings { id } } }", json!({})).await;
    assert!(!before["supportGroups"].as_array().expect("groups").is_empty(), "seeded directory");

    let drop = if app.db.is_postgres() { "DROP TABLE meetings CASCADE" } else { "DROP TABLE meetings" };
    app.state.db.execute_unprepared(drop).await.expect("drop meetings");

    let response = app.gql(Some(&me.access), "{ supportGroups { id meetings { id } } }", json!({})).await;
    assert_code(&response, "INTERNAL");
    let errors = response["errors"].as_array().expect("errors");
    for error in errors {
        assert_eq!(error["message"], "internal error", "{response}");
        assert_eq!(error["extensions"]["code"], "INTERNAL", "{response}");
    }
    // Nothing about the database leaves the server. (`path` names the client's own
    // fields, which may well include `meetings`.)
    let mut leaked = response.clone();
    for error in leaked["errors"].as_array_mut().expect("errors") {
        error.as_object_mut().expect("error").remove("path");
    }
    let text = leaked.to_string().to_lowercase();
    for secret in ["meetings", "select", "no such table", "relation", "sqlx", "sqlite", "postgres", "database"] {
        assert!(!text.contains(secret), "{secret:?} leaked: {response}");
    }

    // The rest of the API still answers.
    let me_again = app.gql_ok(Some(&me.access), "{ me { id } }", json!({})).await;
    assert_eq!(me_again["me"]["id"], me.staff_id.as_str());
}

#[tokio::test]
async fn a_panicking_resolver_ends_only_its_request() {
    let app = TestApp::spawn_with(&[("CONTINUUM_FAULT_INJECTION", "true")]).await;
    let me = app.login_as(Role::Counselor).await;

    let response = app.gql(Some(&me.access), "{ debugPanic }", json!({})).await;
    assert_code(&response, "INTERNAL");
    assert_eq!(message(&response), "internal error");
    assert!(!response.to_string().contains("on purpose"), "the panic message stays inside: {response}");

    let after = app.gql_ok(Some(&me.access), "{ me { id } }", json!({})).await;
    assert_eq!(after["me"]["id"], me.staff_id.as_str());

    // In a batch too.
    let auth = format!("Bearer {}", me.access);
    let (status, _) =
        app.post_graphql(Some(&auth), json!([{ "query": "{ me { id } }" }, { "query": "{ debugPanic }" }])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.gql_ok(Some(&me.access), "{ me { id } }", json!({})).await["me"]["id"], me.staff_id.as_str());

    // Without fault injection, the fields do not exist for anyone.
    let plain = TestApp::spawn().await;
    let me = plain.login_as(Role::Counselor).await;
    assert_code(&plain.gql(Some(&me.access), "{ debugPanic }", json!({})).await, "NOT_FOUND");
    assert_code(&plain.gql(Some(&me.access), "{ debugSleep(ms: 1) }", json!({})).await, "NOT_FOUND");
}

// ---------------------------------------------------------------------------------------
// Input validation.

fn client(first_name: &str, date_of_birth: &str) -> Value {
    json!({ "i": { "firstName": first_name, "lastName": "Valid", "dateOfBirth": date_of_birth,
        "substances": ["ALCOHOL"], "confirmNotDuplicate": true } })
}

#[tokio::test]
async fn malformed_input_is_bad_user_input() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let admin = app.admin().await;
    let token = Some(me.access.as_str());

    let long = "a".repeat(10_000);
    assert_code(&app.gql(token, REGISTER, client(&long, "1980-01-01")).await, "BAD_USER_INPUT");
    let tomorrow = (app.state.today() + chrono::Days::new(1)).to_string();
    assert_code(&app.gql(token, REGISTER, client("Future", &tomorrow)).await, "BAD_USER_INPUT");
    assert_code(&app.gql(token, REGISTER, client("Future", "2150-06-01")).await, "BAD_USER_INPUT");
    assert_code(&app.gql(token, REGISTER, client("Ancient", "1899-12-31")).await, "BAD_USER_INPUT");
    assert_code(&app.gql(token, REGISTER, client("Nonsense", "1980-02-30")).await, "BAD_USER_INPUT");
    assert_code(&app.gql(token, REGISTER, client("", "1980-01-01")).await, "BAD_USER_INPUT");

    let mut robot = client("Robo", "1980-01-01");
    robot["i"]["gender"] = json!("ROBOT");
    assert_code(&app.gql(token, REGISTER, robot).await, "BAD_USER_INPUT");
    let inline_enum = app
        .gql(
            token,
            "mutation { registerClient(input: { firstName: \"A\", lastName: \"B\", dateOfBirth: \"1980-01-01\", substances: [KRYPTONITE] }) { id } }",
            json!({}),
        )
        .await;
    assert_code(&inline_enum, "BAD_USER_INPUT");

    let staff = "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }";
    for email in ["not-an-email", "two@@at.test", "", "spaces in@it.test"] {
        let input = json!({ "i": { "email": email, "name": "Eve", "role": "COUNSELOR", "password": PASSWORD } });
        let refused = app.gql(Some(&admin.access), staff, input).await;
        assert_code(&refused, "BAD_USER_INPUT");
    }

    // Nothing was stored by any of it.
    let clients = app.gql_ok(token, "{ clients { totalCount } }", json!({})).await;
    assert_eq!(clients["clients"]["totalCount"], 0);
}

#[tokio::test]
async fn metacharacters_are_stored_and_returned_exactly() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let token = Some(me.access.as_str());
    let name = "Robert'); DROP TABLE clients;--<script>alert(\"x\")</script>";
    let last = "O'Brien \\ % _ ` ${x} {{y}} \u{0301}é 🦀";

    let mut input = client(name, "1980-01-01");
    input["i"]["lastName"] = json!(last);
    let created = app.gql_ok(token, REGISTER, input).await;
    assert_eq!(created["registerClient"]["firstName"], name);
    assert_eq!(created["registerClient"]["lastName"], last);
    let id = created["registerClient"]["id"].as_str().expect("id");

    let read =
        app.gql_ok(token, "query($id: ID!) { client(id: $id) { firstName lastName } }", json!({ "id": id })).await;
    assert_eq!(read["client"]["firstName"], name);
    assert_eq!(read["client"]["lastName"], last);
    // The search treats them as text, too.
    let found = app
        .gql_ok(
            token,
            "query($s: String) { clients(filter: { search: $s }) { totalCount } }",
            json!({ "s": "'); DROP TABLE" }),
        )
        .await;
    assert_eq!(found["clients"]["totalCount"], 1);
    // `%` and `_` are matched literally: a second client without them is not found.
    app.gql_ok(token, REGISTER, client("Plain", "1980-01-01")).await;
    for pattern in ["%", "_"] {
        let found = app
            .gql_ok(
                token,
                "query($s: String) { clients(filter: { search: $s }) { totalCount } }",
                json!({ "s": pattern }),
            )
            .await;
        assert_eq!(found["clients"]["totalCount"], 1, "search {pattern:?}");
    }
}

/// A NUL character (U+0000) is valid in a GraphQL or JSON string but cannot be stored in a
/// PostgreSQL text column (nor sent as a text parameter): whatever the field, the answer must
/// be a refusal (BAD_USER_INPUT) or the text returned exactly, never an internal error, and the
/// same on SQLite and PostgreSQL.
#[tokio::test]
async fn a_nul_character_in_text_input_is_refused_not_an_internal_error() {
    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let admin = app.admin().await;
    let token = Some(me.access.as_str());
    let nul = "A\u{0}B";

    let mut failures = Vec::new();
    // Refused, or accepted and (where the answer shows it) returned exactly.
    let check = |what: &str, response: &Value, echoed: Option<&Value>| -> Option<String> {
        let fine = match error_code(response) {
            Some(code) => code == "BAD_USER_INPUT",
            None => echoed.is_none_or(|v| v == nul),
        };
        (!fine).then(|| format!("{what}: {response}"))
    };

    let registered = app.gql(token, REGISTER, client(nul, "1980-01-01")).await;
    failures.extend(check(
        "registerClient.firstName",
        &registered,
        Some(&registered["data"]["registerClient"]["firstName"]),
    ));
    let mut input = client("Nul", "1980-01-01");
    input["i"]["preferredName"] = json!(nul);
    let registered = app.gql(token, REGISTER, input).await;
    failures.extend(check("registerClient.preferredName", &registered, None));

    let search = app
        .gql(token, "query($s: String) { clients(filter: { search: $s }) { totalCount } }", json!({ "s": nul }))
        .await;
    failures.extend(check("clients.filter.search", &search, None));

    let login = app.login(nul, nul).await;
    let code = error_code(&login);
    if code != Some("UNAUTHENTICATED") && code != Some("BAD_USER_INPUT") {
        failures.push(format!("login.email: {login}"));
    }

    let group = app
        .gql(
            Some(&admin.access),
            "mutation($n: String!) { createSupportGroup(input: { name: $n, abbreviation: \"NUL\", twelveStep: false, description: \"d\" }) { name } }",
            json!({ "n": nul }),
        )
        .await;
    failures.extend(check("createSupportGroup.name", &group, Some(&group["data"]["createSupportGroup"]["name"])));

    let inline = app.gql(token, "{ clients(filter: { search: \"A\\u0000B\" }) { totalCount } }", json!({})).await;
    failures.extend(check("clients.filter.search (inline \\u0000)", &inline, None));

    assert!(failures.is_empty(), "NUL in text input:\n{}", failures.join("\n"));
    assert_eq!(app.gql_ok(token, "{ me { id } }", json!({})).await["me"]["id"], me.staff_id.as_str());
}

/// The introspection query GraphiQL, codegen and editors send (graphql-js
/// `getIntrospectionQuery()`, with its nine levels of `ofType`): answered in development at
/// the default depth limit, which a data query of that depth would exceed.
#[tokio::test]
async fn the_standard_introspection_query_works_at_any_depth_limit_outside_production() {
    const INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name } mutationType { name }
      subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
    fragment FullType on __Type { kind name description specifiedByURL
      fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
      inputFields { ...InputValue } interfaces { ...TypeRef }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
    fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
    fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
      ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }";
    for depth in ["10", "4"] {
        let app = TestApp::spawn_with(&[("CONTINUUM_MAX_DEPTH", depth)]).await;
        let answer = app.gql(None, INTROSPECTION, json!({})).await;
        assert!(answer["errors"].is_null(), "depth limit {depth}: {answer}");
        let types = answer["data"]["__schema"]["types"].as_array().cloned().unwrap_or_default();
        assert!(types.iter().any(|t| t["name"] == "Client"), "the schema: {answer}");
        let date_time = types.iter().find(|t| t["name"] == "DateTime").cloned().unwrap_or_default();
        assert_eq!(date_time["specifiedByURL"], "https://scalars.graphql.org/andimarek/date-time", "{date_time}");
        // A data query past the limit is still refused.
        if depth == "4" {
            let deep = "{ clients { nodes { referrals { supportGroup { meetings { id } } } } } }";
            let refused = app.gql(None, deep, json!({})).await;
            assert!(refused.to_string().contains("too deep"), "{refused}");
        }
    }
}
