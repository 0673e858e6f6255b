//! A schema extension that counts GraphQL requests by operation type and outcome.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Response, ServerResult, Variables,
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
        let ty = match &document.operations {
            DocumentOperations::Single(op) => Some(op.node.ty),
            DocumentOperations::Multiple(ops) => ops.values().next().map(|op| op.node.ty),
        };
        if let (Some(ty), Ok(mut slot)) = (ty, self.operation_type.lock()) {
            *slot = Some(type_name(ty));
        }
        Ok(document)
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let operation_type = self.operation_type.lock().ok().and_then(|s| *s).unwrap_or("invalid");
        let outcome = if response.errors.is_empty() { "ok" } else { "error" };
        metrics::counter!("continuum_graphql_requests_total", "operation_type" => operation_type, "outcome" => outcome)
            .increment(1);
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
        let in_operations: usize =
            document.operations.iter().map(|(_, op)| count_aliases(&op.node.selection_set.node)).sum();
        let in_fragments: usize = document.fragments.values().map(|f| count_aliases(&f.node.selection_set.node)).sum();
        if in_operations + in_fragments > self.0 {
            return Err(async_graphql::ServerError::new(format!("the query uses more than {} aliases", self.0), None));
        }
        Ok(document)
    }
}
