//! `continuum-soak`: drives a Continuum server with many concurrent staff sessions doing
//! the portal's real mix, optionally restarts the database and the server mid-run, then
//! reconciles against the database: every acknowledged write is there exactly once and
//! nothing unacknowledged is half-written.
//!
//! It starts the server itself (so it can restart it) on an address of its own:
//!
//! ```sh
//! cargo build --release
//! cargo run --release --bin continuum-soak -- --database-url postgres://… \
//!     --seconds 60 --sessions 32 --restart-db-cmd "pg_ctl -D … restart -m fast" --restart-server
//! ```
//! `tools/soak.sh` does all of it against a throwaway PostgreSQL cluster.

use std::{
    collections::{BTreeMap, HashMap},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use clap::Parser;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

#[derive(Parser, Clone)]
#[command(about = "Load and fault test for Continuum, with reconciliation")]
struct Args {
    /// The database the server uses (a fresh, empty one is best).
    #[arg(long)]
    database_url: String,
    /// The server binary to run.
    #[arg(long, default_value = "target/release/continuum")]
    server_bin: String,
    #[arg(long, default_value = "127.0.0.1:18090")]
    bind: String,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    #[arg(long, default_value_t = 32)]
    sessions: usize,
    /// Clients per session.
    #[arg(long, default_value_t = 5)]
    clients: usize,
    /// A shell command that restarts the database, run at 1/3 of the run.
    #[arg(long)]
    restart_db_cmd: Option<String>,
    /// Restart the server (SIGTERM, then start again) at 2/3 of the run.
    #[arg(long)]
    restart_server: bool,
}

const ADMIN_EMAIL: &str = "soak-admin@continuum.local";
const ADMIN_PASSWORD: &str = "soak-admin-cobalt-fjord-19";
const PASSWORD: &str = "soak-staff-amber-quill-64";

struct Server {
    child: Option<Child>,
    args: Args,
}

impl Server {
    fn start(args: &Args) -> anyhow::Result<Server> {
        let mut server = Server { child: None, args: args.clone() };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let child = Command::new(&self.args.server_bin)
            .env("DATABASE_URL", &self.args.database_url)
            .env("CONTINUUM_BIND", &self.args.bind)
            .env("CONTINUUM_JWT_SECRET", "soak-secret-soak-secret-soak-secret-0123456")
            .env("CONTINUUM_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("CONTINUUM_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("CONTINUUM_DB_MAX_CONNECTIONS", "24")
            .env("CONTINUUM_LOGIN_FAILURES_PER_MINUTE", "1000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        self.child = Some(child);
        Ok(())
    }

    fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            Command::new("kill").arg("-TERM").arg(child.id().to_string()).status()?;
            let status = child.wait()?;
            println!("server stopped with {status}");
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[derive(Default)]
struct Stats {
    requests: u64,
    errors: BTreeMap<String, u64>,
    latencies_ms: Vec<f64>,
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    url: String,
    stats: Arc<Mutex<Stats>>,
}

impl Client {
    /// One GraphQL call; `Ok(data)` or `Err(code)`.
    async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Result<Value, String> {
        let started = Instant::now();
        let mut request = self.http.post(&self.url).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let outcome = match request.send().await {
            Err(_) => Err("CONNECTION".to_owned()),
            Ok(response) => match response.json::<Value>().await {
                Err(_) => Err("HTTP_BODY".to_owned()),
                Ok(body) => match body["errors"][0]["extensions"]["code"].as_str() {
                    Some(code) => Err(code.to_owned()),
                    None => Ok(body["data"].clone()),
                },
            },
        };
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        stats.requests += 1;
        stats.latencies_ms.push(started.elapsed().as_secs_f64() * 1e3);
        if let Err(code) = &outcome {
            *stats.errors.entry(code.clone()).or_default() += 1;
        }
        outcome
    }

    async fn login(&self, email: &str, password: &str) -> Option<String> {
        let data = self
            .gql(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                json!({ "e": email, "p": password }),
            )
            .await
            .ok()?;
        data["login"]["accessToken"].as_str().map(str::to_owned)
    }
}

/// Retries a call until it succeeds or the deadline passes: writes carry idempotency keys,
/// so a retry after a lost answer never writes twice.
async fn until_ok(
    client: &Client,
    token: &mut String,
    email: &str,
    deadline: Instant,
    query: &str,
    variables: Value,
) -> Option<Value> {
    while Instant::now() < deadline {
        match client.gql(Some(token), query, variables.clone()).await {
            Ok(data) => return Some(data),
            Err(code) if code == "UNAUTHENTICATED" => {
                if let Some(fresh) = client.login(email, PASSWORD).await {
                    *token = fresh;
                }
            }
            Err(code) if code == "BAD_USER_INPUT" || code == "CONFLICT" || code == "NOT_FOUND" => return None,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    None
}

#[derive(Default)]
struct Ledger {
    /// Idempotency key → acknowledged.
    attendance: HashMap<String, bool>,
    follow_ups: HashMap<String, bool>,
    stage_moves: u64,
}

async fn wait_ready(client: &Client, base: &str) {
    for _ in 0..300 {
        if let Ok(r) = client.http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = format!("http://{}", args.bind);
    let client = Client {
        http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?,
        url: format!("{base}/graphql"),
        stats: Arc::default(),
    };
    let mut server = Server::start(&args)?;
    wait_ready(&client, &base).await;

    // Setup: one counselor per session, each with clients in rehab referred to NA.
    let admin = client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.ok_or_else(|| anyhow::anyhow!("admin login"))?;
    let groups = client
        .gql(Some(&admin), "{ supportGroups { id abbreviation } }", json!({}))
        .await
        .map_err(anyhow::Error::msg)?;
    let na = groups["supportGroups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["abbreviation"] == "NA"))
        .map(|g| g["id"].clone())
        .unwrap_or_default();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut sessions = Vec::new();
    for s in 0..args.sessions {
        let email = format!("soak-{run}-{s}@continuum.local");
        client
            .gql(Some(&admin), "mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }",
                 json!({ "i": { "email": email, "name": format!("Soak {s}"), "role": "COUNSELOR", "password": PASSWORD } }))
            .await
            .map_err(anyhow::Error::msg)?;
        let token = client.login(&email, PASSWORD).await.ok_or_else(|| anyhow::anyhow!("counselor login"))?;
        let mut mine = Vec::new();
        for c in 0..args.clients {
            let registered = client
                .gql(Some(&token), "mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }",
                     json!({ "i": { "firstName": format!("S{s}"), "lastName": format!("C{c}"), "dateOfBirth": "1980-01-01", "substances": ["OPIOIDS"] } }))
                .await
                .map_err(anyhow::Error::msg)?;
            let client_id = registered["registerClient"]["id"].clone();
            let episode = client
                .gql(Some(&token), "mutation($c: ID!) { admitClient(input: { clientId: $c, stage: REHAB, levelOfCare: L3_5 }) { id version } }", json!({ "c": client_id }))
                .await
                .map_err(anyhow::Error::msg)?;
            let referral = client
                .gql(Some(&token), "mutation($c: ID!, $g: ID!) { referToSupportGroup(input: { clientId: $c, supportGroupId: $g }) { id } }", json!({ "c": client_id, "g": na }))
                .await
                .map_err(anyhow::Error::msg)?;
            mine.push((client_id, episode["admitClient"]["id"].clone(), referral["referToSupportGroup"]["id"].clone()));
        }
        sessions.push((email, token, mine));
    }
    println!("setup: {} sessions × {} clients", args.sessions, args.clients);
    client.stats.lock().unwrap_or_else(|e| e.into_inner()).latencies_ms.clear();

    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let today = chrono::Utc::now().date_naive().to_string();
    let mut workers = Vec::new();
    for (s, (email, token, mine)) in sessions.into_iter().enumerate() {
        let (client, ledger, today) = (client.clone(), ledger.clone(), today.clone());
        workers.push(tokio::spawn(async move {
            let mut token = token;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let (client_id, episode_id, referral_id) = &mine[(n as usize) % mine.len()];
                match n % 4 {
                    0 => {
                        let _ = client
                            .gql(Some(&token), "{ clients(first: 40) { totalCount edges { node { id currentEpisode { stage } referrals { status attendanceCount supportGroup { name } } nextFollowUp { dueOn overdue } } } } }", json!({}))
                            .await;
                    }
                    1 => {
                        let key = format!("att-{s}-{n}");
                        ledger.lock().unwrap_or_else(|e| e.into_inner()).attendance.insert(key.clone(), false);
                        let ok = until_ok(&client, &mut token, &email, deadline + Duration::from_secs(20),
                            "mutation($i: RecordAttendanceInput!) { recordAttendance(input: $i) { id } }",
                            json!({ "i": { "referralId": referral_id, "attendedOn": today, "note": key, "idempotencyKey": key } })).await;
                        ledger.lock().unwrap_or_else(|e| e.into_inner()).attendance.insert(key, ok.is_some());
                    }
                    2 => {
                        let key = format!("fu-{s}-{n}");
                        ledger.lock().unwrap_or_else(|e| e.into_inner()).follow_ups.insert(key.clone(), false);
                        let ok = until_ok(&client, &mut token, &email, deadline + Duration::from_secs(20),
                            "mutation($i: ScheduleFollowUpInput!) { scheduleFollowUp(input: $i) { id } }",
                            json!({ "i": { "clientId": client_id, "dueOn": today, "note": key, "idempotencyKey": key } })).await;
                        ledger.lock().unwrap_or_else(|e| e.into_inner()).follow_ups.insert(key, ok.is_some());
                    }
                    _ => {
                        // A level-of-care step within rehab, with the episode's current version.
                        if let Ok(data) = client.gql(Some(&token), "query($id: ID!) { client(id: $id) { currentEpisode { version levelOfCare } } }", json!({ "id": client_id })).await {
                            let version = data["client"]["currentEpisode"]["version"].clone();
                            let level = if data["client"]["currentEpisode"]["levelOfCare"] == "L3_5" { "L2_1" } else { "L3_5" };
                            if client
                                .gql(Some(&token), "mutation($i: ChangeStageInput!) { changeStage(input: $i) { version } }",
                                     json!({ "i": { "episodeId": episode_id, "expectedVersion": version, "stage": "REHAB", "levelOfCare": level } }))
                                .await
                                .is_ok()
                            {
                                ledger.lock().unwrap_or_else(|e| e.into_inner()).stage_moves += 1;
                            }
                        }
                    }
                }
            }
        }));
    }

    // Faults, on the way.
    if let Some(cmd) = &args.restart_db_cmd {
        tokio::time::sleep_until((started + Duration::from_secs(args.seconds / 3)).into()).await;
        println!("t={:.0}s restarting the database", started.elapsed().as_secs_f64());
        let status = Command::new("sh").arg("-c").arg(cmd).status()?;
        println!("t={:.0}s database restart: {status}", started.elapsed().as_secs_f64());
    }
    if args.restart_server {
        tokio::time::sleep_until((started + Duration::from_secs(args.seconds * 2 / 3)).into()).await;
        println!("t={:.0}s restarting the server", started.elapsed().as_secs_f64());
        server.stop()?;
        server.spawn()?;
        wait_ready(&client, &base).await;
        println!("t={:.0}s server back", started.elapsed().as_secs_f64());
    }
    for w in workers {
        let _ = w.await;
    }
    let elapsed = started.elapsed();
    server.stop()?;

    // Reconcile against the database.
    let db = Database::connect(&args.database_url).await?;
    let backend = db.get_database_backend();
    let mut in_db: HashMap<String, i64> = HashMap::new();
    for sql in [
        "SELECT note, COUNT(*) AS n FROM attendance WHERE note LIKE 'att-%' GROUP BY note",
        "SELECT note, COUNT(*) AS n FROM follow_ups WHERE note LIKE 'fu-%' GROUP BY note",
    ] {
        for row in db.query_all_raw(Statement::from_string(backend, sql)).await? {
            let note: String = row.try_get("", "note")?;
            let n: i64 = row.try_get("", "n")?;
            in_db.insert(note, n);
        }
    }
    // Each attendance row must have brought its referral to ENGAGED (no half-applied write).
    let half = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM attendance a JOIN referrals r ON r.id = a.referral_id WHERE r.status = 'REFERRED'",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let audit_key = std::env::var("CONTINUUM_AUDIT_KEY")
        .map(secrecy::SecretString::from)
        .unwrap_or_else(|_| secrecy::SecretString::from(continuum_core::config::DEVELOPMENT_AUDIT_KEY));
    let verify = continuum_core::service::audit::verify(&db, &audit_key).await?;

    let ledger = ledger.lock().unwrap_or_else(|e| e.into_inner());
    let (mut acknowledged, mut lost, mut duplicated, mut unacknowledged_written) = (0u64, 0u64, 0u64, 0u64);
    for (key, acked) in ledger.attendance.iter().chain(ledger.follow_ups.iter()) {
        let n = in_db.get(key).copied().unwrap_or(0);
        if *acked {
            acknowledged += 1;
            if n == 0 {
                lost += 1;
            }
        } else if n == 1 {
            unacknowledged_written += 1;
        }
        if n > 1 {
            duplicated += 1;
        }
    }
    let stats = client.stats.lock().unwrap_or_else(|e| e.into_inner());
    let mut latencies = stats.latencies_ms.clone();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies.get(((latencies.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0);
    println!();
    println!("duration            {:.1} s", elapsed.as_secs_f64());
    println!("sessions            {}", args.sessions);
    println!("requests            {} ({:.0}/s)", stats.requests, stats.requests as f64 / elapsed.as_secs_f64());
    println!("errors by code      {:?}", stats.errors);
    println!("writes acknowledged {acknowledged} (+{} stage moves)", ledger.stage_moves);
    println!("unacknowledged but written whole {unacknowledged_written}");
    println!("lost writes         {lost}");
    println!("duplicated writes   {duplicated}");
    println!("half-applied        {half}");
    println!("audit chain         {verify:?}");
    println!("latency p50 / p99   {:.1} ms / {:.1} ms", pct(0.5), pct(0.99));
    if lost > 0
        || duplicated > 0
        || half > 0
        || !matches!(verify, continuum_core::service::audit::Verification::Intact { .. })
    {
        anyhow::bail!("reconciliation failed");
    }
    Ok(())
}
