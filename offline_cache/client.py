"""The kiosk's only HTTP client of the hall server (API v1).

- One `requests.Session`, short connect/read timeouts.
- Transport retries (urllib3) only for GETs and only within a small time budget: retrying
  submissions is the outbox's job, with its idempotency keys.
- Every reply is validated against `common.wire`; a malformed reply is E-SRV-02, never a crash.
- Every failure becomes a KioskError with a registry code, so callers decide by code.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from common import errors, wire
from common.errors import KioskError

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class _BudgetRetry(Retry):
    """urllib3 Retry that also stops once a wall-clock budget is spent."""

    budget: float = 2.0
    started: float | None = None

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        started = self.started if self.started is not None else time.monotonic()
        new.started = started  # type: ignore[attr-defined]
        new.budget = self.budget  # type: ignore[attr-defined]
        if time.monotonic() - started > self.budget:  # out of time: fail like "retries spent"
            raise MaxRetryError(_pool, url or "", error)
        return new


class HallClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        connect_timeout: float = 1.5,
        read_timeout: float = 5.0,
        get_retry_budget: float = 2.0,
        ca_bundle: str | None = None,
        device_id: str | None = None,
        install_id: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.device_id = device_id
        self.install_id = install_id  # offline_cache/install_id.py: sent with every request
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        if ca_bundle:
            self.session.verify = ca_bundle
        retry = _BudgetRetry(
            total=3,
            connect=3,
            read=2,
            status=2,
            backoff_factor=0.2,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        retry.budget = get_retry_budget
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.session.headers["User-Agent"] = "hall-kiosk"
        # Probes never retry: their job is to notice an outage within a second or two.
        self.probe_session = requests.Session()
        self.probe_session.verify = self.session.verify
        self.probe_session.headers["User-Agent"] = "hall-kiosk"

    def close(self) -> None:
        self.session.close()
        self.probe_session.close()

    # --- plumbing ----------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        key: str | None = None,
        auth: bool = True,
        timeout: tuple[float, float] | None = None,
        headers: dict[str, str] | None = None,
        probe: bool = False,
        stream: bool = False,
    ) -> requests.Response:
        headers = dict(headers or {})
        if self.install_id:
            headers["X-Install-Id"] = self.install_id
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key:
            headers["Idempotency-Key"] = key
        url = f"{self.base_url}{wire.API_PREFIX}{path}"
        try:
            # verify= per request: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a
            # Session's own `verify` (psf/requests#3829), which would drop the private CA.
            session = self.probe_session if probe else self.session
            resp = session.request(
                method,
                url,
                json=json,
                params=params,
                headers=headers,
                timeout=timeout or self.timeout,
                verify=self.session.verify,
                stream=stream,
            )
        except requests.exceptions.SSLError as exc:
            raise KioskError(errors.TLS_ERROR, str(exc)) from exc
        except requests.exceptions.ConnectTimeout as exc:  # nothing reached the server
            raise KioskError(
                errors.SERVER_UNREACHABLE, f"{method} {path}: connect timeout"
            ) from exc
        except requests.exceptions.Timeout as exc:  # sent; the server may have acted on it
            raise KioskError(errors.SERVER_TIMEOUT, f"{method} {path}") from exc
        except requests.exceptions.RequestException as exc:
            raise KioskError(
                errors.SERVER_UNREACHABLE, f"{method} {path}: {type(exc).__name__}"
            ) from exc
        if resp.status_code >= 400:
            raise self._error_from(resp, method, path)
        return resp

    @staticmethod
    def _error_from(resp: requests.Response, method: str, path: str) -> KioskError:
        retry_after = None
        if "Retry-After" in resp.headers:
            try:
                retry_after = float(resp.headers["Retry-After"])
            except ValueError:
                retry_after = None
        code, message = None, ""
        try:
            body = wire.ErrorBody.model_validate(resp.json())
            code, message = body.error.code, body.error.message
        except (ValueError, ValidationError):
            pass
        status = resp.status_code
        if status == 401:
            entry = errors.REGISTRY.get(code or "", errors.AUTH_MISSING)
        elif status == 403:
            entry = errors.AUTH_FORBIDDEN
        elif status == 429:
            entry = errors.REGISTRY.get(code or "", errors.SERVER_BUSY)
        elif status >= 500:
            entry = errors.SERVER_ERROR
        elif code in errors.REGISTRY:
            entry = errors.REGISTRY[code]
        else:
            entry = errors.VALIDATION if status == 422 else errors.SERVER_REPLY_INVALID
        detail = f"{method} {path} → {status}" + (f": {message}" if message else "")
        err = KioskError(entry, detail, retry_after=retry_after)
        err.http_status = status  # type: ignore[attr-defined]
        return err

    @staticmethod
    def _parse(resp: requests.Response, model: type[M]) -> M:
        try:
            # from the bytes: no intermediate dict of a whole catalog page (time and memory)
            return model.model_validate_json(resp.content)
        except (ValueError, ValidationError) as exc:
            log.warning("malformed reply for %s: %s", resp.url, str(exc)[:300])
            raise KioskError(
                errors.SERVER_REPLY_INVALID, f"{resp.request.method} {resp.url}"
            ) from exc

    # --- API v1 ------------------------------------------------------------------------------
    def health(self, timeout: tuple[float, float] | None = None) -> wire.Health:
        resp = self._request(
            "GET", "/health", auth=False, timeout=timeout, probe=timeout is not None
        )
        return self._parse(resp, wire.Health)

    def enroll(self, code: str, name: str, location: str | None = None, *,
               previous_token: str | None = None) -> wire.EnrollResponse:
        body = wire.EnrollRequest(
            code=code, name=name, location=location, previous_token=previous_token
        ).model_dump(exclude_none=True)
        resp = self._request("POST", "/devices/enroll", json=body, auth=False)
        return self._parse(resp, wire.EnrollResponse)

    def catalog_changes(self, since: str | None, limit: int = 500) -> wire.CatalogChanges:
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["since"] = since
        return self._parse(
            self._request("GET", "/catalog/changes", params=params), wire.CatalogChanges
        )

    def catalog_snapshot(self, upto: str | None = None, after: str = "") -> Iterator[bytes]:
        """The server's catalog snapshot (GET /catalog/snapshot) line by line, streamed: the
        head, one item a line, the trailer (offline_cache/catalog_snapshot.py checks it); a
        cut one resumes from `upto` (its cursor) after the code `after`."""
        params = {"upto": upto, "after": after} if upto else None
        resp = self._request("GET", "/catalog/snapshot", params=params, stream=True)
        try:
            rest = b""
            for chunk in resp.iter_content(chunk_size=1 << 16):
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                yield from lines
            if rest:
                yield rest
        except requests.exceptions.RequestException as exc:
            raise KioskError(errors.SERVER_UNREACHABLE,
                             f"GET /catalog/snapshot: {type(exc).__name__}") from exc
        finally:
            resp.close()

    def catalog_store(self, layout: int, dest: Path) -> tuple[str, str, str]:
        """The server-built catalog store for `layout` (GET /catalog/store) streamed into
        `dest`: (the SHA-256 of what arrived, the ETag, X-Catalog-Cursor); the caller compares
        the first two. 404/409 (none for this layout yet) raise with `http_status`."""
        resp = self._request("GET", "/catalog/store", params={"layout": layout}, stream=True)
        digest = hashlib.sha256()
        try:
            with open(dest, "wb") as out:
                for chunk in resp.iter_content(chunk_size=1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        except requests.exceptions.RequestException as exc:
            raise KioskError(errors.SERVER_UNREACHABLE,
                             f"GET /catalog/store: {type(exc).__name__}") from exc
        finally:
            resp.close()
        etag = resp.headers.get("ETag", "").removeprefix("W/").strip('"')
        return digest.hexdigest(), etag, resp.headers.get("X-Catalog-Cursor", "")

    def queue_services(self) -> wire.QueueServices:
        return self._parse(self._request("GET", "/queue/services"), wire.QueueServices)

    def post_ticket(
        self, body: dict[str, Any], key: str, timeout: tuple[float, float] | None = None
    ) -> wire.Ticket:
        resp = self._request("POST", "/queue/tickets", json=body, key=key, timeout=timeout)
        return self._parse(resp, wire.Ticket)

    def post_application(
        self, body: dict[str, Any], key: str, timeout: tuple[float, float] | None = None
    ) -> wire.ApplicationCreated:
        resp = self._request("POST", "/applications", json=body, key=key, timeout=timeout)
        return self._parse(resp, wire.ApplicationCreated)

    def post_evaluation(
        self, body: dict[str, Any], key: str, timeout: tuple[float, float] | None = None
    ) -> wire.EvaluationCreated:
        resp = self._request("POST", "/evaluations", json=body, key=key, timeout=timeout)
        return self._parse(resp, wire.EvaluationCreated)

    def post_phone(
        self, body: dict[str, Any], key: str, timeout: tuple[float, float] | None = None
    ) -> wire.NotifyPhoneAttached:
        """A citizen's mobile for SMS notices (到号提醒, 办件进度短信)."""
        resp = self._request("POST", "/notify/phones", json=body, key=key, timeout=timeout)
        return self._parse(resp, wire.NotifyPhoneAttached)

    def get_ticket(
        self, ticket_id: str, timeout: tuple[float, float] | None = None
    ) -> wire.Ticket:
        """A ticket's live status (a ticket QR shown at the kiosk's scanner)."""
        resp = self._request("GET", f"/queue/tickets/{ticket_id}", timeout=timeout)
        return self._parse(resp, wire.Ticket)

    def requeue_ticket(
        self, ticket_id: str, key: str, timeout: tuple[float, float] | None = None
    ) -> wire.Ticket:
        """过号重排: a no-show of today waits again (once only: E-QUE-17 after)."""
        resp = self._request(
            "POST", f"/queue/tickets/{ticket_id}/requeue", key=key, timeout=timeout
        )
        return self._parse(resp, wire.Ticket)

    def cancel_ticket(
        self, ticket_id: str, key: str, *, reason: str | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> wire.Ticket:
        """Void a ticket this kiosk issued (one never handed to the citizen); the key makes a
        retry replay the first answer."""
        resp = self._request(
            "POST", f"/queue/tickets/{ticket_id}/cancel", key=key, timeout=timeout,
            json={"reason": reason} if reason else None,
        )
        return self._parse(resp, wire.Ticket)

    def get_application(self, number: str) -> wire.Application:
        return self._parse(self._request("GET", f"/applications/{number}"), wire.Application)

    def applications_by_holder(self, holder: str) -> wire.ApplicationList:
        resp = self._request("GET", "/applications", params={"holder": holder})
        return self._parse(resp, wire.ApplicationList)

    def appointments_by_holder(
        self, holder: str, timeout: tuple[float, float] | None = None
    ) -> wire.AppointmentList:
        """Today's appointments of one holder (check-in by ID card)."""
        resp = self._request(
            "GET", "/queue/appointments", params={"holder": holder}, timeout=timeout
        )
        return self._parse(resp, wire.AppointmentList)

    def device_me(self, timeout: tuple[float, float] | None = None) -> wire.DeviceRecord:
        """GET /devices/me: is this device's token accepted (E-AUTH-01 when revoked)?"""
        return self._parse(self._request("GET", "/devices/me", timeout=timeout), wire.DeviceRecord)

    def remote_config(self, etag: str | None = None) -> wire.RemoteConfig | None:
        """GET /config; None when the server answers 304 (`etag` is still current)."""
        headers = {"If-None-Match": etag} if etag else None
        resp = self._request("GET", "/config", headers=headers)
        if resp.status_code == 304:
            return None
        return self._parse(resp, wire.RemoteConfig)

    def push_batch(
        self, records: list[dict[str, Any]], timeout: tuple[float, float] | None = None
    ) -> list[dict[str, Any]]:
        """POST /sync/push: each record keeps its own key and gets its own result."""
        resp = self._request("POST", "/sync/push", json={"records": records}, timeout=timeout)
        try:
            results = resp.json()["results"]
            if not isinstance(results, list) or not all(
                isinstance(r, dict) and "key" in r and "status" in r for r in results
            ):
                raise ValueError("results malformed")
            return results
        except (ValueError, KeyError, TypeError) as exc:
            raise KioskError(errors.SERVER_REPLY_INVALID, "POST /sync/push") from exc
