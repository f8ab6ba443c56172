//! The desired state as a list of addressed resources, each with its typed payload, and what a
//! change to each kind of resource means (fields AWS cannot change in place, fields ecsdeploy
//! leaves alone after creation).

use super::address::{Address, ServicePart};
use crate::desired::DesiredEnvironment;
use crate::desired::alarms::MetricAlarm;
use crate::desired::dns::DnsChange;
use crate::desired::ecs_service::EcsService;
use crate::desired::iam::Role;
use crate::desired::image_pin::ImagePin;
use crate::desired::load_balancing::{ListenerRule, TargetGroupSettings};
use crate::desired::logs::LogGroup;
use crate::desired::scaling::{ScalableTarget, ScalingPolicy};
use crate::desired::secret_rotation::SecretRotation;
use crate::desired::shared::{Cluster, Listener, LoadBalancer, Repository, SecurityGroup};
use crate::desired::task_definition::TaskDefinition;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A resource's desired content, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Cluster(Cluster),
    SecurityGroup(SecurityGroup),
    LoadBalancer(LoadBalancer),
    Listener(Listener),
    Repository(Repository),
    SecretRotation(SecretRotation),
    LogGroup(LogGroup),
    Role(Role),
    ImagePin(ImagePin),
    TaskDefinition(TaskDefinition),
    TargetGroup(TargetGroupSettings),
    ListenerRule(ListenerRule),
    EcsService(EcsService),
    ScalableTarget(ScalableTarget),
    ScalingPolicy(ScalingPolicy),
    DnsRecord(DnsChange),
    Alarm(MetricAlarm),
}

/// One resource of the desired state.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredResource {
    pub address: Address,
    pub payload: Payload,
}

impl Payload {
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            Payload::Cluster(payload) => serde_json::to_value(payload),
            Payload::SecurityGroup(payload) => serde_json::to_value(payload),
            Payload::LoadBalancer(payload) => serde_json::to_value(payload),
            Payload::Listener(payload) => serde_json::to_value(payload),
            Payload::Repository(payload) => serde_json::to_value(payload),
            Payload::SecretRotation(payload) => serde_json::to_value(payload),
            Payload::LogGroup(payload) => serde_json::to_value(payload),
            Payload::Role(payload) => serde_json::to_value(payload),
            Payload::ImagePin(payload) => serde_json::to_value(payload),
            Payload::TaskDefinition(payload) => serde_json::to_value(payload),
            Payload::TargetGroup(payload) => serde_json::to_value(payload),
            Payload::ListenerRule(payload) => serde_json::to_value(payload),
            Payload::EcsService(payload) => serde_json::to_value(payload),
            Payload::ScalableTarget(payload) => serde_json::to_value(payload),
            Payload::ScalingPolicy(payload) => serde_json::to_value(payload),
            Payload::DnsRecord(payload) => serde_json::to_value(payload),
            Payload::Alarm(payload) => serde_json::to_value(payload),
        };
        value.unwrap_or(serde_json::Value::Null)
    }

    /// The payload of the kind an `address` holds, from a resource's JSON as read (normalised
    /// into the desired shape): the typed before-state of a change.
    pub fn at_address(address: &Address, json: serde_json::Value) -> Result<Payload, serde_json::Error> {
        fn typed<T: DeserializeOwned>(json: serde_json::Value) -> Result<T, serde_json::Error> {
            serde_json::from_value(json)
        }
        Ok(match address {
            Address::Cluster => Payload::Cluster(typed(json)?),
            Address::SecurityGroup { .. } | Address::EnvironmentSecurityGroup(_) => {
                Payload::SecurityGroup(typed(json)?)
            }
            Address::LoadBalancer => Payload::LoadBalancer(typed(json)?),
            Address::Listener(_) => Payload::Listener(typed(json)?),
            Address::Repository(_) => Payload::Repository(typed(json)?),
            Address::SecretRotation(_) => Payload::SecretRotation(typed(json)?),
            Address::DnsRecord(_) => Payload::DnsRecord(typed(json)?),
            Address::Service { part, .. } => match part {
                ServicePart::PinnedImage => Payload::ImagePin(typed(json)?),
                ServicePart::LogGroup => Payload::LogGroup(typed(json)?),
                ServicePart::ExecutionRole | ServicePart::TaskRole => Payload::Role(typed(json)?),
                ServicePart::TaskDefinition => Payload::TaskDefinition(typed(json)?),
                ServicePart::TargetGroup => Payload::TargetGroup(typed(json)?),
                ServicePart::ListenerRule => Payload::ListenerRule(typed(json)?),
                ServicePart::EcsService => Payload::EcsService(typed(json)?),
                ServicePart::ScalableTarget => Payload::ScalableTarget(typed(json)?),
                ServicePart::ScalingPolicy => Payload::ScalingPolicy(typed(json)?),
                ServicePart::Alarm => Payload::Alarm(typed(json)?),
            },
        })
    }

    /// A payload of the same kind read from (resolved) JSON.
    pub fn same_kind_from_json(&self, json: serde_json::Value) -> Result<Payload, serde_json::Error> {
        fn typed<T: DeserializeOwned>(json: serde_json::Value) -> Result<T, serde_json::Error> {
            serde_json::from_value(json)
        }
        Ok(match self {
            Payload::Cluster(_) => Payload::Cluster(typed(json)?),
            Payload::SecurityGroup(_) => Payload::SecurityGroup(typed(json)?),
            Payload::LoadBalancer(_) => Payload::LoadBalancer(typed(json)?),
            Payload::Listener(_) => Payload::Listener(typed(json)?),
            Payload::Repository(_) => Payload::Repository(typed(json)?),
            Payload::SecretRotation(_) => Payload::SecretRotation(typed(json)?),
            Payload::LogGroup(_) => Payload::LogGroup(typed(json)?),
            Payload::Role(_) => Payload::Role(typed(json)?),
            Payload::ImagePin(_) => Payload::ImagePin(typed(json)?),
            Payload::TaskDefinition(_) => Payload::TaskDefinition(typed(json)?),
            Payload::TargetGroup(_) => Payload::TargetGroup(typed(json)?),
            Payload::ListenerRule(_) => Payload::ListenerRule(typed(json)?),
            Payload::EcsService(_) => Payload::EcsService(typed(json)?),
            Payload::ScalableTarget(_) => Payload::ScalableTarget(typed(json)?),
            Payload::ScalingPolicy(_) => Payload::ScalingPolicy(typed(json)?),
            Payload::DnsRecord(_) => Payload::DnsRecord(typed(json)?),
            Payload::Alarm(_) => Payload::Alarm(typed(json)?),
        })
    }
}

/// How a kind of resource changes.
pub struct ChangeRules {
    /// Top-level fields compared only at creation: after that AWS or another owner manages them.
    pub ignored: &'static [&'static str],
    /// Top-level fields AWS cannot change in place: a difference means replacement.
    pub immutable: &'static [&'static str],
}

pub fn change_rules(payload: &Payload) -> ChangeRules {
    let (ignored, immutable): (&'static [&'static str], &'static [&'static str]) = match payload {
        Payload::Cluster(_) => (&[], &["clusterName"]),
        Payload::SecurityGroup(_) => (&[], &["GroupName", "Description", "VpcId"]),
        Payload::LoadBalancer(_) => (&[], &["Name", "Scheme", "Type"]),
        Payload::Listener(_) => (&[], &["LoadBalancerArn", "Port"]),
        Payload::Repository(_) => (&[], &["repositoryName"]),
        // RotateSecret changes every field in place.
        Payload::SecretRotation(_) => (&[], &[]),
        Payload::LogGroup(_) => (&[], &["logGroupName"]),
        Payload::Role(_) => (&[], &[]),
        // A pin's tag follows from its digest: the reader reports a pin only where the desired
        // digest carries it, so it is created or left alone, never changed.
        Payload::ImagePin(_) => (&[], &[]),
        // A task definition revision never changes: any difference registers a new revision.
        Payload::TaskDefinition(_) => (&[], &[]),
        // ECS registers each task with its container port; the group's own port is only a
        // default that nothing here uses, and AWS cannot change it.
        Payload::TargetGroup(_) => (&["Port"], &["Name", "Protocol", "ProtocolVersion", "VpcId", "TargetType"]),
        Payload::ListenerRule(_) => (&[], &["ListenerArn"]),
        // Once autoscaling owns the count, a deploy must not reset it.
        Payload::EcsService(_) => (&["desiredCount"], &["cluster", "serviceName", "deploymentController"]),
        // Application Auto Scaling tags are set at registration and cannot be read back
        // reliably (the emulator answers ListTagsForResource with HTTP 500): not compared.
        Payload::ScalableTarget(_) => (&["Tags"], &[]),
        Payload::ScalingPolicy(_) => (&[], &[]),
        Payload::DnsRecord(_) => (&[], &[]),
        Payload::Alarm(_) => (&[], &[]),
    };
    ChangeRules { ignored, immutable }
}

/// Every resource of `desired`, in dependency order; the shared ones only with `include_shared`.
pub fn desired_resources(desired: &DesiredEnvironment, include_shared: bool) -> Vec<DesiredResource> {
    let mut resources = Vec::new();
    let mut add = |address: Address, payload: Payload| resources.push(DesiredResource { address, payload });
    if include_shared {
        let shared = &desired.shared;
        add(Address::Cluster, Payload::Cluster(shared.cluster.clone()));
        for (rank, group) in [(0, &shared.load_balancer_security_group), (1, &shared.service_security_group)] {
            add(Address::SecurityGroup { rank, name: group.group_name.clone() }, Payload::SecurityGroup(group.clone()));
        }
        add(Address::LoadBalancer, Payload::LoadBalancer(shared.load_balancer.clone()));
        for listener in [&shared.https_listener, &shared.http_listener] {
            add(Address::Listener(listener.port), Payload::Listener(listener.clone()));
        }
        for repository in &shared.repositories {
            add(Address::Repository(repository.repository_name.clone()), Payload::Repository(repository.clone()));
        }
    }
    if let Some(group) = &desired.security_group {
        add(Address::EnvironmentSecurityGroup(group.group_name.clone()), Payload::SecurityGroup(group.clone()));
    }
    for rotation in &desired.secret_rotations {
        add(Address::SecretRotation(rotation.secret_id.clone()), Payload::SecretRotation(rotation.clone()));
    }
    for service in &desired.services {
        let name = service.name.as_str();
        if let Some(pin) = &service.image_pin {
            add(Address::service(name, ServicePart::PinnedImage), Payload::ImagePin(pin.clone()));
        }
        if let Some(group) = &service.log_group {
            add(Address::service(name, ServicePart::LogGroup), Payload::LogGroup(group.clone()));
        }
        if let Some(role) = &service.execution_role {
            add(Address::service(name, ServicePart::ExecutionRole), Payload::Role(role.clone()));
        }
        if let Some(role) = &service.task_role {
            add(Address::service(name, ServicePart::TaskRole), Payload::Role(role.clone()));
        }
        add(
            Address::service(name, ServicePart::TaskDefinition),
            Payload::TaskDefinition(service.task_definition.clone()),
        );
        let target_group = TargetGroupSettings {
            group: service.target_group.clone(),
            attributes: service.target_group_attributes.attributes.clone(),
        };
        add(Address::service(name, ServicePart::TargetGroup), Payload::TargetGroup(target_group));
        add(Address::service(name, ServicePart::ListenerRule), Payload::ListenerRule(service.listener_rule.clone()));
        add(Address::service(name, ServicePart::EcsService), Payload::EcsService(service.service.clone()));
        add(
            Address::service(name, ServicePart::ScalableTarget),
            Payload::ScalableTarget(service.scalable_target.clone()),
        );
        for policy in &service.scaling_policies {
            let address = Address::service_named(name, ServicePart::ScalingPolicy, &policy.policy_name);
            add(address, Payload::ScalingPolicy(policy.clone()));
        }
        for alarm in &service.alarms {
            add(Address::service_named(name, ServicePart::Alarm, &alarm.alarm_name), Payload::Alarm(alarm.clone()));
        }
    }
    for record in &desired.dns_records {
        add(Address::DnsRecord(record.record_name().to_string()), Payload::DnsRecord(record.clone()));
    }
    resources.sort_by(|a, b| a.address.cmp(&b.address));
    resources
}

/// Serialises any payload for diffing (helper for readers building actual payloads).
pub fn json_of<T: Serialize>(payload: &T) -> serde_json::Value {
    serde_json::to_value(payload).unwrap_or(serde_json::Value::Null)
}
