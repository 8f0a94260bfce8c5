"""Ticket routing: the catalogue, recipient resolution, dispatch to queues, queue consumers."""
