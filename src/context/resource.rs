//! The context of one resource: every spelling, type, SQL statement and test value its
//! templates need, precomputed for the project's database so that the templates only read.

use serde::Serialize;

use crate::cli::Db;
use crate::resources::{Field, FieldType, Resource, Spellings};

/// The most characters of a `string` field, and of a `text` field.
const STRING_MAX_CHARS: usize = 255;
const TEXT_MAX_CHARS: usize = 10_000;

/// The first migration of a resource: resource `i` gets this plus `100 * i`, so that the order
/// of the tables is the order of the resources, however the project grew.
const FIRST_MIGRATION: u64 = 20_240_101_000_000;

#[derive(Debug, Clone, Serialize)]
pub struct ResourceContext {
    /// The name as given: plural, the table, the URL (`/api/v1/<plural.kebab>`).
    pub plural: Spellings,
    /// The domain type (`singular.pascal`) and its module.
    pub singular: Spellings,
    /// The version of its migration (from its position in the project's list).
    pub migration: String,
    pub fields: Vec<FieldContext>,
    /// The fields in a sentence of the docs: "`name` (string, unique, 1 to 255 characters), …".
    pub fields_doc: String,
    /// A create body as JSON, for the docs' `curl` example.
    pub example_body: String,
    /// Whether some field is unique, and their names for a conflict message (`sku or email`).
    pub has_unique: bool,
    pub unique_names: String,
    /// The table name quoted for SQL (`"products"`), as it appears in a `.sql` file.
    pub table: String,
    /// A short hash of its fields (names, types, serde attributes): what a copy stored outside
    /// the database (a cache) carries, so that a copy of another shape is never read back.
    pub fingerprint: String,
    /// The statements of its repository, for its database (empty without one).
    pub sql: SqlContext,
    /// Values its tests send.
    pub test: TestContext,
    /// Its fields that name a resource another service owns, checked there on create and
    /// update (microservices, through the owner's calls; empty elsewhere).
    pub references: Vec<ReferenceContext>,
}

/// A field `<singular>_id` (int or bigint) of a resource whose service calls the service that
/// owns the resource `<singular>`: its value must name one that exists there.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceContext {
    /// The field, as the client sends it and as the 422 names it.
    pub field: String,
    /// The id as an `Option<i64>` from `input` (`None`: an optional field left out).
    pub id: String,
    /// The service called (the `Callee` variant is its `pascal`).
    pub callee: crate::names::Names,
    /// Where the callee serves it: `/api/v1/<plural>`, and its name in a sentence.
    pub path: String,
    pub what: String,
}

impl ResourceContext {
    /// Gives the resource its `references`: the docs' example body then names the first of each
    /// referenced resource (id 1), which the README's `curl` examples create first.
    pub fn refer(&mut self, references: Vec<ReferenceContext>) {
        for reference in &references {
            if let Some(field) = self.fields.iter().find(|f| f.name == reference.field) {
                let sample = format!("\"{}\": {}", field.name, field.samples[0]);
                self.example_body = self.example_body.replace(&sample, &format!("\"{}\": 1", field.name));
            }
        }
        self.references = references;
    }
}

impl ReferenceContext {
    /// The references among `resource`'s fields to resources owned by `callees` (each with the
    /// resources it owns).
    #[must_use]
    pub fn of(resource: &Resource, callees: &[(&crate::names::Names, Vec<&Resource>)]) -> Vec<Self> {
        let mut out = Vec::new();
        for field in &resource.fields {
            if !matches!(field.ty, FieldType::Int | FieldType::Bigint) {
                continue;
            }
            let Some(singular) = field.name.strip_suffix("_id") else { continue };
            for (callee, owned) in callees {
                let Some(target) = owned.iter().find(|r| r.singular == singular) else { continue };
                let name = &field.name;
                let id = match (field.ty, field.optional) {
                    (FieldType::Bigint, false) => format!("Some(input.{name})"),
                    (FieldType::Bigint, _) => format!("input.{name}"),
                    (_, false) => format!("Some(i64::from(input.{name}))"),
                    (_, true) => format!("input.{name}.map(i64::from)"),
                };
                out.push(Self {
                    field: name.clone(),
                    id,
                    callee: (*callee).clone(),
                    path: format!("/api/v1/{}", Spellings::of(&target.name).kebab),
                    what: Spellings::of(&target.singular).title,
                });
            }
        }
        out
    }
}

#[derive(Debug, Clone, Serialize)]
#[allow(clippy::struct_excessive_bools)] // flags the templates read, one per property
pub struct FieldContext {
    pub name: String,
    /// The name in a sentence (`unit price`), and as a constant (`UNIT_PRICE`).
    pub title: String,
    pub shouty: String,
    pub optional: bool,
    pub unique: bool,
    /// `string` and `text`: validated (trimmed, bounded, no NUL) by the domain.
    pub text: bool,
    pub max_chars: usize,
    /// The type of the struct field (`Option<…>` when optional).
    pub rust_type: String,
    /// A `#[serde(…)]` attribute for the resource's field and for the input's, or empty.
    pub serde_output: String,
    pub serde_input: String,
    /// The validated input's accessor: its return type and body (reading `self.0.<name>`).
    pub accessor_type: String,
    pub accessor: String,
    /// The validated value, from `input` (`ProductInput`): `text::required(…)?` or the field.
    pub validate: String,
    /// Turns the accessor's value (`new.<name>()`) into an owned field value.
    pub owned: &'static str,
    /// In-memory uniqueness: the value `other` (a stored resource) holds, comparable with the
    /// accessor's.
    pub held: String,
    /// Storage on sqlx: the column's definition, the row's field type, the value bound from
    /// `new.<name>()` and the domain value read from `row.<name>`.
    pub column: String,
    pub row_type: String,
    pub bind: String,
    pub from_row: String,
    /// Three distinct valid values as JSON, and one of the wrong type (empty for `json`, which
    /// takes any value): what the test bodies are made of.
    #[serde(skip)]
    pub samples: [String; 3],
    #[serde(skip)]
    pub wrong: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SqlContext {
    pub insert: String,
    pub select: String,
    pub list: String,
    pub count: String,
    pub update: String,
    pub delete: String,
    /// `CREATE UNIQUE INDEX …;` lines of the migration.
    pub indexes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestContext {
    /// JSON objects with every field (`{"name": "alpha", "price": 1.5}`), one per sample.
    pub bodies: [String; 3],
    /// A body with the required fields only (third samples).
    pub required_body: String,
    /// Whether some field is optional: a body without them leaves them `null`.
    pub has_optional: bool,
    /// The first required field, which a body without it is refused for; empty if none.
    pub required_field: String,
    /// A body whose first typed field has a value of the wrong type; empty if no field can.
    pub wrong_body: String,
    /// The first `string`/`text` field, whose limit the unit tests probe; empty if none.
    pub text_field: String,
    /// Its `text::Field` constant.
    pub text_const: String,
    /// What its accessor returns for `"  padded "`.
    pub text_trimmed: &'static str,
    /// The first body with its first text field holding a NUL, which the domain's rules refuse
    /// (a 422, not a malformed body); empty if no field is text.
    pub invalid_body: String,
    /// The first body, and the invalid one, as JSON strings (`"{\"name\": …}"`): the `body` of a
    /// queue message or an API Gateway event.
    pub quoted_body: String,
    pub quoted_invalid_body: String,
}

/// FNV-1a (64 bits) of each field's name, Rust type and serde attribute, as 16 hex digits:
/// stable across runs and releases, unlike `std`'s hasher.
fn fingerprint(fields: &[FieldContext]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for field in fields {
        for part in [&field.name, &field.rust_type, &field.serde_output] {
            for byte in part.bytes().chain([0]) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    format!("{hash:016x}")
}

impl ResourceContext {
    #[must_use]
    pub fn new(resource: &Resource, index: usize, db: Db) -> Self {
        let fields: Vec<FieldContext> = resource.fields.iter().map(|f| field(f, db)).collect();
        let unique: Vec<&str> = fields.iter().filter(|f| f.unique).map(|f| f.name.as_str()).collect();
        let table = format!("\"{}\"", resource.name);
        let sql = if db == Db::None { SqlContext::default() } else { sql(resource, &table, &fields, db) };
        let test = test(&fields);
        let fields_doc = resource.fields.iter().map(doc).collect::<Vec<_>>().join(", ");
        let example_body = test.bodies[0].clone();
        Self {
            fields_doc,
            example_body,
            plural: Spellings::of(&resource.name),
            singular: Spellings::of(&resource.singular),
            migration: (FIRST_MIGRATION + 100 * index as u64).to_string(),
            has_unique: !unique.is_empty(),
            unique_names: unique.join(" or "),
            table,
            fingerprint: fingerprint(&fields),
            sql,
            test,
            fields,
            references: Vec::new(),
        }
    }
}

/// A Rust string literal of an SQL statement, one clause per line (`"\` then lines ending in
/// ` \`): rustfmt leaves such a literal as it is, however long the statement gets.
fn literal(clauses: &[&str]) -> String {
    let lines: Vec<String> = clauses.iter().map(|clause| format!("    {clause}")).collect();
    format!("\"\\\n{}\"", lines.join(" \\\n"))
}

/// A field in a sentence of the docs.
fn doc(field: &Field) -> String {
    let mut words = vec![format!("{}{}", if field.optional { "optional " } else { "" }, field.ty.name())];
    if field.unique {
        words.push("unique".into());
    }
    match (field.ty, field.optional) {
        (FieldType::String, false) => words.push(format!("1 to {STRING_MAX_CHARS} characters")),
        (FieldType::String, true) => words.push(format!("at most {STRING_MAX_CHARS} characters")),
        (FieldType::Text, _) => words.push(format!("at most {TEXT_MAX_CHARS} characters")),
        _ => {}
    }
    format!("`{}` ({})", field.name, words.join(", "))
}

fn placeholder(db: Db, n: usize) -> String {
    if db == Db::Sqlite { format!("?{n}") } else { format!("${n}") }
}

fn sql(resource: &Resource, table: &str, fields: &[FieldContext], db: Db) -> SqlContext {
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let columns = format!("id, {}, created_at, updated_at", names.join(", "));
    let n = fields.len();
    let values: Vec<String> = (1..=n).map(|i| placeholder(db, i)).collect();
    let now = placeholder(db, n + 1);
    let set: Vec<String> = names.iter().zip(&values).map(|(name, value)| format!("{name} = {value}")).collect();
    // In a Rust string literal: the table's quotes escaped.
    let quoted = table.replace('"', "\\\"");
    let prefix = &resource.name;
    SqlContext {
        insert: literal(&[
            &format!("INSERT INTO {quoted} ({}, created_at, updated_at)", names.join(", ")),
            &format!("VALUES ({}, {now}, {now})", values.join(", ")),
            &format!("RETURNING {columns}"),
        ]),
        select: literal(&[&format!("SELECT {columns}"), &format!("FROM {quoted} WHERE id = {}", placeholder(db, 1))]),
        list: literal(&[
            &format!("SELECT count(*) OVER () AS _total, {columns}"),
            &format!("FROM {quoted} ORDER BY id LIMIT {} OFFSET {}", placeholder(db, 1), placeholder(db, 2)),
        ]),
        count: literal(&[&format!("SELECT count(*) FROM {quoted}")]),
        update: literal(&[
            &format!("UPDATE {quoted} SET {}, updated_at = {now}", set.join(", ")),
            &format!("WHERE id = {}", placeholder(db, n + 2)),
            &format!("RETURNING {columns}"),
        ]),
        delete: literal(&[&format!("DELETE FROM {quoted} WHERE id = {}", placeholder(db, 1))]),
        indexes: fields
            .iter()
            .filter(|f| f.unique)
            .map(|f| format!("CREATE UNIQUE INDEX \"{prefix}_{}_key\" ON {table} ({});", f.name, f.name))
            .collect(),
    }
}

#[allow(clippy::too_many_lines)] // one table: a row per type
fn field(field: &Field, db: Db) -> FieldContext {
    use FieldType as T;
    let name = field.name.clone();
    let optional = field.optional;
    let text = matches!(field.ty, T::String | T::Text);
    let max_chars = if field.ty == T::Text { TEXT_MAX_CHARS } else { STRING_MAX_CHARS };
    let shouty = heck::ToShoutySnakeCase::to_shouty_snake_case(name.as_str());
    let rust = match field.ty {
        T::String | T::Text => "String",
        T::Int => "i32",
        T::Bigint => "i64",
        T::Bool => "bool",
        T::Decimal => "rust_decimal::Decimal",
        T::Float => "f64",
        T::Date => "time::Date",
        T::Timestamp => "time::OffsetDateTime",
        T::Uuid => "uuid::Uuid",
        T::Json => "serde_json::Value",
    };
    let wrap = |ty: &str| if optional { format!("Option<{ty}>") } else { ty.to_owned() };
    let rfc3339 = if optional { "time::serde::rfc3339::option" } else { "time::serde::rfc3339" };
    let (serde_output, serde_input) = match (field.ty, optional) {
        (T::Timestamp, false) => (format!("#[serde(with = \"{rfc3339}\")]"), format!("#[serde(with = \"{rfc3339}\")]")),
        (T::Timestamp, true) => {
            (format!("#[serde(with = \"{rfc3339}\")]"), format!("#[serde(default, with = \"{rfc3339}\")]"))
        }
        (_, true) => (String::new(), "#[serde(default)]".to_owned()),
        (_, false) => (String::new(), String::new()),
    };
    let (accessor_type, accessor, owned) = match (field.ty, optional) {
        (T::String | T::Text, false) => ("&str".to_owned(), format!("&self.0.{name}"), ".to_owned()"),
        (T::String | T::Text, true) => {
            ("Option<&str>".to_owned(), format!("self.0.{name}.as_deref()"), ".map(str::to_owned)")
        }
        (T::Json, false) => (format!("&{rust}"), format!("&self.0.{name}"), ".clone()"),
        (T::Json, true) => (format!("Option<&{rust}>"), format!("self.0.{name}.as_ref()"), ".cloned()"),
        (_, _) => (wrap(rust), format!("self.0.{name}"), ""),
    };
    let validate = match (text, optional) {
        (true, false) => format!("{shouty}.required(input.{name})?"),
        (true, true) => format!("{shouty}.optional(input.{name})?"),
        (false, _) => format!("input.{name}"),
    };
    let held = match (text, optional) {
        (true, true) => format!("other.{name}.as_deref()"),
        (true, false) => format!("other.{name}.as_str()"),
        (false, _) => format!("other.{name}"),
    };
    let sqlite = db == Db::Sqlite;
    let sql_type = if sqlite {
        match field.ty {
            T::String | T::Text | T::Decimal | T::Date | T::Timestamp | T::Json => "TEXT",
            T::Int | T::Bigint => "INTEGER",
            T::Bool => "BOOLEAN",
            T::Float => "REAL",
            T::Uuid => "BLOB",
        }
    } else {
        match field.ty {
            T::String | T::Text => "TEXT",
            T::Int => "INTEGER",
            T::Bigint => "BIGINT",
            T::Bool => "BOOLEAN",
            T::Decimal => "NUMERIC",
            T::Float => "DOUBLE PRECISION",
            T::Date => "DATE",
            T::Timestamp => "TIMESTAMPTZ",
            T::Uuid => "UUID",
            T::Json => "JSONB",
        }
    };
    let length = if sqlite { "length" } else { "char_length" };
    let null = if optional { "" } else { " NOT NULL" };
    let check = match (text, optional) {
        (true, false) => format!(" CHECK ({length}({name}) BETWEEN 1 AND {max_chars})"),
        (true, true) => format!(" CHECK ({length}({name}) <= {max_chars})"),
        (false, _) => String::new(),
    };
    // SQLite has no decimal type sqlx can read into `Decimal`: the exact text, parsed back.
    let as_text = sqlite && field.ty == T::Decimal;
    let (row_type, bind, from_row) = match (as_text, optional) {
        (true, false) => {
            (format!("sqlx::types::Text<{rust}>"), format!("sqlx::types::Text(new.{name}())"), format!("row.{name}.0"))
        }
        (true, true) => (
            format!("Option<sqlx::types::Text<{rust}>>"),
            format!("new.{name}().map(sqlx::types::Text)"),
            format!("row.{name}.map(|text| text.0)"),
        ),
        (false, _) => (wrap(rust), format!("new.{name}()"), format!("row.{name}")),
    };
    let samples = match field.ty {
        T::String => [r#""alpha""#, r#""beta""#, r#""gamma""#],
        T::Text => [r#""The first.""#, r#""The second.""#, r#""The third.""#],
        T::Int => ["1", "2", "3"],
        T::Bigint => ["9007199254740993", "2", "3"],
        T::Bool => ["true", "false", "true"],
        T::Decimal => [r#""12.50""#, r#""7.25""#, r#""0.99""#],
        T::Float => ["1.5", "2.25", "3.75"],
        T::Date => [r#""2024-05-01""#, r#""2024-06-02""#, r#""2024-07-03""#],
        T::Timestamp => [r#""2024-05-01T12:00:00Z""#, r#""2024-06-02T08:30:00Z""#, r#""2024-07-03T23:59:59Z""#],
        T::Uuid => [
            r#""3f0c2f4e-0a43-4d3c-9a43-6a2f7c1d1a01""#,
            r#""8d1e6b52-5c7a-4f0e-b1d2-2f9e4c3a7b02""#,
            r#""c2a4e8f6-1b3d-4c5e-8f7a-9b0c1d2e3f03""#,
        ],
        T::Json => [r#"{"colour": "red"}"#, "[1, 2, 3]", r#"{"tags": ["a", "b"]}"#],
    }
    .map(str::to_owned);
    let wrong = match field.ty {
        T::String | T::Text => "12",
        T::Json => "",
        _ => r#""not a value of this type""#,
    }
    .to_owned();
    FieldContext {
        title: name.replace('_', " "),
        shouty,
        optional,
        unique: field.unique,
        text,
        max_chars,
        rust_type: wrap(rust),
        serde_output,
        serde_input,
        accessor_type,
        accessor,
        validate,
        owned,
        held,
        column: format!("{name} {sql_type}{null}{check}"),
        row_type,
        bind,
        from_row,
        samples,
        wrong,
        name,
    }
}

fn test(fields: &[FieldContext]) -> TestContext {
    let body = |pick: &dyn Fn(&FieldContext) -> Option<String>| {
        let fields = fields
            .iter()
            .filter_map(|f| pick(f).map(|value| format!("\"{}\": {value}", f.name)))
            .collect::<Vec<_>>()
            .join(", ");
        format!("{{{fields}}}")
    };
    let bodies = [0, 1, 2].map(|i| body(&|f| Some(f.samples[i].clone())));
    let invalid_body = text_field_name(fields).map_or_else(String::new, |name| {
        body(&|f| Some(if f.name == name { r#""nul\u0000byte""#.to_owned() } else { f.samples[0].clone() }))
    });
    let quote = |json: &str| serde_json::Value::String(json.to_owned()).to_string();
    let wrong = fields.iter().position(|f| !f.wrong.is_empty());
    let text_field = fields.iter().find(|f| f.text);
    TestContext {
        required_body: body(&|f| (!f.optional).then(|| f.samples[2].clone())),
        has_optional: fields.iter().any(|f| f.optional),
        required_field: fields.iter().find(|f| !f.optional).map(|f| f.name.clone()).unwrap_or_default(),
        wrong_body: wrong.map_or_else(String::new, |w| {
            body(&|f| Some(if f.name == fields[w].name { f.wrong.clone() } else { f.samples[0].clone() }))
        }),
        text_field: text_field.map(|f| f.name.clone()).unwrap_or_default(),
        text_const: text_field.map(|f| f.shouty.clone()).unwrap_or_default(),
        text_trimmed: if text_field.is_some_and(|f| f.optional) { r#"Some("padded")"# } else { r#""padded""# },
        quoted_body: quote(&bodies[0]),
        quoted_invalid_body: quote(&invalid_body),
        invalid_body,
        bodies,
    }
}

fn text_field_name(fields: &[FieldContext]) -> Option<&str> {
    fields.iter().find(|f| f.text).map(|f| f.name.as_str())
}

/// A resource's names, for lists of modules and imports.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceNames {
    pub singular: Spellings,
    pub plural: Spellings,
}

/// The resources' names in the order rustfmt (style edition 2024) sorts declarations keyed by
/// `key`: "version sort", where a run of digits compares as a number.
pub(super) fn sorted(resources: &[ResourceContext], key: fn(&ResourceContext) -> &String) -> Vec<ResourceNames> {
    let mut list: Vec<&ResourceContext> = resources.iter().collect();
    list.sort_by(|a, b| version_order(key(a), key(b)));
    list.into_iter().map(|r| ResourceNames { singular: r.singular.clone(), plural: r.plural.clone() }).collect()
}

fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (x, y) = (chunks(a), chunks(b));
    for ((xd, xs), (yd, ys)) in x.iter().zip(&y) {
        let order = if *xd && *yd {
            let trim = |s: &str| s.trim_start_matches('0').to_owned();
            let (xt, yt) = (trim(xs), trim(ys));
            xt.len().cmp(&yt.len()).then_with(|| xt.cmp(&yt))
        } else {
            xs.cmp(ys)
        };
        if order.is_ne() {
            return order;
        }
    }
    x.len().cmp(&y.len())
}

/// The first resource (the example's when there are none).
pub(super) fn example(resources: &[ResourceContext], db: Db) -> ResourceContext {
    resources.first().cloned().unwrap_or_else(|| {
        let spec = format!("{} {}", crate::resources::EXAMPLE, crate::resources::EXAMPLE_FIELDS);
        let example = crate::resources::parse(&spec).expect("the example is a valid resource");
        ResourceContext::new(&example, 0, db)
    })
}
