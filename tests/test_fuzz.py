"""Hostile input on every route, as every role: never a server error, never a logged error.

Each rule of `app.url_map` gets its own test, in a world of real accounts and objects
(tests/fuzz_world.py), in two rounds:

1. A sweep: starting from a valid request (real path values, the form the app's own pages
   show, a CSRF token), each hostile value in turn in each path value, each form field,
   every known query parameter at once, a text field sent as a file, hostile field names,
   hostile JSON bodies. As the first role whose pages show that form, else the admin.
2. Hypothesis (derandomized, a fixed number of examples per rule): any role, any method the
   rule takes, one to three mutations of a valid request drawn together (a hostile path
   value, query, field value or name, a dropped field, a JSON body, a file, no CSRF token).

Hostile values: ids past the database's integer range, Unicode digits (², ٢, ２), NUL,
CR/LF, 5,000 and 25,000-character strings, `../`, JSON that is broken, not an object or
nested 100,000 levels deep. A status of 500 or more, an exception out of the app, or a log
record at ERROR or above fails the test, naming the request and the line that raised.
"""

from __future__ import annotations

import io
import logging
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from lms import create_app
from tests.cert_helpers import cert_key  # noqa: F401  (a fixture)
from tests.factories import DEMO_COMMUNE
from tests.fuzz_world import QUIZ_FIELD, ROLES, Visitor, World, build_world, form_roles, known_forms, submit_buttons

pytestmark = pytest.mark.usefixtures("cert_key")

# Examples per rule: more where a body reaches a form or a service. Together, with the world
# built once per rule, the file runs in about a minute and a half per database.
EXAMPLES_GET_ONLY = 25
EXAMPLES_WITH_BODY = 60
# Requests that can change who the client is logged in as: the role is logged in afresh after.
SESSION_CHANGERS = {
    "accounts.login",
    "accounts.logout",
    "accounts.logout_everywhere",
    "accounts.register",
    "accounts.reset_password",
    "accounts.change_password",
    "accounts.delete_account",
}
_VARIABLE = re.compile(r"<(?:(?P<converter>[a-zA-Z_]\w*)(?:\((?P<args>[^)]*)\))?:)?(?P<name>[a-zA-Z_]\w*)>")


def _endpoints_at_collection() -> list[str]:
    # create_app has no side effects (no connection, no tables): safe to build just to list its rules.
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()})


ENDPOINTS = _endpoints_at_collection()

# Number-like values: where ids, years and codes are parsed.
HOSTILE_NUMBERS = [
    "²",
    "٢",
    "２",
    "1²",
    "１２",
    "৩",
    "-1",
    "0",
    "1.5",
    " 1",
    "2147483648",
    "9223372036854775808",
    "1" + "0" * 30,
    "9" * 400,
    "9" * 5000,
    "1e999",
    "NaN",
]
HOSTILE_STRINGS = [
    "\x00",
    "a\x00b",
    "a" * 5000,
    "x" * 25_000,
    "line\r\nSet-Cookie: hacked=1",
    "/\r\nLocation: //evil.example",
    "../../../../etc/passwd",
    "..",
    "%00",
    "//evil.example",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    " ",
    "",
    "Nguye\u0302\u0303n",  # NFD
    "😀",
    "\u202eabc",
    "true",
    "[]",
]
HOSTILE_TEXT = HOSTILE_NUMBERS + HOSTILE_STRINGS
HOSTILE_FIELD_NAMES = ["q²", "q٢", "q２", "q" + "9" * 5000, "q" + "9" * 150, "q-1", "q", "q0", "q 1", "\x00", "a" * 300]
# The sweep: each of these in each path value and each field, one at a time.
SWEEP_VALUES = HOSTILE_NUMBERS + [
    "\x00",
    "a\x00b",
    "a" * 5000,
    "x" * 25_000,
    "line\r\nSet-Cookie: hacked=1",
    "/\r\nLocation: //evil.example",
    "../../../../etc/passwd",
    "//evil.example",
    "😀",
    "",
    "Nguye\u0302\u0303n",
]
SWEEP_QUERY = ["\x00", "²", "9" * 400, "/\r\nLocation: //evil.example", "x" * 25_000]
QUERY_NAMES = ("q", "next", "lang", "part", "code", "province", "commune", "kind", "waiting", "page")
# What a person would type into a field of that name (the crawled pages give choices only).
PLAUSIBLE = {
    "full_name": "Nguyễn Thị Bình",
    "birth_year": "1990",
    "email": "binh@example.com",
    "password": "mat-khau-moi-456",
    "password_confirm": "mat-khau-moi-456",
    "current_password": "mat-khau-sai-789",
    "code": "12345678",
    "name": "Thôn Mới",
    "reason": "Cấp nhầm người",
    "q": "an",
    "commune": DEMO_COMMUNE,
    "province": "01",
    "revision": "1",
}
MUTATIONS = ("path", "query", "value", "value", "name", "drop", "json", "file", "no csrf")
HOSTILE_JSON = [
    "[1]",
    '"x"',
    "1",
    "true",
    "null",
    "{",
    "{'a': 1}",
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 100_000 + "1" + "}" * 100_000,
    '{"a":' * 50 + "1" + "}" * 50,
    '{"answers": "x"}',
    '{"answers": [1]}',
    '{"answers": null}',
    '{"answers": {"x": ["a"]}}',
    '{"answers": {"99999999999999999999": ["a"]}}',
    '{"answers": {"2147483648": ["a"]}}',
    '{"answers": {"-1": ["a"]}}',
    '{"answers": {"1": {"a": 1}}}',
    '{"answers": {"1": [[["a"]]]}}',
    '{"answers": {"1": "\\u0000"}}',
    '{"answers": {"1": ["\\ud800"]}}',
    '{"answers": {"²": ["a"]}}',
    '{"answers": {"1": [' + ",".join(['"a"'] * 5000) + "]}}",
    "1" * 5000,
    '"' + "a" * 30_000 + '"',
]


class ErrorRecords(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_records():
    handler = ErrorRecords()
    loggers = [logging.getLogger(), logging.getLogger("lms")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def _hostile():
    return st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(HOSTILE_STRINGS))


def _real(data, values: list[str], own: list[str], label: str) -> str:
    """A real value: the visitor's own object most of the time, else anyone's."""
    if own and data.draw(st.integers(0, 9), label=f"{label} own") < 7:
        return data.draw(st.sampled_from(own), label=label)
    return data.draw(st.sampled_from(values), label=label)


def _path(data, world: World, rule, role: str, hostile: bool) -> str:
    """The rule's URL with real values, or (hostile) one of them replaced by a hostile one."""
    matches = list(_VARIABLE.finditer(rule.rule))
    names = [m.group("name") for m in matches]
    chosen: dict[str, str] = {}
    if {"slug", "module_slug"} <= set(names):
        chosen["slug"], chosen["module_slug"], chosen["lesson_slug"] = data.draw(st.sampled_from(world.lessons))
    if {"kind", "key"} <= set(names):
        chosen["kind"], chosen["key"] = data.draw(st.sampled_from(world.groups), label="group")
    for match in matches:
        name = match.group("name")
        if name in chosen:
            continue
        if match.group("converter") == "any":
            chosen[name] = data.draw(st.sampled_from([o.strip() for o in match.group("args").split(",")]), label=name)
        else:
            own = world.own_values.get(role, {}).get(name, [])
            chosen[name] = _real(data, world.path_values.get(name) or ["1"], own, name)
    if hostile and names:
        target = data.draw(st.sampled_from(names), label="hostile path value")
        chosen[target] = data.draw(_hostile(), label=target)
    return _build_url(rule, chosen)


def _first_path_values(world: World, rule, role: str) -> dict[str, str]:
    """Real values for the rule's variables: the visitor's own objects first."""
    values: dict[str, str] = {}
    names = {m.group("name") for m in _VARIABLE.finditer(rule.rule)}
    if {"slug", "module_slug"} <= names:
        values["slug"], values["module_slug"], values["lesson_slug"] = world.lessons[0]
    if {"kind", "key"} <= names:
        values["kind"], values["key"] = world.groups[0]
    for match in _VARIABLE.finditer(rule.rule):
        name = match.group("name")
        if name not in values:
            own = world.own_values.get(role, {}).get(name, [])
            values[name] = (own or world.path_values.get(name) or ["1"])[0]
    return values


def _build_url(rule, values: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        return quote(values[match.group("name")], safe="/" if match.group("converter") == "path" else "")

    return _VARIABLE.sub(one, rule.rule)


def _pairs(world: World):
    names = st.one_of(st.sampled_from(world.field_names), st.sampled_from(HOSTILE_FIELD_NAMES))
    values = st.one_of(st.sampled_from(world.field_values), _hostile(), st.text(max_size=12))
    return st.lists(st.tuples(names, values), min_size=1, max_size=4)


def _query(data, world: World, hostile: bool) -> str:
    if not hostile:
        return ""
    if data.draw(st.integers(0, 9), label="raw query") == 0:
        return data.draw(st.sampled_from(["%", "%ZZ", "&&=&", "a=%00", "=", "a" * 5000, "next=%0d%0aX:1"]), label="raw")
    return urlencode(data.draw(_pairs(world), label="query"), quote_via=quote)


def _valid_form(data, world: World, endpoint: str, role: str) -> list[tuple[str, str]]:
    """The endpoint's own form as a person would fill it in (fields of any form if the crawl
    found none). `data` None: the first choice of each field."""
    known = known_forms.get(endpoint)
    if known is None:
        return data.draw(_pairs(world), label="form") if data else []
    pairs = []
    # The form's main button ("submit") first: others (a province picker) only redisplay it.
    buttons = sorted((name for name in known if name in submit_buttons), key=lambda name: name != "submit")
    pressed = (data.draw(st.sampled_from(buttons), label="button") if data else buttons[0]) if buttons else None
    for name, values in known.items():
        if QUIZ_FIELD.match(name) or (name in submit_buttons and name != pressed):
            continue  # each attempt draws its own questions: the visitor's are added below
        offered = [v for v in values if v]
        if offered:
            pairs.append((name, data.draw(st.sampled_from(offered), label=name) if data else offered[0]))
        else:
            pairs.append((name, PLAUSIBLE.get(name, "1")))
    if any(QUIZ_FIELD.match(name) for name in known):
        pairs.extend(world.answer_fields(role))
    return pairs


def _body(data, world, visitor, method, endpoint, path, mutations) -> tuple[dict, str]:
    """Keyword arguments for client.open and a short description of the body: a valid body
    (form, or JSON under /api/) with the drawn mutations applied."""
    headers = {} if "no csrf" in mutations else {"X-CSRFToken": visitor.token}
    if data.draw(st.booleans(), label="accept json"):
        headers["Accept"] = "application/json"
    if method in ("GET", "HEAD", "OPTIONS"):
        return {"headers": headers}, "no body"
    if "json" in mutations or path.startswith("/api/"):
        pool = HOSTILE_JSON if "json" in mutations else world.json_bodies(visitor.role)
        raw = data.draw(st.sampled_from(pool), label="json")
        return {"headers": headers, "data": raw.encode(), "content_type": "application/json"}, f"json {raw!r}"
    pairs = _valid_form(data, world, endpoint, visitor.role)
    for mutation in mutations:
        if mutation == "value" and pairs:
            index = data.draw(st.integers(0, len(pairs) - 1), label="hostile field")
            pairs[index] = (pairs[index][0], data.draw(_hostile(), label=pairs[index][0]))
        elif mutation == "name":
            pairs.append((data.draw(st.sampled_from(HOSTILE_FIELD_NAMES), label="hostile name"), "1"))
        elif mutation == "drop" and pairs:
            pairs.pop(data.draw(st.integers(0, len(pairs) - 1), label="dropped field"))
    if "no csrf" not in mutations:
        pairs = [("csrf_token", visitor.token), *pairs]
    if "file" not in mutations or not pairs:
        return {"headers": headers, "data": MultiDict(pairs)}, f"form {pairs!r}"
    # A text field sent as a file part of a multipart body.
    index = data.draw(st.integers(0, len(pairs) - 1), label="file field")
    name, content = pairs[index]
    multipart = MultiDict(pairs[:index] + pairs[index + 1 :])
    multipart.add(name, (io.BytesIO(content.encode()), "tep.txt"))
    return {"headers": headers, "data": multipart, "content_type": "multipart/form-data"}, f"file {name}, {pairs!r}"


def _short(value) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = re.sub(r"(.)\1{19,}", lambda m: f"{m.group(1)}×{len(m.group(0))}", text)  # "9"*400 -> 9×400
    return text if len(text) <= 500 else text[:500] + "…"


class Sender:
    """Sends one request as a visitor; a 5xx, an exception or an ERROR record is a problem."""

    def __init__(self, world: World, error_records, endpoint: str):
        self.world = world
        self.error_records = error_records
        self.endpoint = endpoint
        self.passed: set[tuple] = set()

    def key(self, visitor: Visitor, method: str, url: str, kwargs: dict, body: str) -> tuple:
        return (visitor.role, method, url, body, tuple(sorted(kwargs["headers"])))

    def send(self, visitor: Visitor, method: str, url: str, kwargs: dict, body: str) -> str | None:
        key = self.key(visitor, method, url, kwargs, body)
        request = f"{visitor.role}: {method} {_short(url)} {_short(body)} headers={sorted(kwargs['headers'])}"
        self.error_records.records.clear()
        try:
            response = visitor.client.open(url, method=method, **kwargs)
            response.get_data()
            response.close()
        except Exception as error:
            return f"{request} raised {error!r} {_exception_line_of(error)}"
        finally:
            if self.endpoint in SESSION_CHANGERS:
                self.world.log_in(visitor)
        logged = [f"{r.levelname} {r.name}: {r.getMessage()} {_exception_line(r)}" for r in self.error_records.records]
        if response.status_code >= 500 or logged:
            self.passed.discard(key)
            return f"{request} -> {response.status_code} {logged}"
        self.passed.add(key)
        return None


def _form_kwargs(visitor: Visitor, pairs: list[tuple[str, str]], file_field: int | None = None) -> tuple[dict, str]:
    headers = {"X-CSRFToken": visitor.token}
    pairs = [("csrf_token", visitor.token), *pairs]
    if file_field is None:
        return {"headers": headers, "data": MultiDict(pairs)}, f"form {pairs!r}"
    index = file_field + 1
    name, content = pairs[index]
    multipart = MultiDict(pairs[:index] + pairs[index + 1 :])
    multipart.add(name, (io.BytesIO(content.encode()), "tep.txt"))
    return {"headers": headers, "data": multipart, "content_type": "multipart/form-data"}, f"file {name}, {pairs!r}"


def _sweep_bases(world: World, rules, role: str):
    """Each rule with real path values; a certificate group rule once per kind of group."""
    for rule in rules:
        real = _first_path_values(world, rule, role)
        if "kind" in real and "key" in real:
            for kind, key in world.groups:
                yield rule, {**real, "kind": kind, "key": key}
        else:
            yield rule, real


def _sweep(world: World, rules, sender: Sender) -> list[str]:
    """Each hostile value in each path value, field and (together) query parameter, one place
    at a time, the rest of the request valid; each hostile field name and JSON body. As the
    first role whose pages show the endpoint's form, else the admin (who sees everything
    and has an attempt of their own)."""
    problems: list[str] = []
    endpoint = sender.endpoint
    visitor = world.visitors[(form_roles.get(endpoint) or ["admin"])[0]]

    def one(method: str, url: str, kwargs: dict, body: str) -> None:
        problem = sender.send(visitor, method, url, kwargs, body)
        if problem:
            problems.append(problem)

    for rule, real in _sweep_bases(world, rules, visitor.role):
        matches = list(_VARIABLE.finditer(rule.rule))
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        form = _valid_form(None, world, endpoint, visitor.role)

        def body_for(method: str, pairs=form, api=rule.rule.startswith("/api/")) -> tuple[dict, str]:
            if method == "GET":
                return {"headers": {"X-CSRFToken": visitor.token}}, "no body"
            if api:
                raw = world.json_bodies(visitor.role)[0]
                kwargs = {"headers": {"X-CSRFToken": visitor.token}, "data": raw.encode(), "content_type": "application/json"}
                return kwargs, f"json {raw!r}"
            return _form_kwargs(visitor, pairs)

        base_url = _build_url(rule, real)
        for method in methods:
            for match in matches:
                for value in SWEEP_VALUES:
                    one(method, _build_url(rule, {**real, match.group("name"): value}), *body_for(method))
        if "GET" in methods:
            for value in SWEEP_QUERY:
                query = urlencode([(name, value) for name in QUERY_NAMES], quote_via=quote)
                one("GET", f"{base_url}?{query}", *body_for("GET"))
        if "POST" not in methods:
            continue
        if rule.rule.startswith("/api/"):
            for raw in HOSTILE_JSON + world.json_bodies(visitor.role):
                kwargs = {"headers": {"X-CSRFToken": visitor.token}, "data": raw.encode(), "content_type": "application/json"}
                one("POST", base_url, kwargs, f"json {raw!r}")
            continue
        for index, (name, _) in enumerate(form):
            for value in SWEEP_VALUES:
                one("POST", base_url, *body_for("POST", [*form[:index], (name, value), *form[index + 1 :]]))
            one("POST", base_url, *_form_kwargs(visitor, form, file_field=index))
        for name in HOSTILE_FIELD_NAMES:
            one("POST", base_url, *body_for("POST", [*form, (name, "1")]))
        for raw in HOSTILE_JSON[:2]:
            kwargs = {"headers": {"X-CSRFToken": visitor.token}, "data": raw.encode(), "content_type": "application/json"}
            one("POST", base_url, kwargs, f"json {raw!r}")
    return problems


def _fuzz(app, factory, error_records, endpoint: str) -> None:
    world = build_world(app, factory)
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    assert rules, f"no rule for {endpoint}"
    sender = Sender(world, error_records, endpoint)
    problems = _sweep(world, rules, sender)
    assert not problems, f"{len(problems)} server errors, the first ones:\n" + "\n".join(problems[:15])
    takes_body = any(rule.methods - {"GET", "HEAD", "OPTIONS"} for rule in rules)

    @settings(
        max_examples=EXAMPLES_WITH_BODY if takes_body else EXAMPLES_GET_ONLY,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(data=st.data())
    def one_request(data):
        role = data.draw(st.sampled_from(ROLES), label="role")
        visitor = world.visitors[role]
        rule = data.draw(st.sampled_from(rules), label="rule")
        # HEAD and OPTIONS are Flask's own (GET without the body, the Allow header): seldom.
        own_methods = sorted(rule.methods - {"HEAD", "OPTIONS"}) * 8
        method = data.draw(st.sampled_from([*own_methods, "HEAD", "OPTIONS"]), label="method")
        # Mostly one to three changes to a valid request; now and then the valid request itself.
        unchanged = data.draw(st.integers(0, 9), label="unchanged") == 0
        mutations = [] if unchanged else data.draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3))
        url = _path(data, world, rule, role, hostile="path" in mutations)
        query = _query(data, world, hostile="query" in mutations)
        if query:
            url = f"{url}?{query}"
        kwargs, body = _body(data, world, visitor, method, endpoint, url, mutations)
        # Hypothesis often draws the same request twice: spend the examples on distinct ones
        # (the sweep's included), but do send a failed request again, as shrinking replays it.
        assume(sender.key(visitor, method, url, kwargs, body) not in sender.passed)
        problem = sender.send(visitor, method, url, kwargs, body)
        assert problem is None, problem

    one_request()


def _exception_line_of(error: BaseException) -> str:
    frames = []
    tb = error.__traceback__
    while tb is not None:
        if "/lms/" in tb.tb_frame.f_code.co_filename:
            frames.append(f"{tb.tb_frame.f_code.co_filename.split('/lms/')[-1]}:{tb.tb_lineno}")
        tb = tb.tb_next
    return f"{type(error).__name__}: {str(error)[:200]} at lms/{frames[-1] if frames else '?'}"


def _exception_line(record: logging.LogRecord) -> str:
    """Where the logged exception was raised: its type and innermost frame of the app."""
    if not record.exc_info or not record.exc_info[1]:
        return ""
    return _exception_line_of(record.exc_info[1])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_hostile_requests_get_no_server_error(app, factory, error_records, endpoint):
    _fuzz(app, factory, error_records, endpoint)


def test_the_fuzzer_covers_every_rule(app):
    assert sorted({rule.endpoint for rule in app.url_map.iter_rules()}) == ENDPOINTS
