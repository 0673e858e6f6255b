//! The `continuum` command: serve (the default), migrate, create-staff, print-schema.

use std::{io::Read, net::SocketAddr, process::ExitCode};

use clap::{Parser, Subcommand};
use continuum::{
    config::Config,
    db,
    domain::Role,
    service::staff::{self, NewStaff},
    startup::Application,
    state::AppState,
};

// The system allocator spent a large share of the caseload run in malloc/free and kept the
// memory it had grown to; mimalloc is faster for many small, short-lived allocations (rows,
// GraphQL values, JSON) and returns memory to the system (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "continuum", version, about = "GraphQL backend of a case-management portal for addiction treatment")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, seed, and serve the API (the default).
    Serve {
        /// Address to listen on (overrides CONTINUUM_BIND).
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Also load a demo team and caseload (never in production).
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Create a staff member; the password is read from standard input.
    CreateStaff {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, supervisor or counselor
        #[arg(long)]
        role: String,
        /// Email of the supervisor (counselors only).
        #[arg(long)]
        supervisor: Option<String>,
    },
    /// Print the GraphQL schema (what schema.graphql holds).
    PrintSchema,
    /// Audit-trail tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain and report the first broken link (exit code 1 if any).
    Verify,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::PrintSchema) = cli.command {
        print!("{}", continuum::sdl());
        return ExitCode::SUCCESS;
    }
    init_tracing();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    match run(cli.command.unwrap_or(Command::Serve { bind: None, demo: false }), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to standard output: one JSON object a line with `CONTINUUM_LOG_FORMAT=json` (for a
/// log shipper), plain text otherwise, with colour only on a terminal (and never with
/// `NO_COLOR`), so a log file or `journalctl` holds no escape codes.
fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("CONTINUUM_LOG_FORMAT").is_ok_and(|f| f.trim().eq_ignore_ascii_case("json"));
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    if json {
        logs.json().with_current_span(true).init();
    } else {
        logs.with_ansi(colour).init();
    }
}

async fn run(command: Command, mut config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { bind, demo } => {
            if let Some(bind) = bind {
                config.bind = bind;
            }
            if demo && config.is_production() {
                anyhow::bail!("--demo is refused when CONTINUUM_ENV=production");
            }
            let app = Application::build(config).await?;
            app.bootstrap().await?;
            if demo {
                let sign_ins =
                    continuum::service::demo::load(app.state()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
                println!("Demo loaded. Sign in as:");
                for (email, password) in sign_ins {
                    println!("  {email}  /  {password}");
                }
            }
            continuum::http::metrics::handle();
            app.run_until_stopped().await
        }
        Command::Migrate => {
            let (conn, _) = db::connect(&config.database_url, 1).await?;
            db::migrate(&conn).await?;
            continuum::service::audit::seal_heads(&conn, &config.audit_key).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateStaff { email, name, role, supervisor } => {
            let role =
                Role::parse(&role).ok_or_else(|| anyhow::anyhow!("--role must be admin, supervisor or counselor"))?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            let (conn, statements) = db::connect(&config.database_url, 2).await?;
            db::migrate(&conn).await?;
            let state = AppState::new(config, conn, statements);
            let supervisor_id = match supervisor {
                None => None,
                Some(email) => Some(
                    staff::find_by_email(&state, &email)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?
                        .ok_or_else(|| anyhow::anyhow!("no staff member with the email {email}"))?
                        .id,
                ),
            };
            let member = staff::create(&state, None, NewStaff { id: None, email, name, role, password, supervisor_id })
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("created {} ({}) with id {}", member.email, member.role.as_str(), member.id);
            Ok(())
        }
        Command::PrintSchema => Ok(()),
        Command::Audit { command: AuditCommand::Verify } => {
            let (conn, _) = db::connect(&config.database_url, 2).await?;
            match continuum::service::audit::verify(&conn, &config.audit_key).await? {
                continuum::service::audit::Verification::Intact { events, keyed } => {
                    println!("audit trail intact: {events} events, {keyed} of them keyed (MAC under the audit key)");
                    Ok(())
                }
                continuum::service::audit::Verification::Broken { chain, seq, id, why } => {
                    println!("audit trail broken at event {seq} of chain {chain} ({id}): {why}");
                    std::process::exit(1);
                }
            }
        }
    }
}
