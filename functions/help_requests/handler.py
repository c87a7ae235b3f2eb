"""The Lambda entry point: `functions.help_requests.handler.handler`."""

import gc

# What a cold start builds lives as long as the container; collecting garbage meanwhile only
# walks it again and again (a third of the import-and-client time). Collect nothing until it
# is built, then freeze it out of the collector's sight for good.
gc.disable()

import os  # noqa: E402

from mangum import Mangum  # noqa: E402

from .app import create_app  # noqa: E402
from .config import Config  # noqa: E402

try:
    app = create_app(Config.from_env(os.environ))
finally:
    gc.enable()
gc.freeze()
handler = Mangum(app, lifespan="off")
