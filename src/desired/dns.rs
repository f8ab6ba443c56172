//! The environment's DNS name: a Route53 alias record to the shared ALB, shaped as one change of
//! `ChangeResourceRecordSets`.

use super::reference::Reference;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DnsRecord {
    /// The hosted zone's name (its ID is looked up, or taken from `[project.dns].zone_id`).
    pub hosted_zone: String,
    /// Fully qualified, with the trailing dot Route53 returns.
    pub name: String,
    #[serde(rename = "Type")]
    pub record_type: String,
    pub alias_target: AliasTarget,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasTarget {
    pub hosted_zone_id: Reference,
    #[serde(rename = "DNSName")]
    pub dns_name: Reference,
    pub evaluate_target_health: bool,
}

/// An `A` alias (the ALB is IPv4) from `domain` to the shared ALB.
pub fn alias_record(zone: &str, domain: &str, load_balancer: &str) -> DnsRecord {
    DnsRecord {
        hosted_zone: zone.trim_end_matches('.').to_string(),
        name: format!("{}.", domain.trim_end_matches('.')),
        record_type: "A".into(),
        alias_target: AliasTarget {
            hosted_zone_id: Reference::LoadBalancerZoneId { load_balancer: load_balancer.to_string() },
            dns_name: Reference::LoadBalancerDnsName { load_balancer: load_balancer.to_string() },
            evaluate_target_health: true,
        },
    }
}
