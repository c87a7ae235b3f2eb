"""Lambda code: `help_requests` (the public form's function), `moderation` (the moderators'
tools) and `shared` (what both run). A function ships its own folder and `shared`, no more."""
