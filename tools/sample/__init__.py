"""The generator of the committed sample stream (data/sample/) and the phrases it is written from."""
