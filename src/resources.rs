//! Resources: the entities a project serves, each a table, a domain type, a repository, CRUD
//! handlers and tests, rendered by the per-resource template layers from a field list.
//!
//! A resource is written as a spec, on the command line and in `archgen.toml`:
//! `products name:string price:decimal sku:string:unique note:text?` — the name (plural, the
//! table and the URL), then `FIELD:TYPE`, `?` for an optional field, `:unique` for a unique one.
//! In microservices the name says which service owns the resource: `orders/products …`.

use std::collections::BTreeSet;
use std::fmt;

use heck::{ToKebabCase, ToPascalCase, ToShoutySnakeCase, ToTitleCase};
use serde::Serialize;

use crate::answers::Shape;
use crate::cli::Choice;
use crate::error::{Error, Result};
use crate::names::Names;

/// The longest resource or field name: short enough that every generated line holding one
/// keeps the layout rustfmt gives it (the generated code passes `cargo fmt --check` whatever
/// the names), and that index names stay far below `PostgreSQL`'s 63 bytes.
pub const MAX_NAME_LEN: usize = 20;
/// The most fields a resource can have, and the most resources a project can have.
pub const MAX_FIELDS: usize = 64;
pub const MAX_RESOURCES: usize = 64;

/// The fields of the example resource, which a project gets when it names no resources.
pub const EXAMPLE_FIELDS: &str = "name:string:unique description:text?";
/// The example resource of the single-app styles; in microservices each service's example is
/// named after the service.
pub const EXAMPLE: &str = "items";

/// The default microservices project is the guidance's own example: users with a unique email,
/// and orders that reference a user (checked through a call to users: see [`crate::calls`]).
pub const GUIDANCE_EXAMPLES: &[(&str, &str)] =
    &[("users", "email:string:unique name:string"), ("orders", "user_id:bigint total:decimal status:string")];

/// The fields of `service`'s example: the guidance's when the services are the default ones,
/// else [`EXAMPLE_FIELDS`].
fn example_fields<'a>(service: &Names, services: &[Names]) -> &'a str {
    let default = services.iter().map(|s| s.name.as_str()).eq(crate::answers::DEFAULT_SERVICES.iter().copied());
    GUIDANCE_EXAMPLES
        .iter()
        .find(|(name, _)| default && *name == service.name)
        .map_or(EXAMPLE_FIELDS, |(_, fields)| fields)
}

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
    /// Microservices: the service that owns it (its table, handlers and events), as named in
    /// the project's service list.
    pub service: Option<String>,
    /// Plural, `snake_case`: the table, the state field, the module of its handlers.
    pub name: String,
    /// Singular, `snake_case`: the domain type's module (`Product` in `product.rs`).
    pub singular: String,
    pub fields: Vec<Field>,
}

impl fmt::Display for Resource {
    /// The canonical spec: what `archgen.toml` records and `--resource` accepts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(service) = &self.service {
            write!(f, "{service}/")?;
        }
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
    let (service, name) = match head.split_once('/') {
        Some((service, name)) => (Some(service.to_owned()), name),
        None => (None, head),
    };
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
    Ok(Resource { service, name: name.to_owned(), singular, fields })
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

/// Validates a project's resource list for its shape: names unique, at most
/// [`MAX_RESOURCES`]; the example resource when the list is empty. In microservices every
/// resource has an owning service (implied when there is one service), and a service that owns
/// none gets its own example, named after it.
///
/// # Errors
/// [`Error::InvalidResource`] for a bad spec, a name given twice, an owner that is not a
/// service (or one given outside microservices), or a style that takes only the example.
pub fn resolve(specs: &[String], shape: &Shape) -> Result<Vec<Resource>> {
    let mut resources = specs.iter().map(|spec| parse(spec)).collect::<Result<Vec<_>>>()?;
    let example = parse(&format!("{EXAMPLE} {EXAMPLE_FIELDS}"))?;
    if let Shape::Microservices { services, .. } = shape {
        // Projects generated before resources had owners recorded the shared example alone:
        // each service's own example stands for it now.
        if resources == [example] {
            resources.clear();
        }
        own(&mut resources, services)?;
    } else if let Some(owned) = resources.iter().find(|r| r.service.is_some()) {
        return Err(invalid(
            &owned.to_string(),
            format!(
                "only a microservices project has services to own resources, and this is a {}",
                shape.style().name()
            ),
            format!("leave out the service: \"{}\"", Resource { service: None, ..owned.clone() }),
        ));
    } else if resources.is_empty() {
        resources.push(example);
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

/// Gives every resource of a microservices project its owner, checks that the gateway can route
/// each by its name alone, and gives each service that owns none its example.
fn own(resources: &mut Vec<Resource>, services: &[Names]) -> Result<()> {
    let listed = || services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
    for resource in resources.iter_mut() {
        match &resource.service {
            Some(owner) if !services.iter().any(|s| &s.name == owner) => {
                return Err(invalid(
                    &resource.to_string(),
                    format!("\"{owner}\" is not a service of this project (its services: {})", listed()),
                    "name one of its services, or add the service first: cargo archgen add service NAME",
                ));
            }
            Some(_) => {}
            None if services.len() == 1 => resource.service = Some(services[0].name.clone()),
            None => {
                return Err(invalid(
                    &resource.to_string(),
                    format!("resource \"{}\" names no service, and the project has {}", resource.name, listed()),
                    format!(
                        "say which service owns it: \"{}/{}\" (with `add resource`: --service {})",
                        services[0].name, resource, services[0].name
                    ),
                ));
            }
        }
        let path = resource.name.to_kebab_case();
        if let Some(other) = services.iter().find(|s| s.kebab == path && resource.service.as_ref() != Some(&s.name)) {
            return Err(invalid(
                &resource.to_string(),
                format!("`/api/v1/{path}` is the path of the service \"{}\"", other.name),
                format!("let \"{}\" own it (\"{}/{}\"), or pick another name", other.name, other.name, resource.name),
            ));
        }
    }
    for service in services {
        if resources.iter().any(|r| r.service.as_ref() == Some(&service.name)) {
            continue;
        }
        let spec = format!("{}/{} {}", service.name, service.snake, example_fields(service, services));
        let example = parse(&spec).map_err(|error| {
            let reason = match error {
                Error::InvalidResource { reason, .. } => reason,
                other => other.to_string(),
            };
            invalid(
                &format!("{}/{}", service.name, service.snake),
                format!(
                    "service \"{}\" owns no resource, and its example, named after it, is refused: {reason}",
                    service.name
                ),
                format!("give it a resource (--resource '{}/NAME FIELD:TYPE…'), or another name", service.name),
            )
        })?;
        resources.push(example);
    }
    Ok(())
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
    pub fn of<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Self {
        let mut uses = Self::default();
        for field in resources.into_iter().flat_map(|r| &r.fields) {
            uses.decimal |= field.ty == FieldType::Decimal;
            uses.uuid |= field.ty == FieldType::Uuid;
        }
        uses
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

    fn microservices(services: &[&str]) -> Shape {
        let services = services.iter().map(|s| Names::new(s).unwrap()).collect();
        Shape::Microservices { services, events: crate::cli::Events::None, calls: Vec::new() }
    }

    fn specs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn refusal(specs: &[String], shape: &Shape) -> String {
        match resolve(specs, shape) {
            Err(Error::InvalidResource { reason, .. }) => reason,
            other => panic!("{specs:?}: expected an invalid resource, got {other:?}"),
        }
    }

    #[test]
    fn single_app_projects_default_to_the_example_and_take_any_others() {
        let serverless = Shape::Serverless { platform: crate::cli::Platform::Knative, postgres: true };
        let monolith = Shape::Monolith { db: crate::cli::Db::Postgres };
        let resources = resolve(&[], &serverless).unwrap();
        assert_eq!(resources[0].to_string(), "items name:string:unique description:text?");
        let products = specs(&["products name:string"]);
        assert!(resolve(&products, &monolith).is_ok());
        assert_eq!(resolve(&products, &serverless).unwrap()[0].name, "products");
        let twice = specs(&["products name:string", "product name:string"]);
        assert!(refusal(&twice, &monolith).contains("already has"));
        let owned = specs(&["users/products name:string"]);
        assert!(refusal(&owned, &monolith).contains("only a microservices project"));
    }

    #[test]
    fn in_microservices_every_resource_has_an_owner_and_every_service_a_resource() {
        let shape = microservices(&["users", "order-lines"]);
        let defaults: Vec<String> = resolve(&[], &shape).unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(
            defaults,
            [
                "users/users name:string:unique description:text?",
                "order-lines/order_lines name:string:unique description:text?"
            ]
        );
        // The shared example of projects generated before resources had owners stands for the
        // services' own examples.
        let legacy = specs(&["items name:string:unique description:text?"]);
        assert_eq!(resolve(&legacy, &shape).unwrap().len(), 2);
        // A service given a resource gets no example; the others do, after the given ones.
        let given = specs(&["users/accounts email:string:unique"]);
        let resolved: Vec<String> = resolve(&given, &shape).unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(resolved[0], "users/accounts email:string:unique");
        assert!(resolved[1].starts_with("order-lines/order_lines "), "{resolved:?}");
        assert_eq!(resolved.len(), 2);
        // One service owns what names none.
        let one = microservices(&["users"]);
        let implied = resolve(&specs(&["accounts email:string"]), &one).unwrap();
        assert_eq!(implied[0].service.as_deref(), Some("users"));
        for (list, reason) in [
            (&["accounts email:string"][..], "names no service"),
            (&["billing/accounts email:string"], "not a service of this project"),
            (&["users/order_lines name:string"], "is the path of the service"),
            (&["users/accounts a:int", "order-lines/accounts b:int"], "already has"),
        ] {
            assert!(refusal(&specs(list), &shape).contains(reason), "{list:?}: {}", refusal(&specs(list), &shape));
        }
        // A service whose name cannot be its example's.
        assert!(refusal(&[], &microservices(&["health"])).contains("owns no resource"));
    }
}
