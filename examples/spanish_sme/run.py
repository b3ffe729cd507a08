"""A Spanish SME on Holded: sync, the ladder up to the burofax, and Ley 3/2004 interest.

Offline: Holded's answers are recorded payloads (``recorded/*.json``) replayed with
``responses``. Day by day from 8 January to 20 February 2025 the script syncs the unpaid invoices, runs the
default ladder (interest regime ``es-commercial``: Ley 3/2004) and dispatches through the
built-in channels writing to folders — e-mails, call tasks, and on day 30 the formal demand
(*requerimiento*) as a PDF letter ready for burofax, with the late-payment interest and the
40 € recovery compensation. It ends with the interest of the oldest invoice over 2025,
explained rate period by rate period.

    python examples/spanish_sme/run.py [--out DIR]    # --out keeps the PDF letters
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import attrs
import responses
from cobrokit_holded import HoldedBackend

from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.interest import compute_interest, explain, get_regime
from cobrokit.ladder.config import default_config
from cobrokit.model import Address
from cobrokit.notice import Creditor
from cobrokit.plugins import get_plugin_host
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.sync import sync
from cobrokit.testing import FakeClock  # a clock we can move a day at a time

HERE = Path(__file__).resolve().parent
API = "https://api.holded.com/api/invoicing/v1"
FIRST_DAY, LAST_DAY = dt.date(2025, 1, 8), dt.date(2025, 2, 20)
CREDITOR = Creditor(
    name="Suministros Turia SL",
    tax_id="B97000000",
    address=Address(lines=("Avenida del Puerto 10",), city="Valencia", postal_code="46021", country="ES"),
    email="cobros@suministrosturia.example",
    phone="+34 960 000 000",
    bank_account="ES91 2100 0418 4502 0005 1332",
    signatory="Lucía Ferrer, administración",
)


def recorded(name: str) -> Any:
    """A recorded Holded answer."""
    return json.loads((HERE / "recorded" / f"{name}.json").read_text(encoding="utf-8"))


def replay_holded(mocked: responses.RequestsMock) -> None:
    """Holded's answers: unpaid (paid=0) and partly paid (paid=2) invoices, and the two contacts."""
    for paid in ("0", "2"):
        mocked.get(
            f"{API}/documents/invoice",
            json=recorded(f"documents_invoice_paid_{paid}"),
            match=[responses.matchers.query_param_matcher({"paid": paid}, strict_match=False)],
        )
    for path in (HERE / "recorded").glob("contact_*.json"):
        contact_id = path.stem.removeprefix("contact_")
        mocked.get(f"{API}/contacts/{contact_id}", json=recorded(path.stem))


def debtor_name(store: SQLiteStore, debtor_id: str) -> str:
    """The client's name as synced from Holded (the id is Holded's contact id)."""
    debtor = store.get_debtor("default", debtor_id)
    return debtor.name if debtor is not None else debtor_id


def main() -> int:
    """Replay 8 January – 20 February 2025, then compute the interest over 2025."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="keep the PDF letters in this folder")
    args = parser.parse_args()
    clock = FakeClock(dt.datetime.combine(FIRST_DAY, dt.time(9), tzinfo=dt.UTC))
    backend = HoldedBackend.from_settings(
        {"api_key_env": "HOLDED_API_KEY"}, clock=clock, environ={"HOLDED_API_KEY": "recorded-example-key"}
    )
    host = get_plugin_host(autoload=False, environ={})
    with (
        tempfile.TemporaryDirectory() as tmp,
        responses.RequestsMock(assert_all_requests_are_fired=False) as mocked,
    ):
        replay_holded(mocked)
        outbox = Path(tmp) / "outbox"
        config = attrs.evolve(
            default_config(),
            creditor=CREDITOR,
            channels={
                "email": {
                    "transport": "folder",
                    "folder": str(outbox / "email"),
                    "from_address": "Suministros Turia <cobros@suministrosturia.example>",
                },
                "letter": {"folder": str(outbox / "letters")},
                "call": {"folder": str(outbox / "calls")},
            },
        )
        with SQLiteStore.open(Path(tmp) / "cobrokit.db") as store:
            day = FIRST_DAY
            while day <= LAST_DAY:
                now = clock.now()
                sync(store, backend, clock=clock)
                result = run_ladder(store, day, config=config, now=now, backend="holded")
                delivered = dispatch(store, host, config=config, now=now)
                notices = [
                    f"{debtor_name(store, a.debtor_id)}: {a.stage} via {a.channel}"
                    for a in result.planned
                    if a.kind == "notice"
                ]
                if notices:
                    print(f"{day}: {'; '.join(notices)} → {delivered.summary()}")
                clock.advance(86400)
                day += dt.timedelta(days=1)
        letters = sorted((outbox / "letters").glob("*.pdf"))
        print(f"\nLetters for burofax: {len(letters)}")
        for letter in letters:
            data = letter.read_bytes()
            pages = len(re.findall(rb"/Type\s*/Page\b", data))
            print(
                f"  {letter.name}: {len(data)} bytes, {pages} page(s), "
                f"{'PDF' if data.startswith(b'%PDF') else 'not a PDF'}"
            )
            if args.out is not None:
                args.out.mkdir(parents=True, exist_ok=True)
                shutil.copy2(letter, args.out / letter.name)

    # Ley 3/2004 on invoice F250007 (2,420.00 EUR due 15 January 2025) until 31 December 2025
    invoice = next(i for i in recorded("documents_invoice_paid_0") if i["docNumber"] == "F250007")
    from cobrokit.money import Money

    result = compute_interest(
        get_regime("es-commercial"),
        Money(str(invoice["paymentsPending"]), "EUR"),
        dt.date(2025, 1, 15),
        dt.date(2025, 12, 31),
    )
    print("\nLey 3/2004 late-payment interest on F250007 (EUR 2420.00, due 2025-01-15) until 2025-12-31:")
    for line in explain(result):
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
