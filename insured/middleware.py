"""Request-wide guards: the language every page speaks, no control characters in input, and the
session's idle timeout."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _

from insured import api_errors


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user has chosen English.

    Django's LocaleMiddleware follows the browser's Accept-Language, so a clerk whose computer
    is set to English would get English pages and forms. The agency works in Chinese; English
    is there for those who pick it (the language switch sets the cookie).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class RefuseControlCharactersMiddleware:
    """No path, query parameter or form field may carry NUL or another control character.

    PostgreSQL cannot store or compare NUL (a query for it fails), and no name, number or
    search of this system contains a control character; such a request is refused with 400
    before any view reads it. Line breaks and tabs are allowed in form fields (a reason typed
    on two lines), never in the path or the query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_control(request.path, strict=True) or any(
            _has_control(key, strict=True) or any(_has_control(v, strict=True) for v in values)
            for key, values in request.GET.lists()
        ):
            return _refused(request)
        # The API parses its own bodies (its serializers refuse NUL), and reading the form here
        # would leave DRF an exhausted stream.
        if request.method == "POST" and request.content_type in FORM_TYPES and not request.path.startswith("/api/"):
            # A body Django cannot parse raises here, and Django answers it with 400.
            fields = list(request.POST.lists())
            if any(_has_control(key, strict=True) or any(_has_control(v) for v in values) for key, values in fields):
                return _refused(request)
        return self.get_response(request)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_STRICT = re.compile(r"[\x00-\x1f\x7f]")
_LENIENT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_control(value: object, strict: bool = False) -> bool:
    return isinstance(value, str) and bool((_STRICT if strict else _LENIENT).search(value))


def _refused(request: HttpRequest) -> HttpResponse:
    if api_errors.is_api(request):
        return api_errors.error_response(
            request, "control_character", _("The request contains a control character; nothing was done."), 400
        )
    return HttpResponseBadRequest(
        _("The request contains a control character; nothing was done."), content_type="text/plain; charset=utf-8"
    )


class IdleSessionMiddleware:
    """A session ends after SESSION_COOKIE_AGE seconds without a request (idle time, not time since
    login). Each request moves the end, but the session's row is written again only when its last
    write is SESSION_TOUCH_SECONDS old: SESSION_SAVE_EVERY_REQUEST wrote and committed it on every
    page, three statements and a flush to disk a click. So an idle session ends between
    SESSION_COOKIE_AGE minus SESSION_TOUCH_SECONDS and SESSION_COOKIE_AGE after the last request.
    Only an existing session is touched: a visitor without one is not given one."""

    KEY = "_touched"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        touched = session.get(self.KEY)
        now = int(time.time())
        stale = not isinstance(touched, int) or not 0 <= now - touched < settings.SESSION_TOUCH_SECONDS
        if session.session_key and stale:
            session[self.KEY] = now  # saved, with its end moved, as the response goes
        return self.get_response(request)
