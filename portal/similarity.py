"""Similar ideas: a TF-IDF index over every idea's text, kept per process.

How it stays under 200 ms at 100,000 ideas:
- The index (the fitted `TfidfVectorizer` and the document-term matrix) is built once
  per process and cached on the app. It is stored column-major (CSC), so scoring a query
  touches only the postings of the query's own terms instead of every document.
- A query text's vector is worked out directly (`QueryTerms`): sklearn's `transform` of
  one text cost ten times as much, more than the scoring and the page's own queries.
- Before a lookup one indexed query asks for the ids of ideas submitted since a little
  before the newest one the index holds (`status IN ... AND submitted_at >= t` uses
  ix_ideas_status_submitted_at; the margin, LOOKBACK, covers a submission that commits
  after a later-stamped one) or with an id above its highest (an import keeps an idea's
  original submission time). The texts of those it lacks are read, transformed with the
  existing vocabulary and appended. Idea text cannot change after submission (only drafts
  are edited), so appending is enough.
- A process asks at most once every SIMILARITY_RECHECK_SECONDS (5 s; 0 in tests, which
  ask before every lookup): a busy idea page no longer pays a query for it on every
  request. What that can leave out is only an idea submitted in the last few seconds, from
  a list of suggestions; everything a lookup shows is still read fresh (below), and the
  start-up fit already lets lookups find nothing for a few seconds.
- When more than REFIT_SHARE of the documents were appended since the last fit, the
  vocabulary and idf are refitted from scratch so new words count too.
- Status changes (a duplicate, a draft) are applied when reading the top candidates from
  the database, so the cache never shows an idea that should be hidden.

Fitting takes seconds at 100,000 ideas. With SIMILARITY_BACKGROUND (the default outside
tests) no request pays it: the first request of a process starts the fit in a daemon
thread, lookups find nothing until it is ready (a few seconds after start-up; the idea form
and the idea page then simply show no similar ideas yet), and a refit after growth runs
in the thread too while lookups use the previous index with the new ideas appended.
Tests build synchronously, inside the lookup, so they stay deterministic.
bench/review.py reports the fit time and the lookups made while it runs.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
import sqlalchemy as sa
from flask import Flask, current_app
from sklearn.feature_extraction.text import TfidfVectorizer

from portal import workflow
from portal.extensions import db
from portal.models import Department, Idea, IdeaStatus
from portal.models.ideas import idea_reference

REFIT_SHARE = 0.2
# How far before the newest submission the index holds it looks again for ones it lacks:
# submissions are stamped before they commit, so one can commit after a later-stamped one.
LOOKBACK = timedelta(minutes=5)
MIN_SCORE = 0.05


def idea_text(title: str, problem: str, proposal: str, benefit: str) -> str:
    """The words an idea is compared by; the title counts twice."""
    return " ".join((title, title, problem, proposal, benefit))


@dataclass(frozen=True, slots=True)
class IdeaSummary:
    """What a list of similar ideas shows of one (read as plain columns, not an ORM idea)."""

    id: int
    title: str
    status: IdeaStatus
    department_name: str

    @property
    def reference(self) -> str:
        return idea_reference(self.id)


@dataclass(frozen=True)
class QueryTerms:
    """A fit's way from a text to its tf-idf vector: the columns of its terms and their
    weights, as the fitted vectorizer's `transform` finds them (sublinear tf times idf, unit
    length), without the cost of building a sparse matrix for one text."""

    analyze: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray

    @classmethod
    def of(cls, vectorizer: TfidfVectorizer) -> "QueryTerms":
        if not (vectorizer.sublinear_tf and vectorizer.use_idf and vectorizer.norm == "l2"):
            raise ValueError("QueryTerms weighs terms as sublinear tf-idf of unit length")
        return cls(vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_)

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, weights) of `text`'s known terms; empty when it has none."""
        counts = Counter(term for term in self.analyze(text) if term in self.vocabulary)
        columns = np.fromiter((self.vocabulary[t] for t in counts), np.int32, len(counts))
        weights = (1 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))) * (
            self.idf[columns]
        )
        if len(weights):
            weights /= np.sqrt(weights @ weights)
        return columns, weights.astype(np.float32)


@dataclass
class SimilarIdea:
    idea: IdeaSummary
    score: float


class SimilarityIndex:
    """The fitted vectorizer, the matrix and the idea ids of its rows.

    A fit builds new objects and swaps them in under the lock, so a lookup always sees one
    consistent index: the previous one while a background fit runs.
    """

    RETRY_SECONDS = 60.0  # after a failed background fit

    def __init__(
        self, app: Flask | None = None, *, background: bool = False, recheck: float = 0.0
    ) -> None:
        self.lock = threading.Lock()
        self.app = app
        self.background = background and app is not None
        self.recheck = recheck  # seconds between two looks for newly submitted ideas
        self.checked_at: float | None = None  # when the last look was (time.monotonic)
        self.builder: threading.Thread | None = None
        self.failed_at: float | None = None
        self.vectorizer: TfidfVectorizer | None = None
        self.terms: QueryTerms | None = None
        self.matrix: sp.csc_matrix | None = None
        self.ids = np.zeros(0, dtype=np.int64)
        self.known: set[int] = set()
        self.newest: datetime | None = None  # the latest submission time it holds
        self.highest_id = 0  # the highest idea id it holds
        self.fitted_rows = 0
        self.refits = 0
        self.fit_seconds: float | None = None

    def _rows(self, since: datetime | None = None, ids: list[int] | None = None):
        """Every indexed idea's text, oldest first; or only those of `ids`."""
        query = sa.select(
            Idea.id,
            Idea.title,
            Idea.problem,
            Idea.proposal,
            Idea.expected_benefit,
            Idea.submitted_at,
        ).where(Idea.status.in_(workflow.SUBMITTED_ONCE), Idea.submitted_at.is_not(None))
        if ids is not None:
            query = query.where(Idea.id.in_(ids))
        return db.session.execute(query.order_by(Idea.submitted_at, Idea.id)).all()

    def _arrived_ids(self) -> set[int]:
        """Ids of indexed-state ideas that may have arrived since the last look: submitted
        since `LOOKBACK` before the newest the index holds (a submission stamped earlier
        than another can commit after it), or with an id above the highest it holds (an
        imported idea keeps its original, older submission time)."""
        recent = sa.select(Idea.id).where(
            Idea.status.in_(workflow.SUBMITTED_ONCE),
            Idea.submitted_at >= self.newest - LOOKBACK,
        )
        added = sa.select(Idea.id).where(
            Idea.status.in_(workflow.SUBMITTED_ONCE),
            Idea.submitted_at.is_not(None),
            Idea.id > self.highest_id,
        )
        return set(db.session.scalars(sa.union(recent, added)))

    def _fitted(self) -> dict:
        """A fresh fit over every indexed idea (reads the database, touches nothing here)."""
        t0 = time.perf_counter()
        rows = self._rows()
        vectorizer = TfidfVectorizer(
            stop_words="english", sublinear_tf=True, strip_accents="unicode", dtype=np.float32
        )
        matrix = None
        if rows:
            try:
                matrix = vectorizer.fit_transform(idea_text(*r[1:5]) for r in rows)
            except ValueError:  # no idea has a word that is not a stop word
                matrix = None
        if matrix is None:
            # A vocabulary of one word that no stop-word list holds, so nothing matches yet.
            vectorizer.fit(["converge"])
            matrix = sp.csr_matrix((len(rows), len(vectorizer.vocabulary_)), dtype=np.float32)
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        return {
            "vectorizer": vectorizer,
            "terms": QueryTerms.of(vectorizer),
            "matrix": matrix.tocsc(),
            "ids": ids,
            "known": set(ids.tolist()),
            "newest": rows[-1][5] if rows else None,
            "highest_id": int(ids.max()) if len(ids) else 0,
            "fitted_rows": len(rows),
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }

    def _install(self, fitted: dict) -> None:
        for name, value in fitted.items():
            setattr(self, name, value)
        self.refits += 1

    def refresh(self) -> None:
        """Bring the index up to date with ideas submitted since it was last read."""
        if self.background:
            self._refresh_background()
            return
        with self.lock:
            if self.vectorizer is None:
                self._install(self._fitted())
                return
            rows = self._new_rows()
            if not rows:
                return
            if len(self.ids) + len(rows) > self.fitted_rows * (1 + REFIT_SHARE):
                self._install(self._fitted())
                return
            self._append(rows)

    def _new_rows(self) -> list:
        """The ideas submitted since the index last looked ([] without asking when it looked
        less than `recheck` seconds ago)."""
        now = time.monotonic()
        if self.checked_at is not None and now - self.checked_at < self.recheck:
            return []
        self.checked_at = now
        if self.newest is None:
            return self._rows()
        arrived = self._arrived_ids() - self.known
        return self._rows(ids=sorted(arrived)) if arrived else []

    def _append(self, rows) -> None:
        added = self.vectorizer.transform(idea_text(*r[1:5]) for r in rows).tocsc()
        self.matrix = sp.vstack([self.matrix, added], format="csc")
        self.ids = np.concatenate([self.ids, np.array([r[0] for r in rows], np.int64)])
        self.known.update(r[0] for r in rows)
        self.newest = max(self.newest or rows[-1][5], rows[-1][5])
        self.highest_id = max(self.highest_id, max(r[0] for r in rows))

    def _refresh_background(self) -> None:
        with self.lock:
            if self.vectorizer is None:
                self.start_fit()
                return
            rows = self._new_rows()
            if rows:
                self._append(rows)  # found at once, with the vocabulary fitted last time
            if len(self.ids) > self.fitted_rows * (1 + REFIT_SHARE):
                self.start_fit()

    def start_fit(self) -> bool:
        """Start a fit in a daemon thread unless one runs (or failed a moment ago)."""
        if self.builder is not None and self.builder.is_alive():
            return False
        if self.failed_at is not None and time.monotonic() - self.failed_at < self.RETRY_SECONDS:
            return False
        self.builder = threading.Thread(
            target=self._fit_in_background, name="similarity-index", daemon=True
        )
        self.builder.start()
        return True

    def _fit_in_background(self) -> None:
        with self.app.app_context():
            try:
                fitted = self._fitted()
            except Exception:
                self.failed_at = time.monotonic()
                self.app.logger.exception("the similar-ideas index could not be built")
                return
            finally:
                db.session.remove()
        with self.lock:
            self._install(fitted)
            self.failed_at = None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a running background fit; True when none is running any more."""
        builder = self.builder
        if builder is not None:
            builder.join(timeout)
            return not builder.is_alive()
        return True

    def scores(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(idea ids, cosine similarities) of every indexed idea to `text`."""
        with self.lock:
            terms, matrix, ids = self.terms, self.matrix, self.ids
        if terms is None:  # the first fit is still running
            return ids[:0], np.zeros(0)
        columns, weights = terms(text)
        if len(columns) == 0 or matrix.shape[0] == 0:
            return ids[:0], np.zeros(0)
        # Only the query's terms' columns: a few postings lists, not the whole matrix.
        values = matrix[:, columns] @ weights
        return ids, np.asarray(values).ravel()


def get_index() -> SimilarityIndex:
    index = current_app.extensions.get("converge_similarity")
    if index is None:
        app = current_app._get_current_object()
        index = current_app.extensions.setdefault(
            "converge_similarity",
            SimilarityIndex(
                app,
                background=bool(app.config.get("SIMILARITY_BACKGROUND")),
                recheck=float(app.config.get("SIMILARITY_RECHECK_SECONDS", 0)),
            ),
        )
    return index


def warm(app: Flask) -> None:
    """Start fitting the index in the background on the first request of a process, so
    it is ready before anyone asks (when SIMILARITY_BACKGROUND is on)."""
    started = threading.Event()

    @app.before_request
    def _warm_similarity_index() -> None:
        if started.is_set():
            return
        started.set()
        index = get_index()
        with index.lock:
            if index.vectorizer is None:
                index.start_fit()


# The candidates still shown (a duplicate or a draft since is left out), built once: building
# it on every lookup cost about as much as running it.
# Of the tables' columns, not the ORM's, with the hidden states as plain parameters: an
# ORM statement and a second list to expand cost a third more to run.
_IDEAS, _DEPARTMENTS = Idea.__table__.c, Department.__table__.c
_SHOWN = (
    sa.select(_IDEAS.id, _IDEAS.title, _IDEAS.status, _DEPARTMENTS.name)
    .join_from(Idea.__table__, Department.__table__, _DEPARTMENTS.id == _IDEAS.department_id)
    .where(
        _IDEAS.id.in_(sa.bindparam("ids", expanding=True)),
        *(_IDEAS.status != hidden for hidden in sorted(workflow.HIDDEN_FROM_SIMILAR)),
    )
)


def similar_to_text(
    text: str,
    *,
    limit: int = 5,
    exclude_ids: set[int] | frozenset = frozenset(),
    campaign_id: int | None = None,
) -> list[SimilarIdea]:
    """The ideas most similar to `text`, best first (drafts and duplicates left out); with
    `campaign_id`, that campaign's similar ideas come first, then the rest."""
    text = (text or "").strip()
    if not text:
        return []
    index = get_index()
    index.refresh()
    ids, values = index.scores(text)
    if len(values) == 0:
        return []
    first: list[tuple[int, float]] = []
    if campaign_id is not None:
        inside = sa.select(Idea.id).where(Idea.campaign_id == campaign_id)
        where = np.flatnonzero(np.isin(ids, list(db.session.scalars(inside))))
        where = where[np.argsort(-values[where], kind="stable")][: limit + len(exclude_ids)]
        first = [(int(ids[i]), float(values[i])) for i in where if values[i] >= MIN_SCORE]
    wanted = min(len(values), limit * 4 + len(exclude_ids) + 5)
    top = np.argpartition(-values, wanted - 1)[:wanted] if wanted < len(values) else None
    order = top if top is not None else np.arange(len(values))
    order = order[np.argsort(-values[order], kind="stable")]
    picked = [(int(ids[i]), float(values[i])) for i in order if values[i] >= MIN_SCORE]
    picked = first + [p for p in picked if p not in first]
    picked = [(i, s) for i, s in picked if i not in exclude_ids]
    if not picked:
        return []
    shown = db.session.execute(_SHOWN, {"ids": [i for i, _ in picked]})
    ideas = {row[0]: IdeaSummary(*row) for row in shown.all()}
    found = [SimilarIdea(ideas[i], score) for i, score in picked if i in ideas]
    return found[:limit]


def similar_to_idea(idea: Idea, *, limit: int = 5) -> list[SimilarIdea]:
    """The existing ideas most like `idea` (itself and ideas merged into it left out)."""
    text = idea_text(idea.title, idea.problem, idea.proposal, idea.expected_benefit)
    return similar_to_text(text, limit=limit, exclude_ids={idea.id})
