//! What the load test (`loadtest/`, in every project) aims at: the project's first resource,
//! through the address a client uses (in microservices the gateway, which routes its path to the
//! service that owns it).

use serde::Serialize;

use super::ResourceContext;
use crate::cli::Db;
use crate::resources::{Field, FieldType, Resource};

#[derive(Debug, Clone, Serialize)]
pub struct LoadContext {
    /// The first resource of the project, in the order of the answers (microservices: whichever
    /// service owns it): its list, create and get-by-id routes are what the scripts load.
    pub resource: ResourceContext,
    /// What serves those routes on port 8080, in the docs' words: the API, or the gateway.
    pub server: &'static str,
    /// A JavaScript expression of a create body (an object) for the k6 script, in which each
    /// unique field takes a value made of `n`, a number no other create of the run uses, and
    /// every other field its first sample: so that every create stores a row.
    pub k6_body: String,
}

impl LoadContext {
    /// The load test of `resources`' first one (the example, for an empty list).
    pub(super) fn new(resources: &[Resource], db: Db, gateway: bool) -> Self {
        let example;
        let first = if let Some(first) = resources.first() {
            first
        } else {
            let spec = format!("{} {}", crate::resources::EXAMPLE, crate::resources::EXAMPLE_FIELDS);
            example = crate::resources::parse(&spec).expect("the example is a valid resource");
            &example
        };
        let resource = ResourceContext::new(first, 0, db);
        // Field names are `snake_case` identifiers: object keys as they are.
        let values: Vec<String> = first
            .fields
            .iter()
            .zip(&resource.fields)
            .map(|(field, context)| format!("{}: {}", field.name, value(field, &context.samples[0])))
            .collect();
        Self {
            k6_body: format!("{{ {} }}", values.join(", ")),
            resource,
            server: if gateway { "the gateway" } else { "the API" },
        }
    }
}

/// The JavaScript value of `field` in a create body: its JSON sample (a JavaScript literal too)
/// or, for a unique field, a value of its type made of `n` (see [`LoadContext::k6_body`]).
fn value(field: &Field, sample: &str) -> String {
    if !field.unique {
        return sample.to_owned();
    }
    // Unique fits string, int, bigint, decimal, date, timestamp and uuid (`resources::parse`).
    match field.ty {
        FieldType::String => format!("`{}-${{n}}`", sample.trim_matches('"')),
        FieldType::Decimal => "`${n}.50`".to_owned(),
        // Days and seconds after 2000-01-01: `n` is below 2^31, so within year 9999 and 2068.
        FieldType::Date => {
            "new Date(Date.UTC(2000, 0, 1) + (n % 2900000) * 86400000).toISOString().slice(0, 10)".to_owned()
        }
        FieldType::Timestamp => "new Date(Date.UTC(2000, 0, 1) + n * 1000).toISOString()".to_owned(),
        FieldType::Uuid => "`00000000-0000-4000-8000-${n.toString(16).padStart(12, \"0\")}`".to_owned(),
        FieldType::Int | FieldType::Bigint | FieldType::Text | FieldType::Bool | FieldType::Float | FieldType::Json => {
            "n".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_fields_vary_with_n_and_the_others_keep_their_sample() {
        let resources = [crate::resources::parse(
            "products name:string price:decimal sku:string:unique quantity:int:unique code:uuid?:unique \
             day:date:unique at:timestamp:unique",
        )
        .unwrap()];
        let load = LoadContext::new(&resources, Db::Postgres, false);
        assert_eq!(load.resource.plural.kebab, "products");
        assert_eq!(
            load.k6_body,
            "{ name: \"alpha\", price: \"12.50\", sku: `alpha-${n}`, quantity: n, \
             code: `00000000-0000-4000-8000-${n.toString(16).padStart(12, \"0\")}`, \
             day: new Date(Date.UTC(2000, 0, 1) + (n % 2900000) * 86400000).toISOString().slice(0, 10), \
             at: new Date(Date.UTC(2000, 0, 1) + n * 1000).toISOString() }"
        );
    }

    #[test]
    fn without_resources_the_example_is_loaded() {
        let load = LoadContext::new(&[], Db::None, true);
        assert_eq!(load.resource.plural.kebab, crate::resources::EXAMPLE);
        assert_eq!(load.server, "the gateway");
        assert_eq!(load.k6_body, "{ name: `alpha-${n}`, description: \"The first.\" }");
    }
}
