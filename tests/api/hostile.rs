//! Hostile documents against the built `continuum` binary in production mode, with no
//! token: a stack overflow would abort the process, and exponential validation would hold
//! a worker, so these run against a real process whose death or stall the test can see.
//! Each document is refused with a coded error in milliseconds, the process stays up, and
//! `/healthz` keeps answering quickly while the documents arrive.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::*;

/// The documents an attacker sends, each well under the body limit.
/// Each is the document's name and the raw JSON body of the request (`query` and, for the
/// last one, `variables`).
pub fn hostile_documents() -> Vec<(&'static str, String)> {
    let doubling = {
        let mut q = String::from("query { ...F0 }\n");
        for i in 0..31 {
            q.push_str(&format!("fragment F{i} on Query {{ ...F{} ...F{} }}\n", i + 1, i + 1));
        }
        q.push_str("fragment F31 on Query { __typename }\n");
        q
    };
    let chain = {
        let mut q = String::from("query { ...F0 }\n");
        for i in 0..3000 {
            q.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        q.push_str("fragment F3000 on Query { __typename }\n");
        q
    };
    // Raw JSON: building this as a `Value` would overflow the test's own stack.
    let deep_json = format!("{}1{}", "[".repeat(2000), "]".repeat(2000));
    let raw = |query: String| json!({ "query": query }).to_string();
    vec![
        (
            "a list value nested 3,000 deep",
            raw(format!("{{ __typename(x: {}1{}) }}", "[".repeat(3000), "]".repeat(3000))),
        ),
        (
            "an input object nested 4,000 deep",
            raw(format!("{{ __typename(x: {}1{}) }}", "{a: ".repeat(4000), "}".repeat(4000))),
        ),
        ("selections nested 5,000 deep", raw(format!("{}{}", "{ me ".repeat(5000), "}".repeat(5000)))),
        ("fragments that each spread the next one twice, 31 levels", raw(doubling)),
        ("a chain of 3,000 fragments", raw(chain)),
        (
            "a directive argument nested 3,000 deep",
            raw(format!("{{ __typename @skip(if: {}true{}) }}", "[".repeat(3000), "]".repeat(3000))),
        ),
        (
            "a variable nested 2,000 deep",
            format!(r#"{{"query": "query($v: Int) {{ __typename }}", "variables": {{"v": {deep_json}}}}}"#),
        ),
        ("20,000 fields", raw(format!("{{ {} }}", "__typename ".repeat(20_000)))),
    ]
}

fn post(http: &reqwest::Client, base: &str, body: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}/graphql")).header("content-type", "application/json").body(body.to_owned())
}

/// A refusal is a coded error in a 200 (or a 400 for JSON the server will not read), never
/// a 5xx, a dropped connection or data.
pub fn assert_refused(what: &str, status: u16, body: &str) {
    assert!(status == 200 || status == 400, "{what}: status {status}: {body}");
    let json: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: JSON ({e}): {body}"));
    assert!(json["data"].is_null(), "{what}: no data: {json}");
    assert_eq!(json["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{what}: {json}");
}

#[tokio::test]
async fn hostile_documents_are_refused_in_milliseconds_and_the_node_keeps_serving() {
    let mut server = BinaryServer::start(&[("CONTINUUM_ENV", "production")]).await;
    let http = reqwest::Client::new();
    let documents = hostile_documents();

    for (what, body) in &documents {
        let started = Instant::now();
        let response = post(&http, &server.base, body).send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let took = started.elapsed();
        assert_refused(what, status, &text);
        // Milliseconds on a quiet machine; the bound only rules out the seconds-to-hours a
        // document takes when its size or shape multiplies the work.
        assert!(took < Duration::from_secs(5), "{what}: refused in {took:?}");
        println!("{what}: refused in {took:?}");
        assert!(server.alive(), "{what}: the process is still running");
    }

    // The same documents, four at a time in a loop, while /healthz is timed.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut attackers = Vec::new();
    for _ in 0..4 {
        let (http, base, documents, stop) = (http.clone(), server.base.clone(), documents.clone(), stop.clone());
        attackers.push(tokio::spawn(async move {
            let mut sent = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for (what, body) in &documents {
                    let response = post(&http, &base, body).send().await.expect(what);
                    let status = response.status().as_u16();
                    assert_refused(what, status, &response.text().await.unwrap_or_default());
                    sent += 1;
                }
            }
            sent
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut timings = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let response = http.get(format!("{}/healthz", server.base)).send().await.expect("healthz answers");
        timings.push(started.elapsed());
        assert_eq!(response.status().as_u16(), 200);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut sent = 0;
    for attacker in attackers {
        sent += attacker.await.expect("an attacker task");
    }
    timings.sort();
    let median = timings[timings.len() / 2];
    let p90 = timings[timings.len() * 9 / 10];
    println!(
        "/healthz under {sent} hostile documents: median {median:?}, p90 {p90:?}, max {:?}",
        timings[timings.len() - 1]
    );
    assert!(median < Duration::from_millis(100), "/healthz answers in under 100 ms: {timings:?}");
    assert!(server.alive(), "the process survived");

    // And it still serves real work.
    let login = http
        .post(format!("{}/graphql", server.base))
        .json(
            &json!({ "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                        "variables": { "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD } }),
        )
        .send()
        .await
        .expect("login answers");
    let login: Value = login.json().await.expect("JSON");
    assert!(login["data"]["login"]["accessToken"].is_string(), "{login}");
}
