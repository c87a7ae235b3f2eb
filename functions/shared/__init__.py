"""Code both functions run: the DynamoDB client, the table's keys and times, the base errors.

The public form's function and the moderators' tools each ship this folder with their own."""
