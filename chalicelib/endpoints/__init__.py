"""The HTTP routes and event handlers of each area, one Chalice blueprint per module."""
