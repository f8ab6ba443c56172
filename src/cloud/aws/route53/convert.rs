//! Route53 conversions, pure: record sets as ListResourceRecordSets returns them, normalised into
//! [`DnsChange`]'s spelling with their owner, and a [`DnsChange`] as ChangeResourceRecordSets
//! takes it.
//!
//! Route53 spells names its own way (lower case, a trailing dot, `\052` for `*`, and alias
//! targets to an ALB often prefixed `dualstack.`); both sides are compared after normalising.
//! Records cannot be tagged: [`record_owner`] tells ecsdeploy's alias from anything else of the
//! name by what it is and by the ownership marker beside it.

use crate::actual::Owner;
use crate::desired::dns::DnsChange;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use aws_smithy_types::error::operation::BuildError;
use serde_json::{Value, json};

/// The record set of `name` that decides what ecsdeploy may do: its `A` record, else a CNAME
/// (which excludes any other record of the name). Other types (TXT, MX, AAAA) live beside an
/// `A` record and do not matter.
pub(crate) fn record_named<'a>(records: &'a [ResourceRecordSet], name: &str) -> Option<&'a ResourceRecordSet> {
    let of_type = |record_type: RrType| {
        records.iter().find(|record| same_name(record.name(), name) && *record.r#type() == record_type)
    };
    of_type(RrType::A).or_else(|| of_type(RrType::Cname))
}

/// Ours when it is the plain `A` alias ecsdeploy writes, to this project's ALB, or to any
/// target when this environment's ownership marker stands beside it (`marked`).
pub(crate) fn record_owner(record: &ResourceRecordSet, load_balancer_dns_name: Option<&str>, marked: bool) -> Owner {
    let is_plain_alias =
        *record.r#type() == RrType::A && record.set_identifier().is_none() && record.alias_target().is_some();
    let to_our_load_balancer =
        record.alias_target().zip(load_balancer_dns_name).is_some_and(|(alias, load_balancer)| {
            normalised_dns_name(alias.dns_name()) == normalised_dns_name(load_balancer)
        });
    if is_plain_alias && (to_our_load_balancer || marked) { Owner::This } else { Owner::Foreign }
}

/// The ecsdeploy ownership marker in the TXT record of `name`, if there is one (unquoted).
pub(crate) fn marker_named(records: &[ResourceRecordSet], name: &str) -> Option<String> {
    let txt = records.iter().find(|record| same_name(record.name(), name) && *record.r#type() == RrType::Txt)?;
    txt.resource_records()
        .iter()
        .map(|value| unquoted(value.value()))
        .find(|text| text.starts_with("heritage=ecsdeploy,"))
        .map(str::to_string)
}

/// A TXT value without the quotes Route53 keeps around each string.
pub(crate) fn unquoted(value: &str) -> &str {
    value.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')).unwrap_or(value)
}

/// How long resolvers may cache the marker (it never changes while the record lives).
const MARKER_TTL: i64 = 300;

/// The record as the UPSERT [`DnsChange`] that would write it, named as the desired state names it.
pub(crate) fn record_json(
    zone_id: &str,
    name: &str,
    record: &ResourceRecordSet,
    load_balancer_dns_name: Option<&str>,
) -> Value {
    json!({
        "HostedZoneId": zone_id,
        "ChangeBatch": {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record_set_json(name, record, load_balancer_dns_name)}]},
    })
}

/// A record set in [`DnsChange`]'s spelling; fields an alias record has not (TTL, values, routing)
/// appear only when set, so a foreign record shows what it is.
pub(crate) fn record_set_json(name: &str, record: &ResourceRecordSet, load_balancer_dns_name: Option<&str>) -> Value {
    let mut set = serde_json::Map::new();
    set.insert("Name".into(), name.into());
    set.insert("Type".into(), record.r#type().as_str().into());
    if let Some(set_identifier) = record.set_identifier() {
        set.insert("SetIdentifier".into(), set_identifier.into());
    }
    if let Some(weight) = record.weight() {
        set.insert("Weight".into(), weight.into());
    }
    if let Some(ttl) = record.ttl() {
        set.insert("TTL".into(), ttl.into());
    }
    if !record.resource_records().is_empty() {
        let values: Vec<Value> =
            record.resource_records().iter().map(|value| json!({"Value": value.value()})).collect();
        set.insert("ResourceRecords".into(), values.into());
    }
    if let Some(alias) = record.alias_target() {
        let alias = json!({
            "HostedZoneId": alias.hosted_zone_id(),
            "DNSName": alias_dns_name(alias.dns_name(), load_balancer_dns_name),
            "EvaluateTargetHealth": alias.evaluate_target_health(),
        });
        set.insert("AliasTarget".into(), alias);
    }
    Value::Object(set)
}

/// An alias target's DNS name as the desired state writes it: the ALB's DNS name verbatim when
/// it is that, else normalised.
fn alias_dns_name(dns_name: &str, load_balancer_dns_name: Option<&str>) -> String {
    let normalised = normalised_dns_name(dns_name);
    match load_balancer_dns_name {
        Some(load_balancer) if normalised_dns_name(load_balancer) == normalised => load_balancer.to_string(),
        _ => normalised,
    }
}

/// A record set with its name and alias DNS name normalised, to compare two spellings of it.
pub(crate) fn comparable(record_set: &Value) -> Value {
    let mut record_set = record_set.clone();
    if let Some(name) = record_set["Name"].as_str() {
        record_set["Name"] = normalised_name(name).into();
    }
    if let Some(dns_name) = record_set["AliasTarget"]["DNSName"].as_str() {
        record_set["AliasTarget"]["DNSName"] = normalised_dns_name(dns_name).into();
    }
    record_set
}

/// An alias target's DNS name without what Route53 adds or ignores: lower case, no trailing dot,
/// no `dualstack.` prefix (the console adds it for ALBs).
fn normalised_dns_name(dns_name: &str) -> String {
    let lower = dns_name.trim_end_matches('.').to_ascii_lowercase();
    lower.strip_prefix("dualstack.").map_or(lower.clone(), str::to_string)
}

/// A domain name as DNS compares it: `\ddd` octal escapes decoded, lower case, no trailing dot.
fn normalised_name(name: &str) -> String {
    let mut decoded = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(position) = rest.find('\\') {
        decoded.push_str(&rest[..position]);
        let escape = rest.get(position + 1..position + 4);
        match escape.and_then(|digits| u8::from_str_radix(digits, 8).ok()) {
            Some(byte) => {
                decoded.push(char::from(byte));
                rest = &rest[position + 4..];
            }
            None => {
                decoded.push('\\');
                rest = &rest[position + 1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether two spellings name the same domain.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    normalised_name(a) == normalised_name(b)
}

/// The zone ID without the `/hostedzone/` prefix Route53 returns it with.
pub(crate) fn bare_zone_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

/// The SDK's change batch for a (resolved) [`DnsChange`].
pub(crate) fn change_batch(change: &DnsChange) -> Result<ChangeBatch, BuildError> {
    let mut changes = Vec::new();
    let marker = &change.ownership_marker;
    for change in &change.change_batch.changes {
        let set = &change.resource_record_set;
        let alias = AliasTarget::builder()
            .hosted_zone_id(set.alias_target.hosted_zone_id.to_string())
            .dns_name(set.alias_target.dns_name.to_string())
            .evaluate_target_health(set.alias_target.evaluate_target_health)
            .build()?;
        let record_set = ResourceRecordSet::builder()
            .name(&set.name)
            .r#type(RrType::from(set.record_type.as_str()))
            .alias_target(alias)
            .build()?;
        changes.push(
            Change::builder()
                .action(ChangeAction::from(change.action.as_str()))
                .resource_record_set(record_set)
                .build()?,
        );
        if let Some(marker) = marker {
            let txt = ResourceRecordSet::builder()
                .name(&set.name)
                .r#type(RrType::Txt)
                .ttl(MARKER_TTL)
                .resource_records(ResourceRecord::builder().value(format!("\"{marker}\"")).build()?)
                .build()?;
            changes.push(Change::builder().action(ChangeAction::Upsert).resource_record_set(txt).build()?);
        }
    }
    ChangeBatch::builder().set_changes(Some(changes)).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_as_dns_compares_them() {
        assert_eq!(normalised_name("Stage.API.acme.example."), "stage.api.acme.example");
        assert_eq!(normalised_name("\\052.api.acme.example."), "*.api.acme.example");
        assert_eq!(normalised_name("a\\.b\\0"), "a\\.b\\0");
        assert_eq!(
            normalised_dns_name("dualstack.Acme-1.us-east-1.elb.amazonaws.com."),
            "acme-1.us-east-1.elb.amazonaws.com"
        );
        assert_eq!(
            alias_dns_name("dualstack.acme-1.elb.amazonaws.com.", Some("Acme-1.elb.amazonaws.com")),
            "Acme-1.elb.amazonaws.com"
        );
        assert_eq!(
            alias_dns_name("Other.elb.amazonaws.com.", Some("acme-1.elb.amazonaws.com")),
            "other.elb.amazonaws.com"
        );
        assert_eq!(bare_zone_id("/hostedzone/Z123"), "Z123");
        assert_eq!(bare_zone_id("Z123"), "Z123");
    }

    const LOAD_BALANCER: &str = "acme-1234567890.us-east-1.elb.amazonaws.com";

    fn alias(name: &str, dns_name: &str) -> ResourceRecordSet {
        let target = AliasTarget::builder()
            .hosted_zone_id("Z35SXDOTRQ7X7K")
            .dns_name(dns_name)
            .evaluate_target_health(true)
            .build()
            .expect("alias");
        ResourceRecordSet::builder().name(name).r#type(RrType::A).alias_target(target).build().expect("record")
    }

    fn txt(name: &str, value: &str) -> ResourceRecordSet {
        let value = ResourceRecord::builder().value(value).build().expect("value");
        ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::Txt)
            .ttl(300)
            .resource_records(value)
            .build()
            .expect("txt")
    }

    fn cname(name: &str) -> ResourceRecordSet {
        let value = ResourceRecord::builder().value("elsewhere.example").build().expect("value");
        let set = ResourceRecordSet::builder().name(name).r#type(RrType::Cname).ttl(60).resource_records(value);
        set.build().expect("cname")
    }

    #[test]
    fn the_record_that_decides_is_the_a_record_else_a_cname() {
        let records = [
            txt("api.acme.example.", "\"v=spf1 -all\""),
            cname("api.acme.example."),
            alias("API.acme.example.", LOAD_BALANCER),
        ];
        let found = record_named(&records, "api.acme.example").expect("record");
        assert_eq!(*found.r#type(), RrType::A);
        assert_eq!(
            record_named(&records[..2], "api.acme.example.").map(|found| found.r#type().clone()),
            Some(RrType::Cname)
        );
        assert!(record_named(&records[..1], "api.acme.example.").is_none(), "a TXT record decides nothing");
    }

    #[test]
    fn a_plain_alias_is_ours_when_it_points_at_our_load_balancer_or_carries_our_marker() {
        let ours = alias("stage.api.acme.example.", &format!("dualstack.{}.", LOAD_BALANCER.to_uppercase()));
        assert_eq!(record_owner(&ours, Some(LOAD_BALANCER), false), Owner::This);
        assert_eq!(record_owner(&ours, Some("other.elb.amazonaws.com"), false), Owner::Foreign);
        assert_eq!(record_owner(&ours, None, true), Owner::This, "the marker proves it without the ALB");
        let mut weighted = ours.clone();
        weighted.set_identifier = Some("blue".into());
        weighted.weight = Some(10);
        assert_eq!(record_owner(&weighted, Some(LOAD_BALANCER), true), Owner::Foreign);
        assert_eq!(record_owner(&cname("stage.api.acme.example."), Some(LOAD_BALANCER), true), Owner::Foreign);
    }

    #[test]
    fn only_ecsdeploys_marker_is_read_without_its_quotes() {
        let marker = "heritage=ecsdeploy,ecsdeploy/project=acme,ecsdeploy/environment=stage";
        let mut records = vec![txt("stage.api.acme.example.", "\"v=spf1 -all\"")];
        assert_eq!(marker_named(&records, "stage.api.acme.example."), None);
        records[0]
            .resource_records
            .get_or_insert_with(Vec::new)
            .push(ResourceRecord::builder().value(format!("\"{marker}\"")).build().expect("value"));
        assert_eq!(marker_named(&records, "Stage.api.acme.example").as_deref(), Some(marker));
        assert_eq!(unquoted("\"a\""), "a");
        assert_eq!(unquoted("\"a"), "\"a");
    }

    #[test]
    fn a_record_reads_in_the_desired_spelling_with_only_the_fields_it_has() {
        let read = record_json(
            "Z123",
            "stage.api.acme.example.",
            &alias("stage.api.acme.example.", &format!("dualstack.{LOAD_BALANCER}.")),
            Some(LOAD_BALANCER),
        );
        let expected = json!({
            "HostedZoneId": "Z123",
            "ChangeBatch": {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                "Name": "stage.api.acme.example.",
                "Type": "A",
                "AliasTarget": {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": LOAD_BALANCER, "EvaluateTargetHealth": true},
            }}]},
        });
        assert_eq!(read, expected);
        let foreign = record_set_json("stage.api.acme.example.", &cname("stage.api.acme.example."), None);
        assert_eq!(
            foreign,
            json!({"Name": "stage.api.acme.example.", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "elsewhere.example"}]})
        );
    }

    #[test]
    fn two_spellings_of_a_record_compare_equal() {
        let desired = json!({"Name": "stage.api.acme.example.", "AliasTarget": {"DNSName": LOAD_BALANCER}});
        let held = json!({"Name": "Stage.API.acme.example", "AliasTarget": {"DNSName": format!("dualstack.{LOAD_BALANCER}.")}});
        assert_eq!(comparable(&desired), comparable(&held));
        let other = json!({"Name": "stage.api.acme.example.", "AliasTarget": {"DNSName": "other.elb.amazonaws.com"}});
        assert_ne!(comparable(&desired), comparable(&other));
    }

    #[test]
    fn a_change_batch_writes_the_alias_and_its_marker_together() {
        use crate::desired::Reference;
        let mut change =
            crate::desired::dns::alias_record("acme.example", "stage.api.acme.example", "acme", "acme", "stage");
        let alias = &mut change.change_batch.changes[0].resource_record_set.alias_target;
        alias.hosted_zone_id = Reference::known("Z35SXDOTRQ7X7K");
        alias.dns_name = Reference::known(LOAD_BALANCER);
        let batch = change_batch(&change).expect("batch");
        let sets: Vec<&ResourceRecordSet> =
            batch.changes().iter().filter_map(|change| change.resource_record_set()).collect();
        assert_eq!(
            batch.changes().iter().map(|change| change.action().as_str()).collect::<Vec<_>>(),
            ["UPSERT", "UPSERT"]
        );
        assert_eq!(sets[0].alias_target().map(|alias| alias.dns_name()), Some(LOAD_BALANCER));
        assert_eq!((sets[1].r#type(), sets[1].ttl()), (&RrType::Txt, Some(MARKER_TTL)));
        let marker = crate::desired::dns::ownership_marker("acme", "stage");
        assert_eq!(marker_named(&[sets[1].clone()], "stage.api.acme.example."), Some(marker));
        change.ownership_marker = None;
        assert_eq!(change_batch(&change).expect("batch").changes().len(), 1);
    }
}
