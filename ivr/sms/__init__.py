"""The SMS keyword service: matching, replies and the conversation."""
