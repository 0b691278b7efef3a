"""outreach-planner: the service (data model, loading, storage, analysis, web app, CLI)."""
__version__ = "0.1.0"
