//! The caller as the service layer sees it. A bearer token is checked once per request;
//! resolvers and services ask the `Viewer`, never the raw header.

use uuid::Uuid;

use crate::{
    domain::Role,
    error::{AppError, AppResult},
};

#[derive(Debug, Clone)]
pub struct Viewer {
    pub staff_id: Uuid,
    pub role: Role,
    pub session_id: Uuid,
    /// When the request was authenticated: emergency grants are judged at this instant.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The request's id, carried into the audit trail.
    pub request_id: Option<String>,
    /// The staff row read when the request was authenticated (`me` answers from it).
    pub member: Option<std::sync::Arc<crate::entity::staff::Model>>,
}

/// Why a request is not signed in: what a client does next depends on it (sign in, refresh,
/// or sign in again). `extensions.reason` of an `UNAUTHENTICATED` error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// No `Authorization` header: sign in.
    Missing,
    /// Not a token of ours (malformed, wrong signature, wrong scheme): sign in again.
    Invalid,
    /// Ours, but past its `exp`: refresh the session (`refreshSession`).
    Expired,
    /// The session or account behind it has ended (signed out, idle or absolute limit,
    /// revoked, deactivated, password or role changed): sign in again.
    SessionEnded,
}

impl TokenProblem {
    pub fn reason(self) -> &'static str {
        match self {
            TokenProblem::Missing => "TOKEN_MISSING",
            TokenProblem::Invalid => "TOKEN_INVALID",
            TokenProblem::Expired => "TOKEN_EXPIRED",
            TokenProblem::SessionEnded => "SESSION_ENDED",
        }
    }
}

/// What the request's `Authorization` header amounted to.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No header: fine for `login`, `UNAUTHENTICATED` for everything else.
    Anonymous,
    /// A header that did not verify, or a session or account that has ended.
    Rejected(TokenProblem),
    Staff(Viewer),
}

impl Auth {
    pub fn viewer(&self) -> AppResult<&Viewer> {
        match self {
            Auth::Staff(viewer) => Ok(viewer),
            Auth::Anonymous => Err(AppError::Unauthenticated(TokenProblem::Missing)),
            Auth::Rejected(problem) => Err(AppError::Unauthenticated(*problem)),
        }
    }
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() { Ok(()) } else { Err(AppError::Forbidden("only an administrator may do this")) }
    }

    /// Client records are for treatment staff only (minimum necessary: IT is not treatment).
    pub fn require_clinical(&self) -> AppResult<()> {
        if self.is_admin() {
            Err(AppError::Forbidden("administrators have no access to client records"))
        } else {
            Ok(())
        }
    }
}
