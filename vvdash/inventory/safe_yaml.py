"""YAML for hand-edited inventories: safe types only, and limits a hostile file cannot get past.

- nesting at most MAX_DEPTH deep (5,000 `[` would exhaust Python's recursion),
- at most MAX_NODES nodes once aliases are expanded (a "billion laughs" file is a few hundred
  bytes), and no alias that contains itself,
- no duplicate keys (YAML would keep the last one silently): the error names the key and both lines,
- keys are strings, and no scalar longer than MAX_SCALAR characters.

Every refusal is one VVError line: `<file>: line N: <key path>: <problem>`.
"""

from __future__ import annotations

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from vvdash.errors import VVError

MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_SCALAR = 65_536
MAX_KEY = 128
_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
MAX_DIGITS = 100   # Python refuses to read integers over 4,300 digits; no inventory number needs 100

try:  # libyaml's parser when available: the same events, several times faster
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser as _Parser  # type: ignore[assignment]
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _Parser):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _Parser.__init__(self)  # type: ignore[call-arg]  # the pure-Python Parser, not CParser


class _TooDeep(Exception):
    def __init__(self, mark):
        self.mark = mark


class _Loader(Composer, SafeConstructor, Resolver, _Parser):
    """SafeLoader's types, with a composer that stops at MAX_DEPTH."""

    def __init__(self, stream: str):
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                event = self.peek_event()
                raise _TooDeep(event.start_mark if event is not None else None)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _line(node) -> int:
    return node.start_mark.line + 1


def _path_text(parts: list) -> str:
    from vvdash.inventory import key_path
    return key_path(parts)


class _Checker:
    """One walk over the node graph: expanded size, cycles, keys, scalar lengths."""

    def __init__(self, label: str):
        self.label = label
        self.size: dict[int, int] = {}
        self.active: set[int] = set()

    def fail(self, node, parts, problem):
        raise VVError(f"{self.label}: line {_line(node)}: {_path_text(parts)}: {problem}")

    def walk(self, node, parts: list) -> int:
        key = id(node)
        if key in self.size:
            return self.size[key]
        if key in self.active:
            self.fail(node, parts, "an alias that contains itself")
        self.active.add(key)
        total = 1
        if isinstance(node, ScalarNode):
            if len(node.value) > MAX_SCALAR:
                self.fail(node, parts, f"a value of {len(node.value)} characters (at most {MAX_SCALAR})")
            if node.tag in _NUMBERS and len(node.value) > MAX_DIGITS:
                self.fail(node, parts, f"a number of {len(node.value)} characters (at most {MAX_DIGITS})")
        elif isinstance(node, SequenceNode):
            for i, child in enumerate(node.value):
                total += self.walk(child, parts + [i])
                self.bound(total, node, parts)
        elif isinstance(node, MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    total += self.walk(value_node, parts)
                    self.bound(total, node, parts)
                    continue
                if not isinstance(key_node, ScalarNode) or key_node.tag != _STR:
                    self.fail(key_node, parts, "a key that is not a string")
                name = key_node.value
                if len(name) > MAX_KEY or not name.isprintable():
                    self.fail(key_node, parts, f"a key that is not printable or longer than {MAX_KEY} characters")
                if name in seen:
                    self.fail(key_node, parts + [name],
                              f"duplicate key {name!r} (lines {seen[name]} and {_line(key_node)})")
                seen[name] = _line(key_node)
                total += 1 + self.walk(value_node, parts + [name])
                self.bound(total, node, parts)
        self.active.discard(key)
        self.size[key] = total
        return total

    def bound(self, total: int, node, parts) -> None:
        if total > MAX_NODES:
            self.fail(node, parts, f"more than {MAX_NODES} values once aliases are expanded (an alias bomb?)")


def load(text: str, label: str):
    """Parse one YAML document under the limits above; VVError with one line otherwise."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _Checker(label).walk(node, [])
        return loader.construct_document(node)
    except _TooDeep as exc:
        raise VVError(f"{label}: line {exc.mark.line + 1}: nested more than {MAX_DEPTH} levels deep") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise VVError(f"{label}: {where}: invalid YAML: {problem}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # A scalar the safe constructor cannot turn into a value (an integer of 5,000 digits).
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise VVError(f"{label}: invalid YAML value: {text[:120]}") from None
    finally:
        loader.dispose()
