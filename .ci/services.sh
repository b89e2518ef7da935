#!/usr/bin/env bash
# Starts the local services the test suite talks to, if they are stopped, and waits until they
# answer. Exits non-zero, saying which one, when a service cannot be brought up.
set -euo pipefail

wait_for() { # name, command...
    local name=$1; shift
    for _ in $(seq 1 60); do
        if "$@" >/dev/null 2>&1; then echo "$name: up"; return 0; fi
        sleep 1
    done
    echo "$name: not reachable after 60 s" >&2
    return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "PostgreSQL: starting"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432 -q

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5672; then
    echo "RabbitMQ: starting"
    rabbitmq-server -detached
fi
wait_for RabbitMQ port_open 5672

if ! port_open 6379; then
    echo "Redis: starting"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for Redis port_open 6379
