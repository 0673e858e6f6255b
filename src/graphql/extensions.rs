//! Request metrics by operation type and outcome.

use async_graphql::Response;

/// Counts one finished request.
pub fn count_request(operation_type: &'static str, response: &Response) {
    let outcome = if response.errors.is_empty() { "ok" } else { "error" };
    metrics::counter!("continuum_graphql_requests_total", "operation_type" => operation_type, "outcome" => outcome)
        .increment(1);
}
