"""The Python baseline for bench/bench_serve.c: a policy server built the way
GR00T-style (ZeroMQ + msgpack) and openpi-style (msgpack + numpy) servers are
built -- pyzmq ROUTER, msgpack, numpy -- running the same MLP as `lfd serve`
from the same .lfdp file, one request at a time.  It answers lfd's act
requests with {"v", "type": "act", "seq", "t", "actions"} (no safety filter,
no sessions: those servers have neither).

    /usr/bin/python3 bench/py_baseline_server.py POLICY.lfdp
prints the endpoint it bound (tcp://127.0.0.1:<port>) and serves until killed.
"""

import sys
import time

import msgpack
import numpy as np
import zmq


def unpack_hook(d):
    flag = d.get(b"__ndarray__", d.get("__ndarray__"))
    if flag is True:
        dt = d.get(b"dtype", d.get("dtype"))
        dt = dt.decode() if isinstance(dt, bytes) else dt
        data = d.get(b"data", d.get("data"))
        shape = d.get(b"shape", d.get("shape"))
        return np.frombuffer(data, dtype=np.dtype(dt)).reshape(shape)
    return d


def pack_array(a):
    return {b"__ndarray__": True, b"data": a.tobytes(), b"dtype": a.dtype.str,
            b"shape": list(a.shape)}


def main():
    raw = open(sys.argv[1], "rb").read()
    p = msgpack.unpackb(raw, raw=False, object_hook=unpack_hook, strict_map_key=False)
    norm = p["norm"]
    obs_mean, obs_std = norm["obs_mean"], norm["obs_std"]
    act_mean, act_std = norm["act_mean"], norm["act_std"]
    layers = [(np.ascontiguousarray(l["w"]), np.ascontiguousarray(l["b"]), l["act"])
              for l in p["mlp"]["layers"]]
    chunk = p["chunk"]

    def policy(obs):
        x = (obs - obs_mean) / obs_std
        for w, b, act in layers:
            x = w @ x + b
            if act == "relu":
                np.maximum(x, 0, out=x)
            elif act == "tanh":
                np.tanh(x, out=x)
        out = x.reshape(chunk, -1)
        return (out * act_std + act_mean).astype(np.float32)

    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    print("tcp://127.0.0.1:%d" % port, flush=True)
    while True:
        frames = sock.recv_multipart()
        ident, payload = frames[0], frames[-1]
        req = msgpack.unpackb(payload, raw=False, object_hook=unpack_hook,
                              strict_map_key=False)
        obs = np.asarray(req["obs"], dtype=np.float32)
        actions = policy(obs)
        rep = {"v": 1, "type": "act", "seq": req["seq"], "t": time.time(),
               "actions": pack_array(actions)}
        sock.send_multipart([ident, msgpack.packb(rep, use_bin_type=True)])


if __name__ == "__main__":
    main()
