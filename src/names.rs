//! Project names: what is accepted and the case variants templates need.
//!
//! A name becomes a cargo package, a Rust crate (`snake_case`), a binary, an image and Kubernetes
//! object names, so it must be valid for all of them at once: a DNS-1123 label (lowercase ASCII
//! letters, digits and single dashes, at most 63 characters) that starts with a letter and is no
//! Rust keyword or crate the generated code depends on.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use heck::{ToPascalCase, ToShoutySnakeCase, ToSnakeCase, ToTitleCase};
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

/// Words a YAML 1.1 parser (which Kubernetes tooling uses) reads as a boolean or null when they
/// stand alone, as a name does in `name: shop`. Refused rather than quoted in every template:
/// one rule here holds for every template, present and future.
const YAML_WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];

/// The crates the generated projects depend on, read from the `[*dependencies]` tables of every
/// embedded `Cargo.toml` template (in snake case): a package by one of these names would shadow
/// the crate, or depend on itself.
#[must_use]
pub fn dependencies() -> &'static BTreeSet<String> {
    static DEPENDENCIES: OnceLock<BTreeSet<String>> = OnceLock::new();
    DEPENDENCIES.get_or_init(|| {
        let mut names = BTreeSet::new();
        let mut stack = vec![&crate::plan::TEMPLATES];
        while let Some(dir) = stack.pop() {
            stack.extend(dir.dirs());
            for file in dir.files() {
                let name = file.path().file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let is_manifest = name == "Cargo.toml" || name == "Cargo.toml.hbs";
                // A feature's fragments of dependency lines (`slots/dependencies.hbs`, …).
                let is_fragment = name.ends_with("dependencies.hbs");
                if let (true, Some(text)) = (is_manifest || is_fragment, file.contents_utf8()) {
                    names.extend(manifest_dependencies(text, is_fragment));
                }
            }
        }
        names
    })
}

/// The dependency names a manifest declares (or a fragment of dependency lines, `fragment`), in
/// snake case.
fn manifest_dependencies(text: &str, fragment: bool) -> impl Iterator<Item = String> + '_ {
    let mut in_dependencies = fragment;
    text.lines().filter_map(move |line| {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line.trim_matches(['[', ']']).split('.').any(|part| part.ends_with("dependencies"));
            return None;
        }
        let key = line.split(['=', '.']).next()?.trim();
        let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        (in_dependencies && plain).then(|| key.to_snake_case())
    })
}

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
            kebab: name.replace('_', "-"),
            snake: name.replace('-', "_"),
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
    fit(&kebab, MAX_LEN)
}

/// A valid name of at most `max` characters made from `name`: truncated at a word boundary
/// where possible, or with `-app` added when the name alone is refused (e.g. a keyword).
#[must_use]
pub fn fit(name: &str, max: usize) -> String {
    let cut = |s: &str, n: usize| s.get(..n.min(s.len())).unwrap_or(s).trim_end_matches(['-', '_']).to_owned();
    let short = cut(name, max);
    let candidates = [
        short.clone(),
        cut(&format!("{short}-app"), max),
        cut(&format!("{}-app", cut(name, max.saturating_sub(4))), max),
    ];
    candidates.into_iter().find(|c| is_valid(c)).unwrap_or_else(|| cut("app", max))
}

fn validate(name: &str) -> Result<(), Error> {
    check(name, &suggest)
}

/// Whether `name` is accepted, without building suggestions.
#[must_use]
pub fn is_valid(name: &str) -> bool {
    check(name, &|_| String::new()).is_ok()
}

fn check(name: &str, suggest: &dyn Fn(&str) -> String) -> Result<(), Error> {
    if name.is_empty() {
        return Err(invalid(name, "it is empty", &suggest("shop")));
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
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')) {
        let reason = match c {
            'A'..='Z' => "it contains uppercase letters; names are lowercase kebab-case".to_owned(),
            _ => {
                format!("it contains '{}'; only lowercase letters, digits, '-' and '_' are allowed", c.escape_default())
            }
        };
        return Err(invalid(name, reason, &suggest(name)));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(invalid(name, "it must start with a letter", &suggest(name)));
    }
    if name.contains('-') && name.contains('_') {
        return Err(invalid(name, "it mixes '-' and '_'; separate words with one of them", &suggest(name)));
    }
    let separator = |c: char| c == '-' || c == '_';
    if name.ends_with(separator) || name.contains("--") || name.contains("__") {
        return Err(invalid(name, "dashes must separate words: no trailing or doubled '-' or '_'", &suggest(name)));
    }
    let snake = name.replace('-', "_");
    if RESERVED.contains(&snake.as_str()) {
        return Err(invalid(name, "it is a Rust keyword or a reserved name", &suggest(&format!("{name}-service"))));
    }
    if YAML_WORDS.contains(&name) {
        return Err(invalid(
            name,
            "YAML 1.1 parsers (Kubernetes tooling) read it as a boolean or null, not a name",
            &suggest(&format!("{name}-app")),
        ));
    }
    if dependencies().contains(&snake) {
        return Err(invalid(
            name,
            "it is the name of a crate the generated project depends on",
            &suggest(&format!("{name}-service")),
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
            "shop_api-v2",
            "shop__api",
            "yes",
            "null",
            "time",
            "bytes",
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
        assert_eq!(rejected("shop_api-x").1, "shop-api-x");
        assert!(rejected("on").0.contains("YAML 1.1"));
        assert_eq!(rejected("self").1, "self-service");
    }

    #[test]
    fn snake_case_names_cargo_accepts_map_to_kebab_for_kubernetes() {
        let names = Names::new("my_app").unwrap();
        assert_eq!((names.kebab.as_str(), names.snake.as_str()), ("my-app", "my_app"));
        for bad in ["my_", "_my", "my__app", "my_-app"] {
            rejected(bad);
        }
    }

    #[test]
    fn every_dependency_of_the_templates_is_refused_in_either_spelling() {
        let deps = dependencies();
        // The last two come from features' fragments (`slots/dependencies.hbs`).
        for dep in [
            "tokio",
            "axum",
            "serde_json",
            "time",
            "bytes",
            "sqlx",
            "tracing_subscriber",
            "async_nats",
            "deadpool_redis",
        ] {
            assert!(deps.contains(dep), "{dep} missing from {deps:?}");
        }
        for dep in deps {
            assert!(Names::new(dep).is_err(), "{dep}");
            assert!(Names::new(&dep.replace('_', "-")).is_err(), "{dep}");
        }
    }

    #[test]
    fn words_yaml_1_1_reads_as_booleans_or_null_are_refused() {
        for word in ["y", "n", "yes", "no", "on", "off", "true", "false", "null"] {
            assert!(Names::new(word).is_err(), "{word}");
        }
    }

    #[test]
    fn fit_gives_a_valid_name_within_the_room() {
        for (name, room) in [("shop-api", 5), ("selfish", 4), ("a-b-c-d", 2), ("yes-please", 3), ("tokio-x", 5)] {
            let fitted = fit(name, room);
            assert!(is_valid(&fitted) && fitted.len() <= room, "{name} {room}: {fitted}");
        }
    }

    #[test]
    fn accepts_the_longest_allowed_name() {
        assert!(Names::new(&"a".repeat(MAX_LEN)).is_ok());
    }
}
