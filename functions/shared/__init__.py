"""Code both functions run: the DynamoDB client, the table's keys and indexes, a contact's
keyed hash, the base errors.

The public form's function and the moderators' function each ship this folder with their own."""
