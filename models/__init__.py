"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from importlib import import_module
from pkgutil import iter_modules

from models.base import Base

# Import every module in this package so that Alembic and tests see all tables,
# whichever domain added them.
for _info in iter_modules(__path__):
    import_module(f"{__name__}.{_info.name}")

__all__ = ["Base"]
