from .core import *  # noqa
