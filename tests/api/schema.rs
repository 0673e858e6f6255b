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
