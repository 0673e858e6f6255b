//! Sign-in sessions. A login opens a session family; each `refreshSession` rotates its
//! refresh token. A token presented after it was rotated means it was stolen or replayed,
//! so the whole family is revoked. Access tokens are checked against the staff row and the
//! family on every request, so deactivation, role changes and logoff take effect at once.

use base64::Engine;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::{Auth, TokenProblem, Viewer, password, throttle},
    domain::staff::normalize_email,
    entity::{refresh_token, session_family, staff},
    error::{AppError, AppResult},
    service::{
        audit,
        write::{self, Tx},
    },
    state::AppState,
};

pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub staff: staff::Model,
}

/// How often an access-token request refreshes the session's "last used" time.
const TOUCH_EVERY_SECS: i64 = 60;

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn chrono_duration(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Why a session can no longer be used, if it cannot.
fn session_ended(state: &AppState, family: &session_family::Model, now: DateTime<Utc>) -> Option<&'static str> {
    if family.revoked_at.is_some() {
        Some("revoked")
    } else if now - family.created_at > chrono_duration(state.config.session_absolute_timeout) {
        Some("absolute timeout")
    } else if now - family.last_used_at > chrono_duration(state.config.session_idle_timeout) {
        Some("idle timeout")
    } else {
        None
    }
}

/// The throttle settings, from the configuration.
pub fn throttle_policy(state: &AppState) -> throttle::Policy {
    let limits = &state.config.limits;
    throttle::Policy { limit: limits.login_failures_per_minute, max_delay: limits.login_max_delay }
}

/// The audit event of a refused password: a wrong one, or one refused unchecked because the
/// account or address is being throttled.
fn password_event(
    member: Option<&staff::Model>,
    action: &str,
    outcome: audit::AuditOutcome,
    request_id: Option<String>,
    detail: &str,
) -> audit::Event {
    audit::Event {
        staff_id: member.map(|m| m.id),
        staff_role: member.map(|m| m.role),
        action: action.into(),
        field: Some(action.into()),
        client_id: None,
        outcome,
        request_id,
        detail: Some(detail.into()),
    }
}

pub async fn login(
    state: &AppState,
    email: &str,
    password_given: String,
    address: Option<std::net::IpAddr>,
    request_id: Option<String>,
) -> AppResult<Issued> {
    let account = normalize_email(email);
    // Counted before the password is checked: concurrent attempts cannot race the limit.
    let attempt = match state.login_throttle.begin(&account, address, throttle_policy(state), state.now()) {
        Ok(attempt) => attempt,
        Err(retry_after_secs) => {
            tracing::info!(event = "login_throttled", retry_after_secs, "sign-in refused unchecked");
            let found = staff::Entity::find().filter(staff::Column::EmailNormalized.eq(account)).one(&state.db).await?;
            let event =
                password_event(found.as_ref(), "login", audit::AuditOutcome::Denied, request_id, "rate limited");
            audit::record(state, vec![event]).await?;
            return Err(AppError::RateLimited { retry_after_secs });
        }
    };
    let found = staff::Entity::find().filter(staff::Column::EmailNormalized.eq(account.clone())).one(&state.db).await?;
    let matches = password::verify(password_given, found.as_ref().map(|s| s.password_hash.clone())).await?;
    let member = match found {
        Some(member) if matches && member.active => member,
        other => {
            tracing::info!(event = "login_failed", "sign-in refused");
            let detail = if other.is_some() { "wrong password or inactive account" } else { "unknown email" };
            let event = password_event(other.as_ref(), "login", audit::AuditOutcome::Failed, request_id, detail);
            audit::record(state, vec![event]).await?;
            return Err(AppError::InvalidCredentials);
        }
    };

    attempt.succeeded();
    let (family_id, refresh_token, now) = write::transact(state, None, "login", |mut tx| {
        let (member, request_id) = (member.clone(), request_id.clone());
        async move {
            let now = tx.now();
            let family_id = Uuid::now_v7();
            session_family::ActiveModel {
                id: Set(family_id),
                staff_id: Set(member.id),
                created_at: Set(now),
                last_used_at: Set(now),
                revoked_at: Set(None),
                revoked_reason: Set(None),
            }
            .insert(tx.conn())
            .await?;
            let refresh_token = insert_refresh_token(tx.conn(), family_id, now).await?;
            tx.audit(staff_event(&member, "login", audit::AuditOutcome::Allowed, request_id, None));
            Ok((tx, (family_id, refresh_token, now)))
        }
    })
    .await?;
    tracing::info!(event = "login", staff_id = %member.id, "signed in");
    issue(state, member, family_id, refresh_token, now)
}

async fn insert_refresh_token(conn: &impl ConnectionTrait, family_id: Uuid, now: DateTime<Utc>) -> AppResult<String> {
    let token = new_refresh_token();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        family_id: Set(family_id),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        rotated_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

fn staff_event(
    member: &staff::Model,
    action: &str,
    outcome: audit::AuditOutcome,
    request_id: Option<String>,
    detail: Option<&str>,
) -> audit::Event {
    audit::Event {
        staff_id: Some(member.id),
        staff_role: Some(member.role),
        action: action.into(),
        field: Some(action.into()),
        client_id: None,
        outcome,
        request_id,
        detail: detail.map(Into::into),
    }
}

/// Notes the audit event of a session family being ended by the system or the user.
async fn family_event(
    tx: &mut Tx,
    family: &session_family::Model,
    action: &str,
    reason: &str,
    request_id: Option<String>,
) -> AppResult<()> {
    if let Some(member) = staff::Entity::find_by_id(family.staff_id).one(tx.conn()).await? {
        tx.audit(staff_event(&member, action, audit::AuditOutcome::Allowed, request_id, Some(reason)));
    }
    Ok(())
}

fn issue(
    state: &AppState,
    member: staff::Model,
    family_id: Uuid,
    refresh_token: String,
    now: DateTime<Utc>,
) -> AppResult<Issued> {
    let (access_token, expires_at) = state
        .jwt
        .issue(member.id, family_id, member.auth_version, now, state.config.access_token_ttl)
        .map_err(AppError::internal)?;
    Ok(Issued { access_token, refresh_token, expires_at, staff: member })
}

pub async fn refresh(state: &AppState, presented: &str, request_id: Option<String>) -> AppResult<Issued> {
    let hash = hash_token(presented);
    let (member, family_id, refresh_token, now) =
        write::transact(state, None, "refreshSession", |tx| refresh_in(tx, hash.clone(), request_id.clone())).await??;
    issue(state, member, family_id, refresh_token, now)
}

/// The rotation. A session found ended, or a token presented twice, revokes the session:
/// that is committed, and the caller still hears `UNAUTHENTICATED` (the inner result).
async fn refresh_in(
    mut tx: Tx,
    token_hash: String,
    request_id: Option<String>,
) -> AppResult<(Tx, AppResult<(staff::Model, Uuid, String, DateTime<Utc>)>)> {
    let now = tx.now();
    let Some(token) =
        refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(token_hash)).one(tx.conn()).await?
    else {
        return Err(AppError::Unauthenticated(TokenProblem::Invalid));
    };
    let Some(family) = session_family::Entity::find_by_id(token.family_id).one(tx.conn()).await? else {
        return Err(AppError::Unauthenticated(TokenProblem::Invalid));
    };

    if let Some(reason) = session_ended(tx.state(), &family, now) {
        if family.revoked_at.is_some() {
            return Err(AppError::Unauthenticated(TokenProblem::SessionEnded));
        }
        revoke_family(tx.conn(), family.id, reason, now).await?;
        family_event(&mut tx, &family, "sessionRevoked", reason, request_id).await?;
        return Ok((tx, Err(AppError::Unauthenticated(TokenProblem::SessionEnded))));
    }

    // Exchange the token only if nobody has exchanged it yet; a second use is a replay.
    let rotated = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RotatedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::RotatedAt.is_null())
        .exec(tx.conn())
        .await?;
    if rotated.rows_affected != 1 {
        revoke_family(tx.conn(), family.id, "refresh token reuse", now).await?;
        family_event(&mut tx, &family, "sessionRevoked", "refresh token reuse", request_id).await?;
        tracing::warn!(event = "refresh_token_reuse", session_id = %family.id, "revoked a session family");
        return Ok((tx, Err(AppError::Unauthenticated(TokenProblem::SessionEnded))));
    }

    let member = staff::Entity::find_by_id(family.staff_id).one(tx.conn()).await?;
    let Some(member) = member.filter(|m| m.active) else {
        return Err(AppError::Unauthenticated(TokenProblem::SessionEnded));
    };
    session_family::Entity::update_many()
        .col_expr(session_family::Column::LastUsedAt, Expr::value(now))
        .filter(session_family::Column::Id.eq(family.id))
        .exec(tx.conn())
        .await?;
    let refresh_token = insert_refresh_token(tx.conn(), family.id, now).await?;
    Ok((tx, Ok((member, family.id, refresh_token, now))))
}

pub async fn logout(state: &AppState, presented: &str, request_id: Option<String>) -> AppResult<bool> {
    let hash = hash_token(presented);
    write::transact(state, None, "logout", |mut tx| {
        let (hash, request_id) = (hash.clone(), request_id.clone());
        async move {
            let token =
                refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(hash)).one(tx.conn()).await?;
            if let Some(token) = token {
                revoke_family(tx.conn(), token.family_id, "logout", tx.now()).await?;
                if let Some(family) = session_family::Entity::find_by_id(token.family_id).one(tx.conn()).await? {
                    family_event(&mut tx, &family, "logout", "signed out", request_id).await?;
                }
            }
            Ok((tx, true))
        }
    })
    .await
}

pub async fn revoke_family(
    conn: &impl ConnectionTrait,
    family_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    session_family::Entity::update_many()
        .col_expr(session_family::Column::RevokedAt, Expr::value(now))
        .col_expr(session_family::Column::RevokedReason, Expr::value(reason))
        .filter(session_family::Column::Id.eq(family_id))
        .filter(session_family::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends every session of a staff member (deactivation, role change, password change).
pub async fn revoke_all_for(
    conn: &impl ConnectionTrait,
    staff_id: Uuid,
    except: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut update = session_family::Entity::update_many()
        .col_expr(session_family::Column::RevokedAt, Expr::value(now))
        .col_expr(session_family::Column::RevokedReason, Expr::value(reason))
        .filter(session_family::Column::StaffId.eq(staff_id))
        .filter(session_family::Column::RevokedAt.is_null());
    if let Some(keep) = except {
        update = update.filter(session_family::Column::Id.ne(keep));
    }
    update.exec(conn).await?;
    Ok(())
}

/// Turns an `Authorization` header into the caller. A database failure is an error, not
/// a rejection: the caller should hear "unavailable", not "signed out". Counts as use of
/// the session (it keeps an idle session alive).
pub async fn authenticate(state: &AppState, header: Option<&str>) -> AppResult<Auth> {
    check(state, header, true).await
}

/// Whether the credentials of an open socket still stand, on the service clock: the same
/// checks as [`authenticate`], without counting as use, so a socket left open does not
/// keep an idle session from ending.
pub async fn still_valid(state: &AppState, header: &str) -> AppResult<bool> {
    Ok(matches!(check(state, Some(header), false).await?, Auth::Staff(_)))
}

async fn check(state: &AppState, header: Option<&str>, touch: bool) -> AppResult<Auth> {
    let Some(header) = header else { return Ok(Auth::Anonymous) };
    let Some(token) = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")) else {
        return Ok(Auth::Rejected(TokenProblem::Invalid));
    };
    let claims = match state.jwt.verify(token.trim(), state.now()) {
        Ok(claims) => claims,
        Err(problem) => return Ok(Auth::Rejected(problem)),
    };

    // One statement: the session family with its staff member.
    let Some((family, Some(member))) =
        session_family::Entity::find_by_id(claims.sid).find_also_related(staff::Entity).one(&state.db).await?
    else {
        return Ok(Auth::Rejected(TokenProblem::SessionEnded));
    };
    if member.id != claims.sub || !member.active || member.auth_version != claims.ver {
        return Ok(Auth::Rejected(TokenProblem::SessionEnded));
    }
    let now = state.now();
    if session_ended(state, &family, now).is_some() {
        return Ok(Auth::Rejected(TokenProblem::SessionEnded));
    }
    if touch && (now - family.last_used_at).num_seconds() >= TOUCH_EVERY_SECS {
        session_family::Entity::update_many()
            .col_expr(session_family::Column::LastUsedAt, Expr::value(now))
            .filter(session_family::Column::Id.eq(family.id))
            .exec(&state.db)
            .await?;
    }
    Ok(Auth::Staff(Viewer {
        staff_id: member.id,
        role: member.role,
        session_id: family.id,
        at: now,
        request_id: None,
        member: Some(std::sync::Arc::new(member)),
    }))
}

/// For a long-lived subscription: `None` when the viewer's session or account has ended,
/// else whether the client is (still) visible to them *now* (an emergency grant that has
/// expired since the subscription began no longer counts).
pub async fn may_still_see(state: &AppState, viewer: &Viewer, client_id: Uuid) -> AppResult<Option<bool>> {
    let member = staff::Entity::find_by_id(viewer.staff_id).one(&state.db).await?;
    let family = session_family::Entity::find_by_id(viewer.session_id).one(&state.db).await?;
    // Revoked, idle past the limit or past the absolute limit: the subscription ends too.
    let alive = matches!((&member, &family), (Some(m), Some(f))
        if m.active && m.role == viewer.role && session_ended(state, f, state.now()).is_none());
    if !alive {
        return Ok(None);
    }
    let now = Viewer { at: state.now(), ..viewer.clone() };
    Ok(Some(crate::service::client::get(state, &now, client_id).await?.is_some()))
}
