"""The helpers' function: the mail outbox, the pages behind e-mails' signed links, and the
daily schedule of introductions and follow-ups.

`handler.py` tells the three kinds of Lambda event apart; `outbox.py` turns the table's stream
into e-mails, composed by `mails.py`; `pages.py` is the links' ASGI app and `flows.py` what each
link shows and does; `schedule.py` is the daily run. `changes.py` builds every write (pure),
`store.py` sends them and reads the table; `items.py`, `links.py` and `texts.py` read items,
sign links and hold the pages' strings; `runtime.py` makes the clients from `config.py`.
No log line carries a name, address, message or token."""
