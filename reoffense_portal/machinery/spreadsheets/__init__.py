"""Spreadsheets in and out, shared by the three apps: files, cells, widgets, the resource base (resources)
and the admin's import and export (admin)."""
