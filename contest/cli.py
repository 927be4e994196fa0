"""flask CLI commands: users, contests, the worker, demo data."""


def init_app(app):
    pass
