"""The proxy behaviour suite. A package so that its conftest.py is imported as
proxy.conftest and does not shadow compat-tests/conftest.py, which other tests import by
name (`from conftest import seed_dir`)."""
