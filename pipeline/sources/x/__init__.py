"""X (Twitter): Account Activity webhook events."""
