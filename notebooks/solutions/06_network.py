"""Lesson 06, exercise solution. Run: .venv/bin/python notebooks/solutions/06_network.py"""

from sandbox import PROFILES, network, run

UDP_PING = """
import socket
try:
    address = socket.gethostbyname("target")
except OSError as error:
    print("failed:", type(error).__name__)
else:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(3)
        udp.sendto(b"ping", (address, 7007))
        print(udp.recvfrom(16)[0].decode())
"""

hardened = PROFILES["hardened"]
closed = run(UDP_PING, hardened).stdout.strip()
opened = run(UDP_PING, hardened.without("network")).stdout.strip()
network.teardown()
print("hardened:", closed, "| network removed:", opened)
assert closed == "failed: gaierror" and opened == "ping"
print("all lesson 06 answers hold")
