"""Moving the test database's schema with Django's migration executor, for the
data migrations' forward-and-back tests."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: list[tuple[str, str]]):
    """Migrates to `targets` ([(app, migration name)]) and returns the apps
    registry of that state, for its historical models."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def leaf_nodes() -> list[tuple[str, str]]:
    """Every app's latest migration: the schema the code runs on."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()
