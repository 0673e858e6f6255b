//! `serve --demo`: the demo team and caseload load through the real services, once, and a
//! counselor signs in to a caseload spread over every stage.

use continuum::service::demo;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_demo_loads_once_and_a_counselor_sees_a_caseload_in_every_stage() {
    let app = TestApp::spawn().await;
    let sign_ins = demo::load(&app.state).await.expect("the demo loads");
    assert_eq!(sign_ins.len(), 3);
    // Loading again changes nothing.
    assert_eq!(demo::load(&app.state).await.expect("a second load is a no-op").len(), 3);

    let me = app.session(demo::COUNSELORS[0], demo::DEMO_PASSWORD).await;
    let data = app
        .gql_ok(
            Some(&me.access),
            "{ clients(first: 50) { totalCount nodes { currentEpisode { stage } referrals { status } } } }",
            json!({}),
        )
        .await;
    let nodes = data["clients"]["nodes"].as_array().cloned().unwrap_or_default();
    assert_eq!(data["clients"]["totalCount"], 6, "half the dozen demo clients are this counselor's: {data}");
    for stage in ["DETOX", "REHAB", "AFTERCARE"] {
        assert!(nodes.iter().any(|n| n["currentEpisode"]["stage"] == stage), "someone in {stage}: {data}");
    }
    assert!(nodes.iter().any(|n| n["referrals"].as_array().is_some_and(|r| !r.is_empty())), "{data}");
    let census = app.gql_ok(Some(&me.access), "{ stageCensus { stage clients } }", json!({})).await;
    assert!(census["stageCensus"].as_array().is_some_and(|c| c.len() == 3), "{census}");
}
