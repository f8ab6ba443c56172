"""Resource Groups Tagging API GetResources, answered from a tag index that lags the services.

AWS (Resource Groups Tagging API Reference, GetResources): "Returns all the tagged or previously
tagged resources that are located in the specified Amazon Web Services Region for the account."
The API is an index of the services' tags, not the services themselves: a resource just created or
just (re)tagged may be missing or show its previous tags, and a deleted resource may still be
listed for a while (AWS documents no figure). The emulator models that deterministically for the
five resource types ecsdeploy reads through it:

    cloudwatch:alarm                   arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME
    logs:log-group                     arn:aws:logs:REGION:ACCOUNT:log-group:NAME   (no `:*`)
    ecr:repository                     arn:aws:ecr:REGION:ACCOUNT:repository/NAME
    elasticloadbalancing:targetgroup   arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID
    elasticloadbalancing:loadbalancer  arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID

- Events: after every request that may change one of them (any CloudWatch, Logs, ECR, ELBv2 or
  Application Auto Scaling operation, and the Tagging API's own, whose name does not start with
  Describe, List or Get), the affected types of the request's account and Region are compared with
  the index's latest state, and each difference is recorded as an event at the account's simulated
  time (`clock`): present with these tags, or deleted. A GetResources compares all five first too,
  so a change made any other way is seen, at the latest, then (later, never earlier). Only changed
  requests of those services pay for a comparison, and it walks only that account and Region.
- Lag: each account has a tagging-index lag in simulated seconds (default 2, control API
  `PUT /_ecsdeploy/accounts/{id}/tagging-index {"lag_seconds": N}`, 0 allowed). GetResources
  answers from the state `lag` seconds ago: each resource's last event at or before `now - lag`.
  A resource created less than `lag` ago is absent; a retag less than `lag` ago shows the old tags;
  a resource deleted less than `lag` ago is still listed with its last tags.
- "Tagged or previously tagged": a resource is listed once it has had a tag; without TagFilters a
  previously tagged resource without tags now is listed with `"Tags": []` (TagFilters member:
  "Resources that were previously tagged, but do not currently have tags, are shown with an empty
  tag set"); a resource never tagged is not listed ("GetResources does not return untagged
  resources"). A deleted and re-created resource starts afresh.
- The ARNs are the ones each service's own tagging API takes: CloudWatch Logs API Reference,
  TagResource/ListTagsForResource `resourceArn` ("The ARN format of a log group is
  arn:aws:logs:Region:account-id:log-group:log-group-name", without the `:*` DescribeLogGroups'
  `arn` has); ECR API Reference, Repository `repositoryArn`; ELBv2 and CloudWatch as they name
  their resources. So an ARN from GetResources works with the service's ListTagsForResource, and the
  tags are the ones it answers (lag aside).

Other resource types keep moto's own GetResources behaviour (unlagged), merged into the same pages.

Request checks (InvalidParameterException, 400; messages ours, AWS does not document them):
ResourcesPerPage 1-100 ("You can specify a minimum of 1 and a maximum value of 100"), TagsPerPage
100-500, TagFilters at most 50 with at most 20 Values each ("A request can include up to 50 keys,
and each key can include up to 20 values"), a filter's Key 1-128 characters, values at most 256,
ResourceTypeFilters at most 100 ("The array can include up to 100 items") in the form
`service[:resourceType]`, ResourceARNList 1-100 ARNs and not with TagFilters, ResourceTypeFilters,
ResourcesPerPage, TagsPerPage or PaginationToken ("If you do, you get an Invalid Parameter
exception"), ExcludeCompliantResources only with IncludeComplianceDetails.

Pages: at most ResourcesPerPage resources (default 100 when absent: AWS documents only the range),
in ARN order; with TagsPerPage, a page also stops before the resource whose tags would pass it (a
resource without tags counts as one; a resource is never split). A page that is full carries a
PaginationToken even when nothing follows (the next page is then empty: "A query can return fewer
than this maximum, even if there are more results still to return. You should always check the
PaginationToken response value"); the last page answers `"PaginationToken": ""`, as AWS does
(boto/boto3#2513: "The PaginationToken is never null however, only empty string if there are no
more resources", reproduced by AWS; aws/aws-sdk-go#4121), so a client that loops while a token is
present must treat "" as the end. A token holds the snapshot time of its first page, so every page
of one listing is the same snapshot; it works from any earlier call (also twice, for a retry) for
15 simulated minutes after it was issued ("A PaginationToken is valid for a maximum of 15
minutes"), then, or when it is not one of this account's and Region's tokens,
PaginationTokenExpiredException. A token used with other filters is InvalidParameterException.

Not modelled: compliance details (IncludeComplianceDetails is accepted and ignored), the tag-count
lag of other resource types, an unknown service or resource type in ResourceTypeFilters (it matches
nothing; AWS does not document whether it refuses one).

Callers hold `locking.EXTENSION_LOCK` (patches' wraps and the control API do).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult
from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError
from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

from . import clock
from .locking import EXTENSION_LOCK

log = logging.getLogger("ecsdeploy_emulator.tagging")

ALARM = "cloudwatch:alarm"
LOG_GROUP = "logs:log-group"
REPOSITORY = "ecr:repository"
TARGET_GROUP = "elasticloadbalancing:targetgroup"
LOAD_BALANCER = "elasticloadbalancing:loadbalancer"
MODELLED_TYPES = (ALARM, LOG_GROUP, REPOSITORY, TARGET_GROUP, LOAD_BALANCER)
# moto's own names for some of them (moto calls a log group `logs:loggroup`): left out of moto's part.
MOTO_TYPES_REPLACED = frozenset({*MODELLED_TYPES, "logs:loggroup"})

DEFAULT_LAG_SECONDS = 2.0
MAX_LAG_SECONDS = 86400.0
TOKEN_VALIDITY_MS = 15 * 60 * 1000
DEFAULT_RESOURCES_PER_PAGE = 100
MIN_RESOURCES_PER_PAGE, MAX_RESOURCES_PER_PAGE = 1, 100
MIN_TAGS_PER_PAGE, MAX_TAGS_PER_PAGE = 100, 500
MAX_TAG_FILTERS, MAX_TAG_FILTER_VALUES = 50, 20
MAX_TAG_KEY, MAX_TAG_VALUE = 128, 256
MAX_RESOURCE_TYPE_FILTERS, MAX_RESOURCE_TYPE_LENGTH = 100, 256
MAX_ARNS, MAX_ARN_LENGTH = 100, 1011
MAX_TOKEN_LENGTH = 2048
RESOURCE_TYPE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*(:[A-Za-z0-9][A-Za-z0-9/_.-]*)?$")
READ_ONLY_PREFIXES = ("Describe", "List", "Get")
TOKEN_MARK = "ecsdeploy-tagging:1:"


class InvalidParameterException(ResourceGroupsTaggingAPIError):
    code = "InvalidParameterException"


class PaginationTokenExpiredException(ResourceGroupsTaggingAPIError):
    code = "PaginationTokenExpiredException"


# --- the index ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A resource as the index learnt it at `at_ms` (simulated): its tags, or deleted (`tags` None)."""

    seq: int
    at_ms: int
    resource_type: str
    tags: tuple[tuple[str, str], ...] | None
    ever_tagged: bool  # it has had a tag since it was created (this event included)


@dataclass
class AccountIndex:
    lag_seconds: float | None = None  # None: DEFAULT_LAG_SECONDS
    # region -> ARN -> events, oldest first
    regions: dict[str, dict[str, list[Event]]] = field(default_factory=dict)

    def lag_ms(self) -> int:
        return clock.seconds_to_ms(DEFAULT_LAG_SECONDS if self.lag_seconds is None else self.lag_seconds)


_ACCOUNTS: dict[str, AccountIndex] = {}
_sequence = 0


def index_for(account_id: str) -> AccountIndex:
    found = _ACCOUNTS.get(account_id)
    if found is None:
        found = _ACCOUNTS[account_id] = AccountIndex()
    return found


def _next_seq() -> int:
    global _sequence
    _sequence += 1
    return _sequence


def current_seq() -> int:
    return _sequence


def set_lag(account_id: str, lag_seconds: float | None) -> None:
    check_lag(lag_seconds)
    index_for(account_id).lag_seconds = None if lag_seconds is None else float(lag_seconds)


def check_lag(lag_seconds: Any) -> None:
    if lag_seconds is None:
        return
    if (
        isinstance(lag_seconds, bool)
        or not isinstance(lag_seconds, (int, float))
        or not 0 <= lag_seconds <= MAX_LAG_SECONDS
    ):
        raise ValueError(f"lag_seconds must be a number from 0 to {MAX_LAG_SECONDS:g} (or null for the default)")


# What the services hold now: ARN -> (resource type, tags), per source.
Current = dict[str, tuple[str, dict[str, str]]]


@dataclass(frozen=True)
class Source:
    types: tuple[str, ...]
    read: Callable[[str, str], Current]


def _regional_backend(backends: Any, account_id: str, region: str) -> Any:
    # dict.get: never create a backend (BackendDict creates on [] access).
    return dict.get(dict.get(backends, account_id) or {}, region)


def _tags(tagger: Any, arn: str) -> dict[str, str]:
    return {str(key): "" if value is None else str(value) for key, value in tagger.get_tag_dict_for_resource(arn).items()}


def _alarms(account_id: str, region: str) -> Current:
    from moto.cloudwatch.models import cloudwatch_backends

    backend = _regional_backend(cloudwatch_backends, account_id, region)
    if backend is None:
        return {}
    return {alarm.alarm_arn: (ALARM, _tags(backend.tagger, alarm.alarm_arn)) for alarm in list(backend.alarms.values())}


def _log_groups(account_id: str, region: str) -> Current:
    from moto.logs.models import logs_backends

    backend = _regional_backend(logs_backends, account_id, region)
    if backend is None:
        return {}
    return {group.arn: (LOG_GROUP, _tags(backend.tagger, group.arn)) for group in list(backend.groups.values())}


def _repositories(account_id: str, region: str) -> Current:
    from moto.ecr.models import ecr_backends

    backend = _regional_backend(ecr_backends, account_id, region)
    if backend is None:
        return {}
    return {repo.arn: (REPOSITORY, _tags(backend.tagger, repo.arn)) for repo in list(backend.repositories.values())}


def _elbv2(account_id: str, region: str) -> Current:
    from moto.elbv2.models import elbv2_backends

    backend = _regional_backend(elbv2_backends, account_id, region)
    if backend is None:
        return {}
    found: Current = {}
    for load_balancer in list(backend.load_balancers.values()):
        found[load_balancer.arn] = (LOAD_BALANCER, _tags(backend.tagging_service, load_balancer.arn))
    for target_group in list(backend.target_groups.values()):
        found[target_group.arn] = (TARGET_GROUP, _tags(backend.tagging_service, target_group.arn))
    return found


ALARMS = Source((ALARM,), _alarms)
LOG_GROUPS = Source((LOG_GROUP,), _log_groups)
REPOSITORIES = Source((REPOSITORY,), _repositories)
ELBV2 = Source((TARGET_GROUP, LOAD_BALANCER), _elbv2)
ALL_SOURCES = (ALARMS, LOG_GROUPS, REPOSITORIES, ELBV2)
# moto's service name of a request -> what it may change. Application Auto Scaling creates and
# deletes its target tracking alarms.
SOURCES_OF_SERVICE: dict[str, tuple[Source, ...]] = {
    "cloudwatch": (ALARMS,),
    "logs": (LOG_GROUPS,),
    "ecr": (REPOSITORIES,),
    "elbv2": (ELBV2,),
    "application-autoscaling": (ALARMS,),
    "resourcegroupstaggingapi": ALL_SOURCES,
}


def sync(account_id: str, region: str, sources: Iterable[Source] = ALL_SOURCES) -> None:
    """Records, at the account's simulated now, every difference between the services and the index."""
    resources = index_for(account_id).regions.setdefault(region, {})
    now: int | None = None
    for source in sources:
        current = source.read(account_id, region)
        for arn, (resource_type, tags) in current.items():
            events = resources.get(arn)
            last = events[-1] if events else None
            ordered = tuple(tags.items())
            if last is not None and last.tags is not None and dict(last.tags) == tags:
                continue
            previously = last is not None and last.tags is not None and last.ever_tagged
            now = clock.now_ms(account_id) if now is None else now
            resources.setdefault(arn, []).append(
                Event(_next_seq(), now, resource_type, ordered, previously or bool(tags))
            )
        for arn, events in resources.items():
            last = events[-1]
            if last.tags is not None and last.resource_type in source.types and arn not in current:
                now = clock.now_ms(account_id) if now is None else now
                events.append(Event(_next_seq(), now, last.resource_type, None, False))
    if now is not None:
        _prune(resources, now)


def _prune(resources: dict[str, list[Event]], now_ms: int) -> None:
    """Forgets what no snapshot can see any more (older than the longest lag), keeping each
    resource's last event from before then."""
    horizon = now_ms - clock.seconds_to_ms(MAX_LAG_SECONDS)
    for arn in list(resources):
        events = resources[arn]
        older = [i for i, event in enumerate(events) if event.at_ms <= horizon]
        if len(older) > 1:
            del events[: older[-1]]
        if len(events) == 1 and events[0].tags is None and events[0].at_ms <= horizon:
            del resources[arn]


@dataclass(frozen=True)
class Indexed:
    arn: str
    resource_type: str
    tags: tuple[tuple[str, str], ...]


def snapshot(account_id: str, region: str, at_ms: int, max_seq: int) -> list[Indexed]:
    """The modelled resources as the index showed them at `at_ms` (events up to `max_seq`)."""
    found = []
    for arn, events in index_for(account_id).regions.get(region, {}).items():
        seen = [event for event in events if event.at_ms <= at_ms and event.seq <= max_seq]
        if not seen:
            continue
        last = seen[-1]
        if last.tags is None or not (last.tags or last.ever_tagged):
            continue
        found.append(Indexed(arn, last.resource_type, last.tags))
    return found


def to_json(account_id: str) -> dict[str, Any]:
    """The control API's view: the lag and every indexed resource's events (simulated seconds)."""
    index = index_for(account_id)
    return {
        "account_id": account_id,
        "lag_seconds": index.lag_ms() / 1000,
        "account_lag_seconds": index.lag_seconds,
        "default_lag_seconds": DEFAULT_LAG_SECONDS,
        "now_seconds": clock.now_ms(account_id) / 1000,
        "resources": [
            {
                "region": region,
                "arn": arn,
                "resource_type": events[-1].resource_type,
                "events": [
                    {
                        "at_seconds": event.at_ms / 1000,
                        "tags": None if event.tags is None else dict(event.tags),
                    }
                    for event in events
                ],
            }
            for region, resources in sorted(index.regions.items())
            for arn, events in sorted(resources.items())
        ],
    }


# --- recording: after a changing request ----------------------------------------------------------

_installed = False


def install() -> None:
    """Wraps moto's `BaseResponse.call_action`: a changing request of a watched service is followed
    by a comparison of what it may have changed (see the module doc). Installed before
    `iam_enforcement`, so a refused request never gets here."""
    global _installed
    if _installed:
        return
    _installed = True
    from moto.core.responses import BaseResponse

    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        result = original(self)
        sources = SOURCES_OF_SERVICE.get(getattr(self, "service_name", None) or "")
        if sources is not None:
            action = self._get_action() or ""
            if not action.startswith(READ_ONLY_PREFIXES):
                try:
                    with EXTENSION_LOCK:
                        sync(self.current_account, self.region, sources)
                except Exception:  # noqa: BLE001 - the index never breaks the service's answer
                    log.exception("tagging index: could not record %s", action)
        return result

    call_action.__wrapped__ = original  # type: ignore[attr-defined]
    BaseResponse.call_action = call_action  # type: ignore[method-assign]


# --- GetResources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    tag_filters: list[dict[str, Any]]
    type_filters: list[str]
    arns: list[str] | None
    per_page: int
    tags_per_page: int | None
    token: str

    def key(self) -> str:
        """What a token must be used with: the filters of its first page."""
        canonical = json.dumps(
            {"tags": self.tag_filters, "types": self.type_filters}, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _constraint(value: Any, where: str, rule: str) -> str:
    return f"Value '{value}' at '{where}' failed to satisfy constraint: Member must {rule}"


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_query(param: Callable[[str], Any]) -> Query:
    """The request's parameters, checked; InvalidParameterException naming every problem."""
    problems: list[str] = []
    tag_filters = param("TagFilters")
    type_filters = param("ResourceTypeFilters")
    arns = param("ResourceARNList")
    per_page = param("ResourcesPerPage")
    tags_per_page = param("TagsPerPage")
    token = param("PaginationToken")

    if per_page is not None:
        if not _is_integer(per_page):
            problems.append(_constraint(per_page, "resourcesPerPage", "be an integer"))
        elif per_page < MIN_RESOURCES_PER_PAGE:
            problems.append(_constraint(per_page, "resourcesPerPage", f"have value greater than or equal to {MIN_RESOURCES_PER_PAGE}"))
        elif per_page > MAX_RESOURCES_PER_PAGE:
            problems.append(_constraint(per_page, "resourcesPerPage", f"have value less than or equal to {MAX_RESOURCES_PER_PAGE}"))
    if tags_per_page is not None:
        if not _is_integer(tags_per_page):
            problems.append(_constraint(tags_per_page, "tagsPerPage", "be an integer"))
        elif tags_per_page < MIN_TAGS_PER_PAGE:
            problems.append(_constraint(tags_per_page, "tagsPerPage", f"have value greater than or equal to {MIN_TAGS_PER_PAGE}"))
        elif tags_per_page > MAX_TAGS_PER_PAGE:
            problems.append(_constraint(tags_per_page, "tagsPerPage", f"have value less than or equal to {MAX_TAGS_PER_PAGE}"))

    filters: list[dict[str, Any]] = []
    if tag_filters is not None:
        if not isinstance(tag_filters, list):
            problems.append("TagFilters must be a list")
        else:
            if len(tag_filters) > MAX_TAG_FILTERS:
                problems.append(_constraint("[...]", "tagFilters", f"have length less than or equal to {MAX_TAG_FILTERS}"))
            for number, tag_filter in enumerate(tag_filters, start=1):
                where = f"tagFilters.{number}.member"
                if not isinstance(tag_filter, dict):
                    problems.append(f"{where} must be a TagFilter")
                    continue
                key = tag_filter.get("Key")
                values = tag_filter.get("Values") or []
                if not isinstance(key, str) or not key:
                    problems.append(f"Value null at '{where}.key' failed to satisfy constraint: Member must not be null")
                elif len(key) > MAX_TAG_KEY:
                    problems.append(_constraint(key, f"{where}.key", f"have length less than or equal to {MAX_TAG_KEY}"))
                if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
                    problems.append(f"{where}.values must be a list of strings")
                    continue
                if len(values) > MAX_TAG_FILTER_VALUES:
                    problems.append(_constraint("[...]", f"{where}.values", f"have length less than or equal to {MAX_TAG_FILTER_VALUES}"))
                for value in values:
                    if len(value) > MAX_TAG_VALUE:
                        problems.append(_constraint(value, f"{where}.values.member", f"have length less than or equal to {MAX_TAG_VALUE}"))
                filters.append({"Key": key, "Values": list(values)})

    types: list[str] = []
    if type_filters is not None:
        if not isinstance(type_filters, list) or not all(isinstance(item, str) for item in type_filters):
            problems.append("ResourceTypeFilters must be a list of strings")
        else:
            if len(type_filters) > MAX_RESOURCE_TYPE_FILTERS:
                problems.append(
                    _constraint("[...]", "resourceTypeFilters", f"have length less than or equal to {MAX_RESOURCE_TYPE_FILTERS}")
                )
            for item in type_filters:
                if len(item) > MAX_RESOURCE_TYPE_LENGTH or not RESOURCE_TYPE_PATTERN.match(item):
                    problems.append(f"Invalid resource type filter '{item}': the format is service[:resourceType]")
            types = list(type_filters)

    arn_list: list[str] | None = None
    if arns is not None:
        if not isinstance(arns, list) or not all(isinstance(arn, str) for arn in arns):
            problems.append("ResourceARNList must be a list of strings")
        else:
            if not 1 <= len(arns) <= MAX_ARNS:
                problems.append(_constraint("[...]", "resourceARNList", f"have length between 1 and {MAX_ARNS}"))
            for arn in arns:
                if not 1 <= len(arn) <= MAX_ARN_LENGTH:
                    problems.append(_constraint(arn, "resourceARNList.member", f"have length between 1 and {MAX_ARN_LENGTH}"))
            arn_list = list(arns)
        for name, given in (
            ("TagFilters", tag_filters),
            ("ResourceTypeFilters", type_filters),
            ("ResourcesPerPage", per_page),
            ("TagsPerPage", tags_per_page),
            ("PaginationToken", token or None),
        ):
            if given is not None:
                problems.append(f"You can't specify both ResourceARNList and {name} in the same request")

    if param("ExcludeCompliantResources") and not param("IncludeComplianceDetails"):
        problems.append("ExcludeCompliantResources can be used only if IncludeComplianceDetails is true")
    if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH):
        problems.append(_constraint("...", "paginationToken", f"have length less than or equal to {MAX_TOKEN_LENGTH}"))

    if problems:
        count = len(problems)
        raise InvalidParameterException(f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems))
    return Query(
        tag_filters=filters,
        type_filters=types,
        arns=arn_list,
        per_page=per_page if per_page is not None else DEFAULT_RESOURCES_PER_PAGE,
        tags_per_page=tags_per_page,
        token=token or "",
    )


@dataclass(frozen=True)
class Cursor:
    """Where a listing stands: its snapshot (time and last event), the last ARN answered."""

    account_id: str
    region: str
    at_ms: int
    max_seq: int
    after: str | None
    issued_ms: int
    key: str

    def encode(self) -> str:
        document = [self.account_id, self.region, self.at_ms, self.max_seq, self.after, self.issued_ms, self.key]
        raw = TOKEN_MARK + json.dumps(document, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode("ascii")

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii")).decode()
            if not raw.startswith(TOKEN_MARK):
                return None
            account_id, region, at_ms, max_seq, after, issued_ms, key = json.loads(raw[len(TOKEN_MARK) :])
            return cls(str(account_id), str(region), int(at_ms), int(max_seq), after, int(issued_ms), str(key))
        except (binascii.Error, UnicodeError, ValueError, TypeError):
            return None


def _type_matches(resource_type: str, filters: list[str]) -> bool:
    if not filters:
        return True
    service = resource_type.split(":", 1)[0]
    return any(item == resource_type or item == service for item in filters)


def _tags_match(tags: dict[str, str], filters: list[dict[str, Any]]) -> bool:
    """TagFilters: every filter must match; a filter's values are alternatives; no values: any value."""
    for tag_filter in filters:
        key = tag_filter["Key"]
        if key not in tags:
            return False
        if tag_filter["Values"] and tags[key] not in tag_filter["Values"]:
            return False
    return True


def _moto_others(account_id: str, region: str, query: Query) -> Iterator[tuple[str, tuple[tuple[str, str], ...]]]:
    """moto's own answer for the resource types this module does not model."""
    from moto.resourcegroupstaggingapi.models import resourcegroupstaggingapi_backends

    backend = resourcegroupstaggingapi_backends[account_id][region]
    for resource in backend._get_resources_generator(
        tag_filters=query.tag_filters or None,
        resource_type_filters=query.type_filters or None,
        resource_arn_list=query.arns,
    ):
        if resource.resource_type in MOTO_TYPES_REPLACED:
            continue
        yield resource.arn, tuple((str(k), "" if v is None else str(v)) for k, v in resource.tags.items())


def get_resources(original: Any, response: ResourceGroupsTaggingAPIResponse) -> ActionResult:
    """GetResources: the lagged index for the modelled types, moto for the rest, in real pages."""
    query = parse_query(response._get_param)
    account_id, region = response.current_account, response.region
    sync(account_id, region)  # anything not recorded yet is recorded now (seen `lag` from now)
    now = clock.now_ms(account_id)
    key = query.key()
    if query.token:
        cursor = Cursor.decode(query.token)
        if cursor is None or (cursor.account_id, cursor.region) != (account_id, region):
            raise PaginationTokenExpiredException("The specified PaginationToken does not exist or has expired.")
        if now - cursor.issued_ms > TOKEN_VALIDITY_MS:
            raise PaginationTokenExpiredException("The specified PaginationToken has expired (15 minutes).")
        if cursor.key != key:
            raise InvalidParameterException(
                "The PaginationToken was issued for other TagFilters or ResourceTypeFilters than this request's."
            )
    else:
        cursor = Cursor(account_id, region, now - index_for(account_id).lag_ms(), current_seq(), None, now, key)

    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for item in snapshot(account_id, region, cursor.at_ms, cursor.max_seq):
        if not _type_matches(item.resource_type, query.type_filters):
            continue
        if not _tags_match(dict(item.tags), query.tag_filters):
            continue
        if query.arns is not None and item.arn not in query.arns:
            continue
        found[item.arn] = item.tags
    for arn, tags in _moto_others(account_id, region, query):
        found.setdefault(arn, tags)

    remaining = [arn for arn in sorted(found) if cursor.after is None or arn > cursor.after]
    page: list[str] = []
    tag_count = 0
    stopped_early = False
    for arn in remaining:
        if len(page) >= query.per_page:
            break
        weight = max(1, len(found[arn]))
        if query.tags_per_page is not None and page and tag_count + weight > query.tags_per_page:
            stopped_early = True
            break
        page.append(arn)
        tag_count += weight

    token = ""
    if query.arns is None and page and (stopped_early or len(page) >= query.per_page):
        token = Cursor(account_id, region, cursor.at_ms, cursor.max_seq, page[-1], now, key).encode()
    return ActionResult(
        {
            "PaginationToken": token,
            "ResourceTagMappingList": [
                {"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in found[arn]]} for arn in page
            ],
        }
    )


# --- tags that go with their resource -------------------------------------------------------------


def delete_log_group(original: Any, backend: Any, log_group_name: str) -> None:
    """DeleteLogGroup: the group's tags go with it (moto kept them, so a re-created group of the
    same name, same ARN, started with the old tags in ListTagsForResource and GetResources).
    CloudWatch Logs API Reference, DeleteLogGroup: "Deletes the specified log group and permanently
    deletes all the archived log events associated with the log group."; a tag belongs to its
    resource (Tagging AWS Resources, "Tags": "A tag is a label that you assign to an AWS resource")."""
    group = backend.groups.get(log_group_name)
    original(backend, log_group_name)
    if group is not None:
        backend.tagger.delete_all_tags_for_resource(group.arn)


def _wraps() -> list[tuple[type, str, Any]]:
    from moto.logs.models import LogsBackend

    return [
        (ResourceGroupsTaggingAPIResponse, "get_resources", get_resources),
        (LogsBackend, "delete_log_group", delete_log_group),
    ]


WRAPS = _wraps()
