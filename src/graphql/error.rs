//! How a service's `AppError` reaches a GraphQL client: its stable `extensions.code`, the
//! field and rule at fault, a message safe to show. An internal error is logged here (inside
//! the request's span, which carries its id) and masked as "internal error".
//!
//! Resolvers return [`Result`], whose error is [`ApiError`]: `?` on a service call converts
//! through [`to_graphql`], never through async-graphql's blanket conversion, which would
//! drop the code.

use async_graphql::ErrorExtensions;

use crate::error::AppError;

/// A resolver's error.
pub struct ApiError(async_graphql::Error);

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(to_graphql(err))
    }
}

impl From<async_graphql::Error> for ApiError {
    fn from(err: async_graphql::Error) -> Self {
        ApiError(err)
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.0
    }
}

/// The GraphQL error of a service error.
pub fn to_graphql(err: AppError) -> async_graphql::Error {
    if let AppError::Internal(inner) = &err {
        tracing::error!(error = ?inner, "internal error");
    }
    let code = err.code();
    async_graphql::Error::new(err.public_message()).extend_with(|_, ext| {
        ext.set("code", code);
        match &err {
            AppError::BadInput { field, rule, .. } => {
                if let Some(field) = field {
                    ext.set("field", *field);
                }
                if let Some(rule) = rule {
                    ext.set("rule", *rule);
                }
            }
            AppError::RateLimited { retry_after_secs } => ext.set("retryAfter", *retry_after_secs),
            AppError::Unauthenticated(problem) => ext.set("reason", problem.reason()),
            AppError::ConsentRequired(_) => ext.set("rule", "CONSENT_REQUIRED"),
            AppError::LikelyDuplicate { candidates } => {
                ext.set("rule", "LIKELY_DUPLICATE");
                ext.set("field", "confirmNotDuplicate");
                let ids: Vec<async_graphql::Value> =
                    candidates.iter().map(|id| async_graphql::Value::String(id.to_string())).collect();
                ext.set("duplicates", async_graphql::Value::List(ids));
            }
            _ => {}
        }
    })
}
