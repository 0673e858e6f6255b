//! Typed settings, read once from the environment (and `.env`) and passed down.
//! Secrets are wrapped so that they never reach a log line or a `Debug` print.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use chrono_tz::Tz;
use secrecy::{ExposeSecret, SecretString};

/// `CONTINUUM_ENV`: production turns off introspection, GraphiQL and `--demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub database_url: String,
    pub database_max_connections: u32,
    /// GraphQL requests executed at once per node; more wait their turn (memory stays bounded
    /// and two cores are not shared thirty ways).
    pub max_concurrent_requests: u32,
    pub bind: SocketAddr,
    /// HS256 key for access tokens. `None` in development means "make one up at start".
    pub jwt_secret: Option<SecretString>,
    pub timezone: Tz,
    pub admin_email: String,
    pub admin_password: Option<SecretString>,
    pub access_token_ttl: Duration,
    pub session_idle_timeout: Duration,
    pub session_absolute_timeout: Duration,
    /// Days after entering AFTERCARE at which follow-up contacts are scheduled.
    pub follow_up_schedule_days: Vec<u32>,
    /// Days after a discharge, or a step down out of high-intensity care, at which the
    /// post-discharge contacts are due (`CONTINUUM_POST_DISCHARGE_DAYS`, default 7,30: the
    /// two windows of NCQA's FUI measure).
    pub post_discharge_days: Vec<u32>,
    /// Outreach attempts, on different days, before a contact may be given up as
    /// UNREACHABLE (`CONTINUUM_UNREACHABLE_ATTEMPTS`, default 3).
    pub unreachable_attempts: u32,
    /// Days after its due date that a contact's window stays open; once it has closed the
    /// contact may be recorded UNREACHABLE whatever the attempts (`CONTINUUM_FOLLOW_UP_WINDOW_DAYS`, 14).
    pub follow_up_window_days: u32,
    /// An active referral with no attendance for this many days is "disengaging".
    pub disengaged_after_days: u32,
    /// The program's name, printed on the client's aftercare plan.
    pub program_name: String,
    /// The program's phone number, printed on the plan (`CONTINUUM_PROGRAM_PHONE`).
    pub program_phone: Option<String>,
    /// The crisis line printed on every plan (`CONTINUUM_CRISIS_LINE`; default the US 988
    /// Suicide & Crisis Lifeline, which also answers for substance use crises).
    pub crisis_line: String,
    /// The region (ISO 3166-1 alpha-2) of phone numbers written without a country code
    /// (`CONTINUUM_PHONE_REGION`, default `US`).
    pub phone_region: String,
    /// The key of the audit trail's MACs (`CONTINUUM_AUDIT_KEY`, at least 32 bytes; required
    /// in production). Without it, development uses [`DEVELOPMENT_AUDIT_KEY`], which is
    /// public and so protects nothing.
    pub audit_key: SecretString,
    /// How long an emergency-access grant lasts.
    pub emergency_access: Duration,
    /// What a single GraphQL request may ask for (OWASP / graphql-armor defaults).
    pub limits: Limits,
    /// Hidden `debugPanic`/`debugSleep` fields for the fault tests. Never in production.
    pub fault_injection: bool,
    /// On SIGTERM, how long in-flight requests may finish before the process exits anyway.
    pub shutdown_drain: Duration,
    /// Browser origins (besides the server's own) that may call the API: CORS and the
    /// WebSocket `Origin` check read this one list (`CONTINUUM_ALLOWED_ORIGINS`).
    pub allowed_origins: Vec<String>,
}

/// Limits checked before any resolver runs, except the time limit, which ends a request
/// that runs too long.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_recursive_depth: usize,
    pub max_directives: usize,
    pub max_aliases: usize,
    pub max_batch: usize,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// Fields, arguments and directives a document may hold once every fragment spread is
    /// expanded (counted in linear time, before validation).
    pub max_fields: usize,
    /// Failed sign-ins allowed per account and address (and 4× that per address) a minute;
    /// past this many consecutive failures on one account, from any address, each further
    /// attempt waits twice as long as the one before.
    pub login_failures_per_minute: u32,
    /// The longest wait the growing delay on one account reaches.
    pub login_max_delay: Duration,
    /// Subscriptions one WebSocket may hold open at once.
    pub max_subscriptions_per_socket: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 10,
            max_complexity: 5000,
            max_recursive_depth: 32,
            max_directives: 50,
            max_aliases: 30,
            max_batch: 10,
            max_body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(10),
            max_fields: 1000,
            login_failures_per_minute: 5,
            login_max_delay: Duration::from_secs(900),
            max_subscriptions_per_socket: 10,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

fn invalid(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { name, problem: problem.into() }
}

/// The audit key of development databases when none is set. It is in the source, so a
/// trail keyed with it shows accidents, not tampering.
pub const DEVELOPMENT_AUDIT_KEY: &str = "continuum-development-audit-key-not-a-secret";

/// The shortest HS256 secret we accept (RFC 7518 §3.2: a key at least as long as the hash).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_lookup(|name| vars.get(name).cloned())
    }

    /// Builds the configuration from any source of variables (the tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let environment = match get("CONTINUUM_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(invalid("CONTINUUM_ENV", format!("`{other}` is neither `development` nor `production`")));
            }
        };

        let jwt_secret = get("CONTINUUM_JWT_SECRET").map(SecretString::from);
        match &jwt_secret {
            Some(secret) if secret.expose_secret().len() < MIN_JWT_SECRET_BYTES => {
                return Err(invalid("CONTINUUM_JWT_SECRET", format!("must be at least {MIN_JWT_SECRET_BYTES} bytes")));
            }
            None if environment == Environment::Production => {
                return Err(invalid("CONTINUUM_JWT_SECRET", "is required in production"));
            }
            _ => {}
        }

        let fault_injection = matches!(get("CONTINUUM_FAULT_INJECTION").as_deref(), Some("1" | "true"));
        if fault_injection && environment == Environment::Production {
            return Err(invalid("CONTINUUM_FAULT_INJECTION", "is refused in production"));
        }

        let bind = get("CONTINUUM_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind.parse().map_err(|_| invalid("CONTINUUM_BIND", format!("`{bind}` is not an address:port")))?;

        let timezone = get("CONTINUUM_TIMEZONE").unwrap_or_else(|| "UTC".into());
        let timezone = timezone
            .parse::<Tz>()
            .map_err(|_| invalid("CONTINUUM_TIMEZONE", format!("`{timezone}` is not an IANA time zone")))?;

        let follow_up_schedule_days = match get("CONTINUUM_FOLLOW_UP_DAYS") {
            None => vec![7, 30, 90, 180, 365],
            Some(list) => parse_schedule(&list)
                .ok_or_else(|| invalid("CONTINUUM_FOLLOW_UP_DAYS", "must be increasing day counts like 7,30,90"))?,
        };

        let post_discharge_days = match get("CONTINUUM_POST_DISCHARGE_DAYS") {
            None => vec![7, 30],
            Some(list) => parse_schedule(&list)
                .ok_or_else(|| invalid("CONTINUUM_POST_DISCHARGE_DAYS", "must be increasing day counts like 7,30"))?,
        };

        let allowed_origins = match get("CONTINUUM_ALLOWED_ORIGINS") {
            None => Vec::new(),
            Some(list) => parse_origins(&list).map_err(|bad| {
                invalid(
                    "CONTINUUM_ALLOWED_ORIGINS",
                    format!("`{bad}` is not an origin like https://portal.example.org"),
                )
            })?,
        };

        let audit_key = match get("CONTINUUM_AUDIT_KEY") {
            Some(key) if key.len() < MIN_JWT_SECRET_BYTES => {
                return Err(invalid("CONTINUUM_AUDIT_KEY", format!("must be at least {MIN_JWT_SECRET_BYTES} bytes")));
            }
            Some(key) => SecretString::from(key),
            None if environment == Environment::Production => {
                return Err(invalid("CONTINUUM_AUDIT_KEY", "is required in production"));
            }
            None => SecretString::from(DEVELOPMENT_AUDIT_KEY),
        };
        let phone_region = get("CONTINUUM_PHONE_REGION").unwrap_or_else(|| "US".into()).trim().to_ascii_uppercase();
        if !crate::domain::locator::is_region(&phone_region) {
            return Err(invalid(
                "CONTINUUM_PHONE_REGION",
                format!("`{phone_region}` is not a two-letter region like US"),
            ));
        }

        Ok(Config {
            environment,
            allowed_origins,
            database_url: get("DATABASE_URL").unwrap_or_else(|| "sqlite://continuum.db?mode=rwc".into()),
            database_max_connections: number(&get, "CONTINUUM_DB_MAX_CONNECTIONS", 16, 1, 1000)?,
            max_concurrent_requests: number(&get, "CONTINUUM_MAX_CONCURRENT_REQUESTS", 16, 1, 10_000)?,
            bind,
            jwt_secret,
            timezone,
            admin_email: get("CONTINUUM_ADMIN_EMAIL").unwrap_or_else(|| "admin@localhost".into()),
            admin_password: get("CONTINUUM_ADMIN_PASSWORD").map(SecretString::from),
            access_token_ttl: Duration::from_secs(60 * number(&get, "CONTINUUM_ACCESS_TOKEN_MINUTES", 15, 1, 60)?),
            session_idle_timeout: Duration::from_secs(
                60 * number(&get, "CONTINUUM_SESSION_IDLE_MINUTES", 15, 1, 24 * 60)?,
            ),
            session_absolute_timeout: Duration::from_secs(
                3600 * number(&get, "CONTINUUM_SESSION_ABSOLUTE_HOURS", 8, 1, 24 * 7)?,
            ),
            follow_up_schedule_days,
            post_discharge_days,
            unreachable_attempts: number(&get, "CONTINUUM_UNREACHABLE_ATTEMPTS", 3, 1, 20)?,
            follow_up_window_days: number(&get, "CONTINUUM_FOLLOW_UP_WINDOW_DAYS", 14, 1, 365)?,
            disengaged_after_days: number(&get, "CONTINUUM_DISENGAGED_DAYS", 14, 1, 365)?,
            limits: Limits {
                max_depth: number(&get, "CONTINUUM_MAX_DEPTH", 10, 2, 100)?,
                max_complexity: number(&get, "CONTINUUM_MAX_COMPLEXITY", 5000, 10, 1_000_000)?,
                max_recursive_depth: number(&get, "CONTINUUM_MAX_RECURSIVE_DEPTH", 32, 4, 256)?,
                max_directives: number(&get, "CONTINUUM_MAX_DIRECTIVES", 50, 1, 1000)?,
                max_aliases: number(&get, "CONTINUUM_MAX_ALIASES", 30, 1, 1000)?,
                max_batch: number(&get, "CONTINUUM_MAX_BATCH", 10, 1, 100)?,
                max_body_bytes: number(&get, "CONTINUUM_MAX_BODY_BYTES", 256 * 1024, 1024, 16 * 1024 * 1024)?,
                request_timeout: Duration::from_millis(number(
                    &get,
                    "CONTINUUM_REQUEST_TIMEOUT_MS",
                    10_000,
                    1,
                    600_000,
                )?),
                max_fields: number(&get, "CONTINUUM_MAX_FIELDS", 1000, 10, 100_000)?,
                login_failures_per_minute: number(&get, "CONTINUUM_LOGIN_FAILURES_PER_MINUTE", 5, 1, 1000)?,
                login_max_delay: Duration::from_secs(number(
                    &get,
                    "CONTINUUM_LOGIN_MAX_DELAY_SECS",
                    900,
                    1,
                    24 * 3600,
                )?),
                max_subscriptions_per_socket: number(&get, "CONTINUUM_MAX_SUBSCRIPTIONS_PER_SOCKET", 10, 1, 1000)?,
            },
            fault_injection,
            shutdown_drain: Duration::from_secs(number(&get, "CONTINUUM_SHUTDOWN_DRAIN_SECS", 10, 0, 600)?),
            emergency_access: Duration::from_secs(
                60 * number(&get, "CONTINUUM_EMERGENCY_ACCESS_MINUTES", 60, 1, 24 * 60)?,
            ),
            program_name: get("CONTINUUM_PROGRAM_NAME").unwrap_or_else(|| "Continuum Recovery Program".into()),
            program_phone: get("CONTINUUM_PROGRAM_PHONE").filter(|p| !p.trim().is_empty()),
            crisis_line: get("CONTINUUM_CRISIS_LINE").unwrap_or_else(|| "988".into()),
            phone_region,
            audit_key,
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}

fn number<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = get(name) else { return Ok(default) };
    match raw.parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(invalid(name, format!("must be a number from {min} to {max}"))),
    }
}

/// Origins as browsers send them: `scheme://host[:port]`, http or https, no path, no
/// wildcard (a wildcard would let any page read the API's answers).
fn parse_origins(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            let valid = rest.is_some_and(|host| {
                !host.is_empty()
                    && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
                    && !host.starts_with(':')
            });
            if valid { Ok(origin.to_ascii_lowercase()) } else { Err(origin.to_owned()) }
        })
        .collect()
}

fn parse_schedule(list: &str) -> Option<Vec<u32>> {
    let days = list
        .split(',')
        .map(|d| d.trim().parse::<u32>().ok().filter(|d| (1..=3650).contains(d)))
        .collect::<Option<Vec<_>>>()?;
    (!days.is_empty() && days.windows(2).all(|w| w[0] < w[1])).then_some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_api_contract() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://continuum.db?mode=rwc");
        assert_eq!(c.follow_up_schedule_days, vec![7, 30, 90, 180, 365]);
        assert_eq!(c.timezone, Tz::UTC);
    }

    #[test]
    fn production_requires_a_long_secret() {
        assert!(config(&[("CONTINUUM_ENV", "production")]).is_err());
        let short = config(&[("CONTINUUM_ENV", "production"), ("CONTINUUM_JWT_SECRET", "short")]);
        assert_eq!(short.expect_err("short secret").name, "CONTINUUM_JWT_SECRET");
        let long = "x".repeat(32);
        let no_key = config(&[("CONTINUUM_ENV", "production"), ("CONTINUUM_JWT_SECRET", &long)]);
        assert_eq!(no_key.expect_err("no audit key").name, "CONTINUUM_AUDIT_KEY");
        let prod = [("CONTINUUM_ENV", "production"), ("CONTINUUM_JWT_SECRET", &long), ("CONTINUUM_AUDIT_KEY", &long)];
        assert!(config(&prod).is_ok());
    }

    #[test]
    fn secrets_do_not_print() {
        let secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t";
        let c = config(&[
            ("CONTINUUM_JWT_SECRET", secret),
            ("CONTINUUM_ADMIN_PASSWORD", "hunter2hunter2"),
            ("CONTINUUM_AUDIT_KEY", "audit-key-audit-key-audit-key-audit-key"),
        ])
        .expect("valid");
        let printed = format!("{c:?}");
        assert!(!printed.contains(secret) && !printed.contains("hunter2") && !printed.contains("audit-key-audit"));
    }

    #[test]
    fn allowed_origins_are_exact_origins() {
        let c = config(&[("CONTINUUM_ALLOWED_ORIGINS", "https://Portal.Clinic.org, http://localhost:5173")])
            .expect("valid");
        assert_eq!(c.allowed_origins, vec!["https://portal.clinic.org", "http://localhost:5173"]);
        for bad in ["*", "portal.clinic.org", "https://portal.clinic.org/app", "ftp://x.org", "https://"] {
            assert!(config(&[("CONTINUUM_ALLOWED_ORIGINS", bad)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn schedule_must_increase() {
        assert!(config(&[("CONTINUUM_FOLLOW_UP_DAYS", "30,7")]).is_err());
        assert_eq!(
            config(&[("CONTINUUM_FOLLOW_UP_DAYS", "3, 14")]).expect("valid").follow_up_schedule_days,
            vec![3, 14]
        );
    }
}
