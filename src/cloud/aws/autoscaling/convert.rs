//! Application Auto Scaling conversions, pure: scalable targets and target-tracking policies as
//! DescribeScalableTargets and DescribeScalingPolicies return them, normalised into the desired
//! [`ScalableTarget`] and [`ScalingPolicy`] shapes (AWS's defaults written: the 300 s cooldowns,
//! scale-in enabled), and a policy's configuration as PutScalingPolicy takes it.

use crate::desired::Reference;
use crate::desired::scaling::{PredefinedMetric, ScalableTarget, ScalingPolicy, TargetTracking};
use crate::desired::tags::Tags;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PredefinedMetricSpecification, TargetTrackingScalingPolicyConfiguration,
};

/// What Application Auto Scaling uses for an ECS service when a policy names no cooldown.
const DEFAULT_COOLDOWN_SECONDS: i64 = 300;

/// The target in the desired shape. Its tags cannot be read (see the reader, `read_scaling`), so
/// they read as none; plan does not compare this field.
pub(crate) fn read_target(target: &aws_sdk_applicationautoscaling::types::ScalableTarget) -> ScalableTarget {
    ScalableTarget {
        service_namespace: target.service_namespace().as_str().to_string(),
        resource_id: target.resource_id().to_string(),
        scalable_dimension: target.scalable_dimension().as_str().to_string(),
        min_capacity: i64::from(target.min_capacity()),
        max_capacity: i64::from(target.max_capacity()),
        tags: Tags::default(),
    }
}

/// The policy in the desired shape. A policy of another kind (step scaling, a customised metric)
/// reads with what it has and empty values elsewhere, so that it differs from any desired policy.
pub(crate) fn read_policy(policy: &aws_sdk_applicationautoscaling::types::ScalingPolicy) -> ScalingPolicy {
    ScalingPolicy {
        policy_name: policy.policy_name().to_string(),
        service_namespace: policy.service_namespace().as_str().to_string(),
        resource_id: policy.resource_id().to_string(),
        scalable_dimension: policy.scalable_dimension().as_str().to_string(),
        policy_type: policy.policy_type().as_str().to_string(),
        target_tracking_scaling_policy_configuration: read_tracking(
            policy.target_tracking_scaling_policy_configuration(),
        ),
    }
}

fn read_tracking(configuration: Option<&TargetTrackingScalingPolicyConfiguration>) -> TargetTracking {
    let metric = configuration.and_then(TargetTrackingScalingPolicyConfiguration::predefined_metric_specification);
    let cooldown = |seconds: Option<i32>| seconds.map_or(DEFAULT_COOLDOWN_SECONDS, i64::from);
    TargetTracking {
        target_value: configuration.map_or(0.0, TargetTrackingScalingPolicyConfiguration::target_value),
        predefined_metric_specification: PredefinedMetric {
            predefined_metric_type: metric.map(|m| m.predefined_metric_type().as_str().to_string()).unwrap_or_default(),
            resource_label: metric.and_then(|m| m.resource_label()).map(Reference::known),
        },
        scale_in_cooldown: cooldown(
            configuration.and_then(TargetTrackingScalingPolicyConfiguration::scale_in_cooldown),
        ),
        scale_out_cooldown: cooldown(
            configuration.and_then(TargetTrackingScalingPolicyConfiguration::scale_out_cooldown),
        ),
        // Absent means scale-in is enabled.
        disable_scale_in: configuration
            .and_then(TargetTrackingScalingPolicyConfiguration::disable_scale_in)
            .unwrap_or(false),
    }
}

/// The target-tracking configuration PutScalingPolicy sends.
pub(crate) fn tracking_configuration(
    tracking: &TargetTracking,
) -> Result<TargetTrackingScalingPolicyConfiguration, String> {
    let metric = &tracking.predefined_metric_specification;
    let cooldown = |seconds: i64| i32::try_from(seconds).map_err(|error| error.to_string());
    let specification = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::from(metric.predefined_metric_type.as_str()))
        .set_resource_label(metric.resource_label.as_ref().map(ToString::to_string))
        .build()
        .map_err(|error| error.to_string())?;
    TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(tracking.target_value)
        .predefined_metric_specification(specification)
        .scale_in_cooldown(cooldown(tracking.scale_in_cooldown)?)
        .scale_out_cooldown(cooldown(tracking.scale_out_cooldown)?)
        .disable_scale_in(tracking.disable_scale_in)
        .build()
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_applicationautoscaling::types::{PolicyType, ScalableDimension, ServiceNamespace};

    #[test]
    fn absent_settings_read_as_aws_defaults() {
        let metric = PredefinedMetricSpecification::builder()
            .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
            .build()
            .expect("metric");
        let bare = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(60.0)
            .predefined_metric_specification(metric)
            .build()
            .expect("configuration");
        let read = read_tracking(Some(&bare));
        let expected = TargetTracking {
            target_value: 60.0,
            predefined_metric_specification: PredefinedMetric {
                predefined_metric_type: "ECSServiceAverageCPUUtilization".into(),
                resource_label: None,
            },
            scale_in_cooldown: 300,
            scale_out_cooldown: 300,
            disable_scale_in: false,
        };
        assert_eq!(read, expected);
        let written = tracking_configuration(&expected).expect("written");
        assert_eq!(read_tracking(Some(&written)), expected);
        assert_eq!(read_tracking(None).predefined_metric_specification.predefined_metric_type, "");
    }

    #[test]
    fn a_target_reads_with_its_capacity_and_without_tags() {
        let target = aws_sdk_applicationautoscaling::types::ScalableTarget::builder()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id("service/acme/stage-auth")
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .min_capacity(1)
            .max_capacity(4)
            .role_arn("arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/x")
            .creation_time(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .expect("target");
        let expected = ScalableTarget {
            service_namespace: "ecs".into(),
            resource_id: "service/acme/stage-auth".into(),
            scalable_dimension: "ecs:service:DesiredCount".into(),
            min_capacity: 1,
            max_capacity: 4,
            tags: Tags::default(),
        };
        assert_eq!(read_target(&target), expected);
    }

    #[test]
    fn a_policy_of_another_kind_reads_with_empty_tracking() {
        let policy = |configuration: Option<TargetTrackingScalingPolicyConfiguration>, kind: PolicyType| {
            aws_sdk_applicationautoscaling::types::ScalingPolicy::builder()
                .policy_arn("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1")
                .policy_name("stage-auth-cpu")
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id("service/acme/stage-auth")
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .policy_type(kind)
                .set_target_tracking_scaling_policy_configuration(configuration)
                .creation_time(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .expect("policy")
        };
        let step = read_policy(&policy(None, PolicyType::StepScaling));
        assert_eq!(step.policy_type, "StepScaling");
        assert_eq!(step.target_tracking_scaling_policy_configuration.target_value, 0.0);
        assert_eq!(
            step.target_tracking_scaling_policy_configuration.predefined_metric_specification.predefined_metric_type,
            ""
        );
        let desired = TargetTracking {
            target_value: 70.0,
            predefined_metric_specification: PredefinedMetric {
                predefined_metric_type: "ECSServiceAverageMemoryUtilization".into(),
                resource_label: None,
            },
            scale_in_cooldown: 60,
            scale_out_cooldown: 30,
            disable_scale_in: true,
        };
        let configuration = tracking_configuration(&desired).expect("configuration");
        let tracking = read_policy(&policy(Some(configuration), PolicyType::TargetTrackingScaling));
        assert_eq!(tracking.policy_type, "TargetTrackingScaling");
        assert_eq!(tracking.policy_name, "stage-auth-cpu");
        assert_eq!(tracking.target_tracking_scaling_policy_configuration, desired);
    }
}
