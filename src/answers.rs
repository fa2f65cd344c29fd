//! Answers: flags, an answers file and prompts resolved into one validated value.
//!
//! Precedence: a flag wins over the answers file, which wins over a prompt, which wins over the
//! documented default. Nothing renders before [`Answers::resolve`] succeeds.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::calls::Call;
use crate::cli::{Choice, Ci, Db, Events, NewArgs, Platform, Style};
use crate::error::{Error, Result};
use crate::names::Names;
use crate::overlay::Overlay;
use crate::prompt::Prompter;
use crate::resources::Resource;

/// The file name under which a generated project records its answers.
pub const FILE_NAME: &str = "archgen.toml";

/// The answers file: every field optional, unknown fields rejected (they are typos).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersFile {
    /// The cargo-archgen version that wrote the file; informational.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archgen_version: Option<String>,
    pub name: Option<String>,
    pub style: Option<Style>,
    pub db: Option<Db>,
    pub ci: Option<Ci>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    /// Microservices: which service calls which (`caller:callee`); absent: the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Events>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// A folder of custom templates overlaid on the embedded ones, relative to the project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub templates: Option<String>,
    /// The resources, as specs (`products name:string price:decimal`; see [`crate::resources`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<String>>,
    /// The features chosen (see [`crate::features`]); absent: the defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// The folder the file was read from, which `templates` is relative to.
    #[serde(skip)]
    pub read_from: Option<PathBuf>,
}

impl AnswersFile {
    /// Reads and parses an answers file.
    ///
    /// # Errors
    /// The file is unreadable, or invalid (reported with line and column).
    pub fn load(path: &Path) -> Result<Self> {
        let unreadable = |source| Error::AnswersUnreadable { path: path.to_owned(), source };
        // Only a regular file: a FIFO would block the read and a device could be endless.
        let meta = std::fs::metadata(path).map_err(unreadable)?;
        if !meta.is_file() {
            return Err(Error::AnswersNotAFile { path: path.to_owned() });
        }
        let mut bytes = Vec::new();
        let file = std::fs::File::open(path).map_err(unreadable)?;
        file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(unreadable)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(Error::AnswersTooLarge { path: path.to_owned(), limit: MAX_FILE_BYTES });
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            let (line, column) = line_column(&String::from_utf8_lossy(&e.as_bytes()[..valid]), valid);
            Error::AnswersInvalid { path: path.to_owned(), line, column, message: "it is not valid UTF-8 text".into() }
        })?;
        let mut file = Self::parse(&text, path)?;
        file.read_from = path.parent().map(Path::to_owned);
        Ok(file)
    }

    fn parse(text: &str, path: &Path) -> Result<Self> {
        let file: Self = Self::parse_toml(text, path)?;
        if let Some(version) = &file.archgen_version {
            let at = text.lines().position(|l| l.trim_start().starts_with("archgen_version")).unwrap_or(0) + 1;
            match (parse_version(version), parse_version(env!("CARGO_PKG_VERSION"))) {
                (None, _) => {
                    return Err(Error::AnswersInvalid {
                        path: path.to_owned(),
                        line: at,
                        column: 1,
                        message: format!("archgen_version \"{version}\" is not a version such as \"1.2.3\""),
                    });
                }
                (Some(theirs), Some(ours)) if theirs > ours => {
                    return Err(Error::AnswersFromNewerVersion { path: path.to_owned(), version: version.clone() });
                }
                _ => {}
            }
        }
        Ok(file)
    }

    fn parse_toml(text: &str, path: &Path) -> Result<Self> {
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let (line, column) = line_column(text, offset);
            Error::AnswersInvalid {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            }
        })
    }
}

/// An answers file is a handful of lines; anything larger is not one.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// `MAJOR.MINOR.PATCH` of a semantic version (pre-release and build metadata allowed, and
/// ignored in comparisons but for a pre-release ranking below its release).
fn parse_version(version: &str) -> Option<(u64, u64, u64, bool)> {
    let (core, pre) = match version.split_once('+').map_or(version, |(core, _)| core).split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (version.split_once('+').map_or(version, |(core, _)| core), None),
    };
    let mut parts = core.split('.').map(|p| {
        let plain = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0'));
        if plain { p.parse::<u64>().ok() } else { None }
    });
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some()
        || pre.is_some_and(|p| {
            p.is_empty()
                || !p.split('.').all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        })
    {
        return None;
    }
    Some((major, minor, patch, pre.is_none()))
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The services a microservices project starts with when none are given.
pub const DEFAULT_SERVICES: &[&str] = &["users", "orders"];

/// Names a service cannot take: the workspace already has crates by these names (besides
/// `<project>-common`).
const RESERVED_SERVICES: &[&str] = &["gateway", "common"];

/// The most services a project can have: each is a crate, a database and a deployment.
pub const MAX_SERVICES: usize = 64;

/// What a project is: its style with exactly the options that style has.
///
/// An option of another style cannot be represented, so nothing downstream checks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// One crate in layers.
    Monolith { db: Db },
    /// A gateway and services that each own a `PostgreSQL` database.
    Microservices {
        /// The services in the order given: at least one, at most [`MAX_SERVICES`].
        services: Vec<Names>,
        events: Events,
        /// Which service calls which, synchronously (see [`crate::calls`]): no cycle.
        calls: Vec<Call>,
    },
    /// Functions on a platform, with `PostgreSQL` or without a database.
    Serverless { platform: Platform, postgres: bool },
}

impl Shape {
    /// The index of the service that owns `resource` (microservices); `None` elsewhere.
    #[must_use]
    pub fn owner(&self, resource: &Resource) -> Option<usize> {
        let name = resource.service.as_ref()?;
        self.services().iter().position(|s| &s.name == name)
    }

    #[must_use]
    pub fn style(&self) -> Style {
        match self {
            Self::Monolith { .. } => Style::Monolith,
            Self::Microservices { .. } => Style::Microservices,
            Self::Serverless { .. } => Style::Serverless,
        }
    }

    /// The database every part of the project uses.
    #[must_use]
    pub fn db(&self) -> Db {
        match self {
            Self::Monolith { db } => *db,
            Self::Microservices { .. } | Self::Serverless { postgres: true, .. } => Db::Postgres,
            Self::Serverless { postgres: false, .. } => Db::None,
        }
    }

    /// The services of a microservices project; empty for the other styles.
    #[must_use]
    pub fn services(&self) -> &[Names] {
        match self {
            Self::Microservices { services, .. } => services,
            _ => &[],
        }
    }

    /// The calls between the services of a microservices project; empty for the other styles.
    #[must_use]
    pub fn calls(&self) -> &[Call] {
        match self {
            Self::Microservices { calls, .. } => calls,
            _ => &[],
        }
    }

    #[must_use]
    pub fn events(&self) -> Option<Events> {
        match self {
            Self::Microservices { events, .. } => Some(*events),
            _ => None,
        }
    }

    #[must_use]
    pub fn platform(&self) -> Option<Platform> {
        match self {
            Self::Serverless { platform, .. } => Some(*platform),
            _ => None,
        }
    }
}

/// Everything a project is generated from, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub name: String,
    pub names: Names,
    pub ci: Ci,
    pub shape: Shape,
    /// Custom templates overlaid on the embedded ones (`--templates DIR`).
    pub templates: Option<Overlay>,
    /// The resources, in order: at least one (in microservices, at least one per service).
    pub resources: Vec<Resource>,
    /// The features chosen, by name, in catalogue order (see [`crate::features`]).
    pub features: Vec<String>,
}

/// The databases each style supports, default first.
pub(crate) fn databases(style: Style) -> &'static [Db] {
    match style {
        Style::Monolith => &[Db::Postgres, Db::Sqlite, Db::None],
        Style::Microservices => &[Db::Postgres],
        Style::Serverless => &[Db::Postgres, Db::None],
    }
}

/// The options the flags and the answers file gave, the flag winning.
struct Given {
    services: Option<Vec<String>>,
    calls: Option<Vec<String>>,
    events: Option<Events>,
    platform: Option<Platform>,
    db: Option<Db>,
}

impl Answers {
    /// Resolves flags, the answers file and prompts into validated answers.
    ///
    /// Validation is about the answers alone; what the templates make of the names (how long the
    /// names derived from them get) is checked by [`crate::plan::plan`].
    ///
    /// # Errors
    /// A missing name without a terminal, an invalid name or service, or an option that does not
    /// apply to the style.
    pub fn resolve(args: &NewArgs, file: Option<&AnswersFile>, prompter: &mut dyn Prompter) -> Result<Self> {
        Self::resolve_checking(args, file, prompter, &|_| Ok(()))
    }

    /// [`Answers::resolve`], with `name_usable` judging the name (e.g. that its target directory
    /// is free) in the name prompt and as soon as the name is known, before any other question.
    ///
    /// # Errors
    /// As [`Answers::resolve`], and whatever `name_usable` refuses.
    pub fn resolve_checking(
        args: &NewArgs,
        file: Option<&AnswersFile>,
        prompter: &mut dyn Prompter,
        name_usable: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Self> {
        let file = file.cloned().unwrap_or_default();
        let name = match args.name.clone().or(file.name) {
            Some(name) => name,
            None => prompter
                .input("Project name", None, &|input| Names::new(input).and_then(|_| name_usable(input)))?
                .ok_or(Error::MissingName)?,
        };
        let names = Names::new(&name)?;
        name_usable(&name)?;
        let style = pick(args.style.or(file.style), Style::value_variants(), prompter, "Architecture style")?;
        let given = Given {
            services: args.services.clone().or(file.services),
            calls: args.calls.clone().or(file.calls),
            events: args.events.or(file.events),
            platform: args.platform.or(file.platform),
            db: args.db.or(file.db),
        };
        let shape = shape(style, given, &names, prompter)?;
        let ci = pick(args.ci.or(file.ci), Ci::value_variants(), prompter, "CI provider")?;
        let templates = match (&args.templates, &file.templates) {
            (Some(dir), _) => Some(Overlay::load(dir, dir.display().to_string())?),
            (None, Some(recorded)) => {
                let dir = file.read_from.as_deref().map_or_else(|| PathBuf::from(recorded), |from| from.join(recorded));
                Some(Overlay::load(&dir, recorded.clone())?)
            }
            (None, None) => None,
        };
        let root = templates.as_ref().map_or(&crate::plan::TEMPLATES, |overlay| overlay.root);
        let given = args.features.as_deref().or(file.features.as_deref());
        let features = crate::features::choose(given, &shape, root, prompter)?;
        let mut answers = Self { name, names, ci, shape, templates, resources: Vec::new(), features };
        // A name too long for what is built from it is reported first: a service's example
        // resource is named after it, and would otherwise be what the error is about.
        crate::limits::check(&answers)?;
        let specs = if args.resources.is_empty() { file.resources.unwrap_or_default() } else { args.resources.clone() };
        answers.resources = crate::resources::resolve(&specs, &answers.shape)?;
        Ok(answers)
    }

    /// The templates the project renders from: the embedded ones, or those with its overlay.
    #[must_use]
    pub fn templates_root(&self) -> &'static include_dir::Dir<'static> {
        self.templates.as_ref().map_or(&crate::plan::TEMPLATES, |overlay| overlay.root)
    }

    #[must_use]
    pub fn style(&self) -> Style {
        self.shape.style()
    }

    /// These answers with one more service (for `add service`).
    ///
    /// # Errors
    /// The project is not a microservices project, or the name is invalid or taken.
    pub fn with_service(&self, name: &str) -> Result<Self> {
        let Shape::Microservices { services: current, events, calls } = &self.shape else {
            return Err(Error::NotMicroservices { style: self.style().name() });
        };
        if current.iter().any(|s| s.name == name) {
            return Err(Error::InvalidService {
                name: name.to_owned(),
                reason: "the project already has this service".into(),
                suggestion: format!("{}-2", name.replace('_', "-")),
            });
        }
        let mut list: Vec<String> = current.iter().map(|s| s.name.clone()).collect();
        list.push(name.to_owned());
        // Indices stay valid: the new service comes last.
        let shape =
            Shape::Microservices { services: services(&list, &self.names)?, events: *events, calls: calls.clone() };
        // The new service gets its example resource.
        let specs: Vec<String> = self.resources.iter().map(ToString::to_string).collect();
        let resources = crate::resources::resolve(&specs, &shape)?;
        Ok(Self { shape, resources, ..self.clone() })
    }

    /// These answers with one more resource (for `add resource`).
    ///
    /// # Errors
    /// An invalid spec, a taken name, or a style that takes no resources yet.
    pub fn with_resource(&self, spec: &str) -> Result<Self> {
        let mut specs: Vec<String> = self.resources.iter().map(ToString::to_string).collect();
        specs.push(spec.to_owned());
        let resources = crate::resources::resolve(&specs, &self.shape)?;
        Ok(Self { resources, ..self.clone() })
    }

    /// These answers with one more feature (for `add feature`).
    ///
    /// # Errors
    /// An unknown feature, one the style cannot take, or one the project has.
    pub fn with_feature(&self, name: &str) -> Result<Self> {
        if self.features.iter().any(|f| f == name) {
            return Err(Error::InvalidFeature {
                name: name.to_owned(),
                reason: "the project has it already".into(),
                help: format!("its features are in {FILE_NAME}: {}", self.features.join(", ")),
            });
        }
        let mut list = self.features.clone();
        list.push(name.to_owned());
        let features =
            crate::features::choose(Some(&list), &self.shape, self.templates_root(), &mut crate::prompt::Defaults)?;
        Ok(Self { features, ..self.clone() })
    }

    /// The answers as recorded in the generated project.
    #[must_use]
    pub fn to_file(&self) -> AnswersFile {
        AnswersFile {
            archgen_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            name: Some(self.name.clone()),
            style: Some(self.style()),
            db: Some(self.shape.db()),
            ci: Some(self.ci),
            services: matches!(self.shape, Shape::Microservices { .. })
                .then(|| self.shape.services().iter().map(|s| s.name.clone()).collect()),
            calls: matches!(self.shape, Shape::Microservices { .. })
                .then(|| self.shape.calls().iter().map(|c| c.spec(self.shape.services())).collect()),
            events: self.shape.events(),
            platform: self.shape.platform(),
            templates: self.templates.as_ref().map(|overlay| overlay.recorded.clone()),
            resources: Some(self.resources.iter().map(ToString::to_string).collect()),
            features: Some(self.features.clone()),
            read_from: None,
        }
    }

    /// The contents of `archgen.toml`.
    #[must_use]
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(&self.to_file()).unwrap_or_default();
        format!(
            "# Answers cargo-archgen generated this project from.\n# Replay: cargo archgen new --answers {FILE_NAME} --output <DIR>\n{body}"
        )
    }

    /// The command line that generates the same project without asking anything; `--output`
    /// only when it differs from the default `./NAME`.
    #[must_use]
    pub fn command_line(&self, output: Option<&Path>) -> String {
        let mut line = format!("cargo archgen new {} --style {}", self.name, self.style().name());
        let services = self.shape.services();
        if !services.is_empty() {
            let list: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            line.push_str(" --services ");
            line.push_str(&list.join(","));
            if self.shape.calls() != crate::calls::defaults(services) {
                line.push_str(" --calls ");
                line.push_str(&crate::calls::spec_list(self.shape.calls(), services));
            }
        }
        if let Some(events) = self.shape.events() {
            line.push_str(" --events ");
            line.push_str(events.name());
        }
        if let Some(platform) = self.shape.platform() {
            line.push_str(" --platform ");
            line.push_str(platform.name());
        }
        line.push_str(" --db ");
        line.push_str(self.shape.db().name());
        line.push_str(" --ci ");
        line.push_str(self.ci.name());
        if !self.has_default_resources() {
            for resource in &self.resources {
                line.push_str(" --resource ");
                line.push_str(&shell_quote(&resource.to_string()));
            }
        }
        if !self.has_default_features() {
            line.push_str(" --features ");
            line.push_str(if self.features.is_empty() { "none" } else { "" });
            line.push_str(&self.features.join(","));
        }
        if let Some(dir) = output.filter(|dir| *dir != Path::new(&self.name)) {
            line.push_str(" --output ");
            line.push_str(&shell_quote(&dir.display().to_string()));
        }
        line.push_str(" --yes");
        line
    }
}

impl Answers {
    /// Whether the features are those the project gets when it names none.
    #[must_use]
    pub fn has_default_features(&self) -> bool {
        crate::features::choose(None, &self.shape, self.templates_root(), &mut crate::prompt::Defaults)
            .is_ok_and(|defaults| defaults == self.features)
    }

    /// Whether the resources are those the project gets when it names none.
    #[must_use]
    pub fn has_default_resources(&self) -> bool {
        crate::resources::resolve(&[], &self.shape).is_ok_and(|defaults| defaults == self.resources)
    }
}

/// The shape of `style` from what was given, asking for what was not; an option of another
/// style is refused rather than ignored.
fn shape(style: Style, given: Given, names: &Names, prompter: &mut dyn Prompter) -> Result<Shape> {
    let foreign = match style {
        Style::Monolith => vec![
            ("--services", given.services.is_some()),
            ("--calls", given.calls.is_some()),
            ("--events", given.events.is_some()),
            ("--platform", given.platform.is_some()),
        ],
        Style::Microservices => vec![("--platform", given.platform.is_some())],
        Style::Serverless => vec![
            ("--services", given.services.is_some()),
            ("--calls", given.calls.is_some()),
            ("--events", given.events.is_some()),
        ],
    };
    for (option, given) in foreign {
        refuse(given, option, style)?;
    }
    let shape = match style {
        Style::Monolith => Shape::Monolith { db: database(style, given.db, prompter)? },
        Style::Microservices => {
            let list = if let Some(list) = given.services {
                list
            } else {
                let default = DEFAULT_SERVICES.join(",");
                let answer = prompter.input("Services (comma-separated)", Some(&default), &|input| {
                    services(&split_list(input), names).map(|_| ())
                })?;
                split_list(&answer.unwrap_or(default))
            };
            let services = services(&list, names)?;
            let calls = if let Some(list) = given.calls {
                crate::calls::resolve(&list, &services)?
            } else {
                let default = crate::calls::default_spec(&services);
                let answer = prompter.input(
                    "Calls between services (caller:callee, comma-separated, or none)",
                    Some(&default),
                    &|input| crate::calls::resolve(&split_list(input), &services).map(|_| ()),
                )?;
                crate::calls::resolve(&split_list(&answer.unwrap_or(default)), &services)?
            };
            let events = pick(given.events, Events::value_variants(), prompter, "Events between services")?;
            database(style, given.db, prompter)?;
            Shape::Microservices { services, events, calls }
        }
        Style::Serverless => {
            let platform = pick(given.platform, Platform::value_variants(), prompter, "Platform")?;
            let postgres = database(style, given.db, prompter)? == Db::Postgres;
            Shape::Serverless { platform, postgres }
        }
    };
    Ok(shape)
}

/// The database, from those the style supports.
fn database(style: Style, given: Option<Db>, prompter: &mut dyn Prompter) -> Result<Db> {
    let supported = databases(style);
    let db = pick(given, supported, prompter, "Database")?;
    if !supported.contains(&db) {
        return Err(Error::UnsupportedOption {
            option: format!("--db {}", db.name()),
            style: style.name(),
            supported: supported.iter().map(|d| d.name()).collect::<Vec<_>>().join(", "),
        });
    }
    Ok(db)
}

fn split_list(input: &str) -> Vec<String> {
    input.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Validates a service list: at least one and at most [`MAX_SERVICES`], each a valid name,
/// unique, none taken by a crate of the workspace. Linear in the number of services.
fn services(list: &[String], project: &Names) -> Result<Vec<Names>> {
    if list.len() > MAX_SERVICES {
        return Err(Error::TooManyServices { count: list.len(), max: MAX_SERVICES });
    }
    let common = format!("{}_common", project.snake);
    let mut seen = std::collections::HashSet::new();
    if list.is_empty() {
        return Err(Error::InvalidService {
            name: String::new(),
            reason: "no services given".into(),
            suggestion: DEFAULT_SERVICES.join(","),
        });
    }
    let mut out: Vec<Names> = Vec::with_capacity(list.len());
    for name in list {
        let names = Names::new(name).map_err(|e| match e {
            Error::InvalidName { name, reason, suggestion } => Error::InvalidService { name, reason, suggestion },
            other => other,
        })?;
        if RESERVED_SERVICES.contains(&names.snake.as_str()) || names.snake == common {
            return Err(Error::InvalidService {
                name: name.clone(),
                reason: "the workspace already has a crate by that name".into(),
                suggestion: crate::names::fit(&format!("{}-service", names.kebab), crate::names::MAX_LEN),
            });
        }
        if !seen.insert(names.snake.clone()) {
            return Err(Error::InvalidService {
                name: name.clone(),
                reason: "it is listed twice".into(),
                suggestion: crate::names::fit(&format!("{}-2", names.kebab), crate::names::MAX_LEN),
            });
        }
        out.push(names);
    }
    Ok(out)
}

fn refuse(given: bool, option: &str, style: Style) -> Result<()> {
    if given {
        return Err(Error::UnsupportedOption {
            option: option.to_owned(),
            style: style.name(),
            supported: "leave it out".into(),
        });
    }
    Ok(())
}

fn shell_quote(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn pick<T: Choice + PartialEq>(
    given: Option<T>,
    allowed: &[T],
    prompter: &mut dyn Prompter,
    question: &str,
) -> Result<T> {
    if let Some(value) = given {
        return Ok(value);
    }
    let default = allowed.iter().position(|v| *v == T::default_value()).unwrap_or(0);
    if allowed.len() == 1 {
        return Ok(allowed[0]);
    }
    let options: Vec<(&'static str, &'static str)> = allowed.iter().map(|v| (v.name(), v.guidance())).collect();
    let chosen = prompter.select(question, &options, default)?;
    Ok(allowed.get(chosen).copied().unwrap_or(allowed[default]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::Defaults;

    #[test]
    fn reports_line_and_column_of_a_bad_value() {
        let text = "name = \"shop\"\nstyle = \"monolith\"\ndb = \"oracle\"\n";
        let Err(Error::AnswersInvalid { line, column, message, .. }) = AnswersFile::parse(text, Path::new("a.toml"))
        else {
            panic!("expected an invalid answers error");
        };
        assert_eq!((line, column), (3, 6));
        assert!(message.contains("oracle") || message.contains("unknown variant"), "{message}");
    }

    #[test]
    fn rejects_unknown_keys() {
        let err = AnswersFile::parse("name = \"shop\"\ndatabase = \"sqlite\"\n", Path::new("a.toml")).unwrap_err();
        assert!(matches!(err, Error::AnswersInvalid { line: 2, column: 1, .. }), "{err:?}");
    }

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let file =
            AnswersFile { name: Some("shop".into()), db: Some(Db::Sqlite), ci: Some(Ci::Gitlab), ..Default::default() };
        let args = NewArgs { ci: Some(Ci::None), ..Default::default() };
        let answers = Answers::resolve(&args, Some(&file), &mut Defaults).unwrap();
        assert_eq!((answers.shape, answers.ci), (Shape::Monolith { db: Db::Sqlite }, Ci::None));
    }

    #[test]
    fn recorded_answers_replay_to_the_same_answers() {
        let args = NewArgs { name: Some("shop".into()), db: Some(Db::None), ..Default::default() };
        let answers = Answers::resolve(&args, None, &mut Defaults).unwrap();
        let file = AnswersFile::parse(&answers.to_toml(), Path::new(FILE_NAME)).unwrap();
        let replayed = Answers::resolve(&NewArgs::default(), Some(&file), &mut Defaults).unwrap();
        assert_eq!(replayed, answers);
    }

    #[test]
    fn versions_are_semantic_versions_and_a_pre_release_ranks_below_its_release() {
        for bad in ["", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.x", "v1.2.3", "1.2.3-", "latest", "1.2.3-a..b"] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
        assert!(parse_version("1.2.3-rc.1") < parse_version("1.2.3"));
        assert!(parse_version("1.2.3+build.5") == parse_version("1.2.3"));
        assert!(parse_version("0.10.0") > parse_version("0.9.9"));
        let newer = "archgen_version = \"99.0.0\"\n";
        assert!(matches!(AnswersFile::parse(newer, Path::new("a")), Err(Error::AnswersFromNewerVersion { .. })));
    }

    #[test]
    fn options_of_another_style_are_refused() {
        let args = NewArgs {
            name: Some("shop".into()),
            style: Some(Style::Microservices),
            platform: Some(Platform::Knative),
            ..Default::default()
        };
        let err = Answers::resolve(&args, None, &mut Defaults).unwrap_err();
        assert!(matches!(err, Error::UnsupportedOption { .. }), "{err:?}");
    }

    #[test]
    fn no_name_without_a_terminal_is_an_error() {
        let err = Answers::resolve(&NewArgs::default(), None, &mut Defaults).unwrap_err();
        assert!(matches!(err, Error::MissingName));
    }
}
