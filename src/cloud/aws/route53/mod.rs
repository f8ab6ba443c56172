//! Route53: the hosted zone, and each environment's alias record to the shared ALB.
//!
//! Records cannot be tagged, so ownership comes from what a record is: an `A` alias to this
//! project's ALB is ecsdeploy's, and so is a plain `A` alias beside a TXT record carrying this
//! project's and environment's ownership marker (written in the same atomic batch), which keeps
//! proving ownership after the ALB it pointed to is gone; anything else of that name (another
//! target without the marker, a CNAME, a weighted set) is foreign and never overwritten. Route53
//! spells names its own way (lower case, a trailing dot, `\052` for `*`, and alias targets to an
//! ALB often prefixed `dualstack.`); both sides are compared after normalising, in [`convert`].

mod convert;

use super::AwsCloud;
use super::common::{Partial, unsent};
use super::gone::GoneIsFine;
use crate::actual::scope::ReadScope;
use crate::cloud::error::has_code;
use crate::cloud::{CloudError, CloudErrorKind};
use crate::desired::Reference;
use crate::desired::dns::DnsChange;
use crate::plan::address::Address;
use crate::plan::values::Values;
use aws_sdk_route53::error::ProvideErrorMetadata;
use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, HostedZone, ResourceRecordSet, RrType};
use convert::{
    bare_zone_id, change_batch, comparable, marker_named, record_json, record_named, record_owner, record_set_json,
    same_name, unquoted,
};
use serde_json::{Value, json};

const NO_SUCH_ZONE: &[&str] = &["NoSuchHostedZone"];
const CHANGE_RECORDS: &str = "route53:ChangeResourceRecordSets";

/// The hosted zone found by name, or why none is used.
enum ZoneLookup {
    Found(String),
    Missing(String),
}

/// Where a listing of record sets starts: name, type, set identifier.
type RecordCursor = (Option<String>, Option<RrType>, Option<String>);

/// The environment's hosted zone and its record sets, as read: judged once the ALB's DNS name
/// is known ([`DnsRead::partial`]), so that the zone is read beside the load balancer, not
/// after it.
pub(super) enum DnsRead {
    /// Nothing to judge: no records to manage, or the zone is missing (said in the partial).
    Done(Partial),
    Records {
        zone: String,
        zone_id: String,
        records: Vec<ResourceRecordSet>,
    },
}

impl DnsRead {
    /// The zone's ID and the environment's records, owned when they alias
    /// `load_balancer_dns_name` (the ALB's DNS name as DescribeLoadBalancers returns it).
    pub(super) fn partial(self, scope: &ReadScope, load_balancer_dns_name: Option<&str>) -> Partial {
        let (zone, zone_id, records) = match self {
            DnsRead::Done(partial) => return partial,
            DnsRead::Records { zone, zone_id, records } => (zone, zone_id, records),
        };
        let mut partial = Partial::default();
        partial.values.set(&Reference::HostedZoneId { zone }, &zone_id);
        let own_marker = crate::desired::dns::ownership_marker(&scope.project, &scope.environment);
        for name in &scope.dns_records {
            if let Some(record) = record_named(&records, name) {
                let marker = marker_named(&records, name);
                let mut json = record_json(&zone_id, name, record, load_balancer_dns_name);
                if let Some(marker) = &marker {
                    json["OwnershipMarker"] = marker.as_str().into();
                }
                let owner =
                    record_owner(record, load_balancer_dns_name, marker.as_deref() == Some(own_marker.as_str()));
                partial.resource(Address::DnsRecord(name.clone()), name, json, owner);
            }
        }
        partial
    }
}

impl AwsCloud {
    /// The hosted zone (found by name unless its ID is given) and its record sets.
    pub(super) async fn read_dns(&self, scope: &ReadScope) -> Result<DnsRead, CloudError> {
        let mut partial = Partial::default();
        // Without records to manage, the zone is not needed (and need not exist).
        let Some((zone, given_id)) = scope.hosted_zone.as_ref().filter(|_| !scope.dns_records.is_empty()) else {
            return Ok(DnsRead::Done(partial));
        };
        let zone_id = match given_id {
            Some(id) => bare_zone_id(id).to_string(),
            None => match self.find_hosted_zone(zone).await? {
                ZoneLookup::Found(id) => id,
                ZoneLookup::Missing(hint) => {
                    partial.missing(format!("hosted zone {zone}"), hint);
                    return Ok(DnsRead::Done(partial));
                }
            },
        };
        let Some(records) = self.record_sets(&zone_id, (None, None, None), None).await? else {
            let hint = "Route53 has no hosted zone with this ID for these credentials: check [project.dns] zone_id \
                        in services.toml, or remove it to find the zone by name";
            partial.missing(format!("hosted zone {zone_id}"), hint);
            return Ok(DnsRead::Done(partial));
        };
        Ok(DnsRead::Records { zone: zone.clone(), zone_id, records })
    }

    /// Creates or replaces the alias record (ChangeResourceRecordSets applies a batch atomically).
    pub(super) async fn upsert_dns_record(&self, change: &DnsChange) -> Result<Values, CloudError> {
        let resource = format!("DNS record {}", change.record_name());
        let batch = change_batch(change).map_err(|error| unsent(CHANGE_RECORDS, &resource, &error))?;
        self.route53
            .change_resource_record_sets()
            .hosted_zone_id(bare_zone_id(&change.hosted_zone_id.to_string()))
            .change_batch(batch)
            .send()
            .await
            .map_err(|error| self.error(CHANGE_RECORDS, &resource, &error))?;
        Ok(Values::default())
    }

    /// Deletes the record `before` describes, and its ownership marker. Route53 deletes only a
    /// record given with all its current values, and `before` holds them normalised, so the
    /// record is read again, checked to be the one `before` describes, and deleted exactly as
    /// Route53 holds it, in one batch with the marker. A record that is already gone is done.
    pub(super) async fn delete_dns_record(&self, before: &DnsChange) -> Result<(), CloudError> {
        let Some(set) = before.change_batch.changes.first().map(|change| &change.resource_record_set) else {
            return Err(refused("DNS record", "the record to delete names no record set"));
        };
        let resource = format!("DNS record {}", set.name);
        let record = &serde_json::to_value(set).map_err(|error| unsent(CHANGE_RECORDS, &resource, error))?;
        let zone_id = match &before.hosted_zone_id {
            Reference::Known(zone_id) => bare_zone_id(zone_id),
            _ => return Err(refused(&resource, "the record to delete names no hosted zone")),
        };
        let Some(current) = self.current_record(zone_id, record).await? else { return Ok(()) };
        let name = record["Name"].as_str().unwrap_or_default();
        if comparable(&record_set_json(name, &current, None)) != comparable(record) {
            return Err(refused(&resource, "the record changed after it was read; plan again"));
        }
        let marker = match before.ownership_marker.as_deref() {
            Some(text) => {
                let query = json!({"Name": name, "Type": "TXT"});
                self.current_record(zone_id, &query)
                    .await?
                    .filter(|txt| txt.resource_records().iter().any(|value| unquoted(value.value()) == text))
            }
            None => None,
        };
        let delete =
            |set: ResourceRecordSet| Change::builder().action(ChangeAction::Delete).resource_record_set(set).build();
        let batch = delete(current)
            .and_then(|change| {
                let mut changes = vec![change];
                if let Some(marker) = marker {
                    changes.push(delete(marker)?);
                }
                ChangeBatch::builder().set_changes(Some(changes)).build()
            })
            .map_err(|error| unsent(CHANGE_RECORDS, &resource, &error))?;
        match self.route53.change_resource_record_sets().hosted_zone_id(zone_id).change_batch(batch).send().await {
            Ok(_) => Ok(()),
            // Deleted by someone else between the read and the delete.
            Err(error)
                if has_code(&error, &["InvalidChangeBatch"])
                    && error.message().is_some_and(|message| message.contains("not found")) =>
            {
                Ok(())
            }
            Err(error) => Err(self.error(CHANGE_RECORDS, &resource, &error)),
        }
    }

    /// The record set Route53 holds now with the name, type and set identifier of `record` (a
    /// record set in [`DnsChange`]'s spelling).
    async fn current_record(&self, zone_id: &str, record: &Value) -> Result<Option<ResourceRecordSet>, CloudError> {
        let (Some(name), Some(record_type)) = (record["Name"].as_str(), record["Type"].as_str()) else {
            return Ok(None);
        };
        let cursor = (Some(name.to_string()), Some(RrType::from(record_type)), None);
        let Some(records) = self.record_sets(zone_id, cursor, Some(name)).await? else { return Ok(None) };
        let set_identifier = record["SetIdentifier"].as_str();
        Ok(records.into_iter().find(|candidate| {
            same_name(candidate.name(), name)
                && candidate.r#type().as_str() == record_type
                && candidate.set_identifier() == set_identifier
        }))
    }

    /// The public hosted zone named `zone` (a private zone of that name would not answer the
    /// internet-facing ALB's clients).
    async fn find_hosted_zone(&self, zone: &str) -> Result<ZoneLookup, CloudError> {
        let zones = self.hosted_zones_named(zone).await?;
        let public: Vec<&HostedZone> =
            zones.iter().filter(|hosted| !hosted.config().is_some_and(|config| config.private_zone())).collect();
        Ok(match public.as_slice() {
            [only] => ZoneLookup::Found(bare_zone_id(only.id()).to_string()),
            [] if zones.is_empty() => ZoneLookup::Missing(format!(
                "Route53 has no hosted zone named {zone} for these credentials: create it \
                 (aws route53 create-hosted-zone --name {zone} --caller-reference <unique>) or fix [project.dns] zone in services.toml"
            )),
            [] => ZoneLookup::Missing(format!(
                "only private hosted zones are named {zone}, and the ALB is internet-facing: create a public zone, \
                 or set [project.dns] zone_id in services.toml to use one of them"
            )),
            several => ZoneLookup::Missing(format!(
                "{} public hosted zones are named {zone} ({}): set [project.dns] zone_id in services.toml to the one to use",
                several.len(),
                several.iter().map(|hosted| bare_zone_id(hosted.id())).collect::<Vec<_>>().join(", ")
            )),
        })
    }

    /// Every hosted zone named exactly `zone` (the listing starts at that name, in name order).
    async fn hosted_zones_named(&self, zone: &str) -> Result<Vec<HostedZone>, CloudError> {
        let mut zones = Vec::new();
        let mut cursor: (Option<String>, Option<String>) = (Some(zone.to_string()), None);
        loop {
            let output = self
                .route53
                .list_hosted_zones_by_name()
                .set_dns_name(cursor.0.take())
                .set_hosted_zone_id(cursor.1.take())
                .send()
                .await
                .map_err(|error| self.error("route53:ListHostedZonesByName", format!("hosted zone {zone}"), &error))?;
            zones.extend(output.hosted_zones().iter().filter(|hosted| same_name(hosted.name(), zone)).cloned());
            let has_more_named = output.next_dns_name().is_some_and(|next| same_name(next, zone));
            if !output.is_truncated() || !has_more_named {
                return Ok(zones);
            }
            cursor = (output.next_dns_name().map(str::to_string), output.next_hosted_zone_id().map(str::to_string));
        }
    }

    /// The zone's record sets from `cursor` on (all of them from the start), paginated; with
    /// `only_name`, the listing stops once past that name. `None` when the zone does not exist.
    async fn record_sets(
        &self,
        zone_id: &str,
        mut cursor: RecordCursor,
        only_name: Option<&str>,
    ) -> Result<Option<Vec<ResourceRecordSet>>, CloudError> {
        let mut records = Vec::new();
        loop {
            let listed = self
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .set_start_record_name(cursor.0.take())
                .set_start_record_type(cursor.1.take())
                .set_start_record_identifier(cursor.2.take())
                .send()
                .await;
            let listed = listed.map_err(|error| {
                self.error("route53:ListResourceRecordSets", format!("hosted zone {zone_id}"), &error)
            });
            let Some(output) = listed.gone_is_fine(NO_SUCH_ZONE)? else { return Ok(None) };
            let is_past_name = only_name
                .is_some_and(|only| output.resource_record_sets().iter().any(|record| !same_name(record.name(), only)));
            records.extend(output.resource_record_sets().iter().cloned());
            if !output.is_truncated() || is_past_name {
                return Ok(Some(records));
            }
            cursor = (
                output.next_record_name().map(str::to_string),
                output.next_record_type().cloned(),
                output.next_record_identifier().map(str::to_string),
            );
        }
    }
}

/// A change ecsdeploy refuses to send.
fn refused(resource: &str, message: &str) -> CloudError {
    CloudError::new(
        CHANGE_RECORDS,
        resource,
        CloudErrorKind::Service { code: "refused".into(), message: message.into() },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actual::Owner;
    use crate::cloud::aws::test_support::test_cloud;
    use crate::desired::{Context, build};
    use crate::plan::resources::json_of;
    use aws_sdk_route53::types::{AliasTarget, ResourceRecord};
    use std::path::Path;

    /// The zone read and judged against `dns_name`, as the environment's read does.
    async fn read_dns(cloud: &AwsCloud, scope: &ReadScope, dns_name: Option<&str>) -> Result<Partial, CloudError> {
        Ok(cloud.read_dns(scope).await?.partial(scope, dns_name))
    }

    const LOAD_BALANCER_ZONE: &str = "Z35SXDOTRQ7X7K";
    const LOAD_BALANCER_DNS_NAME: &str = "acme-1234567890.us-east-1.elb.amazonaws.com";

    /// The environment's scope and its DNS record resolved as plan would (zone from `values`,
    /// ALB from the constants above).
    fn desired(environment: &str, account_id: &str, values: &Values) -> (ReadScope, DnsChange) {
        let manifest = crate::checked::load(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("manifest").manifest;
        let environment = manifest.environment(environment).expect("environment").clone();
        let desired = build(&manifest, &environment, &Context::new("us-east-1", Some(account_id.to_string())));
        let scope = ReadScope::new(&manifest, &environment, &desired);
        let mut values = values.clone();
        values.set(&Reference::LoadBalancerZoneId { load_balancer: "acme".into() }, LOAD_BALANCER_ZONE);
        values.set(&Reference::LoadBalancerDnsName { load_balancer: "acme".into() }, LOAD_BALANCER_DNS_NAME);
        let resolved = values.resolve(&json_of(&desired.dns_records[0]));
        (scope, serde_json::from_value(resolved).expect("resolved DNS change"))
    }

    fn record<'a>(partial: &'a Partial, name: &str) -> Option<&'a crate::actual::ActualResource> {
        let address = Address::DnsRecord(name.to_string());
        partial.resources.iter().find(|(found, _)| *found == address).map(|(_, resource)| resource)
    }

    async fn put_record(cloud: &AwsCloud, zone_id: &str, record: ResourceRecordSet) {
        let change =
            Change::builder().action(ChangeAction::Upsert).resource_record_set(record).build().expect("change");
        let batch = ChangeBatch::builder().changes(change).build().expect("batch");
        cloud
            .route53
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch)
            .send()
            .await
            .expect("put");
    }

    fn alias(name: &str, dns_name: &str) -> ResourceRecordSet {
        let target = AliasTarget::builder()
            .hosted_zone_id(LOAD_BALANCER_ZONE)
            .dns_name(dns_name)
            .evaluate_target_health(true)
            .build()
            .expect("alias");
        ResourceRecordSet::builder().name(name).r#type(RrType::A).alias_target(target).build().expect("record")
    }

    /// The world's zone ID, read the way plan reads it.
    async fn zone_values(cloud: &AwsCloud, account_id: &str) -> (Values, String) {
        let (scope, _) = desired("stage", account_id, &Values::default());
        let read = read_dns(cloud, &scope, None).await.expect("read zone");
        assert!(read.missing.is_empty(), "{:?}", read.missing);
        let zone_id =
            read.values.one(&Reference::HostedZoneId { zone: "acme.example".into() }).expect("zone").to_string();
        assert!(!zone_id.starts_with('/'));
        (read.values, zone_id)
    }

    #[tokio::test]
    async fn alias_record_round_trip_and_delete() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let (values, _) = zone_values(cloud, &test.account_id).await;
        let (scope, change) = desired("stage", &test.account_id, &values);
        let name = "stage.api.acme.example.";
        assert_eq!(scope.dns_records, [name]);

        cloud.upsert_dns_record(&change).await.expect("upsert");
        let read = read_dns(cloud, &scope, Some(LOAD_BALANCER_DNS_NAME)).await.expect("read");
        let actual = record(&read, name).expect("record read back");
        assert_eq!(actual.json, serde_json::to_value(&change).expect("json"));
        assert_eq!(actual.id, name);
        assert_eq!(actual.owner, Owner::This);

        // The ownership marker keeps the record ours when the ALB it points to is gone (or
        // another one took its place): ecsdeploy repairs it instead of calling it foreign.
        let elsewhere = read_dns(cloud, &scope, Some("other-99.us-east-1.elb.amazonaws.com")).await.expect("read");
        assert_eq!(record(&elsewhere, name).expect("record").owner, Owner::This);
        let before_any_load_balancer = read_dns(cloud, &scope, None).await.expect("read");
        assert_eq!(record(&before_any_load_balancer, name).expect("record").owner, Owner::This);
        // Another environment's marker proves nothing for this one.
        let (test_scope, _) = desired("test", &test.account_id, &values);
        let mut as_test = test_scope.clone();
        as_test.dns_records = vec![name.to_string()];
        let other = read_dns(cloud, &as_test, Some("other-99.us-east-1.elb.amazonaws.com")).await.expect("read");
        assert_eq!(record(&other, name).expect("record").owner, Owner::Foreign);

        cloud.delete_dns_record(&serde_json::from_value(actual.json.clone()).expect("a record")).await.expect("delete");
        let gone = read_dns(cloud, &scope, Some(LOAD_BALANCER_DNS_NAME)).await.expect("read");
        assert!(record(&gone, name).is_none());
        let zone_id = actual.json["HostedZoneId"].as_str().expect("zone");
        let left = cloud.record_sets(zone_id, (None, None, None), None).await.expect("list").expect("zone");
        assert!(marker_named(&left, name).is_none(), "the marker went with the record");
        cloud
            .delete_dns_record(&serde_json::from_value(actual.json.clone()).expect("a record"))
            .await
            .expect("deleting a deleted record is done");
    }

    /// An alias written by the console or another tool: `dualstack.`, a trailing dot, upper case.
    /// (The record's own name is written in lower case: Route53 stores names so, moto 5.2.5 keeps
    /// the case given and then misses the record when a listing starts at the lower-case name.)
    #[tokio::test]
    async fn alias_spellings_read_as_the_desired_state_writes_them() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let (values, zone_id) = zone_values(cloud, &test.account_id).await;
        let (scope, change) = desired("stage", &test.account_id, &values);
        let console_spelling = format!("dualstack.{}.", LOAD_BALANCER_DNS_NAME.to_uppercase());
        put_record(cloud, &zone_id, alias("stage.api.acme.example", &console_spelling)).await;

        let read = read_dns(cloud, &scope, Some(LOAD_BALANCER_DNS_NAME)).await.expect("read");
        let actual = record(&read, "stage.api.acme.example.").expect("record");
        assert_eq!(actual.owner, Owner::This);
        // Equal but for the ownership marker, which the next `up` adds (a visible plan).
        let mut expected = serde_json::to_value(&change).expect("json");
        expected.as_object_mut().expect("object").remove("OwnershipMarker");
        assert_eq!(actual.json, expected);

        cloud
            .delete_dns_record(&serde_json::from_value(actual.json.clone()).expect("a record"))
            .await
            .expect("delete the record as Route53 holds it");
        let gone = read_dns(cloud, &scope, Some(LOAD_BALANCER_DNS_NAME)).await.expect("read");
        assert!(record(&gone, "stage.api.acme.example.").is_none());
    }

    #[tokio::test]
    async fn a_cname_or_another_target_is_foreign() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let (values, zone_id) = zone_values(cloud, &test.account_id).await;
        let (test_scope, _) = desired("test", &test.account_id, &values);
        let value = ResourceRecord::builder().value("elsewhere.example").build().expect("value");
        let cname = ResourceRecordSet::builder()
            .name("test.api.acme.example")
            .r#type(RrType::Cname)
            .ttl(300)
            .resource_records(value)
            .build()
            .expect("cname");
        put_record(cloud, &zone_id, cname).await;
        let text = ResourceRecord::builder().value("\"v=spf1 -all\"").build().expect("value");
        let txt = ResourceRecordSet::builder()
            .name("api.acme.example")
            .r#type(RrType::Txt)
            .ttl(60)
            .resource_records(text)
            .build();
        put_record(cloud, &zone_id, txt.expect("txt")).await;

        let read = read_dns(cloud, &test_scope, Some(LOAD_BALANCER_DNS_NAME)).await.expect("read");
        let actual = record(&read, "test.api.acme.example.").expect("the CNAME");
        assert_eq!(actual.owner, Owner::Foreign);
        let expected = json!({"Name": "test.api.acme.example.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": "elsewhere.example"}]});
        assert_eq!(actual.json["ChangeBatch"]["Changes"][0]["ResourceRecordSet"], expected);

        let (prod_scope, _) = desired("prod", &test.account_id, &values);
        let read = read_dns(cloud, &prod_scope, Some(LOAD_BALANCER_DNS_NAME)).await.expect("read");
        assert!(record(&read, "api.acme.example.").is_none(), "a TXT record does not stand in the way of an A record");

        put_record(cloud, &zone_id, alias("api.acme.example.", "someone-else.us-east-1.elb.amazonaws.com")).await;
        let read = read_dns(cloud, &prod_scope, Some(LOAD_BALANCER_DNS_NAME)).await.expect("read");
        let other = record(&read, "api.acme.example.").expect("the other alias");
        assert_eq!(other.owner, Owner::Foreign);
        let dns_name = &other.json["ChangeBatch"]["Changes"][0]["ResourceRecordSet"]["AliasTarget"]["DNSName"];
        assert_eq!(dns_name, "someone-else.us-east-1.elb.amazonaws.com");
    }

    #[tokio::test]
    async fn delete_refuses_a_record_that_changed_since_it_was_read() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let (values, zone_id) = zone_values(cloud, &test.account_id).await;
        let (scope, change) = desired("stage", &test.account_id, &values);
        cloud.upsert_dns_record(&change).await.expect("upsert");
        let before = change.clone();
        put_record(cloud, &zone_id, alias("stage.api.acme.example.", "repointed.us-east-1.elb.amazonaws.com")).await;

        let error = cloud.delete_dns_record(&before).await.expect_err("refused");
        assert!(error.to_string().contains("changed after it was read"), "{error}");
        let read = read_dns(cloud, &scope, Some(LOAD_BALANCER_DNS_NAME)).await.expect("read");
        assert!(record(&read, "stage.api.acme.example.").is_some(), "the changed record is left alone");
    }

    #[tokio::test]
    async fn zones_missing_by_name_or_by_id() {
        let empty = test_cloud(false).await;
        let (scope, _) = desired("stage", &empty.account_id, &Values::default());
        let read = read_dns(&empty.cloud, &scope, None).await.expect("read");
        assert_eq!(read.missing.len(), 1);
        assert_eq!(read.missing[0].what, "hosted zone acme.example");
        assert!(read.missing[0].hint.contains("create-hosted-zone --name acme.example"));

        let test = test_cloud(true).await;
        let (_, zone_id) = zone_values(&test.cloud, &test.account_id).await;
        let (mut scope, _) = desired("stage", &test.account_id, &Values::default());
        scope.hosted_zone = Some(("acme.example".into(), Some(format!("/hostedzone/{zone_id}"))));
        let read = read_dns(&test.cloud, &scope, None).await.expect("read");
        assert_eq!(read.values.one(&Reference::HostedZoneId { zone: "acme.example".into() }), Some(zone_id.as_str()));
        scope.hosted_zone = Some(("acme.example".into(), Some("ZNOSUCHZONE".into())));
        let read = read_dns(&test.cloud, &scope, None).await.expect("read");
        assert_eq!(read.missing[0].what, "hosted zone ZNOSUCHZONE");
        assert_eq!(read.values.one(&Reference::HostedZoneId { zone: "acme.example".into() }), None);
    }
}
