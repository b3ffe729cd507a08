"""Settlements (quita), early-payment discounts, rewards and payment in kind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cobrokit.errors import DateOrderError, InvalidAmountError, ValidationError
from cobrokit.model import Payment, PaymentMethod
from cobrokit.money import Money
from cobrokit.settlements import (
    EarlyPaymentTerms,
    Reward,
    RewardPolicy,
    SettlementBelowFloorError,
    SettlementFloor,
    SettlementState,
    early_payment_offer,
    evaluate_settlement,
    in_kind_payment,
    propose_settlement,
    reward_code,
    reward_for_payment,
)

TODAY = dt.date(2025, 3, 1)


def eur(text: str) -> Money:
    return Money(text, "EUR")


def quita(**kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "settlement_id": "S1",
        "debtor_id": "D1",
        "balance": eur("1000.00"),
        "pay_by": dt.date(2025, 3, 15),
        "today": TODAY,
        "floor": SettlementFloor(percent=Decimal("70")),
    }
    args.update(kw)
    return propose_settlement(**args)  # type: ignore[arg-type]


# -- quita --------------------------------------------------------------------------------


def test_quita_above_the_floor_is_accepted() -> None:
    offer = quita(amount=eur("750.00"))
    assert offer.discount == eur("250.00")
    assert offer.floor == eur("700.00")  # 70 % of 1000.00
    assert offer.discount_percent == Decimal("25.00")
    assert quita(amount=eur("700.00")).amount == eur("700.00")  # exactly the floor is fine


def test_quita_below_the_floor_is_refused_with_a_clear_error() -> None:
    with pytest.raises(SettlementBelowFloorError) as err:
        quita(amount=eur("699.99"))
    assert err.value.field == "amount"
    assert "below the floor EUR 700.00" in str(err.value)


def test_quita_by_discount_percentage_and_the_higher_floor_applies() -> None:
    # 12.5 % of 1000.00 = 125.00 off → 875.00
    assert quita(discount_percent="12.5").amount == eur("875.00")
    floor = SettlementFloor(minimum=eur("900.00"), percent=Decimal("70"))
    with pytest.raises(SettlementBelowFloorError):
        quita(discount_percent="12.5", floor=floor)


def test_quita_bad_input() -> None:
    with pytest.raises(InvalidAmountError):
        quita(amount=eur("1000.00"))  # no discount at all
    with pytest.raises(ValidationError):
        quita(amount=eur("800.00"), discount_percent="10")
    with pytest.raises(DateOrderError):
        quita(amount=eur("800.00"), pay_by=TODAY - dt.timedelta(days=1))


def test_quita_honoured_by_the_deadline_or_lapsed_after_it() -> None:
    offer = quita(amount=eur("750.00"))
    paid = [
        Payment(id="P1", debtor_id="D1", date=dt.date(2025, 3, 10), amount=eur("500.00")),
        Payment(id="P2", debtor_id="D1", date=dt.date(2025, 3, 15), amount=eur("250.00")),
    ]
    status = evaluate_settlement(offer, paid, dt.date(2025, 3, 20))
    assert status.state is SettlementState.HONOURED
    assert (status.write_off, status.honoured_on) == (eur("250.00"), dt.date(2025, 3, 15))
    open_ = evaluate_settlement(offer, paid[:1], dt.date(2025, 3, 12))
    assert (open_.state, open_.still_owed) == (SettlementState.OPEN, eur("250.00"))
    late = [*paid[:1], Payment(id="P3", debtor_id="D1", date=dt.date(2025, 3, 16), amount=eur("250.00"))]
    lapsed = evaluate_settlement(offer, late, dt.date(2025, 3, 20))
    # the deadline passed with 500.00 paid: the full balance less that is owed again
    assert (lapsed.state, lapsed.still_owed) == (SettlementState.LAPSED, eur("500.00"))


# -- 2/10 net 30 --------------------------------------------------------------------------


def test_parse_cash_discount_notation() -> None:
    for text in ("2/10 net 30", "2/10 n/30", "2/10, n30", "2%/10 NET 30"):
        terms = EarlyPaymentTerms.parse(text)
        assert (terms.percent, terms.discount_days, terms.net_days) == (Decimal("2"), 10, 30)
    assert EarlyPaymentTerms.parse("1.5/15 net 45").percent == Decimal("1.5")
    assert str(EarlyPaymentTerms.parse("2/10 net 30")) == "2/10 net 30"
    for bad in ("net 30", "2/10", "2/30 net 10", "0/10 net 30", "abc"):
        with pytest.raises(ValidationError):
            EarlyPaymentTerms.parse(bad)


def test_two_ten_net_thirty_on_and_after_day_ten() -> None:
    issued = dt.date(2025, 3, 1)
    offer = early_payment_offer(EarlyPaymentTerms.parse("2/10 net 30"), eur("1234.56"), issued)
    # 2 % of 1234.56 = 24.6912 → 24.69; deadline 1 Mar + 10 days = 11 Mar; net 31 Mar
    assert offer.discount == eur("24.69")
    assert offer.discount_deadline == dt.date(2025, 3, 11)
    assert offer.net_due_date == dt.date(2025, 3, 31)
    assert offer.amount_due_on(dt.date(2025, 3, 11)) == eur("1209.87")  # on day 10: discounted
    assert offer.amount_due_on(dt.date(2025, 3, 12)) == eur("1234.56")  # day 11: full amount


# -- rewards ------------------------------------------------------------------------------


def test_reward_for_an_early_payer() -> None:
    policy = RewardPolicy(percent="5", valid_days=90, min_days_early=7)
    reward = reward_for_payment(
        policy,
        tenant="t",
        debtor_id="D1",
        reference="INV-1",
        due_date=dt.date(2025, 3, 31),
        paid_on=dt.date(2025, 3, 20),
    )
    assert reward is not None
    assert reward.code == reward_code("THANKS", "t", "D1", "INV-1")
    assert reward.code.startswith("THANKS-") and len(reward.code) == len("THANKS-") + 8
    assert reward.expires_on == dt.date(2025, 6, 18)  # 20 Mar + 90 days
    # 5 % of 80.00 = 4.00 off the next purchase while valid, nothing after expiry
    assert reward.discount_on(eur("80.00"), dt.date(2025, 4, 1)) == eur("4.00")
    assert reward.discount_on(eur("80.00"), dt.date(2025, 6, 19)).is_zero()
    late = reward_for_payment(
        policy,
        tenant="t",
        debtor_id="D1",
        reference="INV-2",
        due_date=dt.date(2025, 3, 31),
        paid_on=dt.date(2025, 3, 28),
    )
    assert late is None


def test_reward_validation() -> None:
    with pytest.raises(DateOrderError):
        Reward(
            code="X",
            tenant="t",
            debtor_id="D1",
            percent="5",
            granted_on=TODAY,
            expires_on=TODAY - dt.timedelta(days=1),
        )
    with pytest.raises(InvalidAmountError):
        Reward(code="X", tenant="t", debtor_id="D1", percent="0", granted_on=TODAY, expires_on=TODAY)


# -- in kind ------------------------------------------------------------------------------


def test_in_kind_payment_is_a_payment_with_description_and_agreed_value() -> None:
    payment = in_kind_payment(
        payment_id="K1",
        debtor_id="D1",
        date=TODAY,
        agreed_value=eur("350.00"),
        description="  two months of office cleaning ",
    )
    assert payment.method is PaymentMethod.IN_KIND
    assert payment.amount == eur("350.00")
    assert payment.description == "two months of office cleaning"


def test_in_kind_payment_needs_a_description_and_a_positive_value() -> None:
    with pytest.raises(ValidationError) as err:
        in_kind_payment(payment_id="K1", debtor_id="D1", date=TODAY, agreed_value=eur("1.00"), description=" ")
    assert err.value.field == "description"
    with pytest.raises(InvalidAmountError) as err2:
        in_kind_payment(payment_id="K1", debtor_id="D1", date=TODAY, agreed_value=eur("0"), description="x")
    assert err2.value.field == "agreed_value"
