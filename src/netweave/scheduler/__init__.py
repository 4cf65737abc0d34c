"""The scheduler process: ``netweave scheduler``, or embedded in ``netweave serve``."""

from netweave.scheduler.loop import SchedulerLoop

__all__ = ["SchedulerLoop"]
