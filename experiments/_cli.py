"""Shared command line for every experiment.

An experiment module defines a frozen dataclass ``Config`` (fields with defaults, optional
``metadata={"help": ...}``, and a ``validate()`` that raises a one-line ``ValueError`` naming the
field), ``get_config(quick: bool) -> Config``, ``run(config, out_dir, progress) -> dict`` and calls
:func:`main`:

    python -m experiments.<name> [--quick] [--key=value ...] [--out=results/<name>]

* ``--help`` lists every field with its type and default (and the quick default where it differs).
* ``--key=value`` overrides a field; values are parsed by the field's type (``int``, ``float``,
  ``bool``, ``str``, ``tuple[int, ...]`` as ``1,2,3``). Unknown fields raise ``ValueError``.
* Every config is validated (``Config.validate()``) before anything compiles.
* Results go to ``results/<name>/metrics.json`` (atomic) beside the figures.
* Compiled programs are kept in jax's persistent compilation cache (``~/.cache/jdl/xla``, or
  ``$JAX_COMPILATION_CACHE_DIR``), so a second run of the same sizes skips their compilation.
"""
from __future__ import annotations

import dataclasses
import os
import platform
import sys
import time
import types
import typing
from pathlib import Path
from typing import Any, Callable

import jax

from jdl.io import save_json

__all__ = ["parse_value", "override", "help_text", "parse_args", "main", "environment", "at_least",
           "use_compilation_cache"]



def at_least(config, minimum, *names: str) -> None:
    """Raise a one-line ``ValueError`` naming the first field of ``names`` below ``minimum``.

    >>> import types
    >>> at_least(types.SimpleNamespace(steps=0), 1, "steps")
    Traceback (most recent call last):
    ...
    ValueError: steps: must be >= 1, got 0
    """
    for name in names:
        value = getattr(config, name)
        if value < minimum:
            raise ValueError(f"{name}: must be >= {minimum}, got {value}")


def _field_type(cls, field: dataclasses.Field):
    hints = typing.get_type_hints(cls)
    return hints.get(field.name, type(field.default))


def parse_value(name: str, tp, text: str):
    """Parse ``text`` as a value of type ``tp`` for field ``name`` (one-line ``ValueError`` if it fails)."""
    origin = typing.get_origin(tp)
    try:
        if origin is tuple or tp is tuple:
            args = typing.get_args(tp)
            inner = args[0] if args else str
            parts = [p for p in text.replace(" ", "").split(",") if p]
            return tuple(parse_value(name, inner, p) for p in parts)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if text.lower() in ("none", "null", ""):
                return None
            return parse_value(name, args[0], text)
        if tp is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if tp is int:
            return int(float(text)) if "e" in text.lower() else int(text)
        if tp is float:
            return float(text)
        return tp(text)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: cannot parse {text!r} as {getattr(tp, '__name__', tp)}") from None


def override(config, overrides: dict[str, str]):
    """Return ``config`` with string overrides applied (unknown field -> ``ValueError``)."""
    fields = {f.name: f for f in dataclasses.fields(config)}
    changes = {}
    for key, text in overrides.items():
        name = key.replace("-", "_")
        if name not in fields:
            raise ValueError(f"{key}: unknown field; known fields: {', '.join(fields)}")
        changes[name] = parse_value(name, _field_type(type(config), fields[name]), text)
    return dataclasses.replace(config, **changes)


def help_text(name: str, doc: str, get_config: Callable[[bool], Any]) -> str:
    full, quick = get_config(False), get_config(True)
    lines = [f"usage: python -m experiments.{name} [--quick] [--key=value ...] [--out=DIR] [--no-progress]", ""]
    lines += [doc.strip(), "", "options:", "  --help          this message",
              "  --quick         small sizes (seconds on a CPU)",
              f"  --out=DIR       results folder (default results/{name})",
              "  --no-progress   no progress bars", "", "config fields (--key=value):"]
    for f in dataclasses.fields(full):
        tp = _field_type(type(full), f)
        tname = getattr(tp, "__name__", str(tp)).replace("typing.", "")
        if typing.get_origin(tp) is tuple:
            tname = f"tuple[{getattr(typing.get_args(tp)[0], '__name__', '?')}, ...] as a,b,c"
        default = getattr(full, f.name)
        q = getattr(quick, f.name)
        extra = f"  (quick: {q})" if q != default else ""
        desc = f.metadata.get("help", "")
        lines.append(f"  --{f.name}={default}  [{tname}]{extra}")
        if desc:
            lines.append(f"        {desc}")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> tuple[bool, dict[str, str], dict[str, Any]]:
    """Split argv into (quick, field overrides, runner options)."""
    quick, overrides, opts = False, {}, {"out": None, "progress": True, "help": False}
    for arg in argv:
        if arg in ("-h", "--help"):
            opts["help"] = True
        elif arg == "--quick":
            quick = True
        elif arg == "--no-progress":
            opts["progress"] = False
        elif arg.startswith("--out="):
            opts["out"] = arg.split("=", 1)[1]
        elif arg.startswith("--") and "=" in arg:
            k, v = arg[2:].split("=", 1)
            overrides[k] = v
        else:
            raise ValueError(f"{arg}: expected --key=value, --quick, --out=DIR or --help")
    return quick, overrides, opts


def environment() -> dict:
    """Where and with what a result was computed."""
    dev = jax.devices()[0]
    return {
        "device": f"{dev.platform}: {getattr(dev, 'device_kind', dev.platform)} x{jax.device_count()}",
        "jax_version": jax.__version__,
        "python": platform.python_version(),
    }


def use_compilation_cache() -> None:
    """Point jax's persistent compilation cache at ``~/.cache/jdl/xla`` unless one is configured.

    Quick runs are mostly compilation; the cache is keyed by the program, backend and flags.
    Programs that compile in more than 0.2 s are kept (jax's default threshold is 1 s) unless
    ``JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS`` says otherwise; ``JAX_ENABLE_COMPILATION_CACHE=false``
    turns the cache off.
    """
    if os.environ.get("JAX_COMPILATION_CACHE_DIR") or jax.config.jax_compilation_cache_dir:
        return
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory: run without a cache
        return
    jax.config.update("jax_compilation_cache_dir", str(base / "jdl" / "xla"))
    if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)


def main(name: str, doc: str, get_config: Callable[[bool], Any], run: Callable[..., dict],
         argv: list[str] | None = None) -> dict | None:
    """Parse the command line, validate, run, add the environment and wall time, save metrics.json."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        quick, overrides, opts = parse_args(argv)
        if opts["help"]:
            print(help_text(name, doc, get_config))
            return None
        config = override(get_config(quick), overrides)
        config.validate()
    except ValueError as e:
        raise SystemExit(f"error: {e}") from None
    out = Path(opts["out"] or Path("results") / name)
    out.mkdir(parents=True, exist_ok=True)
    use_compilation_cache()
    t0 = time.perf_counter()
    metrics = run(config, out_dir=out, progress=opts["progress"])
    metrics.update(environment())
    metrics["wall_s"] = round(time.perf_counter() - t0, 3)
    metrics["config"] = dataclasses.asdict(config)
    metrics["quick"] = quick
    metrics["figures"] = sorted(p.name for p in out.glob("*.png"))
    path = save_json(out / "metrics.json", metrics)
    print(f"wrote {path} ({metrics['wall_s']:.1f} s)")
    return metrics
