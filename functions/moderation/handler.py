"""The Lambda entry point: `functions.moderation.handler.handler`."""

import os

from mangum import Mangum

from .app import create_app
from .config import Config

app = create_app(Config.from_env(os.environ))
handler = Mangum(app, lifespan="off")
