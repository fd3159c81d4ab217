"""The layers import one way: core never imports the job package, and the
runtime (``uno.jobs`` outside monitoring/admin) never loads OpenTelemetry."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import unittest
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` statement in ``path`` names, at any depth."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def modules_loaded_by(*modules: str) -> list[str]:
    code = (f"import sys\nimport {', '.join(modules)}\n"
            "import json; print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return json.loads(out)


class CoreNeverImportsJobsTest(unittest.TestCase):
    def test_no_core_module_names_uno_jobs(self) -> None:
        offenders = {
            str(path.relative_to(SRC)): sorted(
                name for name in imported_modules(path) if name.split(".")[:2] == ["uno", "jobs"])
            for path in (SRC / "uno" / "core").rglob("*.py")
        }
        self.assertEqual({path: names for path, names in offenders.items() if names}, {})

    def test_importing_core_monitoring_loads_no_job_module(self) -> None:
        core = sorted(f"uno.core.monitoring.{path.stem}"
                      for path in (SRC / "uno" / "core" / "monitoring").glob("*.py")
                      if path.stem != "__init__")
        loaded = modules_loaded_by(*core)
        self.assertEqual([m for m in loaded if m.startswith("uno.jobs")], [])


class RuntimeWithoutOpenTelemetryTest(unittest.TestCase):
    def test_runtime_status_and_cli_load_no_opentelemetry(self) -> None:
        loaded = modules_loaded_by("uno.jobs", "uno.jobs.status", "uno.jobs.cli")
        self.assertIn("uno.jobs.status", loaded)
        self.assertEqual([m for m in loaded if m.startswith("opentelemetry")], [])


if __name__ == "__main__":
    unittest.main()
