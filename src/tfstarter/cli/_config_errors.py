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
_GIVEN = re.compile(r"Given value: (?P<value>.*)")


def option_keys(parser: ArgumentParser) -> list[str]:
    """Return the dotted keys a parser accepts (``data.limit``, ``seed``, ...)."""
    keys = []
    for action in parser._actions:
        dest = getattr(action, "dest", "")
        if dest and dest not in ("help", "config", "print_config", "version"):
            keys.append(dest.replace("-", "_"))
    return keys


def _children(keys: Iterable[str], group: str) -> list[str]:
    prefix = f"{group}." if group else ""
    found: dict[str, None] = {}
    for key in keys:
        if key.startswith(prefix) and key != group:
            found[key[len(prefix) :].split(".")[0]] = None
    return list(found)


def unknown_key_message(key: str, valid: Iterable[str], *, where: str) -> str:
    """Say ``key`` is unknown in ``where``; list the valid keys, suggest the nearest.

    Examples:
        >>> print(unknown_key_message("limt", ["limit", "source"], where="`data`"))
        unknown key `limt` in `data`. Did you mean `limit`? Valid keys: limit, source.
    """
    names = sorted(set(valid))
    nearest = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
    hint = f" Did you mean `{nearest[0]}`?" if nearest else ""
    return f"unknown key `{key}` in {where}.{hint} Valid keys: {', '.join(names)}."


def _builder_keys(path: str, skip: frozenset[str]) -> list[str]:
    from tfstarter.cli._signature_call import import_callable

    try:
        target = import_callable(path, key="model.class_path")
    except ConfigError:
        return []
    return [name for name in inspect.signature(target).parameters if name not in skip]


def explain(
    error: Exception, parser: ArgumentParser, *, model_skip: frozenset[str]
) -> str:
    """Turn a jsonargparse error into a message that names the key and the fix.

    Examples:
        >>> from jsonargparse import ArgumentParser
        >>> parser = ArgumentParser(exit_on_error=False)
        >>> _ = parser.add_argument("--data.limit", type=int)
        >>> print(
        ...     explain(
        ...         ValueError("unrecognized arguments: --data.limt=5"),
        ...         parser,
        ...         model_skip=frozenset(),
        ...     )
        ... )
        unknown key `data.limt` in `data`. Did you mean `limit`? Valid keys: limit.
    """
    message = str(error)
    builder = _BUILDER.search(message)
    if builder is not None:
        return unknown_key_message(
            f"model.init_args.{builder['key']}",
            _builder_keys(builder["path"], model_skip),
            where=f"the arguments of {builder['path']}",
        ).replace(f"`model.init_args.{builder['key']}` in", f"`{builder['key']}` in")
    keys = option_keys(parser)
    for pattern in _UNKNOWN_PATTERNS:
        found = pattern.search(message)
        if found is None:
            continue
        groups: dict[str, Any] = found.groupdict()
        key = groups["key"].split("=")[0].replace("-", "_")
        group = groups.get("group") or ""
        if group:
            key = f"{group}.{key}"
        parent = key.rpartition(".")[0]
        while parent and not _children(keys, parent):
            parent = parent.rpartition(".")[0]
        name = key[len(parent) + 1 :] if parent else key
        where = f"`{parent}`" if parent else "the top level"
        shown = key if parent else name
        text = unknown_key_message(name, _children(keys, parent), where=where)
        return text.replace(f"`{name}` in", f"`{shown}` in", 1)
    bad = _BAD_VALUE.search(message)
    if bad is not None:
        given = _GIVEN.findall(message)
        value = f" {given[-1]}" if given else ""
        detail = "\n".join(
            line for line in message.splitlines()[1:] if "Given value" not in line
        )
        return (
            f"bad value for `{bad['key']}`:{value}. It must match the type below; "
            f"fix the config file or the --{bad['key']} option.\n{detail}"
        )
    return message
