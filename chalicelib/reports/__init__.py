"""The agents' reports: figures from several areas put side by side (the edge gathers them)."""
