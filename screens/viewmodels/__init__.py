"""View-models: plain Python, no Kivy. `build_session` wires them all to one app core."""

from __future__ import annotations

from typing import Any

from common.paths import hall_file
from common.schedule import Schedule
from screens.bridge import Bridge, Post
from screens.viewmodels.evaluation import EvaluationViewModel
from screens.viewmodels.forms import FormsViewModel, FormViewModel
from screens.viewmodels.guide import GuideViewModel, ItemViewModel, SearchViewModel
from screens.viewmodels.home import HomeViewModel
from screens.viewmodels.progress import ProgressViewModel
from screens.viewmodels.queue import ServicesViewModel
from screens.viewmodels.session import Session
from screens.viewmodels.technician import TechnicianPinViewModel, TechnicianViewModel
from screens.viewmodels.ticket import TicketViewModel

VIEW_MODELS = (
    HomeViewModel,
    ServicesViewModel,
    TicketViewModel,
    GuideViewModel,
    SearchViewModel,
    ItemViewModel,
    FormsViewModel,
    FormViewModel,
    ProgressViewModel,
    EvaluationViewModel,
    TechnicianPinViewModel,
    TechnicianViewModel,
)


def build_session(core: Any, post: Post, **overrides: Any) -> Session:
    """A session with every screen's view-model, talking to `core` through a Bridge whose
    results arrive via `post` (Clock in the app, ManualLoop in tests)."""
    settings = core.settings
    connectivity = getattr(core.connectivity, "state", core.connectivity)
    options: dict[str, Any] = {
        "hall_name": core.hall_name,
        "idle_timeout": settings.kiosk.idle_timeout,
        "elderly_idle_timeout": settings.kiosk.elderly_idle_timeout,
        "default_language": settings.kiosk.language,
        "connectivity": str(connectivity),
        "timezone": settings.hall.timezone,
        "schedule": Schedule.load(hall_file("schedule.toml"), hall_file("holidays.toml")),
        "speak": core.say,
    }
    options.update(overrides)
    session = Session(Bridge(core, post), **options)
    for cls in VIEW_MODELS:
        session.register(cls(session))
    return session
