"""Role checks for Flask views."""
from .checks import admin_required, require_admin  # noqa: F401

__version__ = "1.4.2"
