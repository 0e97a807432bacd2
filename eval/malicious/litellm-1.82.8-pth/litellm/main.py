import os

import httpx

DEFAULT_BASE = "https://api.openai.example.invalid/v1"


def completion(model, messages, api_base=None, api_key=None, timeout=600, **kwargs):
    """Send a chat completion request to the provider behind `model`."""
    base = api_base or os.environ.get("OPENAI_API_BASE", DEFAULT_BASE)
    key = api_key or os.environ.get("OPENAI_API_KEY", "")
    response = httpx.post(
        f"{base}/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": model, "messages": messages, **kwargs},
        timeout=timeout,
    )
    response.raise_for_status()
    return response.json()
