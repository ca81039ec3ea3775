"""Data files shipped inside the wheel (contracts, checks, DDL), with an optional folder override.

Every loader of packaged data reads through here, so the lookup rules and the error messages are the
same everywhere: ``<directory>/<relative path>`` when a folder is given, else the copy inside the
installed package (which also works when the wheel is imported as a zip from ``--py-files``).

Examples
--------
>>> read_packaged_json("gluestar.schemas", "finance/budget.json", what="schema file")["name"]
'budget'
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from gluestar.exceptions import ConfigurationError

__all__ = ["read_packaged_json", "read_packaged_text"]


def read_packaged_text(package: str, relative: str, *, directory: str | Path | None = None, what: str) -> str:
    """Read a UTF-8 data file from ``directory`` or, without one, from ``package`` in the wheel.

    Parameters
    ----------
    package : str
        The package holding the file, e.g. ``"gluestar.ddl"``.
    relative : str
        The file's path below the package (or the folder), ``/``-separated.
    directory : str or Path, optional
        A folder laid out like the package, read instead of it.
    what : str
        What the file is, for messages (``"schema file"``, ``"DDL file"``).

    Raises
    ------
    ConfigurationError
        If the file does not exist.

    Examples
    --------
    >>> read_packaged_text("gluestar.ddl", "finance/nope.sql", what="DDL file")
    Traceback (most recent call last):
    ...
    gluestar.exceptions.ConfigurationError: no DDL file finance/nope.sql in the gluestar wheel
    """
    if directory is not None:
        path = Path(directory).joinpath(*relative.split("/"))
        if not path.is_file():
            raise ConfigurationError(f"no {what} {path}")
        return path.read_text(encoding="utf-8")
    resource = resources.files(package).joinpath(*relative.split("/"))
    if not resource.is_file():
        raise ConfigurationError(f"no {what} {relative} in the gluestar wheel")
    return resource.read_text(encoding="utf-8")


def read_packaged_json(package: str, relative: str, *, directory: str | Path | None = None, what: str) -> Any:
    """Read and parse a JSON data file like :func:`read_packaged_text`.

    Raises
    ------
    ConfigurationError
        If the file does not exist or is not valid JSON.
    """
    text = read_packaged_text(package, relative, directory=directory, what=what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{what} {relative} is not valid JSON: {exc}") from None
