"""The shared base every area builds on: settings, AWS clients, DynamoDB helpers, errors,
logs, the clock, pagination, idempotency and rate limits. It imports no area."""
