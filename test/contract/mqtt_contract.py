#!/usr/bin/env python3
"""A second client of persona's MQTT request API: Python and paho-mqtt, none of persona's code.

Runs against a live daemon (ECU demo-ecu) on a Mosquitto that enforces the shipped ACL
(docs/mosquitto.acl.example) and these users, whose roles the daemon's apiClients gives:

    infotainment, media   app          select, release, why, list; priority <= 500; 4 holds; 5/s, bursts of 20
    integrator            integrator   every action
    viewer                observer     why, list (the default role)

Usage: mqtt_contract.py mqtt://HOST:PORT, with PERSONA_CONTRACT_PASSWORDS in the environment: a
JSON object of each user's password (persona's own user is not needed).

Prints one JSON line per check, {"check", "ok", "detail"}, after a {"plan": [names]} line, and
{"transcript": text} lines showing one MQTT v5 and one 3.1.1 exchange. Exits 1 when a check
failed, 2 when the run could not start. Waits are bounded and wait for messages, not for time:
what must not happen is checked after a later answer that the daemon sends after it would have.
"""

import json
import os
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import urlparse

import paho.mqtt
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

ECU = "demo-ecu"
ROOT = f"persona/{ECU}"
#: Roles of the users, as the daemon is configured, and each role's documented request rate.
ROLES = {"infotainment": "app", "media": "app", "integrator": "integrator", "viewer": "observer"}
RATES = {"app": (5.0, 20), "integrator": (20.0, 50), "observer": (2.0, 10)}
#: How long an answer or a state change may take, in seconds.
ANSWER_TIMEOUT = 10.0
#: The flood: requests sent as fast as paho sends them, in batches, for longer than a second (so
#: that 429 is told twice), at least FLOOD_MIN and at most FLOOD_MAX.
FLOOD_SECONDS = 1.5
FLOOD_MIN, FLOOD_MAX, FLOOD_BATCH = 500, 10_000, 100
#: A hold token: 64 hex digits.
TOKEN_LENGTH = 64
NOT_AUTHORIZED = 135
PAHO_2 = hasattr(mqtt, "CallbackAPIVersion")
RUN = uuid.uuid4().hex[:8]


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def code_of(reason):
    """A reason code or granted QoS as an int, whatever paho's version wraps it in."""
    return int(getattr(reason, "value", reason))


class _PahoClient(mqtt.Client):
    """paho 1.x reads a v5 PUBACK's reason code and tells no callback: keep it for `Client.publish`."""

    puback_reason = None

    def _handle_pubackcomp(self, cmd):
        packet = self._in_packet["packet"]
        if not PAHO_2 and cmd == "PUBACK" and len(packet) >= 2 and self.puback_reason:
            (mid,) = struct.unpack("!H", packet[:2])
            self.puback_reason(mid, packet[2] if len(packet) > 2 else 0)
        return super()._handle_pubackcomp(cmd)


def new_paho(client_id, v5):
    protocol = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
    if PAHO_2:
        return _PahoClient(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    return _PahoClient(client_id=client_id, protocol=protocol)


class Received:
    """A message as a client got it."""

    def __init__(self, message):
        self.topic = message.topic
        self.payload = bytes(message.payload)
        properties = getattr(message, "properties", None)
        self.correlation = getattr(properties, "CorrelationData", None)
        self.at = time.monotonic()

    @property
    def json(self):
        try:
            return json.loads(self.payload)
        except ValueError:
            return None


class Pacer:
    """
    A token bucket a little inside a role's documented rate, so that a well-behaved client is never
    told 429. One per user: persona counts a user's requests over all its connections.
    """

    def __init__(self, role):
        per_second, burst = RATES[role]
        self.per_second, self.burst = per_second * 0.9, burst - 2
        self.tokens, self.at = float(self.burst), time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1:
            # Pacing, not waiting for something to happen: nothing would tell when a token is back.
            time.sleep((1 - self.tokens) / self.per_second)
            self.at = time.monotonic()
            self.tokens = 1.0
        self.tokens -= 1


class Exchange:
    """A request as sent and its answer as received."""

    def __init__(self, client, topic, payload, response_topic, correlation, transaction):
        self.client, self.topic, self.payload = client, topic, payload
        self.response_topic, self.correlation, self.transaction = response_topic, correlation, transaction
        #: Where the client's messages stood when it was sent: its answer comes after.
        self.mark = client.mark()
        self.mid = None
        self.answer = None

    @property
    def body(self):
        return self.answer.json if self.answer else None

    @property
    def status(self):
        return (self.body or {}).get("status")

    @property
    def code(self):
        return (self.body or {}).get("code")

    @property
    def data(self):
        return (self.body or {}).get("data") or {}

    def describe(self):
        return " ".join(str(part) for part in (self.status, self.code, (self.body or {}).get("error")) if part)


class Client:
    """One MQTT connection of a user; every message it receives is kept, in order."""

    #: By user.
    pacers = {}

    def __init__(self, run, user, v5=True, name=None, will=False):
        self.run, self.user, self.v5 = run, user, v5
        self.client_id = f"{user}-{name or ('v5' if v5 else 'v311')}-{RUN}"
        self.paho = new_paho(self.client_id, v5)
        self.paho.username_pw_set(user, run.passwords[user])
        if will:
            self.paho.will_set(self.own("presence"), b"offline", qos=1, retain=True)
        self.messages = []
        self.condition = threading.Condition()
        self.connack = None
        self.acks = {}
        self.subacks = {}
        self.serial = 0
        self.paho.on_connect = self._on_connect
        self.paho.on_message = self._on_message
        self.paho.on_publish = self._on_publish
        self.paho.on_subscribe = self._on_subscribe
        self.paho.puback_reason = self._on_puback_reason

    # paho calls these on its network thread; their arguments differ between paho 1.x and 2.x.
    def _on_connect(self, _client, _userdata, _flags, reason, *_rest):
        with self.condition:
            self.connack = code_of(reason)
            self.condition.notify_all()

    def _on_message(self, _client, _userdata, message):
        with self.condition:
            self.messages.append(Received(message))
            self.condition.notify_all()

    def _on_puback_reason(self, mid, reason):
        with self.condition:
            self.acks[mid] = reason
            self.condition.notify_all()

    def _on_publish(self, _client, _userdata, mid, *rest):
        with self.condition:
            # paho 2.x passes the PUBACK's reason code (3.1.1: success); 1.x: _on_puback_reason had it.
            self.acks[mid] = code_of(rest[0]) if rest else self.acks.get(mid, 0)
            self.condition.notify_all()

    def _on_subscribe(self, _client, _userdata, mid, granted, *_rest):
        with self.condition:
            self.subacks[mid] = [code_of(g) for g in granted]
            self.condition.notify_all()

    def wait_until(self, ready, what, timeout=ANSWER_TIMEOUT):
        """Returns what `ready()` returns once it is not None, checked whenever this client receives something."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                result = ready()
                if result is not None:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CheckFailed(f"{self.client_id}: no {what} within {timeout:g} s")
                self.condition.wait(left)

    def own(self, leaf):
        return f"{ROOT}/client/{self.user}/{leaf}"

    def connect(self):
        self.paho.connect(self.run.host, self.run.port, keepalive=30)
        self.paho.loop_start()
        rc = self.wait_until(lambda: self.connack, "CONNACK")
        expect(rc == 0, f"{self.client_id}: connection refused, reason {rc}")
        self.subscribe(self.own("response/#"))
        return self

    def subscribe(self, topic_filter):
        """Subscribes and returns the granted QoS or reason codes of the SUBACK."""
        _, mid = self.paho.subscribe(topic_filter, qos=1)
        return self.wait_until(lambda: self.subacks.pop(mid, None), f"SUBACK for {topic_filter}")

    def unsubscribe(self, topic_filter):
        self.paho.unsubscribe(topic_filter)

    def publish_nowait(self, topic, payload, retain=False, properties=None):
        return self.paho.publish(topic, payload, qos=1, retain=retain, properties=properties).mid

    def acked(self, mid, timeout=ANSWER_TIMEOUT):
        """The PUBACK's reason code (0 on 3.1.1, where a broker drops what it refuses)."""
        return self.wait_until(lambda: self.acks.pop(mid, None), f"PUBACK of message {mid}", timeout)

    def publish(self, topic, payload, retain=False, properties=None):
        return self.acked(self.publish_nowait(topic, payload, retain, properties))

    def mark(self):
        with self.condition:
            return len(self.messages)

    def since(self, mark, match=lambda m: True):
        with self.condition:
            return [m for m in self.messages[mark:] if match(m)]

    def wait_for(self, match, what, since=0, timeout=ANSWER_TIMEOUT):
        return self.wait_until(lambda: next((m for m in self.messages[since:] if match(m)), None), what, timeout)

    def send(self, action, body=None, *, raw=None, correlation=None, response_topic=None, transaction=None, retain=False):
        """Publishes a request on the client's own request topic; `ask` waits for its answer."""
        self.serial += 1
        if body is not None and not self.v5 and transaction is None:
            transaction = f"{action}-{self.serial}-{RUN}"
        if body is not None and transaction is not None:
            body = {"transaction": transaction, **body}
        payload = raw if raw is not None else json.dumps(body, separators=(",", ":")).encode()
        properties = None
        if self.v5:
            correlation = correlation or f"{self.client_id}-{action}-{self.serial}".encode()
            response_topic = response_topic or self.own(f"response/{action}")
            properties = Properties(PacketTypes.PUBLISH)
            properties.ResponseTopic = response_topic
            properties.CorrelationData = correlation
        Client.pacers.setdefault(self.user, Pacer(ROLES[self.user])).take()
        exchange = Exchange(self, self.own(f"request/{action}"), payload, response_topic, correlation, transaction)
        exchange.mid = self.publish_nowait(exchange.topic, payload, retain, properties)
        return exchange

    def answer_of(self, exchange, answer_topic=None):
        """The answer to `exchange`: on the response topic with its correlation data (v5), or with its transaction (3.1.1)."""
        action = exchange.topic.rsplit("/", 1)[1]
        topic = answer_topic or exchange.response_topic or self.own(f"response/{action}")
        if exchange.correlation is not None:
            match = lambda m: m.topic == topic and m.correlation == exchange.correlation  # noqa: E731
        else:
            match = lambda m: m.topic == topic and (m.json or {}).get("transaction") == exchange.transaction  # noqa: E731
        exchange.answer = self.wait_for(match, f"answer on {topic} to {action}", exchange.mark)
        return exchange

    def ask(self, action, body=None, answer_topic=None, **options):
        exchange = self.send(action, body, **options)
        return self.answer_of(exchange, answer_topic)

    def sync(self):
        """A `list` of its own: answered after everything the daemon did for earlier requests, which reached this client first."""
        exchange = self.ask("list", {})
        expect(exchange.status == 200, f"{self.client_id}: list answered {exchange.describe()}")
        return exchange

    def select(self, **body):
        """A hold: 200, or 409 when placed but outranked or gated; both carry the hold and its token."""
        exchange = self.ask("select", {"personality": "city", **body})
        expect(exchange.status in (200, 409), f"{self.user}'s select answered {exchange.describe()}")
        expect(exchange.data.get("hold") and len(exchange.data.get("token", "")) == TOKEN_LENGTH, f"{self.user}'s select answered no hold and token: {exchange.body}")
        self.run.tokens[exchange.data["hold"]] = (self, exchange.data["token"])
        return exchange

    def release(self, hold):
        _, token = self.run.tokens.pop(hold)
        exchange = self.ask("release", {"hold": hold, "token": token})
        expect(exchange.status == 200 and exchange.data == {"hold": hold, "released": True}, f"release of {hold} answered {exchange.body}")
        return exchange

    def close(self):
        self.paho.disconnect()
        self.paho.loop_stop()

    def drop(self):
        """Goes away without DISCONNECT, like a client that crashed: the broker publishes its will."""
        self.paho.loop_stop()
        sock = self.paho.socket()
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()


class Run:
    def __init__(self, url, passwords):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port or 1883
        self.passwords = passwords
        self.tokens = {}
        #: Holds a check leaves to the next one, which the sweep keeps.
        self.handover = set()
        self.clients = []
        self.transcripts = []

    def connect(self, user, **options):
        client = Client(self, user, **options).connect()
        self.clients.append(client)
        return client

    def start(self):
        # The integrator watches what persona publishes; its `list` is the barrier for that view.
        self.monitor = self.connect("integrator")
        for topic in ("status", "state/#", "event/#", "response/+"):
            self.monitor.subscribe(f"{ROOT}/{topic}")
        self.monitor.wait_for(lambda m: m.topic == f"{ROOT}/status" and (m.json or {}).get("state") == "online", "status online")
        self.monitor.wait_for(lambda m: m.topic == f"{ROOT}/state/decision", "state/decision")
        self.wait_holds(lambda holds: holds == [], "no holds at the start")
        self.hu = self.connect("infotainment")
        self.hu.subscribe(self.hu.own("presence"))
        self.hu311 = self.connect("infotainment", v5=False)
        self.media = self.connect("media")
        self.media311 = self.connect("media", v5=False)
        self.viewer = self.connect("viewer")

    def stop(self):
        for client in self.clients:
            try:
                client.close()
            except Exception:  # a client that is gone already
                pass

    def holds_message(self):
        found = [m for m in self.monitor.messages if m.topic == f"{ROOT}/state/holds"]
        return found[-1] if found else None

    def holds(self):
        latest = self.holds_message()
        return latest.json["holds"] if latest else []

    def wait_holds(self, ready, what):
        """Waits until state/holds, as last published, satisfies `ready`."""

        def latest():
            message = self.holds_message()
            return message if message and ready(message.json["holds"]) else None

        return self.monitor.wait_until(latest, f"state/holds with {what}")

    def owners(self):
        return {h["id"]: h["owner"] for h in self.holds()}

    def sweep(self):
        """Releases holds a failed check left behind, so the next check starts from none."""
        for hold, (client, _) in list(self.tokens.items()):
            if hold in self.handover:
                continue
            if hold in self.owners():
                client.release(hold)
            self.tokens.pop(hold, None)

    def transcript(self, title, exchange):
        self.transcripts.append(format_exchange(title, exchange))


def shown(data):
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return data.hex()
    return f'"{text}"' if text.isprintable() else data.hex()


def format_exchange(title, exchange):
    client = exchange.client
    protocol = "MQTT v5" if client.v5 else "MQTT 3.1.1"
    lines = [f"{title} ({protocol}, user {client.user}, client id {client.client_id})", f"  > PUBLISH {exchange.topic}  QoS 1"]
    if exchange.response_topic:
        lines.append(f"      Response Topic: {exchange.response_topic}")
    if exchange.correlation is not None:
        lines.append(f"      Correlation Data: {shown(exchange.correlation)}")
    lines.append(f"      {exchange.payload.decode()}")
    answer = exchange.answer
    lines.append(f"  < PUBLISH {answer.topic}  QoS 1")
    if answer.correlation is not None:
        lines.append(f"      Correlation Data: {shown(answer.correlation)}")
    lines.append(f"      {answer.payload.decode()}")
    return "\n".join(lines)


CHECKS = []


def check(name):
    def register(function):
        CHECKS.append((name, function))
        return function

    return register


# --- the documented usage -------------------------------------------------------------------


@check("usage: v5 why is answered on its response topic with its correlation data")
def why_v5(run):
    topic = run.hu.own("response/diag/why")
    exchange = run.hu.ask("why", {}, response_topic=topic, correlation=b"why-" + RUN.encode())
    expect(exchange.answer.topic == topic and exchange.answer.correlation == exchange.correlation, "answer not on the response topic with the correlation data")
    expect(exchange.status == 200, f"why answered {exchange.describe()}")
    expect(exchange.data.get("drivers") and exchange.data.get("bootId"), f"why's data is no decision record: {exchange.body}")
    return f"200 on {topic}, a decision over {len(exchange.data['drivers'])} target(s)"


@check("usage: v5 list is answered on its response topic with its correlation data")
def list_v5(run):
    exchange = run.hu.ask("list", {}, response_topic=run.hu.own("response/diag/list"))
    expect(exchange.answer.correlation == exchange.correlation, "correlation data not echoed")
    expect(exchange.status == 200, f"list answered {exchange.describe()}")
    names = sorted(p["name"] for p in exchange.data.get("drivers", {}).get("pvnic", []))
    expect({"city", "highway"} <= set(names), f"pvnic's personalities: {names}")
    expect(exchange.data.get("holds") == [], f"holds before any select: {exchange.data.get('holds')}")
    return f"200, pvnic: {', '.join(names)}"


@check("usage: 3.1.1 list with a transaction is answered on client/<user>/response/list, the transaction echoed")
def list_311(run):
    exchange = run.hu311.ask("list", {})
    expect(exchange.answer.topic == run.hu311.own("response/list"), f"answered on {exchange.answer.topic}")
    expect(exchange.status == 200 and exchange.body.get("transaction") == exchange.transaction, f"answered {exchange.body}")
    return f"200 on {exchange.answer.topic} with transaction {exchange.transaction}"


@check("usage: an app's select with holdSeconds gets hold and token, owned by its username, in state/holds without the token")
def select_app(run):
    exchange = run.hu.ask("select", {"personality": "city", "holdSeconds": 600}, response_topic=run.hu.own("response/ui/select"))
    run.transcript("select over MQTT v5, matched by its correlation data", exchange)
    expect(exchange.status in (200, 409), f"select answered {exchange.describe()}")
    hold, token = exchange.data.get("hold"), exchange.data.get("token", "")
    expect(hold and len(token) == TOKEN_LENGTH, f"no hold and token: {exchange.body}")
    run.tokens[hold] = (run.hu, token)
    run.handover.add(hold)
    message = run.wait_holds(lambda holds: any(h["id"] == hold for h in holds), hold)
    entry = next(h for h in message.json["holds"] if h["id"] == hold)
    expect(entry["owner"] == "infotainment", f"owner {entry['owner']}")
    expect(token not in message.payload.decode(), "state/holds shows the token")
    run.selected = hold
    return f"{exchange.status}, hold {hold} owned by {entry['owner']}, priority {entry['priority']}, token not in state/holds"


@check("usage: release with the token is answered 200 and the hold leaves state/holds")
def release_app(run):
    hold = getattr(run, "selected", None)
    run.handover.discard(hold)
    expect(hold in run.tokens, "no hold from the select check")
    run.hu.release(hold)
    run.wait_holds(lambda holds: all(h["id"] != hold for h in holds), f"{hold} gone")
    return f"{hold} released"


@check("usage: a request repeated with the same correlation data or transaction gets the first answer again, and runs once")
def duplicates(run):
    first = run.hu.ask("select", {"personality": "city", "holdSeconds": 600}, correlation=b"dup-" + RUN.encode())
    hold = first.data.get("hold")
    run.tokens[hold] = (run.hu, first.data.get("token"))
    again = run.hu.ask("select", {"personality": "city", "holdSeconds": 600}, correlation=b"dup-" + RUN.encode())
    expect(again.body == first.body, f"a repeat answered {again.body}, first {first.body}")
    first311 = run.hu311.ask("select", {"personality": "city", "holdSeconds": 600}, transaction=f"dup-{RUN}")
    run.tokens[first311.data.get("hold")] = (run.hu311, first311.data.get("token"))
    again311 = run.hu311.ask("select", {"personality": "city", "holdSeconds": 600}, transaction=f"dup-{RUN}")
    expect(again311.body == first311.body, f"a 3.1.1 repeat answered {again311.body}")
    run.monitor.sync()
    mine = [h for h in run.holds() if h["owner"] == "infotainment"]
    expect(len(mine) == 2, f"infotainment holds {len(mine)} after two requests sent twice")
    for h in mine:
        run.hu.release(h["id"])
    return "v5 and 3.1.1 repeats answered alike; 2 holds for 4 requests"


# --- finding 1: another client steals holds ---------------------------------------------------


EAVESDROPPING = ("client/infotainment/#", "client/+/response/#", "client/+/request/+")


@check("finding 1: another app subscribing to infotainment's subtree, client/+/response/# and client/+/request/+ gets none of its answers or requests, no token")
def no_eavesdropping(run):
    granted = [run.media.subscribe(f"{ROOT}/{topic_filter}") for topic_filter in EAVESDROPPING]
    start = run.media.mark()
    v5 = run.hu.select(holdSeconds=600)
    v311 = run.hu311.select(holdSeconds=600)
    # A release carries its token in the request.
    spare = run.hu.select(holdSeconds=600)
    run.hu311.release(spare.data["hold"])
    run.media.sync()
    tokens = [e.data["token"] for e in (v5, v311, spare)]
    seen = run.media.since(start)
    leaked = [m.topic for m in seen if "/client/infotainment/" in m.topic or any(t.encode() in m.payload for t in tokens)]
    expect(not leaked, f"media received {leaked}")
    foreign = [m.topic for m in seen if m.topic.startswith(f"{ROOT}/client/") and not m.topic.startswith(f"{ROOT}/client/media/")]
    expect(not foreign, f"media received {foreign}")
    for topic_filter in EAVESDROPPING:
        run.media.unsubscribe(f"{ROOT}/{topic_filter}")
    run.media.sync()
    run.stolen = (v5, v311)
    run.handover.update(e.data["hold"] for e in run.stolen)
    return f"SUBACK {granted}; media got {len(seen)} message(s), all its own"


@check("finding 1: another app re-sending infotainment's correlation data and transaction on its own topic gets fresh answers, never infotainment's token")
def no_replay(run):
    expect(hasattr(run, "stolen"), "no select from the previous check")
    v5, v311 = run.stolen
    run.handover.difference_update(e.data["hold"] for e in run.stolen)
    body = {"personality": "city", "holdSeconds": 600}
    mine = run.media.ask("select", body, correlation=v5.correlation)
    mine311 = run.media311.ask("select", body, transaction=v311.transaction)
    for theirs, ours in ((v5, mine), (v311, mine311)):
        expect(ours.status in (200, 409), f"media's select answered {ours.describe()}")
        run.tokens[ours.data["hold"]] = (ours.client, ours.data["token"])
        expect(ours.data["hold"] != theirs.data["hold"] and ours.data["token"] != theirs.data["token"], "media was given infotainment's hold")
    owners = run.wait_holds(lambda holds: len(holds) == 4, "4 holds").json["holds"]
    by_id = {h["id"]: h["owner"] for h in owners}
    expect(by_id[mine.data["hold"]] == "media" and by_id[mine311.data["hold"]] == "media", f"owners {by_id}")
    for exchange in (v5, v311, mine, mine311):
        exchange.client.release(exchange.data["hold"])
    return f"media's holds {mine.data['hold']}, {mine311.data['hold']} are its own; infotainment's stay {v5.data['hold']}, {v311.data['hold']}"


@check("finding 1: two 3.1.1 clients using one transaction each get their own answer, and both requests run")
def same_transaction(run):
    transaction = f"same-{RUN}"
    body = {"personality": "highway", "holdSeconds": 600}
    hu = run.hu311.send("select", body, transaction=transaction)
    media = run.media311.send("select", body, transaction=transaction)
    run.hu311.answer_of(hu)
    run.media311.answer_of(media)
    for exchange in (hu, media):
        expect(exchange.status in (200, 409) and exchange.body.get("transaction") == transaction, f"{exchange.client.user} answered {exchange.body}")
        run.tokens[exchange.data["hold"]] = (exchange.client, exchange.data["token"])
    expect(hu.data["hold"] != media.data["hold"], "one hold for both")
    holds = run.wait_holds(lambda holds: len(holds) == 2, "2 holds").json["holds"]
    expect(sorted(h["owner"] for h in holds) == ["infotainment", "media"], f"holds {holds}")
    run.transcript("release over MQTT 3.1.1, matched by its transaction", run.hu311.release(hu.data["hold"]))
    run.media311.release(media.data["hold"])
    return f"{hu.data['hold']} for infotainment, {media.data['hold']} for media"


# --- finding 2: publishing as the daemon ------------------------------------------------------

#: Response topics outside the requester's (infotainment's) own response/: persona's, another
#: client's, and its own request and presence topics, which persona reads.
FORGED_TOPICS = ("status", "state/holds", "event/switch", "client/media/response/x", "client/infotainment/request/list", "client/infotainment/presence")


@check("finding 2: v5 response topics outside the requester's own response/ are refused 403 E_RESPONSE_TOPIC on its default response topic")
def foreign_response_topics(run):
    # What the daemon published for earlier checks reaches each client before its own answer to
    # a list, but not before another client's answer: wait for it, so that it is not counted here.
    for client in (run.monitor, run.media, run.hu):
        client.sync()
    run.forged_marks = (run.monitor.mark(), run.media.mark(), run.hu.mark())
    run.forged_holds = run.holds_message()
    answers = []
    for leaf in FORGED_TOPICS:
        exchange = run.hu.ask("select", {"personality": "city", "holdSeconds": 600}, response_topic=f"{ROOT}/{leaf}", answer_topic=run.hu.own("response/select"))
        expect(exchange.status == 403 and exchange.code == "E_RESPONSE_TOPIC", f"{leaf}: answered {exchange.describe()}")
        expect(exchange.answer.correlation == exchange.correlation, f"{leaf}: correlation data not echoed")
        answers.append(leaf)
    run.monitor.wait_for(lambda m: m.topic == f"{ROOT}/event/rejected" and m.json.get("client") == "infotainment" and m.json.get("code") == "E_RESPONSE_TOPIC", "event/rejected E_RESPONSE_TOPIC", run.forged_marks[0])
    return f"403 E_RESPONSE_TOPIC on {run.hu.own('response/select')} for {', '.join(answers)}"


@check("finding 2: nothing was published on those topics: status, state/holds, event/switch unchanged, media's response/x and infotainment's presence empty")
def forged_topics_untouched(run):
    expect(hasattr(run, "forged_marks"), "no marks from the previous check")
    monitor_mark, media_mark, hu_mark = run.forged_marks
    run.monitor.sync()
    run.media.sync()
    run.hu.sync()
    watched = {f"{ROOT}/{leaf}" for leaf in FORGED_TOPICS[:3]}
    touched = run.monitor.since(monitor_mark, lambda m: m.topic in watched)
    expect(not touched, f"published meanwhile: {[m.topic for m in touched]}")
    expect(not run.media.since(media_mark, lambda m: m.topic.endswith("/response/x")), "media got a message on response/x")
    expect(not run.hu.since(hu_mark, lambda m: m.topic == run.hu.own("presence")), "infotainment got a message on its presence")
    expect(run.holds_message() is run.forged_holds, "state/holds changed")
    return "no message on status, state/holds, event/switch, client/media/response/x or client/infotainment/presence; no hold placed"


# --- finding 3: lifting safety ----------------------------------------------------------------


@check("finding 3: an app's reload is refused 403 E_ROLE and reloads nothing (no event/manifest)")
def app_reload(run):
    start = run.monitor.mark()
    exchange = run.hu.ask("reload", {})
    expect(exchange.status == 403 and exchange.code == "E_ROLE", f"reload answered {exchange.describe()}")
    run.monitor.sync()
    expect(not run.monitor.since(start, lambda m: m.topic == f"{ROOT}/event/manifest"), "event/manifest after an app's reload")
    return f"403 E_ROLE: {exchange.body.get('error')}"


@check("finding 3: the integrator's reload is answered 200 with one event/manifest")
def integrator_reload(run):
    start = run.monitor.mark()
    exchange = run.monitor.ask("reload", {})
    expect(exchange.status == 200 and "personalities" in exchange.data, f"reload answered {exchange.describe()}")
    run.monitor.wait_for(lambda m: m.topic == f"{ROOT}/event/manifest", "event/manifest", start)
    run.monitor.sync()
    events = run.monitor.since(start, lambda m: m.topic == f"{ROOT}/event/manifest")
    expect(len(events) == 1, f"{len(events)} event/manifest")
    return f"200, {exchange.data['personalities']} personalities, one event/manifest"


# --- finding 4: crowding out ------------------------------------------------------------------


def unchanged_holds(run, before, what):
    run.monitor.sync()
    expect(run.holds_message() is before, f"state/holds changed after {what}")


@check("finding 4: an app asking priority 1000 is refused 403 E_PRIORITY and places no hold")
def priority(run):
    before = run.holds_message()
    exchange = run.hu.ask("select", {"personality": "city", "holdSeconds": 600, "priority": 1000})
    expect(exchange.status == 403 and exchange.code == "E_PRIORITY" and exchange.body.get("path") == "/priority", f"answered {exchange.body}")
    unchanged_holds(run, before, "a refused select")
    return f"403 E_PRIORITY: {exchange.body.get('error')}"


@check("finding 4: a 5th hold of one app is refused 403 E_HOLD_QUOTA")
def hold_quota(run):
    holds = [run.hu.select(holdSeconds=600).data["hold"] for _ in range(4)]
    run.wait_holds(lambda current: len(current) == 4, "4 holds")
    before = run.holds_message()
    exchange = run.hu.ask("select", {"personality": "city", "holdSeconds": 600})
    expect(exchange.status == 403 and exchange.code == "E_HOLD_QUOTA", f"the 5th answered {exchange.describe()}")
    unchanged_holds(run, before, "the 5th select")
    for hold in holds:
        run.hu.release(hold)
    return f"4 placed, the 5th: 403 E_HOLD_QUOTA: {exchange.body.get('error')}"


@check("finding 4: a select naming another client as owner is refused 400 at /owner")
def foreign_owner(run):
    before = run.holds_message()
    exchange = run.hu.ask("select", {"personality": "city", "holdSeconds": 600, "owner": "media"})
    expect(exchange.status == 400 and exchange.body.get("path") == "/owner", f"answered {exchange.body}")
    unchanged_holds(run, before, "a refused select")
    return f"400 /owner: {exchange.body.get('error')}"


@check("finding 4: a request over 16 KiB is refused 400 unread, its leading transaction echoed")
def oversized(run):
    before = run.holds_message()
    transaction = f"big-{RUN}"
    payload = json.dumps({"transaction": transaction, "personality": "city", "holdSeconds": 600, "pad": "x" * (16 * 1024)}).encode()
    exchange = run.hu311.ask("select", raw=payload, transaction=transaction)
    expect(exchange.status == 400 and "cap" in exchange.body.get("error", ""), f"answered {exchange.describe()}")
    unchanged_holds(run, before, "an oversized select")
    return f"{len(payload)} bytes: {exchange.describe()}"


@check("finding 4: the observer viewer cannot select (403 E_ROLE), but may list")
def observer(run):
    before = run.holds_message()
    exchange = run.viewer.ask("select", {"personality": "city", "holdSeconds": 600})
    expect(exchange.status == 403 and exchange.code == "E_ROLE", f"select answered {exchange.describe()}")
    listed = run.viewer.ask("list", {})
    expect(listed.status == 200, f"list answered {listed.describe()}")
    unchanged_holds(run, before, "the viewer's select")
    return "select: 403 E_ROLE; list: 200"


@check("finding 4: the broker refuses writes to another client's request topic and presence (v5: PUBACK 135; 3.1.1: no effect)")
def foreign_writes(run):
    expect(run.hu.publish(run.hu.own("presence"), b"online", retain=True) == 0, "infotainment could not publish its own presence")
    held = run.hu.select().data["hold"]  # no holdSeconds: it lasts while infotainment is online
    run.wait_holds(lambda holds: any(h["id"] == held for h in holds), held)
    before = run.holds_message()
    answers = run.hu.mark()
    request = json.dumps({"hold": held, "token": "0" * TOKEN_LENGTH}).encode()
    codes = {
        "request": run.media.publish(f"{ROOT}/client/infotainment/request/release", request),
        "presence": run.media.publish(f"{ROOT}/client/infotainment/presence", b"offline", retain=True),
    }
    expect(codes == {"request": NOT_AUTHORIZED, "presence": NOT_AUTHORIZED}, f"v5 PUBACK reason codes {codes}")
    run.media311.publish(f"{ROOT}/client/infotainment/request/release", request)
    run.media311.publish(f"{ROOT}/client/infotainment/presence", b"offline", retain=True)
    run.hu.sync()
    unchanged_holds(run, before, "the forged writes")
    expect(not run.hu.since(answers, lambda m: m.topic.endswith("/response/release")), "infotainment got an answer it did not ask for")
    presence = run.hu.since(0, lambda m: m.topic == run.hu.own("presence"))
    expect(presence and presence[-1].payload == b"online", f"infotainment's presence is {[m.payload for m in presence]}")
    run.hu.release(held)
    return f"v5 PUBACK {codes}; over 3.1.1 the hold {held} and the presence 'online' stayed"


# --- finding 5: odd requests and presence -----------------------------------------------------


@check("finding 5: request/constructor and request/__proto__ are answered 404 unknown action")
def prototype_actions(run):
    answers = {}
    for action in ("constructor", "__proto__"):
        exchange = run.hu.ask(action, {})
        expect(exchange.status == 404 and f'unknown action "{action}"' in exchange.body.get("error", ""), f"{action}: answered {exchange.body}")
        answers[action] = exchange.status
    return f"404 for {', '.join(answers)}"


@check("finding 5: an empty payload is answered 400 and does nothing")
def empty_payload(run):
    before = run.holds_message()
    exchange = run.hu.ask("select", raw=b"")
    expect(exchange.status == 400 and exchange.body.get("path") == "", f"answered {exchange.body}")
    unchanged_holds(run, before, "an empty select")
    return exchange.body.get("error")


@check("finding 5: the old shared request/list is answered 410 E_GONE on response/list")
def old_shared_topic(run):
    mark = run.hu.mark()
    run.hu.subscribe(f"{ROOT}/response/+")
    transaction = f"old-{RUN}"
    properties = Properties(PacketTypes.PUBLISH)
    properties.CorrelationData = transaction.encode()
    reason = run.hu.publish(f"{ROOT}/request/list", json.dumps({"transaction": transaction}).encode(), properties=properties)
    expect(reason == 0, f"the broker refused the old topic: PUBACK reason {reason}")
    answer = run.hu.wait_for(lambda m: m.topic == f"{ROOT}/response/list" and m.correlation == transaction.encode(), "answer on response/list", mark)
    body = answer.json
    expect(body.get("status") == 410 and body.get("code") == "E_GONE" and body.get("transaction") == transaction, f"answered {body}")
    run.hu.unsubscribe(f"{ROOT}/response/+")
    return body.get("error")


@check("finding 5: a retained request gets no answer and changes nothing (event/rejected E_RETAINED)")
def retained_request(run):
    hold = run.hu.select(holdSeconds=600).data["hold"]
    run.wait_holds(lambda holds: any(h["id"] == hold for h in holds), hold)
    before = run.holds_message()
    events = run.monitor.mark()
    _, token = run.tokens[hold]
    retained = run.hu.send("release", {"hold": hold, "token": token}, retain=True)
    expect(run.hu.acked(retained.mid) == 0, "the broker refused the retained request")
    run.hu.sync()
    expect(not run.hu.since(retained.mark, lambda m: m.correlation == retained.correlation), "the retained request was answered")
    unchanged_holds(run, before, "a retained release")
    event = run.monitor.wait_for(lambda m: m.topic == f"{ROOT}/event/rejected" and m.json.get("code") == "E_RETAINED" and m.json.get("client") == "infotainment", "event/rejected E_RETAINED", events)
    # Clearing it is a retained empty message, dropped unread in turn.
    expect(run.hu.publish(retained.topic, b"", retain=True) == 0, "the broker refused clearing the retained request")
    run.hu.release(hold)
    return f"no answer, {hold} stayed; event/rejected: {event.json.get('error')}"


@check("finding 5: presence: publishing offline, then a clean disconnect, drops the holds that depended on presence")
def presence_offline(run):
    media = Client(run, "media", name="presence", will=True).connect()
    run.clients.append(media)
    expect(media.publish(media.own("presence"), b"online", retain=True) == 0, "the broker refused media's presence")
    hold = media.select().data["hold"]
    run.wait_holds(lambda holds: any(h["id"] == hold for h in holds), hold)
    expect(media.publish(media.own("presence"), b"offline", retain=True) == 0, "the broker refused media's offline")
    media.close()
    run.wait_holds(lambda holds: all(h["id"] != hold for h in holds), f"{hold} dropped")
    run.tokens.pop(hold, None)
    return f"{hold} dropped when media said offline"


@check("finding 5: presence: a v5 client gone without DISCONNECT has its will, offline, drop its holds")
def presence_will(run):
    hu = Client(run, "infotainment", name="will", will=True).connect()
    expect(hu.publish(hu.own("presence"), b"online", retain=True) == 0, "the broker refused infotainment's presence")
    hold = hu.select().data["hold"]
    run.wait_holds(lambda holds: any(h["id"] == hold for h in holds), hold)
    mark = run.hu.mark()
    hu.drop()
    run.wait_holds(lambda holds: all(h["id"] != hold for h in holds), f"{hold} dropped")
    run.tokens.pop(hold, None)
    will = run.hu.wait_for(lambda m: m.topic == run.hu.own("presence"), "the will on infotainment's presence", mark)
    expect(will.payload == b"offline", f"the will said {will.payload!r}")
    return f"the broker published the will 'offline'; {hold} dropped"


# --- finding 4, the flood: last, it drains media's budget ------------------------------------


@check("finding 4: a flood from media is cut to its rate: 429 E_RATE, told at most once a second, the rest dropped")
def flood(run):
    media, hu = run.media, run.hu
    start_media, start_monitor = media.mark(), run.monitor.mark()
    prefix = f"flood-{RUN}-".encode()
    began = time.monotonic()
    sent, other = 0, None
    while sent < FLOOD_MAX and (sent < FLOOD_MIN or time.monotonic() - began < FLOOD_SECONDS):
        mids = []
        for i in range(sent, sent + FLOOD_BATCH):
            # One Properties each: paho packs a message's properties when it sends it, maybe later.
            properties = Properties(PacketTypes.PUBLISH)
            properties.ResponseTopic = media.own("response/list")
            properties.CorrelationData = prefix + str(i).encode()
            mids.append(media.publish_nowait(media.own("request/list"), b"{}", properties=properties))
        sent += FLOOD_BATCH
        # infotainment asks in the middle of it: it has a budget of its own.
        other = other or hu.send("list", {})
        for mid in mids:
            media.acked(mid)
    ended = time.monotonic()
    run.other = (hu.answer_of(other), began, ended)
    flood_answers = lambda: media.since(start_media, lambda m: (m.correlation or b"").startswith(prefix))  # noqa: E731

    # The refusals after the first are counted, and published when a window (10 s) ends: wait for their sum.
    def counted():
        refused = sent - sum(1 for m in flood_answers() if m.json.get("status") == 200)
        events = run.monitor.since(start_monitor, lambda m: m.topic == f"{ROOT}/event/rejected" and m.json.get("client") == "media" and m.json.get("status") == 429)
        return events if sum(e.json.get("count", 1) for e in events) >= refused else None

    events = run.monitor.wait_until(counted, "event/rejected counting every refusal of the flood", 15)
    answers = flood_answers()
    ok = [m for m in answers if m.json.get("status") == 200]
    told = [m for m in answers if m.json.get("status") == 429]
    expect(told and all(m.json.get("code") == "E_RATE" for m in told), f"429 answers: {[m.json for m in told]}")
    # The daemon tells at most once a second: the answers arrive about a second apart, and a flood
    # of more than a second is told more than once.
    gaps = [round(b.at - a.at, 2) for a, b in zip(told, told[1:])]
    expect(len(told) >= 2 and all(gap > 0.5 for gap in gaps), f"{len(told)} 429 answers in {ended - began:.2f} s, {gaps} s apart")
    per_second, burst = RATES["app"]
    expect(len(ok) <= burst + per_second * (ended - began + 1), f"{len(ok)} of {sent} admitted in {ended - began:.2f} s")
    run.flood = {"events": events, "refused": sent - len(ok)}
    return f"{sent} requests in {ended - began:.2f} s: {len(ok)} answered 200, {len(told)} answered 429 E_RATE ({gaps} s apart), {sent - len(answers)} dropped unanswered"


@check("finding 4: infotainment's request in the middle of media's flood is answered 200 before the flood ends")
def flood_other(run):
    expect(hasattr(run, "other"), "no answer from the flood check")
    other, began, ended = run.other
    expect(other.status == 200, f"answered {other.describe()}")
    expect(other.answer.at < ended, f"answered {other.answer.at - ended:.2f} s after the flood ended")
    return f"200 after {(other.answer.at - began) * 1000:.0f} ms of a {(ended - began) * 1000:.0f} ms flood"


@check("finding 4: event/rejected aggregates the flood's refusals: few events, their counts summing to the refusals")
def flood_events(run):
    expect(hasattr(run, "flood"), "no flood")
    events = run.flood["events"]
    counts = [e.json.get("count", 1) for e in events]
    expect(sum(counts) == run.flood["refused"], f"counts {counts} for {run.flood['refused']} refusals")
    expect(len(events) <= 3, f"{len(events)} events for {run.flood['refused']} refusals")
    expect(all(e.json.get("what") == "request/list" for e in events), "events name another request")
    return f"{len(events)} event(s) with count {' + '.join(map(str, counts))} = {sum(counts)} refusals"


def main():
    if len(sys.argv) != 2:
        print("usage: mqtt_contract.py mqtt://HOST:PORT (passwords in PERSONA_CONTRACT_PASSWORDS)", file=sys.stderr)
        return 2
    passwords = json.loads(os.environ.get("PERSONA_CONTRACT_PASSWORDS", "{}"))
    missing = sorted(set(ROLES) - set(passwords))
    if missing:
        print(f"PERSONA_CONTRACT_PASSWORDS lacks {', '.join(missing)}", file=sys.stderr)
        return 2
    emit({"plan": [name for name, _ in CHECKS], "paho": paho.mqtt.__version__})
    run = Run(sys.argv[1], passwords)
    failed = 0
    try:
        try:
            run.start()
        except Exception as err:
            print(f"cannot start: {err}", file=sys.stderr)
            return 2
        for name, function in CHECKS:
            began = time.monotonic()
            try:
                detail, ok = function(run), True
            except CheckFailed as err:
                detail, ok = str(err), False
            except Exception:
                detail, ok = traceback.format_exc(), False
            try:
                run.sweep()
            except Exception as err:
                detail += f"; left holds behind: {err}"
            failed += not ok
            emit({"check": name, "ok": ok, "detail": detail, "ms": round((time.monotonic() - began) * 1000)})
        for text in sorted(run.transcripts, key=lambda text: "MQTT 3.1.1" in text):
            emit({"transcript": text})
    finally:
        run.stop()
    return 1 if failed else 0


def emit(record):
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    sys.exit(main())
