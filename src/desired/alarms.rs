//! The service's CloudWatch alarms, shaped as `PutMetricAlarm` receives them: CPU and memory of
//! the ECS service, and 5xx answers of its targets behind the ALB.

use super::names::ServiceNames;
use super::reference::Reference;
use super::tags::{Tags, pascal_style};
use crate::manifest::{Alarms, Environment, Project};
use serde::{Deserialize, Serialize};

/// `PutMetricAlarm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricAlarm {
    pub alarm_name: String,
    pub alarm_description: String,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    #[serde(rename = "OKActions")]
    pub ok_actions: Vec<String>,
    pub metric_name: String,
    pub namespace: String,
    pub statistic: String,
    /// Sorted by name (CloudWatch does not keep the order).
    pub dimensions: Vec<Dimension>,
    pub period: i64,
    pub evaluation_periods: i64,
    pub threshold: f64,
    pub comparison_operator: String,
    pub treat_missing_data: String,
    #[serde(serialize_with = "pascal_style")]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    pub name: String,
    pub value: Reference,
}

/// The alarm-name prefix of an environment: alarm names are unique per account and region.
pub fn alarm_prefix(project: &str, environment: &str) -> String {
    format!("{project}-{environment}-")
}

pub fn alarms(
    project: &Project,
    environment: &Environment,
    alarms: &Alarms,
    names: &ServiceNames,
    tags: &Tags,
) -> Vec<MetricAlarm> {
    let prefix = format!("{}{}", alarm_prefix(&project.name.value, &environment.name.value), names.container);
    let alarm = |suffix: &str, description: String, metric: Metric| MetricAlarm {
        alarm_name: format!("{prefix}-{suffix}"),
        alarm_description: format!("{description} (managed by ecsdeploy)"),
        actions_enabled: true,
        alarm_actions: alarms.actions.value.clone(),
        ok_actions: alarms.actions.value.clone(),
        metric_name: metric.name.into(),
        namespace: metric.namespace.into(),
        statistic: metric.statistic.into(),
        dimensions: metric.dimensions,
        period: 60,
        evaluation_periods: metric.periods,
        threshold: metric.threshold as f64,
        comparison_operator: "GreaterThanThreshold".into(),
        // No data (no tasks, no traffic) is not an incident.
        treat_missing_data: "notBreaching".into(),
        tags: tags.clone(),
    };
    // Dimensions sorted by name: CloudWatch returns them in its own order, read back sorted.
    let service_dimensions = || {
        vec![
            Dimension { name: "ClusterName".into(), value: Reference::known(project.cluster.value.clone()) },
            Dimension { name: "ServiceName".into(), value: Reference::known(names.full_name.clone()) },
        ]
    };
    let mut list = Vec::new();
    if let Some(percent) = alarms.cpu_above {
        let metric = Metric::ecs("CPUUtilization", percent, service_dimensions());
        list.push(alarm("cpu", format!("{}: average CPU above {percent}% for 5 minutes", names.full_name), metric));
    }
    if let Some(percent) = alarms.memory_above {
        let metric = Metric::ecs("MemoryUtilization", percent, service_dimensions());
        list.push(alarm(
            "memory",
            format!("{}: average memory above {percent}% for 5 minutes", names.full_name),
            metric,
        ));
    }
    if let Some(count) = alarms.http_5xx_above {
        let load_balancer = environment.load_balancer_name(project).to_string();
        let metric = Metric {
            name: "HTTPCode_Target_5XX_Count",
            namespace: "AWS/ApplicationELB",
            statistic: "Sum",
            periods: 3,
            threshold: count,
            dimensions: vec![
                Dimension { name: "LoadBalancer".into(), value: Reference::LoadBalancerDimension { load_balancer } },
                Dimension {
                    name: "TargetGroup".into(),
                    value: Reference::TargetGroupDimension(names.target_group.clone()),
                },
            ],
        };
        list.push(alarm(
            "http-5xx",
            format!("{}: more than {count} 5xx answers a minute for 3 minutes", names.full_name),
            metric,
        ));
    }
    list
}

/// What an alarm watches.
struct Metric {
    name: &'static str,
    namespace: &'static str,
    statistic: &'static str,
    periods: i64,
    threshold: i64,
    dimensions: Vec<Dimension>,
}

impl Metric {
    fn ecs(name: &'static str, threshold: i64, dimensions: Vec<Dimension>) -> Self {
        Metric { name, namespace: "AWS/ECS", statistic: "Average", periods: 5, threshold, dimensions }
    }
}
