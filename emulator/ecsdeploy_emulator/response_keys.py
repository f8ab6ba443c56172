"""Per-request response shaping: moto's `include` switches must not leak between requests.

moto implements `include=["TAGS"]` (ECS DescribeServices, and similar switches elsewhere) by
writing into `RESPONSE_KEY_PATH_TO_TRANSFORMER`, a dict on the *class*. The server answers
requests on several threads, so a DescribeServices without `include` running at the same moment
as one with it strips the tags from the other's answer: a tagged service looks untagged, which
to ecsdeploy means "not ours". On AWS each request stands alone. This patch gives each response
object (one per request) its own copy of the dict before the first change.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import BaseResponse

_ATTRIBUTE = "RESPONSE_KEY_PATH_TO_TRANSFORMER"


def install() -> None:
    for name in ("_include_in_response", "_exclude_from_response"):
        original = getattr(BaseResponse, name)

        def per_request(self: Any, response_key_path: str, _original: Any = original) -> None:
            if _ATTRIBUTE not in vars(self):
                setattr(self, _ATTRIBUTE, dict(getattr(type(self), _ATTRIBUTE)))
            _original(self, response_key_path)

        per_request.__name__ = name
        setattr(BaseResponse, name, per_request)
