"""Money as Decimal, rendered in the API as {"amount": "12.34", "currency": "EUR"}."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BaseModel, PlainSerializer

CENT = Decimal("0.01")

DecimalStr = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Money(BaseModel):
    amount: DecimalStr
    currency: str = "EUR"

    @classmethod
    def eur(cls, value: Decimal) -> "Money":
        return cls(amount=round_cents(value), currency="EUR")
