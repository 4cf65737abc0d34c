"""Service types: built-ins and third-party ones through the ``netweave.services`` entry
point group, custom ones from a folder."""

from netweave.services.base import (
    DeviceFacts,
    SavedConfig,
    Service,
    ServiceContext,
    ServiceInputs,
    ServiceOutcome,
    registry,
)

__all__ = [
    "DeviceFacts",
    "SavedConfig",
    "Service",
    "ServiceContext",
    "ServiceInputs",
    "ServiceOutcome",
    "registry",
]
