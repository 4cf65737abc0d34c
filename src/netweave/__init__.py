"""NetWeave: vendor-agnostic network automation platform."""

import warnings

# asyncssh names cryptography's DSA classes when it is imported; NetWeave never uses DSA keys,
# and the five deprecation warnings would otherwise open the output of every command.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh(\.|$)")

__version__ = "0.1.0"
