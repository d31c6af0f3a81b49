"""Reddit: subreddit listings, comments and search."""
