from .client import connect
