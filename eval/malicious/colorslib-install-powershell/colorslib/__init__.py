"""Cross-platform colored terminal text (a copy of colorama's public API)."""
from .ansi import Back, Fore, Style  # noqa: F401

__version__ = "4.6.11"


def init(autoreset=False):
    """Kept for compatibility with colorama.init()."""
    return None
