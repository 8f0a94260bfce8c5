"""Tickets: records and keys, store, access (who may see a ticket), submission, follow-up,
desk, help requests without an account, and the views the API returns."""
