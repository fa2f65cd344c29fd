//! How long the names a project derives from its own and its services' names can get.
//!
//! Kubernetes object names and label values (DNS-1123 labels) and Postgres identifiers allow
//! at most 63 characters. Templates build them from the names plus literal text
//! (`{{project.kebab}}-{{service.kebab}}-database`), so the limit on a name depends on the
//! templates: they are read here, for the layers a project gets, rather than listed by hand.

use std::collections::BTreeMap;

use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::names::{self, Names};
use crate::plan;

/// DNS-1123 labels (Kubernetes names, label values) and Postgres identifiers.
pub const LIMIT: usize = 63;

const PROJECT: &[&str] =
    &["{{project.kebab}}", "{{project.snake}}", "{{@root.project.kebab}}", "{{@root.project.snake}}"];
const SERVICE: &[&str] = &["{{service.kebab}}", "{{service.snake}}", "{{this.kebab}}", "{{this.snake}}"];

/// For each shape of derived name (how many times it holds the project and a service name), the
/// most literal characters around them in any template: `{{project.kebab}}-{{service.kebab}}-co`
/// is `(1, 1) → 4`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Shapes(BTreeMap<(usize, usize), usize>);

impl Shapes {
    /// The shapes in the YAML and SQL templates of the layers `answers` get.
    ///
    /// # Errors
    /// As [`plan::layers`].
    pub fn of(answers: &Answers) -> Result<Self> {
        let mut shapes = Self::default();
        for layer in plan::layers(answers)? {
            let Some(dir) = layer.root.get_dir(&layer.dir) else { continue };
            let mut stack = vec![dir];
            while let Some(dir) = stack.pop() {
                stack.extend(dir.dirs());
                for file in dir.files() {
                    let path = file.path().to_string_lossy();
                    let path = path.strip_suffix(plan::TEMPLATE_SUFFIX).unwrap_or(&path);
                    let named = [".yaml", ".yml", ".sql"].iter().any(|ext| path.ends_with(ext));
                    if let (true, Some(text)) = (named, file.contents_utf8()) {
                        shapes.scan(text);
                    }
                }
            }
        }
        Ok(shapes)
    }

    /// Records every run of name placeholders and name characters in `text`.
    fn scan(&mut self, text: &str) {
        let (mut projects, mut services, mut literal) = (0, 0, 0);
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(p) = PROJECT.iter().find(|p| rest.starts_with(**p)) {
                projects += 1;
                rest = &rest[p.len()..];
                continue;
            }
            if let Some(s) = SERVICE.iter().find(|s| rest.starts_with(**s)) {
                services += 1;
                rest = &rest[s.len()..];
                continue;
            }
            let c = rest.chars().next().unwrap_or(' ');
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                literal += 1;
            } else {
                self.record(projects, services, literal);
                (projects, services, literal) = (0, 0, 0);
            }
            rest = &rest[c.len_utf8()..];
        }
        self.record(projects, services, literal);
    }

    fn record(&mut self, projects: usize, services: usize, literal: usize) {
        if projects + services > 0 {
            let longest = self.0.entry((projects, services)).or_default();
            *longest = (*longest).max(literal);
        }
    }

    /// The longest project name that fits every shape, given the shortest service name.
    fn project_room(&self, service: usize) -> usize {
        self.0
            .iter()
            .filter(|((p, _), _)| *p > 0)
            .map(|((p, s), literal)| LIMIT.saturating_sub(literal + s * service) / p)
            .min()
            .unwrap_or(LIMIT)
    }

    /// The longest service name that fits every shape with this project name.
    fn service_room(&self, project: usize) -> usize {
        self.0
            .iter()
            .filter(|((_, s), _)| *s > 0)
            .map(|((p, s), literal)| LIMIT.saturating_sub(literal + p * project) / s)
            .min()
            .unwrap_or(LIMIT)
    }
}

/// Refuses a project or service name that would make a derived name longer than [`LIMIT`],
/// suggesting one that fits.
///
/// # Errors
/// [`Error::InvalidName`] or [`Error::InvalidService`], with a suggestion that fits.
pub fn check(answers: &Answers) -> Result<()> {
    let shapes = Shapes::of(answers)?;
    let project = &answers.names;
    let services = answers.shape.services();
    let longest = services.iter().map(|s| s.name.len()).max().unwrap_or(1);
    // The project is to blame when not even a one-letter service name would fit; the suggestion
    // leaves room for the services given where it can.
    let room = shapes.project_room(1);
    if project.name.len() > room {
        let fits_all = shapes.project_room(longest);
        let (room, with) =
            if fits_all > 0 && fits_all < room { (fits_all, " with these services") } else { (room, "") };
        return Err(Error::InvalidName {
            name: project.name.clone(),
            reason: too_long(&format!("keep it within {room} characters{with}")),
            suggestion: names::fit(&project.name, room),
        });
    }
    let room = shapes.service_room(project.name.len());
    if let Some(service) = services.iter().find(|s| s.name.len() > room) {
        return Err(Error::InvalidService {
            name: service.name.clone(),
            reason: too_long(&format!("with this project name keep it within {room} characters")),
            // Short enough to name its example resource too (named after the service).
            suggestion: fit_service(service, room.min(crate::resources::MAX_NAME_LEN), services),
        });
    }
    Ok(())
}

fn too_long(advice: &str) -> String {
    format!("Kubernetes and database names built from it would exceed {LIMIT} characters; {advice}")
}

/// A shortened service name that fits and is not taken by another service.
fn fit_service(service: &Names, room: usize, all: &[Names]) -> String {
    let short = names::fit(&service.name, room);
    if all.iter().all(|s| s.snake != short.replace('-', "_")) {
        return short;
    }
    (2..100)
        .map(|i| format!("{}-{i}", names::fit(&service.name, room.saturating_sub(3))))
        .find(|c| names::is_valid(c) && c.len() <= room && all.iter().all(|s| s.snake != c.replace('-', "_")))
        .unwrap_or(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_count_placeholders_and_the_literal_text_around_them() {
        let mut shapes = Shapes::default();
        shapes.scan("name: {{project.kebab}}-{{service.kebab}}-database\n  x: {{project.kebab}}-gateway-config\n");
        shapes.scan("host: {{project.kebab}}.example.com");
        assert_eq!(shapes.0, BTreeMap::from([((1, 0), 15), ((1, 1), 10)]));
        assert_eq!(shapes.project_room(1), 48);
        assert_eq!(shapes.service_room(10), 63 - 10 - 10);
    }
}
