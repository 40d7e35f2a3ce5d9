"""What every report block stands on: headings in the unit's words, blocks computed once, and the rule that a block
with nothing to show is not drawn (its heading neither) while the reason is said once.

How to add a section (the extension point of the report notebooks):

* write a method on a blocks class (:mod:`klyngedata.reports.population_blocks`,
  :mod:`klyngedata.reports.comparison_blocks`, or a new module mixed into
  :class:`klyngedata.reports.sections.Sections`) that returns something Jupyter displays — a plotly figure or
  an HTML block from :mod:`klyngedata.reports.blocks` — and decorate it with :func:`block`;
* when it has nothing to show, return ``None`` after :meth:`BlockBase.omit` records the Danish reason (or return
  ``None`` alone when the reason is said elsewhere, e.g. the split of a municipality in the header);
* in the notebook, put ``rapport.heading("Titel", "Indledning", when="method_name")`` above the call: the heading
  is shown only when the block shows something. ``rapport.not_shown()`` says once, in one note, which blocks
  were left out and why.

Example
-------
>>> class Demo(BlockBase):
...     @block
...     def nothing(self):
...         return self.omit("nothing", "Intet at vise.")
>>> Demo.nothing.__name__
'nothing'
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

from klyngedata.exceptions import DataNotAvailable
from klyngedata.reports import blocks
from klyngedata.reports.reader import missing_sentences
from klyngedata.reports.unit_data import UnitData, _unavailable

F = TypeVar("F", bound=Callable[..., Any])


def block(method: F) -> F:
    """Compute a block once per report (a heading's ``when=`` and the block's own cell share the result).

    Example
    -------
    >>> block(lambda self: 1).__name__
    '<lambda>'
    """
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        key = ("block", method.__name__, args, tuple(sorted(kwargs.items())))
        if key not in self._derived:
            self._derived[key] = method(self, *args, **kwargs)
        return self._derived[key]

    return wrapper  # type: ignore[return-value]


class BlockBase(UnitData):
    """Headings, the shown-once rule and the split-municipality helpers every blocks class uses."""

    def heading(self, title: str, intro: str = "", level: int = 2, *, when: str | None = None) -> Any:
        """A Danish heading (and an intro paragraph) in this unit's words, e.g.
        ``rapport.heading("{Klyngens} organisering")`` shows "Klyngens organisering" or "Rådets organisering".
        ``when``: the name of the block the heading introduces; nothing is shown when that block shows nothing."""
        from IPython.display import Markdown

        if when is not None and getattr(self, when)() is None:
            return None
        text = f"{'#' * level} {self.fill(title)}"
        return Markdown(text + (f"\n\n{self.fill(intro)}" if intro else ""))

    def text(self, template: str) -> Any:
        """A Danish paragraph in this unit's words (see :meth:`fill`)."""
        from IPython.display import Markdown

        return Markdown(self.fill(template))

    def omit(self, name: str, reason_da: str) -> None:
        """Record that block ``name`` is not drawn, with the Danish sentence that says why (shown once by
        :meth:`not_shown`); returns ``None`` so a block can end with ``return self.omit(...)``."""
        self._derived.setdefault("omitted", {})[name] = self.fill(reason_da)
        return None

    def not_shown(self) -> Any:
        """One note saying which blocks so far were left out and why (nothing when none was); each reason is
        said once."""
        omitted: dict[str, str] = self._derived.get("omitted", {})
        said: set[str] = self._derived.setdefault("omitted_said", set())
        todo = [text for name, text in omitted.items() if name not in said]
        said.update(omitted)
        if not todo:
            return None
        return blocks.note_da(" ".join(dict.fromkeys(todo)), title="Ikke vist")

    def _cluster_keyfigures(self) -> tuple[pd.DataFrame | None, Any]:
        """The key figures, or a Danish note why the cluster has none (no data, or a split not allocable)."""
        try:
            kf = self.keyfigures()
        except (DataNotAvailable, ImportError) as exc:
            return None, _unavailable("Nøgletallene", exc)
        if not (kf["entity_level"].astype(str) == "cluster").any():
            return kf, self._cluster_missing_note(kf)
        return kf, None

    def _cluster_missing_note(self, kf: pd.DataFrame) -> Any:
        if self._split_codes():  # explained once, in the header
            return blocks.note_da(self.fill("{Klyngens} samlede tal kan ikke opgøres (se forklaringen øverst). "
                                            "Medlemskommunernes tal står længere nede."))
        text = " ".join(missing_sentences(kf.attrs.get("missing", []), names=self._member_names()))
        return blocks.note_da(text or self.fill("{Klyngens} samlede nøgletal kan ikke beregnes med de data, "
                                                "rapporten bygger på."))

    # ------------------------------------------------------------------ split municipalities
    def _member_names(self) -> dict[str, str]:
        return dict(zip(self.cluster.municipality_codes, self.cluster.municipality_names, strict=False))

    def _split_codes(self) -> list[str]:
        """Member municipalities split between clusters (allocation other than whole)."""
        m = self.cluster.members
        if m is None or len(m) == 0 or "allocation" not in m.columns:
            return []
        return sorted(set(m.loc[m["allocation"].astype(str) != "whole", "municipality_code"].astype(str)))

    def _split_label(self, code: str, name: str) -> str:
        return f"{name} (hele kommunen)" if code in self._split_codes() else name

    def _split_units(self) -> dict[str, list[str]]:
        """The bydele (or other parts) of each split member that belong to this unit: code -> names."""
        m = self.cluster.members
        if m is None or not len(m) or "unit_name" not in m.columns:
            return {}
        parts = m[m["allocation"].astype(str) != "whole"]
        out: dict[str, list[str]] = {}
        for code, name in zip(parts["municipality_code"].astype(str), parts["unit_name"], strict=True):
            if isinstance(name, str) and name:
                out.setdefault(code, []).append(name)
        return out
