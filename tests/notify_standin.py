"""A small stand-in for GOV.UK Notify on 127.0.0.1, speaking the part of its
published v2 API the product uses, so the real `notifications-python-client`
talks to it over HTTP (never mocked):

- POST /v2/notifications/sms, /v2/notifications/email, /v2/notifications/letter
  (precompiled: reference + base64 PDF content): 201 with the notification;
- GET /v2/notifications/{id}: the notification and its status;
- GET /v2/notifications?reference=: the notifications with that reference;
- JWT authentication as Notify does it: "Authorization: Bearer <token>", HS256
  signed with the API key's secret, `iss` the service id, `iat` within 30 s;
  otherwise 403 AuthError. A body missing a required field gives 400
  ValidationError, as Notify does.

`hold_at` = N makes the Nth POST record its notification and then wait (the
response lost in flight) until released: the worker-killed test uses it."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt

REQUIRED = {
    "sms": ("phone_number", "template_id"),
    "email": ("email_address", "template_id"),
    "letter": ("reference", "content"),
}


class NotifyStandIn:
    def __init__(self, *, delivery_status: str = "delivered"):
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.api_key = f"test_key-{self.service_id}-{self.secret}"
        self.delivery_status = delivery_status
        self.notifications: list[dict] = []
        self.requests: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()
        self.hold_at: int | None = None  # hold the POST that makes this many notifications
        self.holding = threading.Event()
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> NotifyStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def sent(self, kind: str | None = None) -> list[dict]:
        with self.lock:
            return [n for n in self.notifications if kind is None or n["type"] == kind]

    def _authorised(self, header: str) -> str | None:
        """None when the token is good, else Notify's error message."""
        if not header.startswith("Bearer "):
            return "Unauthorized: authentication token must be provided"
        token = header[len("Bearer ") :]
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], options={"require": ["iss", "iat"]})
        except jwt.PyJWTError:
            return "Invalid token: signature, api token not found"
        if claims["iss"] != self.service_id:
            return "Invalid token: service not found"
        if abs(time.time() - claims["iat"]) > 30:
            return "Error: Your system clock must be accurate to within 30 seconds"
        return None

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, kind: str, message: str) -> None:
                self._reply(status, {"status_code": status, "errors": [{"error": kind, "message": message}]})

            def _auth(self) -> bool:
                problem = standin._authorised(self.headers.get("Authorization", ""))
                with standin.lock:
                    standin.requests.append((self.command, self.path, 403 if problem else 200))
                if problem:
                    self._error(403, "AuthError", problem)
                    return False
                return True

            def do_POST(self):
                if not self._auth():
                    return
                match = re.fullmatch(r"/v2/notifications/(sms|email|letter)", urlparse(self.path).path)
                if not match:
                    return self._error(404, "NotFound", "Not Found")
                kind = match.group(1)
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    return self._error(400, "BadRequestError", "Invalid JSON supplied in POST data")
                missing = [f for f in REQUIRED[kind] if not body.get(f)]
                if missing:
                    return self._error(400, "ValidationError", f"{missing[0]} is a required property")
                if kind == "letter":
                    try:
                        pdf = base64.b64decode(body["content"], validate=True)
                    except ValueError:
                        return self._error(400, "ValidationError", "Cannot decode letter content")
                    if not pdf.startswith(b"%PDF"):
                        return self._error(400, "ValidationError", "Letter content is not a PDF")
                notification = {
                    "id": str(uuid.uuid4()),
                    "reference": body.get("reference"),
                    "type": kind,
                    "status": standin.delivery_status,
                    "phone_number": body.get("phone_number"),
                    "email_address": body.get("email_address"),
                    "template": {"id": body.get("template_id"), "version": 1, "uri": ""},
                    "personalisation": body.get("personalisation") or {},
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()),
                }
                with standin.lock:
                    standin.notifications.append(notification)
                    hold = standin.hold_at == len(standin.notifications)
                if hold:
                    standin.holding.set()
                    standin.release.wait(timeout=120)
                    return  # the response never comes: the caller is gone
                response = {
                    "id": notification["id"],
                    "reference": notification["reference"],
                    "uri": f"{standin.base_url}/v2/notifications/{notification['id']}",
                    "template": notification["template"],
                }
                if kind == "sms":
                    response["content"] = {"body": "reminder", "from_number": "NHS"}
                elif kind == "email":
                    response["content"] = {"body": "reminder", "subject": "Your appointment", "from_email": "x"}
                else:
                    response["postage"] = body.get("postage", "second")
                self._reply(201, response)

            def do_GET(self):
                if not self._auth():
                    return
                url = urlparse(self.path)
                with standin.lock:
                    notifications = list(standin.notifications)
                if url.path == "/v2/notifications":
                    reference = parse_qs(url.query).get("reference", [None])[0]
                    found = [n for n in notifications if reference is None or n["reference"] == reference]
                    return self._reply(200, {"notifications": found, "links": {"current": self.path}})
                match = re.fullmatch(r"/v2/notifications/([0-9a-f-]{36})", url.path)
                if not match:
                    return self._error(404, "NotFound", "Not Found")
                for n in notifications:
                    if n["id"] == match.group(1):
                        return self._reply(200, n)
                return self._error(404, "NoResultFound", "No result found")

        return Handler
