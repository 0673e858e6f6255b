//! The layers are kept apart by the crates' dependencies, so that the compiler refuses a
//! violation: the rules (`continuum-domain`) cannot reach storage or services, the services
//! (`continuum-core`) cannot name GraphQL, and the API (`continuum`) cannot query the
//! database. (Each crate's own `compile_fail` example shows the error.) This test keeps the
//! dependency lists themselves from drifting.

fn dependencies(manifest: &str) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{manifest}: {e}"));
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies && let Some((name, _)) = line.split_once('=') {
            names.push(name.trim().to_owned());
        }
    }
    names
}

#[test]
fn each_layer_depends_only_on_the_ones_below_it() {
    let root = env!("CARGO_MANIFEST_DIR");
    let api = dependencies(&format!("{root}/Cargo.toml"));
    let core = dependencies(&format!("{root}/crates/core/Cargo.toml"));
    let domain = dependencies(&format!("{root}/crates/domain/Cargo.toml"));

    for storage in ["sea-orm", "sqlx", "migration", "sea-query"] {
        assert!(!api.contains(&storage.to_owned()), "the API must not reach the database directly ({storage})");
    }
    assert!(api.contains(&"continuum-core".to_owned()));
    for graphql in ["async-graphql", "async-graphql-axum", "axum"] {
        assert!(!core.contains(&graphql.to_owned()), "services must not know GraphQL or HTTP ({graphql})");
    }
    for upper in ["continuum-core", "migration", "tokio", "sqlx", "axum"] {
        assert!(!domain.contains(&upper.to_owned()), "the rules must not reach storage, services or I/O ({upper})");
    }
}
