#!/usr/bin/env python3
# Reorders the VRRP adverts a lab host sends, where the kernel has neither sch_netem nor nftables'
# queue expression (lab/netem.ts startAdvertReorder). It runs in the lab's switch namespace: a bridge
# rule drops IP protocol 112 arriving from the host's switch port (--in), and this relay, reading that
# port with an AF_PACKET socket (taps see a frame before the bridge drops it), sends each advert out
# of the segment's other switch ports (--out) itself. It holds --percent % of them back until the next
# advert has gone out, so the held one arrives after a newer one (reordered), or at most
# --max-hold-ms. At most one is held at a time: no advert is delayed past the one after it, so this
# is reordering, not loss. Bounded: it exits after --seconds (releasing what it holds), or on SIGTERM.
# Prints `reorder ready` once listening and `reorder passed=N held=N overtaken=N` on exit.
import argparse
import random
import select
import signal
import socket
import sys
import time

# ETH_P_ALL: on a bridge port only all-protocol taps run before the bridge takes the frame.
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
IPPROTO_VRRP = 112


def is_vrrp(frame):
    return len(frame) >= 34 and frame[12:14] == b'\x08\x00' and frame[23] == IPPROTO_VRRP


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--in', dest='inport', required=True)
    p.add_argument('--out', required=True, help='comma-separated switch ports')
    p.add_argument('--percent', type=float, required=True)
    p.add_argument('--max-hold-ms', type=float, default=1500)
    p.add_argument('--seconds', type=float, required=True)
    args = p.parse_args()
    if not (0 <= args.percent <= 100) or not (0 < args.seconds <= 600):
        sys.exit('reorder: --percent 0..100, --seconds 0..600')

    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.bind((args.inport, ETH_P_ALL))
    outs = []
    for port in args.out.split(','):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        s.bind((port, 0))
        outs.append(s)

    def forward(frame):
        for s in outs:
            s.send(frame)

    counts = {'passed': 0, 'held': 0, 'overtaken': 0}

    class Stop(Exception):
        pass

    def on_term(_signum, _frame):
        # Raised, not flagged: Python retries an interrupted select() when the handler returns.
        raise Stop()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    end = time.monotonic() + args.seconds
    print('reorder ready', flush=True)
    try:
        relay(rx, forward, counts, args, end)
    except Stop:
        pass
    print(f"reorder passed={counts['passed']} held={counts['held']} overtaken={counts['overtaken']}", flush=True)


def relay(rx, forward, counts, args, end):
    held = None  # (frame, release deadline)
    try:
        while time.monotonic() < end:
            now = time.monotonic()
            wait = end - now
            if held is not None:
                wait = min(wait, max(0.0, held[1] - now))
            readable, _, _ = select.select([rx], [], [], wait)
            if readable:
                frame, address = rx.recvfrom(65535)
                if address[2] == PACKET_OUTGOING or not is_vrrp(frame):
                    continue
                if held is None and random.random() * 100 < args.percent:
                    held = (frame, time.monotonic() + args.max_hold_ms / 1000)
                    counts['held'] += 1
                    continue
                forward(frame)
                counts['passed'] += 1
                if held is not None:
                    # The held advert goes right after a newer one: the segment sees them reordered.
                    forward(held[0])
                    counts['overtaken'] += 1
                    held = None
            if held is not None and time.monotonic() >= held[1]:
                forward(held[0])
                held = None
    finally:
        if held is not None:
            forward(held[0])


if __name__ == '__main__':
    main()
