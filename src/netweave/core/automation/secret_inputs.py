"""Secret fields of service inputs (a token in a REST call's headers, say): stored and
queued encrypted as ``{"$sealed": "<Fernet token>"}``, shown as ``********``, decrypted
only in the worker that runs the step.

A field is secret when its JSON Schema says ``writeOnly`` (pydantic's ``SecretStr``), alone
or as the values of a mapping or the items of a list — the service's one ``Inputs`` model
declares it, for built-in and custom services alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from netweave.foundation.errors import ConfigurationError, InvalidInput
from netweave.foundation.logging import MASK
from netweave.foundation.secrets import SecretBox

SEALED = "$sealed"


def _secret(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("writeOnly") is True


def secret_fields(schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(field, shape)`` for each secret top-level field; shape: value, map or list."""
    for name, prop in (schema.get("properties") or {}).items():
        for option in [prop, *prop.get("anyOf", [])]:
            if _secret(option):
                yield name, "value"
            elif option.get("type") == "object" and _secret(option.get("additionalProperties")):
                yield name, "map"
            elif option.get("type") == "array" and _secret(option.get("items")):
                yield name, "list"
            else:
                continue
            break


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {SEALED} and isinstance(value[SEALED], str)


def mask(value: Any) -> Any:
    """What reads show: every sealed value as ``********``."""
    if is_sealed(value):
        return MASK
    if isinstance(value, dict):
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    return value


def unseal(value: Any, box: SecretBox, where: str = "inputs") -> Any:
    """Plain values, for validation and for the worker that runs the step."""
    if is_sealed(value):
        try:
            return box.decrypt(value[SEALED])
        except ConfigurationError as exc:
            raise InvalidInput(
                "a sealed value that the configured secret key(s) cannot open", field=where
            ) from exc
    if isinstance(value, dict):
        return {key: unseal(item, box, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [unseal(item, box, f"{where}[{n}]") for n, item in enumerate(value)]
    return value


def keep_unchanged(inputs: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """A form sends ``********`` back for a secret it did not change: keep the stored one."""

    def restore(value: Any, old: Any) -> Any:
        if value == MASK and is_sealed(old):
            return old
        if isinstance(value, dict) and isinstance(old, dict):
            return {key: restore(item, old.get(key)) for key, item in value.items()}
        if isinstance(value, list) and isinstance(old, list):
            return [restore(v, old[n] if n < len(old) else None) for n, v in enumerate(value)]
        return value

    return {key: restore(value, previous.get(key)) for key, value in inputs.items()}


def seal(inputs: dict[str, Any], schema: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    """``inputs`` (plain) with every secret field's values encrypted."""
    sealed = dict(inputs)

    def lock(value: Any) -> Any:
        if value is None or is_sealed(value):
            return value
        return {SEALED: box.encrypt(str(value))}

    for name, shape in secret_fields(schema):
        value = sealed.get(name)
        if value is None:
            continue
        if shape == "map" and isinstance(value, dict):
            sealed[name] = {key: lock(item) for key, item in value.items()}
        elif shape == "list" and isinstance(value, list):
            sealed[name] = [lock(item) for item in value]
        elif shape == "value":
            sealed[name] = lock(value)
    return sealed
