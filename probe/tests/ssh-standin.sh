#!/bin/sh
# A stand-in for ssh in the tests of `trainfit cluster discover`: it skips ssh's options, takes
# the host, and runs the remote command here. The host `down` fails as an unreachable host does
# (ssh exits 255 with its message on standard error); on the host `flaky` the probe runs but
# `trainfit net` fails, as a server that cannot listen does.
while [ $# -gt 0 ]; do
    case "$1" in
        -o) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
host=$1
shift
if [ "$host" = down ]; then
    echo "ssh: connect to host down port 22: Connection refused" >&2
    exit 255
fi
if [ "$host" = flaky ] && [ "$2" = net ]; then
    echo "error: cannot listen on 0.0.0.0:0: permission denied" >&2
    exit 2
fi
exec "$@"
