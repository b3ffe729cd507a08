"""Tests of reports, statements, case files and credit decisions."""
