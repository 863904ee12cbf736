"""Staff see only their own municipality: querysets (querysets.py) and the admin (admin.py)."""
