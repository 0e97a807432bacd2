from fastapi import FastAPI

from chaingate.service.runtime import Runtime


def mount(app: FastAPI, rt: Runtime) -> None:
    return None
