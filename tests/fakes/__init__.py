"""In-memory fakes of the service's adapters, for service tests without moto.

Each fake implements the protocol its adapter implements (chalicelib's
`TicketStore`, `Idempotency`, `AttachmentRepository`...) and is held to the same
behaviour as the DynamoDB / S3 adapter by one contract suite run against both
(tests/functional/contracts/). Every fake guards its state with the one lock of
tests/fakes/transaction.py, so they stay exact when tests call them from threads.
"""
