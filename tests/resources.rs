//! Resources: `new --resource` and `add resource` (a front end of the one change mechanism) give
//! the same project; bad specs are refused with one `error:` and one `help:` line and change
//! nothing; and the generated Rust keeps rustfmt's layout whatever the names' lengths.
#![allow(clippy::unwrap_used)] // a panic with its location is the right failure in a test

mod common;

use std::path::Path;
use std::process::Command;

use common::{archgen, git};
use predicates::prelude::*;

const PRODUCTS: &str = "products name:string price:decimal sku:string:unique note:text? quantity:int stock:bigint? \
                        active:bool weight:float? available_on:date? launched_at:timestamp code:uuid?:unique \
                        attributes:json?";

fn new(dir: &Path, output: &str, args: &[&str]) {
    archgen(dir).args(["new", "shop", "--output", output, "--ci", "none"]).args(args).assert().success();
}

/// Each style that takes resources, by its `new` arguments (the monolith's databases, then the
/// serverless core's on each platform).
const STYLES: &[&[&str]] = &[
    &["--db", "postgres"],
    &["--db", "sqlite"],
    &["--db", "none"],
    &["--style", "serverless", "--platform", "aws-lambda", "--db", "postgres"],
    &["--style", "serverless", "--platform", "knative", "--db", "none"],
];

#[test]
fn adding_a_resource_equals_generating_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let example = "items name:string:unique description:text?";
    for (i, style) in STYLES.iter().enumerate() {
        let (grown, fresh) = (format!("grown-{i}"), format!("fresh-{i}"));
        new(dir, &grown, style);
        let mut add = archgen(dir);
        add.args(["add", "resource", "--path", &grown, "--json"]).args(PRODUCTS.split(' '));
        let output = add.assert().success().get_output().stdout.clone();
        let report: serde_json::Value = serde_json::from_slice(&output).unwrap();
        assert_eq!(report["resource"], "products", "{report}");
        assert!(report["changes"].as_array().is_some_and(|c| c.len() >= 4), "{report}");

        let mut args = style.to_vec();
        args.extend(["--no-git", "--resource", example, "--resource", PRODUCTS]);
        new(dir, &fresh, &args);
        assert_eq!(
            common::files(&dir.join(&grown)),
            common::files(&dir.join(&fresh)),
            "{style:?}: growing equals generating"
        );
        let answers = std::fs::read_to_string(dir.join(&grown).join("archgen.toml")).unwrap();
        assert!(answers.contains(PRODUCTS), "{answers}");
        // Left uncommitted for review, like every change.
        assert!(!git(&dir.join(&grown), &["status", "--porcelain"]).is_empty());

        // Then another answer changes: still what one `new` with the final answers generates.
        git(&dir.join(&grown), &["add", "-A"]);
        git(&dir.join(&grown), &["commit", "-qm", "products"]);
        archgen(dir).args(["update", "--path", &grown, "--set", "ci=gitlab"]).assert().success();
        let gitlab = format!("fresh-gitlab-{i}");
        archgen(dir)
            .args(["new", "shop", "--output", &gitlab, "--ci", "gitlab", "--no-git"])
            .args(*style)
            .args(["--resource", example, "--resource", PRODUCTS])
            .assert()
            .success();
        assert_eq!(
            common::files(&dir.join(&grown)),
            common::files(&dir.join(&gitlab)),
            "{style:?}: grown, then updated"
        );
    }
}

#[test]
fn bad_specs_get_one_error_and_one_help_line_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    new(dir, "p", &[]);
    let before = common::files(&dir.join("p"));
    for fields in [
        &["name:str"][..],
        &["name"],
        &["select:string"],
        &["type:int"],
        &["id:int"],
        &["name:string", "name:text"],
        &["flag:bool:unique"],
        &["doc:json:unique"],
    ] {
        let output = archgen(dir)
            .args(["add", "resource", "products", "--path", "p"])
            .args(fields)
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let stderr = String::from_utf8(output).unwrap();
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{fields:?}: {stderr}");
        assert!(lines[0].starts_with("error: invalid resource"), "{stderr}");
        assert!(lines[1].starts_with("help: "), "{stderr}");
    }
    // A taken name, and a name the generated code uses.
    for name in ["items", "errors", "Products"] {
        archgen(dir).args(["add", "resource", name, "x:int", "--path", "p"]).assert().code(2);
    }
    assert_eq!(common::files(&dir.join("p")), before);
    // The same refusals at `new`, before anything is written.
    archgen(dir)
        .args(["new", "q", "--yes", "--resource", "products name:money"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown type \"money\""));
    assert!(!dir.join("q").exists());
}

/// Microservices: a resource belongs to a service; `add resource --service`, `add service` (which
/// brings the service's example) and `update` grow a project into what one `new` generates.
#[test]
fn microservices_grow_by_resources_and_services_as_one_new_generates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    new(dir, "grown", &["--style", "microservices", "--services", "users,orders", "--events", "nats"]);
    let before = common::files(&dir.join("grown"));
    // With two services, which one owns it must be said; an unknown one is refused.
    for owner in [&[][..], &["--service", "billing"]] {
        let output = archgen(dir)
            .args(["add", "resource", "products", "name:string", "--path", "grown"])
            .args(owner)
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let stderr = String::from_utf8(output).unwrap();
        assert_eq!(stderr.lines().count(), 2, "{stderr}");
        assert!(stderr.starts_with("error: invalid resource") && stderr.contains("\nhelp: "), "{stderr}");
    }
    assert_eq!(common::files(&dir.join("grown")), before, "a refusal changes nothing");

    let mut add = archgen(dir);
    add.args(["add", "resource", "--path", "grown", "--service", "orders", "--json"]).args(PRODUCTS.split(' '));
    add.assert().success();
    let grown = dir.join("grown");
    git(&grown, &["add", "-A"]);
    git(&grown, &["commit", "-qm", "products"]);
    archgen(dir).args(["add", "service", "billing", "--path", "grown"]).assert().success();
    git(&grown, &["add", "-A"]);
    git(&grown, &["commit", "-qm", "billing"]);
    archgen(dir).args(["update", "--path", "grown", "--set", "ci=gitlab"]).assert().success();

    // users and orders were the default services: their examples are the guidance's; billing,
    // added later, gets the plain one.
    let example = |service: &str| match service {
        "users" => "users/users email:string:unique name:string".to_owned(),
        "orders" => "orders/orders user_id:bigint total:decimal status:string".to_owned(),
        _ => format!("{service}/{service} name:string:unique description:text?"),
    };
    let products = format!("orders/{PRODUCTS}");
    archgen(dir)
        .args(["new", "shop", "--output", "fresh", "--ci", "gitlab", "--no-git", "--style", "microservices"])
        .args(["--services", "users,orders,billing", "--events", "nats"])
        .args(["--resource", &example("users"), "--resource", &example("orders"), "--resource", &products])
        .args(["--resource", &example("billing")])
        .assert()
        .success();
    assert_eq!(common::files(&grown), common::files(&dir.join("fresh")), "growing equals generating");
    let files = common::files(&grown);
    assert!(files.contains_key("services/orders/src/http/products.rs"));
    assert!(files.contains_key("services/orders/migrations/20240101000100_create_products.sql"));
    let routes = String::from_utf8(files["gateway/src/services.rs"].clone()).unwrap();
    assert!(routes.contains("path: \"products\",\n        service: \"orders\""), "{routes}");

    // A service taken out takes its resources with it.
    git(&grown, &["add", "-A"]);
    git(&grown, &["commit", "-qm", "gitlab"]);
    archgen(dir).args(["update", "--path", "grown", "--set", "services=users,orders"]).assert().success();
    archgen(dir)
        .args(["new", "shop", "--output", "fewer", "--ci", "gitlab", "--no-git", "--style", "microservices"])
        .args(["--services", "users,orders", "--events", "nats"])
        .args(["--resource", &example("users"), "--resource", &example("orders"), "--resource", &products])
        .assert()
        .success();
    let mut files = common::files(&grown);
    files.retain(|path, _| !path.starts_with(".git/"));
    assert_eq!(files, common::files(&dir.join("fewer")), "shrinking equals generating");
}

/// rustfmt lays a line out by its width: generated code must pass `cargo fmt --check` with the
/// shortest names as with the longest (20 characters), for every database, in the monolith
/// and in the serverless core and functions (whose import job and tests work on the first
/// resource) on both platforms.
#[test]
fn generated_rust_keeps_its_layout_at_every_name_length() {
    let rustfmt = Command::new("cargo").args(["fmt", "--version"]).output();
    assert!(rustfmt.is_ok_and(|o| o.status.success()), "cargo fmt (rustfmt) is needed for this test");
    let long = "abcdefghijklmnopqrst";
    let fields = |prefix: char| -> String {
        let types = [
            "string:unique",
            "text?",
            "int:unique",
            "bigint?",
            "bool",
            "decimal:unique",
            "float?",
            "date:unique",
            "timestamp?",
            "uuid:unique",
            "json?",
        ];
        let x = "x".repeat(17);
        types.iter().enumerate().map(|(i, ty)| format!("{prefix}{x}{i:02}:{ty}")).collect::<Vec<_>>().join(" ")
    };
    let specs = [
        vec![
            "a b:int".to_owned(),
            "cs d:string:unique e:text? f:bool g:float? h:date i:timestamp? j:bigint".to_owned(),
        ],
        vec![format!("{long} {}", fields('f')), format!("{} {long}:text", "z".repeat(20))],
    ];
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let styles: [&[&str]; 7] = [
        &["--db", "postgres"],
        &["--db", "sqlite"],
        &["--db", "none"],
        &["--style", "serverless", "--platform", "aws-lambda", "--db", "postgres"],
        &["--style", "serverless", "--platform", "aws-lambda", "--db", "none"],
        &["--style", "serverless", "--platform", "knative", "--db", "postgres"],
        &["--style", "serverless", "--platform", "knative", "--db", "none"],
    ];
    for (s, style) in styles.iter().enumerate() {
        for (i, specs) in specs.iter().enumerate() {
            let output = format!("{s}-{i}");
            let mut cmd = archgen(dir);
            cmd.args(["new", "shop", "--yes", "--no-git", "--output", &output]).args(*style);
            for spec in specs {
                cmd.args(["--resource", spec]);
            }
            cmd.assert().success();
            let fmt = Command::new("cargo").args(["fmt", "--check"]).current_dir(dir.join(&output)).output().unwrap();
            assert!(fmt.status.success(), "{style:?} {specs:?}:\n{}", String::from_utf8_lossy(&fmt.stdout));
        }
        // The longest project name the style allows, with every feature it takes: their
        // lines name the project's crates too.
        let output = format!("{s}-longest");
        let features = all_features(style);
        let extra = [&["--features", features.as_str()], *style].concat();
        longest_project(dir, &output, &extra);
        let fmt = Command::new("cargo").args(["fmt", "--check"]).current_dir(dir.join(&output)).output().unwrap();
        assert!(fmt.status.success(), "{style:?} --features {features}:\n{}", String::from_utf8_lossy(&fmt.stdout));
    }
    longest_project(dir, "microservices-longest", &["--style", "microservices"]);
    let fmt =
        Command::new("cargo").args(["fmt", "--check"]).current_dir(dir.join("microservices-longest")).output().unwrap();
    assert!(fmt.status.success(), "microservices:\n{}", String::from_utf8_lossy(&fmt.stdout));
    // Microservices: a service with the shortest names and one with the longest, each with
    // two resources (its state, routes and modules list them).
    let output = "microservices";
    let mut cmd = archgen(dir);
    cmd.args(["new", "shop", "--yes", "--no-git", "--style", "microservices", "--output", output]);
    cmd.args(["--services", &format!("a,{long}")]);
    for (service, specs) in ["a", long].into_iter().zip(&specs) {
        for spec in specs {
            cmd.args(["--resource", &format!("{service}/{spec}")]);
        }
    }
    cmd.assert().success();
    let fmt = Command::new("cargo").args(["fmt", "--check"]).current_dir(dir.join(output)).output().unwrap();
    assert!(fmt.status.success(), "microservices:\n{}", String::from_utf8_lossy(&fmt.stdout));
}

/// Generates the project with the longest name `new` accepts with these arguments (a name made
/// of `a`s, from Kubernetes' 63 characters down).
fn longest_project(dir: &std::path::Path, output: &str, args: &[&str]) {
    let accepted = (1..=63).rev().find(|&n| {
        let name = "a".repeat(n);
        archgen(dir)
            .args(["new", &name, "--yes", "--no-git", "--output", output])
            .args(args)
            .output()
            .unwrap()
            .status
            .success()
    });
    assert!(accepted.is_some_and(|n| n > 1), "no name is accepted with {args:?}");
}

/// Every feature a user may choose in this style, comma-separated (`none` when there is none).
fn all_features(style: &[&str]) -> String {
    use cargo_archgen::answers::Answers;
    use cargo_archgen::cli::NewArgs;
    use cargo_archgen::prompt::Defaults;

    let words = [&["cargo-archgen", "archgen", "new", "shop"], style].concat();
    let cli = cargo_archgen::cli::parse_from(words.iter().map(std::ffi::OsString::from));
    let cargo_archgen::cli::Command::New(args) = cli.command else { unreachable!("parsed as `new`") };
    let args = NewArgs { features: Some(vec!["none".into()]), ..args };
    let shape = Answers::resolve(&args, None, &mut Defaults).unwrap().shape;
    let names: Vec<String> = cargo_archgen::features::choosable(&cargo_archgen::plan::TEMPLATES, &shape)
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    if names.is_empty() { "none".to_owned() } else { names.join(",") }
}
