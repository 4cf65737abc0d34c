"""Data processing: pick a value out of an earlier step's result (or the run's variables)
with a JMESPath query or a Jinja2 expression, check it, and export it to later steps.

Not privileged: it runs no code. JMESPath is a query language (no side effects) and Jinja2
renders in the core's sandbox; both run in a guard process under the time and memory
limits of templates, since a short expression can still build a huge value
(``[@, @] | [@, @] | ...`` doubles at each step)."""

from __future__ import annotations

import json
from typing import Any, Literal

from jinja2 import Environment, TemplateSyntaxError
from pydantic import Field, ValidationInfo, field_validator

from netweave.foundation import guarded
from netweave.foundation.bounded import check_bounded
from netweave.services.base import Service, ServiceContext, ServiceInputs, ServiceOutcome

MAX_EXPRESSION = 2000  # characters
MAX_VALUE_BYTES = 1024 * 1024  # the value, once serialised
_SYNTAX = Environment()  # parses only: templates render in the core's sandbox


def is_template(expression: str) -> bool:
    """A Jinja2 ``expression`` with ``{{``/``{%`` is a whole template (its text is the
    value, read as JSON when it is JSON); without, a bare expression whose value is kept
    as it is (a list stays a list)."""
    return "{{" in expression or "{%" in expression


def jinja_template(expression: str) -> str:
    """The template rendered for a Jinja2 ``expression``: a bare expression is wrapped in
    ``{{ (...) | tojson }}``, so its value comes back as JSON and keeps its type."""
    if is_template(expression):
        return expression
    return "{{ (" + expression + ") | tojson }}"


def jmespath_problem(expression: str) -> str | None:
    """Why ``expression`` is not valid JMESPath (with the column), or None."""
    import jmespath
    from jmespath.exceptions import IncompleteExpressionError, LexerError, ParseError

    try:
        jmespath.compile(expression)
    except IncompleteExpressionError as exc:
        return f"JMESPath syntax error at column {exc.lex_position}: incomplete expression"
    except LexerError as exc:
        return f"JMESPath syntax error at column {exc.lex_position}: {exc.message}"
    except ParseError as exc:
        return f"JMESPath syntax error at column {exc.lex_position}: {exc.msg} {exc.token_value!r}"
    return None


def search_guarded(expression: str, data: Any) -> tuple[str, str]:
    """In a guard process: ``("ok", the value as JSON)`` or ``("error", why)``. The value is
    serialised here, where time and memory are bounded (a query can return one object
    referenced 2**30 times: small to pickle, huge to serialise)."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        value = jmespath.search(expression, data)
    except JMESPathError as exc:
        return "error", str(exc).splitlines()[0]
    text = json.dumps(value)
    if len(text) > MAX_VALUE_BYTES:
        return "error", f"the value is larger than {MAX_VALUE_BYTES} bytes"
    return "ok", text


class DataProcessingInputs(ServiceInputs):
    source: str = Field(
        default="variables",
        min_length=1,
        max_length=255,
        description="The earlier step whose result is read (its id, path or service name), "
        "or 'variables' for the run's variables",
    )
    engine: Literal["jmespath", "jinja"] = Field(
        default="jmespath",
        description="jmespath: a query over the source; jinja: an expression (the source is "
        "`data`; device, vars and results as in every template)",
    )
    expression: str = Field(
        min_length=1,
        max_length=MAX_EXPRESSION,
        description="e.g. outputs[0].parsed[?status=='up'].intf (jmespath) or "
        "data.outputs[0].stdout.splitlines() | length (jinja)",
    )
    export_as: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        max_length=64,
        description="Export the value under this variable name to later steps",
    )
    expect: Literal["non_empty", "empty", "truthy", "none"] | None = Field(
        default=None,
        description="The step succeeds only when the value is non-empty, empty, truthy or "
        "null (none: any value succeeds)",
    )

    @field_validator("expression")
    @classmethod
    def _valid(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("engine", "jmespath") == "jmespath":
            problem = jmespath_problem(value)
            if problem:
                raise ValueError(problem)
            return value
        try:
            _SYNTAX.parse(jinja_template(value))
        except TemplateSyntaxError as exc:
            raise ValueError(f"Jinja2 syntax error: {exc.message}") from None
        return value


def _meets(value: Any, expect: str | None) -> bool:
    if expect == "non_empty":
        return value not in (None, "", [], {})
    if expect == "empty":
        return value in (None, "", [], {})
    if expect == "truthy":
        return bool(value)
    if expect == "none":
        return value is None
    return True


class DataProcessing(Service[DataProcessingInputs]):
    title = "Data processing"
    description = "Extract a value from an earlier result with JMESPath or Jinja2; export it."
    Inputs = DataProcessingInputs
    per_device = True  # results are per device

    def run(self, ctx: ServiceContext, inputs: DataProcessingInputs) -> ServiceOutcome:
        if inputs.source == "variables":
            data: Any = dict(ctx.variables)
        else:
            data = ctx.result(inputs.source)
            if data is None:
                where = f" for {ctx.device.name}" if ctx.device else ""
                error = f"source: no result of step {inputs.source!r}{where} in this run"
                return ServiceOutcome(False, {"error": error})
        if inputs.engine == "jmespath":
            try:
                status, text = guarded.run(search_guarded, inputs.expression, data)
            except guarded.LimitExceeded as exc:
                return ServiceOutcome(False, {"error": f"expression: the query {exc}"})
            if status != "ok":
                return ServiceOutcome(False, {"error": f"expression: {text}"})
            value = json.loads(text)
        else:
            rendered = ctx.render(jinja_template(inputs.expression), data=data)
            if len(rendered) > MAX_VALUE_BYTES:
                error = f"expression: the value is larger than {MAX_VALUE_BYTES} bytes"
                return ServiceOutcome(False, {"error": error})
            value = _parsed(rendered)
        result: dict[str, Any] = {"value": value}
        success = _meets(value, inputs.expect)
        if not success:
            result["error"] = f"expect: the value is not {inputs.expect}".replace("_", "-")
        exported: dict[str, Any] = {}
        if inputs.export_as:
            try:
                exported[inputs.export_as] = check_bounded(value)
            except ValueError as exc:
                return ServiceOutcome(False, {**result, "error": f"export_as: the value is {exc}"})
            ctx.log(f"exported {inputs.export_as}")
        return ServiceOutcome(success, result, exported)


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text  # a template whose text is not JSON: the text is the value
