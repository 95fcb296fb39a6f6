"""Population from the territory layer (single vintage) or a file."""

from __future__ import annotations

import pytest

from impact.errors import InputError
from impact.sources._common import validate_long
from impact.sources.population import population
from impact.territories import communes


def test_single_vintage_repeated_and_aggregated():
    df = population("departement", [2016, 2022])
    validate_long(df)
    total = communes()["population"].sum()
    for year, status in (("2016", "estimated"), ("2022", "observed")):
        part = df[df.period == year]
        assert part["value"].sum() == pytest.approx(total)
        assert set(part.loc[part.territory_code != "976", "status"]) == {status}
        # Mayotte's communes have no population in the source: missing, not 0.
        assert part.loc[part.territory_code == "976", "status"].tolist() == ["missing"]
    assert len(df[df.period == "2016"]) == 101


def test_population_file_with_old_codes(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_text("CODGEO;LIBGEO;PMUN2016;PMUN2017\n74010;Annecy;52000;53000\n"
                 "74011;Annecy-le-Vieux;20000;s\n1053;Bourg;41000;41100\n", encoding="utf-8")
    df = population("commune", path=p)
    s = df.set_index(["territory_code", "period"])["value"]
    assert s[("74010", "2016")] == 72000 and s[("01053", "2017")] == 41100
    with pytest.raises(InputError, match="2010"):
        population("commune", [2010], path=p)
