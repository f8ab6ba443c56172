//! Reading `[project]` of `services.toml`: name, region, account, cluster, tags, the shared load
//! balancer, the network it references and the DNS zone.
//!
//! A project with problems is still returned (with placeholders) so that the services and
//! environments are read and checked in the same run; the problems are already reported.

use super::model::{Certificate, Dns, LoadBalancer, Lookup, Network, Project};
use super::node::{Node, Value};
use super::problem::Problem;
use super::reader::{TableReader, type_problem};
use super::service_settings::read_tags;
use super::source::{Located, Span};

const PROJECT_KEYS: &[&str] = &["name", "region", "account_id", "cluster", "tags", "load_balancer", "network", "dns"];
const LOAD_BALANCER_KEYS: &[&str] = &["name", "certificate", "ssl_policy", "idle_timeout"];
const NETWORK_KEYS: &[&str] = &["vpc", "public_subnets", "private_subnets"];
const DNS_KEYS: &[&str] = &["zone", "zone_id"];

/// TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for new listeners.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Reads `[project]`; `reader` is `None` when the section is missing (already reported).
pub fn read_project(reader: Option<&TableReader<'_>>, file_span: Span) -> Project {
    let Some(reader) = reader else {
        return placeholder_project(file_span);
    };
    let name = reader.string("name");
    let name = reader
        .required("name", name, "name the project: name = \"acme\"")
        .unwrap_or_else(|| Located::new(String::new(), reader.span()));
    let region = reader.string("region");
    let account_id = reader.string("account_id");
    let cluster = reader.string("cluster").unwrap_or_else(|| name.clone());
    let tags = read_tags(reader, "tags");
    let load_balancer = read_load_balancer(reader.table("load_balancer").as_ref(), &name);
    let network = reader.table("network");
    let network =
        reader.required("network", network, "add [project.network] with `vpc`, `public_subnets` and `private_subnets`");
    let network = network.map_or_else(empty_network, |network| read_network(&network));
    let dns = reader.table("dns").and_then(|dns| read_dns(&dns));
    reader.finish(PROJECT_KEYS);
    Project { name, region, account_id, cluster, tags, load_balancer, network, dns }
}

/// A project standing in for a missing `[project]`: its empty name makes every check that
/// derives names from it stand down.
fn placeholder_project(span: Span) -> Project {
    let name = Located::new(String::new(), span);
    Project {
        cluster: name.clone(),
        load_balancer: read_load_balancer(None, &name),
        name,
        region: None,
        account_id: None,
        tags: Vec::new(),
        network: empty_network(),
        dns: None,
    }
}

fn empty_network() -> Network {
    Network {
        vpc: Lookup::Ids(Vec::new()),
        public_subnets: Lookup::Ids(Vec::new()),
        private_subnets: Lookup::Ids(Vec::new()),
    }
}

fn read_load_balancer(reader: Option<&TableReader<'_>>, project: &Located<String>) -> LoadBalancer {
    let Some(reader) = reader else {
        return LoadBalancer {
            name: project.clone(),
            certificate: None,
            ssl_policy: DEFAULT_SSL_POLICY.to_string(),
            idle_timeout_seconds: 60,
        };
    };
    let certificate = reader.entry("certificate").and_then(|entry| read_certificate(reader, &entry.node));
    let load_balancer = LoadBalancer {
        name: reader.string("name").unwrap_or_else(|| project.clone()),
        certificate,
        ssl_policy: reader.string("ssl_policy").map_or_else(|| DEFAULT_SSL_POLICY.to_string(), |policy| policy.value),
        idle_timeout_seconds: reader.integer("idle_timeout", 1..=4000, "seconds").map_or(60, |timeout| timeout.value),
    };
    reader.finish(LOAD_BALANCER_KEYS);
    load_balancer
}

/// `"arn:aws:acm:..."` or `{ domain = "api.example.com" }`.
fn read_certificate(reader: &TableReader<'_>, node: &Node) -> Option<Certificate> {
    match &node.value {
        Value::String(arn) => Some(Certificate::Arn(Located::new(arn.clone(), node.span))),
        Value::Table(_) => {
            let table = TableReader::new(node, "`load_balancer.certificate`", reader.problems())?;
            let domain = table.string("domain");
            let domain = table.required(
                "domain",
                domain,
                "name the certificate's domain: certificate = { domain = \"api.example.com\" }",
            );
            table.finish(&["domain"]);
            domain.map(Certificate::Domain)
        }
        other => {
            reader.report(type_problem(node.span, "certificate", "a string (an ACM ARN) or a table", other).with_help(
                "write certificate = \"arn:aws:acm:...\" or certificate = { domain = \"api.example.com\" }",
            ));
            None
        }
    }
}

fn read_network(reader: &TableReader<'_>) -> Network {
    let lookup = |key: &str, example: &str| {
        let value = reader.entry(key).and_then(|entry| read_lookup(reader, key, &entry.node));
        reader
            .required(key, value, &format!("set {key} = {example} or {key} = {{ tags = {{ Name = \"...\" }} }}"))
            .unwrap_or(Lookup::Ids(Vec::new()))
    };
    let network = Network {
        vpc: lookup("vpc", "\"vpc-0123456789abcdef0\""),
        public_subnets: lookup("public_subnets", "[\"subnet-...\", \"subnet-...\"]"),
        private_subnets: lookup("private_subnets", "[\"subnet-...\", \"subnet-...\"]"),
    };
    reader.finish(NETWORK_KEYS);
    network
}

/// `"vpc-1"`, `["subnet-1", "subnet-2"]` or `{ tags = { Tier = "private" } }`.
fn read_lookup(reader: &TableReader<'_>, key: &str, node: &Node) -> Option<Lookup> {
    match &node.value {
        Value::String(id) => Some(Lookup::Ids(vec![Located::new(id.clone(), node.span)])),
        Value::Array(items) => {
            let mut ids = Vec::new();
            for item in items {
                match &item.value {
                    Value::String(id) => ids.push(Located::new(id.clone(), item.span)),
                    other => {
                        reader.report(type_problem(item.span, &format!("network.{key}[]"), "a string (an ID)", other))
                    }
                }
            }
            Some(Lookup::Ids(ids))
        }
        Value::Table(_) => {
            let table = TableReader::new(node, format!("`network.{key}`"), reader.problems())?;
            let tags = read_tags(&table, "tags");
            let span = table.span();
            table.finish(&["tags"]);
            if tags.is_empty() {
                reader.report(
                    Problem::error(span, format!("`network.{key}` names no tags to look up"))
                        .with_help(format!("write {key} = {{ tags = {{ Name = \"...\" }} }}")),
                );
                return None;
            }
            Some(Lookup::Tags { tags, span })
        }
        other => {
            reader.report(type_problem(
                node.span,
                &format!("network.{key}"),
                "an ID, a list of IDs or a table of tags",
                other,
            ));
            None
        }
    }
}

fn read_dns(reader: &TableReader<'_>) -> Option<Dns> {
    let zone = reader.string("zone");
    let zone = reader.required("zone", zone, "name the hosted zone: zone = \"example.com\"");
    let zone_id = reader.string("zone_id");
    reader.finish(DNS_KEYS);
    Some(Dns { zone: zone?, zone_id })
}
