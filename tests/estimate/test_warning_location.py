"""Estimator warnings are attributed to the caller's line (a notebook cell, this file),
not to contextlib.py or to the library's own helpers."""

import warnings

from impact.datasets import example_panel
from impact.estimate import att_gt


def test_small_group_warning_points_at_the_caller():
    panel = example_panel()
    first = panel.drop_duplicates("territory_code").set_index("territory_code")["first_treated"]
    keep = list(first[first != 2013].index) + list(first[first == 2013].index[:3])
    small = panel[panel["territory_code"].isin(keep)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        att_gt(small, outcome="outcome", unit="territory_code", time="year",
               group="first_treated")
    [w] = [w for w in caught if "fewer than 5 units" in str(w.message)]
    assert "2013" in str(w.message)
    # att_gt is wrapped by a ContextDecorator (single-threaded BLAS): a fixed stacklevel
    # pointed at contextlib.py.
    assert w.filename == __file__, w.filename
