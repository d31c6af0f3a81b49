"""YouTube: comment threads of videos and channels (Data API v3)."""
