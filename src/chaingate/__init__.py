"""chaingate: whom does your project trust, and has anything about them changed?"""

__version__ = "0.1.0"
