"""Hostile inventories, generated from the shipped one: each a file (or a non-file) to build from.

Every case says what a refusal must name (`names`: any of these substrings), and may carry a
`marker`: text that must never reach the output (injected structure, an inline secret).
`expect` is "reject" or "accept" where the outcome is certain; None where either is fine
(exit 2 naming the key, or exit 0 with output the tools accept).
"""

from __future__ import annotations

import copy
import os
import random
import socket
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

import yaml

from tests.helpers import PROJECT_ROOT
from vvdash import inventory

DEFAULT_TEXT = (PROJECT_ROOT / "vvdash.yaml").read_text()
DEFAULT = yaml.safe_load(DEFAULT_TEXT)
# `links` is optional (its default is the first host by name); the cases aim at its URLs, so give it.
DEFAULT.setdefault("links", {"grafana_url": "http://127.0.0.1:3000", "runbook_url": "http://127.0.0.1:9096/RUNBOOK.md"})
MARK = "INJECTED"
APPENDED = len(DEFAULT["alerting"]["receivers"])   # the index of a receiver appended to the shipped ones
SECRET = "S3CR3T-VALUE"


@dataclass
class Case:
    category: str
    name: str
    write: Callable[[Path], Path]        # folder -> the path to pass as --inventory
    names: tuple[str, ...]
    marker: str | None = None
    expect: str | None = None
    cleanup: list = field(default_factory=list)


def _dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=10**9)


def _text_case(category, name, text, names, **kw) -> Case:
    def write(folder: Path) -> Path:
        path = folder / "vvdash.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path
    return Case(category, name, write, tuple(names), **kw)


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def _set(path, value):
    def mutate(data):
        _get(data, path[:-1])[path[-1]] = value
    return mutate


def _mutated(category, name, mutate, names, **kw) -> Case:
    data = copy.deepcopy(DEFAULT)
    mutate(data)
    return _text_case(category, name, _dump(data), names, **kw)


def _leaf(path) -> str:
    return inventory.key_path(path)


# -- injection: text that would end a string or open a template where the value lands ---------
STRING_KEYS = [
    ["sites", 0, "storage_mountpoint"], ["sites", 0, "name"], ["sites", 0, "dvrs", 0, "name"],
    ["sites", 0, "dvrs", 0, "address"], ["sites", 0, "dvrs", 0, "path"], ["sites", 0, "hosts", 0, "address"],
    ["sites", 0, "hosts", 0, "name"], ["sites", 0, "tvs", 0, "id"], ["links", "runbook_url"],
    ["links", "grafana_url"], ["grafana", "folder_uid"], ["grafana", "datasource_uid"],
    ["grafana", "url"], ["alerting", "receivers", 0, "url"], ["alerting", "receivers", 0, "name"],
    ["services", "bind_address"], ["prometheus", "scrape_interval"], ["sites", 0, "video_storage_root"],
    ["pipeline", "summarizer", "bitnet_url"], ["alerting", "group_wait"],
]
# Free text (titles, model names) is data wherever it lands (YAML and JSON dumpers quote it):
# only what a template or variable expansion would act on is hostile there.
TEXT_KEYS = [["grafana", "folder_title"], ["pipeline", "summarizer", "model_name"],
             ["pipeline", "summarizer", "model_version"]]
PAYLOADS = [
    '/", job!="{m}', '/"}} or vector(1) # {m}', '{{{{ printf "{m}" }}}}', "{{{{7*7}}}}{m}", "/x\n{m}: 1",
    "${{{m}}}", "$(rm -rf /){m}", '/\\" {m}', '" {m}', "/`{m}`", "}}}} {m} {{{{",
    "http://127.0.0.1:9095/a\"{m}", "http://127.0.0.1/{{{{{m}}}}}", "/x\r{m}", "/x\t{m}",
    "/x\u2028{m}", "\\\\{m}", "/x\x00{m}", "http://127.0.0.1:9095/$GF_{m}", "/mnt/${m}",
]
TEXT_PAYLOADS = ["{{{{ .{m} }}}}", "x }}}} {m}", "$__{m}", "${{{m}}}", "a\n{m}", "a\x1b[2J{m}", "{{{{/*{m}*/}}}}"]


def injection(rng: random.Random) -> list[Case]:
    cases = []
    for path in STRING_KEYS:
        for payload in rng.sample(PAYLOADS, 3):
            value = payload.format(m=MARK)
            cases.append(_mutated("injection", f"{_leaf(path)}={value!r}", _set(path, value),
                                  [_leaf(path)], marker=MARK))
    for path in TEXT_KEYS:
        for payload in TEXT_PAYLOADS:
            value = payload.format(m=MARK)
            cases.append(_mutated("injection", f"{_leaf(path)}={value!r}", _set(path, value),
                                  [_leaf(path)], marker=MARK))
    return cases


# -- durations -----------------------------------------------------------------------------------
DURATION_KEYS = [["thresholds", "storage", "predict_window"], ["thresholds", "storage", "for"],
                 ["thresholds", "dvr", "disconnected_for"], ["thresholds", "platform", "restart_loop_window"],
                 ["alerting", "repeat_interval"], ["alerting", "group_wait"], ["prometheus", "scrape_interval"],
                 ["thresholds", "storage", "fill_critical_horizon"]]
BAD_DURATIONS = ["1s1h", "5m\n", " 5m", "5m ", "99999999999999y", "293y", "-5m", "5", "5M", "1h1h", "1.5h", "",
                 "5mm", "ms", "5 m", "\uff15m", "9223372036854775808ms", "106752d", 5, 5.5, True, None, ["5m"],
                 {"m": 5}, "1m30", "P1D", "5min", "1e3s", "0x10s"]
GOOD_DURATIONS = ["1d25h", "1y2w3d4h5m6s7ms", "90s", "106751d", "2h"]


def durations(rng: random.Random) -> list[Case]:
    cases = []
    for value in BAD_DURATIONS:
        path = rng.choice(DURATION_KEYS)
        cases.append(_mutated("durations", f"{_leaf(path)}={value!r}", _set(path, value), [_leaf(path)],
                              expect="reject"))
    # Zero: fine for group_wait; refused for a window or interval, and for an alert's `for`, which
    # must be at least one evaluation interval (vvdash/inventory/relations.py).
    for path in DURATION_KEYS:
        zero_ok = path[-1] == "group_wait"
        cases.append(_mutated("durations", f"{_leaf(path)}=0s", _set(path, "0s"), [_leaf(path)],
                              expect="accept" if zero_ok else "reject"))
    for value in GOOD_DURATIONS:
        path = ["thresholds", "storage", "predict_window"]
        cases.append(_mutated("durations", f"{_leaf(path)}={value!r}", _set(path, value), [_leaf(path)]))
    return cases


# -- numbers -------------------------------------------------------------------------------------
NUMBER_KEYS = [["thresholds", "pipeline", "min_items_per_second"], ["thresholds", "storage", "fill_free_floor_ratio"],
               ["thresholds", "dvr", "probe_slow_seconds"], ["thresholds", "pipeline", "queue_backlog"],
               ["sites", 0, "dvrs", 0, "port"], ["services", "prometheus", "port"], ["pipeline", "cleanup", "max_bytes"],
               ["thresholds", "pipeline", "corrupted_files_critical"], ["sites", 0, "tvs", 0, "max_age_hours"],
               ["thresholds", "storage", "subfolder_growth_bytes_per_hour"]]
NUMBER_TEXT = [".inf", "-.inf", ".nan", "1e400", "-1e400", "8554.0", "1.5", "-1", "0", "'5'", "true", str(2**63),
               "1" * 5000, "1e-320", "0x1F", "0o17", "1_000", "null", "[1]", "{a: 1}", "2026-01-01", "~", "!!float 7",
               str(2**53 + 1), "9.999e15"]


def numbers(rng: random.Random) -> list[Case]:
    cases = []
    for text in NUMBER_TEXT:
        for path in rng.sample(NUMBER_KEYS, 2):
            data = copy.deepcopy(DEFAULT)
            _set(path, "@@VALUE@@")(data)
            body = _dump(data).replace("'@@VALUE@@'", text)
            expect = "reject" if text in (".inf", "-.inf", ".nan", "1e400", "-1e400", "'5'", "true", "null",
                                          "[1]", "{a: 1}", "2026-01-01", "~", "-1", str(2**63), "1" * 5000) else None
            cases.append(_text_case("numbers", f"{_leaf(path)}={text[:20]}", body, [_leaf(path)], expect=expect))
    return cases


# -- names and addresses ---------------------------------------------------------------------------
NAME_KEYS = [["sites", 0, "name"], ["sites", 0, "dvrs", 0, "name"], ["sites", 0, "tvs", 0, "id"],
             ["alerting", "receivers", 0, "name"], ["grafana", "folder_uid"], ["sites", 0, "hosts", 0, "name"]]
BAD_NAMES = ["local\n", "Local", "a b", "", "a" * 64, "-a", "1a", "a.b", "\u00e4", "a\u200b", "a/b", 'a"b',
             "a{b}", "dvr1 ", "a\t", "a:b", "a=b", "a,b"]
HOST_KEYS = [["sites", 0, "dvrs", 0, "address"], ["sites", 0, "hosts", 0, "address"], ["services", "bind_address"]]
BAD_HOSTS = ["127.0.0.1\n", "[::1]", "host:80", "ho st", "a..b", "-a.b", "a" * 300, "127.0.0.1/8", "http://x",
             "x" * 64 + ".com", "", "a_b-.c"]
GOOD_HOSTS = ["::1", "localhost", "vv-host.example.", "10.0.0.7"]


def names(rng: random.Random) -> list[Case]:
    cases = []
    for value in BAD_NAMES:
        for path in rng.sample(NAME_KEYS, 2):
            cases.append(_mutated("names", f"{_leaf(path)}={value!r}", _set(path, value), [_leaf(path)],
                                  expect="reject"))
    for value in BAD_HOSTS:
        path = rng.choice(HOST_KEYS)
        cases.append(_mutated("names", f"{_leaf(path)}={value!r}", _set(path, value), [_leaf(path)],
                              expect="reject"))
    for value in GOOD_HOSTS:
        path = ["sites", 0, "hosts", 0, "address"]
        cases.append(_mutated("names", f"{_leaf(path)}={value!r}", _set(path, value), [_leaf(path)]))
    email = {"name": "mail", "type": "email", "to": "ops@example.com", "from": "vv@example.com",
             "smarthost": "smtp.example.com:25"}
    for key, value in (("smarthost", "nohost"), ("smarthost", "smtp:0"), ("smarthost", "smtp:99999"),
                       ("smarthost", "smtp.example.com:25\n"), ("to", "not-an-address"), ("from", "a@b@c"),
                       ("to", "{{ template \"x\" }}@example.com"), ("smarthost", "[::1]:25")):
        def add(data, key=key, value=value):
            data["alerting"]["receivers"].append({**email, key: value})
        cases.append(_mutated("names", f"email {key}={value!r}", add, [f"receivers[{APPENDED}].{key}"],
                              expect="accept" if value == "[::1]:25" else "reject"))
    return cases


# -- encodings -------------------------------------------------------------------------------------
def encodings(rng: random.Random) -> list[Case]:
    t = DEFAULT_TEXT
    title = "folder_title: VV Video AI"
    raw = [
        ("utf-16-le bom", t.encode("utf-16"), "reject"), ("utf-16-be bom", b"\xfe\xff" + t.encode("utf-16-be"), "reject"),
        ("utf-32", t.encode("utf-32"), "reject"), ("utf-8 bom", b"\xef\xbb\xbf" + t.encode(), "accept"),
        ("crlf", t.replace("\n", "\r\n").encode(), "accept"), ("lone cr", t.replace("\n", "\r").encode(), None),
        ("latin-1 e-acute", t.replace(title, "folder_title: VV Vid\u00e9o").encode("latin-1"), "reject"),
        ("utf-8 e-acute", t.replace(title, "folder_title: VV Vid\u00e9o").encode(), "accept"),
        ("overlong utf-8", t.replace(title, "folder_title: X").encode().replace(b"title: X", b"title: \xc0\xaf"), "reject"),
        ("utf-8 surrogate", t.encode().replace(b"VV Video AI", b"\xed\xa0\x80"), "reject"),
        ("nul byte", t.encode().replace(b"VV Video AI", b"VV\x00AI"), "reject"),
        ("bell char", t.encode().replace(b"VV Video AI", b"VV\x07AI"), "reject"),
        ("escaped bell", t.replace(title, 'folder_title: "VV\\aAI"').encode(), "reject"),
        ("escaped nul", t.replace(title, 'folder_title: "VV\\0AI"').encode(), "reject"),
        ("rtl override", t.replace(title, "folder_title: VV \u202eIA").encode(), "reject"),
        ("zero width space in name", t.replace("- name: local", "- name: lo\u200bcal").encode(), "reject"),
        ("non-bmp emoji in title", t.replace(title, "folder_title: VV \U0001F3A5").encode(), "accept"),
        ("non-bmp in name", t.replace("- name: dvr1", "- name: dvr\U0001F3A5").encode(), "reject"),
        ("tab indentation", t.replace("  scrape_interval", "\tscrape_interval").encode(), "reject"),
        ("truncated utf-8", t.encode()[:-1] + b"\xe2\x82", "reject"),
        ("del char", t.encode().replace(b"VV Video AI", b"VV\x7fAI"), "reject"),
        ("c1 control", t.replace(title, "folder_title: VV\u0085AI").encode(), "reject"),
        ("bom mid-file", t.replace(title, "folder_title: VV\ufeffAI").encode(), "reject"),
        ("fullwidth digits port", t.replace("port: 8554\n", "port: \uff18\uff15\uff15\uff14\n", 1).encode(), "reject"),
        ("private use", t.replace(title, "folder_title: VV\ue000").encode(), None),
        ("unpaired surrogate escape", t.replace(title, 'folder_title: "VV\\ud800"').encode(), "reject"),
        ("cp1252 quote", t.replace(title, "folder_title: VV").encode() + b"\x93\n", "reject"),
        ("gb18030", t.replace(title, "folder_title: \u89c6\u9891").encode("gb18030"), "reject"),
        ("utf-7", t.replace(title, "folder_title: +AGEAYgBj-").encode(), "accept"),
    ]
    names_ = ("line", "folder_title", "sites[0].name", "dvrs[0].name", "port", "scrape_interval")
    return [_text_case("encodings", name, data, names_, expect=expect) for name, data, expect in raw] + [
        _text_case("encodings", "only a byte order mark", b"\xef\xbb\xbf", ("top level",), expect="reject")]


# -- alias bombs -----------------------------------------------------------------------------------
def _bomb(width: int, depth: int) -> tuple[str, str]:
    lines = [f"_b0: &b0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, depth + 1):
        lines.append(f"_b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * width)}]")
    return "\n".join(lines), f"*b{depth}"


def alias_bombs(rng: random.Random) -> list[Case]:
    cases = []
    places = [("folder_title: VV Video AI", "folder_title: {ref}", "folder_title"),
              ("      - id: tv2\n", "      - id: tv2\n        extra: {ref}\n", "tvs"),
              ("datasource_uid: vv-prometheus\n", "datasource_uid: vv-prometheus\nx_bomb: {ref}\n", "x_bomb"),
              ("  scrape_interval: 15s", "  scrape_interval: {ref}", "scrape_interval"),
              ("hosts:\n", "hosts: {ref}\n    x_hosts:\n", "hosts")]
    for width, depth in [(9, 9), (10, 8), (20, 6), (100, 3), (2, 40), (3, 25), (50, 4), (5, 12)]:
        for old, new, key in rng.sample(places, 2):
            defs, ref = _bomb(width, depth)
            # anchors are defined in a top-level key placed before their use
            text = DEFAULT_TEXT.replace("version: 1\n", f"version: 1\n{_indent_defs(defs)}", 1)
            text = text.replace(old, new.format(ref=ref), 1)
            cases.append(_text_case("alias bombs", f"{width}x{depth} at {key}", text,
                                    ("aliases", "x_defs", key), expect="reject"))
    recursive = [("sequence", "x_loop: &loop [*loop]"), ("mapping", "x_loop: &loop {a: *loop}"),
                 ("merge", "x_loop: &loop {<<: *loop}"), ("nested", "x_loop: &loop [[[*loop]]]")]
    for name, line in recursive:
        cases.append(_text_case("alias bombs", f"recursive {name}",
                                DEFAULT_TEXT.replace("version: 1\n", f"version: 1\n{line}\n", 1),
                                ("x_loop", "alias", "line"), expect="reject"))
    merge_bomb = ["x_m0: &m0 {a0: 1, a1: 1, a2: 1, a3: 1}"]
    for i in range(1, 12):
        merge_bomb.append(f"x_m{i}: &m{i} {{k{i}: [*m{i - 1}, *m{i - 1}, *m{i - 1}, *m{i - 1}]}}")
    cases.append(_text_case("alias bombs", "merge-key bomb", DEFAULT_TEXT.replace(
        "version: 1\n", "version: 1\n" + "\n".join(merge_bomb) + "\n", 1), ("aliases", "x_m"), expect="reject"))
    # Anchors used as intended: a DVR's settings shared by merge keys. Accepted.
    legit = DEFAULT_TEXT.replace("      - name: dvr1\n        address: 127.0.0.1\n        port: 8554\n",
                                 "      - &dvr name: dvr1\n        address: 127.0.0.1\n        port: 8554\n", 1)
    cases.append(_text_case("alias bombs", "anchor on a scalar, used once",
                            legit.replace("folder_uid: vv-video-ai", "folder_uid: *dvr"), ("folder_uid",),
                            expect="accept"))
    shared = DEFAULT_TEXT.replace("  workers: {scan: 1, summarize: 1, logline: 1}",
                                  "  workers: &w {scan: 1, summarize: 1, logline: 1}")
    cases.append(_text_case("alias bombs", "anchor on a mapping, merged", shared.replace(
        "  tv_scheduler: {period_seconds: 60}", "  tv_scheduler: {<<: *w}"), ("tv_scheduler", "scan"),
        expect="reject"))
    return cases


def _indent_defs(defs: str) -> str:
    # Anchors live under one unknown top-level key so the schema, not the loader, would catch it
    # if the expansion limit were missing.
    return "x_defs:\n" + "".join(f"  {line}\n" for line in defs.splitlines())


# -- huge values -----------------------------------------------------------------------------------
def huge_values(rng: random.Random) -> list[Case]:
    cases = []
    for size in (300, 5_000, 70_000, 200_000, 300_000):
        for path in (["grafana", "folder_title"], ["sites", 0, "storage_mountpoint"], ["links", "runbook_url"]):
            value = ("/" if "mountpoint" in path else "http://127.0.0.1/" if "url" in path[-1] else "") + "A" * size
            cases.append(_mutated("huge values", f"{_leaf(path)} of {size}", _set(path, value),
                                  [_leaf(path), "bytes"], expect="reject" if size > 5_000 or "title" in path[-1] else None))

    def sparse(size: int):
        def write(folder: Path) -> Path:
            path = folder / "vvdash.yaml"
            with open(path, "wb") as fh:
                fh.write(DEFAULT_TEXT.replace("folder_title: VV Video AI", "folder_title: ").encode())
                fh.truncate(size)   # a huge file without the disk: it reads as NUL bytes
            return path
        return write
    for size in (128 * 1024 + 1, 50 * 1024 * 1024, 4 * 1024**3):
        cases.append(Case("huge values", f"file of {size} bytes", sparse(size), ("bytes",), expect="reject"))
    cases.append(_mutated("huge values", "key of 5000 characters",
                          lambda d: d["grafana"].__setitem__("k" * 5000, 1), ("grafana", "key"), expect="reject"))
    for depth in (65, 200, 1000, 5000, 60000):
        cases.append(_text_case("huge values", f"nesting {depth} [", DEFAULT_TEXT.replace(
            "version: 1\n", "version: 1\nx_deep: " + "[" * depth + "]" * depth + "\n", 1),
            ("nested", "nesting", "line", "bytes"), expect="reject"))
        cases.append(_text_case("huge values", f"nesting {depth} {{", DEFAULT_TEXT.replace(
            "version: 1\n", "version: 1\nx_deep: " + "{a: " * depth + "1" + "}" * depth + "\n", 1),
            ("nested", "nesting", "line", "bytes"), expect="reject"))
    block = "x_deep:\n" + "".join("  " * i + "- \n" for i in range(1, 80))
    cases.append(_text_case("huge values", "block nesting 80", DEFAULT_TEXT.replace("version: 1\n", "version: 1\n" + block, 1),
                            ("nested", "line"), expect="reject"))
    many = copy.deepcopy(DEFAULT)
    many["sites"][0]["dvrs"] = [{"name": f"dvr{i}", "address": f"10.1.{i // 250}.{i % 250 + 1}", "port": 554}
                                for i in range(300)]
    cases.append(_text_case("huge values", "300 DVRs", _dump(many), ("dvrs",), expect="accept"))
    cases.append(_mutated("huge values", "100000 list items", lambda d: d.__setitem__("x_list", list(range(100000))),
                          ("x_list", "bytes"), expect="reject"))
    return cases


# -- file kinds ------------------------------------------------------------------------------------
def file_kinds(rng: random.Random) -> list[Case]:
    def fifo(folder: Path) -> Path:
        path = folder / "fifo.yaml"
        os.mkfifo(path)
        return path

    def link_to(target):
        def write(folder: Path) -> Path:
            path = folder / "link.yaml"
            os.symlink(target, path)
            return path
        return write

    def loop(folder: Path) -> Path:
        os.symlink(folder / "b.yaml", folder / "a.yaml")
        os.symlink(folder / "a.yaml", folder / "b.yaml")
        return folder / "a.yaml"

    def self_loop(folder: Path) -> Path:
        os.symlink(folder / "self.yaml", folder / "self.yaml")
        return folder / "self.yaml"

    def directory(folder: Path) -> Path:
        (folder / "dir.yaml").mkdir()
        return folder / "dir.yaml"

    def sock(folder: Path) -> Path:
        path = folder / "s.yaml"
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        s.close()
        return path

    def valid_link(folder: Path) -> Path:
        (folder / "real.yaml").write_text(DEFAULT_TEXT)
        os.symlink(folder / "real.yaml", folder / "link.yaml")
        return folder / "link.yaml"

    def hard_link(folder: Path) -> Path:
        (folder / "real.yaml").write_text(DEFAULT_TEXT)
        os.link(folder / "real.yaml", folder / "hard.yaml")
        return folder / "hard.yaml"

    def missing(folder: Path) -> Path:
        return folder / "absent.yaml"

    def link_to_dir(folder: Path) -> Path:
        os.symlink(folder, folder / "ld.yaml")
        return folder / "ld.yaml"

    def link_to_fifo(folder: Path) -> Path:
        os.mkfifo(folder / "f")
        os.symlink(folder / "f", folder / "lf.yaml")
        return folder / "lf.yaml"

    kinds = [("FIFO", fifo, "reject"), ("symlink to /dev/zero", link_to("/dev/zero"), "reject"),
             ("/dev/null", lambda f: Path("/dev/null"), "reject"), ("symlink to /dev/urandom", link_to("/dev/urandom"), "reject"),
             ("/dev/zero", lambda f: Path("/dev/zero"), "reject"), ("directory", directory, "reject"),
             ("symlink loop", loop, "reject"), ("self symlink", self_loop, "reject"),
             ("dangling symlink", link_to("/nonexistent/vvdash.yaml"), "reject"), ("unix socket", sock, "reject"),
             ("missing", missing, "reject"), ("symlink to a folder", link_to_dir, "reject"),
             ("symlink to a FIFO", link_to_fifo, "reject"), ("symlink to /proc/self/mem", link_to("/proc/self/mem"), "reject"),
             ("symlink to a regular file", valid_link, "accept"), ("hard link", hard_link, "accept")]
    says = ("not a regular file", "symlink loop", "missing file", "not found", "cannot read inventory")
    cases = [Case("file kinds", name, write, says, expect=expect) for name, write, expect in kinds]
    # A regular file that reads as text of another kind: refused for what it lacks.
    cases.append(Case("file kinds", "/proc/self/status", lambda f: Path("/proc/self/status"),
                      ("missing required key", "unknown key"), expect="reject"))
    # A file that is not a whole inventory: the error names the first key it lacks or gets wrong.
    for name, text in (("empty file", ""), ("only comments", "# nothing\n"), ("only ---", "---\n"),
                       ("two documents", DEFAULT_TEXT + "\n---\nversion: 1\n"), ("a list", "- 1\n- 2\n"),
                       ("a scalar", "hello\n"), ("python tag", "version: !!python/object/apply:os.system ['true']\n"),
                       ("binary tag", "version: !!binary aGVsbG8=\n")):
        cases.append(_text_case("file kinds", name, text, ("top level", "line", "version", "missing required key"),
                                expect="reject"))
    return cases


# -- overlaps --------------------------------------------------------------------------------------
def overlaps(rng: random.Random) -> list[Case]:
    cases = []
    ports = {name: svc["port"] for name, svc in DEFAULT["services"].items()
             if name != "bind_address" and svc.get("enabled", True) and name != "dvr_simulator"}
    for name in rng.sample(sorted(ports), 8):
        cases.append(_mutated("overlaps", f"DVR port = {name}", _set(["sites", 0, "dvrs", 0, "port"], ports[name]),
                              ["dvrs[0].port"], expect="reject"))
    for address in ("localhost", "127.0.0.2", "0.0.0.0"):
        cases.append(_mutated("overlaps", f"DVR on {address} at the Prometheus port", lambda d, a=address: (
            d["sites"][0]["dvrs"][0].update(address=a, port=ports["prometheus"])), ["dvrs[0].port"], expect="reject"))
    cases.append(_mutated("overlaps", "DVR elsewhere at the Prometheus port", lambda d: (
        d["sites"][0]["dvrs"][0].update(address="10.9.9.9", port=ports["prometheus"])), ["dvrs[0].port"], expect="accept"))
    for first, second in (("cam.example.com", "cam.example.com"), ("cam.example.com", "CAM.example.com"),
                          ("cam.example.com", "cam.example.com."), ("10.0.0.9", "10.0.0.9")):
        def two(d, first=first, second=second):
            d["sites"][0]["dvrs"][0]["address"] = first
            d["sites"][0]["dvrs"].append({**d["sites"][0]["dvrs"][0], "name": "dvr2", "address": second})
        cases.append(_mutated("overlaps", f"two DVRs on {first} and {second}", two, ["dvrs[1].port"],
                              expect="reject"))
    for first, second in (("var/storage", "var/storage"), ("var/storage", "./var/storage"), ("var/storage", "var/storage/"),
                          ("var/storage", "var/storage/site2"), ("var", "var/storage"), ("/srv/v", "/srv/v/../v")):
        def two_sites(d, first=first, second=second):
            other = copy.deepcopy(d["sites"][0])
            other.update(name="other", video_storage_root=second)
            d["sites"][0]["video_storage_root"] = first
            d["sites"].append(other)
        cases.append(_mutated("overlaps", f"storage roots {first} / {second}", two_sites, ["video_storage_root"],
                              expect="reject"))
    def separate(d):
        other = copy.deepcopy(d["sites"][0])
        other.update(name="other", video_storage_root="var/storage-other", storage_mountpoint="/mnt/v.other")
        other["dvrs"][0]["port"] = 8555
        d["sites"].append(other)
    cases.append(_mutated("overlaps", "two sites apart", separate, ["sites"], expect="accept"))

    def same_path_elsewhere(d):
        other = copy.deepcopy(d["sites"][0])
        other.update(name="remote", hosts=[{"name": "remote-host", "address": "10.20.0.1"}])
        other["dvrs"][0]["address"] = "10.20.0.50"
        d["sites"].append(other)
    cases.append(_mutated("overlaps", "same storage path on another site's own host", same_path_elsewhere, ["sites"],
                          expect="accept"))
    dup_names = [("sites", lambda d: d["sites"].append({**copy.deepcopy(d["sites"][0]), "video_storage_root": "v2"}), "sites[1].name"),
                 ("dvrs", lambda d: d["sites"][0]["dvrs"].append({**d["sites"][0]["dvrs"][0], "port": 9999}), "dvrs[1].name"),
                 ("tvs", lambda d: d["sites"][0]["tvs"].append({"id": "tv2"}), "tvs[2].id"),
                 ("hosts", lambda d: d["sites"][0]["hosts"].append({"name": "vv-host", "address": "10.0.0.2"}), "hosts[1].name"),
                 ("receivers", lambda d: d["alerting"]["receivers"].append(dict(d["alerting"]["receivers"][0])), f"receivers[{APPENDED}].name")]
    for name, mutate, key in dup_names:
        cases.append(_mutated("overlaps", f"duplicate {name} name", mutate, [key], expect="reject"))
    for a, b in (("orchestrator", "scan_video"), ("prometheus", "grafana"), ("alertmanager", "webhook_receiver")):
        cases.append(_mutated("overlaps", f"service ports {a} = {b}", _set(["services", b, "port"], ports[a]),
                              [f"services.{b}.port", f"services.{a}.port"], expect="reject"))
    cases.append(_mutated("overlaps", "disabled service shares a port",
                          _set(["services", "cadvisor", "port"], ports["prometheus"]), ["cadvisor"], expect="accept"))
    for key, line in (("scrape_interval", "  scrape_interval: 15s\n"), ("port", "        port: 8554\n"),
                      ("version", "version: 1\n"), ("name", "  - name: local\n"), ("critical", "    critical: paging\n")):
        text = DEFAULT_TEXT.replace(line, line + line.replace(line.strip(), line.strip()), 1)
        if key == "name":
            text = DEFAULT_TEXT.replace(line, line + "    name: other\n", 1)
        cases.append(_text_case("overlaps", f"duplicate YAML key {key}", text, [f"duplicate key '{key}'"],
                                expect="reject"))
    return cases


# -- inverted thresholds (relationships; either outcome, but valid output when accepted) ------------
def inverted_thresholds(rng: random.Random) -> list[Case]:
    pairs = [(["thresholds", "storage", "fill_warning_horizon"], "1h", ["thresholds", "storage", "fill_critical_horizon"], "1d"),
             (["thresholds", "pipeline", "corrupted_files_warning"], 20, ["thresholds", "pipeline", "corrupted_files_critical"], 2),
             (["thresholds", "storage", "fill_free_floor_ratio"], 0.01, ["thresholds", "storage", "almost_full_free_ratio"], 0.5),
             (["prometheus", "scrape_interval"], "10m", ["thresholds", "dvr", "for"], "1m"),
             (["prometheus", "evaluation_interval"], "1h", ["thresholds", "pipeline", "for"], "1m"),
             (["alerting", "group_interval"], "1d", ["alerting", "repeat_interval"], "1m"),
             (["prometheus", "scrape_interval"], "5m", ["thresholds", "storage", "predict_window"], "1m"),
             (["thresholds", "platform", "restart_loop_window"], "1s", ["prometheus", "evaluation_interval"], "1m"),
             (["pipeline", "self_monitor", "budget_window_seconds"], 1, ["pipeline", "self_monitor", "period_seconds"], 600),
             (["thresholds", "pipeline", "slo_target"], 0.0, ["thresholds", "pipeline", "stage_error_ratio"], 1.0),
             (["thresholds", "scheduler", "stale_periods"], 1, ["pipeline", "tv_scheduler", "period_seconds"], 0.001),
             (["prometheus", "scrape_interval"], "1m", ["prometheus", "evaluation_interval"], "1s")]
    cases = []
    for a, va, b, vb in pairs:
        def both(d, a=a, va=va, b=b, vb=vb):
            _set(a, va)(d)
            _set(b, vb)(d)
        cases.append(_mutated("inverted thresholds", f"{_leaf(a)}={va} / {_leaf(b)}={vb}", both, [a[-1], b[-1]]))
        cases.append(_mutated("inverted thresholds", f"{_leaf(b)}={va} / {_leaf(a)}={vb} (swapped types)",
                              lambda d, a=a, b=b, va=va, vb=vb: (_set(a, vb)(d), _set(b, va)(d)), [a[-1], b[-1]]))
    return cases


# -- secrets typed inline --------------------------------------------------------------------------
def secrets(rng: random.Random) -> list[Case]:
    email = {"name": "mail", "type": "email", "to": "ops@example.com", "from": "vv@example.com",
             "smarthost": "smtp.example.com:25"}
    places = [(["pipeline", "hmac_key"], SECRET), (["grafana", "token"], SECRET), (["grafana", "password"], SECRET),
              (["pipeline", "hmac_key"], {"value": SECRET}), (["grafana", "token"], {"env": SECRET.lower()}),
              (["grafana", "token"], {"file": SECRET + "\n"}), (["pipeline", "hmac_key"], [SECRET]),
              (["alerting", "receivers", 0, "url"], f"https://hooks.example.com/{SECRET}"),
              (["alerting", "receivers", 0, "url"], f"http://user:{SECRET}@127.0.0.1:9095/x"),
              (["alerting", "receivers", 0, "url"], {"env": "X", "file": SECRET})]
    cases = [_mutated("secrets", f"{_leaf(path)} inline", _set(path, value), [_leaf(path)], marker=SECRET,
                      expect="reject") for path, value in places]
    for key in ("auth_password", "api_url", "routing_key"):
        kind = {"auth_password": "email", "api_url": "slack", "routing_key": "pagerduty"}[key]
        rec = {**email, "type": kind, key: SECRET} if kind == "email" else {"name": "x", "type": kind, key: SECRET,
                                                                            **({"channel": "#ops"} if kind == "slack" else {})}
        cases.append(_mutated("secrets", f"{kind} {key} inline", lambda d, r=rec: d["alerting"]["receivers"].append(r),
                              [f"receivers[{APPENDED}].{key}"], marker=SECRET, expect="reject"))
    return cases


CATEGORIES = [injection, durations, numbers, names, encodings, alias_bombs, huge_values, file_kinds, overlaps,
              inverted_thresholds, secrets]


def all_cases(seed: int) -> list[Case]:
    rng = random.Random(seed)
    return [case for make in CATEGORIES for case in make(rng)]
