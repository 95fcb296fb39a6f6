"""String options of the territory and source functions are checked in one place
(:mod:`impact._options`): a wrong value is an InputError naming the argument, the value and the
values allowed, raised before any file is opened; ``choices`` lists them for notebooks and CLI."""

from __future__ import annotations

import pandas as pd
import pytest

from impact._options import choices
from impact.errors import InputError
from impact.sources import melodi, sirene, urssaf
from impact.territories import boundaries, harmonize, normalize_code
from impact.territories.harmonize import commune_mapping

# The files do not exist: the option must be refused before anything is read.
CASES = [
    (lambda: normalize_code(["01001"], "commune", errors="ignore"), "errors",
     "'raise', 'flag' or 'coerce'", "'ignore'"),
    (lambda: normalize_code(["01001"], "commune", arrondissements="drop"), "arrondissements",
     "'keep' or 'commune'", "'drop'"),
    (lambda: harmonize(pd.DataFrame({"territory_code": ["01001"]}), split="weights"), "split",
     "'population' or 'flag'", "'weights'"),
    (lambda: harmonize(pd.DataFrame({"territory_code": ["01001"]}), errors="coerce"), "errors",
     "'warn', 'raise' or 'drop'", "'coerce'"),
    (lambda: commune_mapping(arrondissements="merge"), "arrondissements",
     "'keep' or 'commune'", "'merge'"),
    (lambda: sirene.creations("/nonexistent/ul.csv", "/nonexistent/et.csv", freq="week"), "freq",
     "'month' or 'year'", "'week'"),
    (lambda: melodi.read("/nonexistent/x.zip", arrondissements="both"), "arrondissements",
     "'commune' or 'keep'", "'both'"),
    (lambda: urssaf.read("/nonexistent/u.csv", partial="max"), "partial", "'secret' or 'sum'",
     "'max'"),
    (lambda: boundaries("canton"), "level", "'region' or 'france'", "'canton'"),
]


@pytest.mark.parametrize(("call", "name", "allowed", "given"), CASES)
def test_bad_option_is_named_with_the_values_allowed(call, name, allowed, given):
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{name} must be ")
    assert allowed in message and message.endswith(f"not {given}")


def test_choices_read_from_the_signatures():
    assert choices(normalize_code, "errors") == ("raise", "flag", "coerce")
    assert choices(sirene.creations, "freq") == ("month", "year")
    assert choices(harmonize, "split") == ("population", "flag")


def test_common_still_exports_every_name_its_importers_use():
    # _common was split by concept; the readers, the panel, ptce and the tests import from it.
    from impact.sources import _common, _files, _long, _numbers, _periods, _text

    for name in _common.__all__:
        obj = getattr(_common, name)
        homes = [m for m in (_files, _long, _numbers, _periods, _text) if hasattr(m, name)]
        assert homes and all(getattr(m, name) is obj for m in homes), name
