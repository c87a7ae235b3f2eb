"""`build.py serve`: the site and the form's API on one origin, rebuilt and reloaded on every
save, with DynamoDB Local behind the API."""
