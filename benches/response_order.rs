//! What putting response keys back in selection order costs, beside what the server does
//! with every response anyway (serialising it to JSON). A caseload page of 100 clients with
//! nested referrals, contacts and episode history: once with every object's keys reversed
//! (the worst case: every object sorted), once already in order (only the check); each pass
//! works on a fresh copy. Medians of `ROUNDS` rounds,
//! measured side by side in one run.
//!
//! `cargo bench --bench response_order`

use std::time::{Duration, Instant};

use async_graphql::Value;
use continuum::graphql::order::Plan;

const ROUNDS: usize = 31;
const PASSES: usize = 50;

const QUERY: &str = "query Caseload { clients(first: 100) { totalCount nodes { id firstName lastName
    preferredName dateOfBirth language version
    nextFollowUp { id dueOn status kind }
    referrals { id status weeklyGoal supportGroup { abbreviation name } meeting { name dayOfWeek startTime } }
    currentEpisode { id stage levelOfCare stageHistory { to at levelOfCare } } } pageInfo { hasNextPage endCursor } } }";

/// A node with its keys in reverse order: the worst case for the sort.
fn node(i: usize) -> serde_json::Value {
    let referral = |n: usize| {
        serde_json::json!({ "meeting": { "startTime": "19:00", "dayOfWeek": 2, "name": format!("Meeting {n}") },
            "supportGroup": { "name": "Narcotics Anonymous", "abbreviation": "NA" },
            "weeklyGoal": 2, "status": "ENGAGED", "id": format!("r{i}-{n}") })
    };
    serde_json::json!({
        "currentEpisode": { "stageHistory": [
            { "levelOfCare": "WM_3_7", "at": "2026-11-01T10:00:00Z", "to": "DETOX" },
            { "levelOfCare": "L3_5", "at": "2026-11-08T10:00:00Z", "to": "REHAB" } ],
            "levelOfCare": "L3_5", "stage": "REHAB", "id": format!("e{i}") },
        "referrals": [referral(1), referral(2), referral(3)],
        "nextFollowUp": { "kind": "AFTERCARE", "status": "SCHEDULED", "dueOn": "2026-12-08", "id": format!("f{i}") },
        "version": 3, "language": "en", "dateOfBirth": "1984-06-01", "preferredName": null,
        "lastName": "Rivera", "firstName": format!("Client {i}"), "id": format!("c{i}")
    })
}

fn reversed(value: serde_json::Value) -> Value {
    let mut value = Value::from_json(value).unwrap_or(Value::Null);
    fn reverse(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.reverse();
                map.values_mut().for_each(reverse);
            }
            Value::List(items) => items.iter_mut().for_each(reverse),
            _ => {}
        }
    }
    reverse(&mut value);
    value
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let document = async_graphql::parser::parse_query(QUERY).expect("the query parses");
    let response = reversed(serde_json::json!({ "clients": {
        "pageInfo": { "endCursor": "x", "hasNextPage": true },
        "nodes": (0..100).map(node).collect::<Vec<_>>(),
        "totalCount": 812,
    } }));
    let in_order = {
        let mut copy = response.clone();
        Plan::of(&document, Some("Caseload")).expect("a plan").apply(&mut copy);
        copy
    };
    let (mut plan_only, mut reorder, mut serialise, mut ordered) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let mut already: Vec<Value> = (0..PASSES).map(|_| in_order.clone()).collect();
        let started = Instant::now();
        for copy in &mut already {
            Plan::of(&document, Some("Caseload")).expect("a plan").apply(copy);
        }
        ordered.push(started.elapsed() / PASSES as u32);

        let copies: Vec<Value> = (0..PASSES).map(|_| response.clone()).collect();
        let started = Instant::now();
        for _ in 0..PASSES {
            std::hint::black_box(Plan::of(&document, Some("Caseload")));
        }
        plan_only.push(started.elapsed() / PASSES as u32);

        let mut copies = copies;
        let started = Instant::now();
        for copy in &mut copies {
            let plan = Plan::of(&document, Some("Caseload")).expect("a plan");
            plan.apply(copy);
        }
        reorder.push(started.elapsed() / PASSES as u32);

        let started = Instant::now();
        for copy in &copies {
            std::hint::black_box(serde_json::to_vec(copy).expect("serialises"));
        }
        serialise.push(started.elapsed() / PASSES as u32);
    }
    let (plan_only, reorder, serialise, ordered) =
        (median(plan_only), median(reorder), median(serialise), median(ordered));
    let bytes = serde_json::to_vec(&response).map(|b| b.len()).unwrap_or(0);
    println!("response: 100 clients, {bytes} bytes of JSON; medians of {ROUNDS} rounds of {PASSES} passes");
    println!("build the plan          {:>9.1} µs", plan_only.as_secs_f64() * 1e6);
    println!("plan + check, in order  {:>9.1} µs", ordered.as_secs_f64() * 1e6);
    println!("plan + reorder, reversed{:>9.1} µs", reorder.as_secs_f64() * 1e6);
    println!("serialise to JSON       {:>9.1} µs", serialise.as_secs_f64() * 1e6);
    println!("in order / serialise    {:>9.2}", ordered.as_secs_f64() / serialise.as_secs_f64());
    println!("reversed / serialise    {:>9.2}", reorder.as_secs_f64() / serialise.as_secs_f64());
}
