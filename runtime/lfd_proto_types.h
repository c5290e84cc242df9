/*  lfd_proto_types: the protocol's plain types, without msgpack.

    What a controller's code sees of the protocol through the client
    library (runtime/lfd_client.h): the server's per-act timing.  Kept apart
    from runtime/lfd_proto.h (the codec, which needs <msgpack.h>) so that
    including lfd_client.h pulls nothing but the C library and lfd's own
    headers into a controller's build. */
#ifndef LFD_PROTO_TYPES_H
#define LFD_PROTO_TYPES_H

/* Server timing of one act, microseconds. */
typedef struct lfd_act_timing {
    double decode_us, normalise_us, infer_us, filter_us, encode_us, queue_us;
    int batch; /* requests inferred together (infer_us is the whole batch's) */
} lfd_act_timing;

#endif
