"""Config errors a person can act on: the valid keys, the nearest one, the value.

Why our own code: jsonargparse rejects an unknown key with "Group 'data' does
not accept option 'limt'" or "unrecognized arguments: --data.limt=5", and a
bad value with a nested report of every union member it tried. It neither
lists the keys that are valid there nor suggests the nearest one, so this
module reads its message and the parser's options and says both.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tfstarter.errors import ConfigError

if TYPE_CHECKING:
    from jsonargparse import ArgumentParser

_KEY = r"'(?P<key>[\w.-]+)'"
_UNKNOWN_PATTERNS = (
    re.compile(
        r"Group '(?P<group>[\w.]+)' does not accept (?:nested key|option) " + _KEY
    ),
    re.compile(
        r"(?:Subcommand|Parser) '\w+' does not accept (?:nested key|option) " + _KEY
    ),
    re.compile(r"unrecognized arguments: --?(?P<key>[\w.-]+)"),
    re.compile(r"Key " + _KEY + " is not expected"),
)
_BUILDER = re.compile(
    r"Problem with given class_path '(?P<path>[\w.]+)':\s+"
    r"(?:Option|Key) '(?P<key>[\w.-]+)' is not (?:accepted|expected)"
)
_BAD_VALUE = re.compile(r'Parser key "(?P<key>[\w.]+)"')
_GIVEN = re.compile(r"(?:Given|Got) value: (?P<value>.*)")
_REQUIRED = re.compile(r"the following arguments are required: (?P<keys>.*)")


def option_keys(parser: ArgumentParser) -> list[str]:
    """Return the dotted config keys a parser accepts (``data.limit``, ``seed``, ...).

    Options that only steer the command (``--config``, ``--quiet``, ...) are
    left out.
    """
    from tfstarter.cli._parsers import CLI_ONLY

    keys = []
    for action in parser._actions:
        dest = str(getattr(action, "dest", "")).replace("-", "_")
        if dest and dest not in ("help", "version", *CLI_ONLY):
            keys.append(dest)
    return keys


def _children(keys: Iterable[str], group: str) -> list[str]:
    prefix = f"{group}." if group else ""
    found: dict[str, None] = {}
    for key in keys:
        if key.startswith(prefix) and key != group:
            found[key[len(prefix) :].split(".")[0]] = None
    return list(found)


def unknown_key_message(
    key: str, valid: Iterable[str], *, where: str, shown: str | None = None
) -> str:
    """Say ``key`` is unknown in ``where``; list the valid keys, suggest the nearest.

    Examples:
        >>> print(unknown_key_message("limt", ["limit", "source"], where="`data`"))
        unknown key `limt` in `data`. Did you mean `limit`? Valid keys: limit, source.
    """
    names = sorted(set(valid))
    nearest = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
    hint = f" Did you mean `{nearest[0]}`?" if nearest else ""
    return (
        f"unknown key `{shown or key}` in {where}.{hint} "
        f"Valid keys: {', '.join(names)}."
    )


def _signature_keys(path: str, skip: frozenset[str]) -> list[str]:
    from tfstarter.cli._signature_call import import_callable

    try:
        target = import_callable(path, key="class_path")
    except ConfigError:
        return []
    return [name for name in inspect.signature(target).parameters if name not in skip]


def _unknown_in_signature(message: str, *, model_skip: frozenset[str]) -> str | None:
    found = _BUILDER.search(message)
    if found is None:
        return None
    parent = _BAD_VALUE.search(message)
    group = parent["key"] if parent is not None else "model"
    path, key = found["path"], found["key"]
    skip = model_skip if group == "model" else frozenset()
    where = f"`{group}` ({path})" if group == "model" else f"`{group}`"
    return unknown_key_message(
        key, _signature_keys(path, skip), where=where, shown=f"{group}.{key}"
    )


def _unknown_option(message: str, keys: list[str]) -> str | None:
    for pattern in _UNKNOWN_PATTERNS:
        found = pattern.search(message)
        if found is None:
            continue
        groups: dict[str, Any] = found.groupdict()
        key = groups["key"].split("=")[0].replace("-", "_")
        if groups.get("group"):
            key = f"{groups['group']}.{key}"
        parent = key.rpartition(".")[0]
        while parent and not _children(keys, parent):
            parent = parent.rpartition(".")[0]
        name = key[len(parent) + 1 :].split(".")[0] if parent else key.split(".")[0]
        where = f"`{parent}`" if parent else "the config's top level"
        return unknown_key_message(
            name, _children(keys, parent), where=where, shown=key
        )
    return None


def _bad_value(message: str) -> str | None:
    found = _BAD_VALUE.search(message)
    if found is None:
        return None
    key = found["key"]
    given = _GIVEN.findall(message)
    value = f" {given[-1].strip()}" if given else ""
    detail = "\n".join(
        line
        for line in message.splitlines()[1:]
        if "Given value" not in line and line.strip()
    )
    return (
        f"bad value for `{key}`:{value}. Fix it in the config file or with "
        f"--{key}=VALUE; what jsonargparse expected:\n{_GIVEN.sub('', detail)}"
    )


def _missing(message: str) -> str | None:
    found = _REQUIRED.search(message)
    if found is None:
        return None
    keys = [key.strip().split(".", 1)[-1] for key in found["keys"].split(",")]
    example = " (e.g. --model=tfstarter.models.cnn)" if "model" in keys else ""
    return (
        f"{', '.join(f'`{key}`' for key in keys)} is required but not given; set it "
        f"in the config file or on the command line{example}."
    )


def explain(
    error: Exception, parser: ArgumentParser, *, model_skip: frozenset[str]
) -> str:
    """Turn a jsonargparse error into a message that names the key and the fix.

    Examples:
        >>> from jsonargparse import ArgumentParser
        >>> parser = ArgumentParser(exit_on_error=False)
        >>> _ = parser.add_argument("--data.limit", type=int)
        >>> error = ValueError("unrecognized arguments: --data.limt=5")
        >>> print(explain(error, parser, model_skip=frozenset()))
        unknown key `data.limt` in `data`. Did you mean `limit`? Valid keys: limit.
    """
    message = str(error)
    return (
        _unknown_in_signature(message, model_skip=model_skip)
        or _unknown_option(message, option_keys(parser))
        or _bad_value(message)
        or _missing(message)
        or message
    )
