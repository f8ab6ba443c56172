//! `render`: the desired state as the AWS API calls would carry it, as text sections or JSON.

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
    for service in &desired.services {
        out.push_str(&service_text(service));
    }
    for record in &desired.dns_records {
        section(&mut out, &format!("DNS record {} (route53:ChangeResourceRecordSets)", record.record_name()), record);
    }
    out
}

fn service_text(service: &DesiredService) -> String {
    let mut out = format!("\n## service {} ({})\n", service.full_name, service.name);
    section(&mut out, "log group (logs:CreateLogGroup, logs:PutRetentionPolicy)", &service.log_group);
    for (title, role) in [("execution role", &service.execution_role), ("task role", &service.task_role)] {
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
    out
}

fn section(out: &mut String, title: &str, payload: &impl Serialize) {
    out.push_str(&format!("\n### {title}\n"));
    out.push_str(&serde_json::to_string_pretty(payload).unwrap_or_default());
    out.push('\n');
}
