"""Helpers for the validation wraps: named arguments of a wrapped moto method, a check-then-call wrap."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

Check = Callable[[Any, dict[str, Any]], None]
Replacement = Callable[..., Any]
Wrap = tuple[type, str, Replacement]


def arguments(original: Callable[..., Any], self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by parameter name (defaults filled in, `**kwargs` merged in)."""
    bound = inspect.signature(original).bind(self, *args, **kwargs)
    bound.apply_defaults()
    named = dict(bound.arguments)
    for name, parameter in inspect.signature(original).parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            named.update(named.pop(name, {}) or {})
    return named


def before(check: Check) -> Replacement:
    """A `patches._wrap` replacement that runs `check(self, arguments)` and then moto's method.

    The check raises the AWS error before moto changes anything."""

    def replacement(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        check(self, arguments(original, self, args, kwargs))
        return original(self, *args, **kwargs)

    replacement.__doc__ = check.__doc__
    return replacement
