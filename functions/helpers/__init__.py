"""The helpers' function: the mail outbox, the pages behind e-mails' signed links, and the
daily schedule of introductions and follow-ups.

`outbox.py` turns the table's stream into e-mails (`mails.py` composes them, no I/O),
`pages.py` is the links' ASGI app, `schedule.py` the daily run, `store.py` every write to
the table, `runtime.py` builds the clients from `config.py`, and `handler.py` tells the
three kinds of Lambda event apart. No log line carries a name, address, message or token."""
