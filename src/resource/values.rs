//! Resolving [`Reference`](crate::desired::Reference)s: the values AWS knows (IDs, ARNs,
//! digests), keyed by how a reference renders (`<target-group-arn acme-stage-auth>`).
//!
//! Plan fills them from the actual state; apply adds what it creates, so that a listener rule
//! created after its target group gets the group's new ARN.

use crate::desired::Reference;
use std::collections::BTreeMap;

/// A resolved value: one string, or a list (subnets) that replaces its placeholder in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    One(String),
    Many(Vec<String>),
}

/// Known values of references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(BTreeMap<String, Value>);

/// What an unresolved reference shows in a plan: the value exists only after apply.
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

impl Values {
    pub fn set(&mut self, reference: &Reference, value: impl Into<String>) {
        self.0.insert(reference.to_string(), Value::One(value.into()));
    }

    pub fn set_many(&mut self, reference: &Reference, values: Vec<String>) {
        self.0.insert(reference.to_string(), Value::Many(values));
    }

    /// The value of a rendered placeholder (`<vpc-id>`), for tests and diagnostics.
    pub fn get_placeholder(&self, placeholder: &str) -> Option<&Value> {
        self.0.get(placeholder)
    }

    /// Sets the value of a rendered placeholder.
    pub fn set_placeholder(&mut self, placeholder: &str, value: impl Into<String>) {
        self.0.insert(placeholder.to_string(), Value::One(value.into()));
    }

    pub fn get(&self, reference: &Reference) -> Option<&Value> {
        self.0.get(&reference.to_string())
    }

    pub fn one(&self, reference: &Reference) -> Option<&str> {
        match self.get(reference) {
            Some(Value::One(value)) => Some(value),
            _ => None,
        }
    }

    pub fn extend(&mut self, other: Values) {
        self.0.extend(other.0);
    }

    /// Adds the ALB request-count label (`app/<alb>/<id>/targetgroup/<tg>/<id>`, the metric
    /// dimension a requests-per-target scaling policy names) of every target group whose ARN and
    /// whose load balancer's ARN are known.
    pub fn derive_request_count_labels(&mut self) {
        let load_balancers: Vec<(String, String)> = self.arns_of("<load-balancer-arn ");
        let target_groups: Vec<(String, String)> = self.arns_of("<target-group-arn ");
        for (load_balancer, load_balancer_arn) in &load_balancers {
            let Some((_, load_balancer_part)) = load_balancer_arn.split_once(":loadbalancer/") else { continue };
            for (target_group, target_group_arn) in &target_groups {
                let Some((_, target_group_part)) = target_group_arn.rsplit_once(':') else { continue };
                let reference = Reference::RequestCountResourceLabel {
                    load_balancer: load_balancer.clone(),
                    target_group: target_group.clone(),
                };
                self.set(&reference, format!("{load_balancer_part}/{target_group_part}"));
                self.set(&Reference::TargetGroupDimension(target_group.clone()), target_group_part);
            }
            let dimension = Reference::LoadBalancerDimension { load_balancer: load_balancer.clone() };
            self.set(&dimension, load_balancer_part);
        }
    }

    /// `(name, value)` of every single value whose placeholder starts with `prefix`.
    fn arns_of(&self, prefix: &str) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter_map(|(placeholder, value)| {
                let name = placeholder.strip_prefix(prefix)?.strip_suffix('>')?;
                match value {
                    Value::One(arn) => Some((name.to_string(), arn.clone())),
                    Value::Many(_) => None,
                }
            })
            .collect()
    }

    /// `json` with every known reference replaced by its value.
    pub fn resolve(&self, json: &serde_json::Value) -> serde_json::Value {
        match json {
            serde_json::Value::String(text) => serde_json::Value::String(self.resolve_text(text)),
            serde_json::Value::Array(items) => {
                let mut resolved = Vec::with_capacity(items.len());
                for item in items {
                    match item.as_str().and_then(|text| self.0.get(text)) {
                        Some(Value::Many(values)) => {
                            resolved.extend(values.iter().map(|value| serde_json::Value::String(value.clone())))
                        }
                        _ => resolved.push(self.resolve(item)),
                    }
                }
                serde_json::Value::Array(resolved)
            }
            serde_json::Value::Object(map) => {
                serde_json::Value::Object(map.iter().map(|(key, value)| (key.clone(), self.resolve(value))).collect())
            }
            other => other.clone(),
        }
    }

    fn resolve_text(&self, text: &str) -> String {
        if !text.contains('<') {
            return text.to_string();
        }
        let mut resolved = text.to_string();
        for (placeholder, value) in &self.0 {
            if let Value::One(value) = value
                && resolved.contains(placeholder.as_str())
            {
                resolved = resolved.replace(placeholder.as_str(), value);
            }
        }
        resolved
    }
}

/// The references still unresolved in `json` (rendered placeholders such as `<vpc-id>`).
pub fn unresolved(json: &serde_json::Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_unresolved(json, &mut found);
    found.sort();
    found.dedup();
    found
}

fn collect_unresolved(json: &serde_json::Value, found: &mut Vec<String>) {
    match json {
        serde_json::Value::String(text) => {
            let mut rest = text.as_str();
            while let Some(start) = rest.find('<') {
                let Some(length) = rest[start..].find('>') else { break };
                let candidate = &rest[start..start + length + 1];
                if is_placeholder(candidate) {
                    found.push(candidate.to_string());
                }
                rest = &rest[start + length + 1..];
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_unresolved(item, found)),
        serde_json::Value::Object(map) => map.values().for_each(|value| collect_unresolved(value, found)),
        _ => {}
    }
}

/// The kinds of placeholder a [`Reference`] renders as (`<kind>` or `<kind name>`); other text in
/// angle brackets (an environment variable's value, say) is left alone.
const PLACEHOLDER_KINDS: &[&str] = &[
    "account-id",
    "certificate-arn",
    "hosted-zone-id",
    "https-listener-arn",
    "image",
    "load-balancer-arn",
    "load-balancer-dimension",
    "load-balancer-dns-name",
    "load-balancer-zone-id",
    "private-subnet-ids",
    "public-subnet-ids",
    "request-count-label",
    "secret-arn",
    "secret-version-id",
    "secret-versions",
    "security-group-id",
    "target-group-arn",
    "target-group-dimension",
    "task-definition-arn",
    "vpc-id",
];

fn is_placeholder(text: &str) -> bool {
    let inner = &text[1..text.len() - 1];
    let kind = inner.split(' ').next().unwrap_or_default();
    PLACEHOLDER_KINDS.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_strings_templates_and_lists() {
        let mut values = Values::default();
        values.set(&Reference::Vpc, "vpc-1");
        values.set(&Reference::SecretArn("stage/auth/db".into()), "arn:secret:stage/auth/db-AbCdEf");
        values.set_many(&Reference::PrivateSubnets, vec!["subnet-a".into(), "subnet-b".into()]);
        let desired = json!({
            "vpc": "<vpc-id>",
            "valueFrom": "<secret-arn stage/auth/db>:password::",
            "subnets": ["<private-subnet-ids>"],
            "group": "<security-group-id acme-services>",
        });
        let resolved = values.resolve(&desired);
        assert_eq!(
            resolved,
            json!({
                "vpc": "vpc-1",
                "valueFrom": "arn:secret:stage/auth/db-AbCdEf:password::",
                "subnets": ["subnet-a", "subnet-b"],
                "group": "<security-group-id acme-services>",
            })
        );
        assert_eq!(unresolved(&resolved), ["<security-group-id acme-services>"]);
        assert!(unresolved(&json!({"html": "<b>", "cmp": "a < b > c", "text": "<vpc-ids>"})).is_empty());
    }

    #[test]
    fn request_count_labels_from_arns() {
        let mut values = Values::default();
        values.set(
            &Reference::LoadBalancerArn { load_balancer: "acme".into() },
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/acme/50dc6c495c0c9188",
        );
        values.set(
            &Reference::TargetGroupArn("acme-stage-auth".into()),
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/acme-stage-auth/6d0ecf831eec9f09",
        );
        values.derive_request_count_labels();
        let label = Reference::RequestCountResourceLabel {
            load_balancer: "acme".into(),
            target_group: "acme-stage-auth".into(),
        };
        assert_eq!(values.one(&label), Some("app/acme/50dc6c495c0c9188/targetgroup/acme-stage-auth/6d0ecf831eec9f09"));
    }
}
