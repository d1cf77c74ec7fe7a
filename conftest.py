"""Plugins for every test in the repository (unit_tests/ and integration_tests/)."""

# integration_tests/ is on pytest's `pythonpath`; the guard fails a test that binds a fixed port.
pytest_plugins = ["port_guard"]
