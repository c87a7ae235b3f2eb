"""The notifier: new help requests on the table's stream become one message to moderators.

`records.py` reads a batch of stream records, `notify.py` writes the message (neither does
I/O), `publish.py` sends it to SNS, `batch.py` ties them together and `handler.py` is the
Lambda entry point. No message or log line carries a name, contact or message text."""
