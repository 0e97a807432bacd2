"""Call 100+ LLM APIs using the OpenAI format."""
from litellm.main import completion  # noqa: F401

__version__ = "1.82.8"
