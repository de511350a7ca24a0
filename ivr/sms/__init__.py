"""The SMS keyword service: matching, replies and segment counting."""
