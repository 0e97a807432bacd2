"""Asynchronous and synchronous client for the Crypto Pay API."""
from aiocpa.client import CryptoPay  # noqa: F401
from aiocpa.utils.sync import async_to_sync  # noqa: F401

__version__ = "0.1.13"
