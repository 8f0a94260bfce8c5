"""The HTTP edge: declared routes, event handlers, request models, the wiring of areas."""
