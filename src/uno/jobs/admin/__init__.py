"""uno.jobs.admin: a read-only FastAPI router for health, metrics, queues and job status.

    pip install 'uno-jobs-otel[admin]'

    from fastapi import Depends, FastAPI
    from uno.jobs.admin.api import router as jobs_router

    app = FastAPI()
    app.state.job_manager = manager                  # or override get_job_manager
    app.include_router(jobs_router, dependencies=[Depends(require_admin)])

This package imports nothing by itself; ``uno.jobs.admin.api`` needs FastAPI.
"""
