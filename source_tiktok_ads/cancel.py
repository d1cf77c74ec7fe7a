"""Stopping a run when it is told to: Airbyte cancels a sync with SIGTERM, a terminal's Ctrl-C sends SIGINT.

The signal handler only writes the signal's number to a pipe. A watcher thread reads it and flips the
run's `CancelSwitch`: every wait of the run (the rate budget's, the retry backoff's, the reader's wait for
the next page) is a wait on the switch, so each raises `Cancelled` at once, and no request leaves after it.
The handler does no more than that because it runs on the main thread between two bytecodes: taking a
lock there that the main thread already holds (an Event's, the print buffer's) would hang the process,
and raising there could cut a line of output in half.

If the main thread is stuck where no wait can reach it (in a socket read, say), the watcher ends the
process itself once `FORCED_EXIT_SECONDS` have passed, so a cancel always ends the run within seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Airbyte waits a while for a cancelled source before killing it; this leaves the run time to emit its
# last messages on its own, and ends it well within that if it cannot.
FORCED_EXIT_SECONDS = 4.0
CANCEL_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Cancelled(BaseException):
    """Raised where the run waits once it is cancelled.

    A BaseException, as KeyboardInterrupt is: the CDK's per-stream `except Exception` would take it for
    that stream's failure and go on reading the next stream."""

    def __init__(self, signal_number: int) -> None:
        self.signal_number = signal_number
        self.signal_name = signal.Signals(signal_number).name
        super().__init__(f"cancelled by {self.signal_name}")

    @property
    def exit_status(self) -> int:
        """The shell's status for a process ended by this signal."""
        return 128 + self.signal_number


class CancelSwitch:
    """Whether the run was cancelled, and the waits that end at once when it is."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._signal_number: int | None = None
        self._callbacks: list[Callable[[], None]] = []
        # What the run did before it stopped, for its last line (set by the read while it runs).
        self.describe: Callable[[Cancelled], str] | None = None

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def error(self) -> Cancelled:
        return Cancelled(self._signal_number or signal.SIGTERM)

    def check(self) -> None:
        """Raises `Cancelled` if the run was cancelled."""
        if self._event.is_set():
            raise self.error()

    def wait(self, seconds: float) -> None:
        """Sleeps `seconds`, or raises `Cancelled` as soon as the run is cancelled."""
        if self._event.wait(max(0.0, seconds)):
            raise self.error()

    def cancel(self, signal_number: int) -> None:
        """Cancels the run (the first time only) and calls what `on_cancel` registered. Never call it from
        a signal handler (see the module's doc)."""
        with self._lock:
            if self._event.is_set():
                return
            self._signal_number = signal_number
            self._event.set()
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    @contextmanager
    def on_cancel(self, callback: Callable[[], None]) -> Iterator[None]:
        """While inside, `callback` is called (on the watcher thread) when the run is cancelled."""
        with self._lock:
            self._callbacks.append(callback)
        try:
            yield
        finally:
            with self._lock:
                self._callbacks.remove(callback)


# One per process: signals are.
CANCEL = CancelSwitch()


def listen_for_cancel(switch: CancelSwitch, on_stuck: Callable[[Cancelled], None]) -> None:
    """SIGTERM and SIGINT cancel `switch`. `on_stuck` is called if the process is still running
    FORCED_EXIT_SECONDS later; it should end it. A SIGINT ignored when the process started (as a shell
    starts background jobs) stays ignored."""
    read_end, write_end = os.pipe()

    def handler(signal_number: int, frame: object) -> None:
        os.write(write_end, bytes([signal_number]))

    def watch() -> None:
        signal_number = os.read(read_end, 1)[0]
        switch.cancel(signal_number)
        threading.Event().wait(FORCED_EXIT_SECONDS)
        on_stuck(switch.error())

    threading.Thread(target=watch, name="tiktok-cancel", daemon=True).start()
    for cancel_signal in CANCEL_SIGNALS:
        if cancel_signal == signal.SIGINT and signal.getsignal(cancel_signal) == signal.SIG_IGN:
            continue
        signal.signal(cancel_signal, handler)


def last_line(switch: CancelSwitch, cancelled: Cancelled) -> str:
    if switch.describe is not None:
        return switch.describe(cancelled)
    return f"Cancelled by {cancelled.signal_name}."


def end_cancelled(switch: CancelSwitch, cancelled: Cancelled, logger: logging.Logger) -> None:
    """Logs the run's last line and ends the process with the signal's exit status, without waiting for
    worker threads that may be in the middle of a request nobody will read."""
    logger.warning(last_line(switch, cancelled))
    for stream in (sys.stdout, sys.__stdout__, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # closed: nothing left to flush
            pass
    os._exit(cancelled.exit_status)
