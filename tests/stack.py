"""The production stack on this machine, for tests, ``bin/prod-check`` and the load test.

:class:`Stack` runs the ``Procfile``'s own commands (``release``, then ``web`` on N
ports, ``worker`` M times and one ``beat``) with DEBUG off against a PostgreSQL
database, Redis and an S3-compatible object store (moto's server, ``tests/objectstore``),
each in its own process group with its log in a file. :meth:`Stack.start` returns once
every process answers; :meth:`Stack.stop` (also on leaving ``with``, whatever happened)
ends every group and waits for it. A process that dies or never answers fails the start
with the tail of its log.

:class:`Browser` is a person at a browser behind the LA's TLS-terminating proxy: it
sends ``X-Forwarded-Proto: https`` and the ``Referer`` a browser would, keeps the
``Secure`` session and CSRF cookies (which a plain HTTP client would drop), and signs in
through the sign-in form.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import requests

from tests import objectstore

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD_FIELD = "password"


class StackError(RuntimeError):
    """A process of the stack did not start, or died: the message has its log."""


def procfile(path: Path = ROOT / "Procfile") -> dict[str, str]:
    """The Procfile's process types and their commands."""
    lines = (line.split(":", 1) for line in path.read_text().splitlines() if ":" in line)
    return {name.strip(): command.strip() for name, command in lines}


def wait_until(predicate: Callable[[], object], timeout: float, what: str, *, every=0.2):
    """Poll ``predicate`` until it is truthy (returned) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (requests.RequestException, OSError) as exc:
            last_error, value = exc, None
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what} ({last_error or ''})")


def _own_group_ended_with_us() -> None:
    """In the child: its own session (its group is stopped as one, and a Ctrl-C at the
    terminal reaches the launcher only), and on Linux SIGTERM when the launcher dies,
    however it dies (a killed test run leaves no node holding its database)."""
    os.setsid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: stop() still ends every group
        pass


PR_SET_PDEATHSIG = 1


@dataclass
class Process:
    name: str
    command: str
    log: Path
    env: dict[str, str]
    popen: subprocess.Popen | None = None

    def start(self) -> Process:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                ["bash", "-c", f"exec {self.command}"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_own_group_ended_with_us,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no log)"

    def signal(self, sig: int) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(timeout=10)
        # Children that outlived their parent (a worker's pool) go with the group.
        self.signal(signal.SIGKILL)


@dataclass
class Stack:
    """``web_nodes`` gunicorn nodes, ``workers`` Celery workers and (``beat``) one beat."""

    database_url: str
    redis_url: str
    workdir: Path
    web_nodes: int = 1
    workers: int = 1
    beat: bool = True
    web_concurrency: int = 2
    worker_concurrency: int = 1
    settings_module: str = "tests.stack_settings"
    migrate: bool = True
    collectstatic: bool = False
    object_store_url: str | None = None  # an already running server; else one of its own
    env: dict[str, str] = field(default_factory=dict)
    # Called with the stack's environment once the database is migrated, before any
    # web node, worker or beat starts (to seed the data they will serve).
    before_processes: Callable[[dict[str, str]], None] | None = None
    queue: str = field(default_factory=lambda: f"stack-{uuid.uuid4().hex[:8]}")
    bucket: str = field(default_factory=lambda: f"portal-stack-{uuid.uuid4().hex[:8]}")
    processes: list[Process] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)

    @property
    def private_media_root(self) -> Path:
        """Where files would go if any process wrote them to its disk (it must not)."""
        return self.workdir / "private-media"

    def base_env(self) -> dict[str, str]:
        keep = {
            k: v
            for k, v in os.environ.items()
            if k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "USER") or k.startswith("PYTHON")
        }
        store = self.object_store_url
        return {
            **keep,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PUPIL_KEY_SECRET": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "STACK_CELERY_QUEUE": self.queue,
            "STORAGE_S3_BUCKET": self.bucket,
            "STORAGE_S3_ENDPOINT_URL": store or "",
            "STORAGE_S3_REGION": objectstore.REGION,
            "STORAGE_S3_ACCESS_KEY_ID": objectstore.ACCESS_KEY,
            "STORAGE_S3_SECRET_ACCESS_KEY": objectstore.SECRET_KEY,
            "PRIVATE_MEDIA_ROOT": str(self.private_media_root),
            "WEB_CONCURRENCY": str(self.web_concurrency),
            "WORKER_CONCURRENCY": str(self.worker_concurrency),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }

    def _timed(self, what: str, started: float) -> None:
        self.timings.append((what, time.monotonic() - started))

    def _run_once(self, name: str, command: str, env: dict[str, str], timeout: float) -> None:
        started = time.monotonic()
        process = Process(name, command, self.workdir / f"{name}.log", env).start()
        try:
            code = process.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.stop()
            raise StackError(f"{name} took over {timeout:.0f} s:\n{process.tail()}") from None
        if code:
            raise StackError(f"{name} failed (exit {code}):\n{process.tail()}")
        self._timed(name, started)

    def start(self) -> Stack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.private_media_root.mkdir(exist_ok=True)
        if self.object_store_url is None:
            # moto's server (as tests/objectstore.py runs it), one of the stack's processes.
            started = time.monotonic()
            port = objectstore.free_port()
            store = Process(
                "objectstore",
                f"{shlex.quote(sys.executable)} -m moto.server -H 127.0.0.1 -p {port}",
                self.workdir / "objectstore.log",
                {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
            )
            self.processes.append(store.start())
            self.object_store_url = f"http://127.0.0.1:{port}"
            self._wait(store, lambda: _listens(port), "the object store")
            self._timed("object store (moto server)", started)
        objectstore.Bucket(self.bucket, self.object_store_url).create()
        env = self.base_env()
        commands = procfile()
        if self.migrate:
            self._run_once("release", commands["release"], env, timeout=600)
        if self.collectstatic:
            self._run_once(
                "collectstatic", "python manage.py collectstatic --noinput", env, timeout=900
            )
        if self.before_processes is not None:
            self.before_processes(env)

        started = time.monotonic()
        webs = []
        for i in range(self.web_nodes):
            port = objectstore.free_port()
            web = Process(f"web{i + 1}", commands["web"], self.workdir / f"web{i + 1}.log", env)
            web.env = {**env, "PORT": str(port)}
            # Each node on loopback only, like a node behind the proxy.
            web.command = web.command.replace("0.0.0.0:", "127.0.0.1:")
            # Its own control socket: gunicorn's default is one path in $HOME for all.
            ctl = shlex.quote(str(self.workdir / f"web{i + 1}.ctl"))
            web.command += f" --access-logfile - --graceful-timeout 5 --control-socket {ctl}"
            webs.append(web.start())
            self.processes.append(web)
            self.urls.append(f"http://127.0.0.1:{port}")
        workers = []
        for i in range(self.workers):
            name = f"worker{i + 1}"
            command = f"{commands['worker']} -n {name}-{self.queue}@%h --without-gossip"
            workers.append(Process(name, command, self.workdir / f"{name}.log", env).start())
        self.processes.extend(workers)
        if self.beat:
            beat = Process("beat", commands["beat"], self.workdir / "beat.log", env)
            beat.command += f" --schedule {shlex.quote(str(self.workdir / 'beat-schedule'))}"
            self.processes.append(beat.start())

        for web, url in zip(webs, self.urls, strict=True):
            self._wait(web, lambda url=url: _answers(url), f"{web.name} to answer at {url}")
        for worker in workers:
            self._wait(worker, lambda w=worker: b" ready." in w.log.read_bytes(), worker.name)
        if self.beat:
            beat = self.processes[-1]
            self._wait(beat, lambda: b"beat: Starting" in beat.log.read_bytes(), "beat")
        self._timed(
            f"{self.web_nodes} web, {self.workers} worker{'s' * (self.workers > 1)}"
            f"{', 1 beat' if self.beat else ''} answering",
            started,
        )

    def _wait(self, process: Process, ready: Callable[[], object], what: str) -> None:
        def up():
            if not process.alive:
                raise StackError(f"{process.name} exited on start:\n{process.tail()}")
            return ready()

        try:
            wait_until(up, 120, what)
        except TimeoutError as exc:
            raise StackError(f"{exc}\n{process.tail()}") from None

    def check_alive(self) -> None:
        """Raise with its log if any process of the stack has died."""
        for process in self.processes:
            if not process.alive:
                raise StackError(f"{process.name} died:\n{process.tail()}")

    def logs(self, chars: int = 3000) -> str:
        """Every process's last lines, for a failure message."""
        return "\n".join(f"----- {p.name} ({p.log})\n{p.tail(chars)}" for p in self.processes)

    def stop(self) -> None:
        # Every group told at once, then each waited for: a stop takes the slowest's time.
        for process in self.processes:
            process.signal(signal.SIGTERM)
        for process in reversed(self.processes):
            process.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def bucket_names(self) -> list[str]:
        return objectstore.Bucket(self.bucket, self.object_store_url).names()

    def read(self, key: str) -> bytes:
        """An object's bytes, straight from the store."""
        return objectstore.Bucket(self.bucket, self.object_store_url).read(key)


def _listens(port: int) -> bool:
    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    return True


def _answers(url: str) -> bool:
    return requests.get(f"{url}/sign-in/", headers=PROXY_HEADERS, timeout=5).status_code == 200


PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def _returns_secure_cookies(policy, cookie, request) -> bool:
    return True


def behind_tls(session: requests.Session) -> requests.Session:
    """Make a requests session (a locust user's too) talk as a browser behind the proxy:
    it said https to the proxy, so it returns the ``Secure`` cookies the portal sets and
    follows the portal's absolute https redirects back through the proxy (to the node).

    requests checks a cookie's ``secure`` flag against the URL's scheme in fresh jars it
    makes for every request and redirect, so the check is relaxed where it is made (this
    process is a browser behind a proxy; nothing else here sends cookies).
    """
    DefaultCookiePolicy.return_ok_secure = _returns_secure_cookies
    session.headers.update(PROXY_HEADERS)
    session.hooks["response"].append(_through_the_proxy)
    return session


def _through_the_proxy(response: requests.Response, *args, **kwargs) -> requests.Response:
    location = response.headers.get("Location", "")
    node = response.url.split("://", 1)[-1].split("/", 1)[0]
    if location.startswith(f"https://{node}/"):
        response.headers["Location"] = "http://" + location.removeprefix("https://")
    return response


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def csrf_from(html: str) -> str:
    found = CSRF_INPUT.search(html)
    if not found:
        raise AssertionError("the page has no form with a CSRF token")
    return found.group(1)


def hidden_fields(html: str) -> dict[str, str]:
    """The page's hidden inputs (its CSRF token, the version a form was based on)."""
    return {name: value for name, value in HIDDEN_INPUT.findall(html)}


class Browser:
    """One person's browser, on one node (``base``) that can be changed mid-session."""

    def __init__(self, base: str, session: requests.Session | None = None):
        self.base = base
        self.session = behind_tls(session or requests.Session())

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}{path}"

    def _referer(self, path: str) -> dict[str, str]:
        return {"Referer": self.url(path).replace("http://", "https://", 1)}

    def get(self, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 30)
        return self.session.get(self.url(path), headers=self._referer(path), **kw)

    def post(self, path: str, data=None, *, files=None, page: str | None = None, **kw):
        """Post a form as the page at ``page`` (default ``path``) would, with its token."""
        form_page = self.get(page or path)
        form_page.raise_for_status()
        fields = {
            **hidden_fields(form_page.text),
            "csrfmiddlewaretoken": csrf_from(form_page.text),
            **(data or {}),
        }
        kw.setdefault("timeout", 60)
        return self.session.post(
            self.url(path), data=fields, files=files, headers=self._referer(page or path), **kw
        )

    def api(self, method: str, path: str, json=None, **kw) -> requests.Response:
        """The API with the session's cookie and CSRF token, as the portal's own pages call it."""
        headers = {**self._referer(path), "X-CSRFToken": self.session.cookies.get("csrftoken", "")}
        kw.setdefault("timeout", 60)
        return self.session.request(method, self.url(path), json=json, headers=headers, **kw)

    def sign_in(self, username: str, password: str) -> Browser:
        answer = self.post("/sign-in/", {"username": username, PASSWORD_FIELD: password})
        if answer.status_code != 200 or "/sign-in/" in answer.url:
            raise AssertionError(f"{username} could not sign in: {answer.status_code} {answer.url}")
        return self
