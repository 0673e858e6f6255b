//! The example portal client (`examples/portal-client`, TypeScript typed by
//! `@graphql-codegen` from `schema.graphql` and the README's operations) runs against the
//! built binary serving the demo caseload: it signs in as a counselor, pages the caseload
//! to its end and receives, over the socket, the event of a client it registers.
//!
//! `.ci/run` installs its packages and builds it (`npm ci`, then `npm run build`, which
//! runs codegen and `tsc`): a schema change that breaks the README's operations or the
//! example's fails there, and a behaviour change fails here. Without Node.js or the built
//! example the test says so and passes on a developer's machine; in CI (`CI` set) it fails.

use std::{path::Path, process::Command};

use serde_json::Value;

use crate::helpers::*;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/portal-client");

fn built() -> bool {
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    node && Path::new(EXAMPLE).join("dist/main.js").exists()
}

#[tokio::test]
async fn the_example_client_signs_in_pages_the_caseload_and_hears_its_own_change() {
    if !built() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have node and the built example (npm ci && npm run build in examples/portal-client)"
        );
        eprintln!("SKIPPED the example client: node or examples/portal-client/dist missing (npm run build there)");
        return;
    }
    let server = BinaryServer::start_with(&["serve", "--demo"], &[]).await;
    let base = server.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(Path::new(EXAMPLE).join("dist/main.js"))
            .args([base.as_str(), "counselor1@demo.continuum", "quiet-river-lantern-83"])
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the example failed: {stdout} {}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the example's report ({e}): {stdout}"));

    assert_eq!(seen["signedInAs"], "COUNSELOR", "{seen}");
    // The demo gives each counselor several clients: more than one page of five.
    let total = seen["totalCount"].as_u64().expect("totalCount");
    assert!(total > 5, "{seen}");
    assert_eq!(seen["clientsSeen"].as_u64(), Some(total), "every client once, across the pages: {seen}");
    assert_eq!(seen["distinctClients"].as_u64(), Some(total), "no client on two pages: {seen}");
    assert_eq!(seen["pages"].as_u64(), Some(total.div_ceil(5)), "{seen}");
    assert_eq!(seen["event"]["kind"], "CLIENT_REGISTERED", "{seen}");
    assert_eq!(seen["event"]["clientId"], seen["registered"], "{seen}");
    assert_eq!(seen["event"]["client"]["firstName"], "Example", "the event's client object: {seen}");
    assert_eq!(seen["event"]["actor"]["name"], "Alex Kim (demo counselor)", "the event's actor: {seen}");
}
