"""free_port: the ports one test hands to the services of one inventory never repeat."""

import socket

from vvdash.procs import free_port


def test_free_port_never_repeats_within_a_process():
    ports = [free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", port))
