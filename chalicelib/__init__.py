"""Guichet's service code: everything the Lambda functions need besides app.py."""
