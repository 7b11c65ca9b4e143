"""One validated configuration spec (Kolibri's options.py is the model).

Layers, later wins: `default.toml` in the package (common/defaults/, every key with its default)
→ the hall's `config.toml` (/etc/hall-kiosk or /etc/hall-server, $KIOSK_ETC) → the site file
(`$KIOSK_HOME/site.toml`, or `--config`/`KIOSK_CONFIG`) → the hall server's remote
configuration (`$KIOSK_HOME/remote_config.json`, kiosk/ops/remote_config.py) → environment variables
`KIOSK_<SECTION>_<KEY>` (e.g. KIOSK_PRINTER_TARGET) → explicit overrides (CLI flags).
Every bad value is reported with the source that set it, then the caller exits non-zero
(KioskError E-CFG-01 whose detail lists them all).
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from common.errors import CONFIG_INVALID, CONFIG_UNREADABLE, KioskError
from common.paths import HALL_SETTINGS_FILE, config_dir, etc_dir, kiosk_home


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class HallSettings(Section):
    name: str = Field(description="Hall name printed on tickets and shown on screens")
    timezone: str = Field(description="IANA zone; 'today' and local midnight are the hall's")
    public_url: str = Field(description="Base URL printed in ticket QR codes (blank: server URL)")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class DisplaySettings(Section):
    read_numbers: str = Field(pattern=r"^(digits|value)$", description="How the call display "
                              "speaks ticket numbers: digits (A012 → A 零一二) or value (A 十二)")
    voice_repeats: int = Field(ge=0, le=5, description="Times the call display speaks each "
                               "call (0: silent)")
    voice_rate: int = Field(ge=80, le=260, description="espeak-ng words per minute of the "
                            "call announcements")
    voice_english: bool = Field(description="Follow each Mandarin call with an English one "
                                "(\"Number A 0 1 2, please go to counter 13.\")")
    audio_cache_files: int = Field(ge=10, le=100000, description="Announcement WAV files kept "
                                   "in the server's data dir (oldest removed beyond this)")
    recent_calls: int = Field(ge=3, le=20, description="Earlier calls listed on the display")


class ServerSettings(Section):
    url: str = Field(description="Hall server base URL the kiosk talks to")
    host: str = Field(description="Address `kiosk serve` listens on")
    port: int = Field(ge=0, le=65535, description="Port `kiosk serve` listens on")
    data_dir: str = Field(description="Hall server data dir (SQLite file); blank: KIOSK_HOME/server")
    db_url: str = Field(description="SQLAlchemy URL (postgresql+psycopg://…); blank: SQLite")
    ca_bundle: str = Field(description="Private CA bundle for the hall server's TLS; blank: system")
    enroll_attempts: int = Field(ge=1, le=100, description="Wrong enrolment codes before lock-out")
    lookup_rate_per_minute: int = Field(ge=1, description="Personal-data lookups per device/min")
    staff_session_hours: float = Field(gt=0, le=24 * 7, description="Hours a clerk's browser "
                                       "sign-in lasts (the counter page)")
    staff_login_attempts: int = Field(ge=1, le=100, description="Wrong passwords per login and "
                                      "address before sign-in is locked")
    staff_lockout_minutes: float = Field(gt=0, le=24 * 60, description="Minutes a locked "
                                         "sign-in stays locked (also the counting window)")
    trusted_proxies: list[str] = Field(description="CIDRs of reverse proxies whose "
                                       "X-Forwarded-For is believed (e.g. [\"127.0.0.1/32\"] "
                                       "for nginx on the host); empty: none")
    workers: int = Field(ge=1, le=64, description="Server processes `kiosk serve` starts "
                         "(PostgreSQL only; SQLite has one writer: 1)")
    sqlite_checkpoint_s: float = Field(ge=0, le=60, description="Seconds between the "
                                       "SQLite server's WAL checkpoints, run by a thread "
                                       "beside the writes (0: SQLite's own, inside the "
                                       "write that fills the WAL, holding up the queue)")
    housekeeping_concurrency: int = Field(ge=1, le=64, description="Kiosk housekeeping "
                                          "requests (sync pushes: heartbeats and the "
                                          "outbox; catalog polls) a "
                                          "server process handles at once; the rest wait "
                                          "their turn so tickets and calls are not held up "
                                          "when a hall's kiosks send them all together")
    catalog_store_rebuild_s: float = Field(ge=0, le=7 * 24 * 3600, description="Seconds "
                                           "at least between two builds of the catalog store "
                                           "fresh kiosks copy (GET /catalog/store), made "
                                           "again once the catalog changed; kiosks apply the "
                                           "changes since from the feed")
    catalog_store_build: bool = Field(description="Build the catalog store fresh kiosks "
                                      "copy (GET /catalog/store); false: they load the JSON "
                                      "Lines snapshot and build their search index themselves")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):  # from the environment: comma separated
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"{cidr!r} is not an address or CIDR") from exc
        return value


class NetworkSettings(Section):
    connect_timeout: float = Field(gt=0, le=30, description="Seconds to open a connection")
    read_timeout: float = Field(gt=0, le=120, description="Seconds to wait for a reply")
    get_retry_budget: float = Field(ge=0, le=10, description="Seconds GETs may spend retrying")


class KioskSettings(Section):
    language: str = Field(pattern=r"^(zh_CN|en)$", description="Start-up language")
    idle_timeout: float = Field(gt=5, description="Seconds without a touch before 'still there?'")
    elderly_idle_timeout: float = Field(gt=5, description="The same in elderly mode")
    priority_age: int = Field(ge=0, le=120, description="Age from which priority is offered")
    holder_daily_limit: int = Field(ge=0, description="Real-name tickets per ID per day (0: none)")
    hall_display: bool = Field(description="The hall has a call display: ticket slips and "
                               "screens may send citizens to it (false: they say to scan the "
                               "slip's code or listen for the call instead)")
    few_left: int = Field(ge=0, description="Show 今日剩余 N 个号 on a service once its tickets "
                          "left today (daily_cap minus issued) are this many or fewer (0: never)")
    booking_close_min: int = Field(ge=0, le=240, description="A form that books (婚姻登记预约) "
                                   "stops offering today's half-day this many minutes before "
                                   "its end: the hall server books only slots that start after "
                                   "now (E-QUE-23), so set it to the booked service's slot "
                                   "length")
    search_mmap_mib: int = Field(ge=0, le=2047, description="The running kiosk searches the "
                                 "guide on a connection of its own with the local store "
                                 "memory-mapped (cold searches read pages in place); the mapped "
                                 "pages it touched, counted in the process's RSS, are dropped "
                                 "once they exceed this many MiB, when no search ran for 2 s "
                                 "(in a burst without a pause: beyond 4 times this); 0: "
                                 "search on the store's connection, nothing mapped")


class QueueSettings(Section):
    priority_run: int = Field(ge=1, le=100, description="Priority calls in a row before the "
                              "longest-waiting normal ticket gets its turn (anti-starvation)")
    events_keepalive_s: float = Field(ge=0.5, le=300, description="Seconds between keep-alive "
                                      "comments on an idle event stream (GET /api/v1/events)")
    checkin_early_min: int = Field(ge=0, le=240, description="Minutes before a booked slot "
                                   "from which its check-in is accepted")
    checkin_late_min: int = Field(ge=0, le=240, description="Minutes after a booked slot's "
                                  "start until which check-in is accepted (later: a normal "
                                  "ticket is offered)")
    enforce_hours: bool = Field(description="The hall server refuses online tickets outside "
                                "the opening hours of schedule.toml (offline-numbered tickets "
                                "are always accepted: the citizen holds the paper)")


class PrivacySettings(Section):
    sent_retention_hours: float = Field(ge=0, le=720, description="Hours a delivered "
                                        "submission's personal data stays on the kiosk")
    progress_retention_hours: float = Field(ge=0, le=720, description="Hours a cached "
                                            "progress record stays on the kiosk")
    clock_tolerance_s: float = Field(ge=0, description="Kiosk clock behind the server beyond "
                                     "this is reported")
    retention_days: int = Field(ge=1, le=3650, description="Hall server: days after an "
                                "application is closed before its personal data is cleared")
    server_key_file: str = Field(description="Hall server: key file (0600) sealing submitted "
                                 "forms at rest; blank: personal-data.key in the data dir")


class PrinterSettings(Section):
    target: str = Field(description="file:/path, sim, usb:VID:PID, serial:/dev/…, tcp:host:port")


class DevicesSettings(Section):
    idcard: str = Field(description="ID card reader: sim, serial:/dev/…, usb:0400:c35a")
    scanner: str = Field(description="QR scanner: sim, serial:/dev/…, evdev:/dev/input/…")
    voice: str = Field(description="Speech: espeak, sim, none")
    smartcard: str = Field(description="PC/SC reader name, or blank for the first one")


class UiSettings(Section):
    width: int = Field(ge=320, description="Window width (portrait 1080)")
    height: int = Field(ge=320, description="Window height (portrait 1920)")
    fullscreen: bool = Field(description="Fullscreen lockdown")
    font: str = Field(description="Path of a Simplified-Chinese font; blank: search known paths")
    multisamples: int = Field(ge=0, le=8, description="OpenGL multisampling of shape edges; "
                              "0 with the software renderer (Mesa llvmpipe: 4x costs 66 MiB "
                              "and 4x the paint time), 2 or 4 is cheap on a GPU")


class LogSettings(Section):
    level: str = Field(pattern=r"^(debug|info|warning|error)$", description="Log level")


class MaintenanceSettings(Section):
    hour: int = Field(ge=0, le=23, description="Hall-local hour of the nightly maintenance "
                      "(vacuum, retention purge, log rotation, catalog check)")
    heartbeat_interval: float = Field(ge=5, le=3600, description="Seconds between heartbeats "
                                      "to the hall server (each gap ± 10 %, so kiosks switched "
                                      "on together drift apart)")
    config_interval: float = Field(ge=5, le=3600, description="Seconds between checks for a "
                                   "new remote configuration")
    log_keep_days: int = Field(ge=1, le=365, description="Days of rotated log files kept")
    telemetry_keep_days: int = Field(ge=1, le=365, description="Days delivered heartbeats and "
                                     "audit records stay in the outbox")


class NotifySettings(Section):
    backend: str = Field(pattern=r"^(file|aliyun)$", description="Where the hall server's SMS "
                         "notifications go: file (JSON lines, phone masked) or aliyun "
                         "(Aliyun SMS, dysmsapi SendSms)")
    file: str = Field(description="The file sink's path (blank: notifications.jsonl in the "
                      "server's data directory)")
    near_ahead: int = Field(ge=1, le=50, description="Text a waiting citizen when this many "
                            "people are ahead (到号提醒)")
    retries: int = Field(ge=0, le=10, description="Retries of a failed send, with backoff")
    retry_backoff: float = Field(ge=0, le=300, description="Seconds before the first retry; "
                                 "doubles each time")
    aliyun_endpoint: str = Field(description="Aliyun SMS endpoint")
    aliyun_access_key_id: str = Field(description="Aliyun AccessKey ID")
    aliyun_access_key_secret: str = Field(description="Aliyun AccessKey secret (prefer the "
                                          "KIOSK_NOTIFY_ALIYUN_ACCESS_KEY_SECRET variable)")
    sign_name: str = Field(description="SMS signature (签名) registered with the platform")
    template_near: str = Field(description="Template code: your number is N away "
                               "(params number, ahead)")
    template_call: str = Field(description="Template code: please go to counter C "
                               "(params number, counter)")
    template_status: str = Field(description="Template code: application status changed "
                                 "(params number, status)")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hall: HallSettings
    display: DisplaySettings
    server: ServerSettings
    network: NetworkSettings
    kiosk: KioskSettings
    queue: QueueSettings
    privacy: PrivacySettings
    printer: PrinterSettings
    devices: DevicesSettings
    ui: UiSettings
    log: LogSettings
    maintenance: MaintenanceSettings
    notify: NotifySettings


SECTIONS: dict[str, type[Section]] = {
    name: field.annotation  # type: ignore[misc]
    for name, field in Settings.model_fields.items()
}
ENV_PREFIX = "KIOSK_"
_NOT_SETTINGS = {"KIOSK_HOME", "KIOSK_CONFIG", "KIOSK_TEST_PG_URL", "KIOSK_ETC"}
# The layer the hall server pushes (kiosk/ops/remote_config.py writes it only once validated).
REMOTE_CONFIG_FILE = "remote_config.json"


def _guess_encoding(raw: bytes) -> str:
    """Name the encoding a non-UTF-8 configuration file was most likely saved in (Windows
    editors in a hall save GBK or UTF-16), so the technician knows what to convert from."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        return "UTF-16"
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return "an unknown encoding"
    return "GBK/GB18030"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: {exc}") from exc
    try:
        text = raw.decode("utf-8")
        if "\x00" in text:  # UTF-16 without a BOM decodes as UTF-8 full of NULs
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL byte")
    except UnicodeDecodeError as exc:
        encoding = _guess_encoding(raw)
        raise KioskError(
            CONFIG_UNREADABLE, f"{path}: saved as {encoding}, not UTF-8: save it again as UTF-8"
        ) from exc
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))  # a UTF-8 BOM is harmless
    except tomllib.TOMLDecodeError as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: {exc}") from exc


def _env_layer(environ: dict[str, str], problems: list[str]) -> dict[str, dict[str, str]]:
    layer: dict[str, dict[str, str]] = {}
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX) or var in _NOT_SETTINGS:
            continue
        rest = var[len(ENV_PREFIX):].lower()
        section = next((s for s in SECTIONS if rest.startswith(s + "_")), None)
        key = rest[len(section) + 1:] if section else ""
        if not section or key not in SECTIONS[section].model_fields:
            problems.append(f"{var}: unknown setting (environment)")
            continue
        layer.setdefault(section, {})[key] = value
    return layer


def read_remote_layer(home: Path) -> tuple[int, dict[str, Any]] | None:
    """(version, layer) of the applied remote configuration, or None."""
    path = home / REMOTE_CONFIG_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return int(data["version"]), dict(data["config"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: {exc}") from exc


def load_settings(
    site_file: Path | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    environ: dict[str, str] | None = None,
    remote: dict[str, Any] | None = None,
) -> Settings:
    """`remote` is the hall server's layer (between the site file and the environment); when
    neither `site_file` nor `remote` is given, the applied one in KIOSK_HOME is used."""
    environ = dict(os.environ if environ is None else environ)
    problems: list[str] = []
    merged: dict[str, dict[str, Any]] = {}
    source: dict[tuple[str, str], str] = {}

    def apply(layer: dict[str, Any], name: str) -> None:
        for section, values in layer.items():
            if section not in SECTIONS or not isinstance(values, dict):
                problems.append(f"[{section}]: unknown section ({name})")
                continue
            for key, value in values.items():
                merged.setdefault(section, {})[key] = value
                source[(section, key)] = name

    default_path = config_dir() / "default.toml"
    apply(_read_toml(default_path), str(default_path))
    hall_path = etc_dir(environ) / HALL_SETTINGS_FILE
    if hall_path.is_file():
        apply(_read_toml(hall_path), str(hall_path))
    remote_name = "remote config"
    if site_file is None:
        site_env = environ.get("KIOSK_CONFIG")
        home = Path(environ["KIOSK_HOME"]) if environ.get("KIOSK_HOME") else kiosk_home()
        site_file = Path(site_env) if site_env else home / "site.toml"
        if not site_env and not site_file.exists():
            site_file = None
        if remote is None and (applied := read_remote_layer(home)) is not None:
            remote_name = f"remote config v{applied[0]} ({home / REMOTE_CONFIG_FILE})"
            remote = applied[1]
    if site_file is not None:
        apply(_read_toml(site_file), str(site_file))
    if remote:
        apply(remote, remote_name)
    apply(_env_layer(environ, problems), "environment")
    if overrides:
        apply({s: {k: v for k, v in kv.items() if v is not None} for s, kv in overrides.items()},
              "command line")
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(str(p) for p in err["loc"])
            where = source.get(loc[:2], "default.toml") if len(loc) >= 2 else "config"
            key = ".".join(loc)
            if len(loc) >= 2 and loc[0] in SECTIONS:
                var = f"{ENV_PREFIX}{loc[0].upper()}_{loc[1].upper()}"
                key = f"{key} ({var})"
            problems.append(f"{key}: {err['msg']} (from {where})")
        settings = None
    if problems:
        raise KioskError(CONFIG_INVALID, "; ".join(problems))
    return settings  # type: ignore[return-value]


def describe_spec() -> list[dict[str, str]]:
    """Every setting with its env var and help, for `kiosk config spec` and docs."""
    rows = []
    for section, model in SECTIONS.items():
        for key, field in model.model_fields.items():
            rows.append({"key": f"{section}.{key}", "env": f"{ENV_PREFIX}{section.upper()}_{key.upper()}",
                         "type": getattr(field.annotation, "__name__", str(field.annotation)),
                         "help": field.description or ""})
    return rows
