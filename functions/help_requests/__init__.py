"""The help-request form handler: validate a submission and store it in DynamoDB."""

from .app import create_app
from .config import Config, load_config

__all__ = ["Config", "create_app", "load_config"]
