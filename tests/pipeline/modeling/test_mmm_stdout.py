"""A media mix fit keeps PyMC's progress output off the CLI's stdout, and a fit on another thread (the app's background
job) never swaps the process's stdout: that stole a concurrent CLI's JSON in the same test worker."""

from __future__ import annotations

import contextlib
import io
import sys
import threading

from pipeline.modeling import mmm_fit


def test_on_the_main_thread_stdout_goes_to_stderr_during_the_fit() -> None:
    before = sys.stdout
    with mmm_fit._stdout_kept_clean():
        assert sys.stdout is sys.stderr
    assert sys.stdout is before


def test_a_fit_on_another_thread_leaves_a_concurrent_redirect_alone() -> None:
    printed = io.StringIO()
    entered, release = threading.Event(), threading.Event()

    def background_fit() -> None:
        with mmm_fit._stdout_kept_clean():
            entered.set()
            release.wait(5)

    with contextlib.redirect_stdout(printed):
        worker = threading.Thread(target=background_fit)
        worker.start()
        entered.wait(5)
        print('{"json": true}')
        release.set()
        worker.join(5)
        print("after")
    assert printed.getvalue() == '{"json": true}\nafter\n'
