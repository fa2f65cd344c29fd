//! In-memory rendering of each implemented style (no disk), so template or engine regressions
//! show up: `cargo bench --bench render`.

use cargo_archgen::answers::Answers;
use cargo_archgen::cli::{Ci, Db, NewArgs, Platform, Style};
use cargo_archgen::prompt::Defaults;
use cargo_archgen::render::render;
use criterion::{Criterion, criterion_group, criterion_main};

fn cases() -> Vec<(&'static str, NewArgs)> {
    let base = |style| NewArgs {
        name: Some("shop".into()),
        style: Some(style),
        db: Some(Db::Postgres),
        ci: Some(Ci::Github),
        ..NewArgs::default()
    };
    let mut cases = vec![("monolith-postgres-github", base(Style::Monolith))];
    let services = Some(["users", "orders", "billing", "catalog", "shipping"].map(String::from).to_vec());
    cases.push(("microservices-5-services-nats-github", NewArgs { services, ..base(Style::Microservices) }));
    for platform in [Platform::AwsLambda, Platform::Knative] {
        let id = if platform == Platform::AwsLambda {
            "serverless-aws-lambda-postgres-github"
        } else {
            "serverless-knative-postgres-github"
        };
        cases.push((id, NewArgs { platform: Some(platform), ..base(Style::Serverless) }));
    }
    cases
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    for (id, args) in cases() {
        let answers = Answers::resolve(&args, None, &mut Defaults).expect("valid case");
        group.bench_function(id, |b| b.iter(|| render(std::hint::black_box(&answers)).expect("renders")));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
