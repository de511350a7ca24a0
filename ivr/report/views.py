"""GET /report: the usage report as a page with charts, behind HTTP basic auth.

Closed (404) unless IVR_REPORT_PASSWORD is set. Outside /voice and /sms, so no Twilio signature
is asked for, and none of the webhooks' routes can be reached with the password.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from ivr.report.charts import chart
from ivr.report.formats import RULE
from ivr.report.service import ReportError, load_report, parse_period
from ivr.services import line

bp = Blueprint("report", __name__, template_folder="templates")
log = logging.getLogger(__name__)
REALM = 'Basic realm="Usage report", charset="UTF-8"'


@bp.get("/report")
def report() -> Response:
    """The report for ?since=YYYY-MM-DD&until=YYYY-MM-DD (by default the last 30 days)."""
    services = line()
    access = services.report_access
    if access is None:
        return _plain(404, "The report is closed: set IVR_REPORT_PASSWORD to open it.")
    address = request.remote_addr or ""
    wait = access.locked_out(address)
    if wait:
        answer = _plain(429, "Too many wrong passwords: try again in a quarter of an hour.")
        answer.headers["Retry-After"] = str(int(wait) + 1)
        return answer
    auth = request.authorization
    if auth is None or auth.type != "basic" or not access.check(address, auth.password or ""):
        log.info("A /report request without the right password was refused.")
        answer = _plain(401, "The report needs its password (IVR_REPORT_PASSWORD).")
        answer.headers["WWW-Authenticate"] = REALM
        return answer
    since, until = request.args.get("since") or None, request.args.get("until") or None
    today = datetime.now(UTC).date()
    try:
        period = parse_period(since, until, today)
        built = load_report(services.store, services.content, period)
    except ReportError as error:
        status = 400 if "database" not in str(error) else 503
        page = render_template(
            "report.html", report=None, problem=str(error), since=since, until=until, rule=RULE
        )
        return Response(page, status=status, headers=_NO_STORE)
    charts = {table.key: Markup(chart(table)) for table in built.tables}
    page = render_template(
        "report.html",
        report=built,
        charts=charts,
        problem=None,
        since=period.since.isoformat(),
        until=period.until.isoformat(),
        rule=RULE,
    )
    return Response(page, headers=_NO_STORE)


# The report is for the organisation only: no shared cache keeps a copy.
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain", headers=_NO_STORE)
