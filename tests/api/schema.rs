//! `schema.graphql` is the generated SDL, byte for byte.

#[test]
fn schema_file_matches_the_code() {
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql");
    assert!(
        on_disk == continuum::sdl(),
        "schema.graphql is out of date: run `cargo run -- print-schema > schema.graphql`"
    );
}

#[test]
fn print_schema_prints_exactly_the_schema_file() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_continuum"))
        .arg("print-schema")
        .output()
        .expect("run continuum");
    assert!(output.status.success());
    let on_disk = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql");
    assert!(output.stdout == on_disk, "`continuum print-schema` differs from schema.graphql");
}

/// What a client generates types from, the file or the URL, is the same schema: every type
/// and field that introspection shows is in `schema.graphql`, and nothing else is (the
/// test-only fault-injection fields are in neither).
#[tokio::test]
async fn the_schema_file_and_introspection_show_the_same_fields() {
    use std::collections::BTreeSet;
    let app = crate::helpers::TestApp::spawn_with(&[("CONTINUUM_FAULT_INJECTION", "1")]).await;
    let data = app
        .gql_ok(
            None,
            "{ __schema { types { name kind fields(includeDeprecated: true) { name } } } }",
            serde_json::json!({}),
        )
        .await;
    let mut introspected = BTreeSet::new();
    for ty in data["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().unwrap_or_default();
        // Built-in scalars are not printed in SDL.
        if name.starts_with("__") || ["Boolean", "Float", "ID", "Int", "String"].contains(&name) {
            continue;
        }
        introspected.insert(name.to_owned());
        for field in ty["fields"].as_array().into_iter().flatten() {
            introspected.insert(format!("{name}.{}", field["name"].as_str().unwrap_or_default()));
        }
    }
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).expect("schema.graphql");
    let document = async_graphql::parser::parse_schema(&file).expect("schema.graphql parses");
    let mut in_file = BTreeSet::new();
    for definition in &document.definitions {
        use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
        let TypeSystemDefinition::Type(ty) = definition else { continue };
        let name = ty.node.name.node.to_string();
        in_file.insert(name.clone());
        let fields = match &ty.node.kind {
            TypeKind::Object(o) => o.fields.iter().map(|f| f.node.name.node.to_string()).collect::<Vec<_>>(),
            TypeKind::Interface(i) => i.fields.iter().map(|f| f.node.name.node.to_string()).collect(),
            _ => Vec::new(),
        };
        for field in fields {
            in_file.insert(format!("{name}.{field}"));
        }
    }
    let only_file: Vec<_> = in_file.difference(&introspected).collect();
    let only_url: Vec<_> = introspected.difference(&in_file).collect();
    assert!(
        only_file.is_empty() && only_url.is_empty(),
        "only in the file: {only_file:?}; only over the URL: {only_url:?}"
    );
    assert!(!file.contains("debugPanic") && !file.contains("debugSleep"), "no test-only fields in the file");
}

/// Every type, field, argument, input field and enum value that a portal developer sees in
/// GraphiQL's Docs or in generated types carries a description. The test names each one
/// that does not, so a new field without a doc comment fails here.
#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let app = crate::helpers::TestApp::spawn().await;
    let data = app
        .gql_ok(
            None,
            "{ __schema { types { name kind description
                 fields(includeDeprecated: true) { name description args(includeDeprecated: true) { name description } }
                 inputFields(includeDeprecated: true) { name description }
                 enumValues(includeDeprecated: true) { name description } } } }",
            serde_json::json!({}),
        )
        .await;
    let described = |v: &serde_json::Value| v["description"].as_str().is_some_and(|d| !d.trim().is_empty());
    let mut missing = Vec::new();
    let mut seen = 0;
    for ty in data["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || ["Boolean", "Float", "ID", "Int", "String"].contains(&name) {
            continue;
        }
        seen += 1;
        if !described(ty) {
            missing.push(format!("type {name}"));
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let field_name = field["name"].as_str().unwrap_or_default();
            seen += 1;
            if !described(field) {
                missing.push(format!("field {name}.{field_name}"));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                seen += 1;
                if !described(arg) {
                    missing.push(format!("argument {name}.{field_name}({})", arg["name"].as_str().unwrap_or_default()));
                }
            }
        }
        for (kind, list) in [("input field", &ty["inputFields"]), ("enum value", &ty["enumValues"])] {
            for item in list.as_array().into_iter().flatten() {
                seen += 1;
                if !described(item) {
                    missing.push(format!("{kind} {name}.{}", item["name"].as_str().unwrap_or_default()));
                }
            }
        }
    }
    assert!(seen > 1000, "the walk saw the whole schema ({seen} items)");
    assert!(missing.is_empty(), "{} undescribed:\n{}", missing.len(), missing.join("\n"));
}
