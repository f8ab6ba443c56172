//! The least-privilege IAM policy of the principal that runs ecsdeploy for one environment
//! (`ecsdeploy policy --env E`): every action `plan`, `up`, `rollback`, `destroy`,
//! `repositories`, `status`, `history` and `lock` call, each on the resources it acts on where
//! IAM can scope the action, by name pattern.
//!
//! Patterns rather than today's exact names, so that the policy still allows removing a service
//! the manifest no longer lists (its resources carry the environment's names). Actions IAM cannot
//! scope to a resource (`RegisterTaskDefinition`, `Describe*`, Application Auto Scaling) are
//! granted on `*`, as AWS documents for them. `secrets set`, `build` and `import` are operator
//! commands with permissions of their own (see docs/ci.md). Pure: no AWS call.

use crate::desired::context::Context;
use crate::desired::iam::{PolicyDocument, Statement, allow};
use crate::desired::reference::Template;
use crate::desired::{DesiredEnvironment, names};
use crate::manifest::{Environment, Manifest};

/// The policy for `environment` of `manifest`, with ARNs in `context`'s region and account (the
/// account may be `*`).
pub fn deployer_policy(
    manifest: &Manifest,
    environment: &Environment,
    desired: &DesiredEnvironment,
    context: &Context,
) -> PolicyDocument {
    let project = &manifest.project.name.value;
    let env = &environment.name.value;
    let prefix = &environment.prefix.value;
    let cluster = &manifest.project.cluster.value;
    let load_balancer = environment.load_balancer_name(&manifest.project);
    let arn = |service: &str, resource: &str| context.arn(service, resource);
    let roles = context.global_arn("iam", &format!("role{}{project}-{env}-*", names::ROLE_PATH));
    let mut statements = vec![
        allow("ReadAndUnscopedActions", UNSCOPED_ACTIONS, vec![Template::literal("*")]),
        allow(
            "Cluster",
            &[
                "ecs:CreateCluster",
                "ecs:PutClusterCapacityProviders",
                "ecs:DeleteCluster",
                "ecs:TagResource",
                "ecs:UntagResource",
            ],
            vec![arn("ecs", &format!("cluster/{cluster}"))],
        ),
        allow(
            "Services",
            &["ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService", "ecs:TagResource", "ecs:UntagResource"],
            vec![
                arn("ecs", &format!("service/{cluster}/{prefix}*")),
                arn("ecs", &format!("task-definition/{prefix}*:*")),
            ],
        ),
        allow(
            "Roles",
            &[
                "iam:CreateRole",
                "iam:GetRole",
                "iam:DeleteRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
            ],
            vec![roles.clone()],
        ),
        Statement {
            condition: Some(
                serde_json::json!({ "StringEquals": { "iam:PassedToService": "ecs-tasks.amazonaws.com" } }),
            ),
            ..allow("PassOwnRolesToTasks", &["iam:PassRole"], passed_roles(environment, roles))
        },
        Statement {
            condition: Some(serde_json::json!({ "StringEquals": { "iam:AWSServiceName": [
                "ecs.amazonaws.com",
                "elasticloadbalancing.amazonaws.com",
                "ecs.application-autoscaling.amazonaws.com",
            ] } })),
            ..allow(
                "ServiceLinkedRoles",
                &["iam:CreateServiceLinkedRole"],
                vec![context.global_arn("iam", "role/aws-service-role/*")],
            )
        },
        allow(
            "SharedLoadBalancer",
            &[
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            vec![
                arn("elasticloadbalancing", &format!("loadbalancer/app/{load_balancer}/*")),
                arn("elasticloadbalancing", &format!("listener/app/{load_balancer}/*")),
            ],
        ),
        allow(
            "RulesAndTargetGroups",
            &[
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            target_groups_and_rules(manifest, environment, context),
        ),
        allow(
            "SecurityGroups",
            &[
                "ec2:CreateSecurityGroup",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            vec![arn("ec2", "security-group/*"), arn("ec2", "vpc/*")],
        ),
        allow(
            "LogGroups",
            &[
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:ListTagsForResource",
            ],
            vec![
                arn("logs", &format!("log-group:/ecs/{project}/{env}/*")),
                arn("logs", &format!("log-group:/ecs/{project}/{env}/*:*")),
            ],
        ),
        allow(
            "Alarms",
            &[
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
                "cloudwatch:ListTagsForResource",
            ],
            vec![arn("cloudwatch", &format!("alarm:{project}-{env}-*"))],
        ),
        allow(
            "DeployHistoryAndLock",
            &[
                "dynamodb:CreateTable",
                "dynamodb:DescribeTable",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:PutItem",
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:TagResource",
            ],
            vec![arn("dynamodb", &format!("table/ecsdeploy-history-{project}"))],
        ),
    ];
    let repositories: Vec<Template> = desired
        .shared
        .repositories
        .iter()
        .map(|repository| arn("ecr", &format!("repository/{}", repository.repository_name)))
        .collect();
    if !repositories.is_empty() {
        statements.push(allow("Repositories", REPOSITORY_ACTIONS, repositories));
    }
    let zone = manifest.project.dns.as_ref().map(|dns| dns.zone_id.as_ref().map_or("*", |id| id.value.as_str()));
    if let Some(zone) = zone {
        let actions = &["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"];
        // Route 53 ARNs name neither a region nor an account.
        let zone = Template::literal(format!("arn:{}:route53:::hostedzone/{zone}", context.partition()));
        statements.push(allow("DnsRecords", actions, vec![zone]));
    }
    statements.extend(secret_statements(environment, desired, context));
    PolicyDocument { version: "2012-10-17".into(), statement: statements, other: Default::default() }
}

/// Reads, and the actions IAM cannot scope to a resource.
/// Reads (as `Describe*` where a service's describes are all reads of configuration, to keep
/// the policy under IAM's size limit for a managed policy), and the actions IAM cannot scope to a
/// resource.
const UNSCOPED_ACTIONS: &[&str] = &[
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:ListTaskDefinitions",
    // Clusters, services, task definitions: reads of configuration, like ELBv2's.
    "ecs:Describe*",
    "ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "elasticloadbalancing:Describe*",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeRouteTables",
    "ec2:DescribeVpcEndpoints",
    "ecr:GetAuthorizationToken",
    "ecr:DescribeRepositories",
    "iam:ListRoles",
    // Every role's tags and inline policies in one call; without it, two calls per role.
    "iam:GetAccountAuthorizationDetails",
    // The tags of alarms, log groups and repositories in a few calls; without it, one per resource.
    "tag:GetResources",
    "logs:DescribeLogGroups",
    "cloudwatch:DescribeAlarms",
    "application-autoscaling:Describe*",
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:DeleteScalingPolicy",
    "secretsmanager:ListSecrets",
    "route53:ListHostedZones",
    "route53:ListHostedZonesByName",
    "route53:GetChange",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "dynamodb:ListTables",
];

const REPOSITORY_ACTIONS: &[&str] = &[
    "ecr:CreateRepository",
    "ecr:PutImageTagMutability",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutLifecyclePolicy",
    "ecr:GetLifecyclePolicy",
    "ecr:DeleteLifecyclePolicy",
    "ecr:TagResource",
    "ecr:UntagResource",
    "ecr:ListTagsForResource",
    "ecr:DescribeImages",
    "ecr:DescribeImageScanFindings",
    "ecr:BatchGetImage",
    "ecr:PutImage",
];

/// ecsdeploy's roles of the environment, and the roles the manifest names for services to use.
fn passed_roles(environment: &Environment, own: Template) -> Vec<Template> {
    let mut roles = vec![own];
    for service in environment.enabled_services() {
        for role in [&service.execution_role, &service.task_role].into_iter().flatten() {
            roles.push(Template::literal(role.value.clone()));
        }
    }
    roles.sort();
    roles.dedup();
    roles
}

/// The environment's target groups (by ecsdeploy's naming, and any names the manifest gives)
/// and the rules and listeners of the shared ALB.
fn target_groups_and_rules(manifest: &Manifest, environment: &Environment, context: &Context) -> Vec<Template> {
    let load_balancer = environment.load_balancer_name(&manifest.project);
    let project = &manifest.project.name.value;
    let mut resources = vec![
        context.arn("elasticloadbalancing", &format!("listener-rule/app/{load_balancer}/*")),
        context.arn("elasticloadbalancing", &format!("listener/app/{load_balancer}/*")),
        context.arn("elasticloadbalancing", &format!("targetgroup/{project}-{}*/*", environment.prefix.value)),
    ];
    for service in environment.enabled_services() {
        if let Some(name) = &service.target_group_name {
            resources.push(context.arn("elasticloadbalancing", &format!("targetgroup/{}/*", name.value)));
        }
    }
    resources.sort();
    resources.dedup();
    resources
}

/// Secrets: their metadata (never values) under the environment's prefix and those named by
/// ARN; rotation settings on them; invoking the rotation functions the manifest names (which
/// RotateSecret requires of its caller).
fn secret_statements(environment: &Environment, desired: &DesiredEnvironment, context: &Context) -> Vec<Statement> {
    let mut secrets = vec![context.arn("secretsmanager", &format!("secret:{}*", environment.secret_prefix.value))];
    for service in &desired.services {
        for container in &service.task_definition.container_definitions {
            for secret in &container.secrets {
                if let crate::desired::task_definition::SecretIdentity::Arn(arn) = &secret.secret {
                    secrets.push(Template::literal(format!("{}*", arn.trim_end_matches('*'))));
                }
            }
        }
    }
    secrets.sort();
    secrets.dedup();
    let mut statements = vec![
        allow("SecretMetadata", &["secretsmanager:DescribeSecret"], secrets.clone()),
        allow(
            "SecretRotationSettings",
            &[
                "secretsmanager:RotateSecret",
                "secretsmanager:CancelRotateSecret",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
            ],
            vec![secrets[0].clone()],
        ),
    ];
    let mut functions: Vec<Template> =
        desired.secret_rotations.iter().map(|rotation| rotation.rotation_lambda_arn.clone()).collect();
    functions.sort();
    functions.dedup();
    if !functions.is_empty() {
        statements.push(allow("RotationFunctions", &["lambda:InvokeFunction"], functions));
    }
    statements
}

/// The policy's size as IAM counts it for a managed policy (whitespace not counted): AWS allows
/// 6,144 characters.
pub fn policy_size(document: &PolicyDocument) -> usize {
    serde_json::to_string(document).map_or(0, |text| text.chars().filter(|c| !c.is_whitespace()).count())
}

/// AWS's limit for a customer managed policy.
pub const MANAGED_POLICY_LIMIT: usize = 6_144;
