//! The one error type of the service layer and how it reaches a client.
//!
//! Services return `AppError`; every variant maps to one stable `extensions.code`
//! (`code()`), with a message safe to show (`public_message()`). `AppError` deliberately does
//! not implement `Display`: async-graphql turns anything that does into an error without a
//! code, so only the API's own conversion (`graphql::error`) can turn it into one, and an
//! internal error is logged there and masked.

use sea_orm::DbErr;

pub enum AppError {
    /// Not signed in; the problem tells the client whether to sign in or refresh.
    Unauthenticated(crate::auth::TokenProblem),
    /// Unknown email, wrong password or inactive account: one answer for all three.
    InvalidCredentials,
    Forbidden(&'static str),
    NotFound,
    /// A disclosure without an active consent that names the recipient and covers it.
    /// A disclosure no consent in force allows; the reason says which part is missing.
    ConsentRequired(String),
    BadInput {
        message: String,
        field: Option<&'static str>,
        /// The domain rule that refused the change, e.g. `STAGE_MOVE`.
        rule: Option<&'static str>,
    },
    /// Registration found clients in the caller's scope with the same date of birth and a
    /// similar name; `confirmNotDuplicate` registers anyway.
    LikelyDuplicate {
        candidates: Vec<uuid::Uuid>,
    },
    Conflict(String),
    RateLimited {
        retry_after_secs: u64,
    },
    /// The database did not answer in time: the caller may retry.
    Unavailable,
    /// The request ran past the time limit and was stopped.
    Timeout,
    /// A write lost a race the database could not serialize (PostgreSQL 40001/40P01,
    /// SQLite busy): retried a few times by `db::retrying`, then reported as UNAVAILABLE.
    Contention,
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        AppError::BadInput { message: message.into(), field: None, rule: None }
    }

    pub fn bad_field(field: &'static str, message: impl Into<String>) -> Self {
        AppError::BadInput { message: message.into(), field: Some(field), rule: None }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict(message.into())
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(err.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) | AppError::InvalidCredentials => "UNAUTHENTICATED",
            AppError::Forbidden(_) | AppError::ConsentRequired(_) => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::BadInput { .. } | AppError::LikelyDuplicate { .. } => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Unavailable | AppError::Contention => "UNAVAILABLE",
            AppError::Timeout => "TIMEOUT",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The message a client may see.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Unauthenticated(problem) => match problem {
                crate::auth::TokenProblem::Missing => {
                    "not signed in: send `Authorization: Bearer <accessToken>`".into()
                }
                crate::auth::TokenProblem::Invalid => "the access token is not valid: sign in again".into(),
                crate::auth::TokenProblem::Expired => {
                    "the access token has expired: refresh the session (refreshSession) and retry".into()
                }
                crate::auth::TokenProblem::SessionEnded => {
                    "the session has ended (signed out, timed out or revoked): sign in again".into()
                }
            },
            AppError::InvalidCredentials => "unknown email or wrong password".into(),
            AppError::Forbidden(why) => format!("not allowed: {why}"),
            AppError::NotFound => "not found".into(),
            AppError::ConsentRequired(reason) => format!("no consent in force allows this disclosure: {reason}"),
            AppError::BadInput { message, .. } | AppError::Conflict(message) => message.clone(),
            AppError::LikelyDuplicate { candidates } => format!(
                "{} client(s) on your caseloads have the same date of birth and a similar name: check `duplicates` \
                 before registering; set confirmNotDuplicate to register a different person",
                candidates.len()
            ),
            AppError::RateLimited { retry_after_secs } => {
                format!("too many attempts; try again in {retry_after_secs} s")
            }
            AppError::Unavailable => "the database is not answering; try again shortly".into(),
            AppError::Timeout => "the request took too long and was stopped".into(),
            AppError::Contention => "the database is busy with the same records; try again".into(),
            AppError::Internal(_) => "internal error".into(),
        }
    }
}

impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Internal(err) => write!(f, "INTERNAL: {err:#}"),
            other => write!(f, "{}: {}", other.code(), other.public_message()),
        }
    }
}

impl From<crate::domain::RuleViolation> for AppError {
    fn from(v: crate::domain::RuleViolation) -> Self {
        AppError::BadInput { message: v.message, field: v.field, rule: Some(v.rule) }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_contention(&err) {
            return AppError::Contention;
        }
        if is_bad_text(&err) {
            return AppError::bad_input("the text holds characters the database cannot store");
        }
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            AppError::Unavailable
        } else {
            AppError::Internal(err.into())
        }
    }
}

/// Serialization failures and deadlocks (PostgreSQL), busy or locked (SQLite): the same
/// transaction run again will most likely succeed.
fn is_contention(err: &DbErr) -> bool {
    match err {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sea_orm::sqlx::Error::Database(db) => {
                    db.code().is_some_and(|c| matches!(c.as_ref(), "40001" | "40P01" | "5" | "6" | "517" | "261"))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// PostgreSQL refusing a text value (22021: bad byte sequence, e.g. NUL; 22P05).
fn is_bad_text(err: &DbErr) -> bool {
    match err {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) => {
            matches!(e.as_ref(), sea_orm::sqlx::Error::Database(db) if db.code().is_some_and(|c| matches!(c.as_ref(), "22021" | "22P05")))
        }
        _ => false,
    }
}

/// A pool that cannot hand out a connection in time means the database is down or saturated.
fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sea_orm::sqlx::Error::Io(_)
            | sea_orm::sqlx::Error::PoolTimedOut
            | sea_orm::sqlx::Error::PoolClosed
            | sea_orm::sqlx::Error::WorkerCrashed
            | sea_orm::sqlx::Error::Protocol(_)
            | sea_orm::sqlx::Error::Tls(_) => true,
            // SQLSTATE 08xxx: connection exceptions; 57P01-57P03: the server is shutting
            // down or starting up.
            sea_orm::sqlx::Error::Database(db) => {
                db.code().is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03"))
            }
            _ => false,
        },
        DbErr::Conn(_) => true,
        _ => false,
    }
}
