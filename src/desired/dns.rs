//! The environment's DNS name: a Route53 alias record to the shared ALB, shaped as
//! `ChangeResourceRecordSets` receives it.

use super::reference::Reference;
use serde::{Deserialize, Serialize};

/// `ChangeResourceRecordSets` with one UPSERT of an alias record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DnsChange {
    /// Looked up by the zone's name, or `[project.dns].zone_id`.
    pub hosted_zone_id: Reference,
    pub change_batch: ChangeBatch,
    /// The text of the TXT record written beside the alias (external-dns's "registry" idea):
    /// Route53 records cannot be tagged, and an alias alone stops proving ownership once the
    /// load balancer it points to is gone; the marker keeps proving it, so ecsdeploy repairs its
    /// own record instead of calling it someone else's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership_marker: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeBatch {
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Change {
    pub action: String,
    pub resource_record_set: ResourceRecordSet,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceRecordSet {
    /// Fully qualified, with the trailing dot Route53 returns.
    pub name: String,
    #[serde(rename = "Type")]
    pub record_type: String,
    pub alias_target: AliasTarget,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasTarget {
    pub hosted_zone_id: Reference,
    #[serde(rename = "DNSName")]
    pub dns_name: Reference,
    pub evaluate_target_health: bool,
}

impl DnsChange {
    /// The record's name (`stage.api.acme.example.`).
    pub fn record_name(&self) -> &str {
        self.change_batch.changes.first().map_or("", |change| change.resource_record_set.name.as_str())
    }
}

/// The ownership marker of `project`'s record for `environment`.
pub fn ownership_marker(project: &str, environment: &str) -> String {
    format!("heritage=ecsdeploy,ecsdeploy/project={project},ecsdeploy/environment={environment}")
}

/// An `A` alias (the ALB is IPv4) from `domain` to the shared ALB, in the hosted zone `zone`,
/// with `project`'s ownership marker for `environment`.
pub fn alias_record(zone: &str, domain: &str, load_balancer: &str, project: &str, environment: &str) -> DnsChange {
    DnsChange {
        ownership_marker: Some(ownership_marker(project, environment)),
        hosted_zone_id: Reference::HostedZoneId { zone: zone.trim_end_matches('.').to_string() },
        change_batch: ChangeBatch {
            changes: vec![Change {
                action: "UPSERT".into(),
                resource_record_set: ResourceRecordSet {
                    name: format!("{}.", domain.trim_end_matches('.')),
                    record_type: "A".into(),
                    alias_target: AliasTarget {
                        hosted_zone_id: Reference::LoadBalancerZoneId { load_balancer: load_balancer.to_string() },
                        dns_name: Reference::LoadBalancerDnsName { load_balancer: load_balancer.to_string() },
                        evaluate_target_health: true,
                    },
                },
            }],
        },
    }
}
