"""The one way every command writes its outputs: checked path, OS lock, staging folder, atomic swap.

Rules (each refusal is an `OutputError` naming the path and the fix, raised before anything is
written or deleted):

* the path is not empty, not the current folder or one of its parents, not a filesystem root or
  the home folder;
* it is not, does not contain and does not lie inside an input (`run_inputs.Inputs`: the scenario,
  its `extends` chain, every data file and their folders);
* an existing folder is replaced only when it is empty or this tool wrote it: its `manifest.json`
  carries `"tool": "county-health-planner"` (`TOOL_MARKER`, added to every folder written here);
* while a command writes, it holds `fcntl.flock` on the sibling `.<name>.lock`; a second writer to
  the same path is refused at once, naming the folder, and never touches the first one's files;
* staging folders are named `.<name>.staging-<pid>-<random>`; under the lock, only those of dead
  processes are removed, never a live writer's.

`output_folder` serves run, compare, whatif and map; `write_output_file` the one-file `diff --out`.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from optimizer.errors import OutputError
from optimizer.inputs.run_inputs import Inputs
from optimizer.outputs.files import atomic_write_bytes, atomic_write_json

logger = logging.getLogger(__name__)

TOOL_MARKER = "county-health-planner"
"""Value of `tool` in the `manifest.json` of every folder this tool writes; nothing else is replaced."""
MANIFEST = "manifest.json"
LOCK_ATTEMPTS = 5
_EXAMPLE = "e.g. --out out/lu_county"


def lock_path(resolved: Path) -> Path:
    """The sibling lock file of an output path: `.<name>.lock`."""
    return resolved.parent / f".{resolved.name}.lock"


def check_output_path(
    out: Path, inputs: Inputs, *, kind: Literal["folder", "file"] = "folder", option: str = "--out"
) -> Path:
    """The resolved output path, or an `OutputError` when writing there could destroy what is not ours."""
    if str(out).strip() in ("", "."):
        raise OutputError(f"{option} '{out}': is empty or the current folder; give a separate {kind}, {_EXAMPLE}")
    resolved = Path(out).resolve()
    here = Path.cwd().resolve()
    if resolved == here or resolved in here.parents:
        raise OutputError(
            f"{option} {out}: is the current folder {here} (or contains it) and would be replaced; "
            f"give a separate {kind}, {_EXAMPLE}"
        )
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise OutputError(f"{option} {out}: is {resolved}; give a separate {kind}, {_EXAMPLE}")
    if resolved in inputs.files:
        raise OutputError(f"{option} {out}: is the input file {resolved}; give a separate {kind}, {_EXAMPLE}")
    for folder in sorted(inputs.folders):
        if resolved.is_relative_to(folder):
            raise OutputError(
                f"{option} {out}: is the input folder {folder} (or inside it); give a separate {kind}, {_EXAMPLE}"
            )
    for path in sorted(inputs.files):
        if path.is_relative_to(resolved):
            raise OutputError(f"{option} {out}: contains the input file {path}; give a separate {kind}, {_EXAMPLE}")
    for folder in sorted(inputs.folders):
        if folder.is_relative_to(resolved):
            raise OutputError(f"{option} {out}: contains the input folder {folder}; give a separate {kind}, {_EXAMPLE}")
    if kind == "folder" and resolved.exists() and not resolved.is_dir():
        raise OutputError(f"{option} {out}: is a file; give a folder, {_EXAMPLE}")
    if kind == "file" and resolved.is_dir():
        raise OutputError(f"{option} {out}: is a folder; give a file name, e.g. --out out/diff.csv")
    return resolved


def is_tool_folder(folder: Path) -> bool:
    """True when `folder/manifest.json` carries this tool's marker."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("tool") == TOOL_MARKER


def check_replaceable(resolved: Path, out: Path, *, option: str = "--out") -> None:
    """Refuse an existing folder that is neither empty nor written by this tool."""
    if not resolved.exists() or is_tool_folder(resolved):
        return
    entries = sorted(p.name for p in resolved.iterdir())
    if entries:
        shown = ", ".join(entries[:3]) + (", …" if len(entries) > 3 else "")
        raise OutputError(
            f"{option} {out}: holds files this tool did not write ({shown}; no {MANIFEST} with "
            f'"tool": "{TOOL_MARKER}"); give a new or empty folder, or move those files away'
        )


@contextmanager
def output_lock(resolved: Path, out: Path, *, option: str = "--out") -> Iterator[None]:
    """Hold an exclusive `flock` on `.<name>.lock` beside `resolved`; refuse at once when another holds it.

    The lock file is removed on release. Whoever locks a file that was meanwhile removed (its inode
    is no longer the one at the path) tries again, so two writers never both believe they hold it.
    """
    path = lock_path(resolved)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(LOCK_ATTEMPTS):
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(handle)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = _read_pid(path)
            raise OutputError(
                f"{option} {out}: another optimizer command{f' (pid {holder})' if holder else ''} "
                f"is writing {resolved} (lock {path} is held); wait for it to finish or give "
                "another folder"
            ) from None
        if _same_file(handle, path):
            break
        os.close(handle)
    else:
        raise OutputError(f"{option} {out}: could not lock {path} (it keeps being replaced); try again")
    try:
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        if _same_file(handle, path):
            path.unlink(missing_ok=True)
        os.close(handle)


@contextmanager
def output_folder(
    out: Path, inputs: Inputs, *, command: str, option: str = "--out", keep_existing: bool = False
) -> Iterator[Path]:
    """Check and lock `out`, yield a fresh staging folder, then swap it in place of `out`.

    Everything a command writes goes into the staging folder; on success its `manifest.json` gets
    the tool marker, the command and the SHA-256 of every input (hashed when the lock is taken,
    before the command reads them again), and the folder replaces `out` with two renames: a run
    killed at any moment leaves the previous complete result (or, between the renames, that result
    kept aside as `.<name>.previous-…`, restored by the next writer), never a mix. On error the
    staging folder is removed and `out` is untouched. `keep_existing` starts the staging folder as a
    copy of `out` (`optimizer map` re-renders part of a run).
    """
    resolved = check_output_path(out, inputs, option=option)
    with output_lock(resolved, out, option=option):
        _clean_stale(resolved)
        check_replaceable(resolved, out, option=option)
        hashes = inputs.hashes()
        staging = Path(tempfile.mkdtemp(prefix=f".{resolved.name}.staging-{os.getpid()}-", dir=resolved.parent))
        try:
            staging.chmod(0o755)  # mkdtemp creates 0700; outputs are shared folders
            if keep_existing and resolved.is_dir():
                shutil.copytree(resolved, staging, dirs_exist_ok=True)
            yield staging
            _mark(staging, command, hashes)
            check_replaceable(resolved, out, option=option)
            _swap(staging, resolved)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def write_output_file(
    out: Path, inputs: Inputs, payload: bytes, *, is_ours: Callable[[Path], bool], option: str = "--out"
) -> Path:
    """Write one output file atomically under the lock; an existing file is replaced only when `is_ours`."""
    resolved = check_output_path(out, inputs, kind="file", option=option)
    with output_lock(resolved, out, option=option):
        if resolved.exists() and not is_ours(resolved):
            raise OutputError(
                f"{option} {out}: exists and was not written by this command; give a new file "
                "name, or move that file away"
            )
        atomic_write_bytes(resolved, payload)
    return resolved


def _mark(staging: Path, command: str, hashes: dict[str, str]) -> None:
    """Add the tool marker, command, input hashes and (if absent) the file list to the manifest."""
    path = staging / MANIFEST
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    manifest["tool"] = TOOL_MARKER
    manifest.setdefault("command", command)
    manifest["inputs"] = hashes
    manifest.setdefault("files", sorted(p.name for p in staging.iterdir() if p.name != MANIFEST))
    atomic_write_json(path, manifest)


def _swap(staging: Path, resolved: Path) -> None:
    previous = None
    if resolved.exists():
        previous = resolved.with_name(f".{resolved.name}.previous-{staging.name.split('.staging-', 1)[1]}")
        resolved.replace(previous)
    staging.replace(resolved)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def _clean_stale(resolved: Path) -> None:
    """Under the lock: remove staging folders of dead writers; restore or drop their kept-aside results."""
    for kind in ("staging", "previous"):
        prefix = f".{resolved.name}.{kind}-"
        for entry in sorted(resolved.parent.iterdir()):
            if not entry.name.startswith(prefix) or not entry.is_dir():
                continue
            pid = _pid_in(entry.name[len(prefix) :])
            if pid is None or _alive(pid):
                continue  # not ours to judge, or a live writer's
            if kind == "previous" and not resolved.exists() and is_tool_folder(entry):
                logger.warning("restoring %s, kept aside by a writer killed during the swap", resolved)
                entry.replace(resolved)
            else:
                logger.info("removing %s, left by a writer that is no longer running", entry)
                shutil.rmtree(entry, ignore_errors=True)


def _pid_in(suffix: str) -> int | None:
    head = suffix.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftovers: this process holds the lock and writes no other staging here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _same_file(handle: int, path: Path) -> bool:
    try:
        return os.fstat(handle).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def _read_pid(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
