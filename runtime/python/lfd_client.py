"""lfd_client: a Python client for `lfd serve`.

One file, no dependencies beyond pyzmq, msgpack and numpy (Debian:
python3-zmq python3-msgpack python3-numpy, in /usr/bin/python3).  Speaks the
protocol in docs/protocol.md (version 1.1): every message is one msgpack map
with "v", "type", "seq" and "t"; arrays travel as openpi-style ndarray maps
({b"__ndarray__": True, b"data", b"dtype", b"shape"}); nothing is pickled.

    from lfd_client import LfdClient
    c = LfdClient("tcp://127.0.0.1:5555", "walk", obs_names, act_names)
    actions, meta = c.act(obs, prev_action=q)   # actions: (chunk, act_dim) float32
    c.close()

Every call has a timeout; after a timeout the socket is closed and reopened
(a restarted server is found again) and the next call says hello first, with
this client's random session token, so that the new connection takes the old
session over instead of leaving it to hold a slot.  A server that forgot the
session (no_session, schema_changed) is greeted again and the request resent,
within the same call's timeout.  Under CURVE a key the server refuses is
reported at once as LfdDenied (code "denied"), not as a timeout.  The actions come
back already through the server's safety filter; `meta` says what the filter
changed and whether the answer is a hold.  (The real-time chunk buffer and the
client-side filter are in the C library, runtime/lfd_client.h.)

Run as a script to describe a served policy:
    /usr/bin/python3 lfd_client.py tcp://127.0.0.1:5555 walk
"""

import json
import math
import os
import sys
import time

import msgpack
import numpy as np
import zmq

PROTOCOL_VERSION = 1


class LfdError(Exception):
    """An error answer from the server: .code (e.g. "schema_mismatch") and .message."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


class LfdTimeout(LfdError):
    def __init__(self, message):
        super().__init__("timeout", message)


class LfdDenied(LfdError):
    """The server refused this client's CURVE key during the handshake."""

    def __init__(self, message):
        super().__init__("denied", message)


# ZeroMQ's handshake failures (socket monitor events, libzmq >= 4.3)
_HANDSHAKE_FAILED = (getattr(zmq, "EVENT_HANDSHAKE_FAILED_AUTH", 0)
                     | getattr(zmq, "EVENT_HANDSHAKE_FAILED_PROTOCOL", 0)
                     | getattr(zmq, "EVENT_HANDSHAKE_FAILED_NO_DETAIL", 0))


def pack_array(a):
    """An ndarray map as openpi's msgpack_numpy writes it (keys as bytes)."""
    a = np.ascontiguousarray(a)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return {b"__ndarray__": True, b"data": a.tobytes(), b"dtype": a.dtype.str,
            b"shape": list(a.shape)}


def _key(d, k):
    if k in d:
        return d[k]
    return d.get(k.encode())


def _unpack_hook(d):
    flag = _key(d, "__ndarray__")
    if flag is True:
        dtype = _key(d, "dtype")
        if isinstance(dtype, bytes):
            dtype = dtype.decode()
        arr = np.frombuffer(_key(d, "data"), dtype=np.dtype(dtype))
        return arr.reshape(_key(d, "shape"))
    return d


def packb(obj):
    return msgpack.packb(obj, use_bin_type=True)


def unpackb(data):
    return msgpack.unpackb(data, raw=False, object_hook=_unpack_hook, strict_map_key=False)


class LfdClient:
    """A connection to one served policy, with the schema this controller expects."""

    def __init__(self, endpoint, policy, obs_names, act_names, obs_units=None,
                 act_units=None, robot=None, timeout_s=1.0, curve=None, client_name="python",
                 context=None):
        self.endpoint = endpoint
        self.policy = policy
        self.obs_names = list(obs_names)
        self.act_names = list(act_names)
        self.obs_units = list(obs_units) if obs_units is not None else None
        self.act_units = list(act_units) if act_units is not None else None
        self.robot = robot
        # as the C client: a timeout that is not a positive number is 1 s
        # (nan, inf, 0 and -1 raised ValueError, OverflowError or timed out at
        # once: found by review)
        t = float(timeout_s)
        self.timeout_s = t if t > 0 and math.isfinite(t) else 1.0
        self.curve = curve  # (server_public, public, secret), Z85 strings
        self.client_name = client_name
        self.ctx = context or zmq.Context.instance()
        self.sock = None
        self.mon = None
        # this client's identity across reconnections (docs/protocol.md, hello)
        self.token = os.urandom(16).hex()
        self.seq = 0
        self.info = None
        self.need_hello = True
        self._open()
        try:
            self.info = self.hello()
        except BaseException:
            self._close_socket()  # a refused hello leaves no socket behind
            raise

    # ---- socket ---------------------------------------------------------------
    def _close_socket(self):
        if self.mon is not None:
            try:
                self.sock.disable_monitor()
            except zmq.ZMQError:
                pass
            self.mon.close(linger=0)
            self.mon = None
        if self.sock is not None:
            self.sock.close(linger=0)
            self.sock = None

    def _open(self):
        self._close_socket()
        s = self.ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RECONNECT_IVL, 100)
        s.setsockopt(zmq.MAXMSGSIZE, 1 << 20)
        if self.curve:
            server, pub, sec = self.curve
            s.curve_serverkey = server.encode() if isinstance(server, str) else server
            s.curve_publickey = pub.encode() if isinstance(pub, str) else pub
            s.curve_secretkey = sec.encode() if isinstance(sec, str) else sec
            if _HANDSHAKE_FAILED:
                # watch the handshake, so that a refused key is reported as such
                self.mon = s.get_monitor_socket(_HANDSHAKE_FAILED)
        s.connect(self.endpoint)
        self.sock = s
        self.need_hello = True

    def close(self):
        self._close_socket()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- one round trip -------------------------------------------------------
    def _roundtrip(self, body, deadline):
        self.seq += 1
        msg = {"v": PROTOCOL_VERSION, "seq": self.seq, "t": time.time()}
        msg.update(body)
        self.sock.send(packb(msg))
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        if self.mon is not None:
            poller.register(self.mon, zmq.POLLIN)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                denied = self._denied()
                self._open()
                if denied:
                    raise LfdDenied("%s refused this client's CURVE key" % self.endpoint)
                raise LfdTimeout("no answer from %s within %.3f s" % (self.endpoint,
                                                                     self.timeout_s))
            ready = dict(poller.poll(max(1, int(left * 1000))))
            if self.mon is not None and self.mon in ready and self._denied():
                self._open()
                raise LfdDenied("%s refused this client's CURVE key" % self.endpoint)
            if self.sock not in ready:
                continue
            rep = _decode_reply(self.sock.recv())
            # a late answer to an earlier request is dropped; an error with
            # seq 0 answers a request whose seq the server could not read
            if rep.get("seq") != self.seq and not (rep["type"] == "error" and rep.get("seq") == 0):
                continue
            if rep.get("v") != PROTOCOL_VERSION:
                raise LfdError("version", "reply in protocol version %r" % rep.get("v"))
            return rep

    def _denied(self):
        """True if the handshake monitor reported a refused handshake."""
        from zmq.utils.monitor import recv_monitor_message
        denied = False
        while self.mon is not None and self.mon.poll(0, zmq.POLLIN):
            ev = recv_monitor_message(self.mon)
            if ev.get("event", 0) & _HANDSHAKE_FAILED:
                denied = True
        return denied

    def _hello(self, deadline, probe=False):
        body = {"type": "hello", "policy": self.policy, "client": self.client_name}
        if probe:
            body["probe"] = True
        else:
            body["session_token"] = self.token
            body["obs_names"] = self.obs_names
            body["act_names"] = self.act_names
            if self.obs_units is not None:
                body["obs_units"] = self.obs_units
            if self.act_units is not None:
                body["act_units"] = self.act_units
            if self.robot:
                body["robot"] = self.robot
            current = self._due_step()
            if current is not None:
                # a re-hello says where the robot was sent, so the server's
                # first act after it is rate-limited from there
                body["current"] = pack_array(current)
        rep = self._roundtrip(body, deadline)
        _raise_if_error(rep)
        if rep["type"] != "hello":
            raise LfdError("bad_message", "hello answered with %r" % rep["type"])
        # a re-hello keeps the chunk length and control period the controller
        # plays at: a policy reloaded with others is refused, as the C client
        # does (a period doubled under it moved the joints at twice their
        # limits: found by review)
        old = None if probe else getattr(self, "info", None)
        if old:
            op, np_ = float(old.get("control_period_s") or 0), float(rep.get("control_period_s") or 0)
            if rep.get("chunk") != old.get("chunk"):
                raise LfdError("schema_mismatch", "policy chunk changed from %r to %r"
                               % (old.get("chunk"), rep.get("chunk")))
            if abs(np_ - op) > 1e-9 * abs(op):
                raise LfdError("schema_mismatch", "policy control period changed from %g s to %g s"
                               % (op, np_))
        if not probe:
            self.need_hello = False
        return rep

    def _due_step(self):
        """The step of the last chunk act returned that is due now (one step per
        control period, the last one held), or None before the first act."""
        last = getattr(self, "_last_chunk", None)
        info = getattr(self, "info", None)
        if last is None or not info:
            return None
        actions, t = last
        dt = float(info.get("control_period_s") or 0)
        k = (time.monotonic() - t) / dt if dt > 0 else 0.0
        i = min(max(int(round(k)), 0), len(actions) - 1)
        return np.asarray(actions[i], dtype=np.float32)

    def _call(self, body, want):
        deadline = time.monotonic() + self.timeout_s
        for _ in range(3):
            if self.need_hello:
                self.info = self._hello(deadline)
            rep = self._roundtrip(body, deadline)
            if rep["type"] == want:
                return rep
            if rep["type"] == "error" and rep.get("code") in ("no_session", "schema_changed"):
                self.need_hello = True
                continue
            _raise_if_error(rep)
            raise LfdError("bad_message", "%s answered with %r" % (want, rep["type"]))
        raise LfdError("no_session", "the server keeps forgetting this session")

    # ---- the calls ----------------------------------------------------------
    def hello(self, probe=False):
        """Says hello (the server checks the schema); probe=True only describes the policy."""
        return self._hello(time.monotonic() + self.timeout_s, probe)

    def act(self, obs, prev_action=None, prev_velocity=None):
        """Observation -> (actions (chunk, act_dim) float32, meta dict)."""
        body = {"type": "act", "obs": pack_array(np.asarray(obs, dtype=np.float32))}
        if prev_action is not None:
            body["prev_action"] = pack_array(np.asarray(prev_action, dtype=np.float32))
        if prev_velocity is not None:
            body["prev_velocity"] = pack_array(np.asarray(prev_velocity, dtype=np.float32))
        rep = self._call(body, "act")
        meta = {k: rep.get(k) for k in ("seq", "hold", "reason", "message", "hash", "filter",
                                        "timing")}
        actions = np.array(rep["actions"], dtype=np.float32)
        self._last_chunk = (actions, time.monotonic())
        return actions, meta

    def reset(self, current=None):
        body = {"type": "reset"}
        if current is not None:
            body["current"] = pack_array(np.asarray(current, dtype=np.float32))
        self._call(body, "reset")
        # the command in force from now on: current (standing), or none known
        self._last_chunk = None if current is None else (
            np.asarray(current, dtype=np.float32).reshape(1, -1), time.monotonic())

    def ping(self):
        """Round-trip time in seconds."""
        t0 = time.monotonic()
        self._call({"type": "ping"}, "pong")
        return time.monotonic() - t0

    def stats(self):
        return self._call({"type": "stats"}, "stats")


def _decode_reply(raw):
    """A reply's bytes as a message map with a type; anything else is an
    LfdError bad_message (every failure is an LfdError, as the docs say)."""
    try:
        rep = unpackb(raw)
    except Exception as e:
        raise LfdError("bad_message", "reply is not msgpack: %s" % e)
    if not isinstance(rep, dict) or "type" not in rep:
        raise LfdError("bad_message", "reply is not a message map with a type")
    return rep


def _raise_if_error(rep):
    """Raises the error a reply carries: LfdDenied for denied, else LfdError
    with the server's code (internal when it gave none) and message."""
    if rep["type"] != "error":
        return
    code = rep.get("code") or "internal"
    if code == "denied":
        raise LfdDenied(rep.get("message", ""))
    raise LfdError(code, rep.get("message", ""))


def probe(endpoint, policy, timeout_s=1.0):
    """The server's description of a policy (no session is opened)."""
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    try:
        s.send(packb({"v": PROTOCOL_VERSION, "type": "hello", "seq": 1, "t": time.time(),
                      "policy": policy, "probe": True}))
        if not s.poll(int(timeout_s * 1000), zmq.POLLIN):
            raise LfdTimeout("no answer from %s" % endpoint)
        rep = _decode_reply(s.recv())
        _raise_if_error(rep)
        if rep["type"] != "hello":
            raise LfdError("bad_message", "hello answered with %r" % rep["type"])
        return rep
    finally:
        s.close(linger=0)


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, bytes):
        return x.hex()
    if isinstance(x, float) and not np.isfinite(x):
        return str(x)
    return x


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: lfd_client.py ENDPOINT POLICY   (prints the policy's description)")
        sys.exit(2)
    try:
        info = probe(sys.argv[1], sys.argv[2])
    except LfdError as e:
        print("lfd_client.py: %s" % e, file=sys.stderr)
        sys.exit(1)
    print(json.dumps(_jsonable(info), indent=1))
