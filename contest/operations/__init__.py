"""Domain operations: every state change, shared by the web views, the API, the CLI and jobs.

They take plain values and the acting user, never read the request, and raise
DomainError with a message for the person who asked.
"""
