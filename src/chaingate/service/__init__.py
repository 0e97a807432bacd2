"""`chaingate serve`: the watcher, the alerts, the JSON API and the dashboard over one
long-lived `Engine` per process (docs/service.md).

settings.py (what a service process is told), runtime.py (one per process: the database,
the engine, the job queue), files.py (uploaded manifests into an inventory, never by their
names on disk), auth.py (tokens), evaluate.py (a project's evaluation, findings over time,
alerts), deliver.py (webhook bodies, signatures, the retry schedule), watcher.py (polling the
registry), jobs.py (the Dramatiq actors and the scheduler), api.py (FastAPI), dashboard.py
(server-rendered pages), metrics.py (Prometheus text).
"""
