//! Access tokens: HS256 only, every registered claim required and checked.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::TokenProblem;

pub const ISSUER: &str = "continuum";
pub const AUDIENCE: &str = "continuum-portal";
/// Clock skew we tolerate between nodes.
pub const LEEWAY_SECS: u64 = 30;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: Uuid,
    /// The session family this token was issued for.
    pub sid: Uuid,
    /// The staff member's `auth_version` at issue time.
    pub ver: i32,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

impl JwtKeys {
    pub fn new(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["sub", "iss", "aud", "exp", "nbf"]);
        // Times are checked in `verify` against the service's clock (the same clock that
        // issued them), so that a test clock and the tokens agree.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = LEEWAY_SECS;
        JwtKeys { encoding: EncodingKey::from_secret(bytes), decoding: DecodingKey::from_secret(bytes), validation }
    }

    pub fn issue(
        &self,
        staff_id: Uuid,
        session_id: Uuid,
        auth_version: i32,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<(String, DateTime<Utc>), jsonwebtoken::errors::Error> {
        let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(15));
        let claims = Claims {
            sub: staff_id,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            jti: Uuid::now_v7(),
            sid: session_id,
            ver: auth_version,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires_at))
    }

    /// The claims of a well-formed, correctly signed, current HS256 token of ours; otherwise
    /// `Expired` for one of ours past its `exp`, `Invalid` for anything else. `iat` and `jti`
    /// are required by the `Claims` type itself; `exp` and `nbf` are checked against `now`
    /// with the leeway.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenProblem> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenProblem::Invalid)?
            .claims;
        let now = now.timestamp();
        let leeway = LEEWAY_SECS as i64;
        if claims.nbf - leeway > now {
            return Err(TokenProblem::Invalid);
        }
        if claims.exp + leeway <= now {
            return Err(TokenProblem::Expired);
        }
        Ok(claims)
    }
}
