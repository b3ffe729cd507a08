"""Tests of notices: formatting, rendering, email, letters and call tasks."""
