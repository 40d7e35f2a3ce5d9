"""Runs each line of the README's Python block (section "In JupyterLab") in an IPython shell, as an analyst types
them; prints one JSON record per line (used by tests/test_readme_examples.py in a subprocess).

    python tests/readme_runner.py README.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def readme_lines(readme: str) -> list[str]:
    """The statements of the README's API block (comment-only and empty lines left out)."""
    block = readme.split("## In JupyterLab", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    return [ln for ln in block.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def main(path: str) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance(colors="nocolor")
    for line in readme_lines(Path(path).read_text(encoding="utf-8")):
        with capture_output() as cap:
            result = shell.run_cell(line, store_history=False)
        err = result.error_in_exec
        print(json.dumps({"line": line, "ok": result.success,
                          "error_mro": [c.__name__ for c in type(err).__mro__] if err else [],
                          "stdout": cap.stdout, "stderr": cap.stderr}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
