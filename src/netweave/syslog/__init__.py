"""The syslog receiver: ``netweave syslog``, or embedded in ``netweave serve``."""

from netweave.syslog.server import SyslogServer

__all__ = ["SyslogServer"]
