"""The moderators' tools: read, mark, export and erase stored help requests.

`store.py` does the work in the table; the ways in sit beside it, one module each: `cli.py`,
the command line (`ask-admin`, or `python -m functions.moderation`)."""
