//! What every request shares: settings, the database, the clock and the token keys.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use secrecy::SecretString;

use crate::{
    auth::JwtKeys,
    clock::{Clock, SystemClock},
    config::Config,
    db::StatementCounter,
    events::EventBus,
};

#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub jwt: Arc<JwtKeys>,
    pub statements: StatementCounter,
    pub events: Arc<EventBus>,
    pub login_throttle: Arc<crate::auth::throttle::LoginThrottle>,
    /// Flips to `true` when the server starts shutting down: subscriptions complete.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
    /// Appends read and denial events for concurrent requests in shared transactions.
    pub audit: Arc<crate::service::audit::AuditWriter>,
    /// Injected write contention, for the retry tests (honoured only with
    /// `CONTINUUM_FAULT_INJECTION`, which production refuses).
    pub contention: Arc<InjectedContention>,
}

/// The next `n` write transactions to reach their commit lose a race instead.
#[derive(Debug, Default)]
pub struct InjectedContention(std::sync::atomic::AtomicU32);

impl InjectedContention {
    pub fn inject(&self, n: u32) {
        self.0.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many injected losses are still to come.
    pub fn pending(&self) -> u32 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether this commit should lose the race.
    pub fn take(&self) -> bool {
        self.0
            .fetch_update(std::sync::atomic::Ordering::SeqCst, std::sync::atomic::Ordering::SeqCst, |n| {
                n.checked_sub(1)
            })
            .is_ok()
    }
}

impl AppState {
    /// Without a configured secret (development only: `Config` refuses this in production)
    /// a random key is made, so tokens do not outlive the process.
    pub fn new(config: Config, db: DatabaseConnection, statements: StatementCounter) -> Self {
        let secret = config.jwt_secret.clone().unwrap_or_else(|| {
            tracing::warn!("CONTINUUM_JWT_SECRET is not set: using a random key, sessions end when the server stops");
            let bytes: [u8; 32] = rand::random();
            SecretString::from(hex::encode(bytes))
        });
        AppState {
            jwt: Arc::new(JwtKeys::new(&secret)),
            config: Arc::new(config),
            events: EventBus::new(&db),
            login_throttle: Arc::default(),
            shutdown: Arc::new(tokio::sync::watch::Sender::new(false)),
            audit: Arc::default(),
            contention: Arc::default(),
            db,
            clock: Arc::new(SystemClock),
            statements,
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today's date in the program's time zone: where "due today" and "overdue" are judged.
    pub fn today(&self) -> chrono::NaiveDate {
        self.local_date(self.now())
    }

    pub fn local_date(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        at.with_timezone(&self.config.timezone).date_naive()
    }
}
