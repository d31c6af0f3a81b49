"""The webhook receiver: pushed events, signed, from the webhook providers of the registered sources."""
