"""The moderators' command line: `python -m functions.help_requests.admin --help`."""
