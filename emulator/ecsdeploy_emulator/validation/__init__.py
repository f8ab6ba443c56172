"""Validation AWS does and moto 5.2.5 does not, for the requests ecsdeploy sends.

The emulator is at least as strict as AWS: each module refuses what AWS documents it refuses, with
the service's error code and message shape, before moto changes anything (and no stricter than
AWS where the documentation says what AWS accepts). One module per service:

- `elbv2_rules`: CreateRule/SetRulePriorities priority 1-50000; CreateRule/ModifyRule at most 5
  condition values and 5 wildcards per rule.
- `elbv2_quotas`: Application Load Balancer quotas, per account (lowered through the control API):
  CreateRule TooManyRules past 100 non-default rules per load balancer; CreateRule, ModifyRule,
  CreateListener, ModifyListener TooManyUniqueTargetGroupsPerLoadBalancer past 100 distinct target
  groups per load balancer.
- `ecs`: RegisterTaskDefinition Fargate task sizes, `secrets[].valueFrom`, execution role for
  secrets; CreateService launchType with capacityProviderStrategy; CreateService/UpdateService
  target groups without a load balancer, container names and ports not in the task definition.
- `iam`: CreateRole role names; PutRolePolicy inline policy size.
- `logs`: PutRetentionPolicy retention periods.
- `tags`: `aws:` tag keys on the tagging calls of ECS, ELBv2, IAM, Logs, ECR, Secrets Manager.
- `ec2`: DeleteSecurityGroup of a group in use (DependencyViolation).
- `elbv2_deletion`: DeleteLoadBalancer with deletion protection on (OperationNotPermitted).
- `elbv2_tags`: DescribeTags of more than 20 resources, or of one that does not exist.
- `dynamodb`: DeleteTable of a protected table (AWS's message), point-in-time recovery periods.
- `route53`: ChangeResourceRecordSets CREATE of an existing record, DELETE of a missing or
  different one, TXT values not in quoted strings of at most 255 characters.

`WRAPS` lists `(moto class, method, replacement)`; `patches.install()` wraps each with its `_wrap`,
after the extension's other wraps, so these checks run first. Within the list a later wrap runs
earlier: `elbv2_quotas` is first, so a request's own errors (priority, conditions, `aws:` tags) are
answered before a quota is counted.
"""

from __future__ import annotations

from . import dynamodb, ec2, ecs, elbv2_deletion, elbv2_quotas, elbv2_rules, elbv2_tags, iam, logs, route53, tags
from .common import Wrap

WRAPS: list[Wrap] = [
    *elbv2_quotas.WRAPS,
    *elbv2_rules.WRAPS,
    *ecs.WRAPS,
    *iam.WRAPS,
    *logs.WRAPS,
    *tags.WRAPS,
    *ec2.WRAPS,
    *elbv2_deletion.WRAPS,
    *elbv2_tags.WRAPS,
    *dynamodb.WRAPS,
    *route53.WRAPS,
]
