"""NetWeave: vendor-agnostic network automation platform."""

__version__ = "0.1.0"
