"""The arguments of a ``JobManager.enqueue`` call, read by name whatever their
order or style, and the call again with other metadata.

    call = EnqueueArguments.bind(args, kwargs)   # None: they do not bind (enqueue raises)
    call.get("priority")                         # the argument, or its default
    args, kwargs = call.with_metadata({"traceparent": "00-..."})

Names, order and defaults come from ``JobManager.enqueue``'s signature. A call
made the usual ways (positional then keyword arguments, no duplicates) is read
with a tuple zip; anything else goes through ``inspect.Signature.bind_partial``,
which is exact but costs several µs per call.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from uno.jobs.manager import JobManager

_SIGNATURE = inspect.signature(JobManager.enqueue)
SIGNATURE = _SIGNATURE.replace(parameters=list(_SIGNATURE.parameters.values())[1:])  # no self
_POSITIONAL = tuple(name for name, p in SIGNATURE.parameters.items()
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
_DEFAULTS = {name: None if p.default is p.empty else p.default
             for name, p in SIGNATURE.parameters.items()}
_METADATA = "metadata"
_METADATA_INDEX = _POSITIONAL.index(_METADATA) if _METADATA in _POSITIONAL else None


@dataclass(slots=True)
class EnqueueArguments:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    named: dict[str, Any]  # every argument given, by name

    @classmethod
    def bind(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> EnqueueArguments | None:
        if len(args) <= len(_POSITIONAL):
            named = dict(zip(_POSITIONAL, args, strict=False))
            if not kwargs:
                return cls(args, kwargs, named)
            if all(key in _DEFAULTS and key not in named for key in kwargs):
                named.update(kwargs)
                return cls(args, kwargs, named)
        try:  # unusual (or wrong) calls: the exact, slower way
            bound = SIGNATURE.bind_partial(*args, **kwargs)
        except TypeError:
            return None
        return cls(bound.args, bound.kwargs, dict(bound.arguments))

    def get(self, name: str) -> Any:
        """The argument ``name``, or its default."""
        return self.named.get(name, _DEFAULTS[name])

    def with_metadata(self, metadata: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)`` of the same call with ``metadata`` instead."""
        index = _METADATA_INDEX
        if index is not None and index < len(self.args):
            return (*self.args[:index], metadata, *self.args[index + 1:]), self.kwargs
        return self.args, {**self.kwargs, _METADATA: metadata}


def default(name: str) -> Any:
    """The default of ``enqueue``'s argument ``name`` (None for a required one)."""
    return _DEFAULTS[name]
