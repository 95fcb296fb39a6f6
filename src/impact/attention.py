"""« Points d'attention »: warnings raised while a notebook runs, for readers.

A report must not show a raw Python ``UserWarning`` with a file path in a red
box: a policy reader cannot tell what it means. :func:`collect_warnings`
installs a collector at the top of a notebook; warnings are then recorded
instead of printed, and :meth:`WarningCollector.markdown` renders, at the end,
a section « Points d'attention » that says in plain French what each one means
for the reader, with the full original messages in a folded block (so the
executed notebook keeps them whole).

May import: the standard library only.
"""

from __future__ import annotations

import html
import logging
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

#: Known warnings (a regular expression on the message) and what they mean for a reader.
EXPLANATIONS: tuple[tuple[str, str], ...] = (
    (r"fewer than \d+ units",
     "Une cohorte (ou le groupe de comparaison) compte très peu de territoires : ses "
     "estimations et leurs erreurs-types sont fragiles ; l'inférence par randomisation et le "
     "bootstrap sauvage, plus sûrs dans ce cas, sont présentés à côté."),
    (r"TWFE is biased|staggered adoption",
     "La régression à effets fixes à deux dimensions est biaisée quand l'adoption est "
     "échelonnée et que l'effet varie : elle n'est montrée qu'en point de comparaison."),
    (r"already treated in the first period",
     "Des territoires étaient déjà traités au début de la période : sans année avant le label, "
     "ils sont écartés de l'estimation."),
    (r"no comparison unit",
     "Certaines cellules cohorte-année n'ont aucun territoire de comparaison et sont écartées."),
    (r"exact(ly)? (pre-treatment )?fit|reproduced (almost )?exactly|interpolat",
     "Le contrôle synthétique reproduit exactement la période avant le label (plus de "
     "territoires donneurs que d'années) : l'ajustement ne garantit rien pour la suite et son "
     "ratio d'erreurs est gonflé."),
    (r"split between several communes",
     "Une commune d'un fichier ancien a depuis été scindée : ses effectifs sont répartis entre "
     "les communes qui en sont issues, au prorata de leur population."),
    (r"not covered|without population",
     "Des territoires ne sont pas couverts par la source (l'outre-mer pour les fichiers "
     "départementaux de l'Insee, Mayotte sans population) : ils sont hors du panel."),
    (r"enumerat",
     "Le bootstrap a énuméré toutes les combinaisons de signes possibles (peu de grappes)."),
    (r"converge",
     "Un calcul itératif n'a pas complètement convergé : les chiffres concernés sont à lire "
     "avec prudence."),
)
_OTHER = ("Avertissement technique : voir le message d'origine ci-dessous ; il ne change pas "
          "les chiffres affichés mais mérite d'être lu par l'analyste.")


def explain(message: str) -> str:
    """The plain-French meaning of a warning message (a generic sentence if unknown).

    Examples
    --------
    >>> explain("some groups have fewer than 5 units")[:40]
    'Une cohorte (ou le groupe de comparaison'
    >>> explain("something else entirely") == _OTHER
    True
    """
    for pattern, text in EXPLANATIONS:
        if re.search(pattern, message, flags=re.IGNORECASE):
            return text
    return _OTHER


@dataclass
class WarningCollector:
    """Records the warnings of a notebook run (installed by :func:`collect_warnings`).

    Attributes
    ----------
    records
        ``(category name, message)`` of each distinct warning, in the order first seen.

    Examples
    --------
    >>> import warnings
    >>> collector = WarningCollector().start()
    >>> warnings.warn("the panel has fewer than 5 units in a cohort")
    >>> collector.stop()
    >>> collector.records
    [('UserWarning', 'the panel has fewer than 5 units in a cohort')]
    """

    records: list[tuple[str, str]] = field(default_factory=list)
    _previous: Callable[..., None] | None = None
    _handler: logging.Handler | None = None
    _handlers: list[logging.Handler] = field(default_factory=list)
    _propagate: bool = True

    def _show(self, message: Warning | str, category: type[Warning], filename: str,
              lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
        rec = (getattr(category, "__name__", str(category)), str(message))
        if rec not in self.records:
            self.records.append(rec)

    def start(self) -> WarningCollector:
        """Record warnings, and the library's logged warnings, instead of printing them.

        The warning filters are left as they are; the ``impact`` logger's records of
        level WARNING and above are recorded and no longer reach standard error.

        Examples
        --------
        >>> import logging
        >>> collector = WarningCollector().start()
        >>> logging.getLogger("impact.example").warning("a cohort is not covered")
        >>> collector.stop()
        >>> collector.records
        [('log warning', 'a cohort is not covered')]
        """
        self._previous = warnings.showwarning
        warnings.showwarning = self._show
        collector = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                rec = (f"log {record.levelname.lower()}", record.getMessage())
                if rec not in collector.records:
                    collector.records.append(rec)

        log = logging.getLogger("impact")
        self._handler = _Handler(level=logging.WARNING)
        self._propagate = log.propagate
        # Handlers already on the library's logger (a CLI's stream handler) are set aside:
        # the collector is the only place the records go until stop().
        self._handlers = list(log.handlers)
        log.handlers = [self._handler]
        log.propagate = False
        return self

    def stop(self) -> None:
        """Print warnings and log records again as before.

        Examples
        --------
        >>> import warnings
        >>> before = warnings.showwarning
        >>> c = WarningCollector().start()
        >>> c.stop()
        >>> warnings.showwarning is before
        True
        """
        if self._previous is not None:
            warnings.showwarning = self._previous
            self._previous = None
        if self._handler is not None:
            log = logging.getLogger("impact")
            log.handlers = self._handlers
            log.propagate = self._propagate
            self._handler = None

    def markdown(self) -> str:
        """The « Points d'attention » section (Markdown, the original messages folded in HTML).

        Examples
        --------
        >>> print(WarningCollector().markdown())
        ## Points d'attention
        <BLANKLINE>
        Aucun avertissement n'a été émis pendant l'exécution de ce rapport.
        >>> c = WarningCollector(records=[("UserWarning", "interpolated exactly")])
        >>> c.markdown().splitlines()[2][:40]
        '- Le contrôle synthétique reproduit exac'
        """
        if not self.records:
            return ("## Points d'attention\n\nAucun avertissement n'a été émis pendant "
                    "l'exécution de ce rapport.")
        seen: dict[str, int] = {}
        for _, msg in self.records:
            text = explain(msg)
            seen[text] = seen.get(text, 0) + 1
        items = "\n".join(f"- {t}" + (f" ({n} avertissements)" if n > 1 else "")
                          for t, n in seen.items())
        raw = "\n".join(f"<li><code>{html.escape(cat)}</code> : {html.escape(msg)}</li>"
                        for cat, msg in self.records)
        return (f"## Points d'attention\n\n{items}\n\n<details><summary>Messages d'origine "
                f"({len(self.records)})</summary><ul>{raw}</ul></details>")


def collect_warnings() -> WarningCollector:
    """Start collecting the warnings of a notebook; show them with ``.markdown()`` at the end.

    Examples
    --------
    >>> import warnings
    >>> c = collect_warnings()
    >>> warnings.warn("solver did not converge")
    >>> c.stop()
    >>> "n'a pas complètement convergé" in c.markdown()
    True
    """
    return WarningCollector().start()
