"""The one registry of error codes: code, CLI exit code, HTTP status, English log text,
Chinese screen text and what to do.

Every error the product can show (CLI, screen, API body) is a `KioskError` carrying one of
these codes. Codes and exit codes are a contract: never renumber, only add. Families:

    E-CLI  usage            E-CFG  configuration     E-NET  network / hall server unreachable
    E-SRV  malformed reply  E-AUTH credentials       E-API  hall server API errors
    E-QUE  queue rules      E-APP  applications      E-VAL  validation
    E-STO  local store      E-PRV  provisioning      E-IDC  ID card reader
    E-SC   smartcard        E-PRN  printer           E-SCN  scanner     E-VOI voice
    E-HW   hardware common  E-IMP  hall server data imports
    E-DOC  doctor / remote configuration                E-DEP  deployment (system units)
    E-NTF  SMS notifications (hall server)

Exit codes: 0 ok, 1 unexpected, 2 usage; then each family owns a decade so scripts can test
`$? -ge 40 && $? -lt 50` for "ID card problem".
This module needs nothing beyond the standard library: the server imports it too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    code: str
    exit_code: int
    http_status: int
    en: str
    zh: str
    hint: str = ""


REGISTRY: dict[str, ErrorCode] = {}


def define(
    code: str, exit_code: int, en: str, zh: str, hint: str = "", http_status: int = 500
) -> ErrorCode:
    """Register a code once; a duplicate code is a programming error found at import."""
    if code in REGISTRY:
        raise RuntimeError(f"error code {code} defined twice")
    entry = ErrorCode(code, exit_code, http_status, en, zh, hint)
    REGISTRY[code] = entry
    return entry


class KioskError(Exception):
    """An expected failure with a stable code. `detail` adds specifics (English, redacted)."""

    def __init__(self, code: ErrorCode | str, detail: str = "", *, retry_after: float | None = None,
                 fields: dict | None = None):
        self.error = code if isinstance(code, ErrorCode) else REGISTRY[code]
        self.detail = detail
        self.retry_after = retry_after
        self.fields = fields or {}  # machine-readable extras in the error body (e.g. "state")
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def exit_code(self) -> int:
        return self.error.exit_code

    @property
    def message(self) -> str:
        return f"{self.error.en}: {self.detail}" if self.detail else self.error.en

    @property
    def screen_text(self) -> str:
        return self.error.zh

    def to_json(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.error.hint:
            body["hint"] = self.error.hint
        body.update(self.fields)
        return {"error": body}


# --- general ---------------------------------------------------------------------------------
UNEXPECTED = define("E-GEN-01", 1, "Unexpected internal error", "系统内部错误，请联系工作人员",
                    "See the log for the traceback and report it")
USAGE = define("E-CLI-01", 2, "Invalid command line", "命令参数有误", "Run with --help",
               http_status=400)

# --- configuration (E-CFG) -------------------------------------------------------------------
CONFIG_INVALID = define("E-CFG-01", 3, "Configuration is invalid", "终端配置有误，请联系技术人员",
                        "Fix the values listed above in the named file or environment variable")
CONFIG_UNREADABLE = define("E-CFG-02", 3, "Configuration file cannot be read",
                           "终端配置文件无法读取，请联系技术人员",
                           "Check the file is valid TOML and readable")
HALL_DIR_UNWRITABLE = define("E-CFG-04", 3, "The hall's configuration folder cannot be written",
                             "终端配置目录无法写入，请联系技术人员",
                             "Run as root (/etc/hall-kiosk, /etc/hall-server), or give --target DIR "
                             "or set KIOSK_ETC")
STATE_DIR_UNWRITABLE = define("E-CFG-05", 3, "The state folder cannot be created or written",
                              "终端数据目录无法写入，请联系技术人员",
                              "Create it for this user (the units use /var/lib/hall-kiosk), or "
                              "set KIOSK_HOME to a writable folder")
NOT_PROVISIONED = define("E-CFG-03", 3, "This kiosk is not enrolled with a hall server",
                         "终端尚未完成注册，请联系技术人员",
                         "Run `kiosk provision --server URL --code CODE --name NAME`")

# --- network / hall server (E-NET, E-SRV) ----------------------------------------------------
SERVER_UNREACHABLE = define("E-NET-01", 4, "Hall server unreachable", "网络暂时不可用",
                            "Check the network and that `kiosk serve` is running; data is kept locally")
SERVER_TIMEOUT = define("E-NET-02", 4, "Hall server did not answer in time", "服务器响应超时",
                        "Retry later; submissions are kept in the outbox")
SERVER_BUSY = define("E-NET-03", 4, "Hall server is busy", "服务器繁忙，请稍后再试",
                     "Retry after the time the server asked for", http_status=429)
SERVER_ERROR = define("E-SRV-01", 5, "Hall server failed", "服务器出现故障",
                      "See the hall server's log", http_status=500)
SERVER_REPLY_INVALID = define("E-SRV-02", 5, "Hall server sent a malformed reply",
                              "服务器返回的数据有误",
                              "Check the kiosk and server versions are compatible")
TLS_ERROR = define("E-NET-04", 4, "TLS certificate of the hall server could not be verified",
                   "服务器证书校验失败", "Give the private CA with --ca-bundle, or fix the certificate")
DATABASE_UNAVAILABLE = define("E-SRV-03", 5, "Hall server database is unavailable",
                              "服务器数据库暂时不可用",
                              "Check the database (--db URL / data dir) is reachable and writable",
                              http_status=503)

# --- credentials (E-AUTH) --------------------------------------------------------------------
AUTH_MISSING = define("E-AUTH-01", 7, "Credentials missing, unknown or revoked", "终端凭证无效",
                      "Re-enrol the kiosk with `kiosk provision`", http_status=401)
AUTH_FORBIDDEN = define("E-AUTH-02", 7, "This device's role may not do that", "无权执行此操作",
                        "Use a device enrolled with the right role", http_status=403)
ENROLL_CODE_INVALID = define("E-AUTH-03", 7, "Enrolment code is invalid, used or expired",
                             "注册码无效或已过期", "Ask for a new code: `kiosk admin enroll-code`",
                             http_status=401)
ENROLL_CODE_LOCKED = define("E-AUTH-04", 7, "Too many wrong enrolment codes; try again later",
                            "注册尝试次数过多", "Wait, then use a fresh code", http_status=429)
# Staff sign-in (the counter page; hall_server/staff.py). A wrong password, an unknown login and
# a disabled account answer alike, so the reply does not tell which logins exist. A clerk at a
# counter not theirs gets E-QUE-12 (COUNTER_NOT_ALLOWED), like any actor.
STAFF_LOGIN_INVALID = define("E-AUTH-05", 7, "Wrong login or password", "用户名或密码错误",
                             "Check the login and password; ask the hall manager to reset it",
                             http_status=401)
STAFF_LOCKED = define("E-AUTH-06", 7, "Too many wrong passwords; sign-in is locked for a while",
                      "密码错误次数过多，请稍后再试",
                      "Wait for Retry-After seconds, or ask the hall manager", http_status=429)
STAFF_SESSION_EXPIRED = define("E-AUTH-07", 7, "Sign-in missing or expired", "登录已过期，请重新登录",
                               "Sign in again at /counter", http_status=401)
CSRF_INVALID = define("E-AUTH-08", 7, "CSRF token missing or wrong", "页面已失效，请刷新后重试",
                      "Reload the page; send the X-CSRF-Token header the page was given",
                      http_status=403)
DEVICE_CLONED = define("E-AUTH-09", 7, "This device token is already used by another "
                       "installation (a cloned terminal)", "终端身份重复，请联系技术人员",
                       "Re-enrol this terminal with its own code: `kiosk provision --replace`",
                       http_status=403)

# --- API (E-API) -----------------------------------------------------------------------------
NOT_FOUND = define("E-API-01", 6, "Not found", "未找到相关信息", "Check the code or number",
                   http_status=404)
VALIDATION = define("E-API-02", 8, "Request is invalid", "提交的信息有误", "Correct the fields named",
                    http_status=422)
IDEMPOTENCY_CONFLICT = define("E-API-03", 8, "Idempotency-Key reused with a different body",
                              "重复提交的内容不一致",
                              "Use a new key for a new request", http_status=422)
RATE_LIMITED = define("E-API-04", 8, "Too many requests", "操作过于频繁，请稍后再试",
                      "Wait for Retry-After seconds", http_status=429)
IDEMPOTENCY_KEY_MISSING = define("E-API-05", 8, "Idempotency-Key header is required",
                                 "缺少请求标识", "Send a client-generated UUID as Idempotency-Key",
                                 http_status=400)
METHOD_NOT_ALLOWED = define("E-API-06", 6, "Method not allowed on this route", "请求方式有误",
                            "See docs/api.md for the route's method", http_status=405)
CATALOG_STORE_NOT_READY = define("E-API-07", 6, "No server-built catalog store for that "
                                 "layout yet (one is being built)", "目录数据准备中",
                                 "Load GET /catalog/snapshot instead", http_status=404)
CATALOG_STORE_LAYOUT = define("E-API-08", 6, "The server builds the catalog store in another "
                              "layout than the one asked for", "目录数据版本不符",
                              "Load GET /catalog/snapshot instead (or update the kiosk or "
                              "the server)", http_status=409)

# --- queue (E-QUE) ---------------------------------------------------------------------------
SERVICE_UNKNOWN = define("E-QUE-01", 6, "No such queue service", "没有该业务", "List services first",
                         http_status=404)
SERVICE_CLOSED = define("E-QUE-02", 8, "This service is not taking tickets now",
                        "该业务当前不可取号", "Try during opening hours", http_status=409)
DAILY_CAP_REACHED = define("E-QUE-03", 8, "No tickets left today for this service",
                           "今日号源已取完", "Come back tomorrow or book an appointment",
                           http_status=409)
HOLDER_LIMIT_REACHED = define("E-QUE-04", 8, "This ID has reached today's ticket limit",
                              "该证件今日取号次数已达上限",
                              "Each ID may take a limited number of tickets a day", http_status=409)
APPOINTMENT_INVALID = define("E-QUE-05", 8, "Appointment not found or not for today",
                             "未找到今日有效预约", "Check the appointment code", http_status=404)
NOTHING_WAITING = define("E-QUE-06", 6, "No ticket waiting for this counter", "当前无人等候",
                         http_status=404)
OFFLINE_NUMBER_TAKEN = define("E-QUE-07", 8, "Offline ticket number already used that day",
                              "离线票号重复", "Each kiosk must put its own id in offline numbers",
                              http_status=409)
OFFLINE_NUMBER_FOREIGN = define("E-QUE-18", 8, "Offline ticket number belongs to another kiosk",
                                "离线票号不属于本终端",
                                "A kiosk may only send offline numbers with its own tag; a "
                                "re-enrolled kiosk keeps its tag only with --replace",
                                http_status=409)
CHECKIN_NEEDS_NETWORK = define("E-QUE-08", 8, "Check-in by ID card needs the hall server, "
                               "which cannot be reached now", "刷身份证签到需要联网，当前网络不可用",
                               "Check in with the appointment code, or take a normal ticket",
                               http_status=503)
NO_APPOINTMENT_TODAY = define("E-QUE-09", 6, "No appointment today for this ID card",
                              "未查询到您今天的预约",
                              "Check the booking's date, or check in with the appointment code",
                              http_status=404)
TICKET_WRONG_STATE = define("E-QUE-10", 8, "The ticket is not in a state that allows this",
                            "该号当前状态不允许此操作",
                            "Reload: the error's `state` is the ticket's current state",
                            http_status=409)
COUNTER_UNKNOWN = define("E-QUE-11", 6, "No such counter", "没有该窗口",
                         "Counters are the ones the queue services file names", http_status=404)
COUNTER_NOT_ALLOWED = define("E-QUE-12", 7, "Not allowed at this counter", "您无权使用该窗口",
                             "Choose one of your counters", http_status=403)
TRANSFER_TARGET_UNKNOWN = define("E-QUE-13", 6, "Transfer target service does not exist",
                                 "转移的目标业务不存在", "List services first", http_status=404)
TRANSFER_TARGET_CLOSED = define("E-QUE-14", 8, "Transfer target service is closed",
                                "目标业务当前未开放", "Transfer to an open service",
                                http_status=409)
COUNTER_IDLE = define("E-QUE-15", 8, "This counter has no current ticket",
                      "当前窗口没有正在叫号或办理的号", "Call the next ticket first",
                      http_status=409)
COUNTER_BUSY = define("E-QUE-16", 8, "This counter already has a current ticket",
                      "请先办结、过号、转移或挂起当前号",
                      "Finish, no-show, transfer or hold the current ticket first",
                      http_status=409)
REQUEUE_USED = define("E-QUE-17", 8, "This ticket was requeued once already; a second "
                      "no-show is final", "该号已过号重排过一次，请重新取号",
                      "Take a new ticket", http_status=409)
# E-QUE-10…19 are the counter lifecycle's (docs/api.md); hall rules start at 20.
OUTSIDE_HOURS = define("E-QUE-20", 8, "The hall is not issuing tickets for this service now",
                       "当前不在取号时间", "Come back at the next opening given in the message",
                       http_status=409)
HOLDER_ALREADY_WAITING = define("E-QUE-21", 8, "This ID already has a ticket waiting for this "
                                "service", "您已有该业务的排队号，请留意叫号",
                                "One waiting ticket per person and service", http_status=409)
NOT_BOOKABLE = define("E-QUE-22", 8, "This service takes no bookings", "该业务不支持预约",
                      "Take a ticket on the day", http_status=409)
SLOT_UNAVAILABLE = define("E-QUE-23", 8, "No such time slot, or it has passed",
                          "该时段不可预约", "Pick one of the listed slots", http_status=409)
SLOT_FULL = define("E-QUE-24", 8, "This time slot is fully booked", "该时段已约满",
                   "Pick another slot", http_status=409)
BOOKING_TAKEN = define("E-QUE-25", 8, "This ID already has a booking for this service that "
                       "day", "您当天已预约该业务", "One booking per person, service and day",
                       http_status=409)
CHECKIN_TOO_EARLY = define("E-QUE-26", 8, "Too early to check in for this booking",
                           "未到签到时间，请稍后再来签到",
                           "Check in from queue.checkin_early_min before the slot", http_status=409)
CHECKIN_LATE = define("E-QUE-27", 8, "The booking's check-in time has passed",
                      "已超过预约签到时间，可现场取普通号", "Take a normal ticket", http_status=409)

# --- hall server data imports (E-IMP) --------------------------------------------------------
CATALOG_INVALID = define("E-IMP-01", 8, "Catalog file has invalid lines; nothing was imported",
                         "事项目录文件有误", "Fix the lines listed (see docs/catalog.schema.json)",
                         http_status=422)
SERVICES_INVALID = define("E-IMP-02", 8, "Queue services file is invalid; nothing was imported",
                          "取号业务配置有误", "Fix the entries listed", http_status=422)

# --- applications and forms (E-APP, E-VAL) ---------------------------------------------------
FORM_UNKNOWN = define("E-APP-01", 6, "No such form", "没有该表单", http_status=404)
APPLICATION_UNKNOWN = define("E-APP-02", 6, "No such application", "未查询到该办件",
                             "Check the application number", http_status=404)
FIELD_INVALID = define("E-VAL-01", 8, "A field is invalid", "填写内容有误", "Correct the field",
                       http_status=422)
# Per-field codes (common/validators.py, common/forms.py): a FieldError carries one of these with a
# message naming the field's own limits; E-VAL-01 wraps them when a whole form is refused.
FIELD_REQUIRED = define("E-VAL-02", 8, "Required field is empty", "此项为必填项", http_status=422)
FIELD_LENGTH = define("E-VAL-03", 8, "Field is too long or too short", "填写长度不符合要求",
                      http_status=422)
FIELD_FORMAT = define("E-VAL-04", 8, "Field has the wrong format", "填写格式不正确",
                      http_status=422)
ID_NUMBER_INVALID = define("E-VAL-05", 8, "ID number is malformed", "身份证号码格式不正确",
                           "18 characters: region, birth date, sequence, check digit",
                           http_status=422)
ID_CHECK_DIGIT = define("E-VAL-06", 8, "ID number check digit is wrong", "身份证号码校验位不正确",
                        "Re-check the number; read the card instead of typing", http_status=422)
PHONE_INVALID = define("E-VAL-07", 8, "Phone number is invalid", "电话号码格式不正确",
                       http_status=422)
POSTAL_CODE_INVALID = define("E-VAL-08", 8, "Postal code is invalid", "邮政编码应为6位数字",
                             http_status=422)
DATE_INVALID = define("E-VAL-09", 8, "Date is invalid", "日期不正确", "Use YYYY-MM-DD",
                      http_status=422)
NUMBER_INVALID = define("E-VAL-10", 8, "Number is invalid or out of range", "数值不正确",
                        http_status=422)
CHOICE_INVALID = define("E-VAL-11", 8, "Value is not one of the choices", "请选择列表中的选项",
                        http_status=422)
FIELD_UNKNOWN = define("E-VAL-12", 8, "Field is not part of this form", "表单中没有此项",
                       http_status=422)
EMAIL_INVALID = define("E-VAL-13", 8, "Email address is invalid", "电子邮箱格式不正确",
                       http_status=422)
DATE_OUT_OF_RANGE = define("E-VAL-14", 8, "Date is outside the field's allowed range",
                           "日期不在可选范围内", "Pick a date between the field's min and max",
                           http_status=422)

# --- 好差评 evaluations (E-EVA) ----------------------------------------------------------------
NOT_YET_SERVED = define("E-EVA-01", 8, "This ticket has not been served yet", "办理完成后才能评价",
                        "Rate after the counter has served you", http_status=409)
ALREADY_RATED = define("E-EVA-02", 8, "This visit has already been rated", "该次办理已评价，感谢您的反馈",
                       "Each ticket and application is rated once", http_status=409)
CASE_UNKNOWN = define("E-EVA-03", 6, "No such follow-up case", "没有该回访记录", http_status=404)

# --- local store (E-STO) ---------------------------------------------------------------------
STORE_FAILED = define("E-STO-01", 9, "Local store failed", "本地数据存储故障",
                      "Run `kiosk doctor`; check disk space")
STORE_TOO_NEW = define("E-STO-02", 9, "Local store is newer than this software",
                       "本地数据版本过新", "Install the newer kiosk version again")
DISK_FULL = define("E-STO-03", 9, "Disk is full", "存储空间不足", "Free disk space on the kiosk")
SQLITE_UNSUPPORTED = define("E-STO-04", 9, "SQLite lacks a feature the kiosk needs",
                            "本地数据库版本不支持", "Use a Python linked with SQLite ≥ 3.35 with FTS5")

# --- provisioning (E-PRV) --------------------------------------------------------------------
ALREADY_PROVISIONED = define("E-PRV-01", 14, "This kiosk is already enrolled",
                             "终端已注册", "Pass --replace to replace its identity")
PROVISION_FILE_INVALID = define("E-PRV-02", 14, "Provisioning file is invalid",
                                "终端注册文件有误，请联系技术人员",
                                "Fix the file (keys: server, code, name, location, hardware, "
                                "ca_bundle, replace); see docs/deploy.md")
HARDWARE_PROFILE_INVALID = define("E-PRV-03", 14, "Hardware profile is unknown or invalid",
                                  "设备配置方案有误，请联系技术人员",
                                  "Use a name from `kiosk provision --list-hardware` "
                                  "(common/defaults/hardware_profiles/)")
PROVISION_DECLINED = define("E-PRV-04", 14, "Provisioning cancelled: the identity was kept",
                            "已取消注册", "Run again and answer yes, or pass --replace")

# --- doctor and operations (E-DOC, E-DEP) ----------------------------------------------------
DOCTOR_FAULT = define("E-DOC-01", 16, "The doctor found a fault", "终端自检发现故障，请联系技术人员",
                      "Fix the checks marked FAULT; each line says what to do")
REMOTE_CONFIG_INVALID = define("E-DOC-02", 16, "Remote configuration is invalid; the last good "
                               "one is kept", "远程配置有误，已保留原配置",
                               "Fix the file and store it again with `kiosk admin config set`",
                               http_status=422)
TECHNICIAN_PIN_WRONG = define("E-DOC-03", 16, "Technician PIN or card not accepted",
                              "密码错误", "Try again; repeated failures lock the technician "
                              "screen for a while", http_status=401)
TECHNICIAN_LOCKED = define("E-DOC-04", 16, "Technician screen locked after repeated failures",
                           "维护界面已锁定，请稍后再试", "Wait until the lock-out ends")
TECHNICIAN_PIN_UNSET = define("E-DOC-05", 16, "No technician PIN is set on this kiosk",
                              "尚未设置维护密码", "Set one with `kiosk technician set-pin`")
UNITS_INSTALL_FAILED = define("E-DEP-01", 17, "Installing the system units failed",
                              "系统服务安装失败", "Run as root, or give --target DIR and copy the "
                              "files yourself (docs/deploy.md)")
EXTRA_MISSING = define("E-DEP-02", 17, "A part of the software this command needs is not "
                       "installed", "终端软件安装不完整，请联系技术人员",
                       "Install the extra the message names, e.g. pip install 'hall-kiosk[server]'")

# --- touch UI (E-UI) -------------------------------------------------------------------------
FONT_MISSING = define("E-UI-01", 15, "No Simplified-Chinese font found for the screens",
                      "终端字体缺失，请联系技术人员",
                      "Install fonts-wqy-microhei or set ui.font (KIOSK_UI_FONT) to such a font")
UI_START_FAILED = define("E-UI-02", 15, "The touch UI could not start",
                         "触摸屏界面无法启动，请联系技术人员",
                         "Check the display/OpenGL (Mesa) setup; see the log for details")

# --- hardware (E-HW, E-IDC, E-SC, E-PRN, E-SCN, E-VOI) ---------------------------------------
# Exit codes: E-HW 30-39, E-IDC 40-49, E-SC 50-59, E-PRN 60-69, E-SCN 70-79, E-VOI 80-89.
# Hardware families add their codes in the sections below.
DEVICE_TARGET_INVALID = define("E-HW-01", 30, "Device target string is invalid",
                               "设备配置有误", "See docs/hardware.md for target strings")
DRIVER_UNAVAILABLE = define("E-HW-02", 31, "A library this driver needs is not installed",
                            "设备驱动不可用", "Install what the message names")

# --- E-IDC: ID card reader ---
# One exit code per fault a technician must tell apart; the reader's SW3 byte is in `detail`.
IDC_NO_CARD = define("E-IDC-01", 40, "No ID card was placed on the reader in time",
                     "请将身份证放在读卡区", "Place the card flat on the reader's marked area")
IDC_TIMEOUT = define("E-IDC-02", 41, "ID card reader did not answer in time",
                     "身份证读卡器无响应，请联系工作人员",
                     "Check the reader's cable, power and baud rate; retest with "
                     "`kiosk idcard read --reader TARGET`")
IDC_CHECKSUM = define("E-IDC-03", 42, "ID card reader data failed its checksum",
                      "读卡数据校验失败，请重新放置证件",
                      "Retry; if it persists check the cable and the baud rate")
IDC_CARD_LIFTED = define("E-IDC-04", 43, "The card left the reader during the read",
                         "读卡时证件被移开，请重新放置并保持不动",
                         "Ask the citizen to keep the card still until the read completes")
IDC_SAM_UNAUTHORISED = define("E-IDC-05", 44, "The reader's security module (SAM) is not "
                              "authorised", "身份证读卡模块未授权，请联系工作人员",
                              "The SAM must be authorised by its issuer; replace the reader")
IDC_UNKNOWN_CARD = define("E-IDC-06", 45, "Card type not recognised",
                          "无法识别该证件，请使用居民身份证或居住证",
                          "Supported: resident ID card, HK/Macau/Taiwan residence permit, "
                          "foreign permanent resident card (2017 and 2023)")
IDC_READER_FAULT = define("E-IDC-07", 46, "The ID card reader reported a fault",
                          "身份证读卡器故障，请联系工作人员",
                          "Power-cycle the reader and retest; the status byte is in the message")
IDC_AUTH_FAILED = define("E-IDC-08", 47, "The card failed authentication with the reader",
                         "证件认证失败，请重新放置证件",
                         "Retry; a card that always fails may be damaged: refer to a counter")
IDC_PROTOCOL = define("E-IDC-09", 48, "The ID card reader sent a malformed reply",
                      "身份证读卡器通信异常，请联系工作人员",
                      "Check the reader speaks GA 467 (SAM protocol) and the target string")
IDC_READER_UNAVAILABLE = define("E-IDC-10", 49, "The ID card reader cannot be opened",
                                "身份证读卡器未连接，请联系工作人员",
                                "Check the cable, the target string and device permissions "
                                "(docs/hardware-idcard.md, udev rules)")

# --- E-SC: smartcards ---
SC_SERVICE_UNAVAILABLE = define("E-SC-01", 50, "PC/SC service (pcscd) is not available",
                                "智能卡服务不可用，请联系工作人员",
                                "Start pcscd (`systemctl start pcscd`) and check its socket")
SC_NO_READER = define("E-SC-02", 51, "No smartcard reader found", "未检测到读卡器",
                      "Plug in a PC/SC (CCID) reader; `kiosk smartcard list` shows what pcscd sees")
SC_READER_UNKNOWN = define("E-SC-03", 52, "No smartcard reader with that name",
                           "读卡器配置有误，请联系工作人员",
                           "Use a name from `kiosk smartcard list`")
SC_NO_CARD = define("E-SC-04", 53, "No card was presented in time", "请将卡片放在读卡区",
                    "Present the card to the reader")
SC_CARD_ERROR = define("E-SC-05", 54, "Communication with the card failed",
                       "读卡失败，请重新放置卡片", "Retry; the card may have been removed")
SC_APDU_FAILED = define("E-SC-06", 55, "The card refused the command",
                        "卡片不支持此操作", "The status word is in the message")
SC_CARD_UNSUPPORTED = define("E-SC-07", 56, "No card profile matches this card",
                             "不支持该卡片", "Add a profile to common/defaults/card_profiles.toml")
SC_PROFILE_INVALID = define("E-SC-08", 57, "Card profile file is invalid",
                            "读卡配置有误，请联系工作人员",
                            "Fix the named entry in common/defaults/card_profiles.toml")

# --- E-PRN: printer ---
PRINTER_UNAVAILABLE = define("E-PRN-01", 60, "Printer is not available", "打印机不可用",
                             "Check the printer's power and cable; the number is shown on screen")
PRINTER_PAPER_OUT = define("E-PRN-02", 61, "Printer is out of paper", "打印机缺纸，请联系工作人员",
                           "Load a new paper roll; the number is shown on screen")
PRINTER_COVER_OPEN = define("E-PRN-03", 62, "Printer cover is open", "打印机舱盖未关闭",
                            "Close the printer cover")
PRINTER_OFFLINE = define("E-PRN-04", 63, "Printer is offline or does not answer",
                         "打印机无响应，请联系工作人员",
                         "Check power, cable and target; `kiosk printer status` shows the cause")
PRINTER_PAPER_LOW = define("E-PRN-05", 64, "Printer paper is running low", "打印纸即将用完",
                           "Replace the paper roll soon (printing still works)")
PRINTER_WRITE_FAILED = define("E-PRN-06", 65, "Sending data to the printer failed",
                              "打印失败，请联系工作人员",
                              "Check the cable or network link; run `kiosk printer test`")
PRINTER_ERROR = define("E-PRN-07", 66, "Printer reports a mechanical or cutter error",
                       "打印机故障，请联系工作人员",
                       "Clear the paper jam or cutter, then power-cycle the printer")

# --- E-SCN: scanner ---
SCANNER_UNAVAILABLE = define("E-SCN-01", 70, "Scanner is not available", "扫码器不可用",
                             "Check the scanner's cable and target string")
SCAN_UNDECODABLE = define("E-SCN-02", 71, "Scanned code is neither UTF-8 nor GB18030 text",
                          "无法识别该二维码", "Scan a code issued by the hall; check the scanner's encoding")
SCAN_INCOMPLETE = define("E-SCN-03", 72, "Scan was cut off before its end marker",
                         "扫码不完整，请重新扫码",
                         "Scan again; if it repeats, check the scanner's suffix (CR/LF) setting")
SCANNER_FAILED = define("E-SCN-04", 73, "Reading from the scanner failed", "扫码器故障",
                        "Check the cable; the device may have been unplugged")

# --- E-VOI: voice ---
NOTIFY_FAILED = define("E-NTF-01", 18, "SMS notification not sent: the platform refused it or "
                       "is unreachable", "短信通知发送失败",
                       "Check [notify] in the hall server's settings and the SMS platform's "
                       "console (signature, template codes, balance); retries are automatic")

NOTIFY_TARGET_CLOSED = define("E-NTF-02", 18, "No SMS for this ticket or application: it is "
                              "closed (served, expired, finished)", "该号/办件已结束，无需短信提醒",
                              "Only a waiting ticket of today or an open application takes a "
                              "number", http_status=409)

VOICE_UNAVAILABLE = define("E-VOI-01", 80, "Voice output is not available", "语音播报不可用",
                           "Install espeak-ng (apt) or set the voice target to `none`")
VOICE_FAILED = define("E-VOI-02", 81, "Speech synthesis failed", "语音播报失败",
                      "Run `kiosk voice say 测试 --voice espeak` and read the error")
