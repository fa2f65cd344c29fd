//! Kubernetes closure checks on every rendered overlay of every case (fast tier: needs only
//! `kubectl kustomize` and `python3` with PyYAML to read what it prints):
//! - every ConfigMap, Secret and ServiceAccount a workload references exists in the overlay
//!   (in prod, a missing Secret must be named in the generated README, as created out of band);
//! - every in-cluster host:port the workloads are configured to reach (every `*_URL`:
//!   `DATABASE_URL`, `NATS_URL`, `REDIS_URL`, `UPSTREAM_*_URL`, a called service's `USERS_URL`)
//!   is a Service of the overlay with that port (in prod, a host the README says to provide,
//!   "reachable as `host`", may be missing);
//! - every such connection, and DNS, is allowed by the NetworkPolicies on both ends, and in the
//!   dev overlays no egress rule goes beyond them;
//! - migrations come first: a Deployment that reads `DATABASE_URL` runs `migrate` in an init
//!   container with the same image; a Knative migration Job and all it needs carry
//!   `deploy-phase=migrate` (deploy phase 1);
//! - the Gateway API `HTTPRoute` is well formed (it has no schema in kubernetes-validate), routes
//!   to a Service port that exists, and its Gateway's namespace is let in by a NetworkPolicy; a
//!   backend in another namespace (Knative's local gateway) comes with a ReferenceGrant in the
//!   README, and a Host rewrite names a cluster-local Knative Service of the overlay;
//! - every Knative Service is cluster-local (a public one serves /readyz and /metrics to anyone).
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // a panic with its location is the right failure in a test
#![allow(clippy::doc_markdown, clippy::similar_names)] // Kubernetes kinds are prose here; `pod`/`prod` read fine

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use cargo_archgen::render::render;
use serde_json::Value;

/// `kubectl kustomize dir`, as JSON documents.
fn kustomize(dir: &Path) -> Vec<Value> {
    let out = Command::new("kubectl").arg("kustomize").arg(dir).output().expect("kubectl is installed");
    assert!(out.status.success(), "kubectl kustomize {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    let mut python = Command::new("python3")
        .args(["-c", "import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d], sys.stdout)"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is installed");
    python.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let json = python.wait_with_output().unwrap();
    assert!(json.status.success(), "python3 with PyYAML is needed to read the manifests");
    serde_json::from_slice::<Vec<Value>>(&json.stdout).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn kind(d: &Value) -> &str {
    s(&d["kind"])
}

fn name(d: &Value) -> &str {
    s(&d["metadata"]["name"])
}

fn find<'a>(docs: &'a [Value], k: &str, n: &str) -> Option<&'a Value> {
    docs.iter().find(|d| kind(d) == k && name(d) == n)
}

/// A workload: its kind and name, its pod template's labels and pod spec.
struct Pod<'a> {
    id: String,
    labels: &'a Value,
    spec: &'a Value,
}

fn pods(docs: &[Value]) -> Vec<Pod<'_>> {
    docs.iter()
        .filter(|d| {
            matches!(kind(d), "Deployment" | "StatefulSet" | "Job")
                || (kind(d) == "Service" && s(&d["apiVersion"]).starts_with("serving.knative.dev/"))
        })
        .map(|d| Pod {
            id: format!("{}/{}", kind(d), name(d)),
            labels: &d["spec"]["template"]["metadata"]["labels"],
            spec: &d["spec"]["template"]["spec"],
        })
        .collect()
}

fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    arr(&spec["initContainers"]).iter().chain(arr(&spec["containers"]))
}

fn matches(selector: &Value, labels: &Value) -> bool {
    selector["matchLabels"].as_object().is_none_or(|want| want.iter().all(|(k, v)| labels.get(k) == Some(v)))
        && arr(&selector["matchExpressions"]).is_empty()
}

/// The value of an environment variable as the pod sees it, through ConfigMaps and Secrets.
fn env_values(docs: &[Value], container: &Value) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let data = |k: &str, n: &str| -> BTreeMap<String, String> {
        let Some(d) = find(docs, k, n) else { return BTreeMap::new() };
        let mut out: BTreeMap<String, String> =
            d["data"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), decode(kind(d), s(v)))).collect();
        out.extend(d["stringData"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), s(v).to_owned())));
        out
    };
    for from in arr(&container["envFrom"]) {
        if let Some(n) = from["configMapRef"]["name"].as_str() {
            env.extend(data("ConfigMap", n));
        }
        if let Some(n) = from["secretRef"]["name"].as_str() {
            env.extend(data("Secret", n));
        }
    }
    for var in arr(&container["env"]) {
        let key = s(&var["name"]).to_owned();
        if let Some(v) = var["value"].as_str() {
            env.insert(key, v.to_owned());
        } else if let Some(r) = var["valueFrom"]["secretKeyRef"].as_object() {
            if let Some(v) = data("Secret", s(&r["name"])).remove(s(&r["key"])) {
                env.insert(key, v);
            }
        } else if let Some(r) = var["valueFrom"]["configMapKeyRef"].as_object()
            && let Some(v) = data("ConfigMap", s(&r["name"])).remove(s(&r["key"]))
        {
            env.insert(key, v);
        }
    }
    env
}

fn decode(kind: &str, value: &str) -> String {
    if kind != "Secret" {
        return value.to_owned();
    }
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut bits, mut n, mut out) = (0_u32, 0, Vec::new());
    for c in value.bytes().filter(|c| *c != b'=') {
        let Some(v) = table.iter().position(|t| *t == c) else { continue };
        bits = (bits << 6) | u32::try_from(v).unwrap();
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((bits >> n) & 0xff).unwrap());
        }
    }
    String::from_utf8(out).unwrap()
}

/// `scheme://[user[:password]@]host[:port][/…]` → (host, port), with the scheme's default port.
fn host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (
            authority,
            match scheme {
                "http" => 80,
                "https" => 443,
                "postgres" | "postgresql" => 5432,
                "nats" => 4222,
                _ => return None,
            },
        ),
    };
    Some((host.to_owned(), port))
}

/// The container port a Service port leads to, on the pods it selects.
fn target_port(service: &Value, port: u16, target: &Pod<'_>) -> Option<u16> {
    let sp = arr(&service["spec"]["ports"]).iter().find(|p| p["port"].as_u64() == Some(u64::from(port)))?;
    match &sp["targetPort"] {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(named) => containers(target.spec)
            .flat_map(|c| arr(&c["ports"]))
            .find(|p| s(&p["name"]) == named)
            .and_then(|p| p["containerPort"].as_u64())
            .and_then(|n| u16::try_from(n).ok()),
        _ => Some(port),
    }
}

fn port_allowed(rule: &Value, port: u16, pod: &Pod<'_>) -> bool {
    let ports = arr(&rule["ports"]);
    ports.is_empty()
        || ports.iter().any(|p| match &p["port"] {
            Value::Number(n) => n.as_u64() == Some(u64::from(port)),
            Value::String(named) => containers(pod.spec)
                .flat_map(|c| arr(&c["ports"]))
                .any(|cp| s(&cp["name"]) == named && cp["containerPort"].as_u64() == Some(u64::from(port))),
            _ => true,
        })
}

/// Whether a peer list (`from`/`to`) admits a pod of this namespace with these labels, or (when
/// `namespace` is given) any pod of that other namespace.
fn peers_admit(peers: &[Value], labels: Option<&Value>, namespace: Option<&str>) -> bool {
    peers.is_empty()
        || peers.iter().any(|peer| match (namespace, labels) {
            (Some(ns), _) => {
                peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as_str() == Some(ns)
                    && peer["podSelector"].is_null()
            }
            (None, Some(labels)) => peer["namespaceSelector"].is_null() && matches(&peer["podSelector"], labels),
            (None, None) => false,
        })
}

fn policies<'a>(docs: &'a [Value], labels: &Value, direction: &str) -> Vec<&'a Value> {
    docs.iter()
        .filter(|d| kind(d) == "NetworkPolicy")
        .filter(|d| matches(&d["spec"]["podSelector"], labels))
        .filter(|d| arr(&d["spec"]["policyTypes"]).iter().any(|t| s(t) == direction))
        .collect()
}

/// Egress from `from` to pods labelled `to_labels` (or to another namespace) on `port`.
fn egress_allowed(docs: &[Value], from: &Pod<'_>, to: Option<&Pod<'_>>, namespace: Option<&str>, port: u16) -> bool {
    let pols = policies(docs, from.labels, "Egress");
    pols.is_empty()
        || pols.iter().flat_map(|p| arr(&p["spec"]["egress"])).any(|rule| {
            let dummy = to.unwrap_or(from);
            port_allowed(rule, port, dummy) && peers_admit(arr(&rule["to"]), to.map(|t| t.labels), namespace)
        })
}

fn ingress_allowed(docs: &[Value], to: &Pod<'_>, from: Option<&Pod<'_>>, namespace: Option<&str>, port: u16) -> bool {
    let pols = policies(docs, to.labels, "Ingress");
    pols.is_empty()
        || pols.iter().flat_map(|p| arr(&p["spec"]["ingress"])).any(|rule| {
            port_allowed(rule, port, to) && peers_admit(arr(&rule["from"]), from.map(|f| f.labels), namespace)
        })
}

fn check_overlay(case: &str, overlay: &str, docs: &[Value], readme: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let prod = overlay == "prod";
    let workloads = pods(docs);
    let mut connections: Vec<(String, String, u16)> = Vec::new(); // (pod id, service, port)

    for pod in &workloads {
        // References.
        let mut refs: Vec<(&str, String)> = Vec::new();
        if let Some(sa) = pod.spec["serviceAccountName"].as_str() {
            refs.push(("ServiceAccount", sa.to_owned()));
        }
        for c in containers(pod.spec) {
            for from in arr(&c["envFrom"]) {
                if let Some(n) = from["configMapRef"]["name"].as_str() {
                    refs.push(("ConfigMap", n.to_owned()));
                }
                if let Some(n) = from["secretRef"]["name"].as_str() {
                    refs.push(("Secret", n.to_owned()));
                }
            }
            for var in arr(&c["env"]) {
                if let Some(n) = var["valueFrom"]["secretKeyRef"]["name"].as_str() {
                    refs.push(("Secret", n.to_owned()));
                }
                if let Some(n) = var["valueFrom"]["configMapKeyRef"]["name"].as_str() {
                    refs.push(("ConfigMap", n.to_owned()));
                }
            }
        }
        for v in arr(&pod.spec["volumes"]) {
            if let Some(n) = v["configMap"]["name"].as_str() {
                refs.push(("ConfigMap", n.to_owned()));
            }
            if let Some(n) = v["secret"]["secretName"].as_str() {
                refs.push(("Secret", n.to_owned()));
            }
        }
        for (k, n) in refs {
            if find(docs, k, &n).is_none() && !(prod && k == "Secret" && readme.contains(&format!("`{n}`"))) {
                problems.push(format!(
                    "{}: {k} {n} does not exist{}",
                    pod.id,
                    if prod { " nor is it documented as created out of band" } else { "" }
                ));
            }
        }

        // Connections, from the URLs the containers are configured with.
        for c in containers(pod.spec) {
            for (key, value) in env_values(docs, c) {
                // Every address a workload is given: the database's, NATS', Redis', the
                // gateway's upstreams (`UPSTREAM_*_URL`), the services a service calls
                // (`USERS_URL`), …
                if !key.ends_with("_URL") {
                    continue;
                }
                let Some((host, port)) = host_port(&value) else { continue };
                if host.contains('.') || host == "HOST" {
                    continue; // outside the cluster (or a placeholder the operator fills in)
                }
                match find(docs, "Service", &host) {
                    Some(service)
                        if arr(&service["spec"]["ports"])
                            .iter()
                            .any(|p| p["port"].as_u64() == Some(u64::from(port))) =>
                    {
                        connections.push((pod.id.clone(), host, port));
                    }
                    Some(_) => problems
                        .push(format!("{}: {key} names {host}:{port}, but Service {host} has no port {port}", pod.id)),
                    None if prod && readme.contains(&format!("reachable as `{host}`")) => {}
                    None => {
                        problems.push(format!("{}: {key} names {host}:{port}, but no Service {host} exists", pod.id));
                    }
                }
            }
        }
    }
    connections.sort();
    connections.dedup();

    // Every connection allowed on both ends; DNS for every pod.
    for (id, host, port) in &connections {
        let from = workloads.iter().find(|p| &p.id == id).unwrap();
        let service = find(docs, "Service", host).unwrap();
        let targets: Vec<&Pod<'_>> = workloads
            .iter()
            .filter(|p| {
                !service["spec"]["selector"].is_null()
                    && matches(&serde_json::json!({"matchLabels": service["spec"]["selector"]}), p.labels)
            })
            .collect();
        if targets.is_empty() {
            problems.push(format!("Service {host} selects no workload of the overlay"));
        }
        for to in targets {
            let Some(tport) = target_port(service, *port, to) else {
                problems.push(format!("Service {host}:{port} has no target on {}", to.id));
                continue;
            };
            if !egress_allowed(docs, from, Some(to), None, tport) {
                problems.push(format!("{id} → {} :{tport} is denied by egress policies", to.id));
            }
            if !ingress_allowed(docs, to, Some(from), None, tport) {
                problems.push(format!("{id} → {} :{tport} is denied by ingress policies", to.id));
            }
        }
    }
    // Only pods that connect anywhere need names resolved.
    for pod in workloads.iter().filter(|p| connections.iter().any(|(id, _, _)| id == &p.id)) {
        {
            let port = 53;
            let ok = policies(docs, pod.labels, "Egress").is_empty()
                || policies(docs, pod.labels, "Egress").iter().flat_map(|p| arr(&p["spec"]["egress"])).any(|rule| {
                    let ports = arr(&rule["ports"]);
                    ["UDP", "TCP"].iter().all(|proto| {
                        ports.iter().any(|p| p["port"].as_u64() == Some(port) && s(&p["protocol"]) == *proto)
                    }) && arr(&rule["to"]).iter().any(|peer| {
                        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == "kube-system"
                            && peer["podSelector"]["matchLabels"]["k8s-app"] == "kube-dns"
                    })
                });
            if !ok {
                problems.push(format!("{}: DNS (kube-dns, 53 UDP and TCP) is not allowed", pod.id));
            }
        }
    }

    // Nothing more: in dev every egress rule of a policy (other than DNS) is used by a connection
    // and names its peers.
    if !prod {
        for pol in docs.iter().filter(|d| kind(d) == "NetworkPolicy") {
            for rule in arr(&pol["spec"]["egress"]) {
                if arr(&rule["ports"]).iter().all(|p| p["port"].as_u64() == Some(53)) {
                    continue;
                }
                if arr(&rule["to"]).is_empty() {
                    problems.push(format!("NetworkPolicy {}: an egress rule allows any destination", name(pol)));
                    continue;
                }
                let used = connections.iter().any(|(id, host, port)| {
                    let from = workloads.iter().find(|p| &p.id == id).unwrap();
                    let service = find(docs, "Service", host).unwrap();
                    matches(&pol["spec"]["podSelector"], from.labels)
                        && workloads.iter().any(|to| {
                            matches(&serde_json::json!({"matchLabels": service["spec"]["selector"]}), to.labels)
                                && target_port(service, *port, to).is_some_and(|tp| {
                                    port_allowed(rule, tp, to) && peers_admit(arr(&rule["to"]), Some(to.labels), None)
                                })
                        })
                });
                if !used {
                    problems.push(format!("NetworkPolicy {}: egress rule {rule} serves no connection", name(pol)));
                }
            }
        }
    }

    // Migrations first.
    for d in docs.iter().filter(|d| kind(d) == "Deployment") {
        let spec = &d["spec"]["template"]["spec"];
        let reads_db =
            arr(&spec["containers"]).iter().any(|c| arr(&c["env"]).iter().any(|e| s(&e["name"]) == "DATABASE_URL"));
        let sqlite = arr(&spec["volumes"]).iter().any(|v| v["persistentVolumeClaim"].is_object());
        if reads_db && !sqlite {
            let app = &arr(&spec["containers"])[0];
            let migrates = arr(&spec["initContainers"]).iter().any(|i| {
                arr(&i["args"]).first().map(s) == Some("migrate")
                    && i["image"] == app["image"]
                    && arr(&i["env"]).iter().any(|e| s(&e["name"]) == "DATABASE_URL" && e["valueFrom"] == arr(&app["env"]).iter().find(|e| s(&e["name"]) == "DATABASE_URL").unwrap()["valueFrom"])
            });
            if !migrates {
                problems.push(format!(
                    "Deployment {}: reads DATABASE_URL without a `migrate` init container of its image",
                    name(d)
                ));
            }
        }
    }
    if let Some(job) = docs.iter().find(|d| {
        kind(d) == "Job"
            && arr(&d["spec"]["template"]["spec"]["containers"])
                .iter()
                .any(|c| arr(&c["args"]).first().map(s) == Some("migrate"))
    }) {
        let phase1 = |d: &Value| d["metadata"]["labels"]["deploy-phase"] == "migrate";
        if !phase1(job) {
            problems.push(format!("Job {}: not labelled deploy-phase=migrate", name(job)));
        }
        let pod = workloads.iter().find(|p| p.id == format!("Job/{}", name(job))).unwrap();
        let mut needs: Vec<(&str, String)> = vec![("ServiceAccount", s(&pod.spec["serviceAccountName"]).to_owned())];
        for c in containers(pod.spec) {
            needs.extend(
                arr(&c["envFrom"])
                    .iter()
                    .filter_map(|f| f["configMapRef"]["name"].as_str())
                    .map(|n| ("ConfigMap", n.to_owned())),
            );
            needs.extend(
                arr(&c["env"])
                    .iter()
                    .filter_map(|e| e["valueFrom"]["secretKeyRef"]["name"].as_str())
                    .map(|n| ("Secret", n.to_owned())),
            );
        }
        for d in docs.iter().filter(|d| kind(d) == "Namespace") {
            needs.push(("Namespace", name(d).to_owned()));
        }
        for (_, host, _) in connections.iter().filter(|(id, _, _)| id == &pod.id) {
            needs.push(("Service", host.clone()));
        }
        for (k, n) in needs {
            if let Some(d) = find(docs, k, &n)
                && !phase1(d)
            {
                problems.push(format!(
                    "{k} {n}: the migration Job needs it, but it is not in deploy phase 1 (deploy-phase=migrate)"
                ));
            }
        }
        for pol in docs.iter().filter(|d| kind(d) == "NetworkPolicy" && matches(&d["spec"]["podSelector"], pod.labels))
        {
            if !phase1(pol) {
                problems.push(format!(
                    "NetworkPolicy {}: selects the migration Job but is not in deploy phase 1",
                    name(pol)
                ));
            }
        }
    }

    // A public Knative Service exposes every path (/readyz and /metrics too) on Knative's
    // ingress: only cluster-local ones, behind an HTTPRoute of chosen paths.
    for ksvc in docs.iter().filter(|d| kind(d) == "Service" && s(&d["apiVersion"]).starts_with("serving.knative.dev/"))
    {
        if ksvc["metadata"]["labels"]["networking.knative.dev/visibility"] != "cluster-local" {
            problems.push(format!("Knative Service {}: public (not cluster-local), every path reachable", name(ksvc)));
        }
    }

    // Gateway API, structurally.
    for route in docs.iter().filter(|d| kind(d) == "HTTPRoute") {
        if s(&route["apiVersion"]) != "gateway.networking.k8s.io/v1" {
            problems.push(format!("HTTPRoute {}: apiVersion {}", name(route), route["apiVersion"]));
        }
        let parents = arr(&route["spec"]["parentRefs"]);
        if parents.len() != 1
            || parents.iter().any(|p| {
                s(&p["name"]).is_empty()
                    || s(&p["namespace"]).is_empty()
                    || (!p["kind"].is_null() && s(&p["kind"]) != "Gateway")
            })
        {
            problems.push(format!(
                "HTTPRoute {}: needs exactly one parent Gateway with a name and a namespace",
                name(route)
            ));
        }
        if arr(&route["spec"]["hostnames"]).is_empty() {
            problems.push(format!("HTTPRoute {}: no hostnames", name(route)));
        }
        let known = ["parentRefs", "hostnames", "rules"];
        for key in route["spec"].as_object().into_iter().flatten().map(|(k, _)| k) {
            if !known.contains(&key.as_str()) {
                problems.push(format!("HTTPRoute {}: unexpected spec.{key}", name(route)));
            }
        }
        let gateway_ns = parents.first().map(|p| s(&p["namespace"])).unwrap_or_default();
        for rule in arr(&route["spec"]["rules"]) {
            for m in arr(&rule["matches"]) {
                let t = s(&m["path"]["type"]);
                if !["Exact", "PathPrefix", "RegularExpression"].contains(&t)
                    || !s(&m["path"]["value"]).starts_with('/')
                {
                    problems.push(format!("HTTPRoute {}: bad path match {m}", name(route)));
                }
            }
            // A Host rewrite to `<service>.<namespace>.svc` names a cluster-local Knative
            // Service of this overlay, reached through Knative's local gateway.
            for filter in arr(&rule["filters"]) {
                let host = s(&filter["urlRewrite"]["hostname"]);
                let Some((service, namespace)) = host.strip_suffix(".svc").and_then(|h| h.split_once('.')) else {
                    continue;
                };
                let ksvc = docs.iter().find(|d| {
                    kind(d) == "Service"
                        && s(&d["apiVersion"]).starts_with("serving.knative.dev/")
                        && name(d) == service
                });
                if ksvc.is_none_or(|k| k["metadata"]["labels"]["networking.knative.dev/visibility"] != "cluster-local")
                {
                    problems.push(format!("HTTPRoute {}: {host} is no cluster-local Knative Service", name(route)));
                }
                if namespace != s(&route["metadata"]["namespace"]) {
                    problems.push(format!("HTTPRoute {}: {host} is not in the route's namespace", name(route)));
                }
            }
            for backend in arr(&rule["backendRefs"]) {
                let Some(port) = backend["port"].as_u64().and_then(|p| u16::try_from(p).ok()) else {
                    problems.push(format!("HTTPRoute {}: backendRef without a port", name(route)));
                    continue;
                };
                // A Service of the platform's (Knative's local gateway), in its own namespace:
                // the README must say which and give the ReferenceGrant that lets the route in.
                if let Some(ns) = backend["namespace"].as_str()
                    && ns != s(&route["metadata"]["namespace"])
                {
                    let named = format!("`{ns}/{}`", s(&backend["name"]));
                    if !(readme.contains(&named) && readme.contains("kind: ReferenceGrant")) {
                        problems.push(format!(
                            "HTTPRoute {}: backend {named} is in another namespace, and the README gives no \
                             ReferenceGrant for it",
                            name(route)
                        ));
                    }
                    continue;
                }
                let Some(service) = find(docs, "Service", s(&backend["name"])) else {
                    problems.push(format!(
                        "HTTPRoute {}: backend Service {} does not exist",
                        name(route),
                        backend["name"]
                    ));
                    continue;
                };
                for to in workloads
                    .iter()
                    .filter(|p| matches(&serde_json::json!({"matchLabels": service["spec"]["selector"]}), p.labels))
                {
                    match target_port(service, port, to) {
                        Some(tp) if ingress_allowed(docs, to, None, Some(gateway_ns), tp) => {}
                        Some(tp) => problems
                            .push(format!("{}: the Gateway's namespace {gateway_ns} may not reach port {tp}", to.id)),
                        None => problems.push(format!(
                            "HTTPRoute {}: Service {} has no port {port}",
                            name(route),
                            name(service)
                        )),
                    }
                }
            }
        }
    }
    problems.into_iter().map(|p| format!("{case} [{overlay}]: {p}")).collect()
}

#[test]
fn every_overlay_is_closed_and_its_connections_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let mut overlays = 0;
    for answers in common::cases() {
        let case = common::case_id(&answers);
        let tree = render(&answers).expect("renders");
        if !tree.keys().any(|p| p.starts_with("deploy/k8s/overlays/")) {
            continue;
        }
        let root = tmp.path().join(&case);
        for (path, body) in tree.iter().filter(|(p, _)| p.starts_with("deploy/k8s/")) {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, body).unwrap();
        }
        let readme = tree.get("README.md").cloned().unwrap_or_default();
        for overlay in ["dev", "prod"] {
            let docs = kustomize(&root.join("deploy/k8s/overlays").join(overlay));
            problems.extend(check_overlay(&case, overlay, &docs, &readme));
            overlays += 1;
        }
    }
    assert!(overlays >= 10, "only {overlays} overlays checked");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
