"""(b) `edge-rtr-ham-01.log`: the Hamburg WAN edge router's syslog, congested by the QoS rework
(see the package docstring)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from backline.demo.logs.common import (
    AWX,
    NTP,
    OXIDIZED,
    Lines,
    ReferenceTimes,
    Rhythm,
    hour_floor,
    millis,
    naive_utc,
    poisson,
    ticks,
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Tunnel → (site, shaped rate in Mbit/s, how hard the QoS change hits its collaboration traffic).
_TUNNELS = {
    30: ("Munich", 500, 1.0),
    40: ("Leipzig", 300, 0.85),
    50: ("Rotterdam", 300, 0.55),
    60: ("Manchester", 200, 0.03),
}
# (tunnel, minutes after the collaboration ticket was opened): Munich's are the drops Rebecca Lin
# noted (09:12, 09:41, 10:05, 10:22, 11:05 local against 08:52), the others on Leipzig and
# Rotterdam.
_FLAPS = (
    (40, 12),
    (30, 20),
    (50, 37),
    (30, 49),
    (40, 58),
    (30, 73),
    (30, 90),
    (40, 101),
    (30, 133),
)
_FIRST_DROPS = timedelta(minutes=-22)  # "since about 08:30"
_QOS_COMMANDS = (
    "ip access-list extended BACKUP-REPL-LEJ",
    "permit tcp 10.10.0.0 0.0.255.255 10.40.0.0 0.0.255.255 eq 8443",
    "class-map match-any BACKUP-REPL",
    "match access-group name BACKUP-REPL-LEJ",
    "policy-map WAN-EDGE-CHILD",
    "class COLLAB-REALTIME",
    "no priority percent 30",
    "priority percent 10",
    "no class COLLAB-VIDEO",
    "class BACKUP-REPL",
    "bandwidth remaining percent 40",
    "class class-default",
    "fair-queue",
)
_ACL_SOURCES = (5, 23, 31, 45, 61, 77, 80, 89, 91, 103, 109, 141, 152, 162, 167, 185, 193, 194, 212)
_ACL_PORTS = (22, 23, 23, 445, 1433, 2323, 3389, 3389, 5060, 5900, 6379, 8080, 8443, 9200)


def _meetings(local: datetime) -> float:
    """How much of the office is in calls and meetings (0-1) on a working day."""
    h = local.hour + local.minute / 60
    if local.weekday() >= 5 or h < 8 or h >= 18:
        return 0.0
    if h < 9:
        return 0.4 + 0.6 * (h - 8)
    if h < 11.5:
        return 1.0
    if h < 13:
        return 0.55
    if h < 16:
        return 0.8
    return 0.45


class RouterLog:
    HOST = "edge-rtr-ham-01"

    def __init__(self, times: ReferenceTimes, rng: random.Random, rhythm: Rhythm) -> None:
        self.rng, self.rhythm = rng, rhythm
        self.opened = naive_utc(times.case_b_start)
        self.start = hour_floor(self.opened - timedelta(days=2))
        self.end = self.opened + timedelta(hours=3)
        qos = times.qos_change_at
        self.qos = naive_utc(qos) if qos else self.opened - timedelta(hours=12, minutes=45)
        self.replication = self.qos + timedelta(hours=2)  # the new backup replication to Leipzig
        self.first_drop = self.opened + _FIRST_DROPS
        self.out = Lines(self.start, self.end)
        self.drops: dict[tuple[str, int], int] = {}  # (interface, minute index) → packets

    def log(self, at: datetime, message: str) -> None:
        self.out.add(at, message)

    def build(self) -> list[str]:
        self.qos_drops()
        self.flaps()
        self.interface_stats()
        self.acl()
        self.logins()
        self.the_change()
        self.odds_and_ends()
        rng = self.rng
        seq = rng.randint(183_000, 190_000)
        lines = []
        for at, message in self.out.ordered(rng, rng.randint(700, 900)):
            seq += 1
            received = at + timedelta(milliseconds=rng.uniform(0.5, 3))
            lines.append(
                f"{_MONTHS[received.month - 1]} {received.day:>2} {received:%H:%M:%S} {self.HOST} "
                f"{seq}: {_MONTHS[at.month - 1]} {at.day:>2} {at:%H:%M:%S}.{millis(at)} UTC: "
                f"{message}"
            )
        return lines

    def minute(self, at: datetime) -> int:
        return int((at - self.start).total_seconds() // 60)

    def drop(self, at: datetime, interface: str, packets: int) -> None:
        key = (interface, self.minute(at))
        self.drops[key] = self.drops.get(key, 0) + packets

    def qos_drops(self) -> None:
        """The QoS watch (an EEM policy) reports classes that dropped in the last minute: the
        backup replication's class at night after the change, the collaboration real-time class
        and class-default (where video went) once the offices start their meetings."""
        rng = self.rng
        for at in ticks(self.start, self.end, timedelta(minutes=1)):
            at = at + timedelta(seconds=17, milliseconds=rng.uniform(0, 400))
            if at >= self.replication and rng.random() < 0.3:
                packets = rng.randint(300, 4200)
                self.drop(at, "Tunnel40", packets)
                self.log(
                    at,
                    f"%QOS-4-QLIMIT_DROPS: Tunnel40 output policy WAN-EDGE-OUT class "
                    f"BACKUP-REPL: {packets} packets tail-dropped in last 60 s (queue limit "
                    "64 packets)",
                )
            if at < self.first_drop:
                continue
            load = max(_meetings(self.rhythm.local(at)), 0.4)
            first = at - self.first_drop < timedelta(minutes=1)
            for tunnel, (_site, mbps, hit) in _TUNNELS.items():
                if not (first and tunnel == 30) and rng.random() > hit * load * 0.8:
                    continue
                interface = f"Tunnel{tunnel}"
                rate = mbps * 0.1
                offered = rate * rng.uniform(1.15, 1.6)
                packets = int((offered - rate) * 1e6 / 8 / 1100 * rng.uniform(6, 40))
                self.drop(at, interface, packets)
                self.log(
                    at + timedelta(milliseconds=tunnel / 10),
                    f"%QOS-4-CLASS_DROPS: {interface} output policy WAN-EDGE-OUT class "
                    f"COLLAB-REALTIME: {packets} packets dropped in last 60 s (priority 10 "
                    f"percent, offered {offered:.1f} Mbps, police {rate:.1f} Mbps)",
                )
                if rng.random() < 0.6:
                    packets = rng.randint(2000, 26000)
                    self.drop(at, interface, packets)
                    self.log(
                        at + timedelta(milliseconds=tunnel / 10 + 1),
                        f"%QOS-4-QLIMIT_DROPS: {interface} output policy WAN-EDGE-OUT class "
                        f"class-default: {packets} packets tail-dropped in last 60 s (queue "
                        "limit 64 packets)",
                    )
            if rng.random() < 0.7 * load:  # the Hamburg office itself, at the internet breakout
                packets = rng.randint(200, 5000)
                self.drop(at, "GigabitEthernet0/0/0", packets)
                self.log(
                    at + timedelta(milliseconds=8),
                    "%QOS-4-CLASS_DROPS: GigabitEthernet0/0/0 output policy INTERNET-EDGE-OUT "
                    f"class COLLAB-REALTIME: {packets} packets dropped in last 60 s (priority 10 "
                    f"percent, offered {rng.uniform(110, 160):.1f} Mbps, police 100.0 Mbps)",
                )

    def flaps(self) -> None:
        """Control traffic starves on the congested tunnels: BFD, BGP and the tunnel's line
        protocol go down for half a minute and come back."""
        rng = self.rng
        for tunnel, minutes in _FLAPS:
            at = self.opened + timedelta(minutes=minutes, seconds=rng.uniform(-25, 5))
            peer = f"10.255.{tunnel}.2"
            ld, handle = 4067 + tunnel, tunnel // 10 - 2
            outage = rng.uniform(25, 48)
            self.log(
                at,
                f"%BFD-6-BFD_SESS_DOWN: BFD-SYSLOG: BFD session ld:{ld} handle:{handle},is going "
                "Down Reason: ECHO FAILURE",
            )
            self.log(
                at + timedelta(milliseconds=4),
                f"%BGP-5-NBR_RESET: Neighbor {peer} reset (BFD adjacency down)",
            )
            self.log(
                at + timedelta(milliseconds=6),
                f"%BGP-5-ADJCHANGE: neighbor {peer} Down BFD adjacency down",
            )
            self.log(
                at + timedelta(milliseconds=7),
                f"%BGP_SESSION-5-ADJCHANGE: neighbor {peer} IPv4 Unicast topology base removed "
                "from session  BFD adjacency down",
            )
            down = at + timedelta(seconds=rng.uniform(21, 24))
            self.log(
                down,
                f"%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel{tunnel}, changed state "
                "to down",
            )
            up = at + timedelta(seconds=outage)
            self.log(
                up,
                f"%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel{tunnel}, changed state "
                "to up",
            )
            self.log(
                up + timedelta(seconds=rng.uniform(0.8, 2)),
                f"%BFD-6-BFD_SESS_UP: BFD-SYSLOG: BFD session ld:{ld} handle:{handle} is going UP",
            )
            self.log(
                up + timedelta(seconds=rng.uniform(6, 12)), f"%BGP-5-ADJCHANGE: neighbor {peer} Up"
            )

    def interface_stats(self) -> None:
        """An EEM applet logs the rates and drops of the uplinks and tunnels every two minutes."""
        rng = self.rng
        interfaces = [
            ("GigabitEthernet0/0/0", "INTERNET", 1000, 0.35),
            ("GigabitEthernet0/0/1", "LAN core-sw-ham-01", 10000, 0.08),
            ("GigabitEthernet0/0/2", "WAN Telekom", 1000, 0.4),
            *((f"Tunnel{t}", f"WAN {site}", mbps, 0.45) for t, (site, mbps, _) in _TUNNELS.items()),
        ]
        for at in ticks(self.start, self.end, timedelta(minutes=2)):
            busy = self.rhythm.office(at)
            for n, (interface, label, mbps, share) in enumerate(interfaces):
                when = at + timedelta(seconds=5, milliseconds=n * 3 + rng.uniform(0, 2))
                load = mbps * share * (0.06 + 0.9 * busy) * rng.uniform(0.85, 1.15)
                out = load * rng.uniform(0.45, 0.8)
                if interface == "Tunnel40" and at >= self.replication:
                    out += 160 * rng.uniform(0.9, 1.05)
                if interface == "GigabitEthernet0/0/2" and at >= self.replication:
                    out += 160 * rng.uniform(0.9, 1.05)
                m = self.minute(at)
                drops = sum(self.drops.get((interface, m + k), 0) for k in (-2, -1))
                if drops > 5000:  # congested: sending at the shaped rate
                    out = mbps * rng.uniform(0.94, 0.995)
                elif at >= self.first_drop and interface in ("Tunnel30", "Tunnel40", "Tunnel50"):
                    out = max(out, mbps * rng.uniform(0.72, 0.9))  # busy between the bursts
                self.log(
                    when,
                    f"%HA_EM-6-LOG: IFSTATS: {interface} ({label}) in {load:.1f} Mbps out "
                    f"{min(out, mbps):.1f} Mbps, output drops {drops}, input errors 0",
                )

    def acl(self) -> None:
        rng = self.rng
        for at in poisson(rng, self.start, self.end, lambda t: 240, 240):
            src = (
                ".".join(
                    str(n)
                    for n in (rng.choice(_ACL_SOURCES), rng.randint(1, 254), rng.randint(0, 255))
                )
                + f".{rng.randint(1, 254)}"
            )
            proto = "udp" if rng.random() < 0.15 else "tcp"
            port = 5060 if proto == "udp" else rng.choice(_ACL_PORTS)
            packets = 1 if rng.random() < 0.8 else rng.randint(2, 40)
            self.log(
                at,
                f"%FMANFP-6-IPACCESSLOGP: SIP0: fman_fp_image: list INTERNET-IN denied {proto} "
                f"{src}({rng.randint(1024, 65535)}) -> 203.0.113.{rng.choice((2, 10, 12, 25))}"
                f"({port}), {packets} packet{'s' if packets > 1 else ''}",
            )

    def session(self, at: datetime, user: str, source: str, length: timedelta) -> None:
        tty = self.out.ident("tty")
        self.log(
            at,
            f"%SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: {user}] [Source: {source}] "
            f"[localport: 22] at {at:%H:%M:%S} UTC {at:%a} {_MONTHS[at.month - 1]} {at.day} "
            f"{at.year}",
        )
        self.log(at + length, f"%SYS-6-LOGOUT: User {user} has exited tty session {tty}({source})")

    def configured(
        self, at: datetime, user: str, source: str, commands: tuple[str, ...]
    ) -> datetime:
        rng = self.rng
        t = at
        for command in commands:
            t += timedelta(milliseconds=rng.uniform(60, 400))
            self.log(t, f"%PARSER-5-CFGLOG_LOGGEDCMD: User:{user}  logged command:{command}")
        t += timedelta(seconds=rng.uniform(1, 3))
        self.log(t, f"%SYS-5-CONFIG_I: Configured from console by {user} on vty0 ({source})")
        t += timedelta(seconds=rng.uniform(2, 5))
        self.log(t, "%SYS-6-PRIVCFG_ENCRYPT_SUCCESS: Successfully encrypted private config file")
        return t

    def logins(self) -> None:
        """Oxidized backs the configuration up every hour; an engineer changes the ACL on the
        first morning."""
        rng = self.rng
        for at in ticks(self.start + timedelta(minutes=7), self.end, timedelta(hours=1)):
            self.session(
                at + timedelta(seconds=rng.uniform(0, 40)),
                "oxidized",
                OXIDIZED,
                timedelta(seconds=rng.uniform(4, 9)),
            )
        local = self.rhythm.local(self.start)
        work = datetime.combine(local.date() + timedelta(days=1), time(10, 31))
        at = naive_utc(work.replace(tzinfo=self.rhythm.tz)) + timedelta(seconds=rng.uniform(0, 59))
        self.session(at, "ogrant", "10.20.5.101", timedelta(minutes=rng.uniform(12, 16)))
        self.configured(
            at + timedelta(minutes=6),
            "ogrant",
            "10.20.5.101",
            (
                "ip access-list extended INTERNET-IN",
                "permit tcp host 198.51.100.24 host 203.0.113.12 eq 22",
            ),
        )

    def the_change(self) -> None:
        """The QoS rework, pushed by the AWX playbook network-qos."""
        rng = self.rng
        at = self.qos + timedelta(minutes=2, seconds=rng.uniform(0, 30))
        self.session(at, "awx-netops", AWX, timedelta(minutes=3, seconds=rng.uniform(0, 20)))
        self.configured(at + timedelta(seconds=4), "awx-netops", AWX, _QOS_COMMANDS)

    def odds_and_ends(self) -> None:
        rng = self.rng
        for at in poisson(rng, self.start, self.end, lambda t: 0.15, 0.15):
            self.log(
                at, "%SNMP-3-AUTHFAIL: Authentication failure for SNMP req from host 10.20.9.17"
            )
        for day in range(3):
            at = self.start + timedelta(days=day, hours=rng.uniform(0, 23))
            self.log(
                at,
                "%SMART_LIC-6-AUTH_RENEW_SUCCESS: Authorization renewal with the Cisco Smart "
                "Software Manager or satellite. State=Authorized for udi "
                "PID:ISR4451-X/K9,SN:FGL2231A0BX",
            )
        at = self.start + timedelta(hours=rng.uniform(3, 20))
        self.log(at, f"%NTP-4-PEERUNREACH: Peer {NTP} is unreachable")
        self.log(
            at + timedelta(minutes=rng.uniform(8, 20)),
            f"%NTP-6-PEERREACH: Peer {NTP} is reachable",
        )
        for _ in range(2):  # the lab switch on the spare port, rebooted
            at = self.start + timedelta(hours=rng.uniform(4, 30))
            port = "GigabitEthernet0/1/3"
            self.log(at, f"%LINK-3-UPDOWN: Interface {port}, changed state to down")
            self.log(
                at + timedelta(seconds=1),
                f"%LINEPROTO-5-UPDOWN: Line protocol on Interface {port}, changed state to down",
            )
            up = at + timedelta(seconds=rng.uniform(40, 90))
            self.log(up, f"%LINK-3-UPDOWN: Interface {port}, changed state to up")
            self.log(
                up + timedelta(seconds=1),
                f"%LINEPROTO-5-UPDOWN: Line protocol on Interface {port}, changed state to up",
            )
