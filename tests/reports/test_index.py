"""The report index: real-data result on top, badges, headline in words, failures shown."""

from impact.reports.index import headline_sentence, is_real, render_index


def _run(rid, notebook, params, headline, status="ok", files=()):
    return {"run_id": rid, "notebook": f"/x/{notebook}.ipynb", "parameters": params,
            "headline": headline, "status": status, "files": list(files), "duration": 12.0,
            "error": "ValueError: boom" if status == "failed" else ""}


REAL = _run("03--real", "03_estimate_impact", {}, {
    "source": "insee", "level": "departement", "outcome": "creations_companies_per10k",
    "outcome_label": "créations de sociétés pour 10 000 habitants", "level_label": "départements",
    "overall_att": 1.57, "ci_low": -3.46, "ci_high": 6.61, "mde": 7.2, "pretrend_p": 0.22,
    "ri_p": 0.12, "n_territories": 85}, files=["event_study.png", "report.html"])
DEMO = _run("03--demo", "03_estimate_impact", {"source": "demo"}, {
    "source": "demo", "overall_att": 13.5, "ci_low": 10.0, "ci_high": 17.0}, files=["event_study.png"])
FAILED = _run("01--bad", "01_build_panel", {"source": "demo", "level": "canton"}, {}, status="failed")


def test_real_run_is_the_headline_and_comes_first():
    page = render_index([DEMO, FAILED, REAL])
    hero = page[page.index("class='hero'"):page.index("class=\"cards\"")]
    assert "Résultat principal" in hero and "1,57" in hero and "[-3,46 ; 6,61]" in hero
    assert "pas statistiquement distinct de zéro" in hero and "7,20" in hero
    assert "créations de sociétés pour 10 000 habitants" in hero and "85 départements" in hero
    assert "13,5" not in hero  # the demonstration never makes the headline
    cards = page[page.index("class=\"cards\""):]
    assert cards.index("03--real") < cards.index("03--demo")
    assert cards.count("données de démonstration") == 2 and cards.count("données réelles") == 1
    assert "Échec : ValueError: boom" in cards
    assert "src='03--real/event_study.png'" in cards
    assert "{&quot;" not in page and '{"' not in cards  # no raw JSON for readers


def test_without_a_real_estimate_there_is_no_headline_box():
    assert "class='hero'" not in render_index([DEMO])
    assert is_real({"parameters": {}, "headline": {}}) and not is_real(DEMO)


def test_headline_sentence_says_significant_when_the_interval_excludes_zero():
    assert "significativement différent de zéro" in headline_sentence(
        {"overall_att": 2.0, "ci_low": 0.5, "ci_high": 3.5, "outcome": "y"})
    assert headline_sentence({"level": "region"}) == ""


def test_cards_show_french_words_not_codes():
    from impact.reports.index import render_index

    run = {"run_id": "r", "notebook": "03_estimate_impact.ipynb", "status": "ok",
           "headline": {"source": "insee", "level": "departement", "level_label": "départements",
                        "control": "notyet", "overall_att": 1.0, "ci_low": 0.1, "ci_high": 2.0}}
    page = render_index([run])
    assert "<dd>pas encore traités</dd>" in page and "<dd>notyet</dd>" not in page
    assert "<dd>départements</dd>" in page and "<dd>departement</dd>" not in page
