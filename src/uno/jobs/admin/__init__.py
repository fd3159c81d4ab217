"""uno.jobs.admin: the job system's admin API and operator console (FastAPI).

    pip install 'uno-jobs-otel[admin]'

    from fastapi import Depends, FastAPI
    from uno.jobs.admin.api import make_router, router

    app = FastAPI()
    app.state.job_manager = manager                  # or override get_job_manager
    app.include_router(router, dependencies=[Depends(require_admin)])        # read-only
    # or: app.include_router(make_router(actions=True, trace_url=...,
    #                                    dependencies=[Depends(require_admin)]))

Modules: ``api`` (``router``, ``make_router``), ``read_routes`` and
``action_routes`` (uno's admin routes), ``console`` (``GET /jobs/ui``),
``models`` (response models), ``snapshot`` (what they show), ``settings``
(trace URL, actions, the same-origin guard), ``payloads`` (args/kwargs/results
opt-in), ``trace`` (trace ids from job metadata).

This package imports nothing by itself; ``uno.jobs.admin.api`` needs FastAPI.
"""
