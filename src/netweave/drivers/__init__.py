"""Device drivers: adapters over Netmiko, NAPALM, Paramiko ... registered as entry points
(group ``netweave.drivers``)."""

from netweave.drivers.base import (
    CommandOutput,
    ConfigOutcome,
    Driver,
    DriverError,
    DriverSession,
    registry,
)

__all__ = ["CommandOutput", "ConfigOutcome", "Driver", "DriverError", "DriverSession", "registry"]
