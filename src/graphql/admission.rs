//! What a GraphQL request must satisfy before it is parsed, validated or executed, on every
//! transport (`POST /graphql`, each operation of a batch, each WebSocket operation).
//!
//! Parsing and validation are synchronous and recursive: a value nested a few thousand
//! deep overflows a worker's stack (the whole process aborts), and fragments that each
//! spread the next one twice make validation exponential. So each request is bounded in
//! steps that are each linear in its size and need no deep recursion:
//!
//! 1. the raw text: no NUL, and brackets (`{ [ (`, outside strings and comments) nested at
//!    most `CONTINUUM_MAX_RECURSIVE_DEPTH` deep — checked *before* the parser sees it;
//! 2. the JSON variables: nested no deeper than the same limit;
//! 3. the parsed document: fields, arguments and directives counted with every fragment
//!    spread expanded (each fragment counted once and remembered), at most
//!    `CONTINUUM_MAX_FIELDS`, spreads nested no deeper than the recursion limit, no
//!    fragment cycle, and at most `CONTINUUM_MAX_ALIASES` aliases.
//!
//! Only then do async-graphql's own depth, complexity and directive limits and the
//! validation rules run, over a document whose size they can no longer multiply.

use std::collections::HashMap;

use async_graphql::{
    Name, Positioned, ServerError, Value,
    parser::types::{
        Directive, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
    },
};

use crate::config::Limits;

/// The kind of operation a request runs, once it is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

impl OperationKind {
    /// The label of the request metrics.
    pub fn label(self) -> &'static str {
        match self {
            OperationKind::Query => "query",
            OperationKind::Mutation => "mutation",
            OperationKind::Subscription => "subscription",
        }
    }
}

/// Checks one request and leaves it parsed (execution reuses the document). A refusal is a
/// `BAD_USER_INPUT` error whose `extensions.limit` names the setting that refused it.
pub fn admit(request: &mut async_graphql::Request, limits: &Limits) -> Result<OperationKind, ServerError> {
    if carries_nul(request) {
        return Err(refusal("text may not contain the NUL character (U+0000)", None));
    }
    let nesting = limits.max_recursive_depth;
    let shape = text_shape(&request.query, nesting);
    if shape.nesting > nesting {
        return Err(refusal(
            format!("the document nests brackets more than {nesting} deep"),
            Some("CONTINUUM_MAX_RECURSIVE_DEPTH"),
        ));
    }
    if shape.names > max_names(limits.max_fields) {
        return Err(too_many_fields(limits.max_fields));
    }
    if request.variables.iter().any(|(_, value)| value_depth_exceeds(value, nesting)) {
        return Err(refusal(
            format!("the variables nest more than {nesting} deep"),
            Some("CONTINUUM_MAX_RECURSIVE_DEPTH"),
        ));
    }
    let operation_name = request.operation_name.clone();
    let variables = request.variables.clone();
    let document = request.parsed_query().map_err(|mut e| {
        set_code(&mut e, "BAD_USER_INPUT");
        e
    })?;
    let mut counter = Expansion { document, limits, sizes: HashMap::new() };
    let fields = document.operations.iter().try_fold(0usize, |total, (_, operation)| {
        let measure = counter.set(&operation.node.selection_set.node, 0)?;
        Ok::<_, ServerError>(total.saturating_add(measure.size))
    })?;
    if fields > limits.max_fields {
        return Err(too_many_fields(limits.max_fields));
    }
    if aliases_in(document) > limits.max_aliases {
        return Err(refusal(
            format!("the query uses more than {} aliases", limits.max_aliases),
            Some("CONTINUUM_MAX_ALIASES"),
        ));
    }
    let Some(chosen) = operation(document, operation_name.as_deref()) else {
        return Err(match operation_name {
            Some(name) => refusal(format!("the document has no operation named {name}"), None),
            None => refusal("the document holds several operations: send operationName to pick one", None),
        });
    };
    if let Some(missing) = missing_variable(&chosen.node, &variables) {
        return Err(missing);
    }
    Ok(match chosen.node.ty {
        OperationType::Query => OperationKind::Query,
        OperationType::Mutation => OperationKind::Mutation,
        OperationType::Subscription => OperationKind::Subscription,
    })
}

/// The operation a request runs: the one named by `operationName`, or the document's only
/// one. `None` when the name matches none, or when several are there and none is named
/// (the GraphQL spec's GetOperation): admission refuses those, and everything after it
/// (the response's key order, the introspection check) asks this same function.
pub fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), None) => Some(op),
        // A single operation is held here only when it is anonymous: a name cannot match it.
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// A variable the operation declares as required (non-null, no default) that the request
/// left out or sent as null. async-graphql reports it where it is used, as "Variable id is
/// not defined", which reads as a typo in the document; this names it and says what to send.
fn missing_variable(operation: &OperationDefinition, variables: &async_graphql::Variables) -> Option<ServerError> {
    operation.variable_definitions.iter().find_map(|definition| {
        let definition = &definition.node;
        let var = &definition.name.node;
        let given = variables.get(var).is_some_and(|v| !matches!(v, async_graphql::Value::Null));
        if definition.var_type.node.nullable || definition.default_value.is_some() || given {
            return None;
        }
        let mut error =
            refusal(format!("Variable ${var} of required type {} was not provided.", definition.var_type.node), None);
        error.extensions.get_or_insert_with(Default::default).set("variable", var.as_str());
        error.locations = vec![definition.name.pos];
        Some(error)
    })
}

fn refusal(message: impl Into<String>, limit: Option<&str>) -> ServerError {
    let mut error = ServerError::new(message, None);
    set_code(&mut error, "BAD_USER_INPUT");
    if let Some(limit) = limit {
        error.extensions.get_or_insert_with(Default::default).set("limit", limit);
    }
    error
}

fn set_code(error: &mut ServerError, code: &str) {
    error.extensions.get_or_insert_with(Default::default).set("code", code);
}

fn too_many_fields(max: usize) -> ServerError {
    refusal(
        format!(
            "the document selects more than {max} fields, arguments and directives once its fragments are expanded"
        ),
        Some("CONTINUUM_MAX_FIELDS"),
    )
}

/// What one pass over a document's text finds, outside strings and comments.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TextShape {
    /// Brackets (`{ [ (`) at their deepest, counted up to the limit asked for.
    pub nesting: usize,
    /// Name tokens: fields, aliases, arguments, directives, types, keywords.
    pub names: usize,
}

/// One pass over the bytes, no recursion: safe and linear on any input. It stops counting
/// nesting once `max_nesting` is passed. Unbalanced or unterminated text is left for the
/// parser to report.
pub fn text_shape(text: &str, max_nesting: usize) -> TextShape {
    let bytes = text.as_bytes();
    let mut shape = TextShape::default();
    let mut depth = 0usize;
    let mut i = 0;
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the next `"""` not escaped as `\"""`.
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                shape.nesting = shape.nesting.max(depth);
                if depth > max_nesting {
                    return shape;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b if b.is_ascii_digit() || b == b'-' => {
                // A number (`-1.5e10`): its letters are not names.
                while i + 1 < bytes.len() && (is_name(bytes[i + 1]) || matches!(bytes[i + 1], b'.' | b'+' | b'-')) {
                    i += 1;
                }
            }
            b if is_name(b) => {
                shape.names += 1;
                while i + 1 < bytes.len() && is_name(bytes[i + 1]) {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    shape
}

/// A document needs at least one name token per field it selects (unused fragments are
/// refused by validation), and keywords, types and variables rarely triple that: past this
/// many names it is refused before the parser spends time on it.
fn max_names(max_fields: usize) -> usize {
    max_fields.saturating_mul(4).saturating_add(500)
}

/// Whether a variable value nests deeper than `max`. The JSON parser already stops at 128
/// levels, so this recursion is shallow.
fn value_depth_exceeds(value: &Value, max: usize) -> bool {
    if max == 0 {
        return matches!(value, Value::List(_) | Value::Object(_));
    }
    match value {
        Value::List(items) => items.iter().any(|v| value_depth_exceeds(v, max - 1)),
        Value::Object(map) => map.values().any(|v| value_depth_exceeds(v, max - 1)),
        _ => false,
    }
}

/// NUL is never meaningful in a name, a note or a key, and PostgreSQL cannot store it:
/// refuse it up front, for both databases alike, in the text and in the variables.
fn carries_nul(request: &async_graphql::Request) -> bool {
    fn in_value(value: &Value) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::List(items) => items.iter().any(in_value),
            Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || in_value(v)),
            _ => false,
        }
    }
    let query = request.query.to_ascii_lowercase();
    query.contains('\0')
        || ["\\u0000", "\\u{0}", "\\u{00}", "\\u{000}", "\\u{0000}"].iter().any(|escape| query.contains(escape))
        || request.variables.iter().any(|(_, v)| in_value(v))
}

/// Counts a document's size with fragments expanded; each fragment is counted once, and
/// the recursion never goes deeper than the nesting limit.
struct Expansion<'a> {
    document: &'a ExecutableDocument,
    limits: &'a Limits,
    /// A fragment's size and height once counted; `None` while it is being counted, so that
    /// meeting it again is a cycle.
    sizes: HashMap<&'a Name, Option<Measure>>,
}

/// How many fields, arguments, directives and spreads a selection holds when expanded, and
/// how deep it nests.
#[derive(Clone, Copy, Default)]
struct Measure {
    size: usize,
    height: usize,
}

impl<'a> Expansion<'a> {
    fn too_deep(&self) -> ServerError {
        refusal(
            format!("selections and fragments nest more than {} deep", self.limits.max_recursive_depth),
            Some("CONTINUUM_MAX_RECURSIVE_DEPTH"),
        )
    }

    /// `depth`: how deep this set sits below its operation.
    fn set(&mut self, set: &'a SelectionSet, depth: usize) -> Result<Measure, ServerError> {
        if depth > self.limits.max_recursive_depth {
            return Err(self.too_deep());
        }
        let mut total = Measure::default();
        for item in &set.items {
            let (own, inner) = match &item.node {
                Selection::Field(field) => {
                    let own = 1 + field.node.arguments.len() + directives(&field.node.directives);
                    (own, self.set(&field.node.selection_set.node, depth + 1)?)
                }
                Selection::InlineFragment(inline) => {
                    (directives(&inline.node.directives), self.set(&inline.node.selection_set.node, depth + 1)?)
                }
                Selection::FragmentSpread(spread) => (
                    1 + directives(&spread.node.directives),
                    self.fragment(&spread.node.fragment_name.node, depth + 1)?,
                ),
            };
            total.size = total.size.saturating_add(own).saturating_add(inner.size);
            total.height = total.height.max(inner.height + 1);
            // Past the limit the exact figure does not matter: stop counting.
            if total.size > self.limits.max_fields {
                return Err(too_many_fields(self.limits.max_fields));
            }
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a Name, depth: usize) -> Result<Measure, ServerError> {
        let measure = match self.sizes.get(name) {
            Some(Some(measure)) => *measure,
            Some(None) => return Err(refusal(format!("fragment `{name}` spreads itself"), None)),
            None => {
                // An unknown fragment is left for validation to name.
                let Some(fragment) = self.document.fragments.get(name) else { return Ok(Measure::default()) };
                self.sizes.insert(name, None);
                let measure = self.set(&fragment.node.selection_set.node, depth)?;
                self.sizes.insert(name, Some(measure));
                measure
            }
        };
        // A fragment counted once may be spread again further down.
        if depth + measure.height > self.limits.max_recursive_depth + 1 {
            return Err(self.too_deep());
        }
        Ok(measure)
    }
}

fn directives(list: &[Positioned<Directive>]) -> usize {
    list.iter().map(|d| 1 + d.node.arguments.len()).sum()
}

fn aliases_in(document: &ExecutableDocument) -> usize {
    let in_operations: usize =
        document.operations.iter().map(|(_, op)| count_aliases(&op.node.selection_set.node)).sum();
    let in_fragments: usize = document.fragments.values().map(|f| count_aliases(&f.node.selection_set.node)).sum();
    in_operations + in_fragments
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node),
            Selection::InlineFragment(i) => count_aliases(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Whether every root field of the operation a request runs is introspection (`__schema`,
/// `__type`, `__typename`): such a document runs without the depth and complexity limits
/// outside production (the standard introspection query nests `ofType` deeper than
/// `CONTINUUM_MAX_DEPTH`), still bounded by the text, field and alias limits above.
pub fn introspection_only(request: &mut async_graphql::Request) -> bool {
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else { return false };
    let Some(operation) = operation(document, name.as_deref()) else { return false };
    fn all_meta(document: &ExecutableDocument, set: &SelectionSet, depth: usize) -> bool {
        depth < 16
            && set.items.iter().all(|item| match &item.node {
                Selection::Field(field) => field.node.name.node.starts_with("__"),
                Selection::InlineFragment(f) => all_meta(document, &f.node.selection_set.node, depth + 1),
                Selection::FragmentSpread(s) => document
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .is_some_and(|f| all_meta(document, &f.node.selection_set.node, depth + 1)),
            })
    }
    operation.node.ty == OperationType::Query && all_meta(document, &operation.node.selection_set.node, 0)
}

/// Whether a document asks for the schema (`__schema` or `__type`) anywhere: production
/// refuses it with a coded error instead of answering `null`.
pub fn asks_for_schema(request: &mut async_graphql::Request) -> bool {
    let Ok(document) = request.parsed_query() else { return false };
    fn walk(set: &SelectionSet, depth: usize) -> bool {
        depth < 64
            && set.items.iter().any(|item| match &item.node {
                Selection::Field(field) => {
                    matches!(field.node.name.node.as_str(), "__schema" | "__type")
                        || walk(&field.node.selection_set.node, depth + 1)
                }
                Selection::InlineFragment(f) => walk(&f.node.selection_set.node, depth + 1),
                Selection::FragmentSpread(_) => false,
            })
    }
    document.operations.iter().any(|(_, op)| walk(&op.node.selection_set.node, 0))
        || document.fragments.values().any(|f| walk(&f.node.selection_set.node, 0))
}

/// The answer to introspection in production.
pub fn introspection_refused() -> ServerError {
    let mut error = ServerError::new(
        "introspection is turned off in production: generate types from the schema.graphql of this release",
        None,
    );
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", "FORBIDDEN");
    extensions.set("reason", "INTROSPECTION_DISABLED");
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_nesting_exceeds(text: &str, max: usize) -> bool {
        text_shape(text, max).nesting > max
    }

    fn request(query: &str) -> async_graphql::Request {
        async_graphql::Request::new(query)
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        assert!(!text_nesting_exceeds(
            r#"{ a(s: "[[[[[[") # {{{{{{{{
        }"#,
            3
        ));
        assert!(!text_nesting_exceeds(r#"{ a(s: """ [[[[ \""" [[[[ """) }"#, 3));
        assert!(!text_nesting_exceeds(r#"{ a(s: "\"[[[[[[") }"#, 3));
        assert!(text_nesting_exceeds("{ a(v: [[[1]]]) }", 4));
        assert!(!text_nesting_exceeds("{ a(v: [[[1]]]) }", 5));
    }

    #[test]
    fn names_are_counted_outside_strings_comments_and_numbers() {
        let shape = text_shape("query Q($v: Int = -1.5e10) { a(s: \"not names\") # nor these\n b }", 32);
        // query Q v Int a s b
        assert_eq!(shape.names, 7);
        let flood = format!("{{ {} }}", "__typename ".repeat(20_000));
        let refused = admit(&mut request(&flood), &Limits::default()).expect_err("refused");
        assert!(refused.message.contains("fields"), "{}", refused.message);
    }

    #[test]
    fn deep_values_are_refused_before_parsing() {
        let deep = format!("{{ __typename(x: {}1{}) }}", "[".repeat(100_000), "]".repeat(100_000));
        let refused = admit(&mut request(&deep), &Limits::default()).expect_err("refused");
        assert!(refused.message.contains("nests brackets"), "{}", refused.message);
    }

    #[test]
    fn doubling_fragments_are_refused_in_linear_time() {
        let mut query = String::from("query { ...F0 }\n");
        for i in 0..25 {
            query.push_str(&format!("fragment F{i} on Query {{ ...F{} ...F{} }}\n", i + 1, i + 1));
        }
        query.push_str("fragment F25 on Query { __typename }\n");
        let started = std::time::Instant::now();
        let refused = admit(&mut request(&query), &Limits::default()).expect_err("refused");
        assert!(refused.message.contains("fields"), "{}", refused.message);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn fragment_cycles_and_long_chains_are_refused() {
        let cycle = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(admit(&mut request(cycle), &Limits::default()).is_err());
        let mut chain = String::from("query { ...F0 }\n");
        for i in 0..5000 {
            chain.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        chain.push_str("fragment F5000 on Query { __typename }\n");
        // Refused by its size before its depth is even measured.
        let refused = admit(&mut request(&chain), &Limits::default()).expect_err("refused");
        assert!(refused.message.contains("fields"), "{}", refused.message);
        // A shorter chain, within the size limits, is refused for its depth.
        let mut chain = String::from("query { ...F0 }\n");
        for i in 0..40 {
            chain.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        chain.push_str("fragment F40 on Query { __typename }\n");
        let refused = admit(&mut request(&chain), &Limits::default()).expect_err("refused");
        assert!(refused.message.contains("nest"), "{}", refused.message);
    }

    #[test]
    fn an_ordinary_query_is_admitted_with_its_kind() {
        let mut r =
            request("mutation M { login(email: \"a@b.org\", password: \"x\") { accessToken } } query Q { me { id } }")
                .operation_name("Q");
        assert_eq!(admit(&mut r, &Limits::default()).ok(), Some(OperationKind::Query));
        let mut s = request("subscription { caseloadEvents { kind } }");
        assert_eq!(admit(&mut s, &Limits::default()).ok(), Some(OperationKind::Subscription));
    }
}
