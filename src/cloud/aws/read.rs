//! Reading one environment: every API family at once, then what depends on the first round
//! (autoscaling needs the services found; DNS ownership needs the ALB's name).
//!
//! The number of sequential rounds does not grow with the number of services: every family
//! reads in batches (10 services, 20 ELBv2 tags, 100 alarms, 1,000 roles a call) or, where AWS
//! has no batch form (a task definition, a target group's attributes, a repository's images), with
//! a bounded number of calls in flight. `--stats` reports the rounds (`cloud::stats`).

use super::AwsCloud;
use crate::actual::ActualState;
use crate::actual::scope::ReadScope;
use crate::cloud::CloudError;
use crate::desired::Reference;

impl AwsCloud {
    pub(super) async fn read_environment(&self, scope: &ReadScope) -> Result<ActualState, CloudError> {
        let (network, load_balancing, ecs, roles, logs, repositories, secrets, certificate, policies) = tokio::join!(
            self.read_network(scope),
            self.read_load_balancing(scope),
            self.read_ecs(scope),
            self.read_roles(scope),
            self.read_log_groups(scope),
            self.read_repositories(scope),
            self.read_secrets(scope),
            self.read_certificate(scope),
            self.all_scaling_policies(),
        );
        let ecs = ecs?;
        let mut state = ActualState::default();
        for partial in [network?, load_balancing?, roles?, logs?, repositories?, secrets?, certificate?, ecs.partial] {
            partial.merge_into(&mut state);
        }
        let mut scaled = ecs.scaled_services;
        for service in &scope.services {
            scaled.push((service.name.clone(), service.names.scaling_resource_id.clone()));
        }
        scaled.sort();
        scaled.dedup();
        let dns_name = state
            .values
            .one(&Reference::LoadBalancerDnsName { load_balancer: scope.load_balancer.clone() })
            .map(str::to_string);
        let (scaling, dns, alarms) = tokio::join!(
            self.read_scaling(scope, &scaled, policies?),
            self.read_dns(scope, dns_name.as_deref()),
            self.read_alarms(scope),
        );
        scaling?.merge_into(&mut state);
        dns?.merge_into(&mut state);
        alarms?.merge_into(&mut state);
        state.values.derive_request_count_labels();
        state.other_environments.sort();
        state.other_environments.dedup();
        Ok(state)
    }
}
