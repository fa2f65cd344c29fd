//! Resources: the entities a project serves, each a table, a domain type, a repository, CRUD
//! handlers and tests, rendered by the per-resource template layers from a field list.
//!
//! A resource is written as a spec, on the command line and in `archgen.toml`:
//! `products name:string price:decimal sku:string:unique note:text?` — the name (plural, the
//! table and the URL), then `FIELD:TYPE`, `?` for an optional field, `:unique` for a unique one.

use std::collections::BTreeSet;
use std::fmt;

use heck::{ToKebabCase, ToPascalCase, ToShoutySnakeCase, ToTitleCase};
use serde::Serialize;

use crate::cli::{Choice, Style};
use crate::error::{Error, Result};

/// The longest resource or field name: short enough that every generated line holding one
/// keeps the layout rustfmt gives it (the generated code passes `cargo fmt --check` whatever
/// the names), and that index names stay far below `PostgreSQL`'s 63 bytes.
pub const MAX_NAME_LEN: usize = 20;
/// The most fields a resource can have, and the most resources a project can have.
pub const MAX_FIELDS: usize = 64;
pub const MAX_RESOURCES: usize = 64;

/// The fields of the example resource, which a project gets when it names no resources.
pub const EXAMPLE_FIELDS: &str = "name:string:unique description:text?";
/// The example resource of the single-app styles.
pub const EXAMPLE: &str = "items";

/// A field's type, as a spec spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Text,
    Int,
    Bigint,
    Bool,
    Decimal,
    Float,
    Date,
    Timestamp,
    Uuid,
    Json,
}

impl FieldType {
    pub const ALL: [Self; 11] = [
        Self::String,
        Self::Text,
        Self::Int,
        Self::Bigint,
        Self::Bool,
        Self::Decimal,
        Self::Float,
        Self::Date,
        Self::Timestamp,
        Self::Uuid,
        Self::Json,
    ];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Text => "text",
            Self::Int => "int",
            Self::Bigint => "bigint",
            Self::Bool => "bool",
            Self::Decimal => "decimal",
            Self::Float => "float",
            Self::Date => "date",
            Self::Timestamp => "timestamp",
            Self::Uuid => "uuid",
            Self::Json => "json",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether a unique index on it makes sense: not on long text, a flag, an inexact number
    /// or a document.
    fn can_be_unique(self) -> bool {
        !matches!(self, Self::Text | Self::Bool | Self::Float | Self::Json)
    }
}

/// One column of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
    pub optional: bool,
    pub unique: bool,
}

/// A validated resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Plural, `snake_case`: the table, the state field, the module of its handlers.
    pub name: String,
    /// Singular, `snake_case`: the domain type's module (`Product` in `product.rs`).
    pub singular: String,
    pub fields: Vec<Field>,
}

impl fmt::Display for Resource {
    /// The canonical spec: what `archgen.toml` records and `--resource` accepts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for field in &self.fields {
            write!(f, " {}:{}", field.name, field.ty.name())?;
            if field.optional {
                f.write_str("?")?;
            }
            if field.unique {
                f.write_str(":unique")?;
            }
        }
        Ok(())
    }
}

/// Column names every table has.
const RESERVED_COLUMNS: &[&str] = &["id", "created_at", "updated_at"];

/// Names a resource cannot take: its modules and types would clash with the generated
/// modules and types of the layers it lives in (domain, HTTP, storage), or a table of a feature.
const RESERVED_RESOURCES: &[&str] = &[
    "app",
    "app_state",
    "config",
    "counted",
    "db",
    "domain",
    "envelope",
    "error",
    "events",
    "extract",
    "health",
    "http",
    "json",
    "list_meta",
    "metrics",
    "middleware",
    "page",
    "page_params",
    "pagination",
    "path",
    "processed_event",
    "query",
    "repository",
    "routes",
    "rows",
    "schema",
    "support",
    "text",
];

/// Strict and reserved Rust keywords of every edition: a module, a field, a method.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// SQL keywords (reserved in `PostgreSQL` or `SQLite`): refused as column names, which the
/// generated SQL does not quote so that hand-written queries need not either. Table names are
/// always quoted.
const SQL_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "between",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "cross",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "delete",
    "desc",
    "distinct",
    "do",
    "drop",
    "else",
    "end",
    "escape",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "in",
    "index",
    "initially",
    "inner",
    "insert",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "set",
    "similar",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

fn invalid(spec: &str, reason: impl Into<String>, help: impl Into<String>) -> Error {
    Error::InvalidResource { spec: spec.to_owned(), reason: reason.into(), help: help.into() }
}

/// Whether `name` is a `snake_case` identifier: a lowercase ASCII letter, then lowercase
/// letters, digits and single underscores, not ending with one.
fn is_snake(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

/// A `snake_case` spelling of `name` for a `help:` line.
fn snake_suggestion(name: &str) -> String {
    let snake = heck::ToSnakeCase::to_snake_case(name);
    let cleaned: String = snake.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if cleaned.starts_with(|c: char| c.is_ascii_lowercase()) { cleaned } else { format!("x_{cleaned}") }
}

/// The singular of an English plural, for type names (`products` → `product`). A name that is
/// not a regular plural is its own singular (`inventory`, `news`).
#[must_use]
pub fn singular(plural: &str) -> String {
    let (head, last) = plural.rsplit_once('_').map_or(("", plural), |(head, last)| (head, last));
    let one = if let Some(stem) = last.strip_suffix("ies").filter(|s| s.len() > 1) {
        format!("{stem}y")
    } else if ["sses", "shes", "ches", "xes", "zzes", "tuses", "buses"].iter().any(|end| last.ends_with(end)) {
        last[..last.len() - 2].to_owned()
    } else if last.ends_with('s') && !last.ends_with("ss") && !last.ends_with("us") && last.len() > 1 {
        last[..last.len() - 1].to_owned()
    } else {
        last.to_owned()
    };
    if head.is_empty() { one } else { format!("{head}_{one}") }
}

fn check_identifier(spec: &str, what: &str, name: &str) -> Result<()> {
    if !is_snake(name) {
        return Err(invalid(
            spec,
            format!("{what} \"{name}\" is not a snake_case name"),
            format!(
                "use lowercase letters, digits and underscores, starting with a letter, e.g. \"{}\"",
                snake_suggestion(name)
            ),
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(invalid(
            spec,
            format!("{what} \"{name}\" is longer than {MAX_NAME_LEN} characters"),
            "pick a shorter name: it becomes table, index and constraint names",
        ));
    }
    if RUST_KEYWORDS.contains(&name) {
        return Err(invalid(
            spec,
            format!("{what} \"{name}\" is a Rust keyword"),
            format!("pick another name, e.g. \"{name}_value\""),
        ));
    }
    Ok(())
}

/// Parses and validates one spec.
///
/// # Errors
/// [`Error::InvalidResource`] naming what is wrong and what to write instead.
pub fn parse(spec: &str) -> Result<Resource> {
    let mut words = spec.split_whitespace();
    let head = words.next().ok_or_else(|| {
        invalid(spec, "it is empty", "write a name and its fields, e.g. \"products name:string price:decimal\"")
    })?;
    let name = head;
    check_identifier(spec, "resource name", name)?;
    let singular = singular(name);
    for reserved in [name, singular.as_str()] {
        if RESERVED_RESOURCES.contains(&reserved) {
            return Err(invalid(
                spec,
                format!("\"{reserved}\" is a name the generated code already uses"),
                format!("pick another name, e.g. \"{name}_records\""),
            ));
        }
    }
    if RUST_KEYWORDS.contains(&singular.as_str()) {
        return Err(invalid(
            spec,
            format!("its singular \"{singular}\" is a Rust keyword"),
            format!("pick another name, e.g. \"{name}_records\""),
        ));
    }
    let mut fields = Vec::new();
    let mut seen = BTreeSet::new();
    for word in words {
        let field = parse_field(spec, word)?;
        if !seen.insert(field.name.clone()) {
            return Err(invalid(spec, format!("field \"{}\" is listed twice", field.name), "give each field once"));
        }
        fields.push(field);
    }
    if fields.is_empty() {
        return Err(invalid(
            spec,
            format!("resource \"{name}\" has no fields"),
            format!("add FIELD:TYPE pairs, e.g. \"{name} name:string\"; types: {}", type_list()),
        ));
    }
    if fields.len() > MAX_FIELDS {
        return Err(invalid(spec, format!("it has {} fields", fields.len()), format!("give at most {MAX_FIELDS}")));
    }
    Ok(Resource { name: name.to_owned(), singular, fields })
}

fn type_list() -> String {
    FieldType::ALL.map(FieldType::name).join(", ")
}

fn parse_field(spec: &str, word: &str) -> Result<Field> {
    let mut parts = word.split(':');
    let name = parts.next().unwrap_or_default();
    let Some(ty) = parts.next() else {
        return Err(invalid(
            spec,
            format!("field \"{word}\" has no type"),
            format!("write FIELD:TYPE, e.g. \"{name}:string\"; types: {}", type_list()),
        ));
    };
    check_identifier(spec, "field", name)?;
    if RESERVED_COLUMNS.contains(&name) {
        return Err(invalid(
            spec,
            format!("field \"{name}\" is a column every resource already has"),
            format!("leave it out (every resource has {}), or rename it", RESERVED_COLUMNS.join(", ")),
        ));
    }
    if SQL_KEYWORDS.contains(&name) {
        return Err(invalid(
            spec,
            format!("field \"{name}\" is an SQL keyword"),
            format!("pick another name, e.g. \"{name}_value\""),
        ));
    }
    let (ty, optional) = match ty.strip_suffix('?') {
        Some(ty) => (ty, true),
        None => (ty, false),
    };
    let ty = FieldType::parse(ty).ok_or_else(|| {
        invalid(
            spec,
            format!("field \"{name}\" has an unknown type \"{ty}\""),
            format!("the types are {}", type_list()),
        )
    })?;
    let mut field = Field { name: name.to_owned(), ty, optional, unique: false };
    for option in parts {
        match option {
            "unique" if field.unique => {
                return Err(invalid(spec, format!("field \"{name}\" says unique twice"), "give `:unique` once"));
            }
            "unique" if ty.can_be_unique() => field.unique = true,
            "unique" => {
                return Err(invalid(
                    spec,
                    format!("field \"{name}\" is a {} and cannot be unique", ty.name()),
                    "unique fits string, int, bigint, decimal, date, timestamp and uuid fields",
                ));
            }
            other => {
                return Err(invalid(
                    spec,
                    format!("field \"{name}\" has an unknown option \"{other}\""),
                    "the options are `?` after the type (optional) and `:unique`",
                ));
            }
        }
    }
    Ok(field)
}

/// Validates a project's resource list: names unique, at most [`MAX_RESOURCES`]; the example
/// resource when the list is empty. The microservices take only the example so far (their
/// services store the example entity); the monolith and the serverless core take any.
///
/// # Errors
/// [`Error::InvalidResource`] for a bad spec, a name given twice, or a style that takes only
/// the example.
pub fn resolve(specs: &[String], style: Style) -> Result<Vec<Resource>> {
    let mut resources = specs.iter().map(|spec| parse(spec)).collect::<Result<Vec<_>>>()?;
    let example = parse(&format!("{EXAMPLE} {EXAMPLE_FIELDS}"))?;
    if resources.is_empty() {
        resources.push(example);
    } else if style == Style::Microservices && resources != [example] {
        return Err(invalid(
            &resources[0].to_string(),
            format!(
                "the {} style does not take resources yet: its code is written around the example `items`",
                style.name()
            ),
            "generate a monolith (--style monolith), or leave out --resource and extend the example by hand",
        ));
    }
    if resources.len() > MAX_RESOURCES {
        return Err(invalid(
            &resources[MAX_RESOURCES].to_string(),
            format!("{} resources given", resources.len()),
            format!("give at most {MAX_RESOURCES}"),
        ));
    }
    let mut seen = BTreeSet::new();
    for resource in &resources {
        // Two names with one singular would be one type, one module.
        let names: BTreeSet<&String> = [&resource.name, &resource.singular].into_iter().collect();
        for name in names {
            if !seen.insert(name.clone()) {
                return Err(invalid(
                    &resource.to_string(),
                    format!("the project already has a resource named \"{name}\""),
                    format!("pick another name, e.g. \"{}_2\"", resource.name),
                ));
            }
        }
    }
    Ok(resources)
}

/// What a project's resources need from the crates: the types beyond `std`, `time` and
/// `serde_json` that some field uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Uses {
    pub decimal: bool,
    pub uuid: bool,
}

impl Uses {
    #[must_use]
    pub fn of(resources: &[Resource]) -> Self {
        let any = |ty| resources.iter().flat_map(|r| &r.fields).any(|f| f.ty == ty);
        Self { decimal: any(FieldType::Decimal), uuid: any(FieldType::Uuid) }
    }
}

/// The spellings of a resource name the templates need.
#[derive(Debug, Clone, Serialize)]
pub struct Spellings {
    pub snake: String,
    pub kebab: String,
    pub pascal: String,
    pub title: String,
    pub shouty: String,
}

impl Spellings {
    #[must_use]
    pub fn of(snake: &str) -> Self {
        Self {
            snake: snake.to_owned(),
            kebab: snake.to_kebab_case(),
            pascal: snake.to_pascal_case(),
            title: snake.to_title_case().to_lowercase(),
            shouty: snake.to_shouty_snake_case(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(spec: &str) -> String {
        match parse(spec) {
            Err(Error::InvalidResource { reason, .. }) => reason,
            other => panic!("{spec}: expected an invalid resource, got {other:?}"),
        }
    }

    #[test]
    fn a_spec_round_trips_through_its_canonical_form() {
        let spec = "products name:string price:decimal sku:string:unique note:text? code:uuid?:unique";
        let resource = parse(spec).unwrap();
        assert_eq!(resource.to_string(), spec);
        assert_eq!(resource.singular, "product");
        assert_eq!(parse("products  name:string ").unwrap().to_string(), "products name:string");
    }

    #[test]
    fn plurals_become_singular_types() {
        for (plural, one) in [
            ("products", "product"),
            ("categories", "category"),
            ("line_items", "line_item"),
            ("addresses", "address"),
            ("boxes", "box"),
            ("inventory", "inventory"),
            ("statuses", "status"),
            ("news", "new"),
        ] {
            assert_eq!(singular(plural), one, "{plural}");
        }
    }

    #[test]
    fn every_class_of_bad_spec_is_refused_with_its_reason() {
        for (spec, reason) in [
            ("", "empty"),
            ("products", "no fields"),
            ("Products name:string", "snake_case"),
            ("products name", "no type"),
            ("products name:str", "unknown type"),
            ("products name:string:indexed", "unknown option"),
            ("products name:string name:text", "twice"),
            ("products id:int", "already has"),
            ("products created_at:timestamp", "already has"),
            ("products order:int", "SQL keyword"),
            ("products select:string", "SQL keyword"),
            ("products type:string", "Rust keyword"),
            ("selfs name:string", "Rust keyword"),
            ("errors name:string", "already uses"),
            ("products flag:bool:unique", "cannot be unique"),
            ("products body:text:unique", "cannot be unique"),
            ("products n:string?:unique:unique", "twice"),
            ("products n:string:?", "unknown option"),
            ("products 9lives:int", "snake_case"),
            ("products a__b:int", "snake_case"),
        ] {
            assert!(error(spec).contains(reason), "{spec:?}: {}", error(spec));
        }
        let long = format!("products {}:int", "x".repeat(MAX_NAME_LEN + 1));
        assert!(error(&long).contains("longer"));
    }

    #[test]
    fn projects_default_to_the_example_and_microservices_take_no_others() {
        let resources = resolve(&[], Style::Serverless).unwrap();
        assert_eq!(resources[0].to_string(), "items name:string:unique description:text?");
        let products = ["products name:string".to_owned()];
        assert!(resolve(&products, Style::Monolith).is_ok());
        assert!(resolve(&products, Style::Serverless).is_ok());
        assert!(resolve(&products, Style::Microservices).is_err());
        let twice = ["products name:string".to_owned(), "product name:string".to_owned()];
        assert!(resolve(&twice, Style::Monolith).is_err());
    }
}
