"""Validation AWS does and moto 5.2.5 does not, for the requests ecsdeploy sends.

The emulator is at least as strict as AWS: each module refuses what AWS documents it refuses, with
the service's error code and message shape, before moto changes anything (and no stricter than
AWS where the documentation says what AWS accepts). One module per service:

- `elbv2_rules`: CreateRule/SetRulePriorities priority 1-50000; CreateRule/ModifyRule at most 5
  condition values and 5 wildcards per rule.
- `ecs`: RegisterTaskDefinition Fargate task sizes, `secrets[].valueFrom`, execution role for
  secrets; CreateService launchType with capacityProviderStrategy; CreateService/UpdateService
  target groups without a load balancer, container names and ports not in the task definition.
- `iam`: CreateRole role names; PutRolePolicy inline policy size.
- `logs`: PutRetentionPolicy retention periods.
- `tags`: `aws:` tag keys on the tagging calls of ECS, ELBv2, IAM, Logs, ECR, Secrets Manager.

`WRAPS` lists `(moto class, method, replacement)`; `patches.install()` wraps each with its `_wrap`,
after the extension's other wraps, so these checks run first.
"""

from __future__ import annotations

from . import ecs, elbv2_rules, iam, logs, tags
from .common import Wrap

WRAPS: list[Wrap] = [*elbv2_rules.WRAPS, *ecs.WRAPS, *iam.WRAPS, *logs.WRAPS, *tags.WRAPS]
