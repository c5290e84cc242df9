#!/bin/sh
# Fails when a layer includes a higher one (the layer table in README.md, "Layout"):
#   core < robots < ingest < retarget, sim < policies < runtime
# retarget and sim share a layer and must not include each other.
# Includes are written "layer/file.h" from the top of the tree.
rank() {
    case "$1" in
    core) echo 0 ;; robots) echo 1 ;; ingest) echo 2 ;; retarget | sim) echo 3 ;;
    policies) echo 4 ;; runtime) echo 5 ;; *) echo -1 ;;
    esac
}
violations=$(
    for dir in core robots ingest retarget sim policies runtime; do
        [ -d "$dir" ] || continue
        r=$(rank "$dir")
        find "$dir" -name '*.[ch]' | sort | while read -r f; do
            grep -noE '#[[:space:]]*include[[:space:]]+"[a-z_]+/' "$f" | while IFS=: read -r line inc; do
                layer=$(echo "$inc" | sed -E 's/.*"([a-z_]+)\/.*/\1/')
                ri=$(rank "$layer")
                [ "$ri" -lt 0 ] || [ "$layer" = "$dir" ] && continue
                [ "$ri" -ge "$r" ] && echo "check-layers: $f:$line includes $layer/, which is not below $dir/"
            done
        done
    done
)
if [ -n "$violations" ]; then
    echo "$violations"
    exit 1
fi
echo "check-layers: ok (core < robots < ingest < retarget, sim < policies < runtime)"
