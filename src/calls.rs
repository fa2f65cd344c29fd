//! Synchronous calls between the services of a microservices project: `caller:callee` pairs
//! (`orders:users`: orders calls users over HTTP through a typed client), given with `--calls`
//! and recorded in `archgen.toml` as `calls = ["orders:users"]`.
//!
//! The calls form no cycle: a service that calls another depends on it being up to serve those
//! requests, and a cycle would make each unavailable whenever the other is.

use crate::error::{Error, Result};
use crate::names::Names;

/// One call: the service at index `caller` calls the one at index `callee` (indices into the
/// project's services).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    pub caller: usize,
    pub callee: usize,
}

impl Call {
    /// The spec as written and recorded: `caller:callee`.
    #[must_use]
    pub fn spec(self, services: &[Names]) -> String {
        format!("{}:{}", services[self.caller].name, services[self.callee].name)
    }
}

/// What `--calls` takes to mean no calls.
pub const NONE: &str = "none";

/// The calls a project gets when it names none: orders checks its users when the project has
/// both (the default project), none otherwise.
#[must_use]
pub fn defaults(services: &[Names]) -> Vec<Call> {
    let find = |name: &str| services.iter().position(|s| s.name == name);
    match (find("orders"), find("users")) {
        (Some(orders), Some(users)) => vec![Call { caller: orders, callee: users }],
        _ => Vec::new(),
    }
}

/// The default as `--calls` spells it.
#[must_use]
pub fn default_spec(services: &[Names]) -> String {
    spec_list(&defaults(services), services)
}

/// Calls as `--calls` spells them: `a:b,c:d`, or `none`.
#[must_use]
pub fn spec_list(calls: &[Call], services: &[Names]) -> String {
    if calls.is_empty() {
        return NONE.to_owned();
    }
    calls.iter().map(|c| c.spec(services)).collect::<Vec<_>>().join(",")
}

/// Validates `given` (`caller:callee` specs, or `none` alone) against the project's services:
/// both ends are services, distinct, each pair once, and no cycle. Empty entries are skipped.
///
/// # Errors
/// [`Error::InvalidCall`] naming the first spec at fault and what to do instead.
pub fn resolve(given: &[String], services: &[Names]) -> Result<Vec<Call>> {
    let specs: Vec<&str> = given.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    if specs == [NONE] {
        return Ok(Vec::new());
    }
    let listed = || services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
    let mut calls: Vec<Call> = Vec::with_capacity(specs.len());
    for spec in specs {
        let invalid = |reason: String, help: String| Error::InvalidCall { call: spec.to_owned(), reason, help };
        let Some((from, to)) = spec.split_once(':').map(|(a, b)| (a.trim(), b.trim())) else {
            return Err(invalid(
                "it is not CALLER:CALLEE".into(),
                format!("e.g. --calls orders:users (orders calls users), or --calls {NONE}"),
            ));
        };
        if from.is_empty() || to.is_empty() || to.contains(':') {
            return Err(invalid(
                "it is not CALLER:CALLEE".into(),
                format!("e.g. --calls orders:users (orders calls users), or --calls {NONE}"),
            ));
        }
        let position = |name: &str| {
            services.iter().position(|s| s.name == name).ok_or_else(|| {
                invalid(
                    format!("\"{name}\" is not a service of this project (its services: {})", listed()),
                    "name two of its services, or add the service first (--services, or cargo archgen add service NAME)"
                        .into(),
                )
            })
        };
        let call = Call { caller: position(from)?, callee: position(to)? };
        if call.caller == call.callee {
            return Err(invalid(
                "a service calling itself is a function call, not a call between services".into(),
                "name two different services, e.g. orders:users".into(),
            ));
        }
        if calls.contains(&call) {
            return Err(invalid("it is listed twice".into(), "give each call once".into()));
        }
        calls.push(call);
        if let Some(cycle) = cycle(&calls, services.len()) {
            let path: Vec<&str> = cycle.iter().map(|&i| services[i].name.as_str()).collect();
            return Err(invalid(
                format!("it closes the cycle {}: a call cycle couples both services' availability", path.join(" → ")),
                format!(
                    "let one direction be an event instead (the callee publishes, the caller consumes), \
                     and drop {spec}"
                ),
            ));
        }
    }
    Ok(calls)
}

/// A cycle through the last call, as the services along it (first repeated at the end).
fn cycle(calls: &[Call], count: usize) -> Option<Vec<usize>> {
    let last = calls.last()?;
    // A path from the callee back to the caller closes the cycle: depth first, with parents.
    let mut parent: Vec<Option<usize>> = vec![None; count];
    let mut stack = vec![last.callee];
    let mut seen = vec![false; count];
    seen[last.callee] = true;
    while let Some(at) = stack.pop() {
        if at == last.caller {
            let mut path = vec![at];
            let mut node = at;
            while let Some(up) = parent[node] {
                path.push(up);
                node = up;
            }
            // `path` runs caller … callee; the cycle is caller → callee → … → caller.
            path.reverse();
            let mut cycle = vec![last.caller];
            cycle.extend(path);
            return Some(cycle);
        }
        for call in calls.iter().filter(|c| c.caller == at) {
            if !seen[call.callee] {
                seen[call.callee] = true;
                parent[call.callee] = Some(at);
                stack.push(call.callee);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services(list: &[&str]) -> Vec<Names> {
        list.iter().map(|s| Names::new(s).unwrap()).collect()
    }

    fn specs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn defaults_are_orders_calling_users_when_both_exist() {
        assert_eq!(default_spec(&services(&["users", "orders"])), "orders:users");
        assert_eq!(default_spec(&services(&["orders", "billing", "users"])), "orders:users");
        assert_eq!(default_spec(&services(&["users", "billing"])), NONE);
    }

    #[test]
    fn valid_calls_resolve_in_order() {
        let all = services(&["users", "orders", "billing"]);
        let calls = resolve(&specs(&["orders:users", " billing : orders ", "billing:users"]), &all).unwrap();
        assert_eq!(spec_list(&calls, &all), "orders:users,billing:orders,billing:users");
        assert!(resolve(&specs(&[NONE]), &all).unwrap().is_empty());
        assert!(resolve(&[], &all).unwrap().is_empty());
    }

    #[test]
    fn every_class_of_bad_input_is_refused_with_its_reason() {
        let all = services(&["users", "orders", "billing"]);
        for (given, reason) in [
            (&["orders"][..], "not CALLER:CALLEE"),
            (&["orders:"], "not CALLER:CALLEE"),
            (&[":users"], "not CALLER:CALLEE"),
            (&["a:b:c"], "not CALLER:CALLEE"),
            (&["orders:payments"], "\"payments\" is not a service"),
            (&["nope:users"], "\"nope\" is not a service"),
            (&["users:users"], "calling itself"),
            (&["orders:users", "orders:users"], "listed twice"),
            (&["orders:users", NONE], "not CALLER:CALLEE"),
            (&["orders:users", "users:orders"], "a call cycle couples both services' availability"),
            (&["orders:users", "users:billing", "billing:orders"], "cycle billing → orders → users → billing"),
        ] {
            let error = resolve(&specs(given), &all).unwrap_err();
            assert!(error.to_string().contains(reason), "{given:?}: {error}");
            assert_eq!((error.code(), error.exit_code()), ("invalid_call", 2), "{given:?}");
            assert!(!error.help().is_empty());
        }
    }
}
