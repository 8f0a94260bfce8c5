"""Ticket attachments: models, content checks, repository (DynamoDB), S3 uploads, service."""
