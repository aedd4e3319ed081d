"""Every Flask extension instance, created once and bound in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from lms.core.models import Base

db = SQLAlchemy(model_class=Base)

# Every model subclasses Model. At run time it is db.Model, which flask-sqlalchemy builds from Base
# (same registry, metadata and naming convention, plus its session binding). mypy cannot use a class
# made at run time as a base, so to mypy Model is the typed declarative Base itself.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def client_ip() -> str:
    return get_remote_address() or request.remote_addr or "unknown"
