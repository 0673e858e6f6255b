//! `continuum-dataset`: fills a PostgreSQL or SQLite database with a realistic population,
//! through the real schema (migrations) and, for every clinical change, the real services —
//! so the rules, the stage history, the follow-up schedule and the audit chain are the ones
//! the API would have produced.
//!
//! ```sh
//! cargo run --release --bin continuum-dataset -- --database-url postgres://… \
//!     --counselors 50 --clients-per-counselor 40 --seed 42
//! ```
//!
//! Population: one supervisor per ~10 counselors, each counselor with a caseload; each
//! client registered and admitted at a date in the past year, moved through DETOX → REHAB →
//! AFTERCARE (or discharged) at plausible intervals, with ~4 referrals to distinct support
//! groups (planned, referred, engaged, completed, declined, discontinued), attendance, and
//! ~8 follow-up contacts (the schedule on entering aftercare plus hand-scheduled check-ins),
//! some recorded and some left overdue.
//!
//! Each worker runs the services under a simulated clock set to the moment of each step,
//! so dates, "overdue" and the stage history are consistent. Two things are bulk-inserted
//! with the entities instead (for speed, and because the services only accept "now"):
//! attendance after the first meeting of each referral (the first goes through
//! `recordAttendance`, which engages the referral), and hand-scheduled check-in follow-ups.
//! Those rows have no audit event of their own.
//!
//! The content (names, stages, dates, statuses, counts) is determined by `--seed`; the ids
//! are UUIDv7 and differ between runs.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering},
    },
    time::Instant,
};

use chrono::{DateTime, Days, Duration, Utc};
use clap::Parser;
use continuum_core::{
    auth::Viewer,
    clock::Clock,
    config::Config,
    db,
    domain::{
        AttemptMethod, AttemptResult, DischargeReason, FollowUpKind, FollowUpOutcome, FollowUpStatus, Gender,
        LevelOfCare, MeetingFormat, ReferralStatus, Role, Stage, Substance,
    },
    entity::{attendance, follow_up, follow_up_attempt},
    service::{
        directory,
        fixtures::{self, acting},
        follow_up as follow_ups, staff,
    },
    state::AppState,
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

#[derive(Parser, Clone)]
#[command(about = "Fills a Continuum database with a realistic, seeded population")]
struct Args {
    /// `postgres://…` or `sqlite://file.db?mode=rwc`. Migrated first.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    #[arg(long, default_value_t = 50)]
    counselors: usize,
    #[arg(long, default_value_t = 40)]
    clients_per_counselor: usize,
    /// Counselors per supervisor.
    #[arg(long, default_value_t = 10)]
    team_size: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Password of every staff member made here.
    #[arg(long, default_value = "bench-cedar-plume-harbor-42")]
    password: String,
    /// Email domain of the staff made here (`counselor1@DOMAIN`, `supervisor1@DOMAIN`).
    #[arg(long, default_value = "bench.continuum")]
    domain: String,
    /// Concurrent workers (default: 6 on PostgreSQL, 1 on SQLite).
    #[arg(long)]
    jobs: Option<usize>,
}

/// A clock that reads whatever instant the worker last set (the real clock until then).
#[derive(Debug, Default)]
struct SimClock(AtomicI64);

impl SimClock {
    fn set(&self, at: DateTime<Utc>) {
        // Never ahead of the real clock: the services refuse future dates.
        let at = at.min(Utc::now() - Duration::seconds(1));
        self.0.store(at.timestamp_micros(), Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.load(Ordering::SeqCst) {
            0 => Utc::now(),
            micros => DateTime::from_timestamp_micros(micros).unwrap_or_else(Utc::now),
        }
    }
}

const FIRST: [&str; 40] = [
    "Maria", "James", "Aisha", "Tom", "Rosa", "Ben", "Chloe", "Dev", "Ella", "Frank", "Gina", "Hugo", "Ines", "Jamal",
    "Kara", "Liam", "Mona", "Nate", "Olga", "Pablo", "Quinn", "Rita", "Sami", "Tara", "Umar", "Vera", "Walt", "Xena",
    "Yusuf", "Zoe", "Ana", "Bruno", "Carla", "Dmitri", "Eve", "Femi", "Grace", "Hiro", "Ivy", "Jon",
];
const LAST: [&str; 40] = [
    "Lopez", "Carter", "Bello", "Nguyen", "Silva", "Okafor", "Martin", "Patel", "Novak", "Moss", "Hart", "Brandt",
    "Costa", "Reed", "Kim", "Walsh", "Haddad", "Ortiz", "Ivanova", "Garcia", "Price", "Moreno", "Said", "Singh",
    "Farouk", "Lind", "Baker", "Stone", "Aydin", "Fischer", "Rossi", "Dubois", "Kowalski", "Sato", "Adeyemi", "Berg",
    "Murphy", "Chen", "Jensen", "Alvarez",
];

#[derive(Default)]
struct Counts {
    clients: AtomicU64,
    episodes: AtomicU64,
    referrals: AtomicU64,
    attendance: AtomicU64,
    follow_ups: AtomicU64,
    service_calls: AtomicU64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Place {
    Detox,
    Rehab,
    Aftercare,
    Discharged,
}

struct Shared {
    base: AppState,
    args: Args,
    counselors: Vec<Uuid>,
    groups: Vec<Uuid>,
    /// Meetings by group index.
    meetings: Vec<Vec<Uuid>>,
    counts: Counts,
    next: AtomicUsize,
    now: DateTime<Utc>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt().with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into())).init();
    let started = Instant::now();
    let url = args.database_url.clone();
    let config = Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        other => std::env::var(other).ok(),
    })?;
    let sqlite = url.starts_with("sqlite");
    let jobs = args.jobs.unwrap_or(if sqlite { 1 } else { 6 }).max(1);
    let (conn, statements) = db::connect(&url, (jobs as u32 + 2).max(4)).await?;
    db::migrate(&conn).await?;
    let base = AppState::new(config, conn, statements.clone());

    let supervisor_email = |i: usize| format!("supervisor{i}@{}", args.domain);
    let counselor_email = |i: usize| format!("counselor{i}@{}", args.domain);
    if staff::find_by_email(&base, &supervisor_email(1)).await.map_err(err)?.is_some() {
        anyhow::bail!("this database already holds a dataset ({} exists); use a fresh database", supervisor_email(1));
    }

    // Staff: an administrator (for the directory), supervisors, counselors.
    let new_staff = |email: String, name: String, role, supervisor_id| staff::NewStaff {
        id: None,
        email,
        name,
        role,
        password: args.password.clone(),
        supervisor_id,
    };
    let admin = match staff::any_admin(&base).await.map_err(err)? {
        Some(a) => a,
        None => staff::create(
            &base,
            None,
            new_staff(format!("admin@{}", args.domain), "Bench Administrator".into(), Role::Admin, None),
        )
        .await
        .map_err(err)?,
    };
    let admin = acting(admin.id, Role::Admin);
    let teams = args.counselors.div_ceil(args.team_size.max(1)).max(1);
    let mut supervisors = Vec::new();
    for s in 1..=teams {
        let m = staff::create(
            &base,
            None,
            new_staff(supervisor_email(s), format!("Supervisor {s}"), Role::Supervisor, None),
        )
        .await
        .map_err(err)?;
        supervisors.push(m.id);
    }
    let mut counselors = Vec::new();
    for chunk in (1..=args.counselors).collect::<Vec<_>>().chunks(4) {
        let made = futures_util::future::join_all(chunk.iter().map(|&c| {
            let sup = supervisors[(c - 1) / args.team_size.max(1)];
            staff::create(
                &base,
                None,
                new_staff(counselor_email(c), format!("Counselor {c}"), Role::Counselor, Some(sup)),
            )
        }))
        .await;
        for m in made {
            counselors.push(m.map_err(err)?.id);
        }
    }
    let staff_done = started.elapsed();

    // The directory: two or three weekly meetings per support group.
    let groups = directory::groups(&base, false).await.map_err(err)?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut meetings = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let mut ids = Vec::new();
        for k in 0..(2 + gi % 2) {
            let format = [MeetingFormat::InPerson, MeetingFormat::Online, MeetingFormat::Hybrid][k % 3];
            let m = directory::create_meeting(
                &base,
                &admin,
                directory::NewMeeting {
                    support_group_id: g.id,
                    name: format!("{} meeting {}", g.abbreviation, k + 1),
                    format,
                    day_of_week: rng.random_range(1..=7),
                    start_time: format!("{:02}:{}", rng.random_range(7..=20), ["00", "30"][k % 2]),
                    duration_minutes: Some(60),
                    time_zone: base.config.timezone.name().into(),
                    address: (format != MeetingFormat::Online).then(|| format!("{} Main St, Springfield", 10 + k)),
                    url: (format != MeetingFormat::InPerson).then(|| format!("https://meet.example.org/{}-{k}", g.id)),
                    language: if k == 2 { "es".into() } else { "en".into() },
                    types: vec!["O".into()],
                },
            )
            .await
            .map_err(err)?;
            ids.push(m.id);
        }
        meetings.push(ids);
    }

    let shared = Arc::new(Shared {
        base,
        args: args.clone(),
        counselors,
        groups: groups.iter().map(|g| g.id).collect(),
        meetings,
        counts: Counts::default(),
        next: AtomicUsize::new(0),
        now: Utc::now(),
    });
    let total = args.counselors * args.clients_per_counselor;
    let progress = {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                let done = shared.counts.clients.load(Ordering::Relaxed);
                eprintln!("  … {done}/{total} clients");
            }
        })
    };
    let mut workers = Vec::new();
    for _ in 0..jobs {
        let shared = shared.clone();
        workers.push(tokio::spawn(async move {
            let clock = Arc::new(SimClock::default());
            let state = shared.base.clone().with_clock(clock.clone());
            loop {
                let i = shared.next.fetch_add(1, Ordering::SeqCst);
                if i >= total {
                    return Ok::<_, anyhow::Error>(());
                }
                make_client(&shared, &state, &clock, i).await?;
                shared.counts.clients.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    progress.abort();
    let elapsed = started.elapsed();
    let c = &shared.counts;
    let audit = shared
        .base
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            shared.base.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_events",
        ))
        .await?
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or_default();

    println!("Dataset (seed {}):", args.seed);
    println!(
        "  staff:       1 admin, {teams} supervisors, {} counselors ({} clients each)",
        args.counselors, args.clients_per_counselor
    );
    println!("  clients:     {}", c.clients.load(Ordering::Relaxed));
    println!("  episodes:    {}", c.episodes.load(Ordering::Relaxed));
    println!("  referrals:   {}", c.referrals.load(Ordering::Relaxed));
    println!("  attendance:  {}", c.attendance.load(Ordering::Relaxed));
    println!("  follow-ups:  {}", c.follow_ups.load(Ordering::Relaxed));
    println!(
        "  service calls: {}, SQL statements: {}, audit events: {audit}",
        c.service_calls.load(Ordering::Relaxed),
        statements.get()
    );
    println!(
        "  time: {:.1} s (staff {:.1} s, {jobs} workers; {:.0} clients/s)",
        elapsed.as_secs_f64(),
        staff_done.as_secs_f64(),
        total as f64 / (elapsed - staff_done).as_secs_f64().max(0.001)
    );
    println!("Sign-ins (password for all: {}):", args.password);
    println!("  admin@{} (only if the database had no administrator)", args.domain);
    for s in 1..=teams {
        let first = (s - 1) * args.team_size + 1;
        let last = (s * args.team_size).min(args.counselors);
        println!("  {}  (team: counselor{first}..counselor{last})", supervisor_email(s));
    }
    if args.counselors <= 3 {
        for c in 1..=args.counselors {
            println!("  {}", counselor_email(c));
        }
    } else {
        println!("  {} … {}", counselor_email(1), counselor_email(args.counselors));
    }
    Ok(())
}

fn err(e: continuum_core::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

/// One client's whole story, in time order, under the worker's simulated clock.
async fn make_client(shared: &Shared, state: &AppState, clock: &SimClock, i: usize) -> anyhow::Result<()> {
    let args = &shared.args;
    let mut r = StdRng::seed_from_u64(args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i as u64 + 1));
    let counselor = shared.counselors[i / args.clients_per_counselor.max(1)];
    let me = acting(counselor, Role::Counselor);
    let now = shared.now;
    let counts = &shared.counts;
    let call = || counts.service_calls.fetch_add(1, Ordering::Relaxed);
    let day = |d: f64| Duration::seconds((d * 86_400.0) as i64);

    // Where the client stands today, and the timeline that led there.
    let place = match r.random::<f64>() {
        x if x < 0.15 => Place::Detox,
        x if x < 0.40 => Place::Rehab,
        x if x < 0.80 => Place::Aftercare,
        _ => Place::Discharged,
    };
    let via_detox = place == Place::Detox || r.random::<f64>() < 0.7;
    let ago = match place {
        Place::Detox => r.random_range(0.1..6.0),
        Place::Rehab => r.random_range(8.0..80.0),
        Place::Aftercare | Place::Discharged => r.random_range(45.0..340.0),
    };
    let admitted = now - day(ago);
    let detox_days = if via_detox { r.random_range(3.0..8.0) } else { 0.0 };
    let rehab_days = r.random_range(21.0..45.0_f64).min(ago - detox_days - 10.0).max(1.0);
    let rehab_at = admitted + day(detox_days);
    let aftercare_at = rehab_at + day(rehab_days);
    let discharge_at =
        aftercare_at + day(r.random_range(14.0..120.0_f64).min((now - aftercare_at).num_days() as f64 - 2.0).max(1.0));
    let end = if place == Place::Discharged { discharge_at } else { now };

    // Registration, a day or two before admission.
    clock.set(admitted - day(r.random_range(0.0..2.0)));
    let today = state.today();
    let first = FIRST[r.random_range(0..FIRST.len())];
    let last = LAST[r.random_range(0..LAST.len())];
    let gender = match r.random::<f64>() {
        x if x < 0.45 => Gender::Woman,
        x if x < 0.92 => Gender::Man,
        x if x < 0.97 => Gender::NonBinary,
        _ => Gender::Undisclosed,
    };
    let mut substances = Substance::ALL.to_vec();
    substances.shuffle(&mut r);
    substances.truncate(r.random_range(1..=3));
    let date_of_birth = today - Days::new(365 * r.random_range(18..70) + r.random_range(0..365));
    let person = fixtures::Person::new(first, last, date_of_birth, gender, &substances)
        .preferred((r.random::<f64>() < 0.1).then(|| first[..3].to_owned()))
        .co_occurring(r.random::<f64>() < 0.3)
        .secular(r.random::<f64>() < 0.2)
        .language(if r.random::<f64>() < 0.15 { "es" } else { "en" });
    let c = fixtures::register(state, &me, person).await.map_err(err)?;
    call();

    // Admission.
    clock.set(admitted);
    let (stage, level) = if via_detox {
        (Stage::Detox, [LevelOfCare::Wm2, LevelOfCare::Wm3_2, LevelOfCare::Wm3_7][r.random_range(0..3)])
    } else {
        (Stage::Rehab, rehab_level(&mut r))
    };
    let mut ep = fixtures::admit(state, &me, c.id, stage, Some(level), None).await.map_err(err)?;
    call();
    counts.episodes.fetch_add(1, Ordering::Relaxed);

    // Referrals, made in the first days of treatment, to distinct groups.
    let mut group_order: Vec<usize> = (0..shared.groups.len()).collect();
    group_order.shuffle(&mut r);
    let n_referrals = r.random_range(3..=5).min(group_order.len());
    let treatment_days = (now - admitted).num_seconds() as f64 / 86_400.0;
    struct Ref {
        model: continuum_core::entity::referral::Model,
        made: DateTime<Utc>,
        engage: bool,
    }
    let mut refs = Vec::new();
    let mut times: Vec<f64> = (0..n_referrals).map(|_| r.random_range(0.05..treatment_days.clamp(0.1, 12.0))).collect();
    times.sort_by(f64::total_cmp);
    let mut stage_now = stage;
    for (k, t) in times.into_iter().enumerate() {
        let made = admitted + day(t);
        // Move to REHAB first when the referral falls after the end of detox.
        if stage_now == Stage::Detox && place != Place::Detox && made > rehab_at {
            ep = move_stage(state, clock, &me, &ep, rehab_at, Stage::Rehab, Some(rehab_level(&mut r))).await?;
            call();
            stage_now = Stage::Rehab;
        }
        clock.set(made);
        let gi = group_order[k];
        let meeting =
            (r.random::<f64>() < 0.6).then(|| shared.meetings[gi][r.random_range(0..shared.meetings[gi].len())]);
        let status = if stage_now == Stage::Detox || r.random::<f64>() < 0.25 {
            ReferralStatus::Planned
        } else {
            ReferralStatus::Referred
        };
        let to = fixtures::Referral {
            support_group_id: shared.groups[gi],
            meeting_id: meeting,
            status,
            note: (r.random::<f64>() < 0.2).then(|| "discussed at intake".to_owned()),
            // A referral to one weekly meeting allows a goal of one a week.
            weekly_goal: (r.random::<f64>() < 0.6).then(|| if meeting.is_some() { 1 } else { r.random_range(1..=7) }),
        };
        let model = fixtures::refer(state, &me, c.id, to).await.map_err(err)?;
        call();
        counts.referrals.fetch_add(1, Ordering::Relaxed);
        refs.push(Ref { model, made, engage: r.random::<f64>() < 0.7 });
    }
    if stage_now == Stage::Detox && place != Place::Detox {
        ep = move_stage(state, clock, &me, &ep, rehab_at, Stage::Rehab, Some(rehab_level(&mut r))).await?;
        call();
    }
    // A planned referral the client turns down.
    if let Some(rf) = refs.iter_mut().find(|x| x.model.status == ReferralStatus::Planned && !x.engage)
        && r.random::<f64>() < 0.5
    {
        clock.set(rf.made + day(0.5));
        rf.model = set_status(state, &me, &rf.model, ReferralStatus::Declined, Some("prefers another program")).await?;
        call();
    }
    // Planned referrals go out once in REHAB.
    if matches!(place, Place::Rehab | Place::Aftercare | Place::Discharged) {
        for rf in refs.iter_mut().filter(|x| x.model.status == ReferralStatus::Planned) {
            let at = rf.made.max(rehab_at) + day(r.random_range(0.5..3.0));
            if at < aftercare_at.min(now) && r.random::<f64>() < 0.5 {
                clock.set(at);
                rf.model = set_status(state, &me, &rf.model, ReferralStatus::Referred, None).await?;
                rf.made = at;
                call();
            }
        }
    }
    if matches!(place, Place::Aftercare | Place::Discharged) {
        ep = move_stage(state, clock, &me, &ep, aftercare_at, Stage::Aftercare, None).await?;
        call();
        counts.follow_ups.fetch_add(state.config.follow_up_schedule_days.len() as u64, Ordering::Relaxed);
    }

    // Attendance: the first meeting through the service (it engages the referral), the
    // rest bulk-inserted, about weekly_goal a week until the client stopped going.
    let mut rows = Vec::new();
    for rf in refs.iter_mut() {
        if !rf.engage || !matches!(rf.model.status, ReferralStatus::Referred) {
            continue;
        }
        let first_at = rf.made + day(r.random_range(1.0..6.0));
        if first_at >= end {
            continue;
        }
        clock.set(first_at);
        rf.model =
            fixtures::attend(state, &me, rf.model.id, state.today(), r.random::<f64>() < 0.5).await.map_err(err)?;
        call();
        counts.attendance.fetch_add(1, Ordering::Relaxed);
        // Some stopped going a while ago: they show up on the worklist as disengaging.
        // Most attend for a few weeks or months; some are still going.
        let stopped = if r.random::<f64>() < 0.25 {
            end - day(r.random_range(15.0..40.0))
        } else if r.random::<f64>() < 0.6 {
            (first_at + day(r.random_range(14.0..120.0))).min(end)
        } else {
            end - day(r.random_range(0.0..4.0))
        };
        let per_week = rf.model.weekly_goal.unwrap_or(2).clamp(1, 4) as f64;
        let mut t = first_at + day(7.0 / per_week * r.random_range(0.6..1.6));
        while t < stopped && t < now {
            rows.push(attendance::ActiveModel {
                id: Set(Uuid::now_v7()),
                referral_id: Set(rf.model.id),
                attended_on: Set(state.local_date(t)),
                verified: Set(r.random::<f64>() < 0.4),
                note: Set(None),
                recorded_by: Set(counselor),
                created_at: Set(t),
            });
            t += day(7.0 / per_week * r.random_range(0.6..1.6));
        }
    }
    counts.attendance.fetch_add(rows.len() as u64, Ordering::Relaxed);
    for chunk in rows.chunks(500) {
        attendance::Entity::insert_many(chunk.to_vec()).exec(&state.db).await?;
    }

    // Hand-scheduled check-ins (bulk): weekly during treatment, a few between the
    // aftercare contacts. Past ones mostly recorded; the rest are overdue.
    let extra = match place {
        Place::Detox | Place::Rehab => r.random_range(6..=10),
        _ => r.random_range(2..=4),
    };
    let checkin_start =
        if matches!(place, Place::Aftercare | Place::Discharged) { aftercare_at + day(10.0) } else { admitted };
    let spacing = if matches!(place, Place::Aftercare | Place::Discharged) { 21.0 } else { 7.0 };
    let real_today = shared.base.local_date(now);
    let mut fus = Vec::new();
    let mut attempts = Vec::new();
    for k in 1..=extra {
        let due_at = checkin_start + day(spacing * k as f64);
        let due_on = state.local_date(due_at);
        let past = due_on < real_today;
        let (status, outcome, contacted) = if past && r.random::<f64>() < 0.8 {
            if r.random::<f64>() < 0.8 {
                (FollowUpStatus::Completed, Some(outcome(&mut r)), Some(due_at + day(r.random_range(0.0..2.0))))
            } else {
                (FollowUpStatus::Unreachable, None, Some(due_at))
            }
        } else {
            (FollowUpStatus::Scheduled, None, None)
        };
        let contacted = contacted.map(|t| t.min(now - Duration::minutes(1)));
        let created = checkin_start.min(now);
        let id = Uuid::now_v7();
        // UNREACHABLE only after three attempts on different days, as the service requires.
        if status == FollowUpStatus::Unreachable
            && let Some(last) = contacted
        {
            for back in [2.0, 1.0, 0.0] {
                let at = (last - day(back)).max(admitted);
                attempts.push(follow_up_attempt::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    follow_up_id: Set(id),
                    client_id: Set(c.id),
                    attempted_at: Set(at),
                    method: Set(AttemptMethod::Phone),
                    result: Set(if back > 0.0 { AttemptResult::NoAnswer } else { AttemptResult::LeftMessage }),
                    note: Set(None),
                    recorded_by: Set(counselor),
                    created_at: Set(at),
                });
            }
        }
        fus.push(follow_up::ActiveModel {
            id: Set(id),
            version: Set(if status == FollowUpStatus::Scheduled { 1 } else { 2 }),
            client_id: Set(c.id),
            episode_id: Set(Some(ep.id)),
            due_on: Set(due_on),
            schedule_days: Set(None),
            kind: Set(FollowUpKind::Manual),
            status: Set(status),
            outcome: Set(outcome),
            attending_support_group: Set((status == FollowUpStatus::Completed).then(|| r.random::<f64>() < 0.6)),
            contacted_at: Set(contacted),
            note: Set(Some("check-in call".into())),
            recorded_by: Set((status != FollowUpStatus::Scheduled).then_some(counselor)),
            created_by: Set(counselor),
            created_at: Set(created),
            updated_at: Set(contacted.unwrap_or(created)),
        });
    }
    counts.follow_ups.fetch_add(fus.len() as u64, Ordering::Relaxed);
    follow_up::Entity::insert_many(fus).exec(&state.db).await?;
    if !attempts.is_empty() {
        follow_up_attempt::Entity::insert_many(attempts).exec(&state.db).await?;
    }

    // The scheduled aftercare contacts that came due: most recorded (through the service,
    // at their due date), about a quarter left overdue.
    let mut discharged = false;
    if matches!(place, Place::Aftercare | Place::Discharged) {
        let scheduled = follow_up::Entity::find()
            .filter(follow_up::Column::ClientId.eq(c.id))
            .filter(follow_up::Column::ScheduleDays.is_not_null())
            .order_by_asc(follow_up::Column::DueOn)
            .all(&state.db)
            .await?;
        for f in scheduled {
            if f.due_on >= real_today || r.random::<f64>() < 0.25 {
                continue;
            }
            let at = f.due_on.and_hms_opt(15, 0, 0).map(|d| d.and_utc()).unwrap_or(now) + day(r.random_range(0.0..3.0));
            if place == Place::Discharged && !discharged && at > discharge_at {
                ep = discharge(state, clock, &me, &ep, discharge_at, &mut r).await?;
                call();
                discharged = true;
            }
            clock.set(at);
            let reached = r.random::<f64>() < 0.8;
            let mut version = f.version;
            if !reached {
                // Three calls on different days before the contact is given up.
                for back in [2.0, 1.0, 0.0] {
                    let attempt = follow_ups::Attempt {
                        follow_up_id: f.id,
                        attempted_at: Some((at - day(back)).max(ep.admitted_at)),
                        method: AttemptMethod::Phone,
                        result: AttemptResult::NoAnswer,
                        note: None,
                    };
                    version = follow_ups::record_attempt(state, &me, attempt).await.map_err(err)?.version;
                    call();
                }
            }
            follow_ups::record(
                state,
                &me,
                follow_ups::Contact {
                    follow_up_id: f.id,
                    expected_version: version,
                    status: if reached { FollowUpStatus::Completed } else { FollowUpStatus::Unreachable },
                    outcome: reached.then(|| outcome(&mut r)),
                    attending_support_group: reached.then(|| r.random::<f64>() < 0.6),
                    contacted_at: None,
                    note: None,
                },
            )
            .await
            .map_err(err)?;
            call();
        }
    }
    // Referrals that ended: completed or discontinued at discharge, some dropped earlier.
    if place == Place::Discharged {
        for rf in refs.iter_mut() {
            let to = match rf.model.status {
                ReferralStatus::Engaged if r.random::<f64>() < 0.7 => ReferralStatus::Completed,
                ReferralStatus::Engaged | ReferralStatus::Referred => ReferralStatus::Discontinued,
                _ => continue,
            };
            clock.set(discharge_at.min(now) - day(0.5));
            let reason = (to == ReferralStatus::Discontinued).then_some("stopped attending");
            rf.model = set_status(state, &me, &rf.model, to, reason).await?;
            call();
        }
        if !discharged {
            discharge(state, clock, &me, &ep, discharge_at, &mut r).await?;
            call();
        }
    }
    Ok(())
}

fn rehab_level(r: &mut StdRng) -> LevelOfCare {
    [LevelOfCare::L2_1, LevelOfCare::L2_5, LevelOfCare::L3_1, LevelOfCare::L3_5, LevelOfCare::L3_7]
        [r.random_range(0..5)]
}

fn outcome(r: &mut StdRng) -> FollowUpOutcome {
    match r.random::<f64>() {
        x if x < 0.65 => FollowUpOutcome::Abstinent,
        x if x < 0.85 => FollowUpOutcome::ReturnToUse,
        x if x < 0.92 => FollowUpOutcome::Readmitted,
        _ => FollowUpOutcome::DeclinedToAnswer,
    }
}

async fn move_stage(
    state: &AppState,
    clock: &SimClock,
    me: &Viewer,
    ep: &continuum_core::entity::episode::Model,
    at: DateTime<Utc>,
    stage: Stage,
    level: Option<LevelOfCare>,
) -> anyhow::Result<continuum_core::entity::episode::Model> {
    clock.set(at);
    let reason = if stage == Stage::Aftercare { "treatment plan complete" } else { "withdrawal complete" };
    fixtures::move_to(state, me, ep, stage, level, Some(reason)).await.map_err(err)
}

async fn discharge(
    state: &AppState,
    clock: &SimClock,
    me: &Viewer,
    ep: &continuum_core::entity::episode::Model,
    at: DateTime<Utc>,
    r: &mut StdRng,
) -> anyhow::Result<continuum_core::entity::episode::Model> {
    clock.set(at);
    let reason = match r.random::<f64>() {
        x if x < 0.6 => DischargeReason::Completed,
        x if x < 0.8 => DischargeReason::LeftAgainstAdvice,
        x if x < 0.9 => DischargeReason::Transferred,
        _ => DischargeReason::Other,
    };
    fixtures::discharge(state, me, ep, reason).await.map_err(err)
}

async fn set_status(
    state: &AppState,
    me: &Viewer,
    current: &continuum_core::entity::referral::Model,
    status: ReferralStatus,
    reason: Option<&str>,
) -> anyhow::Result<continuum_core::entity::referral::Model> {
    fixtures::set_status(state, me, current, status, reason).await.map_err(err)
}
