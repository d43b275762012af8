"""The one job runner that writes the DuckDB workspace from the web.

Long steps (import, evaluate, report, the case sync) run on one background thread, one at a
time, through the pipeline contract (:func:`yibao.pipeline.runs.run_step`) with a progress
callback that the job page polls.  Pages read through their own cursors meanwhile, so a long
step never blocks them; two writes never run at once.
"""

from __future__ import annotations

import json
import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any

from yibao.control.models import Job, now

Work = Callable[[Callable[[str], None]], dict[str, Any] | None]


class JobRunner:
    def __init__(self, cp: Any) -> None:
        self.cp = cp
        self._q: queue.Queue[tuple[int, Work] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="yibao-jobs", daemon=True)
        self._pending = 0
        self._cv = threading.Condition()
        self._thread.start()

    def submit(self, kind: str, label: str, who: str, work: Work) -> int:
        with self.cp.session() as s:
            job = Job(kind=kind, label=label, started_by=who, status="排队")
            s.add(job)
            s.flush()
            job_id = job.id
        with self._cv:
            self._pending += 1
        self._q.put((job_id, work))
        return job_id

    def _set(self, job_id: int, **values: Any) -> None:
        with self.cp.session() as s:
            job = s.get(Job, job_id)
            for k, v in values.items():
                setattr(job, k, v)

    def _loop(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            job_id, work = item
            lines: list[str] = []

            def progress(msg: str, job_id: int = job_id, lines: list[str] = lines) -> None:
                lines.append(msg)
                self._set(job_id, progress="\n".join(lines[-50:]))

            self._set(job_id, status="运行")
            try:
                result = work(progress)
                self._set(
                    job_id,
                    status="完成",
                    finished_at=now(),
                    result=json.dumps(result or {}, ensure_ascii=False, default=str),
                )
            except Exception as exc:  # noqa: BLE001 - a failed job is shown, the runner goes on
                msg = str(exc) or exc.__class__.__name__
                lines.append(f"失败:{msg}")
                self._set(
                    job_id,
                    status="失败",
                    finished_at=now(),
                    progress="\n".join(lines[-50:]),
                    result=json.dumps(
                        {"error": msg, "trace": traceback.format_exc()[-2000:]}, ensure_ascii=False
                    ),
                )
            finally:
                from yibao.web.data import invalidate

                invalidate()
                with self._cv:
                    self._pending -= 1
                    self._cv.notify_all()

    def wait_idle(self, timeout: float = 120) -> bool:
        """Tests and shutdown: wait until every submitted job has finished."""
        with self._cv:
            return self._cv.wait_for(lambda: self._pending == 0, timeout)

    def stop(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=30)


def get_job(cp: Any, job_id: int) -> Job | None:
    with cp.session() as s:
        return s.get(Job, job_id)
