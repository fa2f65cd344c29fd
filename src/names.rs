//! Project names: what is accepted and the case variants templates need.
//!
//! A name becomes a cargo package, a Rust crate (`snake_case`), a binary, an image and Kubernetes
//! object names, so it must be valid for all of them at once: a DNS-1123 label (lowercase ASCII
//! letters, digits and single dashes, at most 63 characters) that starts with a letter and is no
//! Rust keyword or crate the generated code depends on.

use heck::{ToKebabCase, ToPascalCase, ToShoutySnakeCase, ToSnakeCase, ToTitleCase};
use serde::Serialize;

use crate::error::Error;

/// Kubernetes object names are DNS-1123 labels.
pub const MAX_LEN: usize = 63;

/// Strict and reserved Rust keywords (all editions) plus names cargo or rustc reserve.
const RESERVED: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "core",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
    "build",
    "deps",
    "examples",
    "incremental",
    "con",
    "prn",
    "aux",
    "nul",
    "com1",
    "com2",
    "com3",
    "com4",
    "lpt1",
    "lpt2",
    "lpt3",
];

/// Crates the generated projects depend on: a package with one of these names would shadow it.
const DEPENDENCIES: &[&str] = &[
    "axum",
    "chrono",
    "http",
    "http_body_util",
    "hyper",
    "hyper_util",
    "serde",
    "serde_json",
    "sqlx",
    "thiserror",
    "tokio",
    "tower",
    "tower_http",
    "tracing",
    "tracing_subscriber",
    "uuid",
    "lambda_http",
    "lambda_runtime",
    "async_nats",
    "aws_lambda_events",
];

/// The case variants of a validated name, precomputed so templates never compute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Names {
    pub name: String,
    pub kebab: String,
    pub snake: String,
    pub pascal: String,
    pub title: String,
    pub shouty: String,
}

impl Names {
    /// Validates `name` and derives its variants.
    ///
    /// # Errors
    /// [`Error::InvalidName`] with the reason and a concrete alternative.
    pub fn new(name: &str) -> Result<Self, Error> {
        validate(name)?;
        Ok(Self {
            name: name.to_owned(),
            kebab: name.to_kebab_case(),
            snake: name.to_snake_case(),
            pascal: name.to_pascal_case(),
            title: name.to_title_case(),
            shouty: name.to_shouty_snake_case(),
        })
    }
}

fn invalid(name: &str, reason: impl Into<String>, suggestion: &str) -> Error {
    Error::InvalidName { name: name.to_owned(), reason: reason.into(), suggestion: suggestion.to_owned() }
}

/// A best-effort valid name built from an invalid one, used in `help:` lines.
fn suggest(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(char::is_ascii)
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let mut kebab = cleaned.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-");
    if !kebab.starts_with(|c: char| c.is_ascii_lowercase()) {
        kebab = format!("app-{kebab}");
    }
    kebab.truncate(MAX_LEN);
    kebab.trim_end_matches('-').to_owned()
}

fn validate(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(invalid(name, "it is empty", "shop"));
    }
    if name.contains(['/', '\\']) || name.starts_with('.') {
        let base = name.rsplit(['/', '\\']).find(|s| !s.is_empty() && !s.starts_with('.'));
        let suggestion = suggest(base.unwrap_or("shop"));
        return Err(invalid(
            name,
            "it looks like a path; choose the directory with --output and keep the name plain",
            &suggestion,
        ));
    }
    if let Some(c) = name.chars().find(|c| !c.is_ascii()) {
        return Err(invalid(name, format!("it contains the non-ASCII character '{c}'"), &suggest(name)));
    }
    if name.len() > MAX_LEN {
        return Err(invalid(
            name,
            format!("it is {} characters long; Kubernetes names allow at most {MAX_LEN}", name.len()),
            &suggest(name),
        ));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        let reason = match c {
            'A'..='Z' => "it contains uppercase letters; names are lowercase kebab-case".to_owned(),
            '_' => "it contains '_'; use '-' (the crate is still named in snake_case)".to_owned(),
            _ => format!("it contains '{c}'; only lowercase letters, digits and '-' are allowed"),
        };
        return Err(invalid(name, reason, &suggest(name)));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(invalid(name, "it must start with a letter", &suggest(name)));
    }
    if name.ends_with('-') || name.contains("--") {
        return Err(invalid(name, "dashes must separate words: no trailing or doubled '-'", &suggest(name)));
    }
    let snake = name.to_snake_case();
    if RESERVED.contains(&snake.as_str()) {
        return Err(invalid(name, "it is a Rust keyword or a reserved name", &format!("{name}-service")));
    }
    if DEPENDENCIES.contains(&snake.as_str()) {
        return Err(invalid(
            name,
            "it is the name of a crate the generated project depends on",
            &format!("{name}-service"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(name: &str) -> (String, String) {
        match Names::new(name) {
            Err(Error::InvalidName { reason, suggestion, .. }) => (reason, suggestion),
            other => panic!("{name:?} should be rejected, got {other:?}"),
        }
    }

    #[test]
    fn derives_case_variants() {
        let names = Names::new("order-api2").unwrap();
        assert_eq!(names.kebab, "order-api2");
        assert_eq!(names.snake, "order_api2");
        assert_eq!(names.pascal, "OrderApi2");
        assert_eq!(names.title, "Order Api2");
        assert_eq!(names.shouty, "ORDER_API2");
    }

    #[test]
    fn every_suggestion_is_itself_valid() {
        for bad in [
            "",
            "self",
            "test",
            "Shop",
            "shop_api",
            "1shop",
            "shop-",
            "a--b",
            "café",
            "../shop",
            "/tmp/x",
            ".hidden",
            "tokio",
            "sh op",
            &"a".repeat(64),
            "std",
            "-x",
            "日本",
        ] {
            let (_, suggestion) = rejected(bad);
            assert!(Names::new(&suggestion).is_ok(), "suggestion {suggestion:?} for {bad:?} is invalid");
        }
    }

    #[test]
    fn reasons_name_the_problem() {
        assert!(rejected("self").0.contains("keyword"));
        assert!(rejected("café").0.contains("non-ASCII"));
        assert!(rejected(&"x".repeat(64)).0.contains("64 characters"));
        assert!(rejected("../evil").0.contains("path"));
        assert!(rejected("Shop").0.contains("uppercase"));
        assert_eq!(rejected("shop_api").1, "shop-api");
        assert_eq!(rejected("self").1, "self-service");
    }

    #[test]
    fn accepts_the_longest_allowed_name() {
        assert!(Names::new(&"a".repeat(MAX_LEN)).is_ok());
    }
}
