"""End-to-end test of the Python client (runtime/python/lfd_client.py) against
a running `lfd serve`, driven by tests/test_serve_python.c.

    /usr/bin/python3 tests/python/test_client.py ENDPOINT POLICY_FILE

Reads the policy file itself with msgpack (checking its SHA-256 seal), runs the
same MLP and safety filter in numpy, and checks the served actions against it;
then the other calls and the error answers.  Prints "PYTHON CLIENT OK" at the end.
"""

import hashlib
import os
import sys

import msgpack
import numpy as np
import zmq

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "runtime", "python"))
import lfd_client as lc  # noqa: E402


def load_policy(path):
    data = open(path, "rb").read()
    body, trailer = data[:-41], data[-41:]
    assert trailer[:9] == b"\xa6sha256\xc4\x20", "no seal"
    assert hashlib.sha256(body).digest() == trailer[9:], "bad checksum"
    return lc.unpackb(data), hashlib.sha256(data).hexdigest()


def mlp(p, obs):
    norm = p["norm"]
    x = ((obs - norm["obs_mean"]) / norm["obs_std"]).astype(np.float32)
    acts = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, "linear": lambda v: v}
    for layer in p["mlp"]["layers"]:
        x = acts[layer["act"]](layer["w"].astype(np.float64) @ x + layer["b"])
    out = x.reshape(p["chunk"], -1)
    return (out * norm["act_std"] + norm["act_mean"]).astype(np.float32)


def safety_filter(p, chunk, prev):
    """The filter of runtime/lfd_filter.h: range, then velocity (no acceleration limit here)."""
    lo, hi, vel = p["act_lo"], p["act_hi"], p["vel_limit"]
    dt = p["control_period_s"]
    out = chunk.copy()
    prev = np.clip(prev, lo, hi)  # the starting point is moved into range first
    for k in range(out.shape[0]):
        x = np.clip(out[k], lo, hi)
        step = np.clip(x - prev, -vel * dt, vel * dt)
        x = np.where(np.abs(x - prev) > vel * dt, prev + step, x)
        out[k] = x
        prev = x
    return out


def main():
    endpoint, path = sys.argv[1], sys.argv[2]
    p, file_hash = load_policy(path)
    assert p["format"] == "lfd.policy"
    # describe, then connect with the schema the description gives
    info = lc.probe(endpoint, p["name"])
    assert info["session"] is False
    assert info["hash"] == file_hash, (info["hash"], file_hash)
    assert info["obs_names"] == p["obs_names"] and info["act_names"] == p["act_names"]
    assert info["norm"] == "meanstd"
    assert info["lineage"]["demos"] == "toy-demo-1"
    np.testing.assert_array_equal(info["default_action"], p["default_action"])
    c = lc.LfdClient(endpoint, p["name"], info["obs_names"], info["act_names"],
                     obs_units=info["obs_units"], act_units=info["act_units"], timeout_s=5)
    assert c.info["session"] is True
    rng = np.random.default_rng(1)
    prev = np.zeros(len(p["act_names"]), dtype=np.float32)
    n_filtered = 0
    for _ in range(20):
        obs = rng.normal(size=len(p["obs_names"])).astype(np.float32)
        actions, meta = c.act(obs, prev_action=prev)
        assert actions.shape == (p["chunk"], len(p["act_names"]))
        want = safety_filter(p, mlp(p, obs), prev)
        np.testing.assert_allclose(actions, want, atol=2e-5)
        assert meta["hold"] is False and meta["hash"] == file_hash
        assert set(meta["timing"]) >= {"decode_us", "normalise_us", "infer_us", "filter_us",
                                       "encode_us"}
        n_filtered += int(meta["filter"]["vel_limited"])
        prev = actions[1]
    assert n_filtered > 0, "the test policy should need the filter"
    # a NaN observation: a hold at the previous command
    obs[0] = np.nan
    actions, meta = c.act(obs, prev_action=prev)
    assert meta["hold"] is True and meta["reason"] == "policy_error"
    np.testing.assert_array_equal(actions, np.tile(prev, (p["chunk"], 1)))
    assert c.ping() > 0
    c.reset(current=prev)
    st = c.stats()
    assert st["session"]["acts"] == 21 and st["session"]["holds"] == 1
    assert st["server"]["acts"] >= 21
    # a wrong schema is refused at hello
    bad = list(info["act_names"])
    bad[0] = "nope"
    try:
        lc.LfdClient(endpoint, p["name"], info["obs_names"], bad, timeout_s=5)
        raise AssertionError("a wrong schema was accepted")
    except lc.LfdError as e:
        assert e.code == "schema_mismatch" and "act_names[0]" in e.message, e
    try:
        lc.LfdClient(endpoint, "no-such-policy", info["obs_names"], bad, timeout_s=5)
        raise AssertionError("an unknown policy was accepted")
    except lc.LfdError as e:
        assert e.code == "unknown_policy", e
    # garbage gets a structured error, and the client above still works
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    s.send(b"\x80\x81\x82 not msgpack")
    assert s.poll(5000)
    rep = lc.unpackb(s.recv())
    assert rep["type"] == "error" and rep["code"] == "bad_message", rep
    s.close()
    obs[0] = 0
    c.reset(current=np.asarray(p["act_lo"], np.float32))  # far from what the policy asks
    sent, meta = c.act(obs)
    assert meta["hold"] is False
    assert meta["filter"]["vel_limited"] > 0, "the chunk should be rate-limited"
    # a reconnection (as after a timeout) takes the session over: no new session
    before = c.stats()["server"]
    c._open()
    actions, meta = c.act(obs)
    after = c.stats()["server"]
    assert after["sessions"] == before["sessions"], (before, after)
    assert after["sessions_taken_over"] == before["sessions_taken_over"] + 1, (before, after)
    # ... with its filter's previous command (hello says where the robot was
    # sent): the first step after it is within one step's velocity of a step
    # of the chunk sent before, not the policy's answer unlimited
    vel = np.asarray(p["vel_limit"], np.float32)
    step = vel * np.float32(p["control_period_s"])
    gap = min(float(np.max(np.abs(actions[0] - s) - step)) for s in sent)
    assert gap <= 1e-5, (actions[0], sent)
    due = c._due_step()
    assert any(np.array_equal(due, a) for a in actions), due
    # an absurd previous command still gives actions inside the joint range
    actions, meta = c.act(obs, prev_action=np.full(len(p["act_names"]), 1e30, np.float32))
    assert np.all(actions <= p["act_hi"]) and np.all(actions >= p["act_lo"]), actions
    assert meta["filter"]["start_clamped"] == len(p["act_names"]), meta["filter"]
    # a request over the server's size cap is answered too_large, not a
    # timeout (the error came back with seq 0 and was dropped: review)
    try:
        c.act(np.zeros(20000, np.float32))
        raise AssertionError("an oversized act was answered")
    except lc.LfdTimeout:
        raise AssertionError("an oversized act timed out instead of too_large")
    except lc.LfdError as e:
        assert e.code == "too_large", e
    # a re-hello to a policy reloaded with another control period or chunk is
    # refused, as the C client refuses it (the client took the new period
    # and chunk silently: found by review)
    real = c._roundtrip
    for key, val in (("control_period_s", 2 * float(c.info["control_period_s"])),
                     ("chunk", int(c.info["chunk"]) + 1)):
        def changed(body, deadline, key=key, val=val):
            rep = real(body, deadline)
            if body.get("type") == "hello":
                rep = dict(rep)
                rep[key] = val
            return rep
        c._roundtrip = changed
        c.need_hello = True
        try:
            c.act(obs)
            raise AssertionError("a re-hello with another %s was accepted" % key)
        except lc.LfdError as e:
            assert e.code == "schema_mismatch" and ("changed" in e.message), e
    c._roundtrip = real
    c.close()
    # a timeout that is not a positive number is 1 s, as in the C client
    for t in (float("nan"), float("inf"), 0, -1):
        c2 = lc.LfdClient(endpoint, p["name"], info["obs_names"], info["act_names"], timeout_s=t)
        assert c2.timeout_s == 1.0, (t, c2.timeout_s)
        c2.close()
    # a reply that is not msgpack, or no message map, is an LfdError
    srv = zmq.Context.instance().socket(zmq.ROUTER)
    srv.setsockopt(zmq.LINGER, 0)
    port = srv.bind_to_random_port("tcp://127.0.0.1")
    import threading
    def fake(replies):
        for r in replies:
            if not srv.poll(5000):
                return
            ident, _ = srv.recv_multipart()
            srv.send_multipart([ident, r])
    bad = [b"\xc1 not msgpack", msgpack.packb({"v": 1}), msgpack.packb([1, 2]),
           msgpack.packb({"v": 1, "type": "act", "seq": 1})]
    th = threading.Thread(target=fake, args=(bad,))
    th.start()
    for _ in range(2):
        try:
            lc.LfdClient("tcp://127.0.0.1:%d" % port, p["name"], info["obs_names"], info["act_names"],
                         timeout_s=2)
            raise AssertionError("a malformed reply was accepted")
        except lc.LfdError as e:
            assert e.code == "bad_message", e
    # probe too (it raised TypeError / KeyError on these until 2026-12-07)
    for _ in range(2):
        try:
            lc.probe("tcp://127.0.0.1:%d" % port, p["name"], timeout_s=2)
            raise AssertionError("a malformed probe reply was accepted")
        except lc.LfdError as e:
            assert e.code == "bad_message", e
    th.join()
    srv.close()
    print("PYTHON CLIENT OK")


if __name__ == "__main__":
    main()
