//! The `Cargo.lock` of a generated project, offline and deterministic.
//!
//! Which versions a project builds with is decided by maintainers, not at `new` time. A project's
//! resolution is composed of pinned parts, each cargo's own resolution of a project generated with
//! placeholder names ([`placeholder`]), made by `scripts/refresh-lockfiles.sh` and proven by the
//! slow tier, which builds every case with `--locked`:
//!
//! - `lockfiles/<base>.lock`: the style with its database, events or platform ([`base`]);
//! - `lockfiles/<base>+<unit>.lock`: the same with one *unit* that brings crates of its own — a
//!   field type (`decimal`, `uuid`) or a feature the user chose ([`units`]) — resolved from the
//!   base's lock, so it differs from it only by what the unit adds;
//! - `lockfiles/<base>+<unit>+<unit>.lock`: only for a pair whose crates interact (together
//!   they resolve to more than the sum of what each adds), which the refresh finds by resolving
//!   every pair.
//!
//! A project's resolution is the base plus what each of its units adds (and each interacting
//! pair's part): one file per unit instead of one per combination, so features do not multiply
//! the pinned files. It is then renamed to the project's own crate names (the placeholder service
//! repeated once per service) and written the way cargo writes it, byte for byte: cargo refuses
//! `--locked` for any other text.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use include_dir::{Dir, include_dir};
use serde::Deserialize;

use crate::answers::{Answers, Shape};
use clap::ValueEnum;

use crate::cli::{Choice, Db, Events, NewArgs, Platform, Style};
use crate::error::{Error, Result};
use crate::names::Names;
use crate::prompt::Defaults;

/// The pinned resolutions (see the module's documentation).
static LOCKFILES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/lockfiles");

/// Project name the pinned resolutions were made with.
pub const PLACEHOLDER_PROJECT: &str = "archgen-lock-project";
/// The resource the pinned resolutions of field-type units are made with, with a field of the
/// unit's type.
const PLACEHOLDER_RESOURCE: &str = "archgen_lock_rows";
/// Service name the pinned microservices resolutions were made with (one service).
pub const PLACEHOLDER_SERVICE: &str = "archgen-lock-service";

/// Field types whose Rust type comes from a crate of its own: a unit each, by this name.
const FIELD_UNITS: [&str; 2] = ["decimal", "uuid"];

/// The answers that decide which crates every project of the kind depends on, without the
/// units: the style with its database, events or platform.
#[must_use]
pub fn base(answers: &Answers) -> String {
    match &answers.shape {
        Shape::Monolith { db } => format!("monolith-{}", db.name()),
        Shape::Microservices { events, .. } => format!("microservices-events-{}", events.name()),
        Shape::Serverless { platform, .. } => {
            format!("serverless-{}-{}", platform.name(), answers.shape.db().name())
        }
    }
}

/// The project's units, sorted: the field types that bring a crate, then its chosen features.
#[must_use]
pub fn units(answers: &Answers) -> Vec<String> {
    let uses = crate::resources::Uses::of(&answers.resources);
    let mut units: Vec<String> = FIELD_UNITS
        .into_iter()
        .zip([uses.decimal, uses.uuid])
        .filter(|&(_, used)| used)
        .map(|(unit, _)| unit.to_owned())
        .chain(answers.features.iter().cloned())
        .collect();
    units.sort();
    units
}

/// The name of the pinned resolution of `base` with `units`.
#[must_use]
pub fn file_key(base: &str, units: &[&str]) -> String {
    let mut key = base.to_owned();
    for unit in units {
        key.push('+');
        key.push_str(unit);
    }
    key
}

/// `answers` with the placeholder names and only `units`: the project whose resolution is
/// pinned as `file_key(base(answers), units)`.
///
/// # Errors
/// A unit the style cannot take (a feature it refuses): a bug in the caller.
pub fn placeholder(answers: &Answers, units: &[&str]) -> Result<Answers> {
    let fields: Vec<String> =
        units.iter().filter(|u| FIELD_UNITS.contains(u)).enumerate().map(|(i, unit)| format!("f{i}:{unit}")).collect();
    let features: Vec<String> = units.iter().filter(|u| !FIELD_UNITS.contains(u)).map(|u| (*u).to_owned()).collect();
    let args = NewArgs {
        name: Some(PLACEHOLDER_PROJECT.to_owned()),
        style: Some(answers.style()),
        db: Some(answers.shape.db()),
        ci: Some(answers.ci),
        services: (answers.style() == Style::Microservices).then(|| vec![PLACEHOLDER_SERVICE.to_owned()]),
        events: answers.shape.events(),
        platform: answers.shape.platform(),
        resources: if fields.is_empty() {
            Vec::new()
        } else {
            vec![format!("{PLACEHOLDER_RESOURCE} {}", fields.join(" "))]
        },
        features: Some(if features.is_empty() { vec!["none".to_owned()] } else { features }),
        ..NewArgs::default()
    };
    Answers::resolve(&args, None, &mut Defaults)
}

/// One placeholder project per base, with the units it can take (the field types, and every
/// feature of the embedded catalogue its style takes): what `scripts/refresh-lockfiles.sh`
/// resolves.
///
/// # Errors
/// A feature folder without a valid manifest: a bug in the templates.
pub fn bases() -> Result<Vec<(Answers, Vec<String>)>> {
    let catalogue = crate::features::catalogue()?;
    let mut all: Vec<(Answers, Vec<String>)> = Vec::new();
    for style in Style::value_variants() {
        for db in Db::value_variants() {
            for events in [None, Some(Events::Nats), Some(Events::None)] {
                for platform in [None, Some(Platform::AwsLambda), Some(Platform::Knative)] {
                    let args = NewArgs {
                        name: Some(PLACEHOLDER_PROJECT.to_owned()),
                        style: Some(*style),
                        db: Some(*db),
                        events,
                        platform,
                        services: (*style == Style::Microservices).then(|| vec![PLACEHOLDER_SERVICE.to_owned()]),
                        features: Some(vec!["none".to_owned()]),
                        ..NewArgs::default()
                    };
                    // Combinations the style refuses are not projects.
                    let Ok(answers) = Answers::resolve(&args, None, &mut Defaults) else { continue };
                    if all.iter().any(|(a, _)| base(a) == base(&answers)) {
                        continue;
                    }
                    let mut units: Vec<String> = FIELD_UNITS.iter().map(|u| (*u).to_owned()).collect();
                    units.extend(
                        catalogue.iter().filter(|f| f.refusal(&answers.shape).is_none()).map(|f| f.name.clone()),
                    );
                    units.sort();
                    all.push((placeholder(&answers, &[])?, units));
                }
            }
        }
    }
    all.sort_by_key(|(answers, _)| base(answers));
    Ok(all)
}

/// The pinned resolution named `key`, as cargo wrote it.
#[must_use]
pub fn pinned(key: &str) -> Option<&'static str> {
    LOCKFILES.get_file(format!("{key}.lock")).and_then(|f| f.contents_utf8())
}

/// The resolution of `base` with `units` (sorted), composed of the pinned parts that `load`
/// gives by name (the embedded ones: [`pinned`]).
///
/// # Errors
/// [`Error::Template`] when the base or a unit of the embedded catalogue has no pinned
/// resolution, or one does not parse: a bug in cargo-archgen. A feature that only custom
/// templates bring has none, and adds nothing. With `pairs` false, the parts of interacting
/// pairs are left out (what the refresh compares cargo's resolution of a pair with).
pub fn compose(load: &dyn Fn(&str) -> Option<String>, base: &str, units: &[&str], pairs: bool) -> Result<String> {
    Ok(composed(load, base, units, pairs)?.to_string())
}

fn composed(load: &dyn Fn(&str) -> Option<String>, base: &str, units: &[&str], pairs: bool) -> Result<Lock> {
    let parse = |key: &str| -> Result<Option<Graph>> {
        load(key)
            .map(|text| {
                Lock::parse(&text)
                    .map(|lock| Graph::of(&lock))
                    .map_err(|e| Error::Template(format!("lockfiles/{key}.lock: {e}")))
            })
            .transpose()
    };
    let missing = |key: &str| {
        Error::Template(format!("no pinned lockfile lockfiles/{key}.lock (run scripts/refresh-lockfiles.sh)"))
    };
    let text = load(base).ok_or_else(|| missing(base))?;
    let version = Lock::parse(&text).map_err(|e| Error::Template(format!("lockfiles/{base}.lock: {e}")))?.version;
    let root = parse(base)?.ok_or_else(|| missing(base))?;
    let embedded: Vec<String> = crate::features::catalogue()?.into_iter().map(|f| f.name).collect();
    // What each unit adds to the base.
    let mut adds = BTreeMap::new();
    for unit in units {
        let key = file_key(base, &[unit]);
        match parse(&key)? {
            Some(graph) => {
                adds.insert(*unit, root.delta(&graph));
            }
            None if FIELD_UNITS.contains(unit) || embedded.iter().any(|f| f == unit) => return Err(missing(&key)),
            None => {}
        }
    }
    let mut graph = root.clone();
    for delta in adds.values() {
        graph.apply(delta);
    }
    for (i, a) in units.iter().enumerate().filter(|_| pairs) {
        for b in &units[i + 1..] {
            let Some(pair) = parse(&file_key(base, &[a, b]))? else { continue };
            // What the pair resolves to beyond the sum of its two units.
            let mut sum = root.clone();
            for unit in [a, b] {
                if let Some(delta) = adds.get(unit) {
                    sum.apply(delta);
                }
            }
            graph.apply(&sum.delta(&pair));
        }
    }
    Ok(graph.into_lock(version))
}

fn embedded(key: &str) -> Option<String> {
    pinned(key).map(str::to_owned)
}

/// The project's `Cargo.lock`.
///
/// # Errors
/// [`Error::Template`] when no resolution is pinned for these answers or it does not parse:
/// a bug in cargo-archgen.
pub fn render(answers: &Answers) -> Result<String> {
    let units = units(answers);
    let lock = composed(&embedded, &base(answers), &units.iter().map(String::as_str).collect::<Vec<_>>(), true)?;
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

/// A package by what tells it apart in a lock: name, version, source.
type Id = (String, String, Option<String>);

/// A resolution as sets, to tell what a unit adds to the base and add it to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Graph {
    /// Each package's checksum and dependencies.
    packages: BTreeMap<Id, (Option<String>, BTreeSet<Id>)>,
}

/// What turns one resolution into another.
#[derive(Debug, Default)]
struct Delta {
    removed: BTreeSet<Id>,
    added: BTreeMap<Id, Option<String>>,
    unlinked: BTreeMap<Id, BTreeSet<Id>>,
    linked: BTreeMap<Id, BTreeSet<Id>>,
}

impl Graph {
    fn of(lock: &Lock) -> Self {
        let id = |p: &Package| (p.name.clone(), p.version.clone(), p.source.clone());
        let packages = lock
            .packages
            .iter()
            .map(|p| (id(p), (p.checksum.clone(), p.dependencies.iter().map(|&d| id(&lock.packages[d])).collect())))
            .collect();
        Self { packages }
    }

    /// What turns `self` into `to`.
    fn delta(&self, to: &Self) -> Delta {
        let mut delta = Delta {
            removed: self.packages.keys().filter(|id| !to.packages.contains_key(*id)).cloned().collect(),
            ..Delta::default()
        };
        for (id, (checksum, deps)) in &to.packages {
            let before = if let Some((_, before)) = self.packages.get(id) {
                before.clone()
            } else {
                delta.added.insert(id.clone(), checksum.clone());
                BTreeSet::new()
            };
            let linked: BTreeSet<Id> = deps.difference(&before).cloned().collect();
            let unlinked: BTreeSet<Id> = before.difference(deps).cloned().collect();
            if !linked.is_empty() {
                delta.linked.insert(id.clone(), linked);
            }
            if !unlinked.is_empty() {
                delta.unlinked.insert(id.clone(), unlinked);
            }
        }
        delta
    }

    fn apply(&mut self, delta: &Delta) {
        for id in &delta.removed {
            self.packages.remove(id);
        }
        for (id, checksum) in &delta.added {
            self.packages.entry(id.clone()).or_insert_with(|| (checksum.clone(), BTreeSet::new()));
        }
        for (id, deps) in &delta.unlinked {
            if let Some((_, have)) = self.packages.get_mut(id) {
                have.retain(|d| !deps.contains(d));
            }
        }
        for (id, deps) in &delta.linked {
            if let Some((_, have)) = self.packages.get_mut(id) {
                have.extend(deps.iter().cloned());
            }
        }
        let present: BTreeSet<Id> = self.packages.keys().cloned().collect();
        for (_, deps) in self.packages.values_mut() {
            deps.retain(|d| present.contains(d));
        }
    }

    fn into_lock(self, version: u32) -> Lock {
        let index: BTreeMap<&Id, usize> = self.packages.keys().enumerate().map(|(i, id)| (id, i)).collect();
        let packages = self
            .packages
            .iter()
            .map(|((name, version, source), (checksum, deps))| Package {
                name: name.clone(),
                version: version.clone(),
                source: source.clone(),
                checksum: checksum.clone(),
                dependencies: deps.iter().map(|d| index[d]).collect(),
            })
            .collect();
        Lock { version, packages }.sorted()
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

    /// A lock of `packages` given as `name version [dependency…]`, members without a version
    /// source.
    fn lock_of(packages: &[&str]) -> String {
        let packages = packages
            .iter()
            .map(|spec| {
                let mut words = spec.split(' ');
                let (name, version) = (words.next().unwrap(), words.next().unwrap());
                let deps: Vec<usize> =
                    words.map(|d| packages.iter().position(|p| p.split(' ').next() == Some(d)).unwrap()).collect();
                let registry = !name.starts_with("archgen");
                Package {
                    name: name.into(),
                    version: version.into(),
                    source: registry.then(|| "registry+https://github.com/rust-lang/crates.io-index".into()),
                    checksum: registry.then(|| format!("{name}-sum")),
                    dependencies: deps,
                }
            })
            .collect();
        Lock { version: 4, packages }.sorted().to_string()
    }

    #[test]
    fn units_add_their_packages_and_edges_and_pairs_what_they_add_together() {
        let pins: HashMap<&str, String> = HashMap::from([
            ("b", lock_of(&["archgen-app 0.1.0 tokio", "tokio 1.0.0"])),
            // `redis` turns on a feature of tokio that brings `bytes`.
            (
                "b+cache",
                lock_of(&["archgen-app 0.1.0 tokio redis", "tokio 1.0.0 bytes", "redis 1.0.0 tokio", "bytes 1.0.0"]),
            ),
            ("b+uuid", lock_of(&["archgen-app 0.1.0 tokio uuid", "tokio 1.0.0", "uuid 1.0.0"])),
            // Together, uuid's optional `bytes` support comes on.
            (
                "b+cache+uuid",
                lock_of(&[
                    "archgen-app 0.1.0 tokio redis uuid",
                    "tokio 1.0.0 bytes",
                    "redis 1.0.0 tokio",
                    "bytes 1.0.0",
                    "uuid 1.0.0 bytes",
                ]),
            ),
        ]);
        let load = |key: &str| pins.get(key).cloned();
        // Unknown to the catalogue: a custom feature without a pinned part adds nothing.
        assert_eq!(compose(&load, "b", &["elsewhere"], true).unwrap(), pins["b"]);
        assert_eq!(compose(&load, "b", &["cache"], true).unwrap(), pins["b+cache"]);
        let sum = compose(&load, "b", &["cache", "uuid"], false).unwrap();
        assert!(sum.ends_with("checksum = \"uuid-sum\"\n"), "the sum has uuid without bytes: {sum}");
        assert_eq!(compose(&load, "b", &["cache", "uuid"], true).unwrap(), pins["b+cache+uuid"]);
        let missing = compose(&load, "b", &["decimal"], true).unwrap_err().to_string();
        assert!(missing.contains("lockfiles/b+decimal.lock"), "{missing}");
    }

    #[test]
    fn versions_sort_numerically() {
        assert_eq!(compare_versions("0.10.0", "0.9.1"), Ordering::Greater);
        assert_eq!(compare_versions("1.0.0-alpha", "1.0.0"), Ordering::Less);
        assert_eq!(compare_versions("1.0.0", "1.0.0"), Ordering::Equal);
    }
}
