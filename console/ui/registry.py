"""The console's pages: key, file, title, icon and menu section.

The entry script builds ``st.navigation`` from this list, offering only the pages
the user's role may open (``console.auth.PAGE_ACTIONS``). The page files ship inside
the package (``console/ui/app_pages/``), so an installed wheel has them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console.auth import Actor, allowed_pages

# Not "pages/": Streamlit treats a folder of that name beside the entry script as its
# legacy multipage app and can serve one of its files before the entry script (and its
# login gate) has run.
PAGES_DIR = Path(__file__).resolve().parent / "app_pages"
#: The entry script Streamlit runs for every page: settings, login gate, badge, router.
ENTRY_SCRIPT = Path(__file__).resolve().parent / "entry.py"


@dataclass(frozen=True)
class PageSpec:
    key: str
    file: str
    title: str
    icon: str
    section: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("new_payment", "new_payment.py", "New payment", ":material/add_card:", "Sell"),
    PageSpec(
        "pay_links",
        "pay_links.py",
        "Pay links & forms",
        ":material/qr_code_2:",
        "Sell",
    ),
    PageSpec(
        "subscriptions",
        "subscriptions.py",
        "Subscriptions",
        ":material/autorenew:",
        "Sell",
    ),
    PageSpec("monitor", "monitor.py", "Monitor", ":material/monitor_heart:", "Watch"),
    PageSpec("revenue", "revenue.py", "Revenue", ":material/bar_chart:", "Watch"),
    # Support: Payments answers "which bills...?", Lookup tells one bill's story.
    PageSpec("payments", "payments.py", "Payments", ":material/receipt_long:", "Support"),
    PageSpec("lookup", "lookup.py", "Lookup", ":material/search:", "Support"),
    PageSpec("customer", "customer.py", "Customer", ":material/person_search:", "Support"),
    PageSpec("activity", "activity.py", "Activity", ":material/history:", "Support"),
)


def pages_for(actor: Actor) -> list[PageSpec]:
    """The pages this user may open."""
    allowed = allowed_pages(actor)
    return [p for p in PAGES if p.key in allowed]


def page_path(spec: PageSpec) -> Path:
    """The page's file. Raises FileNotFoundError when the install lacks it (a packaging
    fault, never silently a page less)."""
    path = PAGES_DIR / spec.file
    if not path.is_file():
        raise FileNotFoundError(f"The page file {path} is missing: reinstall the console.")
    return path
