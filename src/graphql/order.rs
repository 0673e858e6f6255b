//! Response keys in the order of the selection set (GraphQL spec, "CollectFields" and
//! "Serialized Map Ordering"). async-graphql resolves an object's fields concurrently and
//! writes each into the result map when it finishes, so keys came back in completion order,
//! different from the query and from one list item to the next. Every transport (HTTP,
//! batch, WebSocket) puts them back in order after execution, from the document it already
//! parsed during admission; installing a schema extension instead would send every field of
//! every object through the extension chain.
//!
//! The order is the first occurrence of each response key (alias or field name) in the
//! operation's selection set with its fragments expanded in place, in document order. A
//! fragment whose type condition does not apply contributes keys the object does not have,
//! and skipped fields are not in the object, so sorting by that order gives the spec's order
//! for every runtime type. The plan is built once per response (at most the admitted number
//! of fields) and applied with one stable sort per object.

use async_graphql::{
    Name, Value,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

/// How deep fragments may nest while the plan is built. Validation refuses cycles before
/// anything executes; this bounds the walk anyway.
const MAX_DEPTH: usize = 64;

/// The order of one selection set's response keys, with the plan of each key's own set.
#[derive(Debug, Default)]
pub struct Plan {
    /// The keys in order; a selection set holds a handful, so a scan beats hashing them.
    keys: Vec<Name>,
    children: Vec<Plan>,
}

impl Plan {
    /// The plan of the operation a request runs: the named one, or the only one.
    pub fn of(document: &ExecutableDocument, operation_name: Option<&str>) -> Option<Plan> {
        let operation = &super::admission::operation(document, operation_name)?.node;
        Some(build(document, &[&operation.selection_set.node], 0))
    }

    /// Puts the keys of `value` (an object, a list of them, nested lists) in plan order.
    pub fn apply(&self, value: &mut Value) {
        match value {
            Value::List(items) => items.iter_mut().for_each(|item| self.apply(item)),
            Value::Object(map) => {
                // Most objects come out in order already: check before sorting (a sort
                // rebuilds the map's index).
                if map.len() > 1 && !map.is_sorted_by_key(|key, _| self.rank(key)) {
                    map.sort_by_cached_key(|key, _| self.rank(key));
                }
                for (key, child) in map.iter_mut() {
                    if let Some(plan) = self.children.get(self.rank(key)) {
                        plan.apply(child);
                    }
                }
            }
            _ => {}
        }
    }

    fn rank(&self, key: &Name) -> usize {
        let key = key.as_str();
        self.keys.iter().position(|k| k.as_str() == key).unwrap_or(usize::MAX)
    }
}

/// Collects the response keys of `sets` (merged, as the spec merges fields of one key) in
/// first-occurrence order, with the selection sets below each key.
fn collect<'a>(
    document: &'a ExecutableDocument,
    sets: &[&'a SelectionSet],
    depth: usize,
    keys: &mut Vec<(Name, Vec<&'a SelectionSet>)>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for set in sets {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.clone();
                    let below = &field.node.selection_set.node;
                    match keys.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, sets)) => sets.push(below),
                        None => keys.push((key, vec![below])),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    collect(document, &[&fragment.node.selection_set.node], depth + 1, keys);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                        collect(document, &[&fragment.node.selection_set.node], depth + 1, keys);
                    }
                }
            }
        }
    }
}

fn build(document: &ExecutableDocument, sets: &[&SelectionSet], depth: usize) -> Plan {
    let mut keys = Vec::new();
    collect(document, sets, depth, &mut keys);
    let mut plan = Plan { keys: Vec::with_capacity(keys.len()), children: Vec::with_capacity(keys.len()) };
    for (key, below) in keys {
        let has_fields = below.iter().any(|s| !s.items.is_empty());
        let child = if has_fields && depth < MAX_DEPTH { build(document, &below, depth + 1) } else { Plan::default() };
        plan.keys.push(key);
        plan.children.push(child);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map.keys().map(|k| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn keys_follow_the_selection_set_with_fragments_and_aliases() {
        let document = async_graphql::parser::parse_query(
            "query Q { clients { nodes { id ...Names nextFollowUp { dueOn } n: firstName ... on Client { referrals { id } } } } }
             fragment Names on Client { lastName firstName }",
        )
        .expect("a document");
        let plan = Plan::of(&document, Some("Q")).expect("a plan");
        let mut value = Value::from_json(serde_json::json!({ "clients": { "nodes": [
            { "referrals": [{ "id": "r" }], "n": "A", "firstName": "A", "nextFollowUp": { "dueOn": "d" }, "lastName": "L", "id": "1" },
            { "n": "B", "nextFollowUp": null, "referrals": [], "id": "2", "firstName": "B", "lastName": "M" },
        ] } }))
        .expect("a value");
        plan.apply(&mut value);
        let Value::Object(root) = &value else { panic!("an object") };
        let Some(Value::Object(clients)) = root.get("clients") else { panic!("clients") };
        let Some(Value::List(nodes)) = clients.get("nodes") else { panic!("nodes") };
        for node in nodes {
            assert_eq!(keys(node), ["id", "lastName", "firstName", "nextFollowUp", "n", "referrals"]);
        }
    }
}
