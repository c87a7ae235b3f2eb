"""The moderators' tools: list, read, assign, answer, export and erase stored help requests.

`store.py` does the work in the table, through its key and indexes only; the ways in sit
beside it: `app.py`, the API of the inbox at /admin/ (in Lambda: `handler.py`, behind
API Gateway's JWT authorizer), and `cli.py`, the command line (`ask-admin`, or
`python -m functions.moderation`) for scripts and bulk work."""
