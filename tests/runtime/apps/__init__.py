"""Task modules that `python -m uno.jobs worker --app` loads in the process tests."""
