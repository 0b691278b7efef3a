"""Readers and writers for import files, with validation that names every bad row."""
