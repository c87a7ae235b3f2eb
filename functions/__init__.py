"""Lambda functions; each subpackage is one deployable unit."""
