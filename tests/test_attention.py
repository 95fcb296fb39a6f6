"""Warnings of a notebook run become « Points d'attention » in plain French."""

import logging
import warnings

from impact.attention import collect_warnings, explain


def test_collected_warnings_are_not_printed_and_are_explained(capsys):
    # A handler already on the library's logger (as the CLI installs one) must stay silent too.
    stray = logging.StreamHandler()
    logging.getLogger("impact").addHandler(stray)
    watch = collect_warnings()
    try:
        for _ in range(3):
            warnings.warn("some groups have fewer than 5 units (number of covariates + 5): 2016.",
                          UserWarning, stacklevel=1)
        warnings.warn("something nobody anticipated", RuntimeWarning, stacklevel=1)
        logging.getLogger("impact.territories").warning(
            "harmonize: 1 code(s) now split between several communes, counts shared")
    finally:
        watch.stop()
    assert capsys.readouterr().err == ""  # nothing raw reached the report
    assert len(watch.records) == 3  # repeats are recorded once
    assert "scindée" in watch.markdown()
    assert stray in logging.getLogger("impact").handlers  # put back by stop()
    logging.getLogger("impact").removeHandler(stray)
    md = watch.markdown()
    assert md.startswith("## Points d'attention")
    assert "très peu de territoires" in md and "Avertissement technique" in md
    assert "RuntimeWarning" in md and "something nobody anticipated" in md  # originals kept whole
    # After stop(), Python prints warnings again.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("again", UserWarning, stacklevel=1)
    assert len(caught) == 1


def test_a_run_without_warnings_says_so():
    watch = collect_warnings()
    watch.stop()
    assert "Aucun avertissement" in watch.markdown()


def test_explanations_of_known_estimator_warnings():
    from impact.estimate.twfe import TWFE_WARNING

    assert "biaisée" in explain(TWFE_WARNING)
    assert "écartés" in explain("Dropped 3 units already treated in the first period (2012)")
