//! ECS: the shared cluster, each service's task definition and ECS service. Services are listed
//! once per cluster and described ten at a time (the API's limit), with their tags.
//!
//! This module holds the calls (reads and writes); [`convert`] holds what they send and how what
//! they get back is normalised, as pure functions.

pub(super) mod convert;

use super::AwsCloud;
use super::common::{
    PARALLEL_READS, Partial, ROLE_PROPAGATION_DEADLINE, idempotency_token, is_role_not_ready, retry_while, unsent,
};
use super::gone::GoneIsFine;
use super::retag::TagChanges;
use crate::actual::Owner;
use crate::actual::ownership::{is_ours, owner_of, shared_owner_of};
use crate::actual::scope::ReadScope;
use crate::cloud::CloudError;
use crate::cloud::error::has_code;
use crate::desired::Reference;
use crate::desired::ecs_service::EcsService;
use crate::desired::shared::Cluster;
use crate::desired::tags::{SERVICE_TAG, Tags};
use crate::desired::task_definition::TaskDefinition;
use crate::plan::address::{Address, ServicePart};
use crate::plan::resources::json_of;
use crate::plan::values::Values;
use crate::poll::{Poll, Step};
use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::types as ecs;
use aws_smithy_types::retry::RetryConfig;
use convert::{
    cluster_of, container_of, deployment_value, ecs_tags, runtime_platform, service_of, service_parts, tags_of,
    task_definition_of, without,
};
use futures_util::stream::{self, StreamExt, TryStreamExt};

/// DescribeServices takes at most 10 services.
const SERVICES_PER_CALL: usize = 10;

/// A task definition to read for a service: its family and the revision the service runs.
struct RevisionRead {
    /// The manifest's name of the service.
    service: String,
    family: String,
    running: Option<String>,
}

/// What the ECS reader found besides resources: the services to read autoscaling for.
pub(super) struct EcsRead {
    pub partial: Partial,
    /// `(service name, scaling resource id)` of every service of this environment found.
    pub scaled_services: Vec<(String, String)>,
}

impl AwsCloud {
    /// The cluster and every service on it (in batches of 10, at once), then the task definitions
    /// of this environment's services (one call each, at once).
    pub(super) async fn read_ecs(&self, scope: &ReadScope) -> Result<EcsRead, CloudError> {
        let mut partial = Partial::default();
        let mut scaled_services = Vec::new();
        let mut revisions = Vec::new();
        // The services are listed beside the cluster's read; without an active cluster, whatever
        // the listing answered (ClusterNotFoundException, most likely) is moot.
        let (active, services) = tokio::join!(self.read_cluster(scope, &mut partial), self.described_services(scope));
        if active? {
            for service in &services? {
                revisions.extend(self.read_service(scope, service, &mut partial, &mut scaled_services));
            }
        }
        for service in &scope.services {
            if !revisions.iter().any(|revision: &RevisionRead| revision.service == service.name) {
                // No service runs it yet: the family's newest active revision may already hold
                // the desired content (an earlier run stopped after registering it).
                revisions.push(RevisionRead {
                    service: service.name.clone(),
                    family: service.names.full_name.clone(),
                    running: None,
                });
            }
        }
        // DescribeTaskDefinition takes one revision: concurrently, within ECS's rate.
        let read: Vec<Partial> = stream::iter(revisions.iter().map(|revision| async move {
            let mut found = Partial::default();
            self.read_task_definition(scope, revision, &mut found).await?;
            Ok::<_, CloudError>(found)
        }))
        .buffered(PARALLEL_READS)
        .try_collect()
        .await?;
        read.into_iter().for_each(|found| partial.merge(found));
        Ok(EcsRead { partial, scaled_services })
    }

    async fn read_cluster(&self, scope: &ReadScope, partial: &mut Partial) -> Result<bool, CloudError> {
        let output = self
            .ecs
            .describe_clusters()
            .clusters(&scope.cluster)
            .include(ecs::ClusterField::Tags)
            .send()
            .await
            .map_err(|error| self.error("ecs:DescribeClusters", format!("cluster {}", scope.cluster), &error))?;
        let Some(cluster) = output.clusters().iter().find(|cluster| cluster.status() == Some("ACTIVE")) else {
            return Ok(false);
        };
        let actual = cluster_of(&scope.cluster, cluster);
        let owner = shared_owner_of(&actual.tags, &scope.project);
        partial.resource(Address::Cluster, cluster.cluster_arn().unwrap_or_default(), json_of(&actual), owner);
        Ok(true)
    }

    /// Every active service of the cluster, with tags.
    async fn described_services(&self, scope: &ReadScope) -> Result<Vec<ecs::Service>, CloudError> {
        let resource = format!("cluster {}", scope.cluster);
        let arns = self
            .ecs
            .list_services()
            .cluster(&scope.cluster)
            .max_results(100)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.error("ecs:ListServices", &resource, &error))?;
        let batches = arns.chunks(SERVICES_PER_CALL).map(|batch| {
            let resource = &resource;
            async move {
                let output = self
                    .ecs
                    .describe_services()
                    .cluster(&scope.cluster)
                    .set_services(Some(batch.to_vec()))
                    .include(ecs::ServiceField::Tags)
                    .send()
                    .await
                    .map_err(|error| self.error("ecs:DescribeServices", resource, &error))?;
                Ok::<_, CloudError>(output.services.unwrap_or_default())
            }
        });
        let described: Vec<Vec<ecs::Service>> = stream::iter(batches).buffered(PARALLEL_READS).try_collect().await?;
        Ok(described.into_iter().flatten().filter(|service| service.status() == Some("ACTIVE")).collect())
    }

    /// One described service into `partial`; returns the task definition to read when the
    /// service is this environment's.
    fn read_service(
        &self,
        scope: &ReadScope,
        service: &ecs::Service,
        partial: &mut Partial,
        scaled_services: &mut Vec<(String, String)>,
    ) -> Option<RevisionRead> {
        let name = service.service_name().unwrap_or_default();
        let tags = tags_of(service.tags());
        let owner = owner_of(&tags, &scope.project, &scope.environment);
        if let Owner::OtherEnvironment(environment) = &owner {
            partial.other_environments.push(environment.clone());
        }
        let in_scope =
            scope.services.iter().find(|wanted| wanted.names.full_name == name).map(|wanted| wanted.name.clone());
        let service_name = match (in_scope, &owner) {
            (Some(service_name), _) => service_name,
            (None, Owner::This) => tags.get(SERVICE_TAG)?.to_string(),
            _ => return None,
        };
        let actual = service_of(&scope.cluster, service, tags);
        let arn = service.service_arn().unwrap_or_default();
        partial.resource(
            Address::service(&service_name, ServicePart::EcsService),
            arn,
            json_of(&actual),
            owner.clone(),
        );
        if let Some(id) = super::rollout::primary_deployment(Some(service)) {
            partial.values.set(&Reference::DeploymentId { service: name.to_string() }, id);
        }
        if owner != Owner::This {
            return None;
        }
        scaled_services.push((service_name.clone(), format!("service/{}/{name}", scope.cluster)));
        Some(RevisionRead {
            service: service_name,
            family: name.to_string(),
            running: service.task_definition().map(str::to_string),
        })
    }

    /// The task definition `name` (an ARN, or a family for its newest active revision), as
    /// `(ARN, desired-shaped JSON, owner)`.
    async fn describe_revision(
        &self,
        scope: &ReadScope,
        name: &str,
    ) -> Result<Option<(String, serde_json::Value, Owner)>, CloudError> {
        let Some((definition, tags)) = self.active_revision(name).await? else { return Ok(None) };
        let owner = owner_of(&tags, &scope.project, &scope.environment);
        let arn = definition.task_definition_arn().unwrap_or_default().to_string();
        Ok(Some((arn, json_of(&task_definition_of(&definition, tags)), owner)))
    }

    /// The task definition `name` (an ARN, or a family for its newest active revision) with its
    /// tags, when it exists and is active. ECS answers a name it does not know with a
    /// ClientException.
    async fn active_revision(&self, name: &str) -> Result<Option<(ecs::TaskDefinition, Tags)>, CloudError> {
        let output = match self
            .ecs
            .describe_task_definition()
            .task_definition(name)
            .include(ecs::TaskDefinitionField::Tags)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) if has_code(&error, &["ClientException"]) => return Ok(None),
            Err(error) => {
                return Err(self.error("ecs:DescribeTaskDefinition", format!("task definition {name}"), &error));
            }
        };
        let Some(definition) = output.task_definition() else { return Ok(None) };
        if definition.status() != Some(&ecs::TaskDefinitionStatus::Active) {
            return Ok(None);
        }
        Ok(Some((definition.clone(), tags_of(output.tags()))))
    }

    /// The revision a service runs (the one plan compares with) and, when the family has a newer
    /// active one, that too: after ECS rolled a deployment back, the newer revision may already
    /// hold the desired content, and re-registering it would pile up identical revisions.
    /// In the steady state (the service runs the newest revision) this is one call.
    async fn read_task_definition(
        &self,
        scope: &ReadScope,
        revision: &RevisionRead,
        partial: &mut Partial,
    ) -> Result<(), CloudError> {
        let RevisionRead { service, family, running } = revision;
        let running = running.as_deref();
        let address = Address::service(service, ServicePart::TaskDefinition);
        let newest = self.describe_revision(scope, family).await?;
        let current = match (&newest, running) {
            (Some((arn, ..)), Some(running)) if arn != running => self.describe_revision(scope, running).await?,
            (None, Some(running)) => self.describe_revision(scope, running).await?,
            _ => newest.clone(),
        };
        if let Some((arn, json, owner)) = current.clone() {
            partial.values.set(&Reference::TaskDefinitionArn { family: family.to_string() }, arn.clone());
            partial.resource(address.clone(), arn, json, owner);
        }
        if let Some((arn, json, owner)) = newest
            && current.as_ref().is_none_or(|(current_arn, ..)| *current_arn != arn)
        {
            partial.newest_revisions.push((address, crate::actual::ActualResource { id: arn, json, owner }));
        }
        Ok(())
    }

    pub(super) async fn create_cluster(&self, cluster: &Cluster) -> Result<Values, CloudError> {
        self.ecs
            .create_cluster()
            .cluster_name(&cluster.cluster_name)
            .set_capacity_providers(Some(cluster.capacity_providers.clone()))
            .set_tags(Some(ecs_tags(&cluster.tags)))
            .send()
            .await
            .map_err(|error| self.error("ecs:CreateCluster", format!("cluster {}", cluster.cluster_name), &error))?;
        Ok(Values::default())
    }

    pub(super) async fn update_cluster(
        &self,
        arn: &str,
        cluster: &Cluster,
        before: &Cluster,
    ) -> Result<Values, CloudError> {
        let resource = format!("cluster {}", cluster.cluster_name);
        if before.capacity_providers != cluster.capacity_providers {
            // The call replaces the default strategy too: keep whatever is set.
            let current = self
                .ecs
                .describe_clusters()
                .clusters(&cluster.cluster_name)
                .send()
                .await
                .map_err(|error| self.error("ecs:DescribeClusters", &resource, &error))?;
            let default_strategy = current
                .clusters()
                .first()
                .map(|found| found.default_capacity_provider_strategy().to_vec())
                .unwrap_or_default();
            self.ecs
                .put_cluster_capacity_providers()
                .cluster(&cluster.cluster_name)
                .set_capacity_providers(Some(cluster.capacity_providers.clone()))
                .set_default_capacity_provider_strategy(Some(default_strategy))
                .send()
                .await
                .map_err(|error| self.error("ecs:PutClusterCapacityProviders", &resource, &error))?;
        }
        self.retag_ecs_resource(arn, &before.tags, &cluster.tags, &resource).await?;
        Ok(Values::default())
    }

    /// Deletes the cluster, waiting while services deleted just before still drain.
    pub(super) async fn delete_cluster(&self, arn: &str) -> Result<(), CloudError> {
        let busy = ["ClusterContainsServicesException", "ClusterContainsTasksException"];
        super::common::retry_while_busy(&busy, || async move {
            let deleted = self.ecs.delete_cluster().cluster(arn).send().await;
            deleted
                .map_err(|error| self.error("ecs:DeleteCluster", format!("cluster {arn}"), &error))
                .gone_is_fine(&["ClusterNotFoundException"])?;
            Ok(())
        })
        .await
    }

    pub(super) async fn register_task_definition(&self, definition: &TaskDefinition) -> Result<Values, CloudError> {
        let resource = format!("task definition {}", definition.family);
        let containers = definition
            .container_definitions
            .iter()
            .map(|container| {
                container_of(container).map_err(|message| unsent("ecs:RegisterTaskDefinition", &resource, message))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let request = self
            .ecs
            .register_task_definition()
            .family(&definition.family)
            .task_role_arn(definition.task_role_arn.to_string())
            .execution_role_arn(definition.execution_role_arn.to_string())
            .network_mode(ecs::NetworkMode::from(definition.network_mode.as_str()))
            .set_requires_compatibilities(Some(
                definition.requires_compatibilities.iter().map(|c| ecs::Compatibility::from(c.as_str())).collect(),
            ))
            .cpu(&definition.cpu)
            .memory(&definition.memory)
            .runtime_platform(runtime_platform(&definition.runtime_platform))
            .set_container_definitions(Some(containers))
            .set_tags(Some(ecs_tags(&definition.tags)));
        let arn = retry_while(ROLE_PROPAGATION_DEADLINE, is_role_not_ready, || {
            self.register_revision(definition, &request, &resource)
        })
        .await?;
        let mut values = Values::default();
        values.set(&Reference::TaskDefinitionArn { family: definition.family.clone() }, arn);
        Ok(values)
    }

    /// Sends `request` and returns the new revision's ARN. AWS registers a new revision for
    /// every RegisterTaskDefinition it receives, so the SDK must not repeat one whose answer was
    /// lost (that would leave an orphan revision behind): its retries are off for this call, and
    /// after a failure that may have registered it (see [`CloudError::is_transient`]), the
    /// family's newest revision is read first. If it holds exactly what was sent, it is this
    /// call's; otherwise the request is sent again, as many times in all as the SDK would have.
    async fn register_revision(
        &self,
        definition: &TaskDefinition,
        request: &RegisterTaskDefinitionFluentBuilder,
        resource: &str,
    ) -> Result<String, CloudError> {
        let attempts = self.ecs.config().retry_config().map_or(1, |retry| retry.max_attempts()).max(1);
        // Not yet: `(error, sent)`, the `sent`-th request failed with `error` and may have been
        // carried out. Throttling and server errors want a pause; a lost answer's revision is
        // there at once.
        let polled = Poll::backoff(std::time::Duration::from_secs(1), std::time::Duration::from_secs(20))
            .until(|unsure: Option<(CloudError, u32)>| async move {
                let sent = match unsure {
                    None => 0,
                    Some((error, sent)) => match self.registered_revision(definition).await {
                        Ok(Some(arn)) => {
                            tracing::info!(
                                task_definition = arn,
                                "the registration whose answer was lost was carried out"
                            );
                            return Step::Done(Ok(arn));
                        }
                        Ok(None) if sent < attempts => sent,
                        Ok(None) => return Step::Done(Err(error)),
                        // Without knowing whether it was registered, sending it again could make a
                        // second revision; the next plan finds the first if it is there.
                        Err(looking) => {
                            tracing::debug!(%looking, "could not read the family's newest revision");
                            return Step::Done(Err(error));
                        }
                    },
                };
                let result = request
                    .clone()
                    .customize()
                    .config_override(aws_sdk_ecs::config::Builder::default().retry_config(RetryConfig::disabled()))
                    .send()
                    .await;
                let error = match result {
                    Ok(output) => {
                        let created = output.task_definition().and_then(|created| created.task_definition_arn());
                        return Step::Done(Ok(created.unwrap_or_default().to_string()));
                    }
                    Err(error) => self.error("ecs:RegisterTaskDefinition", resource, &error),
                };
                if !error.is_transient() {
                    return Step::Done(Err(error));
                }
                tracing::debug!(%error, "the registration may have been carried out; looking before repeating it");
                Step::NotYet((error, sent + 1))
            })
            .await;
        // Without a deadline the poll ends only with an attempt that is done.
        polled.unwrap_or_else(|(error, _)| Err(error))
    }

    /// The family's newest active revision when it holds exactly `definition` (compared as the
    /// plan compares them: the reader's normalised JSON, tags included).
    async fn registered_revision(&self, definition: &TaskDefinition) -> Result<Option<String>, CloudError> {
        let Some((found, tags)) = self.active_revision(&definition.family).await? else { return Ok(None) };
        let read = json_of(&task_definition_of(&found, tags));
        let is_same = crate::plan::diff::diff(&read, &json_of(definition), &[]).is_empty();
        Ok(is_same.then(|| found.task_definition_arn().unwrap_or_default().to_string()))
    }

    /// Deregisters every active revision of the family of `arn` (the environment is going away).
    pub(super) async fn deregister_task_definitions(
        &self,
        arn: &str,
        before: &TaskDefinition,
    ) -> Result<(), CloudError> {
        let family = before.family.as_str();
        let resource = format!("task definition family {family}");
        let mut revisions = self
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(ecs::TaskDefinitionStatus::Active)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.error("ecs:ListTaskDefinitions", &resource, &error))?;
        if !revisions.iter().any(|revision| revision == arn) {
            revisions.push(arn.to_string());
        }
        for revision in revisions {
            self.ecs.deregister_task_definition().task_definition(&revision).send().await.map_err(|error| {
                self.error("ecs:DeregisterTaskDefinition", format!("task definition {revision}"), &error)
            })?;
        }
        Ok(())
    }

    pub(super) async fn create_service(&self, service: &EcsService) -> Result<Values, CloudError> {
        let resource = format!("service {} in cluster {}", service.service_name, service.cluster);
        let parts = service_parts(service).map_err(|message| unsent("ecs:CreateService", &resource, message))?;
        let request = self
            .ecs
            .create_service()
            .cluster(&service.cluster)
            .service_name(&service.service_name)
            .task_definition(service.task_definition.to_string())
            .desired_count(service.desired_count as i32)
            .set_capacity_provider_strategy(Some(parts.capacity))
            .platform_version(&service.platform_version)
            .network_configuration(parts.network)
            .set_load_balancers(Some(parts.load_balancers))
            .health_check_grace_period_seconds(service.health_check_grace_period_seconds as i32)
            .deployment_configuration(parts.deployment)
            .deployment_controller(parts.controller)
            .propagate_tags(ecs::PropagateTags::from(service.propagate_tags.as_str()))
            .enable_ecs_managed_tags(service.enable_ecs_managed_tags)
            .set_tags(Some(ecs_tags(&service.tags)))
            // ECS answers a repeated request with the same token (the SDK's retry after a lost
            // answer) with the service the first one created, instead of "not idempotent".
            .client_token(idempotency_token(&["ecs:CreateService", &service.cluster, &service.service_name]));
        // The execution role may be minutes old: ECS can refuse it until IAM has spread it.
        let created = retry_while(ROLE_PROPAGATION_DEADLINE, is_role_not_ready_service, || {
            let request = request.clone();
            let resource = &resource;
            async move { request.send().await.map_err(|error| CreateServiceFailure::from_sdk(self, resource, error)) }
        })
        .await;
        match created {
            Ok(output) => Ok(deployment_value(&service.service_name, output.service())),
            Err(CreateServiceFailure { error, not_idempotent: true }) => match self.own_service(service).await? {
                Some(existing) => {
                    tracing::info!(service = service.service_name, "the service exists and is ours: going on with it");
                    Ok(deployment_value(&service.service_name, Some(&existing)))
                }
                None => Err(error),
            },
            Err(CreateServiceFailure { error, .. }) => Err(error),
        }
    }

    /// The ACTIVE service named as `service` in its cluster when it carries the ownership tags
    /// and runs the task definition `service` is created with: what a CreateService this run
    /// sent made, though ECS did not recognise the repeat (another token, or none).
    async fn own_service(&self, service: &EcsService) -> Result<Option<ecs::Service>, CloudError> {
        let resource = format!("service {} in cluster {}", service.service_name, service.cluster);
        let output = self
            .ecs
            .describe_services()
            .cluster(&service.cluster)
            .services(&service.service_name)
            .include(ecs::ServiceField::Tags)
            .send()
            .await
            .map_err(|error| self.error("ecs:DescribeServices", &resource, &error))?;
        let task_definition = service.task_definition.to_string();
        Ok(output
            .services()
            .iter()
            .find(|found| {
                found.status() == Some("ACTIVE")
                    && found.service_name() == Some(service.service_name.as_str())
                    && found.task_definition() == Some(task_definition.as_str())
                    && is_ours(&tags_of(found.tags()), &service.tags)
            })
            .cloned())
    }

    /// Everything but the task count, which autoscaling owns once the service exists.
    /// `force_new_deployment` is the plan's decision (a secret the service reads has a new
    /// version, or its capacity provider strategy changed): new tasks start although the
    /// revision stays.
    pub(super) async fn update_service(
        &self,
        arn: &str,
        service: &EcsService,
        before: &EcsService,
        force_new_deployment: bool,
    ) -> Result<Values, CloudError> {
        let resource = format!("service {} in cluster {}", service.service_name, service.cluster);
        // Only tags differ: UpdateService would be a needless (and on AWS, deploying) call.
        let settings_differ = without(&json_of(before), &["tags", "desiredCount"])
            != without(&json_of(service), &["tags", "desiredCount"]);
        let mut values = Values::default();
        if settings_differ || force_new_deployment {
            values = self.send_service_update(service, &resource, force_new_deployment).await?;
        }
        self.retag_ecs_resource(arn, &before.tags, &service.tags, &resource).await?;
        Ok(values)
    }

    async fn send_service_update(
        &self,
        service: &EcsService,
        resource: &str,
        force_new_deployment: bool,
    ) -> Result<Values, CloudError> {
        let parts = service_parts(service).map_err(|message| unsent("ecs:UpdateService", resource, message))?;
        let output = self
            .ecs
            .update_service()
            .cluster(&service.cluster)
            .service(&service.service_name)
            .task_definition(service.task_definition.to_string())
            .force_new_deployment(force_new_deployment)
            .set_capacity_provider_strategy(Some(parts.capacity))
            .platform_version(&service.platform_version)
            .network_configuration(parts.network)
            .set_load_balancers(Some(parts.load_balancers))
            .health_check_grace_period_seconds(service.health_check_grace_period_seconds as i32)
            .deployment_configuration(parts.deployment)
            .propagate_tags(ecs::PropagateTags::from(service.propagate_tags.as_str()))
            .enable_ecs_managed_tags(service.enable_ecs_managed_tags)
            .send()
            .await
            .map_err(|error| self.error("ecs:UpdateService", resource, &error))?;
        Ok(deployment_value(&service.service_name, output.service()))
    }

    pub(super) async fn delete_service(&self, arn: &str, before: &EcsService) -> Result<(), CloudError> {
        let cluster = before.cluster.as_str();
        let deleted = self.ecs.delete_service().cluster(cluster).service(arn).force(true).send().await;
        deleted
            .map_err(|error| self.error("ecs:DeleteService", format!("service {arn}"), &error))
            .gone_is_fine(&["ServiceNotFoundException", "ServiceNotActiveException"])?;
        Ok(())
    }

    async fn retag_ecs_resource(
        &self,
        arn: &str,
        before: &Tags,
        after: &Tags,
        resource: &str,
    ) -> Result<(), CloudError> {
        TagChanges::between(before, after)
            .apply(
                |added| async move {
                    let tagged = self.ecs.tag_resource().resource_arn(arn).set_tags(Some(ecs_tags(&Tags(added))));
                    tagged.send().await.map(drop).map_err(|error| self.error("ecs:TagResource", resource, &error))
                },
                |removed| async move {
                    let untagged = self.ecs.untag_resource().resource_arn(arn).set_tag_keys(Some(removed));
                    untagged.send().await.map(drop).map_err(|error| self.error("ecs:UntagResource", resource, &error))
                },
            )
            .await
    }
}

/// A CreateService that failed, and whether ECS said "Creation of service was not idempotent"
/// (a service of that name is ACTIVE or DRAINING: maybe the one an earlier attempt made).
struct CreateServiceFailure {
    error: CloudError,
    not_idempotent: bool,
}

impl std::fmt::Display for CreateServiceFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl CreateServiceFailure {
    fn from_sdk<R: std::fmt::Debug + 'static>(
        cloud: &AwsCloud,
        resource: &str,
        error: aws_sdk_ecs::error::SdkError<aws_sdk_ecs::operation::create_service::CreateServiceError, R>,
    ) -> Self {
        use aws_sdk_ecs::error::ProvideErrorMetadata;
        let not_idempotent = error.code() == Some("InvalidParameterException")
            && error.message().is_some_and(|message| message.contains("not idempotent"));
        CreateServiceFailure { error: cloud.error("ecs:CreateService", resource, &error), not_idempotent }
    }
}

/// [`is_role_not_ready`] for a failed CreateService.
fn is_role_not_ready_service(failure: &CreateServiceFailure) -> bool {
    is_role_not_ready(&failure.error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::aws::test_support::test_cloud;
    use convert::tests::desired_service;

    fn ownership(service: &str) -> Tags {
        Tags::owned("acme", "stage", Some(service), [])
    }

    /// A revision of family `family` registered with the SDK, read back in the desired shape.
    async fn registered(cloud: &AwsCloud, family: &str, tags: &Tags) -> (String, TaskDefinition) {
        let container = ecs::ContainerDefinition::builder()
            .name("app")
            .image("public.ecr.aws/docker/library/busybox:latest")
            .essential(true)
            .environment(ecs::KeyValuePair::builder().name("MODE").value("one").build())
            .build();
        let output = cloud
            .ecs
            .register_task_definition()
            .family(family)
            .network_mode(ecs::NetworkMode::Awsvpc)
            .requires_compatibilities(ecs::Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(container)
            .set_tags(Some(ecs_tags(tags)))
            .send()
            .await
            .expect("register");
        let definition = output.task_definition().expect("registered").clone();
        let arn = definition.task_definition_arn().expect("arn").to_string();
        (arn, task_definition_of(&definition, tags.clone()))
    }

    /// After a registration whose answer was lost, the family's newest revision is this call's
    /// only if it holds exactly what was sent.
    #[tokio::test]
    async fn the_newest_revision_is_ours_only_when_it_holds_what_was_sent() {
        let test = test_cloud(false).await;
        let (arn, sent) = registered(&test.cloud, "stage-auth", &ownership("auth")).await;
        assert_eq!(test.cloud.registered_revision(&sent).await.expect("read"), Some(arn));
        let mut other = sent.clone();
        other.container_definitions[0].environment[0].value = "two".into();
        assert_eq!(test.cloud.registered_revision(&other).await.expect("read"), None);
        let mut retagged = sent.clone();
        retagged.tags = ownership("gmail");
        assert_eq!(test.cloud.registered_revision(&retagged).await.expect("read"), None);
        let mut elsewhere = sent.clone();
        elsewhere.family = "stage-never-registered".into();
        assert_eq!(test.cloud.registered_revision(&elsewhere).await.expect("read"), None);
    }

    /// ECS answers "Creation of service was not idempotent" when a service of the name is ACTIVE
    /// and the request's token is not the one that created it (here: made without one). Ours
    /// with our task definition: the create goes on with it; someone else's: it fails.
    #[tokio::test]
    async fn a_create_that_ecs_calls_not_idempotent_goes_on_only_with_our_own_service() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let subnets = cloud.ec2.describe_subnets().send().await.expect("subnets");
        let subnet = subnets.subnets()[0].subnet_id().expect("subnet").to_string();
        let vpc = subnets.subnets()[0].vpc_id().expect("vpc").to_string();
        let filter = aws_sdk_ec2::types::Filter::builder().name("vpc-id").values(&vpc).build();
        let groups = cloud.ec2.describe_security_groups().filters(filter).send().await.expect("groups");
        let group = groups.security_groups()[0].group_id().expect("group").to_string();
        cloud.ecs.create_cluster().cluster_name("acme").capacity_providers("FARGATE").send().await.expect("cluster");
        let service = |name: &str, task_definition: &str, tags: Tags| {
            desired_service(name, task_definition, &subnet, &group, tags)
        };
        // The first creation, as another token (or none) made it.
        let first_attempt = |wanted: &EcsService| {
            let parts = service_parts(wanted).expect("parts");
            cloud
                .ecs
                .create_service()
                .cluster("acme")
                .service_name(&wanted.service_name)
                .task_definition(wanted.task_definition.to_string())
                .desired_count(0)
                .set_capacity_provider_strategy(Some(parts.capacity))
                .network_configuration(parts.network)
                .set_tags(Some(ecs_tags(&wanted.tags)))
                .send()
        };
        let (auth_revision, _) = registered(cloud, "stage-auth", &ownership("auth")).await;
        let auth = service("stage-auth", &auth_revision, ownership("auth"));
        first_attempt(&auth).await.expect("first attempt");
        let values = cloud.create_service(&auth).await.expect("ours: the create goes on with it");
        let deployment = values.one(&Reference::DeploymentId { service: "stage-auth".into() });
        assert!(deployment.is_some_and(|id| id.starts_with("ecs-svc/")), "the gate gets its deployment: {values:?}");

        let (gmail_revision, _) = registered(cloud, "stage-gmail", &ownership("gmail")).await;
        let gmail = service("stage-gmail", &gmail_revision, ownership("gmail"));
        first_attempt(&service("stage-gmail", &gmail_revision, Tags::default())).await.expect("someone else's");
        let error = cloud.create_service(&gmail).await.expect_err("someone else's service is not taken over");
        assert!(error.to_string().contains("not idempotent"), "{error}");
    }
}
