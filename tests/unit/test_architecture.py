"""The package's structure, checked: the import layers (import-linter contract in .importlinter), imports at module
level unless a deferred one says why, and modules small enough to read."""

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "wordbridge"
DEFERRED = re.compile(r"^\s+(from|import) wordbridge\b")
MAX_LINES = 350


def test_import_layers_are_kept():
    lint = shutil.which("lint-imports")
    assert lint, "import-linter is missing: pip install -c constraints.txt -e '.[dev]'"
    proc = subprocess.run([lint, "--config", str(ROOT / ".importlinter"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_every_deferred_wordbridge_import_says_why():
    bare = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
            for path in sorted(SRC.rglob("*.py"))
            for n, line in enumerate(path.read_text().splitlines(), 1)
            if DEFERRED.match(line) and "#" not in line]
    assert not bare, "deferred imports need a one-line reason comment:\n" + "\n".join(bare)


def test_no_module_is_over_the_size_limit():
    big = {str(p.relative_to(ROOT)): n for p in sorted(SRC.rglob("*.py"))
           if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines (split them by concern): {big}"
