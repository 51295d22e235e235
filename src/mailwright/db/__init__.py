from mailwright.db.base import Base
from mailwright.db.engine import Database

__all__ = ["Base", "Database"]
