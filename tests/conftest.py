"""Test set-up: CPU only, strict dtype promotion, a fresh key per test."""
import os
import zlib
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")
# A persistent XLA cache shared by the xdist workers and by the subprocesses and notebook kernels
# they start (the environment is inherited): experiments and notebooks compile the same programs.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".pytest_cache" / "jax"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")

import jax  # noqa: E402
import pytest  # noqa: E402

# Mixed float32/float64 arithmetic must be explicit in jdl (implicit promotion hides precision bugs).
jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture
def key(request):
    """A key derived from the test's name: fresh per test, reproducible across runs."""
    # crc32, not hash(): str hashes are salted per process (PYTHONHASHSEED), which made keys differ between runs
    return jax.random.key(zlib.crc32(request.node.name.encode()) % (2**31))


@pytest.fixture
def config_error():
    """``config_error(module, args, field)``: ``module.main(["--quick", *args])`` stops, before anything
    compiles, with one line ``error: <field>: ...``."""
    def check(module, args, field):
        with pytest.raises(SystemExit) as e:
            module.main(["--quick", *args])
        msg = str(e.value)
        assert msg.startswith(f"error: {field}:") and "\n" not in msg, msg

    return check


@pytest.fixture
def run_quick(tmp_path):
    """``run_quick(name, *args) -> metrics``: ``python -m experiments.<name> --quick`` as a user runs it."""
    import json
    import subprocess
    import sys

    def run(name, *args):
        res = subprocess.run([sys.executable, "-m", f"experiments.{name}", "--quick", "--no-progress",
                              f"--out={tmp_path}", *args], capture_output=True, text=True, timeout=280)
        assert res.returncode == 0, res.stderr[-3000:]
        return json.loads((tmp_path / "metrics.json").read_text())

    return run
