"""The order-tracking service's entry point: `uvicorn app.main:app`."""

from fastapi import FastAPI

app = FastAPI(title="orders")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
