"""`build.py serve`: the site, the form's API and the moderators' inbox with its API on one
origin, rebuilt and reloaded on every save, with DynamoDB Local behind the APIs and Cognito on
moto for the moderators' sign-in."""
