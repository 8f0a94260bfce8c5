"""Guichet's AWS resources: one definition for the CDK stack, the local stack and the tests."""
