"""Spreadsheets in and out, shared by the three apps: files, cells, widgets and the resource base."""
