"""sendsim: an agent-based simulation of England's SEND system."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sendsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
