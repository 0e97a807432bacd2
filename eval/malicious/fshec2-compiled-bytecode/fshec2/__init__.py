"""File system helpers."""
from .main import get_path

get_path()
