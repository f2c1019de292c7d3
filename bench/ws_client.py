"""A browser-free Streamlit client: speaks the app's websocket protocol (BackMsg / ForwardMsg protobufs).

Used by `make bench` (20 sessions x 10 filter changes) and tests/e2e/test_load.py (5 x 3). It connects to
ws://127.0.0.1:PORT/_stcore/stream, sends a `rerun_script` BackMsg with widget states, and reads ForwardMsgs
until `script_finished`, collecting the metric tiles, the widgets (id, label, options) and any exceptions.
Every wait is bounded by a timeout; it only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

LOOPBACK = "127.0.0.1"
STREAM_PATH = "/_stcore/stream"
# The browser sends "streamlit" as the subprotocol; the server echoes the first entry back.
SUBPROTOCOL = "streamlit"
# Big pages (plotly specs, dataframes as Arrow) exceed websockets' 1 MiB default frame limit.
MAX_FRAME_BYTES = 256 * 1024 * 1024
FINISHED_OK = {"FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"}


@dataclass(frozen=True)
class Widget:
    """A widget the script rendered: its protocol id, kind (proto field name), label and options."""

    id: str
    kind: str
    label: str
    options: tuple[str, ...] = ()
    fragment_id: str = ""  # set when the widget sits in an st.fragment: its changes rerun that fragment only


@dataclass
class RerunResult:
    """What one script run sent back."""

    seconds: float
    status: str = ""
    metrics: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (body, help)
    widgets: list[Widget] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    messages: int = 0
    metric_seconds: dict[str, float] = field(default_factory=dict)  # label -> when it first arrived

    @property
    def ok(self) -> bool:
        return self.status in FINISHED_OK and not self.exceptions

    def widget_id(self, key: str) -> str | None:
        """The protocol id of the widget created with `key=...` (Streamlit ends a keyed id with the key)."""
        for widget in self.widgets:
            if widget.id.endswith(f"-{key}") or widget.id == key:
                return widget.id
        return None

    def widget(self, key: str) -> Widget | None:
        wanted = self.widget_id(key)
        return next((w for w in self.widgets if w.id == wanted), None)


def stream_url(port: int) -> str:
    return f"ws://{LOOPBACK}:{port}{STREAM_PATH}"


def rerun_message(
    string_arrays: Mapping[str, Sequence[str]] | None = None,
    page_script_hash: str = "",
    query_string: str = "",
    ints: Mapping[str, int] | None = None,
    fragment_id: str = "",
) -> bytes:
    """A serialized BackMsg asking for a script run with these widget values: string arrays (multiselect,
    segmented control: the shown option texts) and ints (an integer number_input). With `fragment_id`, only that
    fragment reruns, as the browser asks when a widget inside an st.fragment changes."""
    message = BackMsg()
    state = message.rerun_script
    state.query_string = query_string
    state.page_script_hash = page_script_hash
    if fragment_id:
        state.fragment_id = fragment_id
    for widget_id, values in (string_arrays or {}).items():
        widget = state.widget_states.widgets.add()
        widget.id = widget_id
        widget.string_array_value.data.extend(list(values))
    for widget_id, number in (ints or {}).items():
        widget = state.widget_states.widgets.add()
        widget.id = widget_id
        widget.int_value = int(number)
    return message.SerializeToString()


def _collect_element(forward: ForwardMsg, result: RerunResult) -> None:
    if forward.WhichOneof("type") != "delta" or forward.delta.WhichOneof("type") != "new_element":
        return
    element = forward.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "metric":
        result.metrics[element.metric.label] = (element.metric.body, element.metric.help)
    elif kind == "exception":
        result.exceptions.append(f"{element.exception.type}: {element.exception.message}")
    elif kind in {"multiselect", "selectbox", "radio", "date_input", "number_input", "button_group", "checkbox"}:
        proto = getattr(element, kind)
        options = tuple(str(o) for o in getattr(proto, "options", ()))
        if kind == "button_group":  # a segmented control's options are messages with a content text
            options = tuple(getattr(o, "content", str(o)) for o in getattr(proto, "options", ()))
        label = getattr(proto, "label", "")
        fragment = forward.delta.fragment_id
        result.widgets.append(Widget(id=proto.id, kind=kind, label=label, options=options, fragment_id=fragment))


class Session:
    """One Streamlit session over one websocket. Use as `async with Session(port) as session:`."""

    def __init__(self, port: int, timeout_s: float = 120.0) -> None:
        self.port = port
        self.timeout_s = timeout_s
        self._socket: websockets.ClientConnection | None = None

    async def __aenter__(self) -> Session:
        self._socket = await asyncio.wait_for(
            websockets.connect(
                stream_url(self.port),
                subprotocols=[SUBPROTOCOL],
                max_size=MAX_FRAME_BYTES,
                open_timeout=self.timeout_s,
                ping_interval=None,  # a long rerun must not look like a dead peer
            ),
            self.timeout_s,
        )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def rerun(
        self,
        string_arrays: Mapping[str, Sequence[str]] | None = None,
        ints: Mapping[str, int] | None = None,
        fragment_id: str = "",
    ) -> RerunResult:
        """Send rerun_script (see rerun_message) and read until script_finished (or the timeout); returns what
        came back. A fragment rerun sends only that fragment's elements."""
        if self._socket is None:
            raise RuntimeError("Session is not connected; use `async with Session(port)`.")
        started = time.perf_counter()
        result = RerunResult(seconds=0.0)
        await self._socket.send(rerun_message(string_arrays, ints=ints, fragment_id=fragment_id))
        deadline = started + self.timeout_s
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                result.status = "TIMEOUT"
                break
            try:
                raw = await asyncio.wait_for(self._socket.recv(), left)
            except TimeoutError:
                result.status = "TIMEOUT"
                break
            forward = ForwardMsg()
            forward.ParseFromString(raw)
            result.messages += 1
            _collect_element(forward, result)
            for label in result.metrics.keys() - result.metric_seconds.keys():
                result.metric_seconds[label] = time.perf_counter() - started
            if forward.WhichOneof("type") == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(forward.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # our own newer request superseded a run; the next finish is ours
                result.status = status
                break
        result.seconds = time.perf_counter() - started
        return result


_NUMBER = re.compile(r"-?[\d,]*\.?\d+")
_SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def parse_display_number(text: str) -> tuple[float, float]:
    """(value, tolerance) of a number as a tile shows it: "$1,234.50", "2.35%", "4.10x", "$465.3K".

    Percentages come back as fractions (2.35% -> 0.0235). The tolerance is half a unit of the last shown
    digit (plus a little float slack), so a correct value always passes and a wrong one rarely does.
    Raises ValueError when there is no number ("—")."""
    cleaned = text.strip().replace("\u2212", "-")
    match = _NUMBER.search(cleaned)
    if match is None:
        raise ValueError(f"no number in {text!r}")
    digits = match.group(0).replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    value, tolerance = float(digits), 0.5 * 10.0**-decimals
    rest = cleaned[match.end() :].strip()
    if rest[:1].upper() in _SUFFIX:
        scale = _SUFFIX[rest[:1].upper()]
        value, tolerance = value * scale, tolerance * scale
    if rest.startswith("%"):
        value, tolerance = value / 100.0, tolerance / 100.0
    return value, tolerance * 1.01 + 1e-9 * abs(value)


_THIS_PERIOD = re.compile(r"This period: (.+?)\.(?:\s|$)")


def shown_value(body: str, help_text: str) -> tuple[float, float]:
    """The exact value from a KPI tile's tooltip ("This period: $1,234.56. ..."), else its (compact) body."""
    match = _THIS_PERIOD.search(help_text or "")
    if match:
        try:
            return parse_display_number(match.group(1))
        except ValueError:
            pass
    return parse_display_number(body)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max of rerun latencies (seconds)."""
    return {
        "p50_s": percentile(seconds, 50),
        "p95_s": percentile(seconds, 95),
        "mean_s": statistics.fmean(seconds) if seconds else float("nan"),
        "max_s": max(seconds) if seconds else float("nan"),
    }


def process_rss_bytes(pid: int) -> int:
    """Resident set size of a process from /proc (Linux); 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        return 0
    return 0
