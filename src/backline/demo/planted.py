"""Planted recurring incident groups: the same fault coming back, reworded each time.

Problem management needs them: recurring-incident detection (`problems.recurrence`) should
propose the recent groups nobody has linked to a problem yet, and the demo problems
(`demo.problems`) are about the others. Each planted ticket is lived through like any history
ticket (`History.live`) and its `created` event carries `data["planted_group"]` (the group key
below), which `bench/problem_proposals.py --demo` reads as the truth for precision and recall.

Groups (GROUPS, plus `crm_export`: the history's weekly "CRM report export times out", which
`History.build` puts on Monday mornings and this module marks too):

- `erp_stock_export`: the nightly ERP stock export failed six times, two to three months ago
  (a closed problem: recurrence stopped after the job was moved);
- `product_feed`: the product feed for price comparison sites comes out empty (problem resolved
  six days ago, under verification);
- `leipzig_labels`: the shipping label printer in Leipzig prints blank labels (problem in fix);
- `vpn_0900`, `outlook_search`, `scanner_session`: recent, linked to no problem — for detection.

Times are fixed days before the anchor (moved back to a weekday), so the same seed gives the same
tickets; a separate generator (`{seed}:planted`) keeps the rest of the history unchanged.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from backline.demo import text as T
from backline.demo.history import History, Life

AS, NI = T.AS, T.NI
MARKER = "planted_group"
CRM_EXPORT = "crm_export"  # the history's own recurring incident (text.INCIDENTS)


@dataclass(frozen=True)
class Group:
    incident: T.Incident
    days: tuple[float, ...]  # days before the anchor (local), one ticket each
    at: str  # local time of day "HH:MM" (minutes vary a little per ticket)
    linked: bool  # a demo problem holds it (otherwise detection should propose it)
    open_last: bool = False  # the newest ticket is still open at the anchor


ERP_STOCK_EXPORT = T.Incident(
    "erp_stock_export",
    "integration",
    "ERP",
    (
        "Nightly ERP stock export failed",
        "ERP stock export to the web shop did not run last night",
        "Stock levels in the shop not updated: nightly ERP export failed",
        "Nightly stock export from ERP aborted",
    ),
    (
        "The shop shows yesterday's stock levels. The nightly ERP stock export job on "
        "erp-batch-01 ended with 'lock request time out period exceeded' at 02:14.",
        "{first} noticed that stock levels in the web shop were not updated overnight; the ERP "
        "stock export job log shows a lock timeout on the stock table.",
        "Nightly ERP stock export failed again: lock timeout while reading the stock table. The "
        "shop sells items that are out of stock.",
    ),
    cis=("erp-batch-01",),
    prios="3",
    weight=0,
    escalate=0.9,
    l2=AS,
    depts=("ecommerce", "logistics"),
    checks=("checked the job log on erp-batch-01", "confirmed the shop shows old stock levels"),
    l1_fixes=(
        T.Fix(
            "workaround",
            "capacity",
            "Re-ran the ERP stock export by hand at 07:30; stock levels in the shop are current.",
        ),
    ),
    l2_fixes=(
        T.Fix(
            "workaround",
            "capacity",
            "The stock export hit a lock timeout while the ERP database backup ran. Re-ran the "
            "export after the backup; stock levels in the shop updated.",
            finding="The export job waits on locks held by the nightly ERP database backup.",
        ),
        T.Fix(
            "workaround",
            "unknown",
            "Re-ran the nightly stock export manually; shop stock levels current again. Same "
            "lock timeout as the earlier stock export failures.",
            finding="Lock timeout on the stock table at 02:14, like the previous failures.",
        ),
    ),
)
LEIPZIG_LABELS = T.Incident(
    "leipzig_labels",
    "hardware",
    "File & Print",
    (
        "Label printer in Leipzig prints blank labels",
        "Shipping labels come out blank at the Leipzig dock",
        "Blank shipping labels from the Leipzig label printer",
        "Leipzig dock label printer: labels empty",
    ),
    (
        "The shipping label printer PRN-LEJ-1F-02 at the Leipzig dock feeds the labels but "
        "prints nothing on them since {time}. Parcels for the carrier pile up.",
        "{first} reports blank shipping labels at the Leipzig dock again: the label printer "
        "feeds blank labels for DHL parcels, other print jobs are fine.",
        "Label printer at the Leipzig dock prints blank labels for carrier shipments; the test "
        "page prints normally.",
    ),
    cis=("PRN-LEJ-1F-02",),
    prios="3",
    weight=0,
    escalate=0.5,
    l2=NI,
    depts=("logistics",),
    checks=("printed a test page (fine)", "restarted the label printer"),
    l1_fixes=(
        T.Fix(
            "workaround",
            "unknown",
            "Restarted the label printer and reprinted the labels from the carrier portal as "
            "PDF; parcels labelled.",
        ),
    ),
    l2_fixes=(
        T.Fix(
            "workaround",
            "third_party",
            "The carrier label API returned labels the printer cannot render; reprinted the "
            "blank labels from the carrier portal as PDF. Same as the earlier blank labels.",
            finding="The printer receives the label job but renders nothing: the ZPL from the "
            "carrier label API uses a font the printer firmware lacks.",
        ),
    ),
)
VPN_0900 = T.Incident(
    "vpn_0900",
    "network",
    "VPN",
    (
        "VPN gateway drops sessions at 09:00",
        "Everyone thrown off the VPN gateway at nine",
        "All remote sessions disconnected at 09:00 sharp",
        "VPN gateway kicked all remote staff out at 9:00",
    ),
    (
        "At nine o'clock sharp every remote session on the gateway was disconnected: {first} "
        "and all colleagues working remotely were thrown out at once and reconnected a few "
        "minutes later.",
        "The gateway disconnected all remote sessions at nine this morning, everyone working "
        "remotely at the same moment; reconnecting worked after two or three minutes.",
        "Again all remote staff were thrown out at nine sharp, same as last week; the sessions "
        "came back after reconnecting.",
    ),
    cis=("vpn-gw-01",),
    prios="3",
    weight=0,
    escalate=0.4,
    l2=NI,
    checks=("asked remote colleagues: all disconnected at nine", "reconnected: works again"),
    l1_fixes=(
        T.Fix(
            "no_fault",
            "unknown",
            "All remote sessions were disconnected at nine and reconnected a few minutes later; "
            "nothing to fix on the laptop.",
        ),
    ),
    l2_fixes=(
        T.Fix(
            "no_fault",
            "unknown",
            "The gateway log shows every remote session disconnected at 09:00:02 at once and "
            "sessions re-established from 09:03. Cause not found yet; watching the next morning.",
            finding="The gateway disconnected every session at the same second, nine o'clock.",
        ),
    ),
)
PRODUCT_FEED = T.Incident(
    "product_feed",
    "integration",
    "eCommerce",
    (
        "Product feed for price comparison sites is empty",
        "Price comparison portals show none of our products",
        "Shop product feed export produced an empty file",
        "Comparison sites delisted us: product feed empty",
    ),
    (
        "The product feed for the price comparison portals was empty this morning; the portals "
        "show none of our products and {first} sees no traffic from them.",
        "{first}: the shop product feed export wrote an empty feed file overnight; the "
        "comparison portals delisted our products.",
        "Product feed empty again, the comparison portals dropped all our offers until the next "
        "feed run.",
    ),
    cis=("Shop product feed export",),
    prios="3",
    weight=0,
    escalate=0.8,
    l2=AS,
    depts=("ecommerce", "marketing"),
    checks=("checked the feed file size: 0 bytes", "confirmed with a comparison portal"),
    l1_fixes=(
        T.Fix(
            "workaround",
            "unknown",
            "Re-ran the product feed export outside peak hours; the feed is complete and the "
            "comparison portals list our products again.",
        ),
    ),
    l2_fixes=(
        T.Fix(
            "workaround",
            "capacity",
            "The product feed export pod was killed for memory and left an empty feed; re-ran "
            "the export, feed complete. Same as the earlier empty feeds.",
            finding="The feed export pod on k8s-prod was OOM-killed halfway through the export.",
        ),
    ),
)
OUTLOOK_SEARCH = T.Incident(
    "outlook_search",
    "collaboration",
    "Email",
    (
        "Outlook search returns no results",
        "Search in Outlook finds nothing since the update",
        "Outlook search empty after Office update 2408",
        "No results when searching mail in Outlook",
    ),
    (
        "Since the Office update 2408 Outlook search returns no results for {first}, even for "
        "mails in the inbox from today.",
        "{first} searches the mailbox in Outlook and gets 'No results', although the mails are "
        "there. Started after the Office update.",
        "Outlook search shows no results on {laptop} since the 2408 update; searching in "
        "Outlook on the web works.",
    ),
    cis=("Standard laptop image",),
    prios="4",
    weight=0,
    escalate=0.05,
    l2=AS,
    checks=("restarted Outlook", "checked that the mails are in the mailbox (web works)"),
    l1_fixes=(
        T.Fix(
            "known_error",
            "software",
            "Rebuilt the Outlook search index (Indexing options > Advanced > Rebuild); search "
            "returns results again after the index finished.",
        ),
        T.Fix(
            "workaround",
            "software",
            "Rebuilt the Windows search index for Outlook after the 2408 update; search works "
            "again.",
        ),
    ),
)
SCANNER_SESSION = T.Incident(
    "scanner_session",
    "application",
    None,
    (
        "Warehouse scanners show 'invalid session' after shift change",
        "Handheld scanner login rejected: invalid session",
        "Scanners at the warehouse log out with invalid session",
        "Invalid session on handheld scanners at shift start",
    ),
    (
        "At the 14:00 shift change the handheld scanners in {site} show 'invalid session' and "
        "pickers cannot book picks until they log in twice.",
        "{first}: handheld scanners reject the login with 'invalid session' after the shift "
        "change; the second login works.",
        "Several handheld scanners show 'invalid session' at shift start; picks cannot be "
        "booked for ten minutes.",
    ),
    cis=("Warehouse scanner interface",),
    prios="3",
    weight=0,
    escalate=0.3,
    l2=AS,
    depts=("logistics",),
    checks=("asked the pickers to log in again", "checked the scanner Wi-Fi: connected"),
    l1_fixes=(
        T.Fix(
            "workaround",
            "unknown",
            "Pickers logged out and in again on the scanners; 'invalid session' gone, picks "
            "booked.",
        ),
    ),
    l2_fixes=(
        T.Fix(
            "workaround",
            "software",
            "The scanner interface rejected the sessions issued before the shift change; "
            "cleared the session cache, scanners log in again.",
            finding="Sessions from the morning shift are rejected as invalid after 14:00.",
        ),
    ),
)
GROUPS = (
    Group(ERP_STOCK_EXPORT, (104, 96, 89, 82, 75, 68), "06:40", linked=True),
    Group(PRODUCT_FEED, (46, 39, 32, 25, 18), "08:10", linked=True),
    Group(LEIPZIG_LABELS, (36, 29, 22, 15, 9, 4), "07:20", linked=True),
    Group(VPN_0900, (26, 19, 12, 8, 3), "09:05", linked=False),
    Group(OUTLOOK_SEARCH, (24, 17, 11, 6, 2, 1), "10:15", linked=False, open_last=True),
    Group(SCANNER_SESSION, (23, 16, 10, 5), "14:10", linked=False),
)
KEYS = (CRM_EXPORT, *(g.incident.key for g in GROUPS))
UNLINKED = tuple(g.incident.key for g in GROUPS if not g.linked)


def _weekday(t: datetime) -> datetime:
    while t.weekday() >= 5:
        t -= timedelta(days=1)
    return t


def build(history: History, seed: int) -> list[Life]:
    """The planted tickets, lived through by `history` with their own generator, marked."""
    rng = random.Random(f"{seed}:planted")
    history.rng = rng
    anchor = history.clock.local_anchor
    limit = anchor - timedelta(minutes=30)
    lives = []
    for group in GROUPS:
        hh, mm = (int(x) for x in group.at.split(":"))
        for k, days in enumerate(group.days):
            day = _weekday(anchor - timedelta(days=days))
            arrival = day.replace(hour=hh, minute=mm, second=0, microsecond=0) + timedelta(
                minutes=rng.randint(0, 25), seconds=rng.randrange(60)
            )
            if arrival > limit:  # the group's newest ticket when the anchor is early in the day
                arrival = _weekday(arrival - timedelta(days=1))
            force_open = group.open_last and k == len(group.days) - 1
            life = history.live(group.incident, arrival, force_open=force_open)
            mark(life, group.incident.key)
            lives.append(life)
    return lives


def mark(life: Life, key: str) -> None:
    life.events[0].data[MARKER] = key
