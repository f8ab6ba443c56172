//! Reading one environment: every API family at once, each following its own chain of
//! dependent calls (identity is known; load balancer -> listeners -> rules -> their tags; VPC ->
//! subnets, route tables, endpoints and security groups; services -> task definitions), and
//! joined only where one family needs another's answer: the DNS records are judged against the
//! ALB's name once both are read, and the scalable targets of services found on the cluster but
//! not in the manifest are read after the services.
//!
//! The number of sequential rounds does not grow with the number of services: every family
//! reads in batches (10 services, 20 ELBv2 tags, 100 alarms, 1,000 roles a call) or, where AWS
//! has no batch form (a task definition, a target group's attributes, a repository's images), with
//! a bounded number of calls in flight. `--stats` reports the rounds (`cloud::stats`).

use super::AwsCloud;
use super::autoscaling::scaling_partial;
use crate::actual::ActualState;
use crate::actual::scope::ReadScope;
use crate::cloud::CloudError;
use crate::desired::Reference;

impl AwsCloud {
    pub(super) async fn read_environment(&self, scope: &ReadScope) -> Result<ActualState, CloudError> {
        let (network, load_balancing, ecs_and_scaling, roles, logs, repositories, secrets, certificate, dns, alarms) = tokio::join!(
            self.read_network(scope),
            self.read_load_balancing(scope),
            self.read_ecs_and_scaling(scope),
            self.read_roles(scope),
            self.read_log_groups(scope),
            self.read_repositories(scope),
            self.read_secrets(scope),
            self.read_certificate(scope),
            self.read_dns(scope),
            self.read_alarms(scope),
        );
        let mut state = ActualState::default();
        let (ecs, scaling) = ecs_and_scaling?;
        for partial in [network?, load_balancing?, roles?, logs?, repositories?, secrets?, certificate?, ecs, scaling] {
            partial.merge_into(&mut state);
        }
        let dns_name = state
            .values
            .one(&Reference::LoadBalancerDnsName { load_balancer: scope.load_balancer.clone() })
            .map(str::to_string);
        dns?.partial(scope, dns_name.as_deref()).merge_into(&mut state);
        alarms?.merge_into(&mut state);
        state.values.derive_request_count_labels();
        state.other_environments.sort();
        state.other_environments.dedup();
        Ok(state)
    }

    /// The services and their autoscaling: the targets of the manifest's services and every
    /// policy of the namespace are read beside the services, and only the targets of services
    /// found on the cluster but no longer in the manifest (to be removed) after them.
    async fn read_ecs_and_scaling(
        &self,
        scope: &ReadScope,
    ) -> Result<(super::common::Partial, super::common::Partial), CloudError> {
        let named: Vec<(String, String)> = scope
            .services
            .iter()
            .map(|service| (service.name.clone(), service.names.scaling_resource_id.clone()))
            .collect();
        let (ecs, targets, policies) =
            tokio::join!(self.read_ecs(scope), self.scalable_targets(&named), self.all_scaling_policies());
        let ecs = ecs?;
        let mut targets = targets?;
        let mut others: Vec<(String, String)> =
            ecs.scaled_services.into_iter().filter(|(_, id)| !named.iter().any(|(_, named)| named == id)).collect();
        others.sort();
        others.dedup();
        if !others.is_empty() {
            targets.extend(self.scalable_targets(&others).await?);
        }
        let scaling = scaling_partial(scope, &targets, policies?)?;
        Ok((ecs.partial, scaling))
    }
}
