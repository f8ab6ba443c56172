"""Application Load Balancer attributes as AWS answers them (see alb_attributes)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import EcsWorld

ALB_DEFAULTS = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "client_keep_alive.seconds": "3600",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "deletion_protection.enabled": "false",
    "health_check_logs.s3.enabled": "false",
    "health_check_logs.s3.bucket": "",
    "health_check_logs.s3.prefix": "",
    "idle_timeout.timeout_seconds": "60",
    "ipv6.deny_all_igw_traffic": "false",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.x_amzn_tls_kx.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
    "zonal_shift.config.enabled": "false",
}


def attributes(elbv2: Any, arn: str) -> dict[str, str]:
    answered = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    as_dict = {attribute["Key"]: attribute["Value"] for attribute in answered}
    assert len(as_dict) == len(answered), "each key once"
    return as_dict


def internet_facing(world: EcsWorld) -> str:
    return world.elbv2.create_load_balancer(Name="public", Subnets=world.subnet_ids)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]


def test_a_new_application_load_balancer_reports_every_attribute_with_aws_defaults(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, `LoadBalancerAttribute`: the attributes an Application Load Balancer
    supports and their defaults, e.g. "idle_timeout.timeout_seconds - The idle timeout value, in
    seconds. The valid range is 1-4000 seconds. The default is 60 seconds.", "routing.http2.enabled
    ... The default is true.", "routing.http.drop_invalid_header_fields.enabled ... The default is
    false.", "load_balancing.cross_zone.enabled ... The default for Application Load Balancers is
    true", "ipv6.deny_all_igw_traffic ... It is set to false for internet-facing load balancers and
    true for internal load balancers". ALB guide, "Edit attributes for your Application Load
    Balancer": "By default, ELB sets the idle timeout value for your load balancer to 60 seconds."
    moto answered four attributes, without idle_timeout.timeout_seconds."""
    assert attributes(ecs_world.elbv2, internet_facing(ecs_world)) == ALB_DEFAULTS
    internal = attributes(ecs_world.elbv2, ecs_world.load_balancer_arn)
    assert internal == {**ALB_DEFAULTS, "ipv6.deny_all_igw_traffic": "true"}


def test_modify_sets_valid_values_and_answers_every_attribute(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, ModifyLoadBalancerAttributes: "If any of the specified attributes
    can't be modified as requested, the call fails. Any existing attributes that you do not modify
    retain their current values." The answer lists the load balancer's attributes."""
    arn = internet_facing(ecs_world)
    changed = ecs_world.elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[
            {"Key": "idle_timeout.timeout_seconds", "Value": "4000"},
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        ],
    )["Attributes"]
    expected = {
        **ALB_DEFAULTS,
        "idle_timeout.timeout_seconds": "4000",
        "routing.http.drop_invalid_header_fields.enabled": "true",
    }
    assert {attribute["Key"]: attribute["Value"] for attribute in changed} == expected
    assert attributes(ecs_world.elbv2, arn) == expected
    ecs_world.elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "1"}]
    )
    assert attributes(ecs_world.elbv2, arn)["idle_timeout.timeout_seconds"] == "1"
    assert attributes(ecs_world.elbv2, arn)["routing.http.drop_invalid_header_fields.enabled"] == "true"


@pytest.mark.parametrize(
    ("key", "value", "code", "message"),
    [
        ("idle_timeout.timeout_seconds", "0", "ValidationError", "from 1 to 4000"),
        ("idle_timeout.timeout_seconds", "4001", "ValidationError", "from 1 to 4000"),
        ("idle_timeout.timeout_seconds", "sixty", "ValidationError", "from 1 to 4000"),
        ("client_keep_alive.seconds", "59", "ValidationError", "from 60 to 604800"),
        ("routing.http.drop_invalid_header_fields.enabled", "yes", "ValidationError", "true, false"),
        ("routing.http2.enabled", "True", "ValidationError", "true, false"),
        ("deletion_protection.enabled", "", "ValidationError", "true, false"),
        ("routing.http.desync_mitigation_mode", "lenient", "ValidationError", "monitor, defensive, strictest"),
        ("routing.http.xff_header_processing.mode", "drop", "ValidationError", "append, preserve, remove"),
        ("idle_timeout.seconds", "60", "ValidationError", "Load balancer attribute key 'idle_timeout.seconds' is not recognized"),
        (
            "dns_record.client_routing_policy",
            "any_availability_zone",
            "InvalidConfigurationRequest",
            "Load balancer attribute key 'dns_record.client_routing_policy' is not supported on load balancers with type 'application'",
        ),
        ("load_balancing.cross_zone.enabled", "false", "InvalidConfigurationRequest", "cannot be disabled"),
    ],
)
def test_modify_refuses_invalid_keys_and_values_and_changes_nothing(
    ecs_world: EcsWorld, key: str, value: str, code: str, message: str
) -> None:
    """ELBv2 API Reference, `LoadBalancerAttribute` (the valid values of each key: idle timeout
    1-4000 seconds, client keep alive 60-604800 seconds, booleans "true or false", desync
    mitigation "monitor, defensive, and strictest", X-Forwarded-For processing "append, preserve,
    and remove"; cross-zone on an ALB "is true, and can't be changed"). ModifyLoadBalancerAttributes:
    "If any of the specified attributes can't be modified as requested, the call fails." AWS answers
    an unknown key with ValidationError "Load balancer attribute key '...' is not recognized" and a
    key of another load balancer type with InvalidConfigurationRequest "... is not supported on
    load balancers with type '...'" (as recorded by the Terraform AWS provider); the message for a
    bad value is not documented (ours), the code is ValidationError. moto accepted any value."""
    arn = internet_facing(ecs_world)
    with pytest.raises(ClientError) as refused:
        ecs_world.elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn,
            Attributes=[
                {"Key": "deletion_protection.enabled", "Value": "true"},
                {"Key": key, "Value": value},
            ],
        )
    assert refused.value.response["Error"]["Code"] == code
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in refused.value.response["Error"]["Message"]
    assert attributes(ecs_world.elbv2, arn) == ALB_DEFAULTS


def test_modify_refuses_more_than_twenty_attributes(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, ModifyLoadBalancerAttributes, `Attributes.member.N`: "Array Members:
    Maximum number of 20 items." (the service's constraint error, ValidationError)."""
    arn = internet_facing(ecs_world)
    many = [{"Key": key, "Value": value} for key, value in ALB_DEFAULTS.items()][:21]
    elbv2 = ecs_world.account.unvalidated_client("elbv2")
    with pytest.raises(ClientError) as refused:
        elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=many)
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "less than or equal to 20" in refused.value.response["Error"]["Message"]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=many[:20])
