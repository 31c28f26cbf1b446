"""Tests for the package nnkit/exercises/: tests/exercises/test_<module>.py tests nnkit/exercises/<module>.py."""
