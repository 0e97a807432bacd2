"""Root package info."""
import logging

from lightning._runtime import ensure_runtime
from lightning.trainer import Trainer  # noqa: F401

__version__ = "2.6.2"
_logger = logging.getLogger(__name__)

ensure_runtime()
