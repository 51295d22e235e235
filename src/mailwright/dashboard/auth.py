"""Who is signed in, and the CSRF check of every form. A page asked for without a valid session
sends the browser to the sign-in form; a form posted without its session's token is refused."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from mailwright.api.deps import get_runtime
from mailwright.api.errors import HttpProblem
from mailwright.api.ratelimit import RateLimiter, client_network
from mailwright.dashboard import PREFIX, sessions
from mailwright.dashboard.sessions import Viewer

CSRF_FIELD = "csrf_token"


class NotSignedIn(Exception):
    """Answered with a redirect to the sign-in form."""


def viewer(request: Request) -> Viewer:
    with get_runtime(request).db.read() as session:
        found = sessions.find(session, request.cookies.get(sessions.COOKIE))
    if found is None:
        raise NotSignedIn()
    return found


def customer(who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
    if who.account is None:
        raise HttpProblem(404, "The customer pages are for accounts: sign in with an account's API key")
    return who


def operator(who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
    if not who.is_operator:
        raise HttpProblem(404, "No such page")
    return who


async def checked_form(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> FormData:
    """The posted form, once its CSRF token is the session's."""
    form = await request.form()
    if not sessions.same_token(form.get(CSRF_FIELD), who.csrf_token):
        raise HttpProblem(403, "This form has expired or did not come from this dashboard: reload the page and try again")
    return form


def sign_in_throttle(request: Request) -> tuple[RateLimiter, str]:
    """The same per-address limit of failed authentications as the API faces."""
    return request.app.state.auth_failures, client_network(request.client.host if request.client else None)


ViewerDep = Annotated[Viewer, Depends(viewer)]
CustomerDep = Annotated[Viewer, Depends(customer)]
OperatorDep = Annotated[Viewer, Depends(operator)]
FormDep = Annotated[FormData, Depends(checked_form)]
SIGN_IN_PATH = f"{PREFIX}/sign-in"
