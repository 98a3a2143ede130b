"""A tiny ASGI app that lets the infrastructure tests exercise ServiceProcess without a real service."""

import os

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "pid": os.getpid()}


@app.get("/env/{name}")
def env(name: str) -> dict:
    print(f"echo_app read {name}", flush=True)
    return {"name": name, "value": os.environ.get(name)}
