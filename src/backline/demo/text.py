"""The words of the demo: people, the CMDB catalogue, incident templates and the desk's phrases.

Hartwell Supply is an invented wholesale company (offices in Hamburg, Munich and Manchester, a
warehouse in Leipzig, a distribution centre in Rotterdam). Everything here is plain data; the
generator in `generate.py` decides who says what, when.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN = "hartwell-supply.example"

SITES = {
    "Hamburg": "HAM",
    "Munich": "MUC",
    "Leipzig": "LEJ",
    "Rotterdam": "RTM",
    "Manchester": "MAN",
}

# (name, tier, description)
TEAMS = [
    (
        "Service Desk",
        1,
        "First line: phone, email and portal; resolves the common issues, escalates the rest.",
    ),
    (
        "Application Support",
        2,
        "CRM, ERP, eCommerce, HR Portal, email and the integrations between them.",
    ),
    (
        "Network & Infrastructure",
        2,
        "WAN, LAN, Wi-Fi, VPN, firewalls, servers, identity and printing.",
    ),
    ("Database", 2, "PostgreSQL and the data warehouse: performance, capacity, backups, ETL."),
    ("Engineering", 3, "In-house developers of the shop, the integrations and CRM customisations."),
    (
        "Security",
        3,
        "Security operations: phishing, compromised accounts, endpoint alerts, firewall policy.",
    ),
    ("DevOps", 3, "Platform, Kubernetes, CI/CD, monitoring and cloud infrastructure."),
]


@dataclass(frozen=True)
class Person:
    username: str
    first: str
    last: str
    title: str
    site: str = "Hamburg"
    dept: str = ""
    # (team name, is lead) for staff
    teams: tuple[tuple[str, bool], ...] = ()


SD, AS, NI, DB = "Service Desk", "Application Support", "Network & Infrastructure", "Database"
ENG, SEC, OPS = "Engineering", "Security", "DevOps"

MANAGER = Person("hcarter", "Helen", "Carter", "IT Support Manager")
ADMIN = Person("admin", "Admin", "", "Backline administrator")

STAFF = [
    Person("dokafor", "Daniel", "Okafor", "Service Desk Team Lead", teams=((SD, True),)),
    Person("smarquez", "Sofia", "Marquez", "Service Desk Analyst", teams=((SD, False),)),
    Person("lobrien", "Liam", "O'Brien", "Service Desk Analyst", teams=((SD, False),)),
    Person("arahman", "Aisha", "Rahman", "Senior Service Desk Analyst", teams=((SD, False),)),
    Person("jweber", "Jonas", "Weber", "Service Desk Analyst", "Leipzig", teams=((SD, False),)),
    Person("cdubois", "Chloe", "Dubois", "Service Desk Analyst (part-time)", teams=((SD, False),)),
    Person("mrossi", "Mateo", "Rossi", "Service Desk Analyst", "Munich", teams=((SD, False),)),
    Person("pnair", "Priya", "Nair", "Application Support Lead", teams=((AS, True),)),
    Person("tbecker", "Tom", "Becker", "Application Support Engineer", teams=((AS, False),)),
    Person(
        "epetrova",
        "Elena",
        "Petrova",
        "Application Support Engineer (CRM, ERP)",
        teams=((AS, False),),
    ),
    Person(
        "gmensah",
        "Grace",
        "Mensah",
        "Application Support Engineer",
        "Manchester",
        teams=((AS, False),),
    ),
    Person(
        "kwatanabe",
        "Kenji",
        "Watanabe",
        "Integration Specialist",
        teams=((AS, False), (ENG, False)),
    ),
    Person("lnilsson", "Lars", "Nilsson", "Network & Infrastructure Lead", teams=((NI, True),)),
    Person("fhaddad", "Fatima", "Haddad", "Network Engineer", teams=((NI, False),)),
    Person("ogrant", "Oliver", "Grant", "Systems Engineer", teams=((NI, False),)),
    Person("riyer", "Ravi", "Iyer", "Network Security Engineer", teams=((NI, False), (SEC, False))),
    Person("isolberg", "Ingrid", "Solberg", "Database Team Lead", teams=((DB, True),)),
    Person(
        "cmendes", "Carlos", "Mendes", "Database Administrator", teams=((DB, False), (OPS, False))
    ),
    Person(
        "hschulz", "Hannah", "Schulz", "Database Administrator", "Leipzig", teams=((DB, False),)
    ),
    Person("badler", "Ben", "Adler", "Engineering Lead", teams=((ENG, True),)),
    Person("sosei", "Samuel", "Osei", "Senior Software Engineer", teams=((ENG, False),)),
    Person("ytanaka", "Yuki", "Tanaka", "Software Engineer", teams=((ENG, False),)),
    Person("nkarim", "Nadia", "Karim", "Security Lead", teams=((SEC, True),)),
    Person("pnovak", "Peter", "Novak", "Security Engineer", teams=((SEC, False),)),
    Person("ejohansson", "Erik", "Johansson", "DevOps Lead", teams=((OPS, True),)),
    Person(
        "zcampbell",
        "Zoe",
        "Campbell",
        "Site Reliability Engineer",
        "Manchester",
        teams=((OPS, False),),
    ),
]

REQUESTERS = [
    Person("jmorgan", "Jessica", "Morgan", "Sales Operations Analyst", dept="sales"),
    Person("dfischer", "Daniel", "Fischer", "Account Executive", dept="sales"),
    Person("lkeller", "Laura", "Keller", "Key Account Manager", dept="sales"),
    Person("asaleh", "Ahmed", "Saleh", "Inside Sales Representative", dept="sales"),
    Person("ewalsh", "Emily", "Walsh", "Regional Sales Manager UK", "Manchester", dept="sales"),
    Person("tbrandt", "Tobias", "Brandt", "Sales Director DACH", "Munich", dept="sales"),
    Person("nkowalski", "Nina", "Kowalski", "Sales Support Coordinator", dept="sales"),
    Person("vlindgren", "Victor", "Lindgren", "Account Executive", "Munich", dept="sales"),
    Person("sjensen", "Sara", "Jensen", "Customer Service Team Lead", dept="service"),
    Person("pmurphy", "Paul", "Murphy", "Customer Service Agent", "Manchester", dept="service"),
    Person("lhoffmann", "Lea", "Hoffmann", "Customer Service Agent", dept="service"),
    Person("oaziz", "Omar", "Aziz", "Returns Coordinator", "Rotterdam", dept="service"),
    Person("jcosta", "Julia", "Costa", "Customer Service Agent", dept="service"),
    Person("mvogel", "Martin", "Vogel", "Financial Controller", dept="finance"),
    Person("aberg", "Anna", "Berg", "Accounts Payable Specialist", dept="finance"),
    Person("rhughes", "Richard", "Hughes", "Head of Finance", dept="finance"),
    Person("mchen", "Mei", "Chen", "Order-to-Cash Specialist", dept="finance"),
    Person("swolf", "Stefan", "Wolf", "Accounts Receivable Clerk", dept="finance"),
    Person("oivanova", "Olga", "Ivanova", "Payroll Specialist", dept="hr"),
    Person("cevans", "Charlotte", "Evans", "HR Business Partner", "Manchester", dept="hr"),
    Person("fkrause", "Felix", "Krause", "Recruiter", dept="hr"),
    Person("ayusuf", "Amira", "Yusuf", "HR Operations Coordinator", dept="hr"),
    Person("lmoreau", "Lucas", "Moreau", "Marketing Manager", dept="marketing"),
    Person(
        "hprice", "Hannah", "Price", "Content Marketing Specialist", "Manchester", dept="marketing"
    ),
    Person("iortega", "Isabel", "Ortega", "CRM Campaign Manager", dept="marketing"),
    Person("nschmidt", "Noah", "Schmidt", "Marketing Data Analyst", dept="marketing"),
    Person("mbianchi", "Marco", "Bianchi", "eCommerce Operations Manager", dept="ecommerce"),
    Person("esvensson", "Ella", "Svensson", "Online Shop Merchandiser", dept="ecommerce"),
    Person("jdevries", "Jan", "de Vries", "eCommerce Product Owner", "Rotterdam", dept="ecommerce"),
    Person("lpark", "Lina", "Park", "Web Shop Content Editor", dept="ecommerce"),
    Person("dmeyer", "Dirk", "Meyer", "Warehouse Operations Manager", "Leipzig", dept="logistics"),
    Person("knowak", "Kasia", "Nowak", "Logistics Planner", "Leipzig", dept="logistics"),
    Person(
        "pjansen",
        "Pieter",
        "Jansen",
        "Distribution Centre Supervisor",
        "Rotterdam",
        dept="logistics",
    ),
    Person("ademir", "Ali", "Demir", "Warehouse Team Leader", "Leipzig", dept="logistics"),
    Person("glang", "Greta", "Lang", "Transport Coordinator", "Leipzig", dept="logistics"),
    Person("fweiss", "Frank", "Weiss", "Purchasing Manager", dept="procurement"),
    Person("slaurent", "Sophie", "Laurent", "Procurement Specialist", dept="procurement"),
    Person("cdoyle", "Catherine", "Doyle", "Legal Counsel", dept="management"),
    Person("arichter", "Andreas", "Richter", "Chief Financial Officer", dept="management"),
    Person("mgoldberg", "Maya", "Goldberg", "Executive Assistant to the CEO", dept="management"),
    Person("ebrooks", "Ethan", "Brooks", "BI Analyst", dept="bi"),
    Person("ralvarez", "Rosa", "Alvarez", "Head of Business Intelligence", dept="bi"),
    Person("rlin", "Rebecca", "Lin", "Office Manager", "Munich", dept="office"),
    Person("treid", "Thomas", "Reid", "Facilities Coordinator", dept="office"),
]

# Raises alerts from the monitoring system; not a person and has no usable password.
MONITORING = Person("monitoring", "Monitoring", "alerts", "Monitoring system (service account)")

# (name, owner team, description)
SERVICES = [
    (
        "CRM",
        AS,
        "Customer relationship management: accounts, opportunities, activities and the "
        "sales pipeline reports. Used by Sales, Customer Service and Marketing.",
    ),
    (
        "Collaboration Platform",
        AS,
        "Cloud chat, calls, video meetings and team sites for every "
        "employee, including the Customer Service phone queues.",
    ),
    (
        "eCommerce",
        AS,
        "The web shop shop.hartwell-supply.example (B2B and B2C), its back office "
        "and the order pipeline into ERP.",
    ),
    ("ERP", AS, "Finance, purchasing, inventory, sales orders and warehouse management."),
    ("Email", AS, "Cloud mailboxes, shared mailboxes, calendars and the inbound mail gateway."),
    ("VPN", NI, "Remote access for laptops working outside the offices."),
    ("HR Portal", AS, "Payslips, leave requests, personal data and onboarding for all employees."),
    ("Data Warehouse", DB, "Nightly loads from ERP, CRM and the shop; the BI dashboards on top."),
    ("Identity & Access", NI, "Directory, single sign-on, multi-factor authentication."),
    (
        "Corporate Network",
        NI,
        "WAN between the sites, office LAN and Wi-Fi, internet breakout, firewalls.",
    ),
    (
        "Workplace Devices",
        SD,
        "Laptops, monitors, docking stations, mobile phones and desk phones.",
    ),
    ("File & Print", NI, "File shares and the office printers."),
]

# (name, ci type, service or None, owner team, description)
ITEMS = [
    (
        "crm-app-01",
        "server",
        "CRM",
        AS,
        "CRM application server, primary node (Hamburg data centre).",
    ),
    (
        "crm-app-02",
        "server",
        "CRM",
        AS,
        "CRM application server, second node behind the load balancer.",
    ),
    (
        "crm-db-01",
        "database",
        "CRM",
        DB,
        "CRM PostgreSQL 15 primary database (accounts, opportunities, reporting views).",
    ),
    (
        "crm-db-01 configuration",
        "configuration",
        "CRM",
        DB,
        "postgresql.conf of the CRM database: "
        "memory, planner and autovacuum settings. Changed only through a change request.",
    ),
    (
        "CRM reporting service",
        "application",
        "CRM",
        AS,
        "Generates and exports CRM reports; exports run through the API gateway (120 s timeout).",
    ),
    (
        "CRM Outlook add-in",
        "application",
        "CRM",
        AS,
        "Tracks emails and meetings into CRM; "
        "installed on every Sales and Customer Service laptop.",
    ),
    (
        "Collaboration platform tenant",
        "cloud tenant",
        "Collaboration Platform",
        AS,
        "The company "
        "tenant of the cloud collaboration platform: chat, calls, meetings, call queues.",
    ),
    (
        "Meeting room video systems",
        "hardware",
        "Collaboration Platform",
        NI,
        "Video bars and touch panels in the meeting rooms of all offices.",
    ),
    (
        "WAN link Hamburg-Munich",
        "network link",
        "Corporate Network",
        NI,
        "MPLS 500 Mbit/s, carrier-managed, LTE backup.",
    ),
    (
        "WAN link Hamburg-Leipzig",
        "network link",
        "Corporate Network",
        NI,
        "MPLS 300 Mbit/s, carrier-managed, LTE backup.",
    ),
    (
        "WAN link Hamburg-Rotterdam",
        "network link",
        "Corporate Network",
        NI,
        "MPLS 300 Mbit/s, carrier-managed.",
    ),
    (
        "WAN link Hamburg-Manchester",
        "network link",
        "Corporate Network",
        NI,
        "MPLS 200 Mbit/s, carrier-managed.",
    ),
    (
        "Internet breakout Hamburg",
        "network link",
        "Corporate Network",
        NI,
        "Central internet access for all offices, 2 x 1 Gbit/s.",
    ),
    ("edge-rtr-ham-01", "router", "Corporate Network", NI, "Edge router Hamburg (primary)."),
    ("edge-rtr-ham-02", "router", "Corporate Network", NI, "Edge router Hamburg (secondary)."),
    ("edge-rtr-muc-01", "router", "Corporate Network", NI, "Edge router Munich office."),
    ("edge-rtr-lej-01", "router", "Corporate Network", NI, "Edge router Leipzig warehouse."),
    (
        "edge-rtr-rtm-01",
        "router",
        "Corporate Network",
        NI,
        "Edge router Rotterdam distribution centre.",
    ),
    (
        "QoS policy on edge routers",
        "configuration",
        "Corporate Network",
        NI,
        "Traffic classes "
        "and bandwidth reservation for voice and video (DSCP EF / AF41) on all edge routers and "
        "WAN "
        "links.",
    ),
    ("core-sw-ham-01", "switch", "Corporate Network", NI, "Core switch stack, Hamburg office."),
    (
        "fw-ham-01",
        "firewall",
        "Corporate Network",
        NI,
        "Firewall cluster at the internet breakout.",
    ),
    (
        "Office Wi-Fi",
        "network",
        "Corporate Network",
        NI,
        "Wireless controller and access points in all offices.",
    ),
    (
        "eCommerce platform",
        "application",
        "eCommerce",
        AS,
        "The web shop application and its back office.",
    ),
    ("shop-web-01", "server", "eCommerce", OPS, "Shop web node (Kubernetes worker pool)."),
    ("shop-web-02", "server", "eCommerce", OPS, "Shop web node (Kubernetes worker pool)."),
    ("shop-db-01", "database", "eCommerce", DB, "Shop PostgreSQL database."),
    (
        "Shop-to-ERP order integration",
        "integration",
        "eCommerce",
        AS,
        "Middleware flow that exports paid shop orders into ERP sales orders every 5 minutes.",
    ),
    (
        "Payment gateway connection",
        "integration",
        "eCommerce",
        AS,
        "Card and invoice payments through the external payment provider.",
    ),
    ("ERP application", "application", "ERP", AS, "ERP production system."),
    ("erp-app-01", "server", "ERP", AS, "ERP application server."),
    ("erp-db-01", "database", "ERP", DB, "ERP database."),
    (
        "ERP API credential for the order integration",
        "credential",
        "ERP",
        AS,
        "API token of "
        "the technical user INT_SHOP used by the shop-to-ERP order integration; valid 12 months.",
    ),
    ("EDI gateway", "integration", "ERP", AS, "EDI orders and invoices with trading partners."),
    (
        "Mail tenant",
        "cloud tenant",
        "Email",
        AS,
        "Cloud mailboxes, shared mailboxes and calendars.",
    ),
    ("Mail gateway", "appliance", "Email", SEC, "Inbound spam, malware and phishing filter."),
    ("vpn-gw-01", "appliance", "VPN", NI, "VPN gateway cluster at the Hamburg internet breakout."),
    ("VPN client", "application", "VPN", NI, "VPN client on company laptops."),
    ("HR Portal application", "application", "HR Portal", AS, "The HR Portal web application."),
    ("hr-portal-db", "database", "HR Portal", DB, "HR Portal database."),
    ("dwh-db-01", "database", "Data Warehouse", DB, "Data warehouse database."),
    (
        "Nightly ETL jobs",
        "batch job",
        "Data Warehouse",
        DB,
        "Loads from ERP, CRM and the shop, 01:00-05:00 every night.",
    ),
    (
        "BI dashboards",
        "application",
        "Data Warehouse",
        DB,
        "Sales, finance and logistics dashboards.",
    ),
    ("Directory domain controllers", "server", "Identity & Access", NI, "dc-01 and dc-02."),
    (
        "SSO identity provider",
        "application",
        "Identity & Access",
        NI,
        "Single sign-on for all web applications.",
    ),
    (
        "MFA service",
        "application",
        "Identity & Access",
        SEC,
        "Multi-factor authentication: authenticator app, SMS fallback.",
    ),
    (
        "Standard laptop image",
        "software image",
        "Workplace Devices",
        SD,
        "Windows 11 image with the standard applications.",
    ),
    (
        "Mobile device management",
        "application",
        "Workplace Devices",
        SD,
        "Enrolment and policies for company phones and laptops.",
    ),
    (
        "Desk phones",
        "hardware",
        "Workplace Devices",
        NI,
        "IP desk phones in the offices and the warehouse.",
    ),
    ("fs-01", "server", "File & Print", NI, "File server with the department shares."),
    ("print-srv-01", "server", "File & Print", NI, "Print server for all office printers."),
    ("k8s-prod", "platform", None, OPS, "Production Kubernetes cluster (shop, integrations)."),
    ("backup-01", "server", None, OPS, "Backup server and tape library."),
]


@dataclass(frozen=True)
class Fix:
    code: str  # ResolutionCode
    cause: str  # CauseCode
    note: str  # the resolution note
    finding: str = ""  # what the engineer finds first on the way to this fix


@dataclass(frozen=True)
class Incident:
    """A kind of incident the desk sees again and again, with its variations."""

    key: str
    category: str
    service: str | None
    titles: tuple[str, ...]
    descriptions: tuple[str, ...]
    cis: tuple[str, ...] = ()
    prios: str = "34"
    weight: float = 1.0
    checks: tuple[str, ...] = ()
    escalate: float = 0.0
    l2: str = ""
    l3: str = ""
    l3_share: float = 0.0
    l1_fixes: tuple[Fix, ...] = ()
    l2_fixes: tuple[Fix, ...] = ()
    l3_fixes: tuple[Fix, ...] = ()
    alert: bool = False
    depts: tuple[str, ...] = ()
    recurring: bool = False


INCIDENTS = [
    # --- access -------------------------------------------------------------------------------
    Incident(
        "password",
        "access",
        "Identity & Access",
        (
            "Locked out of Windows account",
            "Password expired, cannot log in",
            "Account locked after too many sign-in attempts",
            "Cannot sign in after password change",
        ),
        (
            "{first} cannot sign in to the laptop since {time}. Message: 'The referenced account "
            "is "
            "currently locked out and may not be logged on to.'",
            "{first} changed the password yesterday and since {time} every sign-in fails. Phone "
            "mail "
            "stopped syncing at the same time.",
        ),
        cis=("Directory domain controllers",),
        weight=7,
        escalate=0.02,
        l2=NI,
        checks=(
            "verified identity with a call-back to the number in the directory",
            "checked the account in the directory: locked, lockout source is the phone",
        ),
        l1_fixes=(
            Fix(
                "fixed",
                "user",
                "Verified identity by call-back, unlocked the account and "
                "set a temporary password; user changed it at the next sign-in.",
            ),
            Fix(
                "fixed",
                "configuration",
                "Account kept locking because the phone's mail app "
                "still used the old password. Updated the password on the phone, unlocked the "
                "account; no further lockouts.",
            ),
            Fix(
                "advice",
                "user",
                "Walked the user through the self-service password reset; "
                "account unlocked, sign-in works.",
            ),
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "configuration",
                "A scheduled task on an old PC was running with the "
                "user's credentials and locked the account every few minutes. Removed the task.",
                finding="The lockouts come from an old PC: a scheduled task there still runs with "
                "the user's credentials.",
            ),
        ),
    ),
    Incident(
        "mfa",
        "access",
        "Identity & Access",
        (
            "MFA prompt not arriving on new phone",
            "Lost phone, need MFA reset",
            "Authenticator app codes rejected",
        ),
        (
            "{first} got a new phone and no longer receives the sign-in approval. Cannot access "
            "email "
            "or the HR Portal from outside the office.",
            "{first} reports the authenticator codes are always 'incorrect' since {time}.",
        ),
        cis=("MFA service",),
        weight=3,
        escalate=0.08,
        l2=NI,
        l3=SEC,
        l3_share=0.2,
        checks=("verified identity with the manager", "checked the MFA registrations of the user"),
        l1_fixes=(
            Fix(
                "fixed",
                "user",
                "Removed the old authenticator registration after identity "
                "check and helped register the new phone; sign-in tested.",
            ),
            Fix(
                "advice",
                "user",
                "Phone time was set manually and drifted; switched to "
                "automatic time, codes accepted again.",
            ),
        ),
        l2_fixes=(
            Fix(
                "configuration",
                "data",
                "Corrected the mobile number in the directory and "
                "re-registered MFA; SMS fallback works.",
                finding="The phone number in the directory has a typo, so the SMS fallback never "
                "arrives.",
            ),
        ),
    ),
    Incident(
        "access",
        "access",
        None,
        (
            "Need access to {share}",
            "No permission to open the {role} screen in {bizapp}",
            "New starter missing access to {bizapp}",
            "Access denied on {share} after team move",
        ),
        (
            "{first} needs access for the new role in {dept}; approved by the line manager by "
            "email.",
            "{first} gets 'Access denied' since moving teams last week. Colleagues in the same "
            "team "
            "have access.",
        ),
        weight=6,
        escalate=0.22,
        l2=AS,
        prios="34",
        checks=(
            "checked the approval from the manager",
            "compared groups with a colleague in the same team",
        ),
        l1_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Added the user to the share's access group after "
                "manager approval; access works after signing out and in.",
            ),
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Assigned the {role} role in {bizapp} after "
                "approval from {approver}, removed the old team's role; user confirmed access.",
                finding="Role {role} is missing from the user's profile in {bizapp}; the old "
                "team's role is still there.",
            ),
        ),
    ),
    Incident(
        "sso",
        "access",
        "Identity & Access",
        (
            "SSO login loop when opening the HR Portal",
            "Single sign-on keeps asking for password",
            "'Your session has expired' right after signing in",
        ),
        (
            "{first} is sent back to the sign-in page in a loop when opening the HR Portal from "
            "the intranet. Happens in {browser} and Edge.",
            "Since {time} {first} and {n} colleagues in {dept} are asked for their password on "
            "every "
            "page of the HR Portal.",
        ),
        cis=("SSO identity provider",),
        weight=2,
        escalate=0.35,
        l2=NI,
        l3=SEC,
        l3_share=0.15,
        checks=(
            "cleared cookies for the portal and the identity provider",
            "tried a private window and another browser",
        ),
        l1_fixes=(
            Fix(
                "workaround",
                "configuration",
                "Cleared cookies for the identity provider and "
                "the portal; told the user to use the portal bookmark, not the old login "
                "address.",
            ),
        ),
        l2_fixes=(
            Fix(
                "configuration",
                "change",
                "Corrected the relying-party redirect address of "
                "the HR Portal in the identity provider (wrong since the certificate renewal). "
                "Sign-in works without a loop.",
                finding="The portal's SSO redirect address still points to the old host name "
                "after the certificate renewal.",
            ),
        ),
        l3_fixes=(
            Fix(
                "configuration",
                "configuration",
                "Session lifetime policy was set to 5 "
                "minutes by mistake in the last policy update; restored 8 hours.",
                finding="Sessions expire after five minutes for everyone since the last policy "
                "update.",
            ),
        ),
    ),
    # --- application --------------------------------------------------------------------------
    Incident(
        "crm_export",
        "application",
        "CRM",
        (
            "CRM report export times out",
            "CRM: export of {report} report times out",
            "Timeout when exporting CRM report to Excel",
            "CRM report export fails after two minutes",
        ),
        (
            "{first} tries to export the '{report}' report to Excel. After about two minutes the "
            "browser shows 'Gateway timeout (504)' and no file is downloaded. Smaller date ranges "
            "sometimes work.",
            "The weekly '{report}' export has failed since {time} with a timeout. {first} needs it "
            "for the Monday sales meeting.",
        ),
        cis=("CRM reporting service",),
        prios="3",
        weight=0,
        escalate=0.65,
        l2=AS,
        l3=DB,
        l3_share=0.0,
        depts=("sales", "marketing"),
        recurring=True,
        checks=(
            "reproduced the timeout with the user",
            "tried a smaller date range: works for one month, fails for the quarter",
        ),
        l1_fixes=(
            Fix(
                "workaround",
                "capacity",
                "Advised to export the report one month at a time; "
                "three files delivered, user merged them.",
            ),
        ),
        l2_fixes=(
            Fix(
                "workaround",
                "capacity",
                "The export ran into the 120-second gateway timeout. "
                "Split the report by month and exported each part; files sent to the user. "
                "The report gets slower every week; linked to the recurring export tickets.",
                finding="The export request runs into the 120 s gateway timeout; the report query "
                "itself takes 140-180 s on crm-db-01.",
            ),
            Fix(
                "workaround",
                "unknown",
                "Scheduled the report to run at 06:00 and email the "
                "result to the user, which avoids the timeout. Root cause not found yet.",
                finding="Same pattern as the earlier report-export tickets: a full quarter takes "
                "longer to export every week.",
            ),
        ),
    ),
    Incident(
        "crm_slow",
        "application",
        "CRM",
        (
            "CRM very slow when opening accounts",
            "CRM pages take 30 seconds to load",
            "CRM freezes when saving opportunities",
        ),
        (
            "Since {time} the CRM takes 20-40 seconds to open an account or save an opportunity. "
            "{first} and {n} colleagues in {dept} are affected.",
            "{first} reports that CRM is 'unusably slow' today; customer calls have to be put on "
            "hold while the account loads.",
        ),
        cis=("crm-app-01", "crm-app-02", "crm-db-01"),
        prios="23",
        weight=3,
        escalate=0.55,
        l2=AS,
        l3=ENG,
        l3_share=0.12,
        depts=("sales", "service"),
        checks=(
            "compared with a colleague's PC: same",
            "tested over cable, not Wi-Fi: same",
            "no CRM maintenance announced",
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "capacity",
                "A bulk update from the marketing import was blocking "
                "the account queries. Stopped the import and moved it to 22:00.",
                finding="App servers are idle; the slow requests all wait on the database, "
                "blocked by a bulk update.",
            ),
            Fix(
                "workaround",
                "software",
                "Restarted the CRM application on crm-app-02, which "
                "had exhausted its connection pool; response times normal. Opened a problem "
                "for the connection leak.",
                finding="crm-app-02 has exhausted its database connection pool.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "software",
                "A customisation released last week loaded all "
                "activities of an account on every page view. Hotfix deployed; account pages "
                "open in under 2 seconds.",
                finding="Every account page loads all activities of the account since last week's "
                "customisation release.",
            ),
        ),
    ),
    Incident(
        "crm_addin",
        "application",
        "CRM",
        (
            "CRM add-in missing in Outlook",
            "Emails not tracked into CRM",
            "CRM button greyed out in Outlook",
        ),
        (
            "{first} cannot track emails into CRM any more: the CRM button is missing in Outlook "
            "since {time}.",
            "Emails {first} tracks do not show up in the account's activities.",
        ),
        cis=("CRM Outlook add-in",),
        weight=3,
        escalate=0.15,
        l2=AS,
        depts=("sales", "service"),
        checks=("restarted Outlook", "checked the add-in list in Outlook: disabled"),
        l1_fixes=(
            Fix(
                "fixed",
                "software",
                "Outlook had disabled the CRM add-in as 'slow to load'. "
                "Re-enabled it and added it to the always-enabled list.",
            ),
            Fix(
                "fixed",
                "software",
                "Reinstalled the CRM add-in from the company portal; tracking works again.",
            ),
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "credentials",
                "Reset the user's CRM add-in authorisation; the add-in "
                "signs in and tracks emails again.",
                finding="The add-in's authorisation for the user expired and the refresh fails.",
            ),
        ),
    ),
    Incident(
        "erp_error",
        "application",
        "ERP",
        (
            "ERP error when posting invoice",
            "Cannot post goods receipt in ERP",
            "ERP error '{erp_error}' when saving purchase order",
        ),
        (
            "{first} gets '{erp_error}' when posting. Document number in the screenshot, happens "
            "for "
            "every document since {time}.",
            "Posting in ERP fails for {first} with '{erp_error}'. Colleagues in {dept} can post.",
        ),
        cis=("ERP application", "erp-app-01"),
        prios="234",
        weight=4,
        escalate=0.5,
        l2=AS,
        l3=ENG,
        l3_share=0.15,
        depts=("finance", "procurement", "logistics"),
        checks=(
            "reproduced with the user on a screen share",
            "checked the user's roles against a colleague who can post",
        ),
        l2_fixes=(
            Fix(
                "configuration",
                "configuration",
                "Opened the posting period for the "
                "current month (missed by the month-end checklist). Posting works.",
                finding="The posting period for this month was not opened.",
            ),
            Fix(
                "fixed",
                "configuration",
                "Added the missing authorisation for company code "
                "2000 to the user's role after approval from Finance.",
                finding="Reproducible only with the user's role: the authorisation for company "
                "code 2000 is missing.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "software",
                "A custom validation rule rejected documents with more "
                "than 99 lines. Fixed and transported to production.",
                finding="Fails for every user on documents with more than 99 lines: a custom "
                "validation rule rejects them.",
            ),
        ),
    ),
    Incident(
        "erp_down",
        "application",
        "ERP",
        (
            "ERP unavailable for all users",
            "ERP login page shows 'service unavailable'",
            "ERP extremely slow for everyone",
        ),
        (
            "Since {time} nobody can sign in to ERP: 'Service unavailable'. Warehouse, Finance and "
            "Customer Service affected at all sites.",
            "ERP stopped responding at {time}; sessions hang. {many} calls from all departments.",
        ),
        cis=("ERP application", "erp-app-01", "erp-db-01"),
        prios="12",
        weight=1.5,
        escalate=0.97,
        l2=AS,
        l3=OPS,
        l3_share=0.35,
        checks=(
            "confirmed with users at three sites",
            "status page shows no announced maintenance",
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "capacity",
                "erp-app-01 ran out of disk space for the application "
                "logs. Removed rotated logs, ERP back at {time}. Log rotation fix planned as "
                "a change.",
                finding="The log volume of erp-app-01 is full; the application cannot write its "
                "logs and refuses new sessions.",
            ),
            Fix(
                "fixed",
                "change",
                "The overnight patch left the ERP message server stopped. "
                "Started it and rolled the patch back; users can work.",
                finding="The ERP message server is down since the overnight patch.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "capacity",
                "Storage latency on the ERP database volume after a "
                "failed disk in the array. Moved the volume to healthy storage; ERP normal.",
                finding="Database response times are twenty times normal; storage latency on the "
                "ERP volume is very high.",
            ),
        ),
    ),
    Incident(
        "hr_portal",
        "application",
        "HR Portal",
        (
            "Cannot open payslip in the HR Portal",
            "HR Portal shows blank page after login",
            "Leave request cannot be submitted in the HR Portal",
        ),
        (
            "{first} gets a blank page when opening the payslip for last month.",
            "Submitting a leave request fails with 'Something went wrong' for {first}.",
        ),
        cis=("HR Portal application",),
        prios="34",
        weight=2.5,
        escalate=0.3,
        l2=AS,
        l3=ENG,
        l3_share=0.1,
        checks=("tried another browser", "cleared the browser cache"),
        l1_fixes=(
            Fix(
                "workaround",
                "software",
                "Payslip opens in Edge but not in {browser}; "
                "advised to use Edge until the portal update.",
            ),
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "data",
                "Employee record had no cost centre after the team move; HR "
                "corrected it and the request goes through.",
                finding="The user's employee record has no cost centre, which the form requires.",
            ),
        ),
    ),
    Incident(
        "shop_backoffice",
        "application",
        "eCommerce",
        (
            "Cannot publish products in the shop back office",
            "Product images not showing in shop",
            "Price changes not visible in the web shop",
        ),
        (
            "{first} updated products in the shop back office but the changes do not appear in the "
            "shop after an hour.",
            "Saving products fails with 'Publish job failed' since {time}.",
        ),
        cis=("eCommerce platform",),
        prios="34",
        weight=2,
        escalate=0.5,
        l2=AS,
        l3=ENG,
        l3_share=0.3,
        depts=("ecommerce",),
        checks=("checked in a private window (no cache)", "confirmed with a second product"),
        l2_fixes=(
            Fix(
                "fixed",
                "software",
                "Restarted the stuck publish job and cleared the failed "
                "image import; products published.",
                finding="The publish job is stuck behind a failed image import.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "software",
                "Image import crashed on file names with umlauts; fixed in release 2.14.3.",
                finding="The image import crashes on file names with umlauts.",
            ),
        ),
    ),
    Incident(
        "shop_checkout",
        "application",
        "eCommerce",
        (
            "Customers get an error at checkout",
            "Web shop checkout fails for card payments",
            "Shop shows error 500 on the basket page",
        ),
        (
            "Customer Service has had {n} calls since {time}: customers get an error after "
            "entering "
            "their card details. Orders are not created.",
            "The shop shows 'Internal error' on the basket page for some customers since {time}.",
        ),
        cis=("eCommerce platform", "Payment gateway connection"),
        prios="12",
        weight=1,
        escalate=0.95,
        l2=AS,
        l3=ENG,
        l3_share=0.4,
        depts=("ecommerce", "service"),
        checks=("reproduced with a test order", "payment provider status page checked"),
        l2_fixes=(
            Fix(
                "referred",
                "third_party",
                "Payment provider outage between {time} and the "
                "provider's all-clear 35 minutes later; confirmed by their status page. "
                "Checkout works again.",
                finding="The payment provider returns timeouts for card authorisations.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "software",
                "The morning release broke voucher validation when the "
                "basket contained a bundle. Hotfix deployed; failed orders re-created.",
                finding="Errors started with the release deployed at 07:00; only baskets with "
                "bundles fail.",
            ),
            Fix(
                "fixed",
                "change",
                "Rolled back this morning's release; the basket page works. "
                "Fix will follow in the next release.",
                finding="Errors started with the release deployed at 07:00.",
            ),
        ),
    ),
    Incident(
        "office_app",
        "application",
        "Workplace Devices",
        (
            "{app} crashes when opening files",
            "{app} will not start",
            "{app} very slow since update",
        ),
        (
            "{app} closes without a message whenever {first} opens a file from {share}.",
            "{app} does not start on {laptop} since the update on {time}.",
        ),
        cis=("Standard laptop image",),
        prios="4",
        weight=5,
        escalate=0.03,
        l2=AS,
        checks=("restarted the laptop", "ran the Office repair"),
        l1_fixes=(
            Fix(
                "fixed",
                "software",
                "Ran the online repair of the Office installation; "
                "{app} starts and opens files again.",
            ),
            Fix(
                "fixed",
                "software",
                "Disabled a faulty third-party {app} add-in that crashed on start.",
            ),
            Fix(
                "advice",
                "user",
                "File was opened directly from the zip archive; showed the "
                "user how to extract it first.",
            ),
        ),
    ),
    # --- database -----------------------------------------------------------------------------
    Incident(
        "db_disk",
        "database",
        None,
        ("Disk usage above 90% on {dbhost}", "Low disk space on {dbhost} data volume"),
        (
            "Monitoring: filesystem /var/lib/postgresql on {dbhost} at 91% (threshold 90%), "
            "growing about 2% a day.",
        ),
        cis=("{dbhost}",),
        prios="23",
        weight=1.5,
        alert=True,
        l2=DB,
        l3=OPS,
        l3_share=0.1,
        l2_fixes=(
            Fix(
                "fixed",
                "capacity",
                "Old WAL files were kept because the backup job failed; "
                "fixed the backup job credentials and cleaned up. Disk at 61%.",
                finding="The WAL archive is not cleaned up since the backup job started failing.",
            ),
            Fix(
                "fixed",
                "capacity",
                "Extended the data volume by 200 GB; growth forecast added to the capacity plan.",
                finding="Normal growth; the volume was sized for last year's data.",
            ),
        ),
    ),
    Incident(
        "db_replication",
        "database",
        None,
        ("Replication lag on {dbhost} above 10 minutes", "Standby of {dbhost} not replicating"),
        ("Monitoring: replication lag of the standby for {dbhost} is 14 minutes (threshold 10).",),
        cis=("{dbhost}",),
        prios="23",
        weight=0.8,
        alert=True,
        l2=DB,
        l3=OPS,
        l3_share=0.2,
        l2_fixes=(
            Fix(
                "fixed",
                "capacity",
                "Cancelled a long-running report query on the standby "
                "that blocked replay; lag back to seconds.",
                finding="A long-running report query on the standby holds back replay.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "network",
                "Replication traffic shared the backup network at night; "
                "moved it to the replication VLAN.",
                finding="Replication traffic competes with the backup traffic at night.",
            ),
        ),
    ),
    Incident(
        "dwh_etl",
        "database",
        "Data Warehouse",
        (
            "Nightly ETL load failed, dashboards show old data",
            "Sales dashboard not updated today",
            "Data warehouse load still running at {time}",
        ),
        (
            "The '{dashboard}' dashboard still shows yesterday's figures. {first} needs today's "
            "numbers for the morning meeting.",
            "The morning check shows ETL job 'load_{etl}' failed at 03:12 with a constraint "
            "violation.",
        ),
        cis=("Nightly ETL jobs", "dwh-db-01", "BI dashboards"),
        prios="23",
        weight=2,
        escalate=0.8,
        l2=DB,
        l3=ENG,
        l3_share=0.15,
        depts=("bi", "finance", "sales"),
        checks=("checked the dashboard's 'last refresh' time",),
        l2_fixes=(
            Fix(
                "fixed",
                "data",
                "Removed a duplicate record delivered by the source system, "
                "re-ran the '{etl}' load; dashboards current.",
                finding="The '{etl}' load failed on a duplicate key from the source system.",
            ),
            Fix(
                "fixed",
                "capacity",
                "The load was blocked by the backup window. Re-ran it; "
                "moved the backup 30 minutes later.",
                finding="The load waited on a lock held by the backup and only finished at 08:40.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "software",
                "The extract did not handle orders with zero lines; "
                "fixed the ETL code and re-ran the load.",
                finding="The extract fails on orders with zero lines.",
            ),
        ),
    ),
    Incident(
        "dwh_numbers",
        "database",
        "Data Warehouse",
        ("Revenue in dashboard does not match ERP", "Figures in '{dashboard}' look wrong"),
        (
            "{first} compared the revenue for last week in the '{dashboard}' dashboard with ERP: "
            "the dashboard is about 4% lower.",
        ),
        cis=("BI dashboards", "dwh-db-01"),
        prios="34",
        weight=1,
        escalate=0.65,
        l2=DB,
        l3=ENG,
        l3_share=0.25,
        depts=("bi", "finance"),
        checks=("confirmed the period and filters with the user",),
        l2_fixes=(
            Fix(
                "fixed",
                "data",
                "Re-ran the load for the affected week after a late posting "
                "correction in ERP; figures match.",
                finding="A late posting correction in ERP is missing from the loaded week.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "software",
                "Revenue view counted credit notes twice; corrected the "
                "view and reloaded six weeks of data.",
                finding="Credit notes are counted twice in the revenue view.",
            ),
        ),
    ),
    Incident(
        "db_deadlock",
        "database",
        "ERP",
        (
            "Deadlock errors in ERP when posting goods receipts",
            "ERP transactions time out on database",
        ),
        (
            "Warehouse users get 'Transaction rolled back (deadlock)' several times an hour when "
            "posting goods receipts.",
        ),
        cis=("erp-db-01",),
        prios="23",
        weight=0.8,
        escalate=0.8,
        l2=DB,
        l3=ENG,
        l3_share=0.2,
        depts=("logistics",),
        checks=("collected the times of the errors from the users",),
        l2_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Moved the stock revaluation job out of working hours; no deadlocks since.",
                finding="The deadlocks line up with the stock revaluation job.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "software",
                "Changed the batch job to lock stock rows in the same order as the goods receipt.",
                finding="Two batch jobs update stock in a different order than the goods receipt.",
            ),
        ),
    ),
    Incident(
        "backup",
        "database",
        None,
        ("Backup job failed for {dbhost}", "Backup of {dbhost} incomplete"),
        ("Monitoring: nightly backup of {dbhost} ended with status FAILED (exit code 1).",),
        cis=("backup-01",),
        prios="3",
        weight=1,
        alert=True,
        l2=DB,
        l3=OPS,
        l3_share=0.15,
        l2_fixes=(
            Fix(
                "fixed",
                "credentials",
                "Backup user's password had expired; renewed it as a "
                "non-expiring service credential and re-ran the backup successfully.",
                finding="The backup user's password has expired.",
            ),
            Fix(
                "fixed",
                "capacity",
                "Backup target was full; expired backups had not been "
                "purged. Purged and re-ran the backup.",
                finding="The backup target ran out of space.",
            ),
        ),
    ),
    # --- collaboration ------------------------------------------------------------------------
    Incident(
        "mail_external",
        "collaboration",
        "Email",
        (
            "Not receiving external emails",
            "Emails from {partner} go to quarantine",
            "Customer emails bouncing",
        ),
        (
            "{first} expects emails from {partner} but nothing arrives since {time}; the sender "
            "says "
            "they went out.",
            "Customers report bounces when writing to {mailbox}.",
        ),
        cis=("Mail gateway", "Mail tenant"),
        prios="34",
        weight=3,
        escalate=0.25,
        l2=AS,
        l3=SEC,
        l3_share=0.15,
        checks=("checked the junk folder", "message trace shows the mail held by the gateway"),
        l1_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Released the messages from quarantine and asked the "
                "sender to fix their SPF record.",
            ),
        ),
        l2_fixes=(
            Fix(
                "configuration",
                "third_party",
                "Added a temporary allow rule for {partner} "
                "while they fix their SPF record; mails delivered.",
                finding="The sender's domain lost its SPF record, so the gateway quarantines "
                "their mail.",
            ),
        ),
        l3_fixes=(
            Fix(
                "configuration",
                "configuration",
                "A new gateway rule quarantined all mail with PDF invoices; narrowed the rule.",
                finding="All mail with PDF invoices is held by a gateway rule added last week.",
            ),
        ),
    ),
    Incident(
        "shared_mailbox",
        "collaboration",
        "Email",
        ("Shared mailbox {mailbox} not showing in Outlook", "Cannot send as {mailbox}"),
        (
            "{first} no longer sees the shared mailbox {mailbox} in Outlook.",
            "Sending as {mailbox} fails with 'You do not have permission'.",
        ),
        cis=("Mail tenant",),
        prios="4",
        weight=3,
        escalate=0.05,
        l2=AS,
        checks=("checked permissions on the mailbox",),
        l1_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Permission was removed by the team clean-up; "
                "re-added Full Access and Send As after approval. Mailbox shows again.",
            ),
            Fix("advice", "user", "Outlook profile was rebuilt; re-added the shared mailbox."),
        ),
    ),
    Incident(
        "calendar",
        "collaboration",
        "Email",
        (
            "Cannot see colleague's calendar",
            "Meeting invitations not arriving",
            "Room booking fails for {room}",
        ),
        (
            "{first} cannot open the calendar of a colleague: 'You don't have permission'.",
            "Booking {room} for next week fails without a message.",
        ),
        cis=("Mail tenant",),
        prios="4",
        weight=2.5,
        l1_fixes=(
            Fix(
                "advice",
                "user",
                "Showed the user how to request calendar sharing; colleague granted access.",
            ),
            Fix(
                "fixed",
                "configuration",
                "Room mailbox for {room} rejected bookings more than "
                "30 days ahead; extended the booking window.",
            ),
        ),
    ),
    Incident(
        "meeting_av",
        "collaboration",
        "Collaboration Platform",
        (
            "No audio in collaboration platform meetings",
            "Camera not detected in meetings",
            "Headset microphone not working in calls",
        ),
        (
            "Others cannot hear {first} in calls since {time}; the headset works in other apps.",
            "The laptop camera shows black in meetings.",
        ),
        cis=("Collaboration platform tenant",),
        prios="4",
        weight=4,
        escalate=0.03,
        l2=AS,
        checks=("tested with the built-in test call",),
        l1_fixes=(
            Fix(
                "fixed",
                "configuration",
                "The app used the docking station's microphone; "
                "selected the headset in the device settings.",
            ),
            Fix("fixed", "software", "Updated the camera driver; camera works in meetings."),
            Fix("advice", "user", "Camera privacy switch was on; showed the user."),
        ),
    ),
    Incident(
        "call_drops",
        "collaboration",
        "Collaboration Platform",
        (
            "Calls drop in the collaboration platform at {site}",
            "Poor call quality in meetings from the {site} office",
            "Video meetings freeze at {site}",
        ),
        (
            "Calls and meetings from the {site} office freeze for a few seconds several times an "
            "hour; {n} colleagues report the same.",
            "{first} says every customer call drops at least once today.",
        ),
        cis=("Collaboration platform tenant",),
        prios="34",
        weight=2,
        escalate=0.45,
        l2=NI,
        l3=OPS,
        l3_share=0.1,
        checks=("speed test OK on the user's laptop", "same over cable and Wi-Fi"),
        l1_fixes=(
            Fix(
                "workaround",
                "network",
                "User was on the guest Wi-Fi; moved to the corporate network, calls stable.",
            ),
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "network",
                "Access points on {floor} were overloaded; moved two to "
                "5 GHz and balanced the clients. No drops reported since.",
                finding="The Wi-Fi access points on the {floor} are overloaded in the morning.",
            ),
            Fix(
                "fixed",
                "capacity",
                "Backup traffic to Hamburg was running in office hours "
                "after a schedule change; moved it back to the night.",
                finding="Packet loss on the WAN link while the backup to Hamburg runs.",
            ),
        ),
    ),
    Incident(
        "email_down",
        "collaboration",
        "Email",
        (
            "Email not working for anyone at {site}",
            "Outlook disconnected for all users",
            "Email delayed by more than an hour",
        ),
        (
            "Since {time} Outlook shows 'Disconnected' for everybody at {site}; webmail works.",
            "Internal and external emails arrive with 60-90 minutes delay since {time}.",
        ),
        cis=("Mail tenant",),
        prios="12",
        weight=0.8,
        escalate=0.9,
        l2=AS,
        l3=OPS,
        l3_share=0.25,
        checks=("checked the cloud provider status page",),
        l2_fixes=(
            Fix(
                "referred",
                "third_party",
                "Cloud provider incident in our region; resolved by "
                "the provider at {time}. Mail flow normal, delayed messages delivered.",
                finding="Provider incident for our region confirmed on their status page.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "configuration",
                "The proxy bypass list was overwritten by a "
                "firewall change; restored the mail endpoints.",
                finding="Outlook cannot reach the mail endpoints through the proxy since the "
                "firewall change.",
            ),
        ),
    ),
    # --- hardware -----------------------------------------------------------------------------
    Incident(
        "laptop",
        "hardware",
        "Workplace Devices",
        (
            "Laptop does not start",
            "Laptop shows BitLocker recovery screen",
            "Laptop battery drains in an hour",
            "Laptop screen flickers",
        ),
        (
            "{laptop} ({first}) does not start: power light on, screen stays black.",
            "{first}'s laptop {laptop} asks for the BitLocker recovery key after a BIOS update.",
        ),
        cis=("Standard laptop image",),
        prios="34",
        weight=6,
        escalate=0.02,
        l2=NI,
        checks=("hard reset", "tested with another power supply"),
        l1_fixes=(
            Fix(
                "fixed",
                "hardware",
                "Swapped the laptop for a loaner, data synced from the "
                "cloud; the faulty unit goes back under warranty.",
            ),
            Fix(
                "fixed",
                "configuration",
                "Gave the BitLocker recovery key after identity "
                "check; caused by the BIOS update. Suspended BitLocker for the next update.",
            ),
            Fix("fixed", "hardware", "Battery worn out (62% capacity); replaced."),
        ),
    ),
    Incident(
        "printer",
        "hardware",
        "File & Print",
        (
            "Printer {printer} offline",
            "Print jobs stuck in the queue",
            "Printer prints blank pages",
        ),
        (
            "{printer} on the {floor} shows offline for everybody; jobs queue up.",
            "{first}'s print jobs stay in the queue on {printer} since {time}.",
        ),
        cis=("print-srv-01",),
        prios="4",
        weight=4,
        escalate=0.12,
        l2=NI,
        checks=("restarted the printer", "cleared the queue on the print server"),
        l1_fixes=(
            Fix(
                "fixed",
                "hardware",
                "Paper jam in tray 2 blocked the printer; cleared it and restarted the queue.",
            ),
            Fix(
                "fixed",
                "software",
                "Restarted the print spooler on print-srv-01; queue empty, jobs printed.",
            ),
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Printer had a new DHCP address after the power cut; "
                "reserved its address, port updated on the print server.",
                finding="The printer got a new address from DHCP after a power cut.",
            ),
        ),
    ),
    Incident(
        "dock",
        "hardware",
        "Workplace Devices",
        (
            "Docking station not detecting second monitor",
            "Keyboard and mouse not working on dock",
            "Monitor stays black after connecting laptop",
        ),
        ("{first}'s second monitor stays black on the docking station since {time}.",),
        prios="4",
        weight=3.5,
        l1_fixes=(
            Fix(
                "fixed", "software", "Updated the docking station firmware; both monitors detected."
            ),
            Fix("fixed", "hardware", "Faulty cable replaced."),
        ),
    ),
    Incident(
        "phone",
        "hardware",
        "Workplace Devices",
        (
            "Company phone not syncing email",
            "Desk phone shows 'no service'",
            "Cannot enrol new phone",
        ),
        (
            "{first}'s company phone stopped syncing mail after the update.",
            "The desk phone at {site} ({floor}) shows 'no service'.",
        ),
        cis=("Mobile device management", "Desk phones"),
        prios="4",
        weight=3,
        escalate=0.15,
        l2=NI,
        l1_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Re-applied the mail profile through device management; mail syncs.",
            ),
        ),
        l2_fixes=(
            Fix(
                "configuration",
                "configuration",
                "Switch port was moved to the data VLAN "
                "during the office rework; set it back to the voice VLAN.",
                finding="The switch port of the desk phone is in the wrong VLAN.",
            ),
        ),
    ),
    # --- integration --------------------------------------------------------------------------
    Incident(
        "shop_erp",
        "integration",
        "eCommerce",
        (
            "Shop orders arrive in ERP with delay",
            "Single shop order missing in ERP",
            "Order {order} not transferred to ERP",
        ),
        (
            "Order {order} from the web shop is not in ERP although it was paid at {time}.",
            "Shop orders take more than an hour to appear in ERP today; normally 5 minutes.",
        ),
        cis=("Shop-to-ERP order integration",),
        prios="23",
        weight=1.5,
        escalate=0.85,
        l2=AS,
        l3=ENG,
        l3_share=0.2,
        depts=("ecommerce", "service", "logistics"),
        checks=(
            "checked the order in the shop back office: paid, complete",
            "searched ERP by the web order number: not found",
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "data",
                "Order {order} was rejected because the customer's VAT ID was "
                "missing; corrected the customer master and re-queued the order.",
                finding="The order is in the integration's error queue: 'customer VAT ID missing'.",
            ),
            Fix(
                "fixed",
                "capacity",
                "The integration queue backed up after the ERP "
                "maintenance; restarted the consumer, backlog cleared in 20 minutes.",
                finding="The integration queue is backed up after the ERP maintenance window.",
            ),
            Fix(
                "fixed",
                "credentials",
                "The integration's ERP API token had been rotated in "
                "ERP but not in the middleware; updated the credential and replayed the "
                "queued orders.",
                finding="The integration log shows '401 Unauthorized' from the ERP API since "
                "{time}.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "software",
                "Orders with more than 200 lines exceeded the message "
                "size; the integration now splits them.",
                finding="Orders with more than 200 lines exceed the message size limit.",
            ),
        ),
    ),
    Incident(
        "edi",
        "integration",
        "ERP",
        ("EDI orders from {partner} not received", "EDI invoices rejected by {partner}"),
        (
            "{partner} says they sent orders this morning; nothing arrived in ERP.",
            "{partner} rejects our EDI invoices since {time}.",
        ),
        cis=("EDI gateway",),
        prios="23",
        weight=1.2,
        escalate=0.8,
        l2=AS,
        l3=ENG,
        l3_share=0.25,
        depts=("service", "finance"),
        checks=("asked the partner for the message reference",),
        l2_fixes=(
            Fix(
                "fixed",
                "credentials",
                "Partner's AS2 certificate had expired; imported the "
                "new certificate, messages re-sent and received.",
                finding="The partner's certificate for the AS2 connection expired yesterday.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "software",
                "Invoice mapping wrote the VAT amount with three decimals; fixed the mapping.",
                finding="The invoice mapping writes VAT amounts with three decimals.",
            ),
        ),
    ),
    Incident(
        "hr_sync",
        "integration",
        "HR Portal",
        (
            "New starters not synced from the HR Portal to the directory",
            "Leaver still has access after last day",
        ),
        ("Two new starters for Monday have no account yet; the HR Portal shows them as 'ready'.",),
        cis=("HR Portal application",),
        prios="3",
        weight=0.8,
        escalate=0.8,
        l2=AS,
        l3=ENG,
        l3_share=0.1,
        depts=("hr",),
        l2_fixes=(
            Fix(
                "fixed",
                "software",
                "Restarted the HR-to-directory sync that stopped after the "
                "portal update; accounts created.",
                finding="The sync job stopped after the portal update.",
            ),
        ),
    ),
    Incident(
        "cert",
        "integration",
        None,
        ("TLS certificate for {host} expires in 14 days", "Certificate warning on {host}"),
        ("Monitoring: certificate for {host} expires in 14 days.",),
        prios="3",
        weight=0.8,
        alert=True,
        l2=NI,
        l3=SEC,
        l3_share=0.1,
        l2_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Renewed the certificate and added {host} to the automatic renewal.",
                finding="The certificate is not in the automatic renewal list.",
            ),
        ),
    ),
    # --- network ------------------------------------------------------------------------------
    Incident(
        "vpn",
        "network",
        "VPN",
        (
            "Cannot connect to VPN from home",
            "VPN error: {vpn_error}",
            "VPN drops every few minutes",
        ),
        (
            "{first} cannot connect to the VPN from home since {time}: '{vpn_error}'.",
            "VPN connects but drops every 10-15 minutes; {first} loses unsaved work in ERP.",
        ),
        cis=("vpn-gw-01", "VPN client"),
        prios="34",
        weight=6,
        escalate=0.15,
        l2=NI,
        checks=("checked the home internet (other sites load)", "reinstalled the VPN client"),
        l1_fixes=(
            Fix(
                "fixed",
                "software",
                "VPN client was an old version; updated it from the company portal, connects.",
            ),
            Fix(
                "advice",
                "user",
                "Hotel Wi-Fi required accepting terms first; connected after that.",
            ),
        ),
        l2_fixes=(
            Fix(
                "configuration",
                "configuration",
                "Home router blocked UDP 4500; switched the "
                "user's VPN profile to TCP. Connection stable.",
                finding="The user's home router blocks UDP 4500.",
            ),
        ),
    ),
    Incident(
        "wifi",
        "network",
        "Corporate Network",
        (
            "Wi-Fi not working on the {floor} in {site}",
            "Wi-Fi very slow in {room}",
            "Cannot connect to corporate Wi-Fi",
        ),
        (
            "No Wi-Fi on the {floor} at {site} since {time}; {n} people affected.",
            "Wi-Fi in {room} is so slow that screen sharing fails.",
        ),
        cis=("Office Wi-Fi",),
        prios="34",
        weight=3,
        escalate=0.5,
        l2=NI,
        checks=("checked with two devices", "forgot and re-joined the network"),
        l1_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Device certificate for Wi-Fi expired; renewed via device management.",
            ),
        ),
        l2_fixes=(
            Fix(
                "fixed",
                "hardware",
                "Access point lost PoE after a switch reboot; re-enabled the port.",
                finding="The access point on the {floor} lost PoE power.",
            ),
            Fix(
                "fixed",
                "capacity",
                "Added an access point to {room}; speed normal.",
                finding="{room} has one access point for twenty people.",
            ),
        ),
    ),
    Incident(
        "wan_down",
        "network",
        "Corporate Network",
        (
            "WAN link to {remote_site} down",
            "{remote_site} office cannot reach any central systems",
            "Packet loss on WAN link to {remote_site}",
        ),
        (
            "Since {time} the {remote_site} office can only reach central systems very slowly; the "
            "router display shows the LTE backup active.",
            "Nobody at {remote_site} can reach ERP, file shares or email since {time}.",
        ),
        cis=("WAN link Hamburg-{remote_site}",),
        prios="12",
        weight=1,
        escalate=0.95,
        alert=False,
        l2=NI,
        l3=OPS,
        l3_share=0.1,
        checks=("confirmed with two users at the site",),
        l2_fixes=(
            Fix(
                "referred",
                "third_party",
                "Carrier confirmed a fibre cut near {remote_site}. Traffic "
                "ran over the LTE backup until the carrier repaired the line.",
                finding="The carrier confirms a fibre cut; case opened with the carrier.",
            ),
            Fix(
                "fixed",
                "hardware",
                "Edge router power supply failed; replaced with the spare from the site cabinet.",
                finding="The edge router at the site is rebooting in a loop.",
            ),
        ),
    ),
    Incident(
        "network_slow",
        "network",
        "Corporate Network",
        (
            "Internet very slow at {site}",
            "File shares slow from {site}",
            "Websites not loading at {site}",
        ),
        ("Since {time} internet access at {site} is very slow; downloads at 1-2 Mbit/s.",),
        cis=("Internet breakout Hamburg", "fw-ham-01"),
        prios="23",
        weight=1.5,
        escalate=0.7,
        l2=NI,
        l3=SEC,
        l3_share=0.1,
        checks=("speed test from two PCs",),
        l2_fixes=(
            Fix(
                "fixed",
                "configuration",
                "A new inspection rule on fw-ham-01 overloaded the "
                "firewall CPU; narrowed the rule.",
                finding="Firewall CPU at 95% because of a new inspection rule.",
            ),
        ),
        l3_fixes=(
            Fix(
                "configuration",
                "configuration",
                "Reworked the TLS inspection exceptions with Security; throughput normal.",
                finding="TLS inspection slows the traffic down; the exception list needs rework.",
            ),
        ),
    ),
    Incident(
        "partner_access",
        "network",
        "Corporate Network",
        ("Partner cannot reach our SFTP server", "Firewall blocks connection to {partner}"),
        ("{partner} cannot upload files to our SFTP server since {time}.",),
        cis=("fw-ham-01",),
        prios="3",
        weight=0.8,
        escalate=0.9,
        l2=NI,
        l3=SEC,
        l3_share=0.5,
        l2_fixes=(
            Fix(
                "configuration",
                "change",
                "Added the partner's new address to the allow list; upload works.",
                finding="The partner's new outbound address is not in the firewall allow list.",
            ),
        ),
        l3_fixes=(
            Fix(
                "configuration",
                "configuration",
                "Approved and applied the firewall rule "
                "change for the partner's new address range.",
                finding="The partner's new address range needs a firewall rule change approved by "
                "Security.",
            ),
        ),
    ),
    Incident(
        "switch_alert",
        "network",
        "Corporate Network",
        ("Switch port errors on core-sw-ham-01", "High CPU on edge router at {site}"),
        ("Monitoring: CRC errors increasing on an uplink of core-sw-ham-01.",),
        cis=("core-sw-ham-01",),
        prios="3",
        weight=0.8,
        alert=True,
        l2=NI,
        l2_fixes=(
            Fix(
                "fixed",
                "hardware",
                "Replaced the damaged patch cable; error counters stable.",
                finding="Damaged patch cable on the uplink.",
            ),
        ),
    ),
    # --- security -----------------------------------------------------------------------------
    Incident(
        "phishing",
        "security",
        "Email",
        (
            "Suspicious email asking for password",
            "Clicked link in phishing email",
            "Fake invoice email from {partner}",
        ),
        (
            "{first} received an email that looks like our sign-in page and asks to 'confirm the "
            "mailbox'. Forwarded as attachment.",
            "{first} clicked a link in an email from '{partner}' and entered the password before "
            "noticing the address.",
        ),
        cis=("Mail gateway",),
        prios="23",
        weight=3,
        escalate=0.35,
        l2=NI,
        l3=SEC,
        l3_share=0.8,
        checks=(
            "checked the headers of the reported email",
            "asked whether credentials were entered",
        ),
        l1_fixes=(
            Fix(
                "advice",
                "user",
                "Confirmed phishing, user did not click. Reported it to the "
                "mail gateway block list and thanked the user for reporting.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "user",
                "User entered the password on the phishing page. Reset the "
                "password, revoked sessions and MFA tokens, reviewed sign-in logs, blocked the "
                "sender domain.",
                finding="Sign-in logs show a login from an unknown country ten minutes after the "
                "click.",
            ),
        ),
    ),
    Incident(
        "endpoint",
        "security",
        "Workplace Devices",
        ("Endpoint protection alert on {laptop}", "Malware detected on {laptop}"),
        ("Monitoring: endpoint protection quarantined a file on {laptop}.",),
        prios="23",
        weight=1,
        alert=True,
        l2=NI,
        l3=SEC,
        l3_share=0.6,
        l2_fixes=(
            Fix(
                "fixed",
                "user",
                "Quarantined file was a known adware installer; full scan clean.",
                finding="The file came from a USB stick from a trade fair.",
            ),
        ),
        l3_fixes=(
            Fix(
                "fixed",
                "user",
                "Reimaged the laptop as a precaution; no lateral movement in the logs.",
                finding="The quarantined file tried to contact an unknown server; needs a "
                "forensic check.",
            ),
        ),
    ),
    Incident(
        "signin_alert",
        "security",
        "Identity & Access",
        ("Unusual sign-in alert for my account", "MFA requests I did not trigger"),
        ("{first} received MFA prompts at {time} without signing in anywhere.",),
        cis=("MFA service",),
        prios="23",
        weight=0.8,
        escalate=0.7,
        l2=NI,
        l3=SEC,
        l3_share=0.7,
        checks=("told the user to deny the prompts",),
        l3_fixes=(
            Fix(
                "fixed",
                "credentials",
                "Password was reused from a leaked site; reset, "
                "sessions revoked, number matching enforced for the user.",
                finding="The user's password appears in a public leak.",
            ),
        ),
        l2_fixes=(
            Fix(
                "no_fault",
                "user",
                "Prompts came from the user's old phone still signed in; removed the device.",
                finding="The prompts come from the user's old phone, still signed in.",
            ),
        ),
    ),
    # --- other --------------------------------------------------------------------------------
    Incident(
        "howto",
        "other",
        None,
        (
            "How do I set up an out-of-office reply?",
            "How to share a folder with an external partner",
            "Where do I find the expense form?",
        ),
        ("{first} asks how to do this.",),
        prios="4",
        weight=3,
        l1_fixes=(
            Fix(
                "advice",
                "user",
                "Sent the link to the how-to article and walked through it with the user.",
            ),
        ),
    ),
    Incident(
        "drive",
        "other",
        "File & Print",
        ("Network drive missing after move", "Cannot save to {share}"),
        ("{first} has no drive mapped for {share} after moving desks.",),
        cis=("fs-01",),
        prios="4",
        weight=2.5,
        escalate=0.05,
        l2=NI,
        l1_fixes=(
            Fix(
                "fixed",
                "configuration",
                "Drive mapping policy did not apply; refreshed the group policy, drive mapped.",
            ),
            Fix(
                "fixed",
                "data",
                "Share quota for the department was full; deleted old backups "
                "with the user's manager.",
            ),
        ),
    ),
]

# Values the templates above draw from.
SLOTS = {
    "floor": ("ground floor", "1st floor", "2nd floor", "3rd floor", "4th floor"),
    "room": (
        "meeting room Elbe",
        "meeting room Alster",
        "meeting room Isar",
        "meeting room Maas",
        "the board room",
        "the training room",
    ),
    "browser": ("Chrome", "Firefox", "Edge"),
    "app": ("Excel", "Word", "Outlook", "the PDF editor", "PowerPoint"),
    "bizapp": ("CRM", "ERP", "the HR Portal", "the shop back office"),
    "role": (
        "Purchasing approver",
        "Sales read-only",
        "Goods receipt clerk",
        "Campaign editor",
        "Invoice viewer",
        "Key account manager",
    ),
    "approver": (
        "the line manager",
        "the data owner in Finance",
        "the CRM business owner",
        "the Head of Logistics",
    ),
    "share": (
        r"\\fs-01\finance",
        r"\\fs-01\sales\forecasts",
        r"\\fs-01\hr\payroll",
        r"\\fs-01\marketing\assets",
        r"\\fs-01\logistics\planning",
    ),
    "partner": (
        "Baltic Freight",
        "Norder Logistik",
        "Meridian Retail",
        "Alpen Office Supply",
        "Van Dijk Packaging",
    ),
    "mailbox": ("orders@", "invoices@", "customerservice@", "recruiting@", "returns@"),
    "report": (
        "Sales pipeline",
        "Opportunities by region",
        "Won/lost analysis",
        "Account activity",
        "Forecast by quarter",
    ),
    "erp_error": (
        "Period 03 is not open for posting",
        "No authorisation for company code 2000",
        "Document could not be saved (E-4711)",
        "Tax code V1 not valid for country",
    ),
    "vpn_error": (
        "Gateway not responding",
        "Certificate validation failed",
        "Login failed: user not allowed",
        "Connection terminated by peer",
    ),
    "dbhost": ("crm-db-01", "erp-db-01", "dwh-db-01", "shop-db-01", "hr-portal-db"),
    "host": (
        "shop.hartwell-supply.example",
        "hr.hartwell-supply.example",
        "sftp.hartwell-supply.example",
        "vpn.hartwell-supply.example",
    ),
    "dashboard": ("Daily sales", "Revenue by region", "Stock levels", "Open orders"),
    "etl": ("erp_orders", "crm_opportunities", "shop_orders", "stock_levels"),
    "n": ("2", "3", "4", "5", "6", "8"),
    "many": ("20", "35", "about 50", "over 60", "dozens of"),
    "error_seen": (
        "Something went wrong",
        "Access denied",
        "Connection lost",
        "Timeout",
        "Unexpected error, please try again later",
    ),
}

DEPARTMENTS = {
    "sales": "Sales",
    "service": "Customer Service",
    "finance": "Finance",
    "hr": "HR",
    "marketing": "Marketing",
    "ecommerce": "eCommerce",
    "logistics": "Logistics",
    "procurement": "Procurement",
    "management": "Management",
    "bi": "Business Intelligence",
    "office": "Facilities",
    "": "IT",
}

# Phrases of the desk. {first} is the requester's first name, {me} the writer's.
ACK = (
    "Hi {first}, thanks for reporting this. I'm looking into it now and will get back to you "
    "shortly.",
    "Hi {first}, I've picked up your ticket and will check a few things on our side. I'll "
    "update you within the hour.",
    "Hello {first}, thanks for the details. I can see the problem and I'm working on it.",
    "Hi {first}, thank you. I've started on this; no need to raise it again if colleagues see "
    "the same, they can reply here.",
)
ASK = (
    "Hi {first}, could you tell me the exact error message and roughly when it started? I'll "
    "put the ticket on hold until I hear from you.",
    "Hi {first}, to narrow this down: does it happen on another PC as well, and is anyone near "
    "you affected? Please reply to this message.",
    "Hi {first}, could you restart the laptop once and let me know whether the problem is still "
    "there?",
)
ANSWER = (
    "The message says: '{error_seen}'. It started around {time}.",
    "It happens on my colleague's PC as well. Restarting did not help.",
    "Yes, still the same after a restart.",
    "Only me as far as I know. It worked fine yesterday.",
)
PICKUP = (
    "Picked up. {finding}",
    "Looking at this now. First finding: {finding}",
    "Taken. {finding}",
)
NEUTRAL_PICKUP = (
    "Picked up. I can reproduce it; going through the logs and recent changes.",
    "Taken. Reproduced; configuration and data look right on our side so far.",
)
L2_HELLO = (
    "Hi {first}, I'm {me} from {team}. I've taken over your ticket from the Service Desk and "
    "am investigating. I'll update you by {when}.",
    "Hello {first}, {me} here from {team}. I'm working on this now and will let you know as "
    "soon as I know more.",
)
WHEN = {1: "the top of the hour", 2: "lunchtime", 3: "the end of the day", 4: "tomorrow"}
L3_PICKUP = (
    "Reproduced on staging. Looking at the change history of the component.",
    "Confirmed. The fix needs a configuration change, raising it for the next change window.",
    "Taken. Checked the logs from the evidence, same error here.",
)
VENDOR = (
    "Opened a case with the vendor (reference {vendor_ref}); waiting for their answer.",
    "Waiting for the carrier's field engineer, case {vendor_ref}.",
)
CHANGE = ("The fix needs a change; raised it for Thursday's change window.",)
RESOLVED_REPLY = {
    "fixed": (
        "Hi {first}, we found the cause and fixed it. Please try again; it should work now.",
        "Hi {first}, this is fixed. Thanks for your patience.",
    ),
    "workaround": ("Hi {first}, we've put a workaround in place so you can carry on: {note}",),
    "configuration": (
        "Hi {first}, we corrected a setting on our side; everything should work as before now.",
    ),
    "known_error": ("Hi {first}, this is a known issue; the workaround is: {note}",),
    "advice": ("Hi {first}, as discussed: {note}",),
    "no_fault": (
        "Hi {first}, we could not find a fault on our side; please reply if it happens again.",
    ),
    "duplicate": ("Hi {first}, this is already being handled in another ticket.",),
    "referred": (
        "Hi {first}, the supplier fixed the fault on their side; everything works again.",
    ),
}
RESOLVE_TAIL = " I'll resolve the ticket now; if the problem comes back just reply here."
CONFIRM = (
    "Thanks, works again.",
    "All good now, thank you!",
    "Confirmed, it works. Thanks for the quick help.",
    "Thank you, you can close it.",
)
CONFIRM_CLOSE = "Requester confirmed the fix."
COMEBACK = (
    "Sorry, it's happening again since this morning.",
    "The problem is back, same error as before.",
    "It worked for a day but now it fails again.",
)
REOPEN_NOTE = (
    "Reopened: the requester reports the problem is back.",
    "Reopened after the requester's reply; the first fix did not hold.",
)
CANCEL = (
    "Duplicate: the same problem is already logged by a colleague.",
    "Raised by mistake; the requester withdrew it.",
    "Requester solved it before we started; nothing to do.",
)
AUTO_CLOSE = "Closed automatically: resolved five days ago with no reply from the requester."

# --- escalation: hand-off packages, returns, de-escalation, collaboration tasks ----------------
# Slots as above, plus {title}, {service}, {ci}, {users} (users affected), {team} (the team
# written to or about), {right} (the right team after a wrong-team return).


@dataclass(frozen=True)
class Handoff:
    """How a hand-off package for incidents of one category reads."""

    summary: tuple[str, ...]  # L1's summary; {title} is the ticket's title
    steps: tuple[str, ...]  # what L1 typically tries for this category
    at_risk: tuple[str, ...]  # revenue or a deadline at risk
    hypothesis: tuple[str, ...]  # L1's guess at the cause
    l2_steps: tuple[str, ...]  # what L2 checked before going to L3
    reproduction: tuple[str, ...]  # for L3
    logs: tuple[str, ...]  # log excerpts for L3


HANDOFFS = {
    "access": Handoff(
        summary=(
            "{title}. {first} ({dept}, {site}) has been blocked since about {time}; identity "
            "confirmed by call-back.",
            "{title}: {first} in {dept} cannot get in since {time}. The usual L1 fixes (unlock, "
            "reset, new registration) did not help.",
        ),
        steps=(
            "verified the user's identity with a call-back to the number in the directory",
            "checked the account in the directory: enabled, password not expired",
            "signed out everywhere and tried a private window and another browser",
            "compared the groups with a colleague in the same team",
        ),
        at_risk=(
            "{first} cannot do their job in {dept} until this works.",
            "{dept}'s month-end tasks wait for this access.",
        ),
        hypothesis=(
            "A group or role change that did not reach the application.",
            "Something on the identity side: the same sign-in works for colleagues.",
        ),
        l2_steps=(
            "checked the sign-in logs of the identity provider for the user",
            "compared the token claims with a working colleague's",
            "checked recent changes to the conditional access policies",
        ),
        reproduction=(
            "1. Sign in with the test account svc-test-{site} (same groups and registrations as "
            "the user).\n"
            "2. Repeat the user's sign-in from the description.\n"
            "3. It fails the same way; the identity provider logs the entries below.",
        ),
        logs=(
            "{time}:02 idp WARN  AADSTS50058 silent sign-in failed, session not found\n"
            "{time}:02 idp WARN  conditional access: policy 'Require compliant device' "
            "result=failure device=unknown",
            "{time}:41 mfa ERROR verification failed method=OATH reason=CodeMismatch drift=+94s",
        ),
    ),
    "application": Handoff(
        summary=(
            "{title}. {first} ({dept}, {site}) showed it on a screen share; colleagues in "
            "{dept} see the same.",
            "{title}: fails the same way for {first} and colleagues in {dept}, in every browser "
            "and on every PC tried.",
            "{service}: {title}. Reproducible, not tied to one user or device.",
        ),
        steps=(
            "reproduced it on a screen share with the user",
            "tried {browser}, another browser and a private window: same",
            "tried it with my own account from my PC: same, so not the user's device or account",
            "checked the status page and the change calendar: nothing announced",
            "cleared the browser cache and signed in again",
        ),
        at_risk=(
            "{dept} cannot finish today's work in {service}; customers are kept waiting.",
            "Quotes and orders are delayed while {dept} works around it by hand.",
            "Month-end work depends on {service} being usable by tomorrow.",
        ),
        hypothesis=(
            "Server-side: it fails for every user, browser and device we tried.",
            "Possibly a recent change: it worked yesterday and nothing changed on the clients.",
        ),
        l2_steps=(
            "went through the application server logs around {time}",
            "checked the recent deployments and configuration changes on {ci}",
            "reproduced it on the test system with the user's role",
            "ruled out the database: no blocking sessions, normal load",
        ),
        reproduction=(
            "1. Sign in to {service} with the test user svc-test-{site}.\n"
            "2. Do what the user did: {title}.\n"
            "3. The request fails after 30-60 seconds; the log below is from that attempt.",
            "1. Open {service} on the test system (same release as production).\n"
            "2. Repeat the user's steps from the description.\n"
            "3. Same error; the server logs the stack trace below every time.",
        ),
        logs=(
            "{time}:14.223 ERROR [http-nio-8443-exec-17] c.h.web.ErrorHandler - request failed "
            "after 60012 ms\njava.net.SocketTimeoutException: Read timed out\n"
            "    at c.h.reports.ReportService.run(ReportService.java:212)",
            "{time}:51.006 WARN  [pool-3] HikariPool-1 - Connection is not available, request "
            "timed out after 30000ms.\n{time}:51.007 ERROR [exec-4] c.h.web.ErrorHandler - 500 "
            "Internal Server Error",
        ),
    ),
    "collaboration": Handoff(
        summary=(
            "{title}. Reported by {first} ({dept}, {site}); colleagues in the same office see it "
            "too.",
            "{title}: affects {first} and others in {dept} since {time}, in the desktop app and "
            "the browser.",
        ),
        steps=(
            "checked the provider's status page: no incident for our region",
            "tried the desktop app and the browser: same",
            "restarted the app and signed out and in again",
            "compared with a colleague at home: works there",
        ),
        at_risk=(
            "Customer calls in {dept} drop or cannot be placed.",
            "External mail from customers and suppliers is not arriving; orders by email wait.",
        ),
        hypothesis=(
            "Looks site-related: people working from home are fine.",
            "Looks like a mail flow or connector setting rather than the clients.",
        ),
        l2_steps=(
            "checked the tenant's service health and the message trace",
            "compared the connector and policy settings with last week's export",
            "ran the network assessment tool from the office",
        ),
        reproduction=(
            "1. Join a test meeting from the {site} office network.\n"
            "2. Keep it open for 20 minutes.\n"
            "3. The call freezes and shows 'Reconnecting...' (times in the log below).",
        ),
        logs=(
            "{time}:12 media WARN  stream=audio jitter=212ms loss=8.4% rtt=340ms "
            "site={site}\n{time}:12 media ERROR call dropped reason=MediaTimeout",
            "{time}:03 mailgw REJECT from=<orders@partner.example> reason='550 5.7.1 "
            "SPF fail' action=quarantine",
        ),
    ),
    "database": Handoff(
        summary=(
            "{title}. The numbers or jobs that depend on it are wrong or late since {time}.",
            "{title}: reported by {first} ({dept}); the reports built on it are affected.",
        ),
        steps=(
            "checked the job status page of the data warehouse",
            "compared today's figures with yesterday's export",
            "confirmed with the user which reports are affected",
        ),
        at_risk=(
            "Management reporting for the morning meeting is wrong or missing.",
            "Reports and postings that depend on it are late or wrong today.",
        ),
        hypothesis=(
            "A nightly load did not finish.",
            "Looks like locking between the batch job and daytime users.",
        ),
        l2_steps=(
            "checked pg_stat_activity and the lock graph on {dbhost}",
            "went through the ETL job log of the night",
            "compared the query plan with last week's",
        ),
        reproduction=(
            "1. Run the job step again on the test warehouse with last night's extract.\n"
            "2. It fails at the same step with the error below.",
            "1. Run the two statements from the log in two sessions on the test database.\n"
            "2. The second one waits and then fails with a deadlock.",
        ),
        logs=(
            "{time}:27 UTC [81233] ERROR:  deadlock detected\nDETAIL:  Process 81233 waits "
            "for ShareLock on transaction 99812; blocked by process 81107.",
            "{time}:05 etl[erp_orders] ERROR step 4/7 load_fact_orders: duplicate key value "
            'violates unique constraint "fact_orders_pkey"',
        ),
    ),
    "hardware": Handoff(
        summary=(
            "{title}. {first} ({dept}, {site}); the device has been checked on site.",
            "{title}: hardware fault suspected, L1 checks done.",
        ),
        steps=(
            "restarted the device and reseated the cables",
            "tried another port and another power supply",
            "checked the device in device management: compliant, last seen today",
        ),
        at_risk=("{first} cannot work at the desk until it is replaced.",),
        hypothesis=("The device itself, since the cables and port are fine.",),
        l2_steps=("checked the switch port and its error counters",),
        reproduction=("1. Connect the device to port 14 on the {floor} switch.\n2. It fails.",),
        logs=("{time}:44 sw-{site} %LINK-3-UPDOWN: Interface Gi1/0/14, changed state to down",),
    ),
    "integration": Handoff(
        summary=(
            "{title}. Nothing is shown to users; the records pile up since {time}.",
            "{title}: data stopped flowing at about {time}; the systems on both sides work.",
        ),
        steps=(
            "checked three affected records: the input data is complete",
            "confirmed both systems work on their own (manual entry works)",
            "checked the change calendar: nothing for the systems or the interface",
            "no access to the integration middleware or its logs",
        ),
        at_risk=(
            "Web orders are not picked today and miss the 15:00 carrier collection.",
            "Invoices and delivery notes are late for B2B customers.",
            "Partner {partner} does not receive our orders; their deliveries slip.",
        ),
        hypothesis=(
            "The interface itself: both ends work, and the records wait in the queue.",
            "Possibly credentials or a certificate: it stopped at one moment, with no change.",
        ),
        l2_steps=(
            "went through the integration middleware log since {time}",
            "checked the credentials and certificates the interface uses",
            "replayed one message on the test system",
        ),
        reproduction=(
            "1. Put one test order through the shop on the test system.\n"
            "2. The export job picks it up and fails with the error below.\n"
            "3. The order stays 'Queued for export'.",
        ),
        logs=(
            "{time}:10 order-export ERROR POST /api/v2/salesorders -> 401 Unauthorized "
            "(invalid_token)\n{time}:10 order-export WARN  retry 5/5 failed, message parked",
            "{time}:00 edi-gw ERROR AS2 partner={partner}: TLS handshake failed: certificate "
            "has expired",
        ),
    ),
    "network": Handoff(
        summary=(
            "{title}. Several users at {site} are affected since {time}; other sites are fine.",
            "{title}: reported by {first} ({dept}, {site}); colleagues nearby see the same.",
        ),
        steps=(
            "ran a speed test from the user's PC and from a second PC at the site",
            "checked wired and Wi-Fi: both affected",
            "checked the WAN dashboard: no alarms",
            "rebooted the user's laptop and renewed the IP address",
        ),
        at_risk=(
            "The {site} office cannot reach ERP and the CRM; orders are taken on paper.",
            "Warehouse scanners in {site} lose their connection; picking slows down.",
        ),
        hypothesis=(
            "The site's link or edge router: everyone at {site} is affected, home workers are not.",
            "A firewall or VPN change: it started at one moment for many users.",
        ),
        l2_steps=(
            "checked the interface counters and the CPU of the edge router",
            "compared the firewall rule base with yesterday's backup",
            "ran a packet capture on the uplink during a drop",
        ),
        reproduction=(
            "1. From a PC in {site}, run a continuous ping to the Hamburg core switch.\n"
            "2. Within 15 minutes packet loss rises above 5% for 20-60 seconds.",
        ),
        logs=(
            "{time}:32 edge-rtr %QOS-4-DROP: class VOICE exceeded, 1842 packets dropped on "
            "Gi0/0/1\n{time}:32 edge-rtr %LINEPROTO-5-UPDOWN: Line protocol on Tunnel10 down",
            "{time}:08 fw-ham-01 deny tcp src 10.40.12.7 dst 185.60.10.20:443 rule 'default-deny'",
        ),
    ),
    "security": Handoff(
        summary=(
            "{title}. Reported by {first} ({dept}); the user did not enter any data as far as "
            "we know.",
            "{title}: suspicious activity on {first}'s account or device since {time}.",
        ),
        steps=(
            "asked the user not to click anything further and to leave the laptop on",
            "checked the sign-in history in the directory",
            "collected the original email as an attachment",
        ),
        at_risk=(
            "A compromised account could send mail to customers in our name.",
            "Finance data may be exposed if the account is misused.",
        ),
        hypothesis=(
            "Credential phishing: the link leads to a fake sign-in page.",
            "The account may be compromised: sign-ins from an unknown country.",
        ),
        l2_steps=(
            "revoked the user's sessions and reset the password",
            "searched the mail gateway for the same sender and link",
            "isolated the laptop in device management",
        ),
        reproduction=(
            "1. Open the attached message in the sandbox.\n"
            "2. The link redirects to a sign-in page on a look-alike domain.",
        ),
        logs=(
            "{time}:17 signin SUCCESS user={first}.x@hartwell-supply.example ip=185.220.101.4 "
            "country=NL risk=high\n{time}:19 mailbox rule created 'move to RSS' by same session",
        ),
    ),
    "other": Handoff(
        summary=("{title}. Reported by {first} ({dept}, {site}).",),
        steps=("checked the knowledge base", "confirmed the problem with the user"),
        at_risk=("{first} is blocked on this task.",),
        hypothesis=("Not clear from the user's side.",),
        l2_steps=("checked the server side",),
        reproduction=("1. Repeat the user's steps from the description.",),
        logs=("{time}:00 ERROR see the attached screenshot",),
    ),
}

URGENCY = {
    1: (
        "Business stopped: {users} users affected. {at_risk}",
        "Critical: {at_risk} More users call every few minutes.",
    ),
    2: (
        "Several users blocked with no usable workaround ({users} so far). {at_risk}",
        "High: {at_risk} The workaround is manual and slow.",
    ),
}
# (low, high) users affected per priority P1..P4
USERS = ((40, 400), (5, 60), (1, 8), (1, 2))

# Why an escalation is returned, and how often (weights)
RETURN_REASONS = (
    ("insufficient_info", 45),
    ("wrong_team", 25),
    ("lower_tier", 15),
    ("duplicate", 5),
    ("other", 10),
)
L3_RETURN_REASONS = (("insufficient_info", 50), ("lower_tier", 25), ("wrong_team", 25))
TEAM_AREA = {
    "Application Support": "the applications (CRM, ERP, shop, email) and their servers",
    "Network & Infrastructure": "the network, identity, VPN, servers and printing",
    "Database": "the databases and the data warehouse",
    "Engineering": "code changes to the shop, the integrations and the CRM customisations",
    "Security": "compromised accounts, phishing and the firewall policy",
    "DevOps": "the platform, Kubernetes, monitoring and the cloud infrastructure",
}
RETURN_GUIDANCE = {
    "insufficient_info": (
        "We can't start on this yet: please add the exact error text, when it started and who "
        "else is affected, then send it back.",
        "The package has one test on one device. Please check with {first} whether it still "
        "happens, on which devices and for which colleagues, then escalate again.",
        "Please add what was already tried and a screenshot of the error; with that we can "
        "take it.",
    ),
    "wrong_team": (
        "This is for {right}: they look after {area}. Please escalate it to them; the package "
        "is fine as it is.",
        "Not ours: {right} owns {area}. Please send it there and mention that we had a look.",
    ),
    "lower_tier": (
        "This is covered by the Service Desk runbook for {service}. Please try the steps with "
        "{first}; send it back if it still fails afterwards.",
        "Known issue with a documented workaround in the knowledge base; please apply it with "
        "the user and resolve. Send it back if the workaround does not help.",
    ),
    "duplicate": (
        "Same problem as the ticket we are already working on for {dept}; please link it there, "
        "let {first} know and resolve this one as a duplicate.",
    ),
    "other": (
        "Please check with {first} that it still happens after this morning's restart of "
        "{service}; several similar reports cleared with it. Send it back if it still fails.",
        "We need {first} online to test and they are out today; please agree a time slot with "
        "them and escalate again with it.",
    ),
}
L3_RETURN_GUIDANCE = {
    "insufficient_info": (
        "The log excerpt is from after the restart and shows nothing; please add the entries "
        "from the failure and the exact request that fails.",
        "We can't reproduce it with these steps on staging. Please add the user's role and the "
        "exact input that fails.",
    ),
    "lower_tier": (
        "This is a configuration setting {team} can change: see the runbook for {service}, "
        "'timeouts and limits'. Send it back if the setting is already right.",
    ),
    "wrong_team": ("This is for {right}: they look after {area}. Please escalate it to them.",),
}
RETURN_FOLLOWUP = {
    "insufficient_info": (
        "Called {first} back: {users} people in {dept} have the same problem; error "
        "'{error_seen}' since {time}. Added to the package and escalating again.",
        "Collected the missing details with {first}: exact error text, start time {time} and "
        "the colleagues affected. Escalating again with them.",
    ),
    "wrong_team": (
        "Returned by {team} as the wrong team; escalating to {right} as advised.",
        "{team} says this is {right}'s area. Sending it there with the same package.",
    ),
    "lower_tier": (
        "Went through the runbook steps with {first}: the problem persists. Escalating again "
        "with the result.",
    ),
    "other": (
        "Checked with {first}: it still happens. Escalating again.",
        "Agreed a slot with {first} for tomorrow 09:00-11:00; escalating again with it.",
    ),
}
LOWER_TIER_DONE = "Followed {team}'s guidance from the runbook with {first}. "
DUPLICATE_FIX = Fix(
    "duplicate",
    "unknown",
    "Duplicate of the ticket {team} is already working on for {dept}; told {first}, who "
    "will get the update there.",
)
L3_RESEND = {
    "insufficient_info": (
        "Added the reproduction steps with the user's role and the log excerpt from {time} to "
        "the package. Escalating again to {right}.",
    ),
    "lower_tier": (
        "Runbook setting checked: it is already correct, so this is not configuration. "
        "Escalating again to {right} with the check result.",
    ),
    "wrong_team": ("Returned by {team}: not theirs. Escalating to {right} with the same package.",),
}
STEPS_ADDED = (
    "Details added after the return: {users} people in {dept} affected; error '{error_seen}' "
    "since {time}.",
)
# The database behind each service, for phrases that name one.
SERVICE_DB = {
    "CRM": "crm-db-01",
    "ERP": "erp-db-01",
    "eCommerce": "shop-db-01",
    "HR Portal": "hr-portal-db",
    "Data Warehouse": "dwh-db-01",
}

DEESCALATE_NOTE = (
    "Fixed on our side: {note} Please confirm with {first} that everything works and resolve "
    "the ticket.",
    "{note} Handing back to the Service Desk to confirm with {first}; resolve when the user "
    "confirms.",
)
DEESCALATE_ASK = (
    "Hi {first}, {team} has fixed the cause on their side. Could you check that everything "
    "works for you again and reply here?",
    "Hi {first}, good news: {team} has put a fix in place. Please try again and let me know "
    "whether it works now.",
)


@dataclass(frozen=True)
class TaskTemplate:
    team: str
    title: str
    description: str
    outcome: str


TASKS = {
    "application": (
        TaskTemplate(
            DB,
            "Check long-running queries and locks on {dbhost}",
            "Users see timeouts in {service} since {time}. Please look for blocking sessions and "
            "slow queries on {dbhost} in that window.",
            "No blocking sessions. Two slow queries from the reporting job; killed them and "
            "moved the job to 22:00.",
        ),
        TaskTemplate(
            OPS,
            "Check ingress timeouts and pod restarts for {service}",
            "Requests to {service} fail after 60 s. Please check the ingress logs and the pods' "
            "restart counts since {time}.",
            "Ingress timeout is 60 s as configured; one pod was OOM-killed at {time} and came "
            "back. Raised its memory limit.",
        ),
        TaskTemplate(
            NI,
            "Check the load balancer pool for {service}",
            "One of the app servers may be failing its health checks. Please check the pool "
            "members and the health-check log.",
            "One app server was flapping in the pool; fixed its health check, both members up.",
        ),
    ),
    "integration": (
        TaskTemplate(
            SEC,
            "Issue a new API credential for the order integration",
            "The integration's credential for the ERP API is rejected (401). Please issue a new "
            "one and store it in the vault.",
            "New credential issued and stored in the vault; the old one is revoked.",
        ),
        TaskTemplate(
            OPS,
            "Check the integration pods on k8s-prod",
            "Messages are parked since {time}. Please check the integration pods, their logs and "
            "the secrets they mount.",
            "Pods healthy; the mounted secret was out of date. Rolled the deployment after the "
            "secret update.",
        ),
        TaskTemplate(
            NI,
            "Confirm the firewall rule to {partner}'s endpoint",
            "The connection to {partner} fails at the TLS handshake. Please confirm the rule on "
            "fw-ham-01 and check for drops.",
            "Rule present and hit; no drops. The failure is the partner's certificate, not the "
            "firewall.",
        ),
    ),
    "database": (
        TaskTemplate(
            OPS,
            "Check the night job schedule on k8s-prod",
            "The jobs around {dbhost} ran late or not at all last night. Please check the "
            "scheduler and the job pods on the platform side.",
            "Scheduler healthy; the job pods ran at their usual times and exited cleanly. "
            "Nothing on the platform side.",
        ),
        TaskTemplate(
            NI,
            "Check storage network latency for {dbhost}",
            "Write latency on {dbhost} peaks at {time}. Please check the storage network for "
            "congestion.",
            "No congestion; the latency comes from the backup job running at the same time.",
        ),
    ),
    "network": (
        TaskTemplate(
            SEC,
            "Review the firewall policy change on fw-ham-01",
            "Connections from {site} are denied since {time}, right after last night's policy "
            "change. Please review the change.",
            "The change removed an allow rule by mistake; restored it under the emergency "
            "change process.",
        ),
        TaskTemplate(
            SD,
            "Arrange site access for the carrier's engineer ({vendor_ref})",
            "The carrier sends an engineer to {site} for the line fault. Please arrange access "
            "to the comms room with reception and tell them the case number.",
            "Access arranged with reception for 10:00; the engineer replaced the line card.",
        ),
    ),
    "collaboration": (
        TaskTemplate(
            NI,
            "Check QoS counters on the {site} edge router",
            "Calls drop for office users at {site}, home workers are fine. Please check the "
            "QoS drops on the edge router during the drop times.",
            "Voice class drops at peak times; bandwidth allocation corrected on the edge router.",
        ),
        TaskTemplate(
            SEC,
            "Check the mail gateway quarantine for {mailbox}",
            "Mail to {mailbox} from customers is missing since {time}. Please check whether the "
            "gateway quarantines it.",
            "Quarantined by the new SPF rule; released the messages and added an exception.",
        ),
    ),
    "security": (
        TaskTemplate(
            SEC,
            "Review the sign-in activity of {first}'s account",
            "Suspicious sign-ins reported. Sessions are revoked and the password reset; please "
            "review the activity and the mailbox rules.",
            "One sign-in from an anonymising proxy; a forwarding rule was created and is "
            "removed. No data sent out.",
        ),
    ),
    "access": (
        TaskTemplate(
            SEC,
            "Review the risk events for {first}'s account",
            "Sign-ins are blocked as risky since {time}. Please review the risk events before we "
            "unblock.",
            "False positive from the new phone's first sign-in; risk dismissed.",
        ),
    ),
}
TASK_DONE_NOTE = (
    "{team} finished their task ('{title}'): {outcome}",
    "Task '{title}' done by {team}. {outcome}",
)
