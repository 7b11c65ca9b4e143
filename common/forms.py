"""Form definitions (`common/defaults/forms/<CODE>.toml`): loading, validating filled-in fields, filling
fields from an ID card read. The format is documented in docs/forms.md.

Standard library only (tomllib): the kiosk and the hall server both import this module.
A broken form file is a KioskError naming the file and every problem in it (E-CFG-02 when the
file cannot be read or parsed, E-CFG-01 when its content is wrong) — never a traceback.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from common.errors import (
    CHOICE_INVALID,
    CONFIG_INVALID,
    CONFIG_UNREADABLE,
    DATE_OUT_OF_RANGE,
    FIELD_FORMAT,
    FIELD_INVALID,
    FIELD_LENGTH,
    FIELD_REQUIRED,
    FIELD_UNKNOWN,
    NUMBER_INVALID,
    KioskError,
)
from common.validators import (
    FieldError,
    normalize_id_number,
    parse_date,
    validate_date,
    validate_email,
    validate_id_number,
    validate_phone,
    validate_postal_code,
)

__all__ = [
    "CARD_FIELDS",
    "FIELD_TYPES",
    "Choice",
    "FieldDef",
    "FieldError",
    "FormDef",
    "date_range",
    "fill_from_card",
    "load_forms",
    "parse_form",
    "personal_keys",
    "require_valid",
    "resolve_item",
    "validate_fields",
]

FIELD_TYPES = (
    "text", "chinese_text", "id_number", "phone", "postal_code", "date", "number", "choice",
    "email", "textarea",
)  # fmt: skip
# Keys of the ID card read (hardware's JSON shape) a field may be filled from.
CARD_FIELDS = (
    "name", "id_number", "gender", "nation", "birth", "address", "authority", "valid_from",
    "valid_to",
)  # fmt: skip
# Holding these without `personal = true` would put them in clear in logs and at rest.
_MUST_BE_PERSONAL_TYPES = {"id_number", "phone"}
_MUST_BE_PERSONAL_CARD = {"name", "id_number", "address", "birth"}
# Upper bounds when a form sets no max_length, so no field takes unbounded input.
DEFAULT_MAX_LENGTH = {"text": 200, "chinese_text": 100, "textarea": 2000}
_ABSOLUTE_MAX_LENGTH = 10_000

_CODE_RE = re.compile(r"^[A-Za-z0-9._-]+$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# Han characters (basic, Ext A, Ext B–F and the compatibility block) plus the middle dot used
# in transliterated names (阿卜杜·热合曼).
_CHINESE_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f·]+$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_NEWLINE_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_YMD8_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# A date field's min/max: a fixed YYYY-MM-DD, or days from the day the citizen fills it in.
_RELATIVE_DATE_RE = re.compile(r"^today(?:([+-])(\d{1,5}))?$")

_FORM_KEYS = {"code", "title", "title_en", "items", "fields", "booking"}
_HHMM_SPAN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True)
class BookingDef:
    """A form that books (预约): filing it also books the queue `service` on the day in
    `date_field`, in the first free slot of the time window its `period_field` choice names
    (`periods`: choice value → "HH:MM-HH:MM"). Check-in on the day finds it by ID card."""

    service: str
    date_field: str
    period_field: str
    periods: Mapping[str, str]

    def past_periods(self, values: Mapping[str, Any], now: datetime, close_min: int) -> set[str]:
        """The `period_field` choices no longer bookable for the day in `values`: on the
        hall's today (`now`, in the hall's zone), a half-day whose end is `close_min` or fewer
        minutes away — its last slot has begun, and the hall server refuses it (E-QUE-23)."""
        if str(values.get(self.date_field, "")) != now.date().isoformat():
            return set()
        clock = now.replace(tzinfo=None)
        last_start = timedelta(minutes=close_min)
        return {
            choice
            for choice, span in self.periods.items()
            if clock >= datetime.combine(now.date(), time.fromisoformat(span[-5:])) - last_start
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "date_field": self.date_field,
            "period_field": self.period_field,
            "periods": dict(self.periods),
        }


def _parse_booking(raw: Any, problems: list[str]) -> BookingDef | None:
    if raw is None:
        return None
    keys = {"service", "date_field", "period_field", "periods"}
    if not isinstance(raw, Mapping) or set(raw) != keys:
        problems.append("booking must have exactly: " + ", ".join(sorted(keys)))
        return None
    periods = raw["periods"]
    if not isinstance(periods, Mapping) or not all(
        isinstance(v, str) and _HHMM_SPAN.match(v) for v in periods.values()
    ):
        problems.append('booking.periods: each choice maps to "HH:MM-HH:MM"')
        return None
    return BookingDef(str(raw["service"]), str(raw["date_field"]), str(raw["period_field"]),
                      dict(periods))
_FIELD_KEYS = {
    "key", "label", "label_en", "type", "required", "max_length", "min_length", "min", "max",
    "pattern", "choices", "from_card", "personal", "help", "help_en", "required_when",
}  # fmt: skip


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    label_en: str = ""
    item: str = ""  # the catalog item this choice files under (办理类别 首次/补发/换发 …)


@dataclass(frozen=True)
class FieldDef:
    key: str
    label: str
    type: str
    label_en: str = ""
    required: bool = False
    max_length: int | None = None
    min_length: int | None = None
    min: float | str | None = None  # a number, or for dates "YYYY-MM-DD" / "today[±N]"
    max: float | str | None = None
    pattern: str | None = None
    choices: tuple[Choice, ...] = ()
    from_card: str | None = None
    personal: bool = False
    help: str = ""
    help_en: str = ""
    # Required only when other fields hold one of the given values, e.g. the mailing address
    # when 领卡方式 is 免费邮寄: ((field key, (values…)), …), all must hold.
    required_when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def name_en(self) -> str:
        return self.label_en or self.key

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "label": self.label}
        if self.label_en:
            out["label_en"] = self.label_en
        out["type"] = self.type
        out["required"] = self.required
        for name in ("max_length", "min_length", "min", "max", "pattern", "from_card"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.choices:
            out["choices"] = [
                {"value": c.value, "label": c.label, "label_en": c.label_en}
                | ({"item": c.item} if c.item else {})
                for c in self.choices
            ]
        if self.required_when:
            out["required_when"] = {key: list(values) for key, values in self.required_when}
        out["personal"] = self.personal
        if self.help:
            out["help"] = self.help
        if self.help_en:
            out["help_en"] = self.help_en
        return out


@dataclass(frozen=True)
class FormDef:
    code: str
    title: str
    title_en: str
    items: tuple[str, ...]
    fields: tuple[FieldDef, ...]
    # The file it came from, for error messages; not part of the definition.
    source: str = dataclasses.field(default="", compare=False)
    booking: BookingDef | None = None

    def field(self, key: str) -> FieldDef | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def item_field(self) -> FieldDef | None:
        """The choice field whose choices name catalog items (at most one per form)."""
        return next((f for f in self.fields if any(c.item for c in f.choices)), None)

    def to_dict(self) -> dict[str, Any]:
        """The same shape as the TOML file; `parse_form(form.to_dict())` gives the form back."""
        return {
            "code": self.code,
            "title": self.title,
            "title_en": self.title_en,
            "items": list(self.items),
            "fields": [f.to_dict() for f in self.fields],
        } | ({"booking": self.booking.to_dict()} if self.booking else {})


# --- loading ---------------------------------------------------------------------------------
def load_forms(directory: Path | None = None) -> dict[str, FormDef]:
    """Every `<CODE>.toml` in `directory`, keyed by form code. Default: the package's forms,
    with the hall's own forms/ (/etc/hall-kiosk or /etc/hall-server) replacing or adding."""
    if directory is None:
        from common.paths import hall_files

        paths = hall_files("forms")
    elif not directory.is_dir():
        raise KioskError(CONFIG_UNREADABLE, f"{directory}: forms directory does not exist")
    else:
        paths = sorted(directory.glob("*.toml"))
    forms: dict[str, FormDef] = {}
    for path in paths:
        form = parse_form(_read_toml(path), source=str(path))
        if form.code != path.stem:
            raise KioskError(
                CONFIG_INVALID, f"{path}: code {form.code!r} must match the file name {path.stem!r}"
            )
        forms[form.code] = form
    return forms


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: not valid TOML: {exc}") from exc


def parse_form(data: Mapping[str, Any], source: str = "<form>") -> FormDef:
    """Build a FormDef from a TOML/JSON mapping, reporting every problem at once (E-CFG-01)."""
    problems: list[str] = []
    for key in sorted(set(data) - _FORM_KEYS):
        problems.append(f"unknown key {key!r}")
    code = data.get("code")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        problems.append("code must be letters, digits, '.', '_' or '-'")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("title must be a non-empty string")
    title_en = data.get("title_en", "")
    if not isinstance(title_en, str):
        problems.append("title_en must be a string")
    items = data.get("items", [])
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        problems.append("items must be a list of catalog item codes")
        items = []
    raw_fields = data.get("fields")
    fields: list[FieldDef] = []
    if not isinstance(raw_fields, list) or not raw_fields:
        problems.append("fields must be a non-empty array of tables ([[fields]])")
    else:
        seen: set[str] = set()
        for index, raw in enumerate(raw_fields, start=1):
            where = f"field {index}"
            if isinstance(raw, Mapping) and isinstance(raw.get("key"), str):
                where = f"field {index} ({raw['key']})"
                if raw["key"] in seen:
                    problems.append(f"{where}: duplicate key")
                seen.add(raw["key"])
            parsed = _parse_field(raw, where, problems)
            if parsed is not None:
                fields.append(parsed)
    booking = _parse_booking(data.get("booking"), problems)
    if not problems:
        _check_links(fields, items, problems)
        if booking is not None:
            known = {f.key for f in fields}
            for key in (booking.date_field, booking.period_field):
                if key not in known:
                    problems.append(f"booking names field {key!r}, which the form does not have")
    if problems:
        raise KioskError(CONFIG_INVALID, f"{source}: " + "; ".join(problems))
    return FormDef(
        code=code, title=title, title_en=title_en, items=tuple(items), fields=tuple(fields),
        source=source, booking=booking,
    )  # fmt: skip


def _check_links(fields: list[FieldDef], items: list[str], problems: list[str]) -> None:
    """Choices that pick the item, and conditions of required_when, point at what exists."""
    pickers = [f for f in fields if any(c.item for c in f.choices)]
    if len(pickers) > 1:
        problems.append("only one field may pick the item: " + ", ".join(f.key for f in pickers))
    for f in pickers:
        for c in f.choices:
            if not c.item:
                problems.append(f"field {f.key}: choice {c.value!r} needs an item like the others")
            elif c.item not in items:
                problems.append(f"field {f.key}: choice {c.value!r} names {c.item!r}, not in items")
    by_key = {f.key: f for f in fields}
    for f in fields:
        for key, values in f.required_when:
            other = by_key.get(key)
            if other is None or other is f:
                problems.append(f"field {f.key}: required_when names no other field {key!r}")
            elif other.choices and set(values) - {c.value for c in other.choices}:
                problems.append(f"field {f.key}: required_when {key} has values it cannot take")


def _parse_required_when(
    raw: Any, where: str, problems: list[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`required_when = { collect = "mail" }` or `{ collect = ["mail", "express"] }`."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping) or not raw:
        problems.append(f"{where}: required_when must be a table of field = value(s)")
        return ()
    out = []
    for key, value in raw.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(
            isinstance(v, str) and v for v in values
        ):
            problems.append(f"{where}: required_when {key} must be a value or a list of values")
            continue
        out.append((str(key), tuple(values)))
    return tuple(out)


def _parse_field(raw: Any, where: str, problems: list[str]) -> FieldDef | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be a table")
        return None
    before = len(problems)
    for key in sorted(set(raw) - _FIELD_KEYS):
        problems.append(f"{where}: unknown key {key!r}")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY_RE.match(key):
        problems.append(f"{where}: key must be lower-case letters, digits and '_'")
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append(f"{where}: label must be a non-empty string")
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        problems.append(f"{where}: type must be one of {', '.join(FIELD_TYPES)}")
    for name in ("label_en", "help", "help_en"):
        if not isinstance(raw.get(name, ""), str):
            problems.append(f"{where}: {name} must be a string")
    for name in ("required", "personal"):
        if not isinstance(raw.get(name, False), bool):
            problems.append(f"{where}: {name} must be true or false")
    lengths = {}
    for name in ("min_length", "max_length"):
        value = raw.get(name)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= _ABSOLUTE_MAX_LENGTH
        ):
            problems.append(f"{where}: {name} must be an integer 0..{_ABSOLUTE_MAX_LENGTH}")
        else:
            lengths[name] = value
    shortest, longest = lengths.get("min_length"), lengths.get("max_length")
    if shortest is not None and longest is not None and shortest > longest:
        problems.append(f"{where}: min_length is greater than max_length")
    _check_bounds(raw, ftype, where, problems)
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            problems.append(f"{where}: pattern is not a valid regular expression ({exc})")
    choices = _parse_choices(raw.get("choices"), ftype, where, problems)
    required_when = _parse_required_when(raw.get("required_when"), where, problems)
    from_card = raw.get("from_card")
    if from_card is not None and from_card not in CARD_FIELDS:
        problems.append(f"{where}: from_card must be one of {', '.join(CARD_FIELDS)}")
    personal = raw.get("personal", False)
    if personal is not True and (
        ftype in _MUST_BE_PERSONAL_TYPES or from_card in _MUST_BE_PERSONAL_CARD
    ):
        problems.append(f"{where}: holds personal data, so it needs personal = true")
    if len(problems) > before:
        return None
    return FieldDef(
        key=key, label=label, type=ftype, label_en=raw.get("label_en", ""),
        required=raw.get("required", False), max_length=raw.get("max_length"),
        min_length=raw.get("min_length"), min=raw.get("min"), max=raw.get("max"),
        pattern=pattern, choices=choices, from_card=from_card, personal=personal,
        help=raw.get("help", ""), help_en=raw.get("help_en", ""), required_when=required_when,
    )  # fmt: skip


def _check_bounds(raw: Mapping[str, Any], ftype: Any, where: str, problems: list[str]) -> None:
    """min/max: numbers for a number field; for a date field a fixed date or `today[±N]`."""
    bounds: dict[str, Any] = {}
    for name in ("min", "max"):
        value = raw.get(name)
        if value is None:
            continue
        if ftype == "date":
            if not isinstance(value, str) or (
                parse_date(value) is None and not _RELATIVE_DATE_RE.match(value)
            ):
                problems.append(f"{where}: {name} must be YYYY-MM-DD, today, or today+N / today-N")
            else:
                bounds[name] = value
        elif ftype != "number":
            problems.append(f"{where}: {name} only applies to types number and date")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{where}: {name} must be a number")
        else:
            bounds[name] = value
    if "min" not in bounds or "max" not in bounds:
        return
    low, high = bounds["min"], bounds["max"]
    if ftype == "date":  # comparable when both are fixed or both relative to the same day
        some_day = date(2000, 1, 1)
        low_day, high_day = _date_bound(low, some_day), _date_bound(high, some_day)
        comparable = _RELATIVE_DATE_RE.match(low) is not None
        comparable = comparable == (_RELATIVE_DATE_RE.match(high) is not None)
        if comparable and low_day and high_day and low_day > high_day:
            problems.append(f"{where}: min is after max")
    elif low > high:
        problems.append(f"{where}: min is greater than max")


def _parse_choices(raw: Any, ftype: Any, where: str, problems: list[str]) -> tuple[Choice, ...]:
    if ftype != "choice":
        if raw is not None:
            problems.append(f"{where}: choices only apply to type choice")
        return ()
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: a choice field needs a non-empty choices list")
        return ()
    out: list[Choice] = []
    for index, item in enumerate(raw, start=1):
        if (
            not isinstance(item, Mapping)
            or set(item) - {"value", "label", "label_en", "item"}
            or not isinstance(item.get("value"), str)
            or not item["value"]
            or not isinstance(item.get("label"), str)
            or not isinstance(item.get("label_en", ""), str)
            or not isinstance(item.get("item", ""), str)
        ):
            problems.append(
                f"{where}: choice {index} must be {{value, label, label_en, item}} strings"
            )
            continue
        out.append(
            Choice(item["value"], item["label"], item.get("label_en", ""), item.get("item", ""))
        )
    values = [c.value for c in out]
    if len(set(values)) != len(values):
        problems.append(f"{where}: choice values must be unique")
    return tuple(out)


# --- validating ------------------------------------------------------------------------------
def validate_fields(
    form: FormDef, fields: Mapping[str, Any], *, today: date | None = None
) -> dict[str, FieldError]:
    """Errors by field key (empty when all is well). Unknown keys are refused too.

    `today` is the day relative date bounds (`max = "today"`) count from: the kiosk passes
    the hall's date. Without it those bounds are not checked — the hall server's case, as a
    submission queued offline may arrive days after the citizen filled it in (an appointment
    date valid then must not be refused for being in the past now). Fixed bounds always are.
    """
    errors: dict[str, FieldError] = {}
    for fdef in form.fields:
        error = _validate_one(fdef, fields.get(fdef.key), today)
        if error is None and fdef.required_when:
            error = _check_required_when(form, fdef, fields)
        if error is not None:
            errors[fdef.key] = error
    known = {f.key for f in form.fields}
    for key in fields:
        if key not in known:
            errors[str(key)] = FieldError.of(
                FIELD_UNKNOWN, f"表单中没有此项：{key}", f"{key!s} is not a field of {form.code}"
            )
    return errors


def _check_required_when(
    form: FormDef, f: FieldDef, fields: Mapping[str, Any]
) -> FieldError | None:
    value = fields.get(f.key)
    if value is not None and not (isinstance(value, str) and not value.strip()):
        return None
    if not all(fields.get(key) in values for key, values in f.required_when):
        return None
    key, values = f.required_when[0]
    other = form.field(key)
    chosen = next((c for c in other.choices if c.value == values[0]), None) if other else None
    zh = f"选择“{chosen.label}”时请填写{f.label}" if chosen else f"请填写{f.label}"
    en_choice = (chosen.label_en or chosen.label) if chosen else values[0]
    return FieldError.of(
        FIELD_REQUIRED, zh, f"{f.name_en} is required with {other.name_en if other else key} "
        f"{en_choice!r}"
    )


def resolve_item(form: FormDef, fields: Mapping[str, Any]) -> str | None:
    """The catalog item the citizen's own choice files under (the chosen 办理类别's item);
    None when the form has no such choice or it is not made."""
    picker = form.item_field
    if picker is None:
        return None
    chosen = fields.get(picker.key)
    return next((c.item for c in picker.choices if c.value == chosen and c.item), None)


def require_valid(form: FormDef, fields: Mapping[str, Any]) -> None:
    """Raise E-VAL-01 naming each bad field and its code (never the values) if any is bad."""
    errors = validate_fields(form, fields)
    if errors:
        detail = "; ".join(f"{key}: {err.code} {err.en}" for key, err in errors.items())
        raise KioskError(FIELD_INVALID, f"{form.code}: {detail}")


def _validate_one(f: FieldDef, value: Any, today: date | None = None) -> FieldError | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if f.required:
            return FieldError.of(FIELD_REQUIRED, f"请填写{f.label}", f"{f.name_en} is required")
        return None
    if f.type == "number":
        return _validate_number(f, value)
    if not isinstance(value, str):
        return FieldError.of(FIELD_FORMAT, f"{f.label}应为文字", f"{f.name_en} must be text")
    text = value.strip()
    error = _check_length(f, text)
    if error is None:
        error = _check_type(f, text)
    if error is None and f.pattern is not None and not re.fullmatch(f.pattern, text):
        error = FieldError.of(
            FIELD_FORMAT, f"{f.label}格式不正确", f"{f.name_en} does not match the expected format"
        )
    if error is None and f.type == "date":
        error = _check_date_range(f, text, today)
    return error


def _date_bound(spec: Any, today: date | None) -> date | None:
    """One bound as a date; None when absent, or relative and no `today` is known."""
    if not isinstance(spec, str):
        return None
    match = _RELATIVE_DATE_RE.match(spec)
    if match is None:
        return parse_date(spec)
    if today is None:
        return None
    sign, days = match.groups()
    return today + timedelta(days=int(days or 0) * (-1 if sign == "-" else 1))


def date_range(f: FieldDef, today: date | None) -> tuple[date | None, date | None]:
    """The earliest and latest date a date field takes (None: no bound of its own), with
    relative bounds counted from `today` — what the calendar picker offers."""
    return _date_bound(f.min, today), _date_bound(f.max, today)


def _bound_text(spec: Any, day: date) -> tuple[str, str]:
    """(zh, en) wording of a bound: 今天 for `today` itself, else the date (never a value)."""
    if spec == "today":
        return "今天", "today"
    return day.isoformat(), day.isoformat()


def _check_date_range(f: FieldDef, text: str, today: date | None) -> FieldError | None:
    value = parse_date(text)
    if value is None:
        return None  # validate_date already said why
    low, high = date_range(f, today)
    if low is not None and value < low:
        zh, en = _bound_text(f.min, low)
        return FieldError.of(
            DATE_OUT_OF_RANGE, f"{f.label}不能早于{zh}", f"{f.name_en} is before {en}"
        )
    if high is not None and value > high:
        zh, en = _bound_text(f.max, high)
        return FieldError.of(
            DATE_OUT_OF_RANGE, f"{f.label}不能晚于{zh}", f"{f.name_en} is after {en}"
        )
    return None


def _check_length(f: FieldDef, text: str) -> FieldError | None:
    longest = f.max_length or DEFAULT_MAX_LENGTH.get(f.type, _ABSOLUTE_MAX_LENGTH)
    if len(text) > longest:
        return FieldError.of(
            FIELD_LENGTH, f"{f.label}最多{longest}个字", f"{f.name_en} is longer than {longest}"
        )
    if f.min_length is not None and len(text) < f.min_length:
        return FieldError.of(
            FIELD_LENGTH,
            f"{f.label}至少{f.min_length}个字",
            f"{f.name_en} is shorter than {f.min_length}",
        )
    return None


def _check_type(f: FieldDef, text: str) -> FieldError | None:
    if f.type == "text" and _CONTROL_RE.search(text):
        return FieldError.of(
            FIELD_FORMAT, f"{f.label}含有无效字符", f"{f.name_en} has control characters"
        )
    if f.type == "textarea" and _CONTROL_EXCEPT_NEWLINE_RE.search(text):
        return FieldError.of(
            FIELD_FORMAT, f"{f.label}含有无效字符", f"{f.name_en} has control characters"
        )
    if f.type == "chinese_text" and not _CHINESE_RE.match(text):
        return FieldError.of(
            FIELD_FORMAT, f"{f.label}请填写汉字", f"{f.name_en} must be Chinese characters"
        )
    if f.type == "choice" and text not in {c.value for c in f.choices}:
        return FieldError.of(
            CHOICE_INVALID, f"{f.label}请从列表中选择", f"{f.name_en} is not one of the choices"
        )
    checker = _TYPE_CHECKERS.get(f.type)
    return checker(text) if checker else None


_TYPE_CHECKERS = {
    "id_number": validate_id_number,
    "phone": validate_phone,
    "postal_code": validate_postal_code,
    "date": validate_date,
    "email": validate_email,
}


def _validate_number(f: FieldDef, value: Any) -> FieldError | None:
    number: float | None = None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str) and _NUMBER_RE.match(value.strip()):
            number = float(value.strip())
    except OverflowError:  # an int beyond float range: refuse it like any other bad number
        number = None
    if number is None or number != number or number in (float("inf"), float("-inf")):
        return FieldError.of(NUMBER_INVALID, f"{f.label}应为数字", f"{f.name_en} must be a number")
    if f.min is not None and number < f.min:
        return FieldError.of(
            NUMBER_INVALID, f"{f.label}不能小于{f.min:g}", f"{f.name_en} is below {f.min:g}"
        )
    if f.max is not None and number > f.max:
        return FieldError.of(
            NUMBER_INVALID, f"{f.label}不能大于{f.max:g}", f"{f.name_en} is above {f.max:g}"
        )
    return None


# --- ID card and personal data ---------------------------------------------------------------
def fill_from_card(form: FormDef, card: Mapping[str, Any]) -> dict[str, str]:
    """Values for the fields that name a `from_card` source, from one ID card read.

    `card` is the reader's JSON shape: strings, with gender/nation as {"code", "label"} and
    dates as YYYYMMDD or YYYY-MM-DD ("长期" for a card valid for life). Missing or unusable
    values are left out, so the citizen types them instead.
    """
    out: dict[str, str] = {}
    for f in form.fields:
        if f.from_card is None:
            continue
        value = _card_value(f, card.get(f.from_card))
        if value:
            out[f.key] = value
    return out


def _card_value(f: FieldDef, raw: Any) -> str | None:
    code = label = None
    if isinstance(raw, Mapping):
        code = str(raw.get("code", "")).strip() or None
        label = str(raw.get("label", "")).strip() or None
    elif isinstance(raw, str):
        label = raw.strip() or None
    if label is None and code is None:
        return None
    if f.type == "choice":
        for choice in f.choices:
            if choice.value in (code, label) or choice.label == label:
                return choice.value
        return None
    if label is None:
        return None
    if f.from_card in ("birth", "valid_from", "valid_to"):
        match = _YMD8_RE.match(label)
        if match:
            label = "-".join(match.groups())
        if f.type == "date" and validate_date(label) is not None:
            return None  # "长期" cannot go in a date field
    if f.from_card == "id_number":
        label = normalize_id_number(label)
    return label


def personal_keys(form: FormDef) -> set[str]:
    """Keys whose values are personal data: encrypted at rest on the kiosk, masked in logs."""
    return {f.key for f in form.fields if f.personal}
