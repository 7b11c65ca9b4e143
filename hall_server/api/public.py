"""The ticket's public status page (`url` in the ticket, printed as a QR code).

Shows the number, the service, people ahead, the state and the counter once called — never
personal data. The page itself (phone layout, Chinese/English) is rendered by
hall_server/pages/citizen.py with the other pages a citizen's phone opens.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from common import urls
from hall_server.pages import citizen

router = APIRouter(tags=["public"])


@router.get(urls.TICKET_PATH, response_class=HTMLResponse, include_in_schema=True)
def ticket_page(ticket_id: str, request: Request) -> HTMLResponse:
    return citizen.ticket_page(request, ticket_id)
