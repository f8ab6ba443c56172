"""Listener-rule `Transforms` (host-header-rewrite, url-rewrite) in moto's ELBv2, and applying them.

AWS (since October 2025) accepts `Transforms` on CreateRule and ModifyRule and returns them in
every `Rule` (CreateRule, ModifyRule, DescribeRules, SetRulePriorities). moto 5.2.5 ignores them.
moto serializes its rule objects with the botocore model, which knows `Rule.Transforms`, so a rule
only needs a `transforms` attribute in the model's shape to be answered as AWS answers it:

    <Transforms><member><Type>url-rewrite</Type><UrlRewriteConfig><Rewrites><member>
      <Regex>^/stage/auth/(.*)$</Regex><Replace>/$1</Replace></member></Rewrites>
    </UrlRewriteConfig></member></Transforms>

What is validated (ValidationError, 400, before anything changes), with its source:

- ELBv2 API Reference, CreateRule/ModifyRule `Transforms`: "You can add one host header rewrite
  transform and one URL rewrite transform." ModifyRule: "If you specify `Transforms`, you can't
  specify `ResetTransforms`." RuleTransform: `Type` is required, `host-header-rewrite` or
  `url-rewrite`; `HostHeaderRewriteConfig`/`UrlRewriteConfig`: "Specify only when `Type` is ...".
  RewriteConfig: `Regex` and `Replace` are required, "The maximum length of the string is 1,024
  characters."
- ALB guide, "Transforms for listener rules": "You can't add a transform to a default rule."
- ALB guide, "Listener rules": "The regular expressions used in rule conditions and rule transforms
  do not support the following features: lookaheads, lookbehinds, backreferences, atomic groups,
  possessive quantifiers, subroutines, recursion, and Unicode character classes (such as \\p{L})."
  Those, and anything Python's `re` cannot compile, are refused.
- Exactly one rewrite per transform, and a Regex and Replace of at least one character: not in the
  API reference; the Terraform AWS provider's change that added transforms (hashicorp/
  terraform-provider-aws#44702) found that "the AWS API accepts only one `rewrite` entry" and
  validates both strings as 1 to 1,024 characters.

ModifyRule follows the API reference: "Any properties that you do not specify are unchanged", so
a ModifyRule without `Transforms` keeps them; `ResetTransforms=true` ("Indicates whether to remove
all transforms from the rule") removes them. A ModifyRule that only changes transforms is valid
(moto refused a ModifyRule without Conditions or Actions). An empty `Transforms` list is refused:
ResetTransforms is the documented way to remove them.

Applying a transform (the ALB data plane, `alb_data_plane`): ALB guide, "Transforms for listener
rules": "If there is no pattern match, the original request is sent to the target. If there is a
pattern match but the transform fails, we return an HTTP 500 error." `$1`, `${1}` in Replace are
capture groups (RewriteConfig: "You can specify capture groups in the regular expression (for
example, $1 and $2)"), `$0` the whole match, `$$` a dollar sign. The first match is replaced. A
reference to a group the regex does not have is a failed transform.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parser  # type: ignore[import-not-found]
from typing import Any

from moto.core.responses import ActionResult
from moto.elbv2.exceptions import ValidationError
from moto.elbv2.responses import ELBV2Response

from .locking import EXTENSION_LOCK

HOST_HEADER_REWRITE, URL_REWRITE = "host-header-rewrite", "url-rewrite"
CONFIG_MEMBER = {HOST_HEADER_REWRITE: "HostHeaderRewriteConfig", URL_REWRITE: "UrlRewriteConfig"}
MAX_REWRITE_LENGTH = 1024
# The regex features the ALB guide says rule transforms do not support, as Python's parser names them.
UNSUPPORTED_FEATURES = {
    sre_constants.ASSERT: "lookaheads and lookbehinds",
    sre_constants.ASSERT_NOT: "lookaheads and lookbehinds",
    sre_constants.GROUPREF: "backreferences",
    sre_constants.GROUPREF_EXISTS: "backreferences",
    sre_constants.ATOMIC_GROUP: "atomic groups",
    sre_constants.POSSESSIVE_REPEAT: "possessive quantifiers",
}
_REFERENCE = re.compile(r"\$(?:(\d+)|\{(\d+)\}|(\$))")


class TransformFailed(Exception):
    """A transform matched but could not produce a value (the ALB answers 500)."""


# --- validation -------------------------------------------------------------------------------


def parse(raw: Any) -> list[dict[str, Any]]:
    """The validated transforms in the `RuleTransform` shape; raises moto's ValidationError."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError(
            "Transforms must be a non-empty list (leave it out for none; ModifyRule removes them with ResetTransforms)"
        )
    seen: set[str] = set()
    result = []
    for index, transform in enumerate(raw, start=1):
        where = f"Transforms.member.{index}"
        if not isinstance(transform, dict):
            raise ValidationError(f"{where} must be a RuleTransform")
        kind = transform.get("Type")
        if kind not in CONFIG_MEMBER:
            raise ValidationError(
                f"{where}.Type must be one of {HOST_HEADER_REWRITE}, {URL_REWRITE}, not {kind!r}"
            )
        if kind in seen:
            raise ValidationError(f"A rule can have at most one '{kind}' transform")
        seen.add(kind)
        member = CONFIG_MEMBER[kind]
        other = CONFIG_MEMBER[HOST_HEADER_REWRITE if kind == URL_REWRITE else URL_REWRITE]
        if transform.get(other) is not None:
            raise ValidationError(f"{where}: {other} can be specified only when Type is '{_type_of(other)}'")
        config = transform.get(member)
        if not isinstance(config, dict):
            raise ValidationError(f"{where}: a '{kind}' transform needs {member}")
        rewrites = config.get("Rewrites")
        if not isinstance(rewrites, list) or len(rewrites) != 1:
            raise ValidationError(f"{where}.{member}.Rewrites must contain exactly one rewrite")
        rewrite = _parse_rewrite(rewrites[0], f"{where}.{member}.Rewrites.member.1")
        result.append({"Type": kind, member: {"Rewrites": [rewrite]}})
    return result


def _type_of(member: str) -> str:
    return next(kind for kind, name in CONFIG_MEMBER.items() if name == member)


def _parse_rewrite(rewrite: Any, where: str) -> dict[str, str]:
    if not isinstance(rewrite, dict):
        raise ValidationError(f"{where} must be a RewriteConfig")
    for name in ("Regex", "Replace"):
        value = rewrite.get(name)
        if not isinstance(value, str) or not value:
            raise ValidationError(f"{where}.{name} is required")
        if len(value) > MAX_REWRITE_LENGTH:
            raise ValidationError(f"{where}.{name} is longer than {MAX_REWRITE_LENGTH} characters")
    check_regex(rewrite["Regex"], f"{where}.Regex")
    return {"Regex": rewrite["Regex"], "Replace": rewrite["Replace"]}


def check_regex(pattern: str, where: str) -> None:
    try:
        parsed = sre_parser.parse(pattern)
        re.compile(pattern)
    except re.error as error:
        raise ValidationError(f"{where} is not a valid regular expression: {error}") from error
    unsupported = sorted(_features(parsed))
    if unsupported:
        raise ValidationError(
            f"{where} uses {', '.join(unsupported)}, which rule transforms do not support"
        )


def _features(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, sre_parser.SubPattern):
        for opcode, argument in node:
            if opcode in UNSUPPORTED_FEATURES:
                found.add(UNSUPPORTED_FEATURES[opcode])
            found |= _features(argument)
    elif isinstance(node, (list, tuple)):
        for item in node:
            found |= _features(item)
    return found


# --- the rule attribute moto serializes -------------------------------------------------------


def transforms_of(rule: Any) -> list[dict[str, Any]]:
    return list(getattr(rule, "transforms", None) or [])


def _set(rule: Any, transforms: list[dict[str, Any]]) -> None:
    if transforms:
        rule.transforms = transforms
    elif "transforms" in vars(rule):
        del rule.transforms


# --- applying ---------------------------------------------------------------------------------


def rewrite_of(transforms: list[dict[str, Any]], kind: str) -> dict[str, str] | None:
    for transform in transforms:
        if transform.get("Type") == kind:
            return transform[CONFIG_MEMBER[kind]]["Rewrites"][0]
    return None


def apply(rewrite: dict[str, str] | None, value: str) -> str:
    """`value` with the first match of the rewrite's Regex replaced; unchanged without a match."""
    if rewrite is None:
        return value
    match = re.search(rewrite["Regex"], value)
    if match is None:
        return value
    return value[: match.start()] + _expand(rewrite["Replace"], match) + value[match.end() :]


def _expand(replace: str, match: re.Match[str]) -> str:
    def group(reference: re.Match[str]) -> str:
        if reference.group(3):
            return "$"
        number = int(reference.group(1) or reference.group(2))
        if number > (match.re.groups or 0):
            raise TransformFailed(
                f"Replace refers to ${number}, but {match.re.pattern!r} has {match.re.groups} group(s)"
            )
        return match.group(number) or ""

    return _REFERENCE.sub(group, replace)


# --- moto patches -----------------------------------------------------------------------------


def install() -> None:
    original_create = ELBV2Response.create_rule
    original_modify = ELBV2Response.modify_rule

    def create_rule(self: ELBV2Response) -> Any:
        with EXTENSION_LOCK:
            params = self._get_params()
            transforms = parse(params["Transforms"]) if params.get("Transforms") is not None else []
            result = original_create(self)
            [rule] = result.result["Rules"]
            _set(rule, transforms)
            return result

    def modify_rule(self: ELBV2Response) -> Any:
        with EXTENSION_LOCK:
            params = self._get_params()
            has_transforms = params.get("Transforms") is not None
            reset = params.get("ResetTransforms")
            if has_transforms and reset is not None:
                raise ValidationError("You cannot specify both Transforms and ResetTransforms")
            transforms = parse(params["Transforms"]) if has_transforms else None
            [rule] = self.elbv2_backend.describe_rules(listener_arn=None, rule_arns=[params.get("RuleArn")])
            if transforms and getattr(rule, "is_default", False):
                raise ValidationError("You can't add a transform to a default rule")
            if not params.get("Conditions") and not params.get("Actions") and (has_transforms or reset):
                result: Any = ActionResult({"Rules": [rule]})  # moto refuses a ModifyRule without both
            else:
                result = original_modify(self)
            if transforms is not None:
                _set(rule, transforms)
            elif reset:
                _set(rule, [])
            return result

    create_rule.__doc__ = "CreateRule: moto's, plus validated Transforms stored on the rule."
    modify_rule.__doc__ = "ModifyRule: moto's, plus Transforms kept, replaced or reset."
    ELBV2Response.create_rule = create_rule
    ELBV2Response.modify_rule = modify_rule
