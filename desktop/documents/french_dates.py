"""Former home of the letters' French date helpers, kept so existing imports still work.

The one implementation now lives in :mod:`desktop.domain.french` (the widgets and the letters
must spell a date the same way); this module only gives its functions their older names.
New code imports from ``desktop.domain.french``.
"""

from __future__ import annotations

from desktop.domain.french import MONTH_NAMES as MONTHS
from desktop.domain.french import WEEKDAY_NAMES as WEEKDAYS
from desktop.domain.french import day_ordinal
from desktop.domain.french import format_date_fr as format_date
from desktop.domain.french import format_long_date_fr as format_long_date
from desktop.domain.french import format_period_fr as format_period
from desktop.domain.french import format_time_fr as format_time

__all__ = [
    "MONTHS",
    "WEEKDAYS",
    "day_ordinal",
    "format_date",
    "format_long_date",
    "format_period",
    "format_time",
]
