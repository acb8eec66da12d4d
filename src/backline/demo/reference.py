"""The three open reference cases, logged and escalated through the ticket and escalation services.

Each case is written the way an L1 agent works it: a careful description, internal notes on what
was checked, replies to the requester, and an escalation to the L2 team with a hand-off package
a good analyst writes (summary, business impact, steps already taken, how to reproduce it, a
hypothesis where one suggests itself, why it is urgent). The cause is not known to L1 and is not
in the text:

- CRM reports fail: a database configuration change regressed a query plan (crm-db-01).
- Collaboration platform drops: QoS misconfiguration and bandwidth allocation on the WAN edge.
- Shop orders missing in ERP: the integration's ERP API token expired.

Where they stand at the anchor:

- CRM: escalated to Database, returned as the wrong team with guidance, escalated to Application
  Support and accepted by Tom Becker, who has told the requester (its trail shows the bounce).
- Collaboration: waits in the Network & Infrastructure inbox.
- eCommerce to ERP: waits in the Application Support inbox; raised to P1 while it waits.

They happen on the last two working days whose office hours lie before the anchor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from backline.demo import text as T
from backline.escalation.choices import ReturnReason
from backline.escalation.models import Escalation
from backline.escalation.services import (
    escalation_accept,
    escalation_create,
    escalation_return,
)
from backline.tickets.choices import Level, Source
from backline.tickets.models import Ticket
from backline.tickets.services import (
    ticket_comment,
    ticket_create,
    ticket_transition,
    ticket_update,
)

if TYPE_CHECKING:
    from backline.demo.history import Clock, Cmdb, Org
    from backline.tickets.models import Category


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    description: str
    requester: str
    logged_by: str
    source: str
    category: str
    service: str
    ci: str
    impact: int
    urgency: int
    opened: tuple[int, str]  # (day 1 or 2, "HH:MM")
    # (day, "HH:MM", action, actor username, payload). Actions: start (None), reply and note
    # (text), update (changes), escalate ((team name, package)), return ((reason, guidance)),
    # accept (None: the actor takes the ticket).
    steps: tuple[tuple[int, str, str, str, Any], ...]


CRM_PACKAGE = {
    "summary": """\
Generating the larger CRM reports ('Sales pipeline', 'Opportunities by region') fails with HTTP \
502 Bad Gateway after about 60 seconds, for every user, browser and PC tried, in Hamburg and \
Manchester. Small reports ('My open opportunities') and the rest of the CRM work at normal \
speed. Since today about 08:50 (first failure Jessica Morgan noticed).""",
    "impact_users": 5,
    "impact_services": "CRM: sales reports (pipeline, opportunities by region)",
    "impact_at_risk": """\
The weekly sales forecast call needs the pipeline report; Sales Operations is copying figures \
into a spreadsheet by hand.""",
    "steps_taken": """\
- Reproduced on a screen share with Jessica, and from my own PC with my own (read-only) CRM \
account: same HTTP 502 after about 60 s. So not her laptop, browser or account.
- Browsers: Edge, Chrome and a private window; cleared cache and cookies, signed out and in.
- Permissions: different roles fail (Sales Operations, Account Executive, Service Desk \
read-only); role history unchanged since March.
- Client: reinstalled the CRM Outlook add-in and desktop connector (4.8.2): no change.
- Network: Emily Walsh in Manchester (other office network) fails the same way.
- Report definitions unchanged since January; status page and change calendar show no CRM \
maintenance or release this week.
- KB: the only match (exports over 50,000 rows) does not apply; these reports have about 3,000 \
rows. The recurring 'CRM report export times out' tickets are export timeouts (504), not this.
- Not checked (no access): CRM server logs, database.""",
    "reproduction_steps": """\
Reports > Sales pipeline > region DACH > this quarter > Generate. The spinner runs for about \
60 s, then 'Something went wrong. The page could not be loaded (HTTP 502 Bad Gateway)'; the \
CRM tab then hangs until you sign in again. Fails every time, for any user and browser. \
'Opportunities by region' fails the same way; 'My open opportunities' works.""",
    "hypothesis": """\
Only the large reports fail, each after about a minute, while everything else in the CRM is \
normal: the report queries may have become slow on the CRM database.""",
    "urgency_justification": """\
Sales cannot produce the pipeline report for the weekly forecast; more users call as the day \
goes on (5 in 5 hours) and the manual workaround takes hours.""",
}
CRM_RETURN_GUIDANCE = """\
Thanks for the thorough package. The CRM and its report service belong to Application Support: \
they can read the CRM application and report logs, and they will bring us in with a \
collaboration task if a query on crm-db-01 turns out to be the problem. From our side crm-db-01 \
looks healthy this morning: no alerts overnight, CPU, connections and replication normal. \
Please escalate to Application Support with the same package."""
CRM_PACKAGE_AGAIN = {
    **CRM_PACKAGE,
    "summary": CRM_PACKAGE["summary"].replace("Since today", "Since yesterday"),
    "impact_users": 7,
    "steps_taken": CRM_PACKAGE["steps_taken"]
    + """
- Database team (returned it as the wrong team this morning): no alerts on crm-db-01 \
overnight; CPU, connections and replication normal.
- Two more callers this morning (Ahmed Saleh, Victor Lindgren, Sales): 7 users in total.""",
    "urgency_justification": """\
Sales cannot produce the pipeline report for the weekly forecast; 7 users have called since \
yesterday morning and the manual workaround takes hours.""",
    "hypothesis": """\
Only the large reports fail, each after about a minute, while everything else in the CRM is \
normal: something in how these reports are produced (report service, its queries or their \
timeouts) changed since yesterday.""",
}

CRM = Case(
    key="crm",
    title="CRM crashes whenever users generate reports",
    description="""\
Jessica Morgan (Sales Operations) called: the CRM stops responding and then shows an error page \
whenever she generates one of the standard sales reports.

What happens: Reports > 'Sales pipeline' or 'Opportunities by region' > choose region and \
quarter > Generate. The spinner runs for about a minute, then the page shows 'Something went \
wrong. The page could not be loaded (HTTP 502 Bad Gateway)'. After that the CRM tab hangs and \
she has to sign in again. Opening accounts, contacts and opportunities works normally; small \
reports such as 'My open opportunities' still work.

Since: this morning, first failure at about 08:50.
Affected: Jessica Morgan, Daniel Fischer and Nina Kowalski (Sales, Hamburg) so far.
Business impact: Sales Operations cannot produce the pipeline report for the weekly forecast \
call; figures are being copied into a spreadsheet by hand.""",
    requester="jmorgan",
    logged_by="smarquez",
    source=Source.PHONE,
    category="application",
    service="CRM",
    ci="crm-app-01",
    impact=Level.MEDIUM,
    urgency=Level.HIGH,
    opened=(1, "10:05"),
    steps=(
        (1, "10:06", "start", "smarquez", None),
        (
            1,
            "10:14",
            "reply",
            "smarquez",
            """\
Hi Jessica, thanks for the call. I've logged this as high priority because Sales needs these \
reports for the weekly forecast. I'm checking a few things with you and your colleagues and will \
update you before lunch. Small reports such as 'My open opportunities' still work, so you can \
export per account manager if you need figures urgently.""",
        ),
        (
            1,
            "10:41",
            "note",
            "smarquez",
            """\
Checks with Jessica on a screen share:
- Reproduced: Reports > Sales pipeline > DACH > this quarter > Generate: spinner for about 60 s, \
then HTTP 502. Same with 'Opportunities by region'.
- Other browser: fails the same way in Edge and in Chrome, also in a private window.
- Cleared cache and cookies, signed out and in again: no change.
- Permissions: her CRM role 'Sales Operations' has not changed since March (role history). \
Daniel Fischer has the 'Account Executive' role and gets the same error, so it is not one role.
- Another account: ran the same report with my own CRM account (Service Desk read-only) on my \
PC: same HTTP 502 after about a minute. So it is not her laptop, her browser or her account.""",
        ),
        (
            1,
            "11:26",
            "note",
            "smarquez",
            """\
- Reinstalled the CRM Outlook add-in and the CRM desktop connector on Jessica's laptop from the \
company portal (version 4.8.2): no change, which fits the test from my PC.
- Basic configuration: her language, region and currency settings are the same as a \
colleague's; the report definitions were last edited in January (report history).
- Status page: no CRM incident or maintenance announced. No CRM release this week on the change \
calendar.
- Knowledge base: the only match for 'CRM report 502' is the article about exports over 50,000 \
rows; these reports have about 3,000 rows, so it does not apply.
- The recurring 'CRM report export times out' tickets look similar, but those are export \
timeouts (504); here the report itself fails with 502.""",
        ),
        (
            1,
            "13:12",
            "reply",
            "jmorgan",
            """\
Thanks Sofia. Exporting per account manager works but takes ages. Laura Keller from Key \
Accounts has the same error with 'Opportunities by region', and so does Emily in Manchester.""",
        ),
        (
            1,
            "14:35",
            "note",
            "smarquez",
            """\
Called Laura Keller (Key Accounts, Hamburg) and Emily Walsh (Sales UK, Manchester): both get the \
same HTTP 502 with 'Opportunities by region'. Emily is in Manchester on a different office \
network, so it is not the Hamburg network. Everything else in the CRM is at normal speed for \
both.""",
        ),
        (
            1,
            "15:46",
            "reply",
            "smarquez",
            """\
Hi Jessica, I've ruled out your browser, your laptop and your account: the report fails the \
same way from my PC with a different account, and in Manchester too, so the problem is on the \
CRM side. I'm handing the ticket to our second-line specialists, who can look at the CRM \
servers and its database. They will contact you directly; you don't need to raise anything \
else.""",
        ),
        (1, "15:53", "escalate", "smarquez", (T.DB, CRM_PACKAGE)),
        (2, "08:38", "return", "isolberg", (ReturnReason.WRONG_TEAM, CRM_RETURN_GUIDANCE)),
        (
            2,
            "08:55",
            "note",
            "arahman",
            """\
Two more calls this morning: Ahmed Saleh and Victor Lindgren (Sales) get the same HTTP 502 on \
the pipeline report. Told them the ticket is with our second-line specialists. Jessica asked \
whether the report will work in time for the forecast call.""",
        ),
        (
            2,
            "09:04",
            "note",
            "smarquez",
            """\
Database returned it: the CRM and its reporting service are Application Support's, and \
crm-db-01 shows no alerts. Escalating to Application Support with the same package, plus \
Ahmed Saleh and Victor Lindgren (7 users now) and the Database team's check.""",
        ),
        (2, "09:06", "escalate", "smarquez", (T.AS, CRM_PACKAGE_AGAIN)),
        (2, "09:31", "accept", "tbecker", None),
        (2, "09:33", "start", "tbecker", None),
        (
            2,
            "09:40",
            "reply",
            "tbecker",
            """\
Hi Jessica, I'm Tom from Application Support. I've taken over your ticket from the Service \
Desk and I'm going through the CRM report service and its logs now. I'll update you before \
lunch, and in any case before the forecast call.""",
        ),
    ),
)

COLLABORATION_PACKAGE = {
    "summary": """\
Calls, meetings and chat in the collaboration platform freeze or drop for 10-60 s several times \
an hour since about 08:30 today, for office users in Munich, Hamburg, Leipzig and Rotterdam. \
People working from home and phones on 4G are not affected, even in the same meetings.""",
    "impact_users": 17,
    "impact_services": """\
Collaboration Platform (calls, video meetings, chat), including the Customer Service phone \
queues""",
    "impact_at_risk": """\
Customer calls in Customer Service drop mid-conversation; customer meetings in Sales are \
interrupted. Customer Service has started calling customers back from mobiles.""",
    "steps_taken": """\
- Calls by 11:20: 17 (Munich 4, Hamburg 6, Leipzig 2, Rotterdam 2, more since). Nothing from \
Manchester.
- Speed tests at three sites normal (90-300 Mbit/s down, 8-20 ms) at the time of the test; \
other internet use (web, mail, downloads) fine.
- Wired and Wi-Fi both drop (Rebecca Lin on cable at the dock still dropped).
- Desktop app and browser both drop; reinstalled the app on one Hamburg laptop: no change. \
Headsets make no difference.
- Provider status page: no incident for our region.
- Not checked (no access): WAN links, edge routers, firewall, traffic statistics.""",
    "reproduction_steps": """\
Join a meeting from an office network (Munich shows it most) and keep it open: within 20-30 \
minutes it freezes with 'Reconnecting...' for 10-60 s. Drop times in Munich: 09:12, 09:41, \
10:05, 10:22, 11:05 (the whole meeting room of six at once; the two at home were fine).""",
    "hypothesis": """\
Whole offices drop at the same moment while home workers and 4G are fine, so it looks like the \
office connections (WAN links or internet breakout) rather than the platform or the devices. \
Drops cluster between 09:00 and 11:00, when most meetings run.""",
    "urgency_justification": """\
Customer-facing at four sites: the Customer Service phone queues run on the platform and \
customer calls drop mid-conversation; more offices call in every half hour.""",
}

COLLABORATION = Case(
    key="collaboration",
    title="Intermittent disconnections from the collaboration platform for many employees",
    description="""\
Rebecca Lin (Office Manager, Munich) called: calls and meetings in the collaboration platform \
keep dropping for everybody in the Munich office since about 08:30.

What happens: several times an hour a call freezes for 10 to 60 seconds and shows \
'Reconnecting...'; then it either continues or the person is thrown out and has to rejoin. Chat \
messages sent during a drop show 'Failed to send' and go through when retried.
Other sites: while I was logging this, calls came in from Hamburg (Customer Service) and \
Leipzig (warehouse office) with the same symptoms.
Affects: calls, video meetings and chat; the desktop app and the browser alike.
Business impact: customer calls in Customer Service drop mid-conversation; sales meetings with \
customers are interrupted.""",
    requester="rlin",
    logged_by="lobrien",
    source=Source.PHONE,
    category="collaboration",
    service="Collaboration Platform",
    ci="Collaboration platform tenant",
    impact=Level.HIGH,
    urgency=Level.MEDIUM,
    opened=(2, "08:52"),
    steps=(
        (2, "08:53", "start", "lobrien", None),
        (
            2,
            "09:01",
            "reply",
            "lobrien",
            """\
Hi Rebecca, thanks for calling. Other offices are reporting the same, so this is not your \
laptop or your Wi-Fi and you don't need to restart anything. I'm collecting details from the \
sites and will update you within the hour. If a customer call is important, joining from your \
mobile phone over 4G works as a stopgap.""",
        ),
        (
            2,
            "09:44",
            "note",
            "lobrien",
            """\
Calls so far (09:45): Munich 4, Hamburg 6 (Customer Service 4, Sales 2), Leipzig 2, Rotterdam \
2: 14 in total. All the same symptom: freezes of 10-60 seconds, several times an hour, in \
calls, meetings and chat. Nothing from Manchester yet.""",
        ),
        (
            2,
            "10:18",
            "note",
            "lobrien",
            """\
Local checks with three callers (Munich, Hamburg, Leipzig):
- Speed tests in the browser are normal at all three: 90-300 Mbit/s down, 8-20 ms latency at \
the time of the test.
- Wired and wireless both affected: Rebecca connected her laptop to the docking station by \
cable and still dropped 20 minutes later.
- Desktop app and browser both drop; reinstalled the app on one Hamburg laptop: no change.
- With and without a headset: no difference.
- Other internet use (web pages, email, downloads) works normally according to all callers.
- The platform provider's status page shows no incident for our region.
Nothing points to the devices or to one office's Wi-Fi.""",
        ),
        (
            2,
            "10:51",
            "note",
            "lobrien",
            """\
Pattern so far:
- Drops mostly between 09:00 and 11:00, when most meetings run; Munich and Leipzig report more \
drops than Hamburg.
- Colleagues working from home have no drops, even in the same meetings as the office staff.
- Two people who switched to 4G on their phones: no drops.
- An internal call between two people in the Munich office dropped too, so it is not only calls \
with external parties.
- Drop times Rebecca noted in Munich: 09:12, 09:41, 10:05, 10:22 (about 30 seconds each).""",
        ),
        (
            2,
            "11:08",
            "reply",
            "rlin",
            """\
Thanks Liam. It just happened again at 11:05 in our team meeting: all six of us in the Munich \
room froze at the same moment, the two who joined from home were fine.""",
        ),
        (
            2,
            "11:19",
            "reply",
            "lobrien",
            """\
Hi Rebecca, thanks, that helps a lot. Because it hits whole offices at once while people at \
home are fine, I've passed the ticket to our Network & Infrastructure team to look at the \
office connections. I'll keep you updated here.""",
        ),
        (2, "11:25", "escalate", "lobrien", (T.NI, COLLABORATION_PACKAGE)),
        (
            2,
            "11:47",
            "note",
            "arahman",
            """\
Sara Jensen (Customer Service Team Lead) called: three customer calls dropped in the last half \
hour in Hamburg. She has asked her team to call customers back from mobiles and would like an \
update by 13:00.""",
        ),
    ),
)

ECOMMERCE_PACKAGE = {
    "summary": """\
Web shop orders stopped arriving in ERP at about 06:05 today. 231 orders are 'Queued for \
export' in the shop back office (Integration tab), none of them in ERP; no error is shown to \
shop users, customers or in the back office. First missing order WEB-1048790 (06:11), last \
one that arrived WEB-1048789 (06:04).""",
    "impact_users": 30,
    "impact_services": """\
eCommerce (order export to ERP); ERP sales orders, warehouse picking and invoicing for the web \
channel""",
    "impact_at_risk": """\
231 web orders (and rising) cannot be picked or shipped: the warehouse picks web orders from \
ERP and the carrier collects at 15:00. Invoicing runs from ERP and is delayed too.""",
    "steps_taken": """\
- Input data: WEB-1048812, WEB-1048827 and WEB-1048903 are complete in the shop (customer \
number, billing and delivery address, VAT ID, payment authorised, every line with SKU, \
quantity and price).
- Shop back office > Integration: the missing orders show 'Queued for export' with no error \
text; queue counter 231 at 10:18.
- ERP is up: Customer Service entered a phone order at 10:12 without problems.
- Status page: no maintenance for the shop or ERP. Change calendar: nothing for the shop, ERP \
or the integration this week.
- Not checked (no access): integration middleware and its logs, ERP interface logs.""",
    "reproduction_steps": """\
Watch any new web order (one arrives every minute or two): the shop back office shows it as \
'Received - payment authorised', then 'Queued for export' on the Integration tab, and it never \
appears in ERP (Sales > Sales orders, channel WEB). Followed WEB-1048903 on a screen share with \
Marco between 10:00 and 10:20.""",
    "hypothesis": """\
Both ends work on their own and the orders wait in the shop's export queue, so the interface \
between them (middleware or its connection to ERP) looks like the place to start. It stopped \
at one moment, between two orders, with no change announced.""",
    "urgency_justification": """\
Every web order since 06:10 is stuck and none can ship until this works; today's carrier \
collection is at 15:00. B2B customers expect next-day delivery.""",
}

ECOMMERCE = Case(
    key="ecommerce",
    title="eCommerce orders not syncing into ERP",
    description="""\
Marco Bianchi (eCommerce Operations) called: orders placed in the web shop since about 06:10 \
this morning are not in the ERP.

What he sees: the shop back office shows the orders as 'Received - payment authorised' and \
customers got their confirmation emails. In ERP (Sales > Sales orders, channel WEB) the newest \
web order is WEB-1048789 from 06:04. Normally web orders appear in ERP within 5 minutes.
Volume: 212 orders since 06:10 (shop back office count at 09:50).
Errors: none shown to shop users or customers; checkout works normally.
Business impact: the warehouse picks web orders from ERP, so none of these orders are picked or \
shipped; the carrier collects at 15:00. Invoicing runs from ERP as well.""",
    requester="mbianchi",
    logged_by="smarquez",
    source=Source.PHONE,
    category="integration",
    service="eCommerce",
    ci="Shop-to-ERP order integration",
    impact=Level.HIGH,
    urgency=Level.MEDIUM,
    opened=(2, "09:57"),
    steps=(
        (2, "09:58", "start", "smarquez", None),
        (
            2,
            "10:09",
            "note",
            "smarquez",
            """\
Checked three missing orders with Marco on a screen share: WEB-1048812, WEB-1048827 and \
WEB-1048903. All complete in the shop: customer number, billing and delivery address, VAT ID, \
payment 'authorised', every line has an SKU, quantity and price. Nothing wrong with the input \
data that I can see. First missing order: WEB-1048790 at 06:11; the last one that arrived in \
ERP is WEB-1048789 at 06:04.""",
        ),
        (
            2,
            "10:18",
            "note",
            "smarquez",
            """\
- Shop back office > Integration tab: the missing orders show 'Queued for export', no error \
text. The queue counter says 231.
- ERP is up: Customer Service entered a phone order in ERP at 10:12 without problems.
- Status page: no maintenance for the shop or ERP. Change calendar: nothing for the shop, ERP or \
the integration this week.
- I have no access to the integration middleware or its logs.""",
        ),
        (
            2,
            "10:22",
            "reply",
            "smarquez",
            """\
Hi Marco, thanks for the quick call. I've logged this as an urgent incident and passed it to \
Application Support, who look after the link between the shop and ERP. The orders are safe in \
the shop and will not be lost: once the link works again they should flow into ERP. I'll keep \
you posted here.""",
        ),
        (2, "10:28", "escalate", "smarquez", (T.AS, ECOMMERCE_PACKAGE)),
        (
            2,
            "10:52",
            "note",
            "smarquez",
            """\
Dirk Meyer (Warehouse Operations, Leipzig) called: the web-channel pick lists have been empty \
since 06:00; normally there are 150-200 lines by now. If the orders are not in ERP by about \
13:00 they miss today's 15:00 carrier collection. Raising the urgency to high (P1).""",
        ),
        (2, "10:53", "update", "smarquez", {"urgency": Level.HIGH}),
        (
            2,
            "11:14",
            "reply",
            "mbianchi",
            """\
Customer Service is starting to get calls from B2B customers asking for their delivery notes. \
The shop now shows 287 orders waiting.""",
        ),
    ),
)

CASES = (CRM, COLLABORATION, ECOMMERCE)


def case_days(local_anchor: datetime) -> tuple[date, date]:
    """The two most recent working days whose office hours (to 16:00) lie before the anchor."""
    day = local_anchor.date()
    if local_anchor.hour < 16:
        day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    before = day - timedelta(days=1)
    while before.weekday() >= 5:
        before -= timedelta(days=1)
    return before, day


class Cases:
    """Opens the reference cases at their time and then lets their story play out."""

    def __init__(
        self, *, org: Org, cmdb: Cmdb, categories: dict[str, Category], clock: Clock
    ) -> None:
        self.org, self.cmdb, self.categories, self.clock = org, cmdb, categories, clock
        self.days = case_days(clock.local_anchor)
        self.created: dict[str, Ticket] = {}

    def _at(self, day: int, hhmm: str) -> datetime:
        return self.clock.to_utc(self.clock.local(self.days[day - 1], hhmm))

    def openings(self) -> list[tuple[datetime, Callable[[], None]]]:
        """(time, open it) per case, so the caller can number tickets in creation order."""
        return [(self._at(*case.opened), partial(self._open, case)) for case in CASES]

    def _open(self, case: Case) -> None:
        logger = self.org.user(case.logged_by)
        self.created[case.key] = ticket_create(
            actor=logger,
            title=case.title,
            description=case.description,
            requester=self.org.user(case.requester),
            category=self.categories[case.category],
            impact=case.impact,
            urgency=case.urgency,
            team=self.org.teams[T.SD],
            assignee=logger,
            service=self.cmdb.services[case.service],
            ci=self.cmdb.items[case.ci],
            source=case.source,
            at=self._at(*case.opened),
        )

    def finish(self) -> None:
        """Play each case's steps through the services."""
        for case in CASES:
            ticket = self.created[case.key]
            escalation: Escalation | None = None
            for day, hhmm, action, username, payload in case.steps:
                actor, at = self.org.user(username), self._at(day, hhmm)
                if action in ("reply", "note"):
                    ticket_comment(
                        actor=actor, ticket=ticket, body=payload, internal=action == "note", at=at
                    )
                elif action == "escalate":
                    team, package = payload
                    escalation = escalation_create(
                        actor=actor, ticket=ticket, to_team=self.org.teams[team], at=at, **package
                    )
                elif action == "return":
                    reason, guidance = payload
                    escalation_return(
                        actor=actor,
                        escalation=escalation,
                        reason=reason,
                        guidance=guidance,
                        at=at,
                    )
                elif action == "accept":
                    escalation_accept(
                        actor=actor, escalation=escalation, assign_to_self=True, at=at
                    )
                elif action == "update":
                    ticket_update(actor=actor, ticket=ticket, version=None, changes=payload, at=at)
                else:
                    ticket_transition(actor=actor, ticket=ticket, action=action, at=at)
                ticket = Ticket.objects.select_related("team", "assignee").get(pk=ticket.pk)
            self.created[case.key] = ticket

    def tickets(self) -> list[Ticket]:
        pks = [self.created[case.key].pk for case in CASES if case.key in self.created]
        by_pk = Ticket.objects.select_related("team").in_bulk(pks)
        return [by_pk[pk] for pk in pks]
