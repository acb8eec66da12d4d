"""The knowledge base of the demo: about sixty articles Hartwell Supply's desk has written, and
`load_articles`, which writes them with their history.

The articles are plain data, like `text.py`. Each names the incident kinds (`text.INCIDENTS`
keys) it is about; that mapping measures suggestion quality later, so it says what the article
really covers. States: "published", "stale" (published, review-by day passed), "draft", "review",
"retired" (with the title of the article that replaced it). `age` is how many days before the
anchor the first version was written; `update` is a second version (what changed, text added to
the resolution). The three reference-case articles are written while the cases are worked, from
what the cases show so far (their causes are not known yet at the anchor); `{ticket}` is the
case's number.

`load_articles` writes the articles through `knowledge.services`, dated over the past months
(versions, review, publication, retirement), then bulk-inserts their use on the history tickets
in the shapes `article_use` and `ticket_kb_decide` write (solved on Level 1 tickets, more often
lately; linked before escalations; knowledge decisions on recent escalated tickets), readers'
votes (the unhelpful comments through `article_feedback`, so owners get review tasks) and views.
Everything is decided by the `rng` it is given, so a seed gives the same knowledge base.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from backline.accounts.models import User
from backline.cmdb.models import Service
from backline.demo import text as T
from backline.knowledge.choices import Audience, Decision, UseKind
from backline.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleReview,
    ArticleUse,
    KnowledgeDecision,
)
from backline.knowledge.services import (
    article_create,
    article_feedback,
    article_transition,
    article_update,
    review_close,
)
from backline.tickets.choices import EventKind, Status
from backline.tickets.models import Category, Ticket, TicketEvent

if TYPE_CHECKING:
    from backline.demo.history import Clock, Cmdb, Life, Org
    from backline.demo.reference import Cases

PUBLIC, L1, INTERNAL = "public", "l1", "internal"


@dataclass(frozen=True)
class ArticleSpec:
    title: str
    keys: tuple[str, ...]  # the incident kinds (text.INCIDENTS keys) the article is about
    owner: str  # username
    symptoms: str
    cause: str
    resolution: str
    keywords: str
    audience: str = L1
    body: str = ""
    state: str = "published"  # published, stale, draft, review, retired
    age: int = 260  # days before the anchor the first version was written
    update: tuple[str, str] | None = None  # (what changed, text added to the resolution)
    superseded_by: str = ""  # retired: the title of the article that replaces it
    case: str = ""  # reference case key (reference.CASES): drafted while working that case
    category: str = ""  # category slug; default: the first key's incident category
    services: tuple[str, ...] | None = None  # default: the first key's incident service
    cis: tuple[str, ...] | None = None  # default: the first key's incident CIs


A = ArticleSpec

ARTICLES: list[ArticleSpec] = [
    # --- access -------------------------------------------------------------------------------
    A(
        "Account locked out or password expired: unlock and reset",
        ("password",),
        "arahman",
        """\
- Windows shows "The referenced account is currently locked out and may not be logged on to."
- "Your password has expired" at sign-in, or every sign-in fails right after a password change.
- Phone mail stops syncing at the same time as the lockout.""",
        """\
Five wrong passwords in 15 minutes lock the account for 30 minutes. The usual source is a \
device that still has the old password saved (the phone's mail app, a second laptop, a mapped \
drive with saved credentials).""",
        """\
1. Verify the caller's identity with a call-back to the mobile number in the directory. Never \
reset a password for a caller you could not verify.
2. In the directory console, open the user and check **Account status** and **Lockout \
source**.
3. Unlock the account. If the password expired or the user forgot it, set a temporary \
password with *User must change password at next sign-in*.
4. If the lockout source is a phone or another device, update the password there first (mail \
app: Settings > Accounts > Exchange > password), then unlock again.
5. Ask the user to sign in while you are on the line; check that the lockout counter stays at 0.""",
        "locked out, lockout, password expired, unlock, temporary password, sign-in",
        age=410,
        update=(
            "Added the self-service reset for users who are registered",
            "6. If the user is registered for self-service reset, walk them through "
            "https://password.hartwell-supply.example instead of setting a temporary password.",
        ),
    ),
    A(
        "Reset your password yourself",
        ("password",),
        "dokafor",
        """\
You forgot your password, it has expired, or Windows says your account is locked.""",
        """\
Passwords expire every 180 days; five wrong attempts lock the account for 30 minutes.""",
        """\
1. On any device, open https://password.hartwell-supply.example.
2. Enter your email address and the characters shown.
3. Confirm with the authenticator app (or the SMS code sent to your mobile).
4. Choose a new password: at least 14 characters, not one of your last 10.
5. Sign in to your laptop with the new password **while connected to the office network or \
the VPN**, then update it on your phone's mail app.

Still locked out? Call the Service Desk on extension 4000.""",
        "forgot password, reset password, self-service, expired, locked",
        audience=PUBLIC,
        age=380,
    ),
    A(
        "Repeated account lockouts: finding the lockout source",
        ("password",),
        "ogrant",
        """\
The account locks again minutes after the Service Desk unlocked it, often several times a \
day, and the phone has already been updated.""",
        """\
Something still authenticates with the old password: a scheduled task or a service on an \
old PC, a mapped drive with saved credentials, a forgotten RDP session.""",
        """\
1. On dc-01, search the security log for event 4740 for the user; the *Caller Computer Name* \
is the source.
2. If the source is a PC, look for scheduled tasks and services running as the user \
(`schtasks /query /v /fo list`, services.msc) and for saved credentials in Credential Manager.
3. Remove or re-point the task or service to a service account; disconnect stale RDP sessions.
4. Unlock the account and watch event 4740 for 30 minutes.""",
        "lockout source, event 4740, scheduled task, saved credentials, domain controller",
        audience=INTERNAL,
        age=300,
        cis=("Directory domain controllers",),
    ),
    A(
        "MFA: new phone, lost phone or codes rejected",
        ("mfa",),
        "arahman",
        """\
- The sign-in approval no longer arrives after the user got a new phone.
- The phone is lost or stolen and the user cannot sign in from outside the office.
- The authenticator app shows codes, but they are always "incorrect".""",
        """\
The MFA registration belongs to the old phone, or the phone's clock is set by hand and has \
drifted (codes are only valid for 30 seconds).""",
        """\
1. Verify the user's identity with their line manager (a lost phone may be in someone else's \
hands).
2. Codes rejected: ask the user to switch the phone to automatic date and time, then retry.
3. New or lost phone: in the MFA admin console, delete the old authenticator registration \
and require re-registration.
4. Stay on the line while the user registers the new phone at \
https://mysignins.hartwell-supply.example and test one sign-in.
5. Lost phone: also ask the user to report it through the phone's device management page so \
it can be wiped.""",
        "MFA, authenticator, new phone, lost phone, codes rejected, re-register, two-factor",
        age=350,
    ),
    A(
        "Set up the authenticator app on your new phone",
        ("mfa",),
        "arahman",
        """\
You have a new phone and want to keep signing in with the authenticator app.""",
        """\
The authenticator is tied to your old phone until you register the new one.""",
        """\
1. **Before you hand in the old phone**, sign in at https://mysignins.hartwell-supply.example \
from your laptop.
2. Choose *Add sign-in method* > *Authenticator app* and scan the QR code with the new phone.
3. Approve the test notification on the new phone.
4. Delete the old phone from the list.

Already handed in the old phone? Call the Service Desk (extension 4000); we will verify your \
identity with your manager and reset the registration.""",
        "authenticator app, new phone, MFA, two-factor, QR code",
        audience=PUBLIC,
        age=75,
    ),
    A(
        "Access to a share or an application role",
        ("access",),
        "epetrova",
        """\
- "Access denied" on a department share (\\\\fs-01\\...) after a team move.
- A new starter or someone who changed roles cannot open a screen in CRM, ERP, the HR Portal \
or the shop back office.""",
        """\
Access follows groups and roles, and both need the owner's approval. Team moves often leave \
the old team's groups in place and the new ones missing.""",
        """\
1. Get the approval in writing (the line manager; for Finance and HR data the data owner) and \
attach it to the ticket.
2. Compare the user's groups with a colleague in the same team (directory console > *Member \
of*).
3. Shares: add the user to the share's access group (`GG-FS-<share>-RW` or `-RO`). The user \
must sign out and in again.
4. Application roles (CRM, ERP, HR Portal, shop back office) are assigned by Application \
Support: escalate with the approval, the role name and the colleague you compared with.
5. Remove the old team's groups if the approval says so.""",
        "access denied, permission, share, role, new starter, team move, approval",
        age=330,
        category="access",
        services=("File & Print",),
        cis=("fs-01",),
    ),
    A(
        "SSO login loop or 'session expired' in the HR Portal",
        ("sso",),
        "riyer",
        """\
- Opening the HR Portal sends the user back to the sign-in page in a loop.
- Single sign-on asks for the password on every page.
- "Your session has expired" right after signing in.""",
        """\
Stale cookies from the identity provider, or an old bookmark pointing to the retired login \
address. If several users are affected at once, the cause is on the server side.""",
        """\
1. Ask whether colleagues have the same problem. More than two users: escalate to Network & \
Infrastructure straight away with the times and browsers.
2. Clear cookies for `login.hartwell-supply.example` and `hr.hartwell-supply.example` (not \
the whole browser history).
3. Open the portal from the intranet tile or the new bookmark, not from the old login \
address.
4. Test in a private window; if that works, the user's browser profile holds the stale cookie.""",
        "SSO, single sign-on, login loop, session expired, HR Portal, cookies",
        age=280,
    ),
    A(
        "SSO: checking the relying-party redirect and the session policy",
        ("sso",),
        "riyer",
        """\
Many users loop between an application and the identity provider, or sessions end after a \
few minutes, typically after a certificate renewal or a policy change.""",
        """\
The application's redirect address in the identity provider no longer matches its host name, \
or the session lifetime policy was changed.""",
        """\
1. In the identity provider, open the relying party of the application and compare the \
redirect URIs with the address users open.
2. Check the audit log for changes to the relying party and to *Session lifetime* in the last \
two weeks.
3. Fix the redirect URI or restore the session lifetime (8 hours for staff) through a \
standard change; tell Security if a policy was changed.
4. Ask two affected users to sign in again in a private window.""",
        "SSO, relying party, redirect URI, session lifetime, certificate renewal",
        audience=INTERNAL,
        state="stale",
        age=330,
    ),
    # --- application --------------------------------------------------------------------------
    A(
        "CRM report export times out (504) for long date ranges",
        ("crm_export",),
        "epetrova",
        """\
- Exporting a CRM report (Sales pipeline, Won/lost analysis, Forecast by quarter…) to Excel \
ends after about two minutes with "Gateway timeout (504)" and no file.
- Smaller date ranges work.""",
        """\
Exports run through the API gateway, which stops any request after 120 seconds. Exports of a \
full quarter take longer than that, and a little longer every week as data grows.""",
        """\
1. Reproduce with the user and note the report, the filters and the date range.
2. Export one month at a time and let the user combine the files.
3. For reports needed every week, schedule the report (Report > *Schedule* > daily 06:00, \
send as Excel) so it runs in the background without the timeout.
4. Link the ticket to the problem record for the recurring export timeouts; do not escalate \
unless one month also fails.""",
        "CRM, report, export, timeout, 504, gateway timeout, Excel",
        age=240,
        update=(
            "Linked the problem record for the recurring tickets",
            "5. Export timeouts come back about once a week: add the report name to the "
            "problem record PRB-0031 so Application Support sees which reports are affected.",
        ),
    ),
    A(
        "CRM report exports with more than 50,000 rows fail",
        ("crm_export",),
        "gmensah",
        """\
Exporting a very large CRM report (more than 50,000 rows) fails or delivers an empty file.""",
        """\
The CRM reporting service limits Excel exports to 50,000 rows.""",
        """\
1. Check the row count at the bottom of the report.
2. Above 50,000 rows: export as CSV, which has no row limit, or filter by region or month.
3. Under 50,000 rows this article does not apply; see the article about export timeouts \
(504).""",
        "CRM, export, 50000 rows, row limit, CSV, empty file",
        state="stale",
        age=420,
    ),
    A(
        "CRM slow for many users: what to collect before escalating",
        ("crm_slow",),
        "tbecker",
        """\
Opening accounts or saving opportunities in CRM takes 20-40 seconds, for several users at \
once.""",
        """\
Usually on the server side: blocking database sessions from a bulk import, or an application \
node that has exhausted its connection pool.""",
        """\
1. Confirm it is not one PC: compare with a colleague and test over cable.
2. Check the status page and the change calendar for CRM maintenance.
3. Collect: how many users and which sites, since when, which actions are slow, and two or \
three exact times.
4. Escalate to Application Support as P2 if Sales or Customer Service cannot work; there is no \
L1 fix.""",
        "CRM, slow, performance, loading, freezes, saving opportunities",
        age=230,
    ),
    A(
        "CRM slow: blocking sessions and connection pools",
        ("crm_slow",),
        "tbecker",
        """\
CRM pages take 20-40 s for many users; app servers look idle or one node stands out.""",
        """\
Requests wait on crm-db-01 behind a bulk update (marketing imports), or crm-app-01/02 has \
exhausted its database connection pool (known leak, problem open).""",
        """\
1. On crm-db-01, list blocking sessions: `SELECT pid, wait_event, query FROM \
pg_stat_activity WHERE wait_event_type = 'Lock';`.
2. A bulk import blocking account queries: stop it and reschedule it after 22:00 with the \
Marketing data owner.
3. Check the connection pool metrics of both app nodes. An exhausted pool: take the node out \
of the load balancer and restart the CRM application on it.
4. Note the node and the time in the connection-leak problem record.""",
        "CRM, slow, blocking, pg_stat_activity, connection pool, crm-app-02, bulk import",
        audience=INTERNAL,
        age=200,
        update=(
            "Added the load balancer step before restarting a node",
            "5. Put the node back into the load balancer once `/health` answers in under a second.",
        ),
    ),
    A(
        "CRM button missing in Outlook or emails not tracked",
        ("crm_addin",),
        "gmensah",
        """\
- The CRM button is missing or greyed out in Outlook.
- Emails the user tracks do not appear in the account's activities.""",
        """\
Outlook disables add-ins it considers slow to load, and the add-in's authorisation expires \
after 90 days without use.""",
        """\
1. Outlook > File > Manage COM add-ins: if *CRM Outlook add-in* is disabled, enable it and \
choose *Always enable this add-in*.
2. If it is missing, install *CRM Outlook add-in* from the company portal and restart Outlook.
3. If the button is there but tracking fails, sign out of the add-in (CRM pane > Settings > \
Sign out) and in again.
4. Still failing: escalate to Application Support to reset the add-in authorisation.""",
        "CRM, Outlook, add-in, button missing, track email, greyed out",
        age=150,
    ),
    A(
        "CRM add-in for Outlook 2016: manual installation",
        ("crm_addin",),
        "gmensah",
        """\
The CRM button is missing in Outlook 2016.""",
        """\
The add-in was installed by hand on Outlook 2016 laptops.""",
        """\
1. Download the installer from \\\\fs-01\\it\\crm-addin\\3.2.
2. Run it as administrator and restart Outlook.""",
        "CRM, Outlook 2016, add-in, manual install",
        state="retired",
        age=520,
        superseded_by="CRM button missing in Outlook or emails not tracked",
    ),
    A(
        "ERP posting errors: period not open or missing authorisation",
        ("erp_error",),
        "epetrova",
        """\
Posting an invoice, a goods receipt or a purchase order fails with messages such as "Period \
03 is not open for posting", "No authorisation for company code 2000" or "Document could not \
be saved (E-4711)".""",
        """\
Either the posting period was not opened at month end (everyone in the company code is \
affected) or the user's role lacks an authorisation (only this user).""",
        """\
1. Get the exact message and the document number (screenshot).
2. Ask whether colleagues in the same team can post the same kind of document.
3. Everyone fails with "Period … is not open": escalate to Application Support as P2 in the \
first days of the month; Finance is blocked.
4. Only this user fails: compare their ERP roles with a colleague's and escalate with the \
approval of the Finance data owner.
5. Any other message: escalate with the document number, the time and the steps.""",
        "ERP, posting, period not open, authorisation, company code, E-4711",
        age=300,
    ),
    A(
        "ERP: opening a posting period and checking company-code authorisations",
        ("erp_error",),
        "epetrova",
        """\
Posting fails for a whole company code (period not open) or for one user (authorisation).""",
        """\
The month-end checklist missed opening the period, or a role change dropped an \
authorisation.""",
        """\
1. Period: ERP > Finance > Period control; open the current period for the company code and \
account types the users need, and note it on the month-end checklist.
2. Authorisation: run the authorisation trace for the user while they retry, find the \
missing object and add it to the role only with the Finance data owner's approval.
3. Ask the user to post the document again and keep the trace in the ticket.""",
        "ERP, posting period, period control, authorisation trace, company code 2000",
        audience=INTERNAL,
        age=290,
    ),
    A(
        "ERP unavailable: first checks on erp-app-01",
        ("erp_down",),
        "pnair",
        """\
Nobody can sign in to ERP ("Service unavailable"), or ERP is extremely slow for everyone.""",
        """\
Seen so far: the application log volume of erp-app-01 full, the message server stopped \
after an overnight patch, storage latency on the database volume.""",
        """\
1. Open a major incident and inform the Support Manager.
2. On erp-app-01: `df -h /var/log/erp`; above 95 %, remove rotated logs older than 7 days.
3. Check the message server (`erpctl status msgserver`); start it if stopped and check the \
patch log.
4. Check response times of erp-db-01; if they are many times normal, bring in Database.
5. Post an update on the status page every 30 minutes.""",
        "ERP, down, unavailable, service unavailable, message server, disk full",
        audience=INTERNAL,
        state="stale",
        age=360,
    ),
    A(
        "HR Portal: blank payslip page or leave request fails",
        ("hr_portal",),
        "gmensah",
        """\
- The payslip page stays blank.
- Submitting a leave request fails with "Something went wrong".""",
        """\
The payslip viewer works only in Edge until the next portal update; leave requests fail when \
the employee record has no cost centre (often after a team move).""",
        """\
1. Payslip: open the HR Portal in Edge. If the payslip shows, that is the workaround.
2. Clear the browser cache for hr.hartwell-supply.example and retry.
3. Leave request: ask whether the user moved teams recently. If so, escalate to Application \
Support to check the cost centre of the employee record with HR.""",
        "HR Portal, payslip, blank page, leave request, Edge, cost centre",
        age=210,
    ),
    A(
        "Shop back office changes not visible in the shop",
        ("shop_backoffice",),
        "kwatanabe",
        """\
Product, price or image changes saved in the shop back office do not appear in the shop \
after an hour, or saving shows "Publish job failed".""",
        """\
Changes reach the shop through the publish job. It gets stuck behind a failed image import \
(for example file names with umlauts before release 2.14.3).""",
        """\
1. Check in a private window (the shop caches pages for 15 minutes).
2. Back office > System > Jobs: note the status of the last *publish* run.
3. Ask the user to rename images with umlauts or spaces before uploading.
4. If the publish job is *Failed* or running longer than 30 minutes, escalate to Application \
Support with the product numbers.""",
        "shop, back office, publish job, prices, images, product not visible",
        age=190,
    ),
    A(
        "Shop checkout errors: payment provider or our release?",
        ("shop_checkout",),
        "kwatanabe",
        """\
Customers get an error after entering card details or "Internal error" on the basket page; \
orders are not created.""",
        """\
Either the payment provider has an outage, or a shop release broke the checkout (seen with \
voucher validation on bundles).""",
        """\
1. Check the payment provider's status page and the gateway log for authorisation timeouts.
2. Check the deployment log: did a release go out this morning? Compare the first error with \
the deployment time.
3. Provider outage: post on the status page and ask Customer Service to take orders by phone.
4. Release: agree a rollback with Engineering at once; re-create failed orders from the log \
afterwards.""",
        "shop, checkout, payment, card, error 500, basket, release rollback",
        audience=INTERNAL,
        age=250,
    ),
    A(
        "Office app crashes or will not start: repair and add-ins",
        ("office_app",),
        "dokafor",
        """\
Excel, Word, Outlook or PowerPoint closes without a message when opening a file, does not \
start after an update, or has become very slow.""",
        """\
A damaged Office installation after an update, a faulty third-party add-in, or a file opened \
straight from a zip archive.""",
        """\
1. Restart the laptop.
2. Start the app in safe mode (hold Ctrl while starting). If it works, disable the add-ins \
one by one (File > Options > Add-ins) and remove the faulty one.
3. Settings > Apps > Microsoft 365 > Modify > *Online repair*.
4. If the file comes from a zip archive, extract it first.""",
        "Excel, Word, Outlook, crash, will not start, Office repair, add-in, safe mode",
        age=370,
        update=(
            "Online repair instead of quick repair",
            "5. Quick repair rarely helps after the monthly update; go straight to the online "
            "repair (it takes about 15 minutes).",
        ),
    ),
    # --- database -----------------------------------------------------------------------------
    A(
        "PostgreSQL data volume above 90 %: WAL archive and growth",
        ("db_disk",),
        "cmendes",
        """\
Monitoring: /var/lib/postgresql on a database server above 90 %, usually growing a few \
percent a day.""",
        """\
Either WAL files are kept because archiving or the backup job fails, or the volume was sized \
for last year's data.""",
        """\
1. `du -sh /var/lib/postgresql/*/main/pg_wal`: if pg_wal is large, check \
`pg_stat_archiver` and the last backup job; fix the backup credential first.
2. Never delete WAL files by hand.
3. Normal growth: extend the volume (LVM, online) and add the forecast to the capacity plan.
4. Close the alert only below 80 %.""",
        "disk usage, data volume, pg_wal, WAL archive, PostgreSQL, capacity",
        audience=INTERNAL,
        age=280,
        services=("Data Warehouse",),
        cis=("crm-db-01", "erp-db-01", "dwh-db-01", "shop-db-01"),
    ),
    A(
        "Replication lag on a PostgreSQL standby",
        ("db_replication",),
        "hschulz",
        """\
Monitoring: replication lag of a standby above 10 minutes, or the standby stopped \
replicating.""",
        """\
A long-running report query on the standby holds back replay, or replication traffic \
competes with backup traffic at night.""",
        """\
1. On the standby: `SELECT now() - pg_last_xact_replay_timestamp();` and check \
`pg_stat_activity` for long queries.
2. Cancel the blocking report query (`pg_cancel_backend`) and tell its owner.
3. Lag at night only: check the backup window and the replication VLAN.
4. The standby is not replicating at all: check `pg_stat_wal_receiver` and escalate to DevOps.""",
        "replication lag, standby, replay, pg_stat_wal_receiver, PostgreSQL",
        audience=INTERNAL,
        age=240,
        services=(),
        cis=("crm-db-01", "erp-db-01"),
    ),
    A(
        "Dashboards show yesterday's figures: the nightly load failed",
        ("dwh_etl",),
        "hschulz",
        """\
A BI dashboard (Daily sales, Revenue by region, Stock levels, Open orders) still shows \
yesterday's figures in the morning.""",
        """\
One of the nightly ETL loads (01:00-05:00) failed or is still running.""",
        """\
1. Check the dashboard's *last refresh* time (bottom right).
2. If it is before 05:00 today, check the ETL status page for the failed job.
3. Tell the user which dashboards are affected; the figures of the day before are correct.
4. Escalate to Database with the job name; before the 09:00 management meeting as P2.""",
        "dashboard, old data, ETL, nightly load, data warehouse, last refresh",
        age=260,
    ),
    A(
        "Re-running a failed ETL load",
        ("dwh_etl",),
        "hschulz",
        """\
An ETL job (load_erp_orders, load_crm_opportunities, load_shop_orders, load_stock_levels) \
failed overnight.""",
        """\
Duplicate keys delivered by the source system, or a lock held by the backup window.""",
        """\
1. Read the job log: a constraint violation names the key; find the duplicate in the staging \
table.
2. Remove the duplicate from staging (keep a copy in `etl_rejects`) and tell the source \
system's owner.
3. Lock timeout: check that the backup finished, then re-run the load.
4. Re-run the job from the scheduler with *from step: load*; refresh the dashboards.""",
        "ETL, re-run, duplicate key, staging, constraint violation, backup window",
        audience=INTERNAL,
        age=250,
        update=(
            "Added the backup window check",
            "5. If the load waited on the backup, ask DevOps to move the backup window by 30 "
            "minutes.",
        ),
    ),
    A(
        "Dashboard figures differ from ERP",
        ("dwh_numbers",),
        "arahman",
        """\
Revenue or other figures in a dashboard differ from ERP for the same period.""",
        """\
Late postings in ERP after the load, or a wrong filter.""",
        """\
1. Confirm the period and filters with the user.
2. Note both figures and the difference.
3. Escalate to Database with the dashboard, the period and screenshots.""",
        "dashboard, figures, revenue, does not match ERP, data warehouse",
        state="draft",
        age=12,
    ),
    A(
        "Deadlocks when posting goods receipts in ERP",
        ("db_deadlock",),
        "isolberg",
        """\
Warehouse users get "Transaction rolled back (deadlock)" several times an hour when posting \
goods receipts.""",
        """\
A batch job that updates stock (the stock revaluation) runs during working hours and locks \
stock rows in a different order from the goods receipt.""",
        """\
1. Collect the times of the errors and compare them with the scheduler's job history.
2. Check `log_lock_waits` on erp-db-01 for the two statements involved.
3. Move the batch job out of working hours (after 20:00) with the ERP job owner.
4. If the deadlocks continue, escalate to Engineering with the statements.""",
        "deadlock, goods receipt, ERP, stock revaluation, lock order",
        audience=INTERNAL,
        state="review",
        age=20,
    ),
    A(
        "Nightly backup failed: expired credential or full target",
        ("backup",),
        "cmendes",
        """\
Monitoring: nightly backup of a database ended with status FAILED (exit code 1).""",
        """\
The backup user's password expired, or expired backups were not purged and the target is \
full.""",
        """\
1. Read the job log on backup-01.
2. "authentication failed": renew the backup user's password as a non-expiring service \
credential and update the vault.
3. "No space left": run the purge of expired backups and check the retention settings.
4. Re-run the backup and check the restore test of the next morning.""",
        "backup failed, backup-01, exit code 1, credential expired, retention",
        audience=INTERNAL,
        state="stale",
        age=400,
    ),
    # --- collaboration ------------------------------------------------------------------------
    A(
        "External emails not arriving or held in quarantine",
        ("mail_external",),
        "gmensah",
        """\
- Emails from a partner or customer do not arrive although the sender says they went out.
- Customers report bounces when writing to a shared mailbox.""",
        """\
The mail gateway quarantines mail from domains whose SPF record is missing or wrong.""",
        """\
1. Check the user's junk folder.
2. Run a message trace for the sender's address (last 48 hours).
3. Held by the gateway: release the messages from quarantine after checking they are \
genuine (expected sender, no unusual links or attachments).
4. Ask the sender to fix their SPF record; if they cannot at once, escalate to Application \
Support for a temporary allow rule.""",
        "email, external, quarantine, SPF, message trace, bounce, not receiving",
        age=230,
    ),
    A(
        "Shared mailbox missing in Outlook or Send As fails",
        ("shared_mailbox",),
        "cdubois",
        """\
A shared mailbox (orders@, invoices@, customerservice@…) no longer shows in Outlook, or \
sending as it fails.""",
        """\
The permission was removed in a team clean-up, or the Outlook profile was rebuilt.""",
        """\
1. Mail admin centre > the shared mailbox > *Delegation*: check Full Access and Send As.
2. Missing: get the mailbox owner's approval and add both.
3. Permissions fine: add the mailbox in Outlook (File > Account settings > More settings > \
Advanced).
4. It can take up to an hour to appear; restart Outlook.""",
        "shared mailbox, Send As, Full Access, Outlook, orders@, invoices@",
        age=110,
    ),
    A(
        "Calendar permissions and room bookings",
        ("calendar",),
        "cdubois",
        """\
- "You don't have permission" when opening a colleague's calendar.
- Meeting invitations do not arrive, or a room booking is declined.""",
        """\
Calendars are private until the owner shares them; room mailboxes decline bookings more than \
30 days ahead.""",
        """\
1. Colleague's calendar: the colleague shares it (Outlook > Calendar > Share). We do not \
change other people's calendar permissions without their approval.
2. Room declined: check how far ahead the booking is; for bookings more than 30 days ahead, \
extend the room's booking window in the mail admin centre if the facilities team agrees.
3. Invitations missing: check the junk folder and the delegate settings.""",
        "calendar, permission, share calendar, room booking, meeting room, invitation",
        age=290,
    ),
    A(
        "Share your calendar with a colleague",
        ("calendar",),
        "cdubois",
        """\
A colleague needs to see your calendar or manage meetings for you.""",
        """\
Calendars are private until you share them.""",
        """\
1. In Outlook, open the calendar and choose *Share* > *Calendar*.
2. Add the colleague and choose *Can view all details* (or *Can edit* for an assistant).
3. Your colleague opens it with *Add calendar* > *From address book*.""",
        "share calendar, delegate, Outlook, colleague",
        audience=PUBLIC,
        age=290,
    ),
    A(
        "No audio, microphone or camera in meetings",
        ("meeting_av",),
        "mrossi",
        """\
Others cannot hear the user, the headset microphone does not work, or the camera is not \
detected in collaboration platform meetings.""",
        """\
Mostly the app uses another device (the docking station's microphone, the laptop camera), a \
camera privacy switch, or an outdated camera driver.""",
        """\
1. Make a test call (Settings > Devices > *Make a test call*).
2. Select the headset as speaker **and** microphone in the device settings.
3. Camera not detected: check the privacy switch or the shutter on the laptop.
4. Update the camera driver from the company portal.""",
        "audio, microphone, headset, camera, meeting, test call, no sound",
        age=85,
    ),
    A(
        "Before your meeting: check your headset and camera",
        ("meeting_av",),
        "mrossi",
        """\
Others cannot hear or see you in a meeting.""",
        """\
The app often picks the wrong microphone or camera after you connect a dock or headset.""",
        """\
1. Click your picture > *Settings* > *Devices* and choose your headset for speaker and \
microphone.
2. Use *Make a test call* to hear yourself.
3. No camera picture: check the small privacy switch or shutter on your laptop.
Still not working? Raise a ticket in the portal.""",
        "headset, microphone, camera, meeting, test call",
        audience=PUBLIC,
        age=80,
    ),
    A(
        "Calls drop or freeze at one site",
        ("call_drops",),
        "fhaddad",
        """\
Calls and meetings from one office freeze for a few seconds or drop, several times an hour.""",
        """\
Often the guest Wi-Fi or an overloaded access point; when a whole site is affected, the WAN \
link (backup traffic, QoS).""",
        """\
1. Check the user is on the corporate Wi-Fi, not *Hartwell-Guest*.
2. Ask whether colleagues at the same site see it, and collect the times of the drops.
3. Test over cable at a dock.
4. Several users at one site: escalate to Network & Infrastructure with the site, the floor \
and the drop times.""",
        "calls drop, call quality, freeze, meeting, site, guest Wi-Fi",
        age=230,
        category="collaboration",
    ),
    A(
        "Email down for a whole site or everyone",
        ("email_down",),
        "pnair",
        """\
Outlook shows "Disconnected" for everybody at a site, or mail is delayed by more than an \
hour; webmail may still work.""",
        """\
An incident at the cloud provider, or our proxy bypass list no longer contains the mail \
endpoints after a firewall change.""",
        """\
1. Check the provider's service health page for our tenant.
2. Webmail works but Outlook does not: compare the proxy bypass list on fw-ham-01 with the \
provider's published endpoints; check the firewall change log.
3. Provider incident: post on the status page and follow the provider's updates.
4. Keep the major incident open until the delayed messages are delivered.""",
        "email down, Outlook disconnected, mail delayed, provider incident, proxy bypass",
        audience=INTERNAL,
        age=270,
    ),
    A(
        "Set up an out-of-office reply",
        ("howto",),
        "lobrien",
        """\
You will be away and want senders to get an automatic reply.""",
        "",
        """\
1. In Outlook, choose *File* > *Automatic Replies*.
2. Choose *Send automatic replies*, tick *Only send during this time range* and set the \
dates.
3. Write one reply for colleagues and one for external senders (name your deputy, not your \
mobile number).
4. On the web: Settings > Mail > Automatic replies.""",
        "out of office, automatic reply, holiday, absence",
        audience=PUBLIC,
        age=430,
        category="other",
        services=("Email",),
        cis=(),
    ),
    # --- hardware -----------------------------------------------------------------------------
    A(
        "Laptop will not start, asks for the BitLocker key or drains its battery",
        ("laptop",),
        "jweber",
        """\
- The power light is on but the screen stays black.
- The laptop shows the BitLocker recovery screen, often after a BIOS update.
- The battery lasts an hour or less.""",
        """\
Hardware faults, a BIOS update that changed what BitLocker measures, or a worn battery.""",
        """\
1. Hard reset: unplug, hold the power button for 30 seconds, plug in the original charger.
2. BitLocker: verify the user's identity, read the 48-digit recovery key for the laptop's \
key ID from device management, and suspend BitLocker for one restart before the next BIOS \
update.
3. Battery: run the battery report (`powercfg /batteryreport`); below 70 % of the design \
capacity, order a replacement.
4. Still black: hand out a loaner (data syncs from the cloud) and send the unit for warranty \
repair.""",
        "laptop, does not start, black screen, BitLocker, recovery key, battery",
        age=330,
        update=(
            "Added the battery report threshold",
            "5. Note the loaner's asset tag and the warranty case number in the ticket.",
        ),
    ),
    A(
        "Printer offline or jobs stuck in the queue",
        ("printer",),
        "jweber",
        """\
A printer (PRN-…) shows offline for everybody, jobs queue up, or it prints blank pages.""",
        """\
Paper jams, a stuck print spooler on print-srv-01, or a printer that got a new address after \
a power cut.""",
        """\
1. Ask someone at the printer to check the display for jams and empty trays.
2. On print-srv-01, open Print Management, clear the printer's queue and restart the \
*Print Spooler* service if jobs stay stuck.
3. Ping the printer's address from the port settings; no answer but the printer is on: \
escalate to Network & Infrastructure (address reservation).
4. Blank pages: replace the toner and print a test page from the printer's menu.""",
        "printer, offline, print queue, stuck jobs, spooler, print-srv-01, blank pages",
        age=60,
    ),
    A(
        "Adding a printer from the old print server",
        ("printer",),
        "jweber",
        """\
A printer is missing on the laptop.""",
        """\
Printers were shared from print-old-01 until the new print server went live.""",
        """\
1. Open \\\\print-old-01 in Explorer.
2. Double-click the printer to install it.""",
        "printer, add printer, print-old-01",
        state="retired",
        age=540,
        superseded_by="Printer offline or jobs stuck in the queue",
    ),
    A(
        "Docking station: second monitor, keyboard or mouse not detected",
        ("dock",),
        "mrossi",
        """\
The second monitor stays black, or keyboard and mouse do not work when the laptop is on the \
docking station.""",
        """\
Outdated dock firmware, or a faulty cable.""",
        """\
1. Unplug the dock's power for 10 seconds, then reconnect the laptop.
2. Install *Dock firmware update* from the company portal (the laptop must be connected to \
the dock).
3. Swap the monitor cable with a known good one.
4. Test another dock; if the fault stays with the dock, replace it from the stock room.""",
        "docking station, dock, second monitor, black screen, keyboard, mouse, firmware",
        state="stale",
        age=390,
        services=("Workplace Devices",),
    ),
    A(
        "Company phone not syncing mail, or enrolling a new phone",
        ("phone",),
        "cdubois",
        """\
The company phone stopped syncing mail after an update, or a new phone cannot be enrolled.""",
        """\
The mail profile was removed by the update or was never pushed by device management.""",
        """\
1. In device management, find the phone and check its compliance state.
2. Re-apply the *Mail* profile to the device; mail starts syncing within minutes.
3. Enrolment fails: check the phone is in the user's device limit (3) and remove old devices.""",
        "company phone, mobile, mail sync, enrolment, device management",
        age=200,
    ),
    A(
        "Set up company email on your new phone",
        ("phone",),
        "cdubois",
        """\
You have a new company phone and want your email and calendar on it.""",
        """\
Company mail comes to phones through device management.""",
        """\
1. Install the *Company Portal* app and sign in with your work account.
2. Follow the steps to enrol the phone (allow the profile when asked).
3. Open the mail app after about ten minutes; your mailbox appears on its own.""",
        "new phone, company email, enrol, company portal",
        audience=PUBLIC,
        age=200,
    ),
    A(
        "Desk phone shows 'no service'",
        ("phone",),
        "fhaddad",
        """\
An IP desk phone shows "no service" after office works or a desk move.""",
        """\
The switch port was moved to the data VLAN.""",
        """\
1. Find the switch and port from the desk's patch label.
2. Check the port's VLAN: voice VLAN 120 must be set.
3. Set it back and wait for the phone to register.""",
        "desk phone, no service, voice VLAN, switch port",
        audience=INTERNAL,
        age=310,
        cis=("Desk phones",),
    ),
    # --- integration --------------------------------------------------------------------------
    A(
        "Web shop orders missing in ERP: what to check before escalating",
        ("shop_erp",),
        "kwatanabe",
        """\
A paid web shop order (WEB-…) is not in ERP, or web orders arrive in ERP with a long delay.""",
        """\
Orders go to ERP through the shop-to-ERP integration every 5 minutes. Single orders are \
rejected for missing data; all orders stop when the integration cannot reach ERP.""",
        """\
1. Shop back office > the order > *Integration* tab: note the status and any error text.
2. One order with an error (for example "customer VAT ID missing"): escalate to \
Application Support with the order number; Customer Service tells the customer.
3. Many orders "Queued for export": check the queue counter and the last order that \
arrived in ERP, and escalate as P2 (P1 if the warehouse cut-off is near).
4. Tell the warehouse and Customer Service; the orders are safe in the shop.""",
        "shop, web order, ERP, integration, queued for export, missing order",
        age=200,
    ),
    A(
        "Shop-to-ERP integration: error queue, backlog and 401 errors",
        ("shop_erp",),
        "kwatanabe",
        """\
Orders stay "Queued for export" or land in the integration's error queue.""",
        """\
Rejected data (missing VAT ID), a backed-up queue after ERP maintenance, or an ERP API token \
that was rotated in ERP but not in the middleware (HTTP 401 in the integration log).""",
        """\
1. Middleware console > flow *shop-erp-orders*: check the error queue and the consumer \
state.
2. Data errors: correct the customer master in ERP and re-queue the order.
3. Backlog after maintenance: restart the consumer; the queue drains at about 600 orders \
an hour.
4. "401 Unauthorized" from the ERP API: check the token of the technical user INT_SHOP \
(valid 12 months), update the credential in the middleware and replay the queue.""",
        "shop-to-ERP, integration, middleware, error queue, 401, API token, INT_SHOP",
        audience=INTERNAL,
        age=210,
        cis=("Shop-to-ERP order integration", "ERP API credential for the order integration"),
        update=(
            "Added the token expiry date check",
            "5. Put the new expiry date of the INT_SHOP token in the credential's CMDB record "
            "and the team calendar.",
        ),
    ),
    A(
        "EDI messages from a partner not received",
        ("edi",),
        "kwatanabe",
        """\
A trading partner says they sent orders, but nothing arrived in ERP; or they reject our \
invoices.""",
        """\
The partner's AS2 certificate expired, or a mapping error.""",
        """\
1. Ask the partner for the message reference and the time.
2. EDI gateway > AS2 log: look for certificate or signature errors.
3. Expired certificate: import the new one the partner sends and ask them to resend.
4. Rejected invoices: check the mapping error in the partner's response and escalate to \
Engineering.""",
        "EDI, AS2, certificate, trading partner, orders not received",
        audience=INTERNAL,
        age=230,
    ),
    A(
        "New starters missing in the directory",
        ("hr_sync",),
        "kwatanabe",
        """\
New starters have no account although the HR Portal shows them as ready; leavers keep \
access.""",
        """\
The HR-to-directory sync stopped, for example after an HR Portal update.""",
        """\
1. Check the sync job's last run.
2. Restart it and check the new accounts.""",
        "new starter, HR sync, directory, account not created, leaver",
        audience=INTERNAL,
        state="draft",
        age=25,
    ),
    A(
        "Renewing a TLS certificate",
        ("cert",),
        "riyer",
        """\
Monitoring: a certificate expires in 14 days, or users see a certificate warning.""",
        """\
The host is not in the automatic renewal list.""",
        """\
1. Check whether the host is in the ACME renewal list.
2. Renew the certificate, install it and reload the service.
3. Add the host to automatic renewal.""",
        "TLS, certificate, expires, renewal, ACME",
        audience=INTERNAL,
        state="stale",
        age=300,
        category="integration",
        services=("Corporate Network",),
        cis=(),
    ),
    # --- network ------------------------------------------------------------------------------
    A(
        "VPN will not connect or keeps dropping",
        ("vpn",),
        "fhaddad",
        """\
- "Gateway not responding", "Certificate validation failed" or "Connection terminated by \
peer" when connecting from home.
- The VPN drops every few minutes.""",
        """\
An outdated VPN client, a hotel or train Wi-Fi that wants its terms accepted first, or a \
home router that blocks UDP 4500.""",
        """\
1. Check that other websites load (home internet works).
2. On hotel or train Wi-Fi, open a browser and accept the terms first.
3. Check the client version (About); older than 5.2: update *VPN client* from the company \
portal.
4. Drops every few minutes at home: escalate to Network & Infrastructure to switch the \
user's profile to TCP.""",
        "VPN, cannot connect, gateway not responding, certificate validation, drops, home office",
        age=140,
        update=(
            "Certificate validation failed: check the laptop clock",
            '5. "Certificate validation failed": check that the laptop\'s date and time are '
            "right, then reconnect.",
        ),
    ),
    A(
        "Connect to the VPN from home or a hotel",
        ("vpn",),
        "fhaddad",
        """\
You want to reach company systems from outside the office.""",
        "",
        """\
1. Connect to the internet first. On hotel Wi-Fi, open a browser and accept the terms.
2. Open *VPN client* and choose *Hartwell Supply*.
3. Sign in with your work account and approve the MFA prompt.
4. If it says "Gateway not responding", restart the laptop and try again; then call the \
Service Desk (extension 4000).""",
        "VPN, home office, hotel, remote access, connect",
        audience=PUBLIC,
        age=135,
    ),
    A(
        "VPN setup with the legacy client",
        ("vpn",),
        "fhaddad",
        """\
The VPN does not connect with the old client.""",
        """\
Settings of the legacy VPN client.""",
        """\
1. Enter gateway vpn-old.hartwell-supply.example.
2. Import the group profile from \\\\fs-01\\it\\vpn.""",
        "VPN, legacy client, profile",
        state="retired",
        age=500,
        superseded_by="VPN will not connect or keeps dropping",
    ),
    A(
        "Wi-Fi: cannot connect or slow in one room",
        ("wifi",),
        "fhaddad",
        """\
- The laptop cannot connect to *Hartwell-Corp*.
- Wi-Fi is very slow in one meeting room, or gone on a whole floor.""",
        """\
An expired device certificate (the corporate Wi-Fi uses certificates), an overloaded access \
point, or an access point without power.""",
        """\
1. One device cannot connect: check the Wi-Fi certificate in device management and renew it.
2. Forget and re-join *Hartwell-Corp*.
3. A whole floor or room: collect the site, floor, room and number of people, and escalate to \
Network & Infrastructure.""",
        "Wi-Fi, wireless, cannot connect, slow, access point, certificate",
        age=300,
    ),
    A(
        "Site WAN link down: LTE backup and carrier case",
        ("wan_down",),
        "lnilsson",
        """\
An office reaches central systems only very slowly or not at all; the router shows the LTE \
backup active.""",
        """\
A carrier fault (fibre cut) or a failed edge router.""",
        """\
1. Check the edge router of the site and the WAN link in monitoring.
2. Router rebooting: ask the site contact to swap the power supply with the spare.
3. Link down: open a case with the carrier (contract number in the CMDB record).
4. Post a status page update for the site.""",
        "WAN, link down, LTE backup, carrier, fibre cut, edge router",
        audience=INTERNAL,
        state="stale",
        age=380,
        cis=("edge-rtr-muc-01", "edge-rtr-lej-01", "edge-rtr-rtm-01"),
    ),
    A(
        "Slow internet at a site: firewall inspection load",
        ("network_slow",),
        "riyer",
        """\
Internet or file shares are slow at a site; downloads at a few Mbit/s.""",
        """\
TLS inspection rules overloading fw-ham-01.""",
        """\
1. Check the firewall CPU and sessions.
2. Compare with the rule change log and narrow a new inspection rule.
3. Agree TLS inspection exceptions with Security.""",
        "internet slow, firewall, CPU, TLS inspection, fw-ham-01",
        audience=INTERNAL,
        age=220,
    ),
    A(
        "Partner cannot reach our SFTP server",
        ("partner_access",),
        "riyer",
        """\
A partner cannot upload files to sftp.hartwell-supply.example.""",
        """\
The partner's new outbound address is not in the firewall allow list.""",
        """\
1. Ask the partner for their outbound IP addresses.
2. Check the drops in the fw-ham-01 log.
3. Raise a standard change to add the addresses to the SFTP allow list.""",
        "SFTP, partner, firewall, allow list, upload",
        audience=INTERNAL,
        state="review",
        age=9,
    ),
    A(
        "CRC errors on a switch uplink",
        ("switch_alert",),
        "ogrant",
        """\
Monitoring: CRC errors increasing on an uplink of core-sw-ham-01.""",
        """\
Usually a damaged patch cable or a dirty fibre.""",
        """\
1. Replace the patch cable.
2. Clear the counters and watch them for an hour.""",
        "CRC errors, switch, uplink, patch cable",
        audience=INTERNAL,
        state="draft",
        age=6,
    ),
    # --- security -----------------------------------------------------------------------------
    A(
        "Reported phishing: what to do, and what if the user clicked",
        ("phishing",),
        "riyer",
        """\
A user reports an email asking them to "confirm the mailbox", a fake invoice, or says they \
clicked a link in one.""",
        """\
Phishing campaigns imitate our sign-in page and our suppliers' invoices.""",
        """\
1. Ask the user to forward the email **as an attachment** to phishing@hartwell-supply.example \
and then delete it.
2. Ask whether they clicked a link, opened an attachment or entered their password.
3. Nothing entered: report the sender to the mail gateway block list and thank the user.
4. Password entered: reset the password at once, revoke the sessions, and escalate to \
Network & Infrastructure as P2; Security reviews the sign-in logs.""",
        "phishing, suspicious email, clicked link, fake invoice, password entered",
        age=260,
    ),
    A(
        "How to report a suspicious email",
        ("phishing",),
        "riyer",
        """\
An email asks for your password, to "confirm your mailbox", or to pay an unexpected invoice.""",
        "",
        """\
1. Do not click links or open attachments.
2. Use the *Report phishing* button in Outlook, or forward the email as an attachment to \
phishing@hartwell-supply.example.
3. If you entered your password anywhere, call the Service Desk at once on extension 4000.""",
        "phishing, report, suspicious email, scam",
        audience=PUBLIC,
        age=260,
    ),
    A(
        "Endpoint protection alert: triage",
        ("endpoint",),
        "riyer",
        """\
Monitoring: endpoint protection quarantined a file or detected malware on a laptop.""",
        """\
Mostly adware from downloads or USB sticks.""",
        """\
1. Check the detection and the file's origin in the console.
2. Run a full scan.
3. Anything beyond adware: isolate the laptop and escalate to Security.""",
        "endpoint protection, malware, quarantine, alert, laptop",
        audience=INTERNAL,
        state="stale",
        age=340,
        services=("Workplace Devices",),
    ),
    A(
        "MFA prompts the user did not trigger",
        ("signin_alert",),
        "arahman",
        """\
The user gets MFA prompts or an "unusual sign-in" alert without signing in anywhere.""",
        """\
Often an old phone or laptop still signed in; sometimes someone else has the password.""",
        """\
1. Tell the user to **deny** every prompt they did not trigger.
2. Ask whether they have an old phone or tablet still signed in.
3. Escalate to Network & Infrastructure as P2 with the times of the prompts; do not reset \
the MFA registration yourself.""",
        "MFA prompts, unusual sign-in, alert, deny, compromised",
        age=170,
    ),
    # --- other --------------------------------------------------------------------------------
    A(
        "Network drive missing or cannot save to a share",
        ("drive",),
        "lobrien",
        """\
- A network drive (for example F: or S:) is missing after a desk move or a new laptop.
- "Not enough space" when saving to a department share.""",
        """\
The drive mapping policy did not apply, or the department's share quota is full.""",
        """\
1. Check the user is on the office network or the VPN.
2. Run `gpupdate /force` and sign out and in again.
3. Check the quota in the share's properties on fs-01; if full, ask the department to tidy \
up old files with the line manager's agreement.""",
        "network drive, mapped drive, share, quota, fs-01",
        age=320,
    ),
    A(
        "Share a folder with an external partner",
        ("howto",),
        "lobrien",
        """\
You need to exchange files with a supplier or customer.""",
        "",
        """\
1. In a team site, create a folder for the partner.
2. Choose *Share* and enter the partner's email address; links expire after 30 days.
3. Never share department shares (\\\\fs-01) externally.""",
        "share folder, external partner, team site, sharing link",
        audience=PUBLIC,
        age=250,
        category="other",
        services=("Collaboration Platform",),
        cis=(),
    ),
    # --- drafted while working the three reference cases --------------------------------------
    A(
        "Known issue: large CRM reports fail with HTTP 502 after about a minute",
        (),  # a new problem, not one of the history's incident kinds
        "tbecker",
        """\
- Reports > *Sales pipeline* or *Opportunities by region* > Generate: the spinner runs for \
about 60 seconds, then "Something went wrong. The page could not be loaded (HTTP 502 Bad \
Gateway)". The CRM tab then hangs until the user signs in again.
- Every user, browser and site (Hamburg and Manchester confirmed); small reports such as \
*My open opportunities* and the rest of the CRM work normally.""",
        """\
Under investigation by Application Support in {ticket}. Not the user's PC, browser, account or \
office network. Not the export timeout (504) of the recurring export tickets.""",
        """\
1. Confirm it is this problem: a standard report, HTTP **502** after about a minute, small \
reports fine.
2. Do not troubleshoot the user's PC (no reinstall, no cache clearing): it fails the same way \
everywhere.
3. Log the caller's ticket, note the report, region and time, and link it to {ticket}.
4. Workaround: run *My open opportunities* per account manager and combine the figures.""",
        "CRM, report, 502, bad gateway, sales pipeline, opportunities by region, known issue",
        case="crm",
        update=(
            "Scope from the Service Desk calls this morning; told L1 where to link",
            "5. Tell the user Application Support is on it and updates come on {ticket}; do not "
            "escalate the new ticket separately.",
        ),
    ),
    A(
        "Calls and meetings freeze in several offices at once",
        ("call_drops",),
        "lobrien",
        """\
Calls, meetings and chat in the collaboration platform freeze for 10-60 seconds ("Reconnecting…") \
several times an hour, for whole offices at the same moment (Munich, Hamburg, Leipzig, \
Rotterdam). People at home and on 4G are fine, even in the same meetings.""",
        """\
Being investigated by Network & Infrastructure in {ticket}; the pattern points to the office \
connections, not to devices or Wi-Fi.""",
        """\
1. Ask whether colleagues in the same office froze at the same moment.
2. Do not reinstall the app or swap headsets: cable and Wi-Fi, app and browser all drop.
3. Note the site and the drop times in the caller's ticket and link it to {ticket}.
4. Stopgap: join important calls from the mobile phone over 4G.""",
        "collaboration platform, calls drop, reconnecting, freeze, office, several sites",
        state="review",
        case="collaboration",
        update=(
            "Added Customer Service's workaround",
            "5. Customer Service: call customers back from mobiles while the drops continue; "
            "tell the team lead.",
        ),
    ),
    A(
        "Web shop orders stuck in 'Queued for export' and missing in ERP",
        ("shop_erp",),
        "smarquez",
        """\
Web orders show "Received - payment authorised" and then "Queued for export" in the shop back \
office, but never appear in ERP (Sales > Sales orders, channel WEB). No error for customers or \
shop users; the queue counter keeps rising.""",
        """\
To be completed by Application Support ({ticket}).""",
        """\
1. Shop back office > Integration tab: note the queue counter, the first missing order and \
the last order that reached ERP.
2. Check ERP is up (enter a test phone order or ask Customer Service).
3. Escalate to Application Support; the orders are safe in the shop.""",
        "web shop, orders, ERP, queued for export, integration, missing orders",
        state="draft",
        case="ecommerce",
        update=(
            "Added the warehouse cut-off",
            "4. Tell the warehouse (Leipzig): orders not in ERP by 13:00 miss the 15:00 "
            "carrier collection, which makes it P1.",
        ),
    ),
]

_BY_TITLE = {spec.title: spec for spec in ARTICLES}

# Not-helpful votes with a comment (each opens a review task for the owner):
# (article title, voter, comment, what the owner did, or "" while the review is still open).
FEEDBACK = [
    (
        "CRM report exports with more than 50,000 rows fail",
        "smarquez",
        "The user's report had 3,000 rows and still failed; this article did not apply.",
        "",
    ),
    (
        "VPN will not connect or keeps dropping",
        "jweber",
        "Step 3: the company portal now calls it 'Remote Access', not 'VPN client'.",
        "Checked: the portal shows both names since the client 5.4 roll-out; added the new one.",
    ),
    (
        "Printer offline or jobs stuck in the queue",
        "mrossi",
        "Munich printers are on print-srv-01 too? The Munich users could not find them there.",
        "Yes, all sites print through print-srv-01; the Munich queues are named PRN-MUC-*.",
    ),
    (
        "Account locked out or password expired: unlock and reset",
        "lobrien",
        "Needs a step for users abroad without the directory mobile number for the call-back.",
        "",
    ),
    (
        "Laptop will not start, asks for the BitLocker key or drains its battery",
        "cdubois",
        "The recovery key was not in device management for an older laptop (NB-HAM-1204).",
        "Older laptops keep the key in the directory computer object; added where to look.",
    ),
    (
        "HR Portal: blank payslip page or leave request fails",
        "arahman",
        "Edge also shows a blank payslip for one user today.",
        "",
    ),
    (
        "Dashboards show yesterday's figures: the nightly load failed",
        "dokafor",
        "Where is the 'ETL status page'? Please add the link.",
        "Added the link to the ETL status page in step 2.",
    ),
    (
        "Wi-Fi: cannot connect or slow in one room",
        "smarquez",
        "Renewing the Wi-Fi certificate needs admin rights we do not have at L1.",
        "",
    ),
]


def incident_key_of_article_title(title: str) -> str | None:
    """The incident kind (text.INCIDENTS key) an article is about, by its title; None for
    articles not about one of them (or unknown titles)."""
    spec = _BY_TITLE.get(title)
    return spec.keys[0] if spec is not None and spec.keys else None


# --- loading --------------------------------------------------------------------------------

_CASE_TIMES = {"crm": "09:55", "collaboration": "11:33", "ecommerce": "10:36"}  # on day 2
_NOT_NEEDED = (
    "One-off fault at a third party; nothing the desk could do differently next time.",
    "Fixed for good by a code change; it will not come back in this form.",
    "Data error in one record, corrected at the source; nothing reusable.",
    "Caught by monitoring and fixed with the on-call runbook; no article needed.",
    "Specific to this user's setup; the fix is in the ticket.",
)
_DECISION_DAYS = 100  # resolvers have recorded knowledge decisions for this long
_DONE = (Status.RESOLVED, Status.CLOSED)


@dataclass
class _Live:
    """An article as loaded, and when it could be used on tickets."""

    spec: ArticleSpec
    article: Article
    published: datetime | None = None
    retired: datetime | None = None

    def usable(self, at: datetime) -> bool:
        return (
            self.published is not None
            and self.published <= at
            and (self.retired is None or at < self.retired)
        )


def load_articles(
    *,
    org: Org,
    cmdb: Cmdb,
    categories: dict[str, Category],
    cases: Cases,
    lives: list[Life],
    clock: Clock,
    rng: random.Random,
) -> None:
    """Write the knowledge base through `knowledge.services`, dated over the past months, then
    its use on the history tickets (bulk, in the shapes the services write), votes and views."""
    loader = _Loader(org=org, cmdb=cmdb, categories=categories, cases=cases, clock=clock, rng=rng)
    loader.articles()
    loader.usage(lives)
    loader.feedback()
    loader.views()


class _Loader:
    def __init__(
        self,
        *,
        org: Org,
        cmdb: Cmdb,
        categories: dict[str, Category],
        cases: Cases,
        clock: Clock,
        rng: random.Random,
    ) -> None:
        self.org, self.cmdb, self.categories = org, cmdb, categories
        self.cases, self.clock, self.rng = cases, clock, rng
        self.incidents = {i.key: i for i in T.INCIDENTS}
        self.latest = clock.anchor - timedelta(minutes=30)
        self.today = clock.local_anchor.date()
        self.loaded: dict[str, _Live] = {}
        self.solved: Counter[int] = Counter()
        self.linked: Counter[int] = Counter()
        self.linked_first: dict[int, _Live] = {}  # ticket pk -> article linked before escalating
        self.tiers = dict.fromkeys(org.people, 1)
        for name, members in org.members.items():
            tier = org.teams[name].tier
            for user, _ in members:
                self.tiers[user.pk] = max(self.tiers[user.pk], tier)

    # -- time and people

    def _day(self, days_ago: int) -> datetime:
        """A time in office hours `days_ago` days before the anchor (UTC)."""
        day = self.today - timedelta(days=days_ago)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        minute = self.rng.randrange(9 * 60, 16 * 60 + 30)
        at = self.clock.to_utc(self.clock.local(day, f"{minute // 60:02d}:{minute % 60:02d}"))
        return min(at, self.latest - timedelta(hours=3))

    def _later(self, at: datetime, low_days: float, high_days: float) -> datetime:
        later = at + timedelta(days=self.rng.uniform(low_days, high_days))
        return min(later, max(self.latest, at + timedelta(minutes=1))).replace(microsecond=0)

    def _lead(self, team_name: str) -> User:
        return next(u for u, lead in self.org.members[team_name] if lead)

    def _team_of(self, user: User) -> str | None:
        for name, members in self.org.members.items():
            if self.org.teams[name].tier >= 2 and any(u.pk == user.pk for u, _ in members):
                return name
        return None

    def _reviewer(self, spec: ArticleSpec, owner: User) -> User:
        """Who publishes a submitted article: the lead of the owner's L2 team, for Level 1
        owners the lead of the team that handles the incident kind, else the manager."""
        team = self._team_of(owner)
        if team is None and spec.keys:
            team = self.incidents[spec.keys[0]].l2 or None
        lead = self._lead(team) if team else None
        return lead if lead is not None and lead != owner else self.org.user(T.MANAGER.username)

    # -- the articles

    def articles(self) -> None:
        planned = []
        for spec in ARTICLES:
            if spec.case:
                if spec.case not in self.cases.created:
                    continue
                local = self.clock.local(self.cases.days[1], _CASE_TIMES[spec.case])
                at = min(self.clock.to_utc(local), self.latest - timedelta(hours=1))
            else:
                at = self._day(spec.age)
            planned.append((at, spec))
        planned.sort(key=lambda p: p[0])  # numbers follow the order they were written in
        for at, spec in planned:
            self._create(spec, at)
        # Retired articles last: their retire note names the published replacement.
        for at, spec in sorted(planned, key=lambda p: (p[1].state == "retired", p[0])):
            self._live_through(self.loaded[spec.title], at)

    def _links(self, spec: ArticleSpec) -> tuple[Category | None, list[Service], list]:
        incident = self.incidents[spec.keys[0]] if spec.keys else None
        slug = spec.category or (incident.category if incident else "application")
        names = spec.services
        if names is None:
            names = (incident.service,) if incident and incident.service else ()
        ci_names = spec.cis if spec.cis is not None else (incident.cis if incident else ())
        cis = [self.cmdb.items[c] for c in ci_names if c in self.cmdb.items]
        services = [self.cmdb.services[s] for s in names]
        if not services:
            services = list({ci.service.pk: ci.service for ci in cis if ci.service}.values())
        return self.categories.get(slug), services, cis

    def _words(self, spec: ArticleSpec) -> dict[str, str]:
        ticket = self.cases.created.get(spec.case) if spec.case else None
        return {"ticket": ticket.number} if ticket is not None else {}

    def _create(self, spec: ArticleSpec, at: datetime) -> None:
        category, services, cis = self._links(spec)
        ticket = self.cases.created.get(spec.case) if spec.case else None
        words = self._words(spec)
        if ticket is not None:
            category, services, cis = (
                ticket.category,
                [ticket.service] if ticket.service else [],
                [ticket.ci] if ticket.ci else [],
            )
        article = article_create(
            actor=self.org.user(spec.owner),
            title=spec.title,
            symptoms=spec.symptoms.format_map(words),
            cause=spec.cause.format_map(words),
            resolution=spec.resolution.format_map(words),
            body=spec.body,
            keywords=spec.keywords,
            audience=spec.audience,
            category=category,
            services=services,
            cis=cis,
            source_ticket=ticket,
            note=f"Written while working {ticket.number}" if ticket is not None else "",
            at=at,
        )
        self.loaded[spec.title] = _Live(spec, article)

    def _revise(self, live: _Live, actor: User, at: datetime) -> None:
        if live.spec.update is None:
            return
        note, text = live.spec.update
        article = live.article
        live.article = article_update(
            actor=actor,
            article=article,
            resolution=f"{article.resolution}\n{text.format_map(self._words(live.spec))}",
            note=note,
            at=at,
        )

    def _live_through(self, live: _Live, at: datetime) -> None:
        """Edits, review, publication and retirement after the first version."""
        spec, rng = live.spec, self.rng
        owner = self.org.user(spec.owner)
        l2_owner = self.tiers[owner.pk] >= 2
        reviewer = self._reviewer(spec, owner)
        maintainer = owner if l2_owner else reviewer

        def step(t: datetime) -> datetime:
            if spec.case:  # the same morning, minutes apart
                return min(t + timedelta(minutes=rng.randint(6, 20)), self.latest)
            return self._later(t, 0.05, 3)

        if spec.update is not None and (spec.case or spec.state in ("draft", "review")):
            at = step(at)
            self._revise(live, owner, at)
        if spec.state == "draft":
            return
        submitted = spec.state == "review" or not l2_owner or (not spec.case and rng.random() < 0.3)
        if submitted:
            at = step(at)
            live.article = article_transition(
                actor=owner, article=live.article, action="submit", at=at
            )
            if spec.state == "review":
                return
        at = step(at)
        live.article = article_transition(
            actor=reviewer if submitted else owner, article=live.article, action="publish", at=at
        )
        live.published = at
        if spec.update is not None and not spec.case:
            room = (self.latest - at).days
            if room > 25:
                at = self._later(at, 20, min(120, room - 5))
                self._revise(live, maintainer, at)
        if spec.state == "retired":
            replacement = self.loaded[spec.superseded_by]
            if replacement.published is None:
                raise ValueError(f"{spec.superseded_by!r} must be published before {spec.title!r}")
            at = max(at, replacement.published) + timedelta(hours=rng.randint(1, 30))
            at = min(at, self.latest)
            note = f"Superseded by {replacement.article.number} ({replacement.article.title})."
            live.article = article_transition(
                actor=maintainer, article=live.article, action="retire", note=note, at=at
            )
            live.retired = at
        elif spec.state == "published" and (
            live.article.review_by is None or live.article.review_by < self.today
        ):
            at = max(at, self.latest - timedelta(days=rng.randint(15, 90)))
            live.article = article_update(
                actor=maintainer,
                article=live.article,
                review_by=self.today + timedelta(days=rng.randint(20, 150)),
                note="Reviewed: still accurate.",
                at=at,
            )

    def _usable(self, key: str, at: datetime, audiences: tuple[str, ...]) -> list[_Live]:
        return [
            live
            for live in self.loaded.values()
            if key in live.spec.keys and live.spec.audience in audiences and live.usable(at)
        ]

    # -- use on the history tickets

    def usage(self, lives: list[Life]) -> None:
        """Articles recorded as what solved Level 1 tickets, linked before escalations, and the
        knowledge decisions of recent escalated tickets: ArticleUse rows and the events
        `article_use` and `ticket_kb_decide` write, bulk-inserted."""
        uses: list[ArticleUse] = []
        events: list[TicketEvent] = []
        decisions: list[KnowledgeDecision] = []
        for life in lives:
            t = life.ticket
            key = getattr(life, "incident_key", "")
            if not key or t.pk is None:
                continue
            timeline = life.events
            escalated = any(e.data.get("tier", 1) >= 2 for e in timeline)
            resolved = next(
                (
                    i
                    for i in range(len(timeline) - 1, -1, -1)
                    if timeline[i].kind == EventKind.STATUS_CHANGED
                    and timeline[i].data.get("to") == Status.RESOLVED
                ),
                None,
            )
            if escalated:
                self._linked_before_escalating(life, uses, events)
            if t.status not in _DONE or resolved is None or t.resolved_at is None:
                continue
            if not escalated:
                self._solved(life, t.resolved_at, timeline[resolved], uses, events)
            elif self.clock.anchor - t.resolved_at < timedelta(days=_DECISION_DAYS):
                self._decision(life, resolved, uses, events, decisions)
        ArticleUse.objects.bulk_create(uses, batch_size=1000)
        TicketEvent.objects.bulk_create(events, batch_size=1000)
        KnowledgeDecision.objects.bulk_create(decisions, batch_size=1000)

    def _use(
        self,
        live: _Live,
        ticket: Ticket,
        kind: str,
        by: User,
        at: datetime,
        tier: int,
        uses: list[ArticleUse],
        events: list[TicketEvent],
    ) -> None:
        article = live.article
        uses.append(ArticleUse(article=article, ticket=ticket, kind=kind, by=by, at=at))
        events.append(
            TicketEvent(
                ticket=ticket,
                kind=EventKind.KB_USED if kind == UseKind.SOLVED else EventKind.KB_LINKED,
                actor=by,
                at=at,
                data={"article": article.number, "title": article.title, "tier": tier},
                is_internal=article.audience == Audience.INTERNAL,
            )
        )
        (self.solved if kind == UseKind.SOLVED else self.linked)[article.pk] += 1

    def _solved(
        self,
        life: Life,
        resolved_at: datetime,
        resolve: TicketEvent,
        uses: list[ArticleUse],
        events: list[TicketEvent],
    ) -> None:
        """A Level 1 ticket solved with an article: a quarter of them six months ago, about
        two in five lately (the desk got used to searching the knowledge base)."""
        t, rng = life.ticket, self.rng
        if t.resolution_code == "no_fault" or resolve.actor is None:
            return
        age = (self.clock.anchor - resolved_at).total_seconds() / 86400
        share = 0.44 - 0.2 * min(age, 182) / 182
        if rng.random() >= share:
            return
        span = (resolved_at - t.created_at).total_seconds()
        if span < 120:
            return
        at = (t.created_at + timedelta(seconds=span * rng.uniform(0.3, 0.95))).replace(
            microsecond=0
        )
        if not t.created_at < at < resolved_at:
            return
        options = self._usable(life.incident_key, at, (Audience.L1, Audience.PUBLIC))
        if not options:
            return
        weights = [3 if o.spec.audience == Audience.L1 else 1 for o in options]
        live = rng.choices(options, weights)[0]
        self._use(live, t, UseKind.SOLVED, resolve.actor, at, 1, uses, events)

    def _linked_before_escalating(
        self, life: Life, uses: list[ArticleUse], events: list[TicketEvent]
    ) -> None:
        """The analyst tried an article before escalating and linked it (one in five)."""
        timeline, rng = life.events, self.rng
        first = next((i for i, e in enumerate(timeline) if e.kind == EventKind.ESCALATED), None)
        if first is None or first == 0 or timeline[first].data.get("from_tier") != 1:
            return
        if rng.random() >= 0.2:
            return
        before, escalated = timeline[first - 1].at, timeline[first].at
        if (escalated - before).total_seconds() < 4:
            return
        at = (before + (escalated - before) / 2).replace(microsecond=0)
        options = self._usable(life.incident_key, at, (Audience.L1, Audience.PUBLIC))
        analyst = timeline[first].actor
        if options and analyst is not None:
            live = rng.choice(options)
            self._use(live, life.ticket, UseKind.LINKED, analyst, at, 1, uses, events)
            self.linked_first[life.ticket.pk] = live

    def _decision(
        self,
        life: Life,
        resolved: int,
        uses: list[ArticleUse],
        events: list[TicketEvent],
        decisions: list[KnowledgeDecision],
    ) -> None:
        """What the resolver decided about knowledge, just before resolving (three in five of
        the recent escalated tickets): an existing article linked, or no article needed."""
        timeline, rng, t = life.events, self.rng, life.ticket
        resolve = timeline[resolved]
        if resolved == 0 or resolve.actor is None or rng.random() >= 0.6:
            return
        before = timeline[resolved - 1].at
        if (resolve.at - before).total_seconds() < 4:
            return
        at = (before + (resolve.at - before) / 2).replace(microsecond=0)
        tier = next(
            (e.data["tier"] for e in reversed(timeline[:resolved]) if "tier" in e.data), t.tier
        )
        staff = (Audience.L1, Audience.PUBLIC, Audience.INTERNAL)
        options = self._usable(life.incident_key, at, staff)
        if options and rng.random() < 0.65:
            live = max(options, key=lambda o: o.spec.audience == Audience.INTERNAL)
            if self.linked_first.get(t.pk) is not live:
                self._use(live, t, UseKind.LINKED, resolve.actor, at, tier, uses, events)
            decision, article, reason = Decision.LINKED, live.article, ""
        else:
            decision, article, reason = Decision.NOT_NEEDED, None, rng.choice(_NOT_NEEDED)
        decisions.append(
            KnowledgeDecision(
                ticket=t, decision=decision, article=article, reason=reason, by=resolve.actor, at=at
            )
        )
        events.append(
            TicketEvent(
                ticket=t,
                kind=EventKind.KB_DECISION,
                actor=resolve.actor,
                at=at,
                data={
                    "decision": decision,
                    "label": Decision(decision).label,
                    "article": article.number if article else None,
                    "reason": reason,
                    "tier": tier,
                },
                is_internal=True,
            )
        )

    # -- votes and views

    def feedback(self) -> None:
        """Helpful votes from readers (bulk), and the not-helpful comments through the service
        so each owner gets a review task; some of those are done."""
        rng = self.rng
        staff = [u for u in self.org.users.values() if u.is_staff_member]
        voted: dict[int, set[int]] = {}
        for title, username, comment, outcome in FEEDBACK:
            live = self.loaded.get(title)
            if live is None or live.published is None:
                continue
            voter = self.org.user(username)
            at = self._later(live.published, 3, max(4, (self.latest - live.published).days - 2))
            feedback = article_feedback(
                actor=voter, article=live.article, helpful=False, comment=comment, at=at
            )
            voted.setdefault(live.article.pk, set()).add(voter.pk)
            if outcome:
                review = ArticleReview.objects.get(feedback=feedback)
                owner = self.org.user(live.spec.owner)
                done = self._later(at, 0.2, 6)
                editor = owner if self.tiers[owner.pk] >= 2 else self._reviewer(live.spec, owner)
                if live.spec.state == "published":
                    live.article = article_update(
                        actor=editor,
                        article=live.article,
                        body=f"{live.article.body}\n\n{outcome}".strip(),
                        note=f"From {voter.first_name}'s feedback",
                        at=done,
                    )
                review_close(actor=owner, review=review, outcome=outcome, at=done)
        rows = []
        for live in self.loaded.values():
            if live.published is None:
                continue
            readers = (
                self.org.requesters + staff if live.spec.audience == Audience.PUBLIC else staff
            )
            if live.spec.audience == Audience.INTERNAL:
                readers = [u for u in staff if self.tiers[u.pk] >= 2]
            taken = voted.get(live.article.pk, set())
            pool = [u for u in readers if u.pk not in taken and u.username != live.spec.owner]
            n = min(len(pool), 1 + self.solved[live.article.pk] // 8 + rng.randint(0, 4))
            end = live.retired or self.latest
            for voter in rng.sample(pool, n):
                span = max((end - live.published).total_seconds(), 60)
                at = live.published + timedelta(seconds=rng.uniform(0, span))
                rows.append(
                    ArticleFeedback(
                        article=live.article,
                        user=voter,
                        helpful=rng.random() < 0.88,
                        created_at=at.replace(microsecond=0),
                    )
                )
        ArticleFeedback.objects.bulk_create(rows, batch_size=1000)

    def views(self) -> None:
        rng, rows = self.rng, []
        for live in self.loaded.values():
            a = live.article
            if live.published is None:
                a.view_count = rng.randint(0, 6)
            else:
                months = ((live.retired or self.latest) - live.published).total_seconds() / (
                    30 * 86400
                )
                a.view_count = (
                    4 * self.solved[a.pk]
                    + 2 * self.linked[a.pk]
                    + int(months * rng.randint(3, 12))
                    + rng.randint(2, 9)
                )
            rows.append(a)
        Article.objects.bulk_update(rows, ["view_count"], batch_size=500)
