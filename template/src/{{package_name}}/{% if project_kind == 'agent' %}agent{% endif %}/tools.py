"""Tools are typed Python functions; their JSON schema comes from the signature and docstring.

    @tool(side_effect=True)
    def issue_refund(invoice_id: str, amount_usd: Annotated[float, Field(gt=0)]) -> dict:
        '''Refund part or all of an invoice.'''

The parameters become a pydantic model (types, defaults and `Field` constraints as written;
each parameter's description from the docstring's Google-style arguments section), which
gives both the schema the model sees and the validation its arguments go through before the
function runs. A validation error is returned to the model as text it can act on; it never
reaches the function.
"""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, get_type_hints

import docstring_parser
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic.fields import FieldInfo

from ..llm import ToolSpec

ToolFunction = Callable[..., object]


class ToolArgumentError(ValueError):
    """The model's arguments do not fit the tool; the message is written for the model."""


@dataclass(frozen=True)
class Tool:
    """One tool: what the model sees (name, description, schema) and how to run it.

    A Python tool checks its arguments with a pydantic model built from its signature; a
    tool from elsewhere (an MCP server) brings a JSON schema instead (`schema`), checked with
    `jsonschema`.
    """

    name: str
    description: str
    fn: ToolFunction
    arguments: type[BaseModel] | None = None
    side_effect: bool = False
    timeout_s: float | None = None
    schema: Mapping[str, Any] | None = None

    @cached_property
    def parameters(self) -> dict[str, Any]:
        """Return the JSON schema of the arguments (an object; no titles, which add noise).

        Computed once per tool: the loop sends the tool list with every model call.
        """
        if self.arguments is None:
            return dict(self.schema or {"type": "object"})
        return _without_titles(self.arguments.model_json_schema())

    @cached_property
    def _spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.parameters)

    def spec(self) -> ToolSpec:
        """Return the tool as the model layer sends it to a provider."""
        return self._spec

    def validate(self, arguments: str) -> dict[str, Any]:
        """Parse and check the model's JSON arguments; return them ready for the function.

        Raises:
            ToolArgumentError: Not a JSON object, or a value breaks the schema. The message
                names each problem, so that the model can correct its call.

        """
        try:
            data = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            raise ToolArgumentError(
                f"{self.name}: the arguments are not valid JSON ({exc.msg}); send one JSON object"
            ) from None
        if not isinstance(data, dict):
            raise ToolArgumentError(f"{self.name}: the arguments must be a JSON object")
        if self.arguments is None:
            return self._validate_schema(data)
        try:
            parsed = self.arguments.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'arguments'}: {error['msg']}"
                for error in exc.errors(include_url=False)
            )
            raise ToolArgumentError(f"{self.name}: invalid arguments: {problems}") from None
        return {name: getattr(parsed, name) for name in type(parsed).model_fields}

    def _validate_schema(self, data: dict[str, Any]) -> dict[str, Any]:
        """Check `data` against the tool's JSON schema.

        Raises:
            ToolArgumentError: Every problem, by field.

        """
        problems = [
            f"{'.'.join(str(p) for p in error.absolute_path) or 'arguments'}: {error.message}"
            for error in self._validator.iter_errors(data)
        ]
        if problems:
            raise ToolArgumentError(f"{self.name}: invalid arguments: {'; '.join(problems)}")
        return data

    @cached_property
    def _validator(self) -> Any:
        """Return the JSON-schema validator of a tool that brings its own schema."""
        import jsonschema

        return jsonschema.Draft202012Validator(self.parameters)

    def __call__(self, **arguments: Any) -> object:
        """Run the function with validated arguments."""
        return self.fn(**arguments)


def tool(
    fn: ToolFunction | None = None,
    *,
    name: str | None = None,
    side_effect: bool = False,
    timeout_s: float | None = None,
) -> Any:
    """Turn a typed function into a `Tool` (usable bare, `@tool`, or with options).

    Args:
        fn: The function; every parameter needs a type annotation.
        name: The tool's name (default: the function's).
        side_effect: The tool changes the world (its default approval policy is `ask`).
        timeout_s: How long one call may take (default: the agent's AGENT_TOOL_TIMEOUT_S).

    """

    def wrap(function: ToolFunction) -> Tool:
        return make_tool(function, name=name, side_effect=side_effect, timeout_s=timeout_s)

    return wrap(fn) if fn is not None else wrap


def make_tool(
    fn: ToolFunction,
    *,
    name: str | None = None,
    side_effect: bool = False,
    timeout_s: float | None = None,
) -> Tool:
    """Build a `Tool` from a function's signature and docstring.

    Raises:
        TypeError: A parameter has no type annotation, or the function takes *args/**kwargs.

    """
    model, summary = _described(fn)
    return Tool(
        name=name or fn.__name__,
        description=summary or fn.__name__.replace("_", " "),
        fn=fn,
        arguments=model,
        side_effect=side_effect,
        timeout_s=timeout_s,
    )


_DESCRIBED: dict[Hashable, tuple[type[BaseModel], str]] = {}


def _described(fn: ToolFunction) -> tuple[type[BaseModel], str]:
    """Return the arguments' model and the summary of `fn`, built once per definition.

    The workflow's tools are closures over their world, so they are defined again for each
    world (each run of the eval suite, each app). Their code, defaults, docstring and
    annotations are the same each time, and so is the model built from them; building a
    pydantic model is the costly part. Functions whose annotations are evaluated objects
    rather than strings could differ between definitions: they are built each time.
    """
    key = _definition_key(fn)
    if key is None:
        return _describe(fn)
    found = _DESCRIBED.get(key)
    if found is None:
        found = _DESCRIBED[key] = _describe(fn)
    return found


def _definition_key(fn: ToolFunction) -> Hashable | None:
    """Return what the arguments' model depends on, or None when it cannot be compared."""
    if not isinstance(fn, types.FunctionType):
        return None
    annotations = fn.__annotations__
    if not all(isinstance(value, str) for value in annotations.values()):
        return None
    try:
        key = (
            fn.__code__,
            fn.__name__,
            fn.__doc__,
            fn.__defaults__,
            tuple(sorted((fn.__kwdefaults__ or {}).items())),
            tuple(annotations.items()),
        )
        hash(key)
    except TypeError:  # an unhashable default
        return None
    return key


def _describe(fn: ToolFunction) -> tuple[type[BaseModel], str]:
    """Build the arguments' model from the signature; return it with the docstring's summary."""
    doc = docstring_parser.parse(inspect.getdoc(fn) or "")
    described = {param.arg_name: param.description or "" for param in doc.params}
    hints = get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool {fn.__name__}: *args and **kwargs cannot be described")
        if param.name not in hints:
            raise TypeError(f"tool {fn.__name__}: parameter {param.name!r} needs a type")
        default = ... if param.default is inspect.Parameter.empty else param.default
        info = FieldInfo.from_annotated_attribute(hints[param.name], default)
        if not info.description and described.get(param.name):
            info.description = described[param.name]
        fields[param.name] = (info.annotation, info)
    model = create_model(
        f"{fn.__name__}_arguments",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )
    summary = " ".join(part for part in (doc.short_description, doc.long_description) if part)
    return model, summary


class ToolRegistry:
    """The tools an agent knows, by name."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for item in tools:
            self.add(item)

    def add(self, item: Tool) -> None:
        """Register a tool.

        Raises:
            ValueError: A tool with that name exists already.

        """
        if item.name in self._tools:
            raise ValueError(f"two tools are named {item.name!r}")
        self._tools[item.name] = item

    def get(self, name: str) -> Tool | None:
        """Return the tool called `name`, or None."""
        return self._tools.get(name)

    def names(self) -> list[str]:
        """Return every tool name, sorted."""
        return sorted(self._tools)

    def specs(self, names: Iterable[str]) -> list[ToolSpec]:
        """Return the specs of the named tools, in the given order."""
        return [self._tools[name].spec() for name in names if name in self._tools]

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)


def _without_titles(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Drop pydantic's generated `title` keys (the name says it already)."""
    cleaned: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if isinstance(value, Mapping):
            cleaned[key] = (
                _without_titles(value)
                if key != "properties"
                else {k: _without_titles(v) for k, v in value.items()}
            )
        elif isinstance(value, list):
            cleaned[key] = [_without_titles(v) if isinstance(v, Mapping) else v for v in value]
        else:
            cleaned[key] = value
    return cleaned
