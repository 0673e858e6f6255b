//! GraphiQL from the binary with no network: headless Chromium (driven by playwright-core,
//! `tests/browser/graphiql.mjs`) opens `GET /graphql` on the built server with every request
//! to anywhere else refused, renders GraphiQL, loads the Docs (the schema fetched by
//! introspection, at the default depth limit), runs `Me` with the bearer header, and the
//! screenshot is saved. The assertions are on what the page showed.
//!
//! Needs Chromium, Node.js and `npm ci --prefix tests/browser` (`.ci/run` does all three).
//! Without them the test says so and passes on a developer's machine; in CI (`CI` set) it
//! fails instead.

use std::{path::Path, process::Command};

use serde_json::{Value, json};

use crate::helpers::*;

fn tools() -> Option<(String, String)> {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists())?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/graphiql.mjs");
    let installed =
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/node_modules/playwright-core")).exists();
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    (installed && node).then(|| (chromium.to_owned(), script.to_owned()))
}

#[tokio::test]
async fn graphiql_works_with_no_network_renders_the_docs_and_runs_me_with_the_bearer_header() {
    let Some((chromium, script)) = tools() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium, node and tests/browser/node_modules (npm ci --prefix tests/browser)"
        );
        eprintln!(
            "SKIPPED the GraphiQL browser test: chromium, node or playwright-core (npm ci --prefix tests/browser) missing"
        );
        return;
    };
    let server = BinaryServer::start(&[]).await;
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{}/graphql", server.base))
        .json(
            &json!({ "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                       "variables": { "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD } }),
        )
        .send()
        .await
        .expect("login answers")
        .json::<Value>()
        .await
        .expect("JSON");
    let token = login["data"]["login"]["accessToken"].as_str().expect("an access token").to_owned();

    // The page loads its scripts from the server, under a policy that allows nothing else.
    let page = http.get(format!("{}/graphql", server.base)).send().await.expect("the page");
    let policy =
        page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"), "{policy}");
    let html = page.text().await.expect("html");
    assert!(!html.contains("unpkg") && !html.contains("cdn") && !html.contains("https://"), "no CDN: {html}");

    let dir = tempfile::tempdir().expect("temp dir");
    let screenshot = dir.path().join("graphiql.png");
    let base = server.base.clone();
    let shot = screenshot.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(script).arg(&base).arg(&token).arg(&shot).env("CHROMIUM", chromium).output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let seen: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("the script's report ({e}): {stdout} {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(seen["rendered"], true, "GraphiQL rendered: {seen}");
    assert_eq!(seen["outside"], json!([]), "nothing was fetched from outside the server: {seen}");
    assert_eq!(seen["errors"], json!([]), "no script errors: {seen}");
    let result = seen["result"].as_str().unwrap_or_default();
    assert!(result.contains(ADMIN_EMAIL) && result.contains("ADMIN"), "Me ran with the bearer header: {result}");
    let docs = seen["docs"].as_str().unwrap_or_default();
    assert!(docs.contains("Query") && docs.contains("Mutation"), "the Docs show the schema: {docs}");
    let size = std::fs::metadata(&screenshot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "a screenshot ({size} bytes)");
    if let Ok(keep) = std::env::var("GRAPHIQL_SCREENSHOT") {
        let _ = std::fs::copy(&screenshot, keep);
    }
}
