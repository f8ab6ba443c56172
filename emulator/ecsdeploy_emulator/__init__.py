"""The ecsdeploy test emulator: moto's own server with a small extension that models ECS rollouts.

Stock moto never runs an ECS rollout: a service's single deployment is frozen at create time and
every load-balancer target is always healthy. This package layers onto moto's backend classes
(same process, pinned moto version) what ecsdeploy's rollout gate needs to be tested honestly:

- `rollout`       deployments that progress over DescribeServices polls, fail, roll back or stick
- `deployment`    the ECS `Deployment` value and the simulated tasks behind it
- `events`        service event messages worded as ECS words them
- `targets`       registration of simulated task IPs in target groups, per-target health
- `service_fields` CreateService/UpdateService/ListServices fidelity fixes
- `scripts`       the per-account queue of scripted rollout outcomes
- `patches`       wires the above into moto's classes
- `control_api`   the test-only `/_ecsdeploy/` HTTP endpoints
- `accounts`      fresh isolated accounts with an access key
- `iam_enforcement` `--enforce-iam`: every AWS request authorized against the caller's policies
- `iam_resources` the actions, resource ARNs and context keys a request is authorized on
- `cbor_gateway`  CloudWatch over Smithy RPC v2 CBOR (the AWS SDK for Rust), answered by moto
- `rpcv2_cbor`    that wire protocol; `cbor_values` its values typed by the botocore model
- `cloudwatch_alarms` DescribeAlarms types/order/pages, alarm tags on update and delete
- `world`         the standard test world (VPC, subnets, certificate, zone, secrets)
- `server`        the WSGI app and the HTTP server

Nothing in this package may import moto at import time of `ecsdeploy_emulator` itself: moto reads
some settings from the environment when its modules load, and `__main__` sets them first.
"""
