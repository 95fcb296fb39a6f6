"""Checking string options against their ``Literal`` annotations, in one place.

A public function declares its options once, in its signature
(``control: Literal["never", "notyet"] = "never"``); :func:`check_options` reads
those annotations and refuses any other value with an :class:`~impact.errors.InputError`
that names the argument, the value and the values allowed. Notebooks and the
CLI validate their parameters with :func:`check_option` against the same
``Literal`` types, so a list of allowed values is never written twice.

Examples
--------
>>> from typing import Literal
>>> @check_options
... def smooth(x: float, kind: Literal["mean", "median"] = "mean") -> str:
...     return kind
>>> smooth(1.0, kind="median")
'median'
>>> smooth(1.0, kind="mode")
Traceback (most recent call last):
...
impact.errors.InputError: kind must be 'mean' or 'median', not 'mode'
>>> choices(smooth, "kind")
('mean', 'median')

An alias of a ``Literal`` type is checked like the type it names:

>>> Kind = Literal["mean", "median"]
>>> @check_options
... def smooth2(x: float, kind: Kind = "mean") -> str:
...     return kind
>>> smooth2(1.0, kind="mode")
Traceback (most recent call last):
...
impact.errors.InputError: kind must be 'mean' or 'median', not 'mode'
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, ParamSpec, TypeVar

from impact.errors import InputError

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["check_option", "check_options", "choices", "literal_values"]


def literal_values(annotation: Any) -> tuple[Any, ...]:
    """The values allowed by a ``Literal`` annotation (also inside ``X | None``).

    Returns an empty tuple when the annotation holds no ``Literal``.

    Examples
    --------
    >>> literal_values(Literal["a", "b"] | None)
    ('a', 'b')
    >>> literal_values(int)
    ()
    """
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(literal_values(arg))
        return tuple(out)
    return ()


def _allowed_text(allowed: tuple[Any, ...]) -> str:
    shown = [repr(a) for a in allowed]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def check_option(value: Any, allowed: Any, *, name: str) -> Any:
    """Return ``value`` if ``allowed`` (a ``Literal`` type or a sequence) admits it.

    Raises
    ------
    InputError
        Naming ``name``, the value given and the values allowed.

    Examples
    --------
    >>> check_option("year", Literal["year", "month"], name="freq")
    'year'
    >>> check_option("week", ("year", "month"), name="freq")
    Traceback (most recent call last):
    ...
    impact.errors.InputError: freq must be 'year' or 'month', not 'week'
    """
    options = literal_values(allowed) or tuple(allowed)
    # `None` is admitted by `X | None` annotations and is not an option to check.
    if value is None or value in options:
        return value
    raise InputError(f"{name} must be {_allowed_text(options)}, not {value!r}", value=value)


def _literal_parameters(func: Callable[..., Any]) -> dict[str, tuple[Any, ...]]:
    # Annotations are strings (``from __future__ import annotations``) and may name
    # types imported only for type checking: evaluate them one by one and keep the
    # ones that are Literals; an annotation that cannot be evaluated holds none we check.
    # Every string is evaluated (not only those spelling "Literal"): a module-level alias
    # such as ``MapLevel = Literal[...]`` is checked like the Literal it names. Only
    # annotations made of Literals (and None) are checked: in ``int | Literal["any"]``
    # a year is valid although it is none of the Literal's values.
    namespace = {**getattr(func, "__globals__", {}), "Literal": Literal}
    found: dict[str, tuple[Any, ...]] = {}
    for name, annotation in inspect.get_annotations(func).items():
        if name == "return":
            continue
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # noqa: S307 - the module's own annotations
            except Exception:  # noqa: BLE001
                continue
        values = literal_values(annotation)
        if values and _only_literals(annotation):
            found[name] = values
    return found


def _only_literals(annotation: Any) -> bool:
    """Whether every member of the annotation is a ``Literal`` or ``None``."""
    if annotation is None or annotation is type(None) or typing.get_origin(annotation) is Literal:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return all(_only_literals(arg) for arg in typing.get_args(annotation))
    return False


def check_options(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate ``func`` so that its ``Literal``-annotated arguments are checked on each call.

    ``None`` passes (for ``X | None`` annotations); other arguments are not touched,
    nor are annotations that admit other types (``int | Literal["any"]``).

    Examples
    --------
    >>> @check_options
    ... def aggregate(kind: Literal["simple", "dynamic", "group"] = "simple") -> str:
    ...     return kind
    >>> aggregate("dynamic")
    'dynamic'
    >>> aggregate(kind="calendar")
    Traceback (most recent call last):
    ...
    impact.errors.InputError: kind must be 'simple', 'dynamic' or 'group', not 'calendar'
    >>> @check_options
    ... def codes(vintage: int | Literal["any"] | None = None) -> object:
    ...     return vintage
    >>> codes(2014), codes("any")  # a year is valid: this annotation is left to the function
    (2014, 'any')
    """
    signature = inspect.signature(func)
    literals: dict[str, tuple[Any, ...]] | None = None

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal literals
        if literals is None:  # evaluated on first call: the module is fully imported by then
            literals = _literal_parameters(func)
        if literals:
            bound = signature.bind_partial(*args, **kwargs)
            for name, allowed in literals.items():
                if name in bound.arguments:
                    check_option(bound.arguments[name], allowed, name=name)
        return func(*args, **kwargs)

    return wrapper


def choices(func: Callable[..., Any], parameter: str) -> tuple[Any, ...]:
    """The values a ``Literal``-annotated parameter of ``func`` admits.

    Raises
    ------
    KeyError
        If ``parameter`` is not a ``Literal``-annotated parameter of ``func``.

    Examples
    --------
    >>> def draw(level: Literal["departement", "region"] = "region", k: int = 5) -> None: ...
    >>> choices(draw, "level")
    ('departement', 'region')
    >>> choices(draw, "k")
    Traceback (most recent call last):
    ...
    KeyError: "'draw' has no Literal parameter 'k'"
    """
    target = inspect.unwrap(func)
    values = _literal_parameters(target).get(parameter)
    if values is None:
        name = getattr(target, "__name__", target)
        raise KeyError(f"{name!r} has no Literal parameter {parameter!r}")
    return values
