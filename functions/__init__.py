"""Lambda code: `help_requests` (the public form's function), `moderation` (the moderators'
API and command line), `notifier` (tells moderators of new requests) and `shared` (what they
all run). A function ships its own folder and `shared`, no more."""
