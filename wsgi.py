"""Entry point for gunicorn: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

import sys

from lms import create_app
from lms.core.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    # One line that says what to set, not a traceback.
    sys.exit(f"Học số cộng đồng: {error}")
