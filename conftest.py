"""Plugins for every test in the repository (unit_tests/ and integration_tests/)."""

# integration_tests/ is on pytest's `pythonpath`. The port guard fails a test that binds a fixed port;
# memory_release returns what a test module freed to the system before the next module runs.
pytest_plugins = ["port_guard", "memory_release"]
