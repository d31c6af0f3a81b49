"""Facebook pages and Instagram accounts: Meta webhooks and Graph API responses."""
