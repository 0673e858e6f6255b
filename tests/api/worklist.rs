//! The worklist: one client for each kind of item and clients needing nothing, built through
//! GraphQL on a moving clock; the whole list, its order, reasons, dates and subjects; each
//! counselor's own, the supervisor's team and one counselor of it; paging; admins refused.

use chrono::{Days, Duration, NaiveDate};
use continuum::domain::Role;
use serde_json::{Value, json};

use crate::documents::{ATTEND, RECORD_FOLLOW_UP, REFER, SCHEDULE_FOLLOW_UP};
use crate::fixtures::*;
use crate::helpers::*;

const FOLLOW_UPS: &str = "query($id: ID!) { client(id: $id) { followUps { id dueOn scheduleDays status } } }";

const WORKLIST: &str = "query($c: ID, $first: Int, $after: String) {
    worklist(counselorId: $c, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node {
            kind reason since
            client { id firstName primaryCounselor { id } }
            followUp { id dueOn status }
            referral { id status supportGroup { abbreviation } }
            episode { id stage open }
        } }
    }
}";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("a string: {v}")).to_owned()
}

/// An admission `days_ago` days back (0: now), at L3.5 for REHAB.
fn admitted(app: &TestApp, client: &str, stage: &str, days_ago: i64) -> Admission {
    let admission = admission(client, stage).at(app.state.now() - Duration::days(days_ago));
    if stage == "REHAB" { admission.level("L3_5") } else { admission }
}

/// Refers the client; returns the referral id.
async fn refer(app: &TestApp, token: &str, client: &str, group: &str, status: &str, goal: Option<i32>) -> String {
    let group = group_id(app, token, group).await;
    let input = json!({ "clientId": client, "supportGroupId": group, "status": status, "weeklyGoal": goal });
    let data = app.gql_ok(Some(token), REFER, json!({ "i": input })).await;
    assert_eq!(data["referToSupportGroup"]["status"], status);
    s(&data["referToSupportGroup"]["id"])
}

async fn attend(app: &TestApp, token: &str, referral: &str, on: NaiveDate) {
    let input = json!({ "referralId": referral, "attendedOn": on.to_string() });
    app.gql_ok(Some(token), ATTEND, json!({ "i": input })).await;
}

/// Schedules a follow-up by hand; returns its id.
async fn schedule(app: &TestApp, token: &str, client: &str, due: NaiveDate) -> String {
    let input = json!({ "clientId": client, "dueOn": due.to_string() });
    s(&app.gql_ok(Some(token), SCHEDULE_FOLLOW_UP, json!({ "i": input })).await["scheduleFollowUp"]["id"])
}

async fn follow_up_ids(app: &TestApp, token: &str, client: &str) -> Vec<(String, String)> {
    let data = app.gql_ok(Some(token), FOLLOW_UPS, json!({ "id": client })).await;
    data["client"]["followUps"].as_array().expect("follow-ups").iter().map(|f| (s(&f["id"]), s(&f["dueOn"]))).collect()
}

/// The whole worklist in one page.
async fn worklist(app: &TestApp, token: &str, counselor: Option<&str>) -> Vec<Value> {
    let data = app.gql_ok(Some(token), WORKLIST, json!({ "c": counselor, "first": 100 })).await;
    let connection = &data["worklist"];
    assert_eq!(connection["pageInfo"]["hasNextPage"], false);
    let nodes: Vec<Value> = connection["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect();
    assert_eq!(connection["totalCount"], nodes.len(), "totalCount counts the whole list");
    nodes
}

/// What one item must be: its kind, since, client and subject (which record, which id).
#[derive(Clone)]
struct Expect {
    kind: &'static str,
    since: NaiveDate,
    client: String,
    subject: (&'static str, String),
    /// Words the reason must hold.
    words: Vec<String>,
}

fn key(node: &Value) -> (String, String, String) {
    let subject = ["followUp", "referral", "episode"]
        .iter()
        .find_map(|field| node[*field].as_object().map(|o| s(&o["id"])))
        .unwrap_or_default();
    (s(&node["kind"]), s(&node["since"]), subject)
}

#[track_caller]
fn assert_items(nodes: &[Value], expected: &[Expect]) {
    let got: Vec<(String, String, String)> = nodes.iter().map(key).collect();
    let want: Vec<(String, String, String)> =
        expected.iter().map(|e| (e.kind.to_owned(), e.since.to_string(), e.subject.1.clone())).collect();
    assert_eq!(got, want, "the whole list, in order: {nodes:#?}");
    for (node, e) in nodes.iter().zip(expected) {
        assert_eq!(node["client"]["id"], e.client.as_str(), "{node}");
        for field in ["followUp", "referral", "episode"] {
            assert_eq!(
                node[field].is_object(),
                field == e.subject.0,
                "only the {} is the subject: {node}",
                e.subject.0
            );
        }
        let reason = s(&node["reason"]);
        for word in &e.words {
            assert!(reason.contains(word.as_str()), "{}: the reason {reason:?} holds {word:?}", e.kind);
        }
    }
}

#[tokio::test]
async fn the_worklist_holds_one_item_per_thing_to_do_most_urgent_first() {
    let app = TestApp::spawn().await;
    let supervisor_id = app.create_staff("sue-wl@continuum.test", "Sue Lead", Role::Supervisor, None).await;
    let ann_id = app.create_staff("ann-wl@continuum.test", "Ann Worker", Role::Counselor, Some(&supervisor_id)).await;
    let bob_id = app.create_staff("bob-wl@continuum.test", "Bob Worker", Role::Counselor, Some(&supervisor_id)).await;
    app.create_staff("cy-wl@continuum.test", "Cy Outsider", Role::Counselor, None).await;
    let ann = app.session("ann-wl@continuum.test", PASSWORD).await;
    let a = ann.access.as_str();

    // Two weeks and a day before "today": the referrals that will have gone quiet, or fall
    // short of their goal.
    let start = app.state.today();
    let disengaging = client("Dee", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    admitted(&app, &disengaging, "REHAB", 0).admit(&app, a).await;
    let quiet_na = refer(&app, a, &disengaging, "NA", "REFERRED", None).await;
    attend(&app, a, &quiet_na, start).await;
    let never_aa = refer(&app, a, &disengaging, "AA", "REFERRED", None).await;
    let low = client("Lou", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    admitted(&app, &low, "REHAB", 0).admit(&app, a).await;
    let low_smart = refer(&app, a, &low, "SMART", "REFERRED", Some(3)).await;

    app.clock.advance(Duration::days(15));
    let ann = app.session("ann-wl@continuum.test", PASSWORD).await;
    let a = ann.access.as_str();
    let bob = app.session("bob-wl@continuum.test", PASSWORD).await;
    let cy = app.session("cy-wl@continuum.test", PASSWORD).await;
    let sue = app.session("sue-wl@continuum.test", PASSWORD).await;
    let today = app.state.today();
    assert_eq!(today, start + Days::new(15));
    let ago = |n: u64| today - Days::new(n);

    // Two meetings in 15 days at a goal of 3 a week: 2 of 6.43, 31 %.
    attend(&app, a, &low_smart, ago(1)).await;
    attend(&app, a, &low_smart, today).await;

    // In aftercare for 40 days: the 7- and 30-day follow-ups are overdue (33 and 10 days).
    let long_overdue = client("Oona", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    admitted(&app, &long_overdue, "AFTERCARE", 40).admit(&app, a).await;
    refer(&app, a, &long_overdue, "CA", "REFERRED", None).await;
    let long_follow_ups = follow_up_ids(&app, a, &long_overdue).await;
    assert_eq!(long_follow_ups[0].1, ago(33).to_string());
    assert_eq!(long_follow_ups[1].1, ago(10).to_string());
    // In aftercare for 10 days: the 7-day follow-up is 3 days overdue.
    let overdue = client("Olly", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    admitted(&app, &overdue, "AFTERCARE", 10).admit(&app, a).await;
    refer(&app, a, &overdue, "NA", "REFERRED", None).await;
    let overdue_follow_ups = follow_up_ids(&app, a, &overdue).await;
    assert_eq!(overdue_follow_ups[0].1, ago(3).to_string());
    // In treatment, a contact due today.
    let due_today = client("Fay", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    admitted(&app, &due_today, "REHAB", 0).admit(&app, a).await;
    let due_today_follow_up = schedule(&app, a, &due_today, today).await;
    // In aftercare for 5 days with only a PLANNED referral: no active support.
    let unsupported = client("Uma", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    let unsupported_episode = admitted(&app, &unsupported, "AFTERCARE", 5).admit(&app, a).await.id;
    refer(&app, a, &unsupported, "CA", "PLANNED", None).await;
    // Left residential treatment against advice today: first on the list, with the
    // post-discharge contacts scheduled.
    let left = client("Xan", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    let left_episode = admitted(&app, &left, "REHAB", 3).admit(&app, a).await.id;
    discharge(&app, a, &left_episode, 1, "LEFT_AGAINST_ADVICE").await;
    let left_follow_ups = follow_up_ids(&app, a, &left).await;
    let due: Vec<&str> = left_follow_ups.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(due[..2], [today + Days::new(7), today + Days::new(30)].map(|d| d.to_string()), "7 and 30 days on");
    assert_eq!(due.len(), 3, "and the intake's GPRA interview: {due:?}");
    // Transferred today, and both post-discharge contacts then cancelled by hand: nothing
    // scheduled any more.
    let discharged = client("Tia", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    let discharged_episode = admitted(&app, &discharged, "REHAB", 3).admit(&app, a).await.id;
    discharge(&app, a, &discharged_episode, 1, "TRANSFERRED").await;
    for (id, _) in follow_up_ids(&app, a, &discharged).await {
        let input = json!({ "followUpId": id, "expectedVersion": 1, "status": "CANCELLED" });
        app.gql_ok(Some(a), RECORD_FOLLOW_UP, json!({ "i": input })).await;
    }
    // In aftercare for 10 days; the 7-day contact, made today, found a return to use.
    let relapsed = client("Rue", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    admitted(&app, &relapsed, "AFTERCARE", 10).admit(&app, a).await;
    refer(&app, a, &relapsed, "NA", "REFERRED", None).await;
    let relapse_contact = follow_up_ids(&app, a, &relapsed).await[0].0.clone();
    let input = json!({ "followUpId": relapse_contact, "expectedVersion": 1, "status": "COMPLETED",
        "outcome": "RETURN_TO_USE" });
    app.gql_ok(Some(a), RECORD_FOLLOW_UP, json!({ "i": input })).await;

    // Needing nothing: in aftercare since today, referred and attending, follow-ups ahead;
    // discharged with follow-ups still to come; discharged as deceased.
    let fine = client("Nia", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    admitted(&app, &fine, "AFTERCARE", 0).admit(&app, a).await;
    let fine_na = refer(&app, a, &fine, "NA", "REFERRED", Some(2)).await;
    attend(&app, a, &fine_na, today).await;
    let completed = client("Wes", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    let completed_episode = admitted(&app, &completed, "AFTERCARE", 0).admit(&app, a).await.id;
    refer(&app, a, &completed, "AA", "REFERRED", None).await;
    discharge(&app, a, &completed_episode, 1, "COMPLETED").await;
    let deceased = client("Zed", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, a).await;
    let deceased_episode = admitted(&app, &deceased, "REHAB", 0).admit(&app, a).await.id;
    discharge(&app, a, &deceased_episode, 1, "DECEASED").await;

    // Bob (same team) and Cy (no team) each have a contact due today.
    let bobs = client("Bea", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, &bob.access).await;
    admitted(&app, &bobs, "REHAB", 0).admit(&app, &bob.access).await;
    let bobs_follow_up = schedule(&app, &bob.access, &bobs, today).await;
    let cys = client("Cal", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, &cy.access).await;
    admitted(&app, &cys, "REHAB", 0).admit(&app, &cy.access).await;
    let cys_follow_up = schedule(&app, &cy.access, &cys, today).await;

    let w = |items: &[&str]| items.iter().map(|w| (*w).to_owned()).collect::<Vec<String>>();
    let expected = vec![
        Expect {
            kind: "DISCHARGED_EARLY",
            since: today,
            client: left.clone(),
            subject: ("episode", left_episode.clone()),
            words: w(&["left against advice", "REHAB L3_5", &format!("on {today}"), "not been reached"]),
        },
        Expect {
            kind: "FOLLOW_UP_OVERDUE",
            since: ago(33),
            client: long_overdue.clone(),
            subject: ("followUp", long_follow_ups[0].0.clone()),
            words: w(&["follow-up", &format!("due {}", ago(33)), "33 day"]),
        },
        Expect {
            kind: "FOLLOW_UP_OVERDUE",
            since: ago(10),
            client: long_overdue.clone(),
            subject: ("followUp", long_follow_ups[1].0.clone()),
            words: w(&["follow-up", &format!("due {}", ago(10)), "10 day"]),
        },
        Expect {
            kind: "FOLLOW_UP_OVERDUE",
            since: ago(3),
            client: overdue.clone(),
            subject: ("followUp", overdue_follow_ups[0].0.clone()),
            words: w(&["follow-up", &format!("due {}", ago(3)), "3 day"]),
        },
        Expect {
            kind: "CLINICAL_REVIEW",
            since: today,
            client: relapsed.clone(),
            subject: ("followUp", relapse_contact.clone()),
            words: w(&[&format!("follow-up on {today}"), "return to use", "review the plan"]),
        },
        Expect {
            kind: "FOLLOW_UP_DUE_TODAY",
            since: today,
            client: due_today.clone(),
            subject: ("followUp", due_today_follow_up.clone()),
            words: w(&["follow-up", "due today"]),
        },
        Expect {
            kind: "REFERRAL_DISENGAGING",
            since: start,
            client: disengaging.clone(),
            subject: ("referral", quiet_na.clone()),
            words: w(&["no attendance", &format!("since {start}")]),
        },
        Expect {
            kind: "REFERRAL_DISENGAGING",
            since: start,
            client: disengaging.clone(),
            subject: ("referral", never_aa.clone()),
            words: w(&["no attendance", &format!("since the referral on {start}")]),
        },
        Expect {
            kind: "ADHERENCE_LOW",
            since: start,
            client: low.clone(),
            subject: ("referral", low_smart.clone()),
            words: w(&["attended 2 of 6.43", "3 a week", &format!("since {start}"), "31 %"]),
        },
        Expect {
            kind: "AFTERCARE_WITHOUT_ACTIVE_REFERRAL",
            since: ago(5),
            client: unsupported.clone(),
            subject: ("episode", unsupported_episode.clone()),
            words: w(&[&format!("aftercare since {}", ago(5)), "no active support-group referral"]),
        },
        Expect {
            kind: "DISCHARGED_WITHOUT_FOLLOW_UP",
            since: today,
            client: discharged.clone(),
            subject: ("episode", discharged_episode.clone()),
            words: w(&[&format!("discharged on {today}"), "no follow-up"]),
        },
    ];

    // Ann's worklist: exactly her eleven items, none for the clients needing nothing.
    let anns = worklist(&app, a, None).await;
    assert_items(&anns, &expected);
    assert!(anns.iter().all(|n| n["client"]["primaryCounselor"]["id"] == ann_id.as_str()), "only Ann's clients");
    for quiet in [&fine, &completed, &deceased] {
        assert!(anns.iter().all(|n| n["client"]["id"] != quiet.as_str()), "{quiet} needs nothing");
    }
    assert_eq!(anns[0]["episode"]["open"], false);
    assert_eq!(anns[8]["referral"]["supportGroup"]["abbreviation"], "SMART");
    assert_eq!(anns[9]["episode"]["stage"], "AFTERCARE");
    assert_eq!(anns[10]["episode"]["open"], false);
    // Narrowing to someone else's caseload leaves a counselor nothing.
    assert_eq!(worklist(&app, a, Some(&bob_id)).await, Vec::<Value>::new());

    // Bob's and Cy's worklists hold their own client only.
    let bobs_list = worklist(&app, &bob.access, None).await;
    let bob_item = Expect {
        kind: "FOLLOW_UP_DUE_TODAY",
        since: today,
        client: bobs.clone(),
        subject: ("followUp", bobs_follow_up.clone()),
        words: w(&["due today"]),
    };
    assert_items(&bobs_list, std::slice::from_ref(&bob_item));
    let cys_list = worklist(&app, &cy.access, None).await;
    assert_eq!(cys_list.len(), 1);
    assert_eq!(key(&cys_list[0]).2, cys_follow_up);

    // The supervisor sees the team: Ann's and Bob's, merged in order (Bob's contact due today
    // comes after Ann's, made earlier), not Cy's; and may narrow it to one counselor.
    let team = worklist(&app, &sue.access, None).await;
    let mut team_expected = expected.clone();
    team_expected.insert(6, bob_item.clone());
    assert_items(&team, &team_expected);
    assert!(team.iter().all(|n| n["client"]["id"] != cys.as_str()), "not outside the team");
    assert_eq!(worklist(&app, &sue.access, Some(&ann_id)).await, anns, "narrowed to Ann: exactly Ann's list");
    assert_eq!(worklist(&app, &sue.access, Some(&bob_id)).await, bobs_list, "narrowed to Bob: exactly Bob's");

    // Two at a time, from cursor to cursor: the whole list once, in order.
    for (token, whole) in [(a, &anns), (sue.access.as_str(), &team)] {
        let mut walked: Vec<Value> = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let data = app.gql_ok(Some(token), WORKLIST, json!({ "first": 2, "after": after })).await;
            let connection = &data["worklist"];
            let edges = connection["edges"].as_array().expect("edges");
            assert!(edges.len() <= 2, "at most two per page");
            assert_eq!(connection["totalCount"], whole.len());
            walked.extend(edges.iter().map(|e| e["node"].clone()));
            pages += 1;
            assert!(pages <= whole.len(), "paging ends");
            if connection["pageInfo"]["hasNextPage"] == false {
                break;
            }
            assert_eq!(edges.len(), 2, "a full page before the last");
            after = Some(s(&connection["pageInfo"]["endCursor"]));
        }
        assert_eq!(pages, whole.len().div_ceil(2));
        let keys: Vec<_> = walked.iter().map(key).collect();
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "no item twice");
        assert_eq!(&walked, whole, "the pages together are the whole list");
    }

    let bad = app.gql(Some(a), WORKLIST, json!({ "first": 2, "after": "not-a-cursor" })).await;
    assert_code(&bad, "BAD_USER_INPUT");

    let admin = app.admin().await;
    let refused = app.gql(Some(&admin.access), WORKLIST, json!({})).await;
    assert_code(&refused, "FORBIDDEN");
}

/// A plan drafted in treatment names PLANNED referrals, which go out (REFERRED) on entering
/// aftercare. Attendance cannot be recorded while a referral is PLANNED, so the weeks before
/// it went out are no sign of disengagement or low adherence: on the day it goes out, there is
/// nothing to do about it.
#[tokio::test]
async fn referrals_planned_in_treatment_are_not_flagged_on_the_day_they_go_out() {
    let app = TestApp::spawn().await;
    let email = "planned-wl@continuum.test";
    app.create_staff(email, "Pia Planner", Role::Counselor, None).await;
    let me = app.session(email, PASSWORD).await;
    let client = client("Pat", "Worklist").born("1990-01-15").using(&["OPIOIDS"]).register(&app, &me.access).await;
    let episode = admitted(&app, &client, "REHAB", 0).admit(&app, &me.access).await.id;
    let referral = refer(&app, &me.access, &client, "NA", "PLANNED", Some(3)).await;

    // Two weeks of treatment later, the client enters aftercare and the referral goes out.
    app.clock.advance(Duration::days(14));
    let me = app.session(email, PASSWORD).await;
    let refused = app
        .gql(
            Some(&me.access),
            ATTEND,
            json!({ "i": { "referralId": referral, "attendedOn": app.state.today().to_string() } }),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["rule"], "ATTENDANCE_NEEDS_ACTIVE_REFERRAL",
        "no attendance can be recorded while the referral is only planned: {refused}"
    );
    app.gql_ok(
        Some(&me.access),
        "mutation($i: ChangeStageInput!) { changeStage(input: $i) { id } }",
        json!({ "i": { "episodeId": episode, "expectedVersion": 1, "stage": "AFTERCARE" } }),
    )
    .await;

    let items: Vec<(String, String)> =
        worklist(&app, &me.access, None).await.iter().map(|n| (s(&n["kind"]), s(&n["reason"]))).collect();
    assert_eq!(
        items,
        Vec::<(String, String)>::new(),
        "a referral that went out today is neither disengaging nor short of its goal"
    );
}
