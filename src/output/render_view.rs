//! `render`: the desired state as the AWS API calls would carry it, as text sections or JSON.

use crate::desired::shared::SharedResources;
use crate::desired::{DesiredEnvironment, DesiredService};
use serde::Serialize;

/// JSON: the desired state itself (versioned by its `schema_version`).
pub fn json(desired: &DesiredEnvironment) -> serde_json::Value {
    serde_json::to_value(desired).unwrap_or(serde_json::Value::Null)
}

/// Text: one section per AWS request, headed by the API operation that would receive it.
pub fn text(desired: &DesiredEnvironment) -> String {
    let mut out = format!(
        "# environment {} of project {}: cluster {}, load balancer {}, region {}, account {}\n",
        desired.environment,
        desired.project,
        desired.cluster,
        desired.load_balancer,
        desired.region,
        desired.account_id
    );
    if !desired.services.is_empty() || !desired.dns_records.is_empty() {
        out.push_str(&shared_text(&desired.shared));
    }
    if let Some(group) = &desired.security_group {
        section(&mut out, "the environment's own security group (ec2:CreateSecurityGroup)", group);
    }
    for service in &desired.services {
        out.push_str(&service_text(service));
    }
    for record in &desired.dns_records {
        section(&mut out, &format!("DNS record {} (route53:ChangeResourceRecordSets)", record.record_name()), record);
    }
    out
}

/// Text of the services of `desired` without the shared resources (`render --service`).
pub fn service_only_text(desired: &DesiredEnvironment) -> String {
    let mut out = format!(
        "# environment {} of project {}: region {}, account {}\n",
        desired.environment, desired.project, desired.region, desired.account_id
    );
    for service in &desired.services {
        out.push_str(&service_text(service));
    }
    out
}

fn shared_text(shared: &SharedResources) -> String {
    let mut out = "\n## shared by every environment\n".to_string();
    section(&mut out, "cluster (ecs:CreateCluster)", &shared.cluster);
    section(&mut out, "ALB security group (ec2:CreateSecurityGroup)", &shared.load_balancer_security_group);
    section(&mut out, "services' security group (ec2:CreateSecurityGroup)", &shared.service_security_group);
    section(&mut out, "load balancer (elasticloadbalancing:CreateLoadBalancer)", &shared.load_balancer);
    section(&mut out, "HTTPS listener (elasticloadbalancing:CreateListener)", &shared.https_listener);
    section(&mut out, "HTTP listener (elasticloadbalancing:CreateListener)", &shared.http_listener);
    for repository in &shared.repositories {
        section(&mut out, "image repository (ecr:CreateRepository)", repository);
    }
    out
}

fn service_text(service: &DesiredService) -> String {
    let mut out = format!("\n## service {} ({})\n", service.full_name, service.name);
    if let Some(group) = &service.log_group {
        section(&mut out, "log group (logs:CreateLogGroup, logs:PutRetentionPolicy)", group);
    }
    for (title, role) in [("execution role", &service.execution_role), ("task role", &service.task_role)] {
        let Some(role) = role else { continue };
        section(&mut out, &format!("{title} (iam:CreateRole)"), &role.create_role);
        if let Some(policy) = &role.put_role_policy {
            section(&mut out, &format!("{title} policy (iam:PutRolePolicy)"), policy);
        }
    }
    section(&mut out, "task definition (ecs:RegisterTaskDefinition)", &service.task_definition);
    section(&mut out, "target group (elasticloadbalancing:CreateTargetGroup)", &service.target_group);
    section(
        &mut out,
        "target group attributes (elasticloadbalancing:ModifyTargetGroupAttributes)",
        &service.target_group_attributes,
    );
    section(&mut out, "listener rule (elasticloadbalancing:CreateRule)", &service.listener_rule);
    section(&mut out, "service (ecs:CreateService)", &service.service);
    section(&mut out, "scalable target (application-autoscaling:RegisterScalableTarget)", &service.scalable_target);
    for policy in &service.scaling_policies {
        section(&mut out, "scaling policy (application-autoscaling:PutScalingPolicy)", policy);
    }
    for alarm in &service.alarms {
        section(&mut out, "alarm (cloudwatch:PutMetricAlarm)", alarm);
    }
    out
}

fn section(out: &mut String, title: &str, payload: &impl Serialize) {
    out.push_str(&format!("\n### {title}\n"));
    out.push_str(&serde_json::to_string_pretty(payload).unwrap_or_default());
    out.push('\n');
}
