"""Numbers as an official text (简报, 汇报) writes them.

`approx_count(n)`: counts below 100 are written exactly ("8次", "34名"); from 100 they are rounded
DOWN to the ten with 余 when something was dropped ("192" → "190余", "216" → "210余", "1534" →
"1530余"), and exactly when nothing was ("200" → "200", "1500" → "1500"). The figure written is
therefore never above the count and never below the next-lower ten, so "190余件" is read back as
190–199, as a reader of a report expects.

`hours_text(h)`: hours keep one decimal ("11.5"), dropped when it is zero ("12"), rounded half-up.
"""

from decimal import ROUND_HALF_UP, Decimal

EXACT_BELOW = 100


def approx_count(count):
    """The count as prose writes it (see the module's rule)."""
    count = int(count)
    if count < EXACT_BELOW:
        return str(count)
    rounded = count // 10 * 10
    return str(count) if rounded == count else f"{rounded}余"


def one_decimal(hours):
    """Hours as a Decimal with one decimal place (half-up); None and missing become 0.0."""
    return Decimal(str(hours or 0)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def hours_text(hours):
    """Hours as prose writes them: one decimal, without a trailing ".0" ("11.5", "12")."""
    value = one_decimal(hours)
    return str(value.to_integral_value()) if value == value.to_integral_value() else str(value)
