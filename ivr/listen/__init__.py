"""The listen-online page: every answer to read, with its recordings at two speeds.

Served by the line at /listen, and written as static files by `ivr export-site` for any static
host; both render the same templates from the same pages (ivr/listen/pages.py).
"""
