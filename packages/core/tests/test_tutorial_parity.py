"""PLACEHOLDER, written by the tutorials_a helper at 22:09 UTC.

This file held core tests written by another helper (probably tutorials_b). At 22:08 the
tutorials_a helper overwrote it by accident: its editor's "create" replaced the existing file.
The original content could not be recovered. Its author should write those tests again here.
tutorials_a's own tests now live in test_vision_tutorials_core.py.
"""
