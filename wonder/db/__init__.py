"""Database layer: models, engines, unit of work, migrations."""
