"""Start-up without the CDK's package-level imports.

`import airbyte_cdk.anything` first runs `airbyte_cdk/__init__.py`, which imports the declarative
framework, file-based sources, destinations and the concurrent machinery to re-export their names:
most of the CDK's start-up memory, none of it used by this connector, which imports the CDK's
modules by their full paths. Registering the package without running that file lets the submodules
load as usual; the first access to a name the file would have defined (`from airbyte_cdk import X`,
`airbyte_cdk.__version__`) runs it then, so code that needs the exports still gets them.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from typing import Any

CDK_PACKAGE = "airbyte_cdk"


def skip_cdk_package_exports() -> bool:
    """Registers `airbyte_cdk` without its package-level imports; False when it is already imported
    (or cannot be found), which leaves everything as it was."""
    if CDK_PACKAGE in sys.modules:
        return False
    spec = importlib.util.find_spec(CDK_PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    package = importlib.util.module_from_spec(spec)
    lock = threading.RLock()
    state = {"ran": False}

    def exports(name: str) -> Any:
        """Runs the package file once, at the first name asked for that a submodule did not set."""
        submodule = sys.modules.get(f"{CDK_PACKAGE}.{name}")
        if submodule is not None:  # still being imported: not yet set on the package
            return submodule
        with lock:
            if not state["ran"]:
                state["ran"] = True
                assert spec.loader is not None
                spec.loader.exec_module(package)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {CDK_PACKAGE!r} has no attribute {name!r}") from None

    package.__getattr__ = exports  # type: ignore[method-assign]
    sys.modules[CDK_PACKAGE] = package
    return True


def package_exports_ran() -> bool:
    """Whether `airbyte_cdk/__init__.py` has run in this process."""
    package = sys.modules.get(CDK_PACKAGE)
    return isinstance(package, types.ModuleType) and "launch" in package.__dict__
