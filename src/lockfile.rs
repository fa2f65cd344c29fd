//! The `Cargo.lock` of a generated project, offline and deterministic.
//!
//! Which versions a project builds with is decided by maintainers, not at `new` time: for each set
//! of dependency-relevant answers ([`key`]) `lockfiles/<key>.lock` holds cargo's own resolution of
//! a project generated with placeholder names ([`placeholder`]), made by
//! `scripts/refresh-lockfiles.sh` and proven by the slow tier, which builds every case with
//! `--locked`. A project's lockfile is that resolution with the placeholders renamed to the
//! project's own crate names (the placeholder service repeated once per service) and written the
//! way cargo writes it, byte for byte: cargo refuses `--locked` for any other text.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use include_dir::{Dir, include_dir};
use serde::Deserialize;

use crate::answers::{Answers, Shape};
use clap::ValueEnum;

use crate::cli::{Choice, Db, Events, NewArgs, Platform, Style};
use crate::error::{Error, Result};
use crate::names::Names;
use crate::prompt::Defaults;

/// The pinned resolutions, one per [`key`].
static LOCKFILES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/lockfiles");

/// Project name the pinned resolutions were made with.
pub const PLACEHOLDER_PROJECT: &str = "archgen-lock-project";
/// The resource the pinned monolith and serverless resolutions are made with, with a field of
/// each type that brings in a crate of its own and the project uses.
const PLACEHOLDER_RESOURCE: &str = "archgen_lock_rows";
/// Service name the pinned microservices resolutions were made with (one service).
pub const PLACEHOLDER_SERVICE: &str = "archgen-lock-service";

/// The answers that decide which crates, with which features, a project depends on: cases with
/// the same key differ only in names, services and files outside the manifests.
#[must_use]
pub fn key(answers: &Answers) -> String {
    let mut key = match &answers.shape {
        Shape::Monolith { db } => format!("monolith-{}", db.name()),
        Shape::Microservices { events, .. } => format!("microservices-events-{}", events.name()),
        Shape::Serverless { platform, .. } => {
            format!("serverless-{}-{}", platform.name(), answers.shape.db().name())
        }
    };
    // A field type that needs a crate of its own makes a different resolution.
    let uses = crate::resources::Uses::of(&answers.resources);
    for (used, name) in [(uses.decimal, "decimal"), (uses.uuid, "uuid")] {
        if used {
            key.push('-');
            key.push_str(name);
        }
    }
    key
}

/// `answers` with the placeholder names: the project whose resolution is pinned for its key.
///
/// # Errors
/// None in practice: the placeholder names are valid.
pub fn placeholder(answers: &Answers) -> Result<Answers> {
    let args = NewArgs {
        name: Some(PLACEHOLDER_PROJECT.to_owned()),
        style: Some(answers.style()),
        db: Some(answers.shape.db()),
        ci: Some(answers.ci),
        services: (answers.style() == Style::Microservices).then(|| vec![PLACEHOLDER_SERVICE.to_owned()]),
        events: answers.shape.events(),
        platform: answers.shape.platform(),
        resources: placeholder_resources(crate::resources::Uses::of(&answers.resources)),
        ..NewArgs::default()
    };
    Answers::resolve(&args, None, &mut Defaults)
}

/// The placeholder project's resources for these uses: the example alone, or a resource with a
/// field of each type used.
fn placeholder_resources(uses: crate::resources::Uses) -> Vec<String> {
    let fields: Vec<&str> = [(uses.decimal, "a:decimal"), (uses.uuid, "b:uuid")]
        .into_iter()
        .filter_map(|(used, field)| used.then_some(field))
        .collect();
    if fields.is_empty() { Vec::new() } else { vec![format!("{PLACEHOLDER_RESOURCE} {}", fields.join(" "))] }
}

/// One placeholder project per key: what `scripts/refresh-lockfiles.sh` resolves.
///
/// # Errors
/// None in practice: every combination listed is valid.
pub fn placeholders() -> Result<Vec<Answers>> {
    let mut all = Vec::new();
    for style in Style::value_variants() {
        for db in Db::value_variants() {
            for events in [None, Some(Events::Nats), Some(Events::None)] {
                for platform in [None, Some(Platform::AwsLambda), Some(Platform::Knative)] {
                    for (decimal, uuid) in [(false, false), (true, false), (false, true), (true, true)] {
                        let args = NewArgs {
                            name: Some(PLACEHOLDER_PROJECT.to_owned()),
                            style: Some(*style),
                            db: Some(*db),
                            events,
                            platform,
                            services: (*style == Style::Microservices).then(|| vec![PLACEHOLDER_SERVICE.to_owned()]),
                            resources: placeholder_resources(crate::resources::Uses { decimal, uuid }),
                            ..NewArgs::default()
                        };
                        // Combinations the style refuses are not projects.
                        if let Ok(answers) = Answers::resolve(&args, None, &mut Defaults) {
                            all.push(placeholder(&answers)?);
                        }
                    }
                }
            }
        }
    }
    all.sort_by_key(key);
    all.dedup_by_key(|answers| key(answers));
    Ok(all)
}

/// The pinned resolution for `key`, as cargo wrote it.
#[must_use]
pub fn pinned(key: &str) -> Option<&'static str> {
    LOCKFILES.get_file(format!("{key}.lock")).and_then(|f| f.contents_utf8())
}

/// The project's `Cargo.lock`.
///
/// # Errors
/// [`Error::Template`] when no resolution is pinned for these answers or it does not parse:
/// a bug in cargo-archgen.
pub fn render(answers: &Answers) -> Result<String> {
    let key = key(answers);
    let text = pinned(&key).ok_or_else(|| {
        Error::Template(format!("no pinned lockfile lockfiles/{key}.lock (run scripts/refresh-lockfiles.sh)"))
    })?;
    let lock = Lock::parse(text).map_err(|e| Error::Template(format!("lockfiles/{key}.lock: {e}")))?;
    let project = Renames::new(&placeholder_names(PLACEHOLDER_PROJECT), &answers.names);
    let services: Vec<Renames> = answers
        .shape
        .services()
        .iter()
        .enumerate()
        .map(|(index, service)| {
            // The placeholder service uses every crate the project's field types need; each
            // service depends only on those its own resources need.
            let owned = answers.resources.iter().filter(|r| answers.shape.owner(r) == Some(index));
            let uses = crate::resources::Uses::of(owned);
            let unused = [(uses.decimal, "rust_decimal"), (uses.uuid, "uuid")]
                .into_iter()
                .filter_map(|(used, name)| (!used).then_some(name))
                .collect();
            Renames { unused, ..Renames::new(&placeholder_names(PLACEHOLDER_SERVICE), service) }
        })
        .collect();
    Ok(lock.rename(&project, &services).to_string())
}

fn placeholder_names(name: &str) -> Names {
    Names::new(name).unwrap_or_else(|_| unreachable!("placeholder names are valid"))
}

/// The spellings of one name that can appear in a crate name, placeholder → real, and the
/// crates the renamed package does not depend on although the placeholder did.
struct Renames {
    spellings: Vec<(String, String)>,
    unused: Vec<&'static str>,
}

impl Renames {
    fn new(from: &Names, to: &Names) -> Self {
        Self {
            spellings: vec![(from.kebab.clone(), to.kebab.clone()), (from.snake.clone(), to.snake.clone())],
            unused: Vec::new(),
        }
    }

    fn applies(&self, name: &str) -> bool {
        self.spellings.iter().any(|(from, _)| name.contains(from.as_str()))
    }

    fn apply(&self, name: &str) -> String {
        self.spellings.iter().fold(name.to_owned(), |name, (from, to)| name.replace(from.as_str(), to))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLock {
    version: u32,
    package: Vec<RawPackage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// A package of the lock, its dependencies resolved to indices into [`Lock::packages`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    dependencies: Vec<usize>,
}

/// A parsed lockfile: cargo's resolution, independent of how cargo spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lock {
    version: u32,
    packages: Vec<Package>,
}

impl Lock {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        let raw: RawLock = toml::from_str(text).map_err(|e| e.to_string())?;
        let index = |spec: &str| -> std::result::Result<usize, String> {
            let mut parts = spec.splitn(3, ' ');
            let name = parts.next().unwrap_or_default();
            let version = parts.next();
            let source = parts.next().map(|s| s.trim_start_matches('(').trim_end_matches(')'));
            let found: Vec<usize> = raw
                .package
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.name == name
                        && version.is_none_or(|v| p.version == v)
                        && source.is_none_or(|s| p.source.as_deref() == Some(s))
                })
                .map(|(i, _)| i)
                .collect();
            match found.as_slice() {
                [one] => Ok(*one),
                [] => Err(format!("dependency `{spec}` is not a package of the lock")),
                _ => Err(format!("dependency `{spec}` is ambiguous")),
            }
        };
        let packages = raw
            .package
            .iter()
            .map(|p| {
                Ok(Package {
                    name: p.name.clone(),
                    version: p.version.clone(),
                    source: p.source.clone(),
                    checksum: p.checksum.clone(),
                    dependencies: p
                        .dependencies
                        .iter()
                        .map(|d| index(d))
                        .collect::<std::result::Result<_, String>>()?,
                })
            })
            .collect::<std::result::Result<_, String>>()?;
        Ok(Self { version: raw.version, packages })
    }

    /// The lock with the workspace's own packages renamed: those named after the placeholder
    /// service once per service (every reference to one of them fans out the same way), the
    /// rest after the project.
    fn rename(&self, project: &Renames, services: &[Renames]) -> Self {
        let is_member = |p: &Package| p.source.is_none();
        // Old index → new indices.
        let mut map: Vec<Vec<usize>> = Vec::with_capacity(self.packages.len());
        let mut packages: Vec<Package> = Vec::new();
        // Per new package, the crates it does not depend on.
        let mut unused: Vec<&[&str]> = Vec::new();
        for package in &self.packages {
            let copies: Vec<(String, &[&str])> = if !is_member(package) {
                vec![(package.name.clone(), &[])]
            } else if services.first().is_some_and(|s| s.applies(&package.name)) {
                services.iter().map(|s| (s.apply(&package.name), s.unused.as_slice())).collect()
            } else {
                vec![(project.apply(&package.name), &[])]
            };
            map.push(
                copies
                    .into_iter()
                    .map(|(name, not)| {
                        packages.push(Package { name, ..package.clone() });
                        unused.push(not);
                        packages.len() - 1
                    })
                    .collect(),
            );
        }
        let names: Vec<String> = self.packages.iter().map(|p| p.name.clone()).collect();
        for (package, unused) in packages.iter_mut().zip(unused) {
            package.dependencies = package
                .dependencies
                .iter()
                .filter(|&&d| !unused.contains(&names[d].as_str()))
                .flat_map(|&d| map[d].iter().copied())
                .collect();
        }
        Self { version: self.version, packages }.sorted()
    }

    /// Packages in cargo's order: by name, then version, then source.
    fn sorted(self) -> Self {
        let mut order: Vec<usize> = (0..self.packages.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.packages[a], &self.packages[b]);
            a.name
                .cmp(&b.name)
                .then_with(|| compare_versions(&a.version, &b.version))
                .then_with(|| a.source.cmp(&b.source))
        });
        let mut position = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            position[old] = new;
        }
        let packages = order
            .iter()
            .map(|&old| {
                let p = &self.packages[old];
                Package { dependencies: p.dependencies.iter().map(|&d| position[d]).collect(), ..p.clone() }
            })
            .collect();
        Self { version: self.version, packages }
    }

    /// How cargo names a dependency: by name alone when the lock has one package of that name,
    /// with its version when it has several, with its source too when versions coincide.
    fn spell(
        &self,
        index: usize,
        counts: &HashMap<&str, BTreeMap<&str, usize>>,
    ) -> (String, Option<String>, Option<String>) {
        let p = &self.packages[index];
        let versions = &counts[p.name.as_str()];
        if versions.len() == 1 && versions.values().all(|&n| n == 1) {
            return (p.name.clone(), None, None);
        }
        let source = (versions[p.version.as_str()] > 1).then(|| p.source.clone()).flatten();
        (p.name.clone(), Some(p.version.clone()), source)
    }
}

impl std::fmt::Display for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut counts: HashMap<&str, BTreeMap<&str, usize>> = HashMap::new();
        for p in &self.packages {
            *counts.entry(&p.name).or_default().entry(&p.version).or_default() += 1;
        }
        writeln!(f, "# This file is automatically @generated by Cargo.")?;
        writeln!(f, "# It is not intended for manual editing.")?;
        writeln!(f, "version = {}", self.version)?;
        for p in &self.packages {
            writeln!(f, "\n[[package]]")?;
            writeln!(f, "name = \"{}\"", p.name)?;
            writeln!(f, "version = \"{}\"", p.version)?;
            if let Some(source) = &p.source {
                writeln!(f, "source = \"{source}\"")?;
            }
            if let Some(checksum) = &p.checksum {
                writeln!(f, "checksum = \"{checksum}\"")?;
            }
            if !p.dependencies.is_empty() {
                let mut deps: Vec<_> = p.dependencies.iter().map(|&d| self.spell(d, &counts)).collect();
                deps.sort();
                deps.dedup();
                writeln!(f, "dependencies = [")?;
                for (name, version, source) in deps {
                    match (version, source) {
                        (None, _) => writeln!(f, " \"{name}\",")?,
                        (Some(version), None) => writeln!(f, " \"{name} {version}\",")?,
                        (Some(version), Some(source)) => writeln!(f, " \"{name} {version} ({source})\",")?,
                    }
                }
                writeln!(f, "]")?;
            }
        }
        Ok(())
    }
}

/// Semantic-version order, as cargo sorts packages of one name (pre-releases before releases).
fn compare_versions(a: &str, b: &str) -> Ordering {
    let split = |v: &str| -> (Vec<u64>, Option<String>) {
        let v = v.split('+').next().unwrap_or_default();
        let (core, pre) = v.split_once('-').map_or((v, None), |(c, p)| (c, Some(p.to_owned())));
        (core.split('.').map(|n| n.parse().unwrap_or(0)).collect(), pre)
    };
    let (a, b) = (split(a), split(b));
    a.0.cmp(&b.0).then_with(|| match (&a.1, &b.1) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_lockfile_is_written_back_byte_for_byte() {
        let mut seen = 0;
        for file in LOCKFILES.files() {
            let text = file.contents_utf8().unwrap();
            let lock = Lock::parse(text).unwrap();
            assert_eq!(lock.clone().sorted(), lock, "{} is not in cargo's order", file.path().display());
            assert_eq!(lock.to_string(), text, "{} does not round-trip", file.path().display());
            seen += 1;
        }
        assert!(seen > 0, "no pinned lockfiles");
    }

    const LOCK: &str = r#"# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 4

[[package]]
name = "archgen-lock-project-common"
version = "0.1.0"
dependencies = [
 "zeta 1.0.0",
]

[[package]]
name = "archgen-lock-service"
version = "0.1.0"
dependencies = [
 "archgen-lock-project-common",
 "beta",
]

[[package]]
name = "beta"
version = "1.2.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bb"

[[package]]
name = "gateway"
version = "0.1.0"
dependencies = [
 "archgen-lock-project-common",
]

[[package]]
name = "zeta"
version = "0.10.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aa"

[[package]]
name = "zeta"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "cc"
dependencies = [
 "zeta 0.10.0",
]
"#;

    fn names(name: &str) -> Names {
        Names::new(name).unwrap()
    }

    #[test]
    fn members_are_renamed_services_fanned_out_and_everything_resorted() {
        let lock = Lock::parse(LOCK).unwrap();
        assert_eq!(lock.to_string(), LOCK);
        let project = Renames::new(&names(PLACEHOLDER_PROJECT), &names("shop"));
        let services: Vec<Renames> =
            ["zoo", "beta"].iter().map(|s| Renames::new(&names(PLACEHOLDER_SERVICE), &names(s))).collect();
        let out = lock.rename(&project, &services).to_string();
        let names: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("name = ")).collect();
        // A member named like a registry package: both are then spelt with their versions.
        assert_eq!(
            names,
            ["\"beta\"", "\"beta\"", "\"gateway\"", "\"shop-common\"", "\"zeta\"", "\"zeta\"", "\"zoo\""]
        );
        assert!(
            out.contains(
                "name = \"zoo\"\nversion = \"0.1.0\"\ndependencies = [\n \"beta 1.2.0\",\n \"shop-common\",\n]"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "name = \"beta\"\nversion = \"0.1.0\"\ndependencies = [\n \"beta 1.2.0\",\n \"shop-common\",\n]"
            ),
            "{out}"
        );
        assert!(
            out.contains("name = \"gateway\"\nversion = \"0.1.0\"\ndependencies = [\n \"shop-common\",\n]"),
            "{out}"
        );
    }

    #[test]
    fn versions_sort_numerically() {
        assert_eq!(compare_versions("0.10.0", "0.9.1"), Ordering::Greater);
        assert_eq!(compare_versions("1.0.0-alpha", "1.0.0"), Ordering::Less);
        assert_eq!(compare_versions("1.0.0", "1.0.0"), Ordering::Equal);
    }
}
