"""The CMDB estate of Hartwell Supply: about 300 configuration items behind the twelve services.

The 52 items of `text.ITEMS` (the ones tickets and knowledge articles name) keep their names and
descriptions and get their attributes, environment and criticality here; the rest of the estate
is generated from compact rules: the Hamburg data centre (hardware, hypervisors, storage, data
centre switches), the network of each site (edge router, core and access switches, firewall,
LAN, Wi-Fi, printers), an application stack per business service (production, staging and test
servers, databases and their configuration, integrations with their credentials, certificates,
batch jobs) and the cloud tenants with their resources.

The dependency graph reads "source relies on target" and follows how the company works:
applications run on servers and depend on databases, integrations and certificates; virtual
servers run on hypervisors, which run on hardware and connect to the data-centre switches;
branch sites reach Hamburg through edge router → WAN link → the Hamburg edge routers, each
edge router depending on the QoS policy; integrations depend on their tokens. The chains behind
the reference cases:

- (a) crm-app-01 → crm-db-01 → crm-db-01 configuration (two hops to the parameter change).
- (b) Collaboration platform tenant → Internet breakout Hamburg → edge-rtr-ham-0x → QoS policy.
- (c) Shop-to-ERP order integration → ERP API credential for the order integration, which
  expires on the day the case starts.

Everything is decided by the `random.Random` passed in (serial numbers, IP addresses, which
hypervisor a server runs on), so a seed gives the same estate. Rows are bulk-inserted in the
shapes `cmdb.services.item_create` and `dependency_add` write (attributes checked with
`cmdb.rules.validate_attributes`, one `CmdbEvent` per item and per edge, `actor=None`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Model

from backline.accounts.models import Team
from backline.cmdb import rules
from backline.cmdb.choices import CiStatus, Criticality, DependencyKind, Environment
from backline.cmdb.models import CiType, CmdbEvent, ConfigurationItem, Dependency, Service
from backline.core.errors import DomainError
from backline.demo import text as T

AS, NI, DB, OPS, SEC, ENG, SD = T.AS, T.NI, T.DB, T.OPS, T.SEC, T.ENG, T.SD
PROD, STAGING, TEST = Environment.PRODUCTION, Environment.STAGING, Environment.TEST
RUNS, DEPENDS, CONNECTS = (
    DependencyKind.RUNS_ON,
    DependencyKind.DEPENDS_ON,
    DependencyKind.CONNECTS_TO,
)
CRIT, HIGH, MED, LOW = Criticality.CRITICAL, Criticality.HIGH, Criticality.MEDIUM, Criticality.LOW
LOCAL = "hartwell.local"
WEB = T.DOMAIN

# Criticality of a service's production items (staging and test items are low).
SERVICE_CRITICALITY = {
    "CRM": HIGH,
    "Collaboration Platform": HIGH,
    "eCommerce": CRIT,
    "ERP": CRIT,
    "Email": HIGH,
    "VPN": HIGH,
    "HR Portal": MED,
    "Data Warehouse": MED,
    "Identity & Access": CRIT,
    "Corporate Network": CRIT,
    "Workplace Devices": MED,
    "File & Print": LOW,
}
# Site → (code, LAN octet, access switches, printers).
SITES = {
    "Hamburg": ("ham", 20, 14, 10),
    "Munich": ("muc", 30, 5, 5),
    "Leipzig": ("lej", 40, 6, 6),
    "Rotterdam": ("rtm", 50, 4, 4),
    "Manchester": ("man", 60, 3, 2),
}
LINUX = ("Ubuntu 22.04 LTS", "Ubuntu 24.04 LTS", "Red Hat Enterprise Linux 9.4")
WINDOWS = "Windows Server 2022"
SERVICE_ID = "service:"  # a dependency target naming a service rather than a CI


@dataclass
class Item:
    name: str
    ci_type: str
    service: str | None
    owner: str
    environment: str = PROD
    criticality: int = MED
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    expires_at: date | None = None
    status: str = CiStatus.ACTIVE


@dataclass
class Plan:
    """The estate as data: items by name and edges (source, kind, target name)."""

    items: dict[str, Item] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)


class _Builder:
    def __init__(self, rng: random.Random, today: date, token_expiry: date) -> None:
        self.rng, self.today, self.token_expiry = rng, today, token_expiry
        self.plan = Plan()
        self.original = {name: (t, s, o, d) for name, t, s, o, d in T.ITEMS}
        self._ip: dict[int, int] = {}

    # -- helpers

    def ci(
        self,
        name: str,
        ci_type: str,
        service: str | None,
        owner: str,
        description: str = "",
        *,
        env: str = PROD,
        crit: int | None = None,
        expires: date | None = None,
        status: str = CiStatus.ACTIVE,
        **attributes: Any,
    ) -> str:
        if name in self.original:  # one of text.ITEMS: its type, service, owner and text win
            ci_type, service, owner, description = self.original[name]
            ci_type = ci_type.replace(" ", "-")
        if crit is None:
            crit = SERVICE_CRITICALITY.get(service or "", MED) if env == PROD else LOW
        self.plan.items[name] = Item(
            name,
            ci_type,
            service,
            owner,
            env,
            crit,
            description,
            {k: v for k, v in attributes.items() if v is not None},
            expires,
            status,
        )
        return name

    def dep(self, source: str, kind: str, *targets: str) -> None:
        for target in targets:
            self.plan.edges.append((source, kind, target))

    def ip(self, net: int) -> str:
        self._ip[net] = self._ip.get(net, 10) + 1
        return f"10.{net}.0.{self._ip[net]}"

    def serial(self, prefix: str) -> str:
        return f"{prefix}{self.rng.randrange(10**6, 10**7)}"

    def days(self, low: int, high: int) -> date:
        return self.today + timedelta(days=self.rng.randint(low, high))

    def server(
        self,
        name: str,
        service: str | None,
        owner: str,
        description: str,
        *,
        env: str = PROD,
        os: str | None = None,
        cpus: int = 4,
        memory: float = 16,
        host: str | None = None,
    ) -> str:
        os = os or self.rng.choice(LINUX)
        self.ci(
            name,
            "server",
            service,
            owner,
            description,
            env=env,
            hostname=f"{name}.{LOCAL}",
            os=os,
            ip=self.ip(10 if env == PROD else 11),
            cpus=cpus,
            memory_gb=memory,
        )
        pool = self.hypervisors if env == PROD else self.hypervisors[-2:]
        self.dep(name, RUNS, host or self.rng.choice(pool))
        return name

    def database(
        self,
        name: str,
        service: str,
        engine: str,
        version: str,
        description: str,
        *,
        env: str = PROD,
        host: str,
    ) -> str:
        self.ci(
            name,
            "database",
            service,
            DB,
            description,
            env=env,
            engine=engine,
            version=version,
            host=f"{host}.{LOCAL}",
        )
        self.dep(name, RUNS, host)
        return name

    def certificate(
        self, subject: str, service: str | None, owner: str, *, expires: date, issuer: str = ""
    ) -> str:
        name = f"{subject} certificate"
        self.ci(
            name,
            "certificate",
            service,
            owner,
            f"TLS certificate for {subject}.",
            expires=expires,
            subject=f"CN={subject}",
            issuer=issuer or "Sectigo RSA Domain Validation Secure Server CA",
        )
        return name

    def credential(
        self,
        name: str,
        service: str | None,
        owner: str,
        description: str,
        *,
        system: str,
        expires: date,
        rotation: int = 365,
    ) -> str:
        self.ci(
            name,
            "credential",
            service,
            owner,
            description,
            expires=expires,
            system=system,
            rotation_days=rotation,
        )
        return name

    # -- the estate

    def build(self) -> Plan:
        self.datacentre()
        self.network()
        self.platforms()
        self.crm()
        self.collaboration()
        self.ecommerce()
        self.erp()
        self.office_services()
        self.identity_and_workplace()
        self.data_warehouse()
        self.tooling()
        missing = set(self.original) - set(self.plan.items)
        if missing:
            raise DomainError(f"text.ITEMS not placed in the estate: {sorted(missing)}")
        return self.plan

    def datacentre(self) -> None:
        self.ci(
            "ups-ham-01",
            "hardware",
            None,
            NI,
            "UPS A feed, Hamburg data centre.",
            crit=HIGH,
            model="APC Smart-UPS SRT 10kVA",
            serial=self.serial("AS"),
        )
        self.ci(
            "ups-ham-02",
            "hardware",
            None,
            NI,
            "UPS B feed, Hamburg data centre.",
            crit=HIGH,
            model="APC Smart-UPS SRT 10kVA",
            serial=self.serial("AS"),
        )
        self.ci(
            "core-sw-ham-01",
            "switch",
            "Corporate Network",
            NI,
            model="Cisco Catalyst 9500",
            site="Hamburg",
        )
        self.ci(
            "fw-ham-01",
            "firewall",
            "Corporate Network",
            SEC,
            model="Palo Alto PA-3220",
            site="Hamburg",
            firmware="PAN-OS 10.2.9",
        )
        self.ci(
            "Firewall rule base",
            "configuration",
            "Corporate Network",
            SEC,
            "Security policy of the firewalls, managed in Panorama; changed through a change "
            "request.",
            file="panorama/device-groups",
            managed_by="Panorama",
        )
        self.dep("fw-ham-01", DEPENDS, "Firewall rule base")
        self.dep("core-sw-ham-01", CONNECTS, "fw-ham-01")
        self.dep("core-sw-ham-01", DEPENDS, "ups-ham-01", "ups-ham-02")
        dc_switches = []
        for n in range(1, 5):
            name = self.ci(
                f"dc-sw-ham-{n:02d}",
                "switch",
                "Corporate Network",
                NI,
                "Data-centre top-of-rack switch, Hamburg.",
                model="Cisco Nexus 93180YC-FX",
                site="Hamburg DC",
            )
            self.dep(name, CONNECTS, "core-sw-ham-01")
            dc_switches.append(name)
        for n in (1, 2):
            name = self.ci(
                f"san-ham-{n:02d}",
                "appliance",
                None,
                NI,
                "All-flash storage for the virtual servers (synchronously mirrored).",
                crit=CRIT,
                model="NetApp AFF A400",
                site="Hamburg DC",
            )
            self.dep(name, CONNECTS, *dc_switches[2 * n - 2 : 2 * n])
            self.dep(name, DEPENDS, "ups-ham-01", "ups-ham-02")
        self.hypervisors = []
        for n in range(1, 9):
            box = self.ci(
                f"srv-hw-ham-{n:02d}",
                "hardware",
                None,
                NI,
                "Rack server in the Hamburg data centre.",
                crit=HIGH,
                model="Dell PowerEdge R750",
                serial=self.serial("DL"),
            )
            self.dep(box, DEPENDS, "ups-ham-01", "ups-ham-02")
            hv = self.ci(
                f"hv-ham-{n:02d}",
                "server",
                None,
                NI,
                "Hypervisor host" + (" (staging and test cluster)." if n > 6 else "."),
                crit=HIGH if n <= 6 else LOW,
                hostname=f"hv-ham-{n:02d}.{LOCAL}",
                os="VMware ESXi 8.0 U2",
                ip=self.ip(1),
                cpus=64,
                memory_gb=768,
            )
            self.dep(hv, RUNS, box)
            self.dep(hv, DEPENDS, f"san-ham-{1 + (n - 1) % 2:02d}")
            self.dep(hv, CONNECTS, dc_switches[(n - 1) % 4], dc_switches[n % 4])
            self.hypervisors.append(hv)
        self.ci(
            "Tape library",
            "hardware",
            None,
            OPS,
            "LTO-9 tape library for offsite copies.",
            crit=LOW,
            model="Quantum Scalar i3",
            serial=self.serial("QS"),
        )
        self.server("backup-01", None, OPS, "", os=WINDOWS, cpus=8, memory=32)
        self.dep("backup-01", CONNECTS, "Tape library")
        self.dep("backup-01", DEPENDS, "san-ham-02")
        self.ci(
            "Server base image Ubuntu",
            "software-image",
            None,
            OPS,
            "Hardened Ubuntu template for new virtual servers.",
            version="24.04.1-2025.03",
        )
        self.ci(
            "Server base image Windows",
            "software-image",
            None,
            NI,
            "Windows Server 2022 template with the agents.",
            version="2022-2025.02",
        )

    def network(self) -> None:
        self.ci(
            "QoS policy on edge routers",
            "configuration",
            "Corporate Network",
            NI,
            file="network-config/qos/edge-qos.cfg",
            managed_by="Ansible AWX",
        )
        self.ci(
            "Edge router base configuration",
            "configuration",
            "Corporate Network",
            NI,
            "Routing, NAT and management settings shared by all edge routers.",
            file="network-config/edge/base.cfg",
            managed_by="Ansible AWX",
        )
        self.ci(
            "Internet breakout Hamburg",
            "network-link",
            "Corporate Network",
            NI,
            provider="Telekom Deutschland",
            bandwidth_mbps=2000,
            sites="Hamburg",
        )
        self.ci(
            "wlc-ham-01",
            "appliance",
            "Corporate Network",
            NI,
            "Wireless LAN controller (primary) for all offices.",
            model="Cisco Catalyst 9800-40",
            site="Hamburg",
        )
        self.ci(
            "wlc-ham-02",
            "appliance",
            "Corporate Network",
            NI,
            "Wireless LAN controller (standby).",
            model="Cisco Catalyst 9800-40",
            site="Hamburg",
        )
        self.dep("wlc-ham-01", CONNECTS, "core-sw-ham-01")
        self.dep("wlc-ham-02", CONNECTS, "core-sw-ham-01")
        self.ci("Office Wi-Fi", "network", "Corporate Network", NI, site="All offices")
        self.dep("Office Wi-Fi", DEPENDS, "wlc-ham-01", "wlc-ham-02")
        for n in (1, 2):
            rtr = self.ci(
                f"edge-rtr-ham-{n:02d}",
                "router",
                "Corporate Network",
                NI,
                model="Cisco ISR 4451",
                site="Hamburg",
                firmware="IOS XE 17.9.4a",
            )
            self.dep(rtr, DEPENDS, "QoS policy on edge routers", "Edge router base configuration")
            self.dep(rtr, CONNECTS, "core-sw-ham-01")
        self.dep(
            "Internet breakout Hamburg", CONNECTS, "fw-ham-01", "edge-rtr-ham-01", "edge-rtr-ham-02"
        )
        links = {
            "Munich": ("Telekom Deutschland", 500),
            "Leipzig": ("Telekom Deutschland", 300),
            "Rotterdam": ("KPN", 300),
            "Manchester": ("BT", 200),
        }
        for site, (code, _octet, access, printers) in SITES.items():
            lan = self.ci(
                f"LAN {site}",
                "network",
                "Corporate Network",
                NI,
                f"Office LAN of {site} (user, voice and printer VLANs).",
                site=site,
            )
            core = f"core-sw-{code}-01"
            if site != "Hamburg":
                provider, bandwidth = links[site]
                link = self.ci(
                    f"WAN link Hamburg-{site}",
                    "network-link",
                    "Corporate Network",
                    NI,
                    provider=provider,
                    bandwidth_mbps=bandwidth,
                    sites=f"Hamburg, {site}",
                )
                self.dep(link, CONNECTS, "edge-rtr-ham-01", "edge-rtr-ham-02")
                rtr = self.ci(
                    f"edge-rtr-{code}-01",
                    "router",
                    "Corporate Network",
                    NI,
                    f"Edge router {site} office.",
                    model="Cisco ISR 4331" if bandwidth < 500 else "Cisco ISR 4451",
                    site=site,
                    firmware="IOS XE 17.9.4a",
                )
                self.dep(rtr, CONNECTS, link)
                self.dep(
                    rtr, DEPENDS, "QoS policy on edge routers", "Edge router base configuration"
                )
                if site in ("Munich", "Leipzig"):
                    lte = self.ci(
                        f"LTE backup {site}",
                        "network-link",
                        "Corporate Network",
                        NI,
                        f"LTE backup for the {site} WAN link.",
                        provider="Vodafone",
                        bandwidth_mbps=100,
                        sites=site,
                    )
                    self.dep(rtr, CONNECTS, lte)
                self.ci(
                    core,
                    "switch",
                    "Corporate Network",
                    NI,
                    f"Core switch, {site} office.",
                    model="Cisco Catalyst 9300-48P",
                    site=site,
                )
                fw = self.ci(
                    f"fw-{code}-01",
                    "firewall",
                    "Corporate Network",
                    SEC,
                    f"Branch firewall, {site}.",
                    model="Palo Alto PA-440",
                    site=site,
                    firmware="PAN-OS 10.2.9",
                )
                self.dep(fw, DEPENDS, "Firewall rule base")
                self.dep(core, CONNECTS, rtr, fw)
                ups = self.ci(
                    f"ups-{code}-01",
                    "hardware",
                    "Corporate Network",
                    NI,
                    f"UPS for the network rack, {site}.",
                    crit=MED,
                    model="APC Smart-UPS 3000",
                    serial=self.serial("AS"),
                )
                self.dep(core, DEPENDS, ups)
                self.dep(rtr, DEPENDS, ups)
            self.dep(lan, DEPENDS, core)
            wifi = self.ci(
                f"Wi-Fi {site}",
                "network",
                "Corporate Network",
                NI,
                f"Access points and SSIDs in the {site} office.",
                site=site,
            )
            self.dep(wifi, DEPENDS, "Office Wi-Fi", lan)
            for n in range(1, access + 1):
                sw = self.ci(
                    f"access-sw-{code}-{n:02d}",
                    "switch",
                    "Corporate Network",
                    NI,
                    f"Access switch floor {1 + (n - 1) // 2}, {site}.",
                    crit=MED,
                    model="Cisco Catalyst 9200-48P",
                    site=site,
                )
                self.dep(sw, CONNECTS, core)
            for n in range(1, printers + 1):
                prn = self.ci(
                    f"PRN-{code.upper()}-{1 + (n - 1) // 2}F-{n:02d}",
                    "hardware",
                    "File & Print",
                    NI,
                    f"Office printer, {site}.",
                    model=self.rng.choice(("Kyocera TASKalfa 4054ci", "HP Color LaserJet M480f")),
                    serial=self.serial("PR"),
                )
                self.dep(prn, DEPENDS, "print-srv-01")
                self.dep(prn, CONNECTS, f"access-sw-{code}-01")
        self.ci(
            "Desk phones", "hardware", "Workplace Devices", NI, model="Yealink T54W", serial="fleet"
        )
        self.dep("Desk phones", DEPENDS, "LAN Hamburg")

    def platforms(self) -> None:
        self.ci(
            "Cloud subscription hartwell-prod",
            "cloud-tenant",
            None,
            OPS,
            "Production cloud subscription: shop media, CDN, DNS, backups offsite.",
            crit=CRIT,
            provider="Azure",
            tenant_id="4f6c1e2a-hartwell-prod",
        )
        self.ci(
            "Cloud subscription hartwell-dev",
            "cloud-tenant",
            None,
            OPS,
            "Development and test subscription.",
            env=TEST,
            provider="Azure",
            tenant_id="9b2d7c31-hartwell-dev",
        )
        for name, service, desc, rid in (
            (
                "Shop CDN",
                "eCommerce",
                "CDN in front of shop.hartwell-supply.example.",
                "cdn-shop-prod",
            ),
            ("Shop media storage", "eCommerce", "Product images and documents.", "stshopmedia"),
            ("DNS zone hartwell-supply.example", None, "Public DNS zone.", "dns-hartwell"),
            (
                "Offsite backup storage",
                None,
                "Immutable copies of the nightly backups.",
                "stbackupoffsite",
            ),
            ("Key vault prod", None, "Secrets of the production integrations.", "kv-hartwell-prod"),
            ("Log archive storage", None, "Central log archive (13 months).", "stlogarchive"),
            ("Container registry", None, "Images of the shop and the integrations.", "crhartwell"),
        ):
            self.ci(
                name,
                "cloud-resource",
                service,
                OPS,
                desc,
                provider="Azure",
                region="West Europe",
                resource_id=rid,
            )
            self.dep(name, RUNS, "Cloud subscription hartwell-prod")
        self.dep("backup-01", CONNECTS, "Offsite backup storage")
        self.ci("k8s-prod", "platform", None, OPS, version="1.29.6")
        self.ci(
            "k8s-staging",
            "platform",
            None,
            OPS,
            "Staging Kubernetes cluster.",
            env=STAGING,
            version="1.30.2",
        )
        for n in range(1, 7):
            node = self.server(
                f"k8s-prod-node-{n:02d}",
                None,
                OPS,
                "Production Kubernetes worker node.",
                os="Ubuntu 22.04 LTS",
                cpus=16,
                memory=64,
            )
            self.dep("k8s-prod", RUNS, node)
        for n in range(1, 4):
            node = self.server(
                f"k8s-stg-node-{n:02d}",
                None,
                OPS,
                "Staging Kubernetes worker node.",
                env=STAGING,
                os="Ubuntu 22.04 LTS",
                cpus=8,
                memory=32,
            )
            self.dep("k8s-staging", RUNS, node)
        self.dep("k8s-prod", DEPENDS, "Container registry")
        self.ci(
            "Integration middleware",
            "platform",
            None,
            ENG,
            "Runs the integration flows between the shop, ERP, CRM and partners.",
            crit=CRIT,
            version="4.6.2",
        )
        self.dep("Integration middleware", RUNS, "k8s-prod")
        self.dep("Integration middleware", DEPENDS, "Key vault prod")
        self.ci(
            "api-gw-01",
            "platform",
            None,
            OPS,
            "API gateway in front of the CRM and ERP APIs (timeout 120 s).",
            crit=HIGH,
            version="Kong 3.6",
        )
        self.dep("api-gw-01", RUNS, "k8s-prod")
        self.ci(
            "Monitoring platform",
            "platform",
            None,
            OPS,
            "Metrics, alerting and the monitoring tickets.",
            crit=HIGH,
            version="Zabbix 7.0",
        )
        self.dep(
            "Monitoring platform",
            RUNS,
            self.server("mon-01", None, OPS, "Monitoring server.", cpus=8, memory=32),
        )
        self.ci(
            "Log platform",
            "platform",
            None,
            OPS,
            "Central logging and search.",
            version="OpenSearch 2.13",
        )
        self.dep("Log platform", RUNS, "k8s-prod")
        self.dep("Log platform", DEPENDS, "Log archive storage")
        for n in (1, 2):
            lb = self.ci(
                f"lb-ham-{n:02d}",
                "appliance",
                None,
                NI,
                "Load balancer (active/standby) for the internal web applications.",
                crit=CRIT,
                model="F5 BIG-IP i5800",
                site="Hamburg DC",
            )
            self.dep(lb, CONNECTS, "dc-sw-ham-01", "dc-sw-ham-02", "fw-ham-01")
            self.dep(lb, DEPENDS, f"*.{WEB} certificate")
        self.certificate(
            f"*.{WEB}",
            None,
            SEC,
            expires=self.days(5, 9),
            issuer="DigiCert Global G2 TLS RSA SHA256 2020 CA1",
        )
        for n in (1, 2, 3, 4):
            self.server(
                f"pg-ham-{n:02d}", None, DB, "PostgreSQL database server.", cpus=16, memory=128
            )
        self.server(
            "pg-stg-01",
            None,
            DB,
            "PostgreSQL server for staging and test.",
            env=STAGING,
            cpus=8,
            memory=32,
        )
        self.server(
            "sql-ham-01", None, DB, "SQL Server for ERP (primary).", os=WINDOWS, cpus=24, memory=256
        )
        self.server(
            "sql-ham-02",
            None,
            DB,
            "SQL Server for ERP (reporting replica).",
            os=WINDOWS,
            cpus=16,
            memory=128,
        )

    def crm(self) -> None:
        s = "CRM"
        for n in (1, 2):
            self.server(f"crm-app-{n:02d}", s, AS, "", cpus=8, memory=32)
            self.dep(f"crm-app-{n:02d}", DEPENDS, "crm-db-01")
        self.database("crm-db-01", s, "postgresql", "15.6", "", host="pg-ham-01")
        self.ci(
            "crm-db-01 configuration",
            "configuration",
            s,
            DB,
            file="/etc/postgresql/15/main/postgresql.conf",
            managed_by="Ansible AWX",
        )
        self.dep("crm-db-01", DEPENDS, "crm-db-01 configuration")
        self.database(
            "crm-db-02",
            s,
            "postgresql",
            "15.6",
            "Streaming replica of crm-db-01 (reporting reads, failover).",
            host="pg-ham-02",
        )
        self.dep("crm-db-02", CONNECTS, "crm-db-01")
        self.ci(
            "CRM web application",
            "application",
            s,
            AS,
            "The CRM web front end (accounts, opportunities, activities).",
            version="4.2.2",
            url=f"https://crm.{WEB}",
            vendor="Corvid Software",
        )
        self.dep("CRM web application", RUNS, "crm-app-01", "crm-app-02")
        self.dep("CRM web application", DEPENDS, f"crm.{WEB} certificate", "lb-ham-01")
        self.dep("CRM web application", DEPENDS, SERVICE_ID + "Identity & Access")
        self.certificate(f"crm.{WEB}", s, SEC, expires=self.days(120, 300))
        self.ci(
            "CRM reporting service", "application", s, AS, version="4.2.2", vendor="Corvid Software"
        )
        self.dep("CRM reporting service", RUNS, "crm-app-01", "crm-app-02")
        self.dep("CRM reporting service", DEPENDS, "crm-db-01", "api-gw-01")
        self.ci(
            "CRM Outlook add-in", "application", s, AS, version="4.8.2", vendor="Corvid Software"
        )
        self.dep("CRM Outlook add-in", DEPENDS, "CRM web application")
        self.ci(
            "CRM report cache refresh",
            "batch-job",
            s,
            AS,
            "Pre-computes the dashboard figures every night.",
            schedule="02:30 daily",
            host="crm-app-02",
        )
        self.dep("CRM report cache refresh", RUNS, "crm-app-02")
        self.dep("CRM report cache refresh", DEPENDS, "crm-db-01")
        self.ci(
            "CRM-to-ERP customer sync",
            "integration",
            s,
            AS,
            "Pushes new and changed customer accounts from CRM to ERP every 15 minutes.",
            endpoint=f"https://erp-api.{WEB}/v2/customers",
            protocol="REST/JSON",
        )
        self.credential(
            "CRM integration user token",
            s,
            AS,
            "OAuth client secret of the CRM integration user INT_CRM.",
            system="ERP",
            expires=self.days(150, 240),
        )
        self.dep("CRM-to-ERP customer sync", RUNS, "Integration middleware")
        self.dep("CRM-to-ERP customer sync", DEPENDS, "CRM integration user token")
        self.dep("CRM-to-ERP customer sync", CONNECTS, "crm-db-02", "ERP application")
        self.server("crm-app-stg-01", s, AS, "CRM staging application server.", env=STAGING)
        self.database(
            "crm-db-stg-01",
            s,
            "postgresql",
            "15.6",
            "CRM staging database.",
            env=STAGING,
            host="pg-stg-01",
        )
        self.dep("crm-app-stg-01", DEPENDS, "crm-db-stg-01")
        self.server("crm-app-tst-01", s, AS, "CRM test server for customisations.", env=TEST)

    def collaboration(self) -> None:
        s = "Collaboration Platform"
        self.ci(
            "Collaboration platform tenant",
            "cloud-tenant",
            s,
            AS,
            provider="Collaboration cloud (SaaS)",
            tenant_id="hartwell-supply.onmicrosoft.example",
        )
        self.dep("Collaboration platform tenant", CONNECTS, "Internet breakout Hamburg")
        self.ci(
            "Meeting room video systems", "hardware", s, NI, model="Poly Studio X50", serial="fleet"
        )
        self.dep("Meeting room video systems", CONNECTS, *(f"LAN {site}" for site in SITES))
        self.dep("Meeting room video systems", DEPENDS, "Collaboration platform tenant")
        self.ci(
            "sbc-ham-01",
            "appliance",
            s,
            NI,
            "Session border controller: the Customer Service phone queues to the carrier.",
            model="AudioCodes Mediant 800",
            site="Hamburg",
        )
        self.dep("sbc-ham-01", CONNECTS, "fw-ham-01", "Collaboration platform tenant")
        self.dep(
            "sbc-ham-01", DEPENDS, self.certificate(f"sbc.{WEB}", s, NI, expires=self.days(60, 200))
        )
        self.ci(
            "Call queue configuration",
            "configuration",
            s,
            AS,
            "Customer Service call queues, opening hours and overflow rules.",
            managed_by="Collaboration admin centre",
        )
        self.dep("Collaboration platform tenant", DEPENDS, "Call queue configuration")
        self.ci(
            "Collaboration directory sync",
            "integration",
            s,
            NI,
            "Provisions users and groups from the directory into the tenant (SCIM).",
            endpoint="https://scim.collab.example/v2",
            protocol="SCIM 2.0",
        )
        self.credential(
            "SCIM provisioning token",
            s,
            NI,
            "Bearer token the directory sync uses against the tenant.",
            system="Collaboration platform",
            expires=self.days(10, 13),
            rotation=180,
        )
        self.dep(
            "Collaboration directory sync",
            DEPENDS,
            "SCIM provisioning token",
            "Directory domain controllers",
        )
        self.dep("Collaboration platform tenant", DEPENDS, "Collaboration directory sync")
        self.dep("Desk phones", DEPENDS, "sbc-ham-01")

    def ecommerce(self) -> None:
        s = "eCommerce"
        self.ci(
            "eCommerce platform",
            "application",
            s,
            AS,
            version="2025.3.1",
            url=f"https://shop.{WEB}",
            vendor="in-house",
        )
        for n in (1, 2, 3):
            name = f"shop-web-{n:02d}"
            self.ci(
                name,
                "server",
                s,
                OPS,
                "Shop web node (Kubernetes worker pool)." if n == 3 else "",
                hostname=f"{name}.{LOCAL}",
                os="Ubuntu 22.04 LTS",
                ip=self.ip(10),
                cpus=8,
                memory_gb=32,
            )
            self.dep(name, RUNS, "k8s-prod")
            self.dep("eCommerce platform", RUNS, name)
        self.database("shop-db-01", s, "postgresql", "16.2", "", host="pg-ham-03")
        self.ci(
            "shop-db-01 configuration",
            "configuration",
            s,
            DB,
            "postgresql.conf of the shop database.",
            file="/etc/postgresql/16/main/postgresql.conf",
            managed_by="Ansible AWX",
        )
        self.dep("shop-db-01", DEPENDS, "shop-db-01 configuration")
        self.database(
            "shop-cache-01",
            s,
            "other",
            "Redis 7.2",
            "Session and basket cache.",
            host="k8s-prod-node-04",
        )
        self.server("shop-search-01", s, OPS, "Product search (OpenSearch).", cpus=8, memory=32)
        self.certificate(f"shop.{WEB}", s, SEC, expires=self.days(35, 50))
        self.dep(
            "eCommerce platform",
            DEPENDS,
            "shop-db-01",
            "shop-cache-01",
            "shop-search-01",
            f"shop.{WEB} certificate",
            "Shop CDN",
            "Shop media storage",
            "Payment gateway connection",
        )
        self.ci(
            "Payment gateway connection",
            "integration",
            s,
            AS,
            endpoint="https://api.payprovider.example/v3",
            protocol="REST/JSON",
        )
        self.credential(
            "Payment provider API key",
            s,
            AS,
            "Merchant API key for card and invoice payments.",
            system="Payment provider",
            expires=self.days(200, 330),
        )
        self.certificate(
            "payments-client.hartwell.local",
            s,
            SEC,
            expires=self.days(8, 12),
            issuer="Hartwell Supply Issuing CA 01",
        )
        self.dep(
            "Payment gateway connection",
            DEPENDS,
            "Payment provider API key",
            "payments-client.hartwell.local certificate",
        )
        self.ci(
            "Shop-to-ERP order integration",
            "integration",
            s,
            AS,
            endpoint=f"https://erp-api.{WEB}/v2/salesorders",
            protocol="REST/JSON",
        )
        # Case (c): the token expired on the day the case starts (06:05 that morning).
        self.credential(
            "ERP API credential for the order integration",
            "ERP",
            AS,
            "",
            system="ERP",
            expires=self.token_expiry,
        )
        self.dep("Shop-to-ERP order integration", RUNS, "Integration middleware")
        self.dep(
            "Shop-to-ERP order integration", DEPENDS, "ERP API credential for the order integration"
        )
        self.dep("Shop-to-ERP order integration", CONNECTS, "shop-db-01", "ERP application")
        self.ci(
            "Carrier label API",
            "integration",
            s,
            AS,
            "Books shipments and prints labels with the parcel carrier.",
            endpoint="https://api.parcelcarrier.example/shipments",
            protocol="REST/JSON",
        )
        self.credential(
            "Carrier API key",
            s,
            AS,
            "API key of the parcel carrier account.",
            system="Parcel carrier",
            expires=self.days(25, 30),
        )
        self.dep("Carrier label API", DEPENDS, "Carrier API key")
        self.dep("Carrier label API", RUNS, "Integration middleware")
        self.ci(
            "Shop product feed export",
            "batch-job",
            s,
            ENG,
            "Exports the product feed for price comparison sites.",
            schedule="every 4 h",
            host="k8s-prod",
        )
        self.dep("Shop product feed export", RUNS, "k8s-prod")
        self.dep("Shop product feed export", DEPENDS, "shop-db-01")
        self.ci(
            "Shop container image",
            "software-image",
            s,
            ENG,
            "The shop's application image, built by the pipeline.",
            version="2025.3.1",
        )
        self.dep("eCommerce platform", DEPENDS, "Shop container image")
        self.server(
            "shop-web-stg-01", s, OPS, "Shop staging web node.", env=STAGING, host="k8s-stg-node-01"
        )
        self.database(
            "shop-db-stg-01",
            s,
            "postgresql",
            "16.2",
            "Shop staging database.",
            env=STAGING,
            host="pg-stg-01",
        )
        self.dep("shop-web-stg-01", DEPENDS, "shop-db-stg-01")

    def erp(self) -> None:
        s = "ERP"
        self.ci(
            "ERP application",
            "application",
            s,
            AS,
            version="S/4 2023 FPS02",
            url=f"https://erp.{WEB}",
            vendor="ERP vendor",
        )
        for n in (1, 2):
            self.server(
                f"erp-app-{n:02d}",
                s,
                AS,
                "" if n == 1 else "ERP application server (second node).",
                os=WINDOWS,
                cpus=16,
                memory=128,
            )
            self.dep("ERP application", RUNS, f"erp-app-{n:02d}")
        self.database("erp-db-01", s, "mssql", "SQL Server 2022 CU14", "", host="sql-ham-01")
        self.ci(
            "erp-db-01 configuration",
            "configuration",
            s,
            DB,
            "Instance settings of the ERP database (memory, MAXDOP, trace flags).",
            managed_by="DBA runbook",
        )
        self.dep("erp-db-01", DEPENDS, "erp-db-01 configuration")
        self.database(
            "erp-db-02",
            s,
            "mssql",
            "SQL Server 2022 CU14",
            "Readable replica of erp-db-01 for reports and the data warehouse.",
            host="sql-ham-02",
        )
        self.dep("erp-db-02", CONNECTS, "erp-db-01")
        self.dep("ERP application", DEPENDS, "erp-db-01", f"erp.{WEB} certificate", "lb-ham-01")
        self.certificate(f"erp.{WEB}", s, SEC, expires=self.days(90, 250))
        self.ci(
            "ERP API",
            "application",
            s,
            AS,
            "The ERP's REST API for integrations.",
            version="2.14",
            url=f"https://erp-api.{WEB}/v2",
            vendor="ERP vendor",
        )
        self.dep("ERP API", RUNS, "erp-app-01", "erp-app-02")
        self.dep("ERP API", DEPENDS, "erp-db-01", "api-gw-01")
        self.server(
            "erp-batch-01", s, AS, "ERP background jobs server.", os=WINDOWS, cpus=8, memory=64
        )
        self.ci(
            "ERP month-end close",
            "batch-job",
            s,
            AS,
            "Period close, accruals and the finance reports.",
            schedule="last workday 20:00",
            host="erp-batch-01",
        )
        self.dep("ERP month-end close", RUNS, "erp-batch-01")
        self.dep("ERP month-end close", DEPENDS, "erp-db-01")
        self.ci(
            "EDI gateway",
            "integration",
            s,
            AS,
            endpoint=f"https://edi.{WEB}/as2",
            protocol="AS2 / EDIFACT",
        )
        self.certificate(f"edi.{WEB}", s, AS, expires=self.days(180, 360))
        self.dep("EDI gateway", DEPENDS, f"edi.{WEB} certificate")
        self.dep("EDI gateway", CONNECTS, "ERP API")
        self.dep("EDI gateway", RUNS, "Integration middleware")
        self.ci(
            "Warehouse scanner interface",
            "integration",
            s,
            AS,
            "Handheld scanners in Leipzig and Rotterdam book picks and goods receipts.",
            endpoint=f"https://erp-api.{WEB}/v2/warehouse",
            protocol="REST/JSON",
        )
        self.dep(
            "Warehouse scanner interface", CONNECTS, "ERP API", "Wi-Fi Leipzig", "Wi-Fi Rotterdam"
        )
        self.ci(
            "Warehouse handheld scanners",
            "hardware",
            s,
            SD,
            "Handheld scanners in the warehouses.",
            model="Zebra TC52",
            serial="fleet",
        )
        self.dep("Warehouse handheld scanners", DEPENDS, "Warehouse scanner interface")
        self.server(
            "erp-app-stg-01",
            s,
            AS,
            "ERP quality system (staging).",
            env=STAGING,
            os=WINDOWS,
            cpus=8,
            memory=64,
        )
        self.database(
            "erp-db-stg-01",
            s,
            "mssql",
            "SQL Server 2022 CU14",
            "ERP quality system database.",
            env=STAGING,
            host="erp-app-stg-01",
        )
        self.server("erp-app-tst-01", s, AS, "ERP development system.", env=TEST, os=WINDOWS)

    def office_services(self) -> None:
        self.ci(
            "Mail tenant",
            "cloud-tenant",
            "Email",
            AS,
            provider="Mail cloud (SaaS)",
            tenant_id="hartwell-supply-mail",
        )
        self.ci(
            "Mail gateway",
            "appliance",
            "Email",
            SEC,
            model="Secure mail gateway (cloud)",
            site="Cloud",
        )
        self.certificate(f"mail.{WEB}", "Email", SEC, expires=self.days(20, 24))
        self.dep("Mail gateway", DEPENDS, f"mail.{WEB} certificate")
        self.dep("Mail gateway", CONNECTS, "Mail tenant")
        self.server("smtp-relay-01", "Email", NI, "SMTP relay for applications and scanners.")
        self.dep("smtp-relay-01", CONNECTS, "Mail gateway")
        self.ci(
            "vpn-gw-01",
            "appliance",
            "VPN",
            NI,
            model="Palo Alto GlobalProtect on PA-3220",
            site="Hamburg",
        )
        self.certificate(f"vpn.{WEB}", "VPN", NI, expires=self.days(40, 120))
        self.dep("vpn-gw-01", DEPENDS, f"vpn.{WEB} certificate", "MFA service")
        self.dep("vpn-gw-01", CONNECTS, "Internet breakout Hamburg", "core-sw-ham-01")
        self.ci("VPN client", "application", "VPN", NI, version="6.2.4", vendor="Palo Alto")
        self.ci(
            "VPN client profile",
            "configuration",
            "VPN",
            NI,
            "Portal, gateways and split-tunnel routes pushed to the clients.",
            managed_by="Panorama",
        )
        self.dep("VPN client", DEPENDS, "vpn-gw-01", "VPN client profile")
        self.ci(
            "HR Portal application",
            "application",
            "HR Portal",
            AS,
            version="7.1",
            url=f"https://hr.{WEB}",
            vendor="PeopleDesk",
        )
        for n in (1, 2):
            self.server(f"hr-web-{n:02d}", "HR Portal", AS, "HR Portal web server.")
            self.dep("HR Portal application", RUNS, f"hr-web-{n:02d}")
        self.database("hr-portal-db", "HR Portal", "postgresql", "14.11", "", host="pg-ham-04")
        self.certificate(f"hr.{WEB}", "HR Portal", SEC, expires=self.days(200, 340))
        self.dep(
            "HR Portal application",
            DEPENDS,
            "hr-portal-db",
            f"hr.{WEB} certificate",
            "SSO identity provider",
        )
        self.ci(
            "HR provisioning",
            "integration",
            "HR Portal",
            AS,
            "Creates, changes and disables directory accounts from HR records.",
            endpoint="https://idm.hartwell.local/api",
            protocol="LDAPS",
        )
        self.credential(
            "HR provisioning service account",
            "HR Portal",
            NI,
            "Directory service account svc-hrprov.",
            system="Directory",
            expires=self.days(100, 180),
            rotation=180,
        )
        self.dep(
            "HR provisioning",
            DEPENDS,
            "HR provisioning service account",
            "Directory domain controllers",
        )
        self.dep("HR provisioning", CONNECTS, "hr-portal-db")
        self.server("hr-web-stg-01", "HR Portal", AS, "HR Portal staging.", env=STAGING)
        self.server("fs-01", "File & Print", NI, "", os=WINDOWS, cpus=4, memory=16)
        self.server(
            "fs-02", "File & Print", NI, "File server Leipzig (warehouse shares).", os=WINDOWS
        )
        self.dep("fs-01", DEPENDS, "san-ham-01")
        self.server("print-srv-01", "File & Print", NI, "", os=WINDOWS)
        self.ci(
            "Print queue configuration",
            "configuration",
            "File & Print",
            NI,
            "Print queues, drivers and follow-me printing rules.",
            managed_by="Group Policy",
        )
        self.dep("print-srv-01", DEPENDS, "Print queue configuration")

    def identity_and_workplace(self) -> None:
        s = "Identity & Access"
        self.ci(
            "Directory domain controllers",
            "server",
            s,
            NI,
            hostname=f"dc-01.{LOCAL}",
            os=WINDOWS,
            ip=self.ip(10),
            cpus=4,
            memory_gb=16,
        )
        self.dep("Directory domain controllers", RUNS, "hv-ham-01", "hv-ham-04")
        self.ci(
            "SSO identity provider",
            "application",
            s,
            NI,
            version="2025.1",
            url=f"https://login.{WEB}",
            vendor="Identity cloud",
        )
        self.certificate(
            "SSO token signing",
            s,
            SEC,
            expires=self.days(250, 360),
            issuer="Self-signed (identity provider)",
        )
        self.dep(
            "SSO identity provider",
            DEPENDS,
            "Directory domain controllers",
            "SSO token signing certificate",
            "Directory cloud sync",
        )
        self.ci(
            "Directory cloud sync",
            "integration",
            s,
            NI,
            "Synchronises accounts and password hashes to the identity cloud.",
            endpoint="https://login.identity.example/sync",
            protocol="HTTPS",
        )
        self.server("dirsync-01", s, NI, "Directory sync agent.", os=WINDOWS)
        self.dep("Directory cloud sync", RUNS, "dirsync-01")
        self.dep("Directory cloud sync", DEPENDS, "Directory domain controllers")
        self.ci("MFA service", "application", s, SEC, version="2025.1", vendor="Identity cloud")
        self.credential(
            "SMS provider API key",
            s,
            SEC,
            "Fallback SMS codes for MFA.",
            system="SMS provider",
            expires=self.days(60, 90),
        )
        self.dep("MFA service", DEPENDS, "SSO identity provider", "SMS provider API key")
        w = "Workplace Devices"
        self.ci("Standard laptop image", "software-image", w, SD, version="24H2-2025.03")
        self.ci(
            "Warehouse kiosk image",
            "software-image",
            w,
            SD,
            "Locked-down image for the warehouse terminals.",
            version="2024.11",
        )
        self.ci(
            "Mobile device management", "application", w, SD, version="2503", vendor="MDM cloud"
        )
        self.certificate(
            "MDM push", w, SD, expires=self.days(3, 6), issuer="Apple Push Notification service"
        )
        self.dep(
            "Mobile device management",
            DEPENDS,
            "MDM push certificate",
            SERVICE_ID + "Identity & Access",
        )
        self.ci(
            "Software distribution",
            "application",
            w,
            SD,
            "Deploys applications and updates to the laptops.",
            version="2409",
        )
        self.server("swdist-01", w, SD, "Software distribution server.", os=WINDOWS)
        self.dep("Software distribution", RUNS, "swdist-01")
        self.dep("Standard laptop image", DEPENDS, "Software distribution")

    def data_warehouse(self) -> None:
        s = "Data Warehouse"
        self.server("dwh-srv-01", s, DB, "Data warehouse database server.", cpus=16, memory=256)
        self.database("dwh-db-01", s, "postgresql", "16.2", "", host="dwh-srv-01")
        self.server("etl-srv-01", s, DB, "ETL runner.", cpus=8, memory=32)
        self.ci(
            "Nightly ETL jobs", "batch-job", s, DB, schedule="01:00-05:00 daily", host="etl-srv-01"
        )
        self.credential(
            "ETL service account",
            s,
            DB,
            "Read-only database account svc-etl on the source databases.",
            system="Databases",
            expires=self.days(30, 60),
            rotation=90,
        )
        self.dep("Nightly ETL jobs", RUNS, "etl-srv-01")
        self.dep("Nightly ETL jobs", DEPENDS, "dwh-db-01", "ETL service account")
        self.dep("Nightly ETL jobs", CONNECTS, "erp-db-02", "crm-db-02", "shop-db-01")
        self.server("bi-srv-01", s, DB, "BI dashboard server.", os=WINDOWS, cpus=8, memory=64)
        self.ci(
            "BI dashboards",
            "application",
            s,
            DB,
            version="2024.2",
            url=f"https://bi.{WEB}",
            vendor="BI vendor",
        )
        self.dep("BI dashboards", RUNS, "bi-srv-01")
        self.dep("BI dashboards", DEPENDS, "dwh-db-01", "SSO identity provider")
        self.database(
            "dwh-db-stg-01",
            s,
            "postgresql",
            "16.2",
            "Data warehouse test copy.",
            env=TEST,
            host="pg-stg-01",
        )
        # An old certificate kept for the record: retired, so no expiry ticket.
        self.ci(
            "bi-old.hartwell.local certificate",
            "certificate",
            s,
            SEC,
            "Certificate of the retired BI server.",
            status=CiStatus.RETIRED,
            expires=self.today - timedelta(days=40),
            subject="CN=bi-old.hartwell.local",
            issuer="Hartwell Supply Issuing CA 01",
        )

    def tooling(self) -> None:
        """The servers and tools IT runs itself: pipelines, automation, PKI, name services."""
        for name, owner, desc, os in (
            ("jump-01", NI, "Jump host for administration.", WINDOWS),
            ("jump-02", NI, "Jump host for administration (second).", WINDOWS),
            ("wsus-01", NI, "Windows update server.", WINDOWS),
            ("dns-01", NI, "Internal DNS and DHCP.", WINDOWS),
            ("dns-02", NI, "Internal DNS and DHCP (second).", WINDOWS),
            ("nps-01", NI, "RADIUS for Wi-Fi and VPN authentication.", WINDOWS),
            (
                "pki-ca-01",
                SEC,
                "Issuing certificate authority (Hartwell Supply Issuing CA 01).",
                WINDOWS,
            ),
            ("license-01", NI, "License server for engineering tools.", WINDOWS),
            ("sftp-partner-01", AS, "SFTP drop for trading partners.", None),
            ("gitlab-01", OPS, "Source code and CI/CD.", None),
            ("gitlab-runner-01", OPS, "CI/CD runner.", None),
            ("gitlab-runner-02", OPS, "CI/CD runner.", None),
            ("gitlab-runner-03", OPS, "CI/CD runner (staging).", None),
            ("awx-01", NI, "Ansible AWX: network and server automation.", None),
        ):
            self.server(name, None, owner, desc, os=os)
        self.dep("Office Wi-Fi", DEPENDS, "nps-01")
        self.dep("vpn-gw-01", DEPENDS, "nps-01")
        self.dep("nps-01", DEPENDS, "Directory domain controllers")
        self.dep("EDI gateway", CONNECTS, "sftp-partner-01")
        self.ci(
            "GitLab",
            "platform",
            None,
            OPS,
            "Repositories and the deployment pipelines.",
            crit=HIGH,
            version="17.9",
        )
        self.dep("GitLab", RUNS, "gitlab-01")
        self.dep("GitLab", DEPENDS, "gitlab-runner-01", "gitlab-runner-02", "gitlab-runner-03")
        self.ci(
            "AWX",
            "platform",
            None,
            NI,
            "Automation controller for the network and server configuration.",
            version="24.6",
        )
        self.dep("AWX", RUNS, "awx-01")
        self.dep("QoS policy on edge routers", DEPENDS, "AWX")
        self.ci(
            "Internal PKI",
            "application",
            None,
            SEC,
            "Issues the internal certificates.",
            version="2022",
            vendor="Microsoft AD CS",
        )
        self.dep("Internal PKI", RUNS, "pki-ca-01")
        self.dep("payments-client.hartwell.local certificate", DEPENDS, "Internal PKI")
        self.certificate(
            "gitlab.hartwell.local",
            None,
            OPS,
            expires=self.days(70, 160),
            issuer="Hartwell Supply Issuing CA 01",
        )
        self.dep("GitLab", DEPENDS, "gitlab.hartwell.local certificate")
        self.certificate(
            "nps-01.hartwell.local",
            None,
            NI,
            expires=self.days(16, 19),
            issuer="Hartwell Supply Issuing CA 01",
        )
        self.dep("nps-01", DEPENDS, "nps-01.hartwell.local certificate")
        for name, owner, desc, system, low, high in (
            (
                "GitLab deploy token for k8s-prod",
                OPS,
                "Token the pipelines deploy with.",
                "Kubernetes",
                45,
                90,
            ),
            (
                "AWX network device credential",
                NI,
                "Service account AWX logs in to routers and switches with.",
                "Network devices",
                80,
                150,
            ),
            (
                "Backup service account",
                OPS,
                "svc-backup on servers and databases.",
                "Directory",
                120,
                200,
            ),
            (
                "Container registry pull secret",
                OPS,
                "Read token of the clusters for the registry.",
                "Container registry",
                30,
                60,
            ),
            (
                "EDI partner SFTP key",
                AS,
                "SSH key of the trading partners' SFTP account.",
                "SFTP",
                200,
                300,
            ),
        ):
            self.credential(name, None, owner, desc, system=system, expires=self.days(low, high))
        self.dep("GitLab", DEPENDS, "GitLab deploy token for k8s-prod")
        self.dep("AWX", DEPENDS, "AWX network device credential")
        self.dep("backup-01", DEPENDS, "Backup service account")
        self.dep("k8s-prod", DEPENDS, "Container registry pull secret")
        self.dep("sftp-partner-01", DEPENDS, "EDI partner SFTP key")
        for name, service, desc, rid in (
            (
                "Integration service bus",
                None,
                "Queues between the integration flows.",
                "sb-integration-prod",
            ),
            ("EDI archive storage", "ERP", "Ten-year archive of EDI messages.", "stediarchive"),
            (
                "Carrier webhook function",
                "eCommerce",
                "Receives the carrier's tracking events.",
                "func-carrier-hooks",
            ),
            (
                "DWH export storage",
                "Data Warehouse",
                "Exports for the finance team.",
                "stdwhexport",
            ),
        ):
            self.ci(
                name,
                "cloud-resource",
                service,
                OPS,
                desc,
                provider="Azure",
                region="West Europe",
                resource_id=rid,
            )
            self.dep(name, RUNS, "Cloud subscription hartwell-prod")
        self.dep("Integration middleware", DEPENDS, "Integration service bus")
        self.dep("EDI gateway", DEPENDS, "EDI archive storage")
        self.dep("Carrier label API", DEPENDS, "Carrier webhook function")
        self.dep("Nightly ETL jobs", DEPENDS, "DWH export storage")
        self.server("bi-srv-stg-01", "Data Warehouse", DB, "BI staging.", env=STAGING, os=WINDOWS)
        self.server("hr-web-tst-01", "HR Portal", AS, "HR Portal test.", env=TEST)


def plan_estate(rng: random.Random, today: date, token_expiry: date) -> Plan:
    """The estate as data (no database access)."""
    return _Builder(rng, today, token_expiry).build()


def create_estate(
    *,
    rng: random.Random,
    today: date,
    token_expiry: date,
    services: dict[str, Service],
    teams: dict[str, Team],
    at: datetime,
    insert: Callable[[type[Model], list[Any]], None],
) -> dict[str, ConfigurationItem]:
    """Write the estate: items, their creation events, dependencies and theirs. Returns the
    items by name."""
    plan = plan_estate(rng, today, token_expiry)
    schemas = dict(CiType.objects.values_list("slug", "attributes"))
    rows = []
    for item in plan.items.values():
        if item.ci_type not in schemas:
            raise DomainError(f"Unknown CI type {item.ci_type!r}.", field="ci_type")
        rows.append(
            ConfigurationItem(
                name=item.name,
                ci_type=item.ci_type,
                description=item.description,
                service=services[item.service] if item.service else None,
                owner_team=teams[item.owner],
                environment=item.environment,
                criticality=item.criticality,
                status=item.status,
                attributes=rules.validate_attributes(schemas[item.ci_type], item.attributes),
                expires_at=item.expires_at,
            )
        )
    insert(ConfigurationItem, rows)
    items = {row.name: row for row in rows}
    insert(
        CmdbEvent, [CmdbEvent(kind=CmdbEvent.Kind.CREATED, at=at, ci=row, data={}) for row in rows]
    )
    deps: list[Dependency] = []
    seen: set[tuple[str, str, str]] = set()
    for source, kind, target in plan.edges:
        if (source, kind, target) in seen or source == target:
            continue
        seen.add((source, kind, target))
        if target.startswith(SERVICE_ID):
            dep = Dependency(
                source=items[source], kind=kind, target_service=services[target[len(SERVICE_ID) :]]
            )
        else:
            dep = Dependency(source=items[source], kind=kind, target_ci=items[target])
        deps.append(dep)
    insert(Dependency, deps)
    events = []
    for dep in deps:
        target_obj: Any = dep.target_ci or dep.target_service
        key = "target_ci" if dep.target_ci is not None else "target_service"
        data = {"kind": dep.kind, key: target_obj.pk, "target": str(target_obj)}
        events.append(
            CmdbEvent(kind=CmdbEvent.Kind.DEPENDENCY_ADDED, at=at, ci=dep.source, data=data)
        )
    insert(CmdbEvent, events)
    return items
