"""Charts drawn on the server as SVG: the geometry here, the markup in a template. No script, no
CDN: the admin works offline and the chart is there before any JavaScript runs."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    amount: Decimal


@dataclass(frozen=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True)
class AxisLabel:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int  # where the plot begins (the y labels are left of it)
    baseline: float  # the y of zero
    bars: list[Bar]
    grid: list[GridLine]
    labels: list[AxisLabel]
    total: Decimal


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten at or above `value` (1 for nothing):
    round numbers for the axis."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** (value.adjusted())
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= power * step:
            return power * step
    raise AssertionError("10 × the power of ten is above the value")


def _money_label(value: Decimal) -> str:
    """Whole amounts without cents ("1,500"), others as short as they are exact ("2.5", "0.5")."""
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text.rstrip("0")


def bar_chart(
    series: list[tuple[date, Decimal]], *, width: int = 760, height: int = 220, left: int = 64, bottom: int = 24
) -> BarChart:
    """One bar per day of `series` (its days in order), scaled to a round maximum, three grid lines
    with their amounts, and the date under the first bar, every seventh and the last."""
    top = 10
    plot_width, plot_height = width - left - 8, height - top - bottom
    baseline = top + plot_height
    ceiling = nice_ceiling(max((amount for _, amount in series), default=Decimal(0)))
    slot = plot_width / max(len(series), 1)
    bars = []
    for n, (day, amount) in enumerate(series):
        bar_height = float(amount / ceiling) * plot_height if amount > 0 else 0.0
        bars.append(
            Bar(
                x=round(left + n * slot + slot * 0.1, 2),
                y=round(baseline - bar_height, 2),
                width=round(slot * 0.8, 2),
                height=round(bar_height, 2),
                day=day,
                amount=amount,
            )
        )
    grid = [
        GridLine(y=round(baseline - fraction * plot_height, 2), label=_money_label(ceiling * Decimal(str(fraction))))
        for fraction in (0, 0.5, 1)
    ]
    last = len(series) - 1
    labels = [
        AxisLabel(x=round(left + n * slot + slot / 2, 2), text=f"{day:%b} {day.day}")
        for n, (day, _) in enumerate(series)
        if (n % 7 == 0 and last - n >= 3) or n == last
    ]
    total = sum((amount for _, amount in series), Decimal("0.00"))
    return BarChart(width, height, left, baseline, bars, grid, labels, total)
