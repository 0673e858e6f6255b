//! A deterministic fuzz of the GraphQL surface: documents built from the schema with random
//! (and wrongly typed, huge, unicode) arguments, random nesting, aliases, fragments and
//! directives; truncated and mangled documents; token soup; random variables; batches;
//! malformed request bodies; and hostile ones (values, selections and directive arguments
//! nested thousands deep, fragments that multiply or chain, variables nested past the JSON
//! parser's limit), which would overflow a worker's stack or hold it for hours if they
//! reached the parser or the validator unbounded. Sent through the real router as a counselor and anonymously.
//!
//! Every answer must be JSON with `data` or `errors` (200 for a GraphQL request, 400 for a
//! body that is not one), every error must carry `extensions.code`, nothing may be INTERNAL
//! or 5xx, and each request must be answered within a few seconds. Afterwards the server
//! still answers.
//!
//! Bounded by time and count: `CONTINUUM_FUZZ_SECONDS` (default 20), `CONTINUUM_FUZZ_CASES`
//! (default 50,000); `CONTINUUM_FUZZ_SEED` replays another sequence.

use std::time::{Duration, Instant};

use async_graphql::parser::types::{BaseType, FieldDefinition, Type};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use continuum::domain::Role;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

use crate::{
    access_matrix::{SchemaModel, named},
    helpers::*,
};

const DEFAULT_SEED: u64 = 0x00C0_FFEE_2026;
/// Longest a single request may take, with the server's own 10 s limit well above anything
/// these documents ask for.
const PER_REQUEST: Duration = Duration::from_secs(5);

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Builds random requests from the schema.
struct Gen<'a> {
    rng: StdRng,
    schema: &'a SchemaModel,
    /// Variables used by the document being built: name, declared type.
    variables: Vec<(String, String)>,
    /// Build a valid document (right types, real fields), so that resolvers run.
    clean: bool,
    /// Aliases handed out (clean documents use each once, so fields never conflict).
    aliases: usize,
    /// Ids of records that exist (the counselor's client, the directory, the staff).
    known_ids: Vec<String>,
}

const SCALARS: &[&str] = &["ID", "String", "Int", "Float", "Boolean", "Date", "DateTime"];
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "{", "}", "(", ")", "[", "]", ":", "$", "@", "...", "!", "=", "|", "&", ",", "#", "\"", "\"\"\"", "query",
    "mutation", "subscription", "fragment", "on", "true", "false", "null", "me", "id", "clients", "client", "edges",
    "node", "__typename", "__schema", "__type", "first", "after", "filter", "input", "1e999", "-0",
    "99999999999999999999999", "0x1F", "\\u0000", "\n", "\t", "\r\n", "\u{feff}", "\u{202e}", "🦀", "é",
    "@include(if: true)", "@skip", "@deprecated", "$v: Int", "...on Query", "login", "registerClient",
];
const NAMES: &[&str] = &["a", "b", "x", "nope", "client", "me", "__typename", "Query", "_", "é", "日本", "a1"];

impl<'a> Gen<'a> {
    fn new(seed: u64, schema: &'a SchemaModel, known_ids: Vec<String>) -> Self {
        Gen { rng: StdRng::seed_from_u64(seed), schema, variables: Vec::new(), clean: false, aliases: 0, known_ids }
    }

    /// Something invalid, with probability `p`, unless the document is to be clean.
    fn noise(&mut self, p: f64) -> bool {
        !self.clean && self.chance(p)
    }

    fn id(&mut self) -> String {
        if !self.known_ids.is_empty() && self.chance(0.5) {
            let at = self.below(self.known_ids.len());
            self.known_ids[at].clone()
        } else {
            self.random_uuid()
        }
    }

    /// A well-formed id that names nothing (from the seeded generator, so runs repeat).
    fn random_uuid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid().to_string()
    }

    fn valid_date(&mut self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.rng.random_range(2020..2031),
            self.rng.random_range(1..13),
            self.rng.random_range(1..29)
        )
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { self.rng.random_range(0..n) }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn unicode_char(&mut self) -> char {
        let ranges: [(u32, u32); 9] = [
            (0x20, 0x7e),
            (0x00, 0x1f),
            (0xa0, 0x2ff),
            (0x300, 0x36f),
            (0x590, 0x6ff),
            (0x200b, 0x202e),
            (0x4e00, 0x9fff),
            (0x1f300, 0x1faff),
            (0xfff0, 0x10ffff),
        ];
        let (lo, hi) = ranges[self.below(ranges.len())];
        char::from_u32(self.rng.random_range(lo..=hi)).unwrap_or('\u{fffd}')
    }

    fn text(&mut self, max: usize) -> String {
        let len = self.below(max + 1);
        (0..len).map(|_| self.unicode_char()).collect()
    }

    /// A GraphQL string literal (mostly well escaped).
    fn string_literal(&mut self, content: &str) -> String {
        if self.chance(0.03) {
            return format!("\"{content}\"");
        }
        if self.chance(0.05) && !content.contains("\"\"\"") && !content.contains('\\') {
            return format!("\"\"\"{content}\"\"\"");
        }
        let mut out = String::from("\"");
        for c in content.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn random_string(&mut self) -> String {
        match self.below(7) {
            0 => "x".into(),
            1 => String::new(),
            2 => self.random_uuid(),
            3 => "a".repeat(self.rng.random_range(100..20_000)),
            4 => "Robert'); DROP TABLE clients;--<script>".into(),
            5 => "nul\u{0}byte".into(),
            _ => self.text(40),
        }
    }

    fn extreme_literal(&mut self) -> String {
        let pick = self.below(12);
        match pick {
            0 => "99999999999999999999999999999999".into(),
            1 => "-2147483649".into(),
            2 => "2147483648".into(),
            3 => "1e400".into(),
            4 => "-1e400".into(),
            5 => "1.7976931348623157e308".into(),
            6 => "-0".into(),
            7 => format!("{}", self.rng.random::<i64>()),
            8 => format!("{}", self.rng.random::<f64>() * 1e300),
            9 => {
                let s = "𝕏".repeat(self.rng.random_range(1..5_000));
                self.string_literal(&s)
            }
            10 => "\"\\u0000\\ud800\"".into(),
            _ => format!("\"{}\"", "9".repeat(400)),
        }
    }

    /// A literal of the named scalar: usually valid, sometimes not.
    fn scalar_literal(&mut self, name: &str) -> String {
        match name {
            "ID" if self.clean => {
                let id = self.id();
                self.string_literal(&id)
            }
            "String" if self.clean => {
                let s =
                    if self.chance(0.5) { "x".to_owned() } else { self.text(12).replace(|c: char| c.is_control(), "") };
                self.string_literal(&s)
            }
            "Int" if self.clean => format!("{}", self.rng.random_range(0..60)),
            "Date" if self.clean => {
                let d = self.valid_date();
                self.string_literal(&d)
            }
            "DateTime" if self.clean => self.string_literal("2026-01-01T00:00:00Z"),
            "ID" => {
                let id = if self.chance(0.7) { self.id() } else { self.random_string() };
                if self.chance(0.1) { format!("{}", self.rng.random::<i32>()) } else { self.string_literal(&id) }
            }
            "String" => {
                let s = self.random_string();
                self.string_literal(&s)
            }
            "Int" => match self.below(4) {
                0 => format!("{}", self.rng.random_range(-3..200)),
                1 => format!("{}", self.rng.random::<i32>()),
                2 => "0".into(),
                _ => format!("{}", self.rng.random_range(-1000..100_000)),
            },
            "Float" => format!("{}", self.rng.random_range(-1e6..1e6)),
            "Boolean" => if self.chance(0.5) { "true" } else { "false" }.into(),
            "Date" => {
                let dates =
                    ["2026-01-01", "1899-12-31", "2200-01-01", "1980-02-30", "2026-13-01", "0000-00-00", "20260101"];
                let d = if self.chance(0.5) {
                    format!(
                        "{:04}-{:02}-{:02}",
                        self.rng.random_range(1800..2300),
                        self.rng.random_range(1..13),
                        self.rng.random_range(1..29)
                    )
                } else {
                    self.pick(&dates).to_owned()
                };
                self.string_literal(&d)
            }
            "DateTime" => {
                let times = [
                    "2026-01-01T00:00:00Z",
                    "2026-01-01",
                    "9999-12-31T23:59:59+14:00",
                    "not a time",
                    "+275760-09-13T00:00:00Z",
                ];
                let t = self.pick(&times);
                self.string_literal(t)
            }
            _ => "\"?\"".into(),
        }
    }

    /// A literal where a value of a type other than `ty` would be expected.
    fn wrong_literal(&mut self, ty: &Type) -> String {
        match self.below(8) {
            0 => "null".into(),
            1 => "{ nope: 1 }".into(),
            2 => {
                let scalar = self.pick(SCALARS);
                format!("[{}]", self.scalar_literal(scalar))
            }
            3 => "SOME_ENUM".into(),
            4 => "$undeclared".into(),
            5 => self.extreme_literal(),
            6 => {
                let other = self.pick(SCALARS);
                self.scalar_literal(other)
            }
            _ => {
                // Nest the right value far deeper than the type allows.
                let depth = self.rng.random_range(2..60);
                format!("{}{}{}", "[".repeat(depth), self.literal(ty, 0), "]".repeat(depth))
            }
        }
    }

    /// A literal for `ty`: usually right, sometimes wrong, null, a variable or extreme.
    fn literal(&mut self, ty: &Type, depth: usize) -> String {
        let roll = self.below(100);
        if !self.clean && (depth > 4 || roll < 8) {
            return self.wrong_literal(ty);
        }
        if roll < 14 {
            return self.variable(ty);
        }
        if !self.clean && roll < 18 {
            return self.extreme_literal();
        }
        match &ty.base {
            BaseType::List(inner) => {
                let n = self.below(4);
                let items: Vec<String> = (0..n).map(|_| self.literal(inner, depth + 1)).collect();
                format!("[{}]", items.join(", "))
            }
            BaseType::Named(name) => {
                let schema = self.schema;
                let values = schema.enum_values(name);
                if !values.is_empty() {
                    return if !self.noise(0.1) {
                        self.pick(&values.iter().map(String::as_str).collect::<Vec<_>>()).to_owned()
                    } else {
                        "NOT_A_VALUE".into()
                    };
                }
                let inputs = schema.input_fields(name);
                if !inputs.is_empty() {
                    let mut fields = Vec::new();
                    for field in inputs {
                        let needed = crate::access_matrix::required(field);
                        if (needed && !self.noise(0.1)) || (!needed && self.chance(0.4)) {
                            let value = self.literal(&field.ty.node, depth + 1);
                            fields.push(format!("{}: {value}", field.name.node));
                        }
                    }
                    if self.noise(0.05) {
                        fields.push("unknownField: 1".into());
                    }
                    return format!("{{ {} }}", fields.join(", "));
                }
                self.scalar_literal(name)
            }
        }
    }

    /// A reference to a (new) variable, declared with the right type or, sometimes, another.
    fn variable(&mut self, ty: &Type) -> String {
        let name = format!("v{}", self.variables.len());
        let declared = match if self.clean { 9 } else { self.below(10) } {
            0 => format!("{}!", self.pick(SCALARS)),
            1 => "Nope".into(),
            2 => format!("[{ty}]"),
            _ => ty.to_string(),
        };
        self.variables.push((name.clone(), declared));
        format!("${name}")
    }

    fn arguments(&mut self, field: &FieldDefinition) -> String {
        let mut given = Vec::new();
        for argument in &field.arguments {
            let needed = crate::access_matrix::required(&argument.node);
            if (needed && !self.noise(0.1)) || (!needed && self.chance(0.4)) {
                let value = self.literal(&argument.node.ty.node, 0);
                given.push(format!("{}: {value}", argument.node.name.node));
            }
        }
        if self.noise(0.04) {
            given.push(format!("{}: 1", self.pick(NAMES)));
        }
        if given.is_empty() { String::new() } else { format!("({})", given.join(", ")) }
    }

    fn directives(&mut self) -> String {
        if !self.chance(0.06) {
            return String::new();
        }
        match self.below(if self.clean { 4 } else { 5 }) {
            0 => " @include(if: true)".into(),
            1 => " @skip(if: false)".into(),
            2 => " @skip(if: true)".into(),
            3 => format!(" @include(if: {})", self.variable(&Type::new("Boolean!").expect("type"))),
            _ => " @nope".into(),
        }
    }

    fn field_selection(&mut self, field: &FieldDefinition, depth: usize) -> String {
        let alias = if self.clean && self.chance(0.2) {
            self.aliases += 1;
            format!("alias{}: ", self.aliases)
        } else if self.chance(0.2) {
            let names = ["a", "b", "c", "x1", "_x", "same"];
            format!("{}: ", self.pick(&names))
        } else {
            String::new()
        };
        let arguments = self.arguments(field);
        let directives = self.directives();
        let ty = named(&field.ty.node).to_owned();
        let sub = if self.schema.is_composite(&ty) {
            if self.noise(0.03) { String::new() } else { format!(" {{ {} }}", self.selection(&ty, depth + 1)) }
        } else if self.noise(0.02) {
            " { id }".into()
        } else {
            String::new()
        };
        format!("{alias}{}{arguments}{directives}{sub}", field.name.node)
    }

    /// A selection set's content for an object type.
    fn selection(&mut self, type_name: &str, depth: usize) -> String {
        let schema = self.schema;
        let fields = schema.fields_of(type_name);
        // Clean documents stay within the depth limit (10); the others need not.
        let max_depth = if self.clean { 7 } else { 14 };
        if fields.is_empty() || depth >= max_depth || (depth > 2 && self.chance(0.25)) {
            // Close off with leaves.
            let leaves: Vec<&FieldDefinition> =
                fields.iter().copied().filter(|f| !schema.is_composite(named(&f.ty.node))).collect();
            return match leaves.is_empty() {
                true => "__typename".into(),
                false => leaves[self.below(leaves.len())].name.node.to_string(),
            };
        }
        let n = 1 + self.below(4);
        let mut items = Vec::new();
        for _ in 0..n {
            match self.below(100) {
                0..=3 => items.push("__typename".into()),
                4..=6 if !self.clean => items.push(self.pick(NAMES).to_owned()),
                7..=9 => items.push(format!("... on {type_name} {{ {} }}", self.selection(type_name, depth + 1))),
                10 if !self.clean => items.push(format!("... on Client {{ {} }}", self.selection("Client", depth + 1))),
                _ => {
                    let field = fields[self.below(fields.len())];
                    items.push(self.field_selection(field, depth));
                }
            }
        }
        items.join(" ")
    }

    /// A document built from the schema, with its variables' values.
    fn structured(&mut self) -> (String, Value) {
        self.variables.clear();
        let schema = self.schema;
        let mutation = self.chance(0.35);
        let (keyword, root_type, roots) =
            if mutation { ("mutation", "Mutation", &schema.mutation) } else { ("query", "Query", &schema.query) };
        let n = 1 + self.below(3);
        let mut items = Vec::new();
        for _ in 0..n {
            let field = &roots[self.below(roots.len())];
            items.push(self.field_selection(field, 0));
        }
        if self.noise(0.03) {
            // A root field of the other root.
            let other = if mutation { &schema.query } else { &schema.mutation };
            let field = &other[self.below(other.len())];
            items.push(self.field_selection(field, 0));
        }
        let mut fragments = String::new();
        if self.chance(0.1) {
            let on = if self.noise(0.1) { "Client" } else { root_type };
            fragments = format!("\nfragment Fr on {on} {{ {} }}", self.selection(root_type, 1));
            items.push("...Fr".into());
        } else if self.noise(0.02) {
            items.push("...Missing".into());
        }
        let name = match self.below(10) {
            0 => " Named".to_owned(),
            1 if !self.clean => format!(" {}", self.pick(NAMES)),
            _ => String::new(),
        };
        let mut declared: Vec<String> = self.variables.iter().map(|(n, t)| format!("${n}: {t}")).collect();
        if self.noise(0.03) {
            declared.push("$unused: Int".into());
        }
        let header = if declared.is_empty() { String::new() } else { format!("({})", declared.join(", ")) };
        let document = format!("{keyword}{name}{header} {{ {} }}{fragments}", items.join(" "));
        let variables = self.variable_values();
        (document, variables)
    }

    /// Values for the declared variables: mostly of the declared type, sometimes anything.
    fn variable_values(&mut self) -> Value {
        let mut map = serde_json::Map::new();
        let declared = self.variables.clone();
        for (name, ty) in declared {
            if self.noise(0.1) {
                continue;
            }
            let value = match Type::new(&ty) {
                Some(ty) if !self.noise(0.25) => self.json_for(&ty, 0),
                _ => self.random_json(0),
            };
            map.insert(name, value);
        }
        if self.noise(0.05) {
            map.insert("extra".into(), self.random_json(0));
        }
        Value::Object(map)
    }

    fn json_for(&mut self, ty: &Type, depth: usize) -> Value {
        if !self.clean && (depth > 4 || self.chance(0.05)) {
            return self.random_json(depth);
        }
        match &ty.base {
            BaseType::List(inner) => {
                let n = self.below(4);
                Value::Array((0..n).map(|_| self.json_for(inner, depth + 1)).collect())
            }
            BaseType::Named(name) => {
                let schema = self.schema;
                let values = schema.enum_values(name);
                if !values.is_empty() {
                    return json!(values[self.below(values.len())]);
                }
                let inputs = schema.input_fields(name);
                if !inputs.is_empty() {
                    let mut map = serde_json::Map::new();
                    for field in inputs {
                        if crate::access_matrix::required(field) || self.chance(0.4) {
                            map.insert(field.name.node.to_string(), self.json_for(&field.ty.node, depth + 1));
                        }
                    }
                    return Value::Object(map);
                }
                match name.as_str() {
                    "Int" if self.clean => json!(self.rng.random_range(0..60)),
                    "Int" => json!(self.rng.random_range(-5..500)),
                    "Float" => json!(self.rng.random_range(-1e3..1e3)),
                    "Boolean" => json!(self.chance(0.5)),
                    "ID" => json!(self.id()),
                    "Date" if self.clean => json!(self.valid_date()),
                    "Date" => json!(format!(
                        "{:04}-{:02}-{:02}",
                        self.rng.random_range(1890..2210),
                        self.rng.random_range(0..14),
                        self.rng.random_range(0..33)
                    )),
                    "DateTime" => json!("2026-01-01T00:00:00Z"),
                    _ => json!(self.random_string()),
                }
            }
        }
    }

    fn random_json(&mut self, depth: usize) -> Value {
        match self.below(if depth > 5 { 7 } else { 9 }) {
            0 => Value::Null,
            1 => json!(self.chance(0.5)),
            2 => json!(self.rng.random::<i64>()),
            3 => json!(self.rng.random::<f64>() * 1e308),
            4 => json!(u64::MAX),
            5 => json!(self.random_string()),
            6 => json!(self.text(20)),
            7 => Value::Array((0..self.below(4)).map(|_| self.random_json(depth + 1)).collect()),
            _ => {
                let mut map = serde_json::Map::new();
                for _ in 0..self.below(4) {
                    let key = self.pick(NAMES).to_owned();
                    map.insert(key, self.random_json(depth + 1));
                }
                Value::Object(map)
            }
        }
    }

    /// Variables are a map; what is in it is anything at all.
    fn random_object(&mut self) -> Value {
        let mut map = serde_json::Map::new();
        for i in 0..self.below(4) {
            let key = if self.chance(0.5) { format!("v{i}") } else { self.pick(NAMES).to_owned() };
            map.insert(key, self.random_json(1));
        }
        Value::Object(map)
    }

    fn token_soup(&mut self) -> String {
        let n = 1 + self.below(60);
        let mut out = String::new();
        for _ in 0..n {
            if self.chance(0.15) {
                out.push_str(&self.text(6));
            } else {
                out.push_str(self.pick(TOKENS));
            }
            out.push(' ');
        }
        out
    }

    fn truncated(&mut self) -> (String, Value) {
        let (document, variables) = self.structured();
        let cut = self.below(document.len());
        let cut = (0..=cut).rev().find(|i| document.is_char_boundary(*i)).unwrap_or(0);
        (document[..cut].to_owned(), variables)
    }

    fn mangled(&mut self) -> (String, Value) {
        let (document, variables) = self.structured();
        let mut chars: Vec<char> = document.chars().collect();
        for _ in 0..1 + self.below(5) {
            let at = self.below(chars.len() + 1);
            match self.below(3) {
                0 => {
                    let c = if self.chance(0.5) {
                        self.unicode_char()
                    } else {
                        self.pick(&['{', '}', '(', ')', '"', '$', ':', '!', '@', '['])
                    };
                    chars.insert(at, c);
                }
                1 if at < chars.len() => {
                    let end = (at + self.below(10)).min(chars.len());
                    chars.drain(at..end);
                }
                _ if at < chars.len() => {
                    let end = (at + self.below(20)).min(chars.len());
                    let copy: Vec<char> = chars[at..end].to_vec();
                    chars.splice(at..at, copy);
                }
                _ => {}
            }
        }
        (chars.into_iter().collect(), variables)
    }

    /// A request body: one operation (most of the time) or a small batch.
    fn request(&mut self) -> (String, &'static str) {
        let roll = self.below(100);
        if roll < 4 {
            return (self.malformed_body(), "malformed");
        }
        if roll < 9 {
            return (self.hostile(), "hostile");
        }
        if roll < 14 {
            let n = if self.chance(0.15) { self.rng.random_range(11..16) } else { 1 + self.below(4) };
            let items: Vec<Value> = (0..n).map(|_| self.operation_json().0).collect();
            return (Value::Array(items).to_string(), "batch");
        }
        let (body, kind) = self.operation_json();
        (body.to_string(), kind)
    }

    fn operation_json(&mut self) -> (Value, &'static str) {
        let (document, variables, kind) = match self.below(100) {
            0..=29 => {
                self.clean = true;
                let (d, v) = self.structured();
                self.clean = false;
                (d, v, "clean")
            }
            30..=54 => {
                let (d, v) = self.structured();
                (d, v, "structured")
            }
            55..=69 => {
                let (d, v) = self.truncated();
                (d, v, "truncated")
            }
            70..=82 => {
                let (d, v) = self.mangled();
                (d, v, "mangled")
            }
            83..=92 => {
                let variables = self.random_object();
                (self.token_soup(), variables, "soup")
            }
            _ => {
                let (d, _) = self.structured();
                (d, self.random_object(), "random variables")
            }
        };
        let mut body = json!({ "query": document });
        match self.below(10) {
            0 => {}
            1 => body["variables"] = Value::Null,
            _ => body["variables"] = variables,
        }
        if self.chance(0.05) {
            body["operationName"] = json!(self.pick(NAMES));
        }
        (body, kind)
    }

    /// A document shaped to exhaust the server: values, selections or directive arguments
    /// nested thousands deep, fragments that multiply or chain, variables nested past the
    /// JSON parser's limit. Raw text: building these as `Value`s would overflow the test.
    fn hostile(&mut self) -> String {
        let depth = self.rng.random_range(40..6000);
        let body = |query: String| json!({ "query": query }).to_string();
        match self.below(7) {
            0 => {
                let (open, close) = [("[", "]"), ("{a: ", "}"), ("[{b: ", "}]")][self.below(3)];
                body(format!(
                    "{{ {}(x: {}1{}) {{ __typename }} }}",
                    self.pick(&["__typename", "me", "clients"]),
                    open.repeat(depth),
                    close.repeat(depth)
                ))
            }
            1 => body(format!("{}{}", "{ me ".repeat(depth), "}".repeat(depth))),
            2 => {
                let fan = 2 + self.below(3);
                let levels = 8 + self.below(40);
                let mut q = String::from("query { ...F0 }\n");
                for i in 0..levels {
                    let spreads: String = (0..fan).map(|_| format!("...F{} ", i + 1)).collect();
                    q.push_str(&format!("fragment F{i} on Query {{ __typename {spreads}}}\n"));
                }
                q.push_str(&format!("fragment F{levels} on Query {{ me {{ id }} }}\n"));
                body(q)
            }
            3 => {
                let mut q = String::from("query { ...F0 }\n");
                for i in 0..depth.min(4000) {
                    q.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
                }
                q.push_str(&format!("fragment F{} on Query {{ __typename }}\n", depth.min(4000)));
                body(q)
            }
            4 => body(format!("{{ __typename @include(if: {}true{}) }}", "[".repeat(depth), "]".repeat(depth))),
            5 => format!(
                r#"{{"query": "query($v: [Int]) {{ __typename }}", "variables": {{"v": {}1{}}}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            ),
            _ => body(format!("{{ {} }}", "__typename ".repeat(depth.min(20_000)))),
        }
    }

    fn malformed_body(&mut self) -> String {
        let bodies = [
            String::new(),
            "{".into(),
            "null".into(),
            "[]".into(),
            "\"{ me { id } }\"".into(),
            "{\"query\": 5}".into(),
            "{\"variables\": {}}".into(),
            "{\"query\": \"{ me { id } }\", \"variables\": \"x\"}".into(),
            "{\"query\": \"{ me { id } }\", \"variables\": [1]}".into(),
            "{\"query\": \"{ me { id } }\", \"operationName\": 7}".into(),
            format!("{}{}", "[".repeat(200), "]".repeat(200)),
            format!("{{\"query\": \"{}\"}}", self.token_soup().replace(['"', '\\'], "")),
            "{\"query\": \"{ me { id } }\"} trailing".into(),
            json!({ "query": "{ me { id } }", "variables": self.random_json(0) }).to_string(),
            json!([{ "query": "{ me { id } }" }, 5]).to_string(),
        ];
        bodies[self.below(bodies.len())].clone()
    }
}

/// What went wrong with one answer, if anything.
fn check_answer(status: StatusCode, body: &[u8], well_formed: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        problems.push(format!("not JSON (status {status}): {}", String::from_utf8_lossy(body)));
        return problems;
    };
    let answers: Vec<&Value> = match &json {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for answer in answers {
        let has_data = answer.get("data").is_some();
        let errors = answer.get("errors").and_then(Value::as_array);
        if !has_data && errors.is_none() {
            problems.push(format!("neither data nor errors: {answer}"));
        }
        for error in errors.into_iter().flatten() {
            match error["extensions"]["code"].as_str() {
                None => problems.push(format!("an error without extensions.code: {error}")),
                Some("INTERNAL") => problems.push(format!("INTERNAL: {error}")),
                Some(_) => {}
            }
        }
    }
    // A GraphQL request is answered 200 whatever its errors; a body that is not one, 400.
    let expected =
        if well_formed { [StatusCode::OK, StatusCode::OK] } else { [StatusCode::OK, StatusCode::BAD_REQUEST] };
    if !expected.contains(&status) {
        problems.push(format!("status {status}"));
    }
    problems
}

/// Records for the documents to find: a client of the counselor in rehab, with a referral,
/// a follow-up and a consent; the directory; the staff. Returns their ids.
async fn seed_records(app: &TestApp, me: &Session) -> Vec<String> {
    let token = Some(me.access.as_str());
    let data = app
        .gql_ok(
            token,
            "mutation { registerClient(input: { firstName: \"Fuzz\", lastName: \"Target\", dateOfBirth: \"1980-01-01\", substances: [ALCOHOL] }) { id } }",
            json!({}),
        )
        .await;
    let client = data["registerClient"]["id"].as_str().expect("client").to_owned();
    let episode = app
        .gql_ok(
            token,
            "mutation($c: ID!) { admitClient(input: { clientId: $c, stage: REHAB, levelOfCare: L3_5 }) { id } }",
            json!({ "c": client }),
        )
        .await["admitClient"]["id"]
        .as_str()
        .expect("episode")
        .to_owned();
    let groups = app.gql_ok(token, "{ supportGroups { id } me { id } }", json!({})).await;
    let mut ids: Vec<String> = groups["supportGroups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["id"].as_str().map(str::to_owned))
        .collect();
    let referral = app
        .gql_ok(
            token,
            "mutation($c: ID!, $g: ID!) { referToSupportGroup(input: { clientId: $c, supportGroupId: $g }) { id } }",
            json!({ "c": client, "g": ids[0] }),
        )
        .await["referToSupportGroup"]["id"]
        .as_str()
        .expect("referral")
        .to_owned();
    let due = (app.state.today() + chrono::Days::new(7)).to_string();
    let follow_up = app
        .gql_ok(
            token,
            "mutation($c: ID!, $d: Date!) { scheduleFollowUp(input: { clientId: $c, dueOn: $d }) { id } }",
            json!({ "c": client, "d": due }),
        )
        .await["scheduleFollowUp"]["id"]
        .as_str()
        .expect("follow-up")
        .to_owned();
    let expires = (app.state.today() + chrono::Days::new(365)).to_string();
    let consent = app
        .gql_ok(
            token,
            "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { id } }",
            json!({ "i": crate::fixtures::consent_input(&client, "x", &["ATTENDANCE"], &expires) }),
        )
        .await["recordConsent"]["id"]
        .as_str()
        .expect("consent")
        .to_owned();
    ids.truncate(3);
    ids.extend([client, episode, referral, follow_up, consent, me.staff_id.clone()]);
    ids
}

#[tokio::test]
async fn random_documents_never_break_the_server() {
    let seed: u64 = setting("CONTINUUM_FUZZ_SEED", DEFAULT_SEED);
    let budget = Duration::from_secs(setting("CONTINUUM_FUZZ_SECONDS", 20));
    let max_cases: usize = setting("CONTINUUM_FUZZ_CASES", 50_000);

    let app = TestApp::spawn().await;
    let me = app.login_as(Role::Counselor).await;
    let known_ids = seed_records(&app, &me).await;
    let bearer = format!("Bearer {}", me.access);

    let schema = SchemaModel::load();
    let mut generator = Gen::new(seed, &schema, known_ids);
    let started = Instant::now();
    let mut tried = 0usize;
    let mut by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut codes: std::collections::BTreeMap<String, usize> = Default::default();
    let mut failures: Vec<String> = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut failed = 0usize;
    // Bodies that are not a GraphQL request at all (or not a JSON one) are answered 400.
    let mut malformed: std::collections::BTreeMap<u16, usize> = Default::default();

    while tried < max_cases && started.elapsed() < budget {
        let (body, kind) = generator.request();
        let anonymous = generator.chance(0.3);
        tried += 1;
        *by_kind.entry(kind).or_default() += 1;

        let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if !anonymous {
            request = request.header(header::AUTHORIZATION, &bearer);
        }
        let request = request.body(Body::from(body.clone())).expect("request");
        let sent = Instant::now();
        let Ok((status, _, answer)) = tokio::time::timeout(PER_REQUEST, app.request(request)).await else {
            failed += 1;
            failures.push(format!("no answer within {PER_REQUEST:?} to ({kind}) {body}"));
            break;
        };
        slowest = slowest.max(sent.elapsed());
        if kind == "malformed" {
            *malformed.entry(status.as_u16()).or_default() += 1;
        }

        if let Ok(json) = serde_json::from_slice::<Value>(&answer) {
            let answers = match json {
                Value::Array(items) => items,
                other => vec![other],
            };
            for a in &answers {
                for e in a["errors"].as_array().into_iter().flatten() {
                    *codes.entry(e["extensions"]["code"].as_str().unwrap_or("(none)").to_owned()).or_default() += 1;
                }
                if a["errors"].is_null() && !a["data"].is_null() {
                    *codes.entry("(ok)".into()).or_default() += 1;
                }
            }
        }
        for problem in check_answer(status, &answer, kind != "malformed" && kind != "hostile") {
            failed += 1;
            if failures.len() < 25 {
                let shown: String = body.chars().take(600).collect();
                failures.push(format!(
                    "{problem}\n  caller: {}\n  request ({kind}): {shown}",
                    if anonymous { "anonymous" } else { "counselor" }
                ));
            }
        }
    }

    println!(
        "fuzz: seed {seed:#x}, {tried} requests in {:.1} s (slowest {slowest:?}); kinds {by_kind:?}; \
         codes {codes:?}; malformed bodies by status {malformed:?}",
        started.elapsed().as_secs_f64()
    );

    // The server still answers.
    let after = app.gql(Some(&me.access), "{ me { id } }", json!({})).await;
    assert_eq!(after["data"]["me"]["id"], me.staff_id.as_str(), "{after}");
    assert!(tried >= 100, "only {tried} requests were tried");
    assert!(failures.is_empty(), "{failed} problem(s), the first {}:\n\n{}", failures.len(), failures.join("\n\n"));
}
