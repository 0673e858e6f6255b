//! Request metrics by operation type and outcome, and the alias limit: as schema
//! extensions for subscriptions, and as plain functions for `POST /graphql`
//! ([`inspect`], [`count_request`]), which runs without extensions.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Response, ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest},
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};

pub struct Metrics;

impl ExtensionFactory for Metrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MetricsExtension::default())
    }
}

#[derive(Default)]
struct MetricsExtension {
    operation_type: Mutex<Option<&'static str>>,
}

/// Parses a request's document once (execution reuses it), refuses it when it holds more
/// aliases than `max_aliases`, and returns its operation type for the metrics. A document
/// that does not parse is left for execution to report.
pub fn inspect(request: &mut async_graphql::Request, max_aliases: usize) -> Result<&'static str, ServerError> {
    let Ok(document) = request.parsed_query() else { return Ok("invalid") };
    if aliases_in(document) > max_aliases {
        return Err(too_many_aliases(max_aliases));
    }
    Ok(operation_type(document).unwrap_or("invalid"))
}

/// Counts one finished request.
pub fn count_request(operation_type: &'static str, response: &Response) {
    let outcome = if response.errors.is_empty() { "ok" } else { "error" };
    metrics::counter!("continuum_graphql_requests_total", "operation_type" => operation_type, "outcome" => outcome)
        .increment(1);
}

fn operation_type(document: &ExecutableDocument) -> Option<&'static str> {
    let ty = match &document.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => ops.values().next().map(|op| op.node.ty),
    };
    ty.map(type_name)
}

fn aliases_in(document: &ExecutableDocument) -> usize {
    let in_operations: usize =
        document.operations.iter().map(|(_, op)| count_aliases(&op.node.selection_set.node)).sum();
    let in_fragments: usize = document.fragments.values().map(|f| count_aliases(&f.node.selection_set.node)).sum();
    in_operations + in_fragments
}

fn too_many_aliases(max: usize) -> ServerError {
    ServerError::new(format!("the query uses more than {max} aliases"), None)
}

fn type_name(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

#[async_trait::async_trait]
impl Extension for MetricsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let (Some(ty), Ok(mut slot)) = (operation_type(&document), self.operation_type.lock()) {
            *slot = Some(ty);
        }
        Ok(document)
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        count_request(self.operation_type.lock().ok().and_then(|s| *s).unwrap_or("invalid"), &response);
        response
    }
}

/// Refuses documents with more aliases than the limit (alias flooding multiplies the work
/// of one request); checked right after parsing, before validation or any resolver.
pub struct Aliases(pub usize);

impl ExtensionFactory for Aliases {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimit(self.0))
    }
}

struct AliasLimit(usize);

fn count_aliases(set: &async_graphql::parser::types::SelectionSet) -> usize {
    use async_graphql::parser::types::Selection;
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node),
            Selection::InlineFragment(i) => count_aliases(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

#[async_trait::async_trait]
impl Extension for AliasLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if aliases_in(&document) > self.0 {
            return Err(too_many_aliases(self.0));
        }
        Ok(document)
    }
}
